"""Keras 2 functions tf_keras dropped whose whole Keras 2 body maps onto a tf_keras function.

The shim serves them as Keras 2.2.4 / 2.3.1 defined them (same values, same errors), so an
app that calls them runs unmodified; ``legacy_shim.keras2_surface.MOVED`` points at them.
"""

from __future__ import annotations


def image_dim_ordering() -> str:
    """Keras 2's legacy getter: ``'th'`` for channels_first, else ``'tf'``."""
    from tf_keras import backend

    return "th" if backend.image_data_format() == "channels_first" else "tf"


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Keras 2's legacy setter: ``'th'`` is channels_first, ``'tf'`` channels_last."""
    from tf_keras import backend

    if dim_ordering not in {"tf", "th"}:
        raise ValueError("Unknown dim_ordering:", dim_ordering)
    backend.set_image_data_format("channels_first" if dim_ordering == "th" else "channels_last")
