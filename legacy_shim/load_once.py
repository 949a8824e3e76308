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
# loads: files read into a model; hits: loads served from memory; rereads: reads thrown away
# because the file changed while it was being read.
stats = {"loads": 0, "hits": 0, "rereads": 0}


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


class UnusableModelError(RuntimeError):
    """A freshly loaded model that cannot run, or a file that kept changing while read; not cached."""


# Reads of a file that changes while being read, before giving up on it.
_READ_ATTEMPTS = 3


def caching_load_model(original, unusable):
    """Wrap a ``load_model`` function with the load-once cache.

    ``unusable(model)`` says why a freshly loaded model cannot run (``None`` when it can):
    such a model is never cached, so one unlucky load (Keras state reset mid-load) fails
    one request, and the next ``load_model`` of the file loads it again. A file whose
    size or mtime changed while it was read (replaced on disk mid-load) is read again,
    so a half-read file is never cached; once a new version of a file is cached, the
    older versions are dropped.
    """

    @functools.wraps(original)
    def load_model(filepath, custom_objects=None, *args, **kwargs):
        key = cache_key(filepath, custom_objects, args, kwargs)
        if key is None:
            worklist.hit("load_model()")
            return _load(original, filepath, custom_objects, args, kwargs)
        # Loads of files run one at a time: the first request loads, the concurrent ones wait
        # for it instead of building the same model several times into Keras' shared state.
        with _lock:
            model = _cache.get(key)
            if model is not None:
                worklist.hit("load_model() of an already-loaded file")
                stats["hits"] += 1
                return model
            worklist.hit("load_model()")
            for _ in range(_READ_ATTEMPTS):
                model = _load(original, filepath, custom_objects, args, kwargs)
                after = cache_key(filepath, custom_objects, args, kwargs)
                if after == key:
                    break
                if after is None:  # gone meanwhile: nothing to cache under
                    return model
                stats["rereads"] += 1
                key = after  # changed while being read: read the new version
            else:
                raise UnusableModelError(f"{key[0]} kept changing while load_model read it; not cached")
            reason = unusable(model)
            if reason is not None:
                raise UnusableModelError(
                    f"{key[0]} loaded into a model that cannot run ({reason}); not cached, the next "
                    "load_model of it loads it again")
            for old in [k for k in _cache if k[0] == key[0] and k[1:3] != key[1:3]]:
                del _cache[old]
            _cache[key] = model
            return model

    return load_model


def _load(original, filepath, custom_objects, args, kwargs):
    model = original(filepath, custom_objects, *args, **kwargs)
    stats["loads"] += 1
    return model


def clear() -> None:
    with _lock:
        _cache.clear()
    stats.update(loads=0, hits=0, rereads=0)
