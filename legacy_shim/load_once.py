"""Load-once: a repeated ``load_model`` of the same unchanged file returns the loaded model.

Legacy handlers that call ``load_model`` (often after ``K.clear_session()``) on every
request rebuild the whole model each time: slow, and racy in a threaded server. The
cache key is the file's absolute path, mtime, size, the identity of each custom object
and the other arguments, so a changed file or different custom objects load afresh.
"""

from __future__ import annotations

import functools
import os
import threading

from legacy_shim import worklist

_cache: dict[tuple, object] = {}
_lock = threading.RLock()  # RLock: a custom object's loader may load another file
stats = {"loads": 0, "hits": 0}


def cache_key(filepath, custom_objects, args, kwargs):
    """Key for a cacheable load, or None (file objects, h5py handles, missing files)."""
    if not isinstance(filepath, (str, os.PathLike)):
        return None
    path = os.path.abspath(os.fspath(filepath))
    try:
        st = os.stat(path)
    except OSError:
        return None
    objects = tuple(sorted((name, id(obj)) for name, obj in (custom_objects or {}).items()))
    try:
        extra = (tuple(args), tuple(sorted(kwargs.items())))
        hash(extra)
    except TypeError:
        return None
    return (path, st.st_mtime_ns, st.st_size, objects, extra)


def caching_load_model(original, after_load):
    """Wrap a ``load_model`` function; ``after_load(model)`` captures the fresh model."""

    @functools.wraps(original)
    def load_model(filepath, custom_objects=None, *args, **kwargs):
        key = cache_key(filepath, custom_objects, args, kwargs)
        if key is None:
            worklist.hit("load_model()")
            return _load(original, after_load, filepath, custom_objects, args, kwargs)
        # Loads of files run one at a time: the first request loads, the concurrent ones wait
        # for it instead of building the same model several times into Keras' shared state.
        with _lock:
            model = _cache.get(key)
            if model is not None:
                worklist.hit("load_model() of an already-loaded file")
                stats["hits"] += 1
                return model
            worklist.hit("load_model()")
            model = _cache[key] = _load(original, after_load, filepath, custom_objects, args, kwargs)
            return model

    load_model.__legacy_shim_original__ = original
    return load_model


def _load(original, after_load, filepath, custom_objects, args, kwargs):
    model = original(filepath, custom_objects, *args, **kwargs)
    stats["loads"] += 1
    after_load(model)
    return model


def clear() -> None:
    with _lock:
        _cache.clear()
    stats.update(loads=0, hits=0)
