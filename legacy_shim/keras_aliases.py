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
V2_API = "tf_keras"  # what tf.keras is under TF_USE_LEGACY_KERAS=1
# The API tree legacy names resolve to: the v1 one for graph-mode apps (sessions,
# get_session); the keras2-imports row sets the v2 one for TF 2 eager apps.
api_root = V1_API
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


# Keras 2 module paths tf_keras has no module for (keras.layers.merge, keras.legacy...),
# served by modules the keras2-import-surface row builds from legacy_shim.keras2_surface.
synthetic: dict[str, types.ModuleType] = {}


def resolve(rest: str, root: str = "keras") -> types.ModuleType | None:
    """The Keras 2 module that ``<root>.<rest>`` means, importing it; None if there is none."""
    if root != "tensorflow.python.keras" and rest in synthetic:
        return synthetic[rest]
    if root == "tensorflow.python.keras":
        candidates = [f"{SRC}.{rest}" if rest else SRC]
    else:
        candidates = []
        if rest in LEGACY_MODULES:
            candidates.append(LEGACY_MODULES[rest])
        candidates.append(f"{api_root}.{rest}" if rest else api_root)
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


# --- Keras 2.2.4 / 2.3.1 names that tf_keras serves elsewhere or not at all ----------------


class RemovedInKeras2Error(ImportError):
    """``from keras.<module> import <name>`` for a Keras 2 name tf_keras has no equivalent of;
    the message says what replaced it."""


def lookup(target: str):
    """The object a ``keras2_surface.MOVED`` target names: ``"layers.Add"`` in the served API
    tree (then the v1 tree), or an absolute ``tf_keras.src...`` / ``tensorflow...`` path, or a
    Keras 2 function the shim defines itself (``legacy_shim.keras2_functions...``)."""
    module_path, _, attr = target.rpartition(".")
    if target.startswith(("tf_keras.", "tensorflow.", "legacy_shim.")):
        return getattr(importlib.import_module(module_path), attr)
    for api in dict.fromkeys((api_root, V1_API)):
        name = f"{api}.{module_path}" if module_path else api
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
    raise AttributeError(f"no {target} in {api_root} or {V1_API}")


def _removed_getattr(module: types.ModuleType, removed: dict[str, str], original):
    def __getattr__(name):
        if name in removed:
            raise RemovedInKeras2Error(
                f"cannot import name {name!r} from Keras 2 ({module.__name__}) under legacy_shim: {removed[name]}",
                name=module.__name__,
            )
        if original is not None:
            return original(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    __getattr__.removed = removed  # merged into when several Keras 2 paths share one module
    return __getattr__


def install_import_surface(patcher, moved: dict[str, str], removed: dict[str, str]) -> None:
    """Give each legacy ``keras.<module>`` its moved names and an ImportError for removed ones.

    ``moved`` / ``removed`` are keyed ``"module:name"`` (``legacy_shim.keras2_surface``).
    A module path tf_keras lacks gets a module of its own in ``synthetic``.
    """
    if api_root != V1_API:
        _fall_back_to_v1(patcher)
    by_module: dict[str, tuple[dict, dict]] = {}
    for key, target in moved.items():
        module, name = key.split(":")
        by_module.setdefault(module, ({}, {}))[0][name] = target
    for key, message in removed.items():
        module, name = key.split(":")
        by_module.setdefault(module, ({}, {}))[1][name] = message
    paths = set(by_module)
    for module in list(paths):  # keras.wrappers for keras.wrappers.scikit_learn: parents must import too
        parts = module.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in paths:
                paths.add(parent)
                by_module[parent] = ({}, {})
    # parents first, so a synthetic package exists before its submodules
    for module in sorted(paths, key=lambda m: m.count(".")):
        names, gone = by_module[module]
        served = resolve(module)
        if served is None:
            served = types.ModuleType(f"legacy_shim.keras2.{module}", f"Keras 2's keras.{module}, served by legacy_shim")
            if any(other.startswith(module + ".") for other in paths):
                served.__path__ = []
            patcher.set_item(synthetic, module, served)
        for name, target in names.items():
            if name not in vars(served):
                try:
                    value = lookup(target)
                except (AttributeError, ImportError) as exc:
                    gone[name] = f"its tf_keras equivalent {target} is missing here ({exc})"
                    continue
                patcher.set_attr(served, name, value)
        if gone:
            current = vars(served).get("__getattr__")
            if current is not None and hasattr(current, "removed"):
                current.removed.update({k: v for k, v in gone.items() if k not in current.removed})
            else:
                patcher.set_attr(served, "__getattr__", _removed_getattr(served, dict(gone), current))


def _fall_back_to_v1(patcher) -> None:
    """In the v2 tree an eager app is served, let v1-only names (``K.get_session``,
    ``layers.CuDNNLSTM``, ``losses.cosine_proximity``) come from the v1 twin module, as
    ``tf.compat.v1.keras`` gave them in TF 2.x."""
    prefix = api_root + "."
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(prefix) or "__getattr__" in vars(module):
            continue
        rest = name[len(prefix):]
        if rest.startswith(("src", "api", "_")):
            continue
        try:
            twin = importlib.import_module(f"{V1_API}.{rest}")
        except ImportError:
            continue

        def __getattr__(attr, _twin=twin, _name=name):
            if attr.startswith("__"):
                raise AttributeError(f"module {_name!r} has no attribute {attr!r}")
            try:
                return getattr(_twin, attr)
            except AttributeError:
                raise AttributeError(f"module {_name!r} has no attribute {attr!r}") from None

        patcher.set_attr(module, "__getattr__", __getattr__)
