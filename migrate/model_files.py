"""TF1-era .h5 model files → Keras-3-loadable (filled in below)."""

from __future__ import annotations

from pathlib import Path


def check_model_files(source_path: Path, code: str, write: bool = False) -> list[dict]:
    """Report (and with write=True upgrade) the .h5 files `code` loads that Keras 3 cannot load."""
    return []
