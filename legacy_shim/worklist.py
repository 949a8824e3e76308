"""The runtime worklist: legacy call sites the app actually hit (file:line, idiom).

Wrappers installed by the shim call :func:`hit` with the idiom they stand for; the
first frame outside TensorFlow, Keras and the shim is the app's line. Recording is a
dict increment, cheap enough to leave on in production.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import threading

_LIBRARY_DIRS: tuple[str, ...] = ()
_sites: dict[tuple[str, int, str], int] = {}
_lock = threading.Lock()
enabled = True


def _library_dirs() -> tuple[str, ...]:
    global _LIBRARY_DIRS
    if not _LIBRARY_DIRS:
        dirs = [os.path.dirname(os.path.abspath(__file__)) + os.sep]
        for name in ("tensorflow", "tf_keras", "keras", "h5py", "numpy"):
            module = sys.modules.get(name)
            path = getattr(module, "__file__", None)
            if path:
                dirs.append(os.path.dirname(os.path.abspath(path)) + os.sep)
        dirs.append(os.path.dirname(threading.__file__) + os.sep + "concurrent" + os.sep)
        _LIBRARY_DIRS = tuple(dirs)
    return _LIBRARY_DIRS


def reset_library_dirs() -> None:
    """Forget the cached library folders (after a new Keras was put on the path)."""
    global _LIBRARY_DIRS
    _LIBRARY_DIRS = ()


def hit(idiom: str, depth: int = 2) -> None:
    """Record that app code called ``idiom`` directly; ``depth`` frames up is the caller.

    Calls made by TensorFlow, Keras or the shim themselves are not the app's idioms
    and are not recorded.
    """
    if not enabled:
        return
    frame = sys._getframe(depth)
    filename = frame.f_code.co_filename
    if filename.startswith(_library_dirs()):
        return
    key = (filename, frame.f_lineno, idiom)
    with _lock:
        _sites[key] = _sites.get(key, 0) + 1


def recording(func, idiom: str):
    """Wrap ``func`` so that each direct call from app code is recorded as ``idiom``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        hit(idiom)
        return func(*args, **kwargs)

    return wrapper


@dataclasses.dataclass(frozen=True)
class CallSite:
    file: str
    line: int
    idiom: str
    count: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.idiom} (x{self.count})"


def call_sites() -> list[CallSite]:
    """Every recorded site, sorted by file and line."""
    with _lock:
        items = list(_sites.items())
    return sorted((CallSite(f, line, idiom, n) for (f, line, idiom), n in items), key=lambda s: (s.file, s.line, s.idiom))


def clear() -> None:
    with _lock:
        _sites.clear()
