"""Keras 2's ``load_img`` as apps of the Keras 2.2.4 / 2.3.1 era called it: on an upload.

Keras 2.2.4 and 2.3.1 require ``keras-preprocessing>=1.0.5``; its ``load_img`` up to 1.1.0
(the releases of those years) was ``pil_image.open(path)``, so the file object of an
upload worked: ``image.load_img(request.files['image'], target_size=(150, 150))``.
tf_keras's ``load_img`` takes only a path or an ``io.BytesIO`` and raises
``TypeError: path should be path-like or io.BytesIO, not <class '...FileStorage'>``.
The shim hands such a file object to it as the ``io.BytesIO`` of the bytes PIL would
have read (PIL reads a seekable file from its start), so the pixels are the same.
"""

from __future__ import annotations

import functools
import io
import pathlib

from legacy_shim import worklist

_PATHS = (io.BytesIO, pathlib.Path, bytes, str)


def _bytes_pil_reads(file_obj) -> io.BytesIO:
    # What PIL.Image.open does with a file object: seek to the start if it can, then read.
    try:
        file_obj.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    return io.BytesIO(file_obj.read())


def file_object_load_img(load_img):
    """``load_img`` that also takes a readable file object, as keras-preprocessing <= 1.1.0 did."""

    @functools.wraps(load_img)
    def load_img_from_path_or_file(path, *args, **kwargs):
        if not isinstance(path, _PATHS) and callable(getattr(path, "read", None)):
            worklist.hit("load_img(file object)")
            path = _bytes_pil_reads(path)
        return load_img(path, *args, **kwargs)

    load_img_from_path_or_file.__wrapped__ = load_img
    return load_img_from_path_or_file
