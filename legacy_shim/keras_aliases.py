"""``import keras`` / ``tensorflow.keras`` resolved to Keras 2 (tf_keras's v1 API).

A meta-path finder hands back already-existing tf_keras modules under the legacy
names, so ``from keras import backend as K; K.set_session(...)`` gets the graph-mode
Keras 2 backend, not Keras 3 (which has no sessions at all). Resolution order for
``keras.X.Y`` (and ``tensorflow.keras.X.Y``): an explicit legacy module from
``LEGACY_MODULES``, then tf_keras's v1 public API, then tf_keras's implementation
package (``keras.layers.core`` → ``tf_keras.src.layers.core``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
import types

V1_API = "tf_keras.api._v1.keras"
SRC = "tf_keras.src"

# Prefixes that legacy code imports Keras 2 under, mapped to the part after it.
ALIAS_ROOTS = ("keras", "tensorflow.keras", "tensorflow.python.keras")

# Keras-2-only module paths that have no same-named tf_keras module.
LEGACY_MODULES = {
    "backend.tensorflow_backend": "legacy_shim.keras_legacy_backend",
    "engine.topology": "tf_keras.src.engine.functional",
    "engine.saving": "tf_keras.src.saving.legacy.save",
    "utils.generic_utils": "tf_keras.src.utils.generic_utils",
    "utils.np_utils": "tf_keras.src.utils.np_utils",
    "utils.data_utils": "tf_keras.src.utils.data_utils",
    "wrappers": "tf_keras.src.wrappers",
}


def split_alias(fullname: str) -> tuple[str, str] | None:
    """``("keras", "backend")`` for ``"keras.backend"``; None for names we do not alias."""
    for root in sorted(ALIAS_ROOTS, key=len, reverse=True):
        if fullname == root:
            return root, ""
        if fullname.startswith(root + "."):
            return root, fullname[len(root) + 1 :]
    return None


def resolve(rest: str, root: str = "keras") -> types.ModuleType | None:
    """The Keras 2 module that ``<root>.<rest>`` means, importing it; None if there is none."""
    if root == "tensorflow.python.keras":
        candidates = [f"{SRC}.{rest}" if rest else SRC]
    else:
        candidates = []
        if rest in LEGACY_MODULES:
            candidates.append(LEGACY_MODULES[rest])
        candidates.append(f"{V1_API}.{rest}" if rest else V1_API)
        if rest:
            candidates.append(f"{SRC}.{rest}")
    for name in candidates:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module: types.ModuleType):
        self._module = module

    def create_module(self, spec):
        self._own_spec = vars(self._module).get("__spec__")
        return self._module

    def exec_module(self, module):
        # The target module is already executed; re-running it would rebuild Keras.
        # The import system has just overwritten its __spec__ with the alias's: put it back.
        module.__spec__ = self._own_spec


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Finds legacy Keras module names and returns the tf_keras module that serves them."""

    _local = threading.local()

    def find_spec(self, fullname, path=None, target=None):
        parts = split_alias(fullname)
        if parts is None or getattr(self._local, "busy", False):
            return None
        root, rest = parts
        self._local.busy = True  # resolving imports tf_keras, which must not recurse into us
        try:
            module = resolve(rest, root)
        finally:
            self._local.busy = False
        if module is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=hasattr(module, "__path__"))
        return spec


def purge_aliases() -> None:
    """Drop the sys.modules entries that this finder answered (tf_keras modules under legacy names)."""
    for name, module in list(sys.modules.items()):
        if split_alias(name) is not None and module is not None:
            real = vars(module).get("__name__", "")
            if real != name:
                del sys.modules[name]


def aliased_module_names() -> list[str]:
    """Names of already-imported modules that an alias would now answer differently."""
    return [name for name in list(sys.modules) if split_alias(name) is not None]
