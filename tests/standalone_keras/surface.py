"""The app-facing import surface of real Keras 2.2.4 / 2.3.1, read from the wheels' source.

:func:`public_names` walks every module of a Keras wheel directory (``wheels.keras_dir``)
with ``ast`` (nothing is imported): the public names each module defines (``def``,
``class``, assignments) or re-exports from inside Keras (``from .x import y``,
``from .x import *`` expanded), in every branch (``if K.backend() == 'theano':``).
Modules that are training-loop internals, other backends or test helpers are left out
(``EXCLUDED_MODULES``): apps do not import them.

``python tests/standalone_keras/surface.py`` regenerates ``legacy_shim/keras2_surface.py``:
it asks a child process under the shim which names already resolve, finds a tf_keras
equivalent for the others (``_equivalent``), and writes every remaining name with the
message its ImportError will carry (``REMOVED_BECAUSE``, first matching pattern).
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import pprint
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO_ROOT))

from tests.standalone_keras import wheels  # noqa: E402

VERSIONS = ("2.2.4", "2.3.1")
TARGET = REPO_ROOT / "legacy_shim" / "keras2_surface.py"

# Not app-facing: the training loop's internals, the other backends and the loader that
# picks one, the test helpers, the TensorBoard callback's two private halves.
EXCLUDED_MODULES = (
    "engine.training_arrays", "engine.training_generator", "engine.training_utils",
    "backend.cntk_backend", "backend.theano_backend", "backend.numpy_backend", "backend.load_backend",
    "utils.test_utils", "callbacks.tensorboard_v1", "callbacks.tensorboard_v2", "legacy.interfaces",
)

# Why a name has no tf_keras equivalent and what replaced it: (pattern on "module:name",
# message). First match wins; the ImportError says "keras.<module>.<name>: <message>".
# Equivalents the walk cannot find by name: the thing was renamed or moved out of Keras.
RENAMED: dict[str, str] = {
    "engine.network:Network": "tf_keras.src.engine.functional.Functional",
    "engine.topology:Network": "tf_keras.src.engine.functional.Functional",
    "engine.training:Network": "tf_keras.src.engine.functional.Functional",
    "utils:print_summary": "tf_keras.src.utils.layer_utils.print_summary",
    "backend:is_tensor": "tensorflow.is_tensor",
    "backend.tensorflow_backend:is_tensor": "tensorflow.is_tensor",
    "backend:control_dependencies": "tensorflow.control_dependencies",
    "backend.tensorflow_backend:control_dependencies": "tensorflow.control_dependencies",
    "backend:size": "tensorflow.size",
    "backend.tensorflow_backend:size": "tensorflow.size",
    "backend:normalize_data_format": "tf_keras.src.utils.conv_utils.normalize_data_format",
    "backend.common:normalize_data_format": "tf_keras.src.utils.conv_utils.normalize_data_format",
    "backend.tensorflow_backend:normalize_data_format": "tf_keras.src.utils.conv_utils.normalize_data_format",
    "backend:Function": "tf_keras.src.backend.GraphExecutionFunction",
    "backend.tensorflow_backend:Function": "tf_keras.src.backend.GraphExecutionFunction",
    # gone from tf_keras, but Keras 2 defined them as a mapping onto image_data_format
    **{f"{module}:{name}": f"legacy_shim.keras2_functions.{name}"
       for module in ("backend", "backend.common", "backend.tensorflow_backend")
       for name in ("image_dim_ordering", "set_image_dim_ordering")},
    # Keras 2.2.4's alias module of mobilenet_v2: its own preprocessing (scales to [-1, 1])
    "applications.mobilenetv2:preprocess_input": "applications.mobilenet_v2.preprocess_input",
    "applications.mobilenetv2:decode_predictions": "applications.mobilenet_v2.decode_predictions",
}

# Names every keras.applications model module defines with its own meaning: found by name in
# another model's module they would be a different function (convnext's preprocess_input
# returns its input unchanged), so only RENAMED may map them.
PER_MODEL_NAMES = ("preprocess_input", "decode_predictions")

REMOVED_BECAUSE: tuple[tuple[str, str], ...] = (
    ("wrappers.scikit_learn:*", "keras.wrappers.scikit_learn was removed from Keras; use the scikeras package "
     "(`from scikeras.wrappers import KerasClassifier, KerasRegressor`)"),
    ("*:Atrous*", "the Keras 1 atrous layers are gone: use Conv1D / Conv2D(..., dilation_rate=rate)"),
    ("*:Highway", "the Keras 1 Highway layer is gone: write it as Dense layers (or a custom Layer)"),
    ("*:MaxoutDense", "the Keras 1 MaxoutDense layer is gone: Dense(units * k) then a max over k"),
    ("*:Merge", "the Keras 1 Merge layer is gone: use keras.layers.Add / Concatenate / Multiply / Average / Dot"),
    ("*:*Recurrent*", "the Keras 1 Recurrent base class is gone: use keras.layers.RNN with a cell"),
    ("*:HDF5Matrix", "HDF5Matrix was removed: read the HDF5 file with h5py or feed a tf.data.Dataset"),
    ("utils*:multi_gpu_model", "multi_gpu_model was removed in TF 2.4; use tf.distribute.MirroredStrategy: "
     "build and compile the model inside `with strategy.scope():`"),
    ("utils.multi_gpu_utils:*", "multi_gpu_utils was removed in TF 2.4; use tf.distribute.MirroredStrategy"),
    ("backend*:*", "a Keras 2 backend helper with no tf_keras equivalent (Theano/CNTK-era or internal); "
     "use the TensorFlow op directly (tf.*, tf.compat.v1.*)"),
    ("layers.cudnn_recurrent:*", "CuDNNLSTM/CuDNNGRU are gone: tf_keras LSTM/GRU use cuDNN by themselves "
     "(keep the defaults: activation='tanh', recurrent_activation='sigmoid', reset_after=True for GRU)"),
    ("legacy.layers:*", "a Keras 1 layer kept by Keras 2 for old configs (Merge, Highway, MaxoutDense, "
     "AtrousConvolution*): use layers.Add/Concatenate/..., Dense, Conv*D(dilation_rate=...)"),
    ("engine.saving:*", "a Keras 2 saving internal: use keras.models.load_model / save_model, "
     "model.save_weights / load_weights"),
    ("engine*:*", "a Keras 2 engine internal with no public tf_keras equivalent: use keras.layers.Layer, "
     "keras.models.Model, keras.layers.Input"),
    ("callbacks*:*", "a Keras 2 callback helper with no tf_keras equivalent: use keras.callbacks.*"),
    ("optimizers:*", "a Keras 2 optimizer helper with no tf_keras equivalent: use keras.optimizers.get / "
     "the optimizer classes (keras.optimizers.Adam, ...)"),
    ("utils.vis_utils:*", "use keras.utils.plot_model / model_to_dot"),
    ("utils*:*", "a Keras 2 utility with no tf_keras equivalent: see keras.utils for what remains"),
    ("layers*:*", "a Keras 2 layer helper with no tf_keras equivalent: see keras.layers for what remains"),
    ("applications*:*", "a keras_applications helper with no tf_keras equivalent: use "
     "keras.applications.<model>.preprocess_input / decode_predictions"),
    ("preprocessing*:*", "a keras_preprocessing helper with no tf_keras equivalent: see keras.preprocessing"),
    ("datasets*:*", "a dataset-loading helper with no tf_keras equivalent: use keras.datasets.<name>.load_data"),
    ("*:*", "a Keras 2 name with no tf_keras equivalent"),
)

# Modules outside Keras that Keras re-exports from: not Keras's surface.
_EXTERNAL_REEXPORT_OK = ("keras_applications", "keras_preprocessing")


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts[1:])  # drop the leading "keras"


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


class _Module:
    def __init__(self, name: str, tree: ast.Module, is_package: bool):
        self.name, self.tree, self.is_package = name, tree, is_package


def _load(root: Path) -> dict[str, _Module]:
    modules = {}
    for path in sorted((root / "keras").rglob("*.py")):
        name = _module_name(path, root)
        modules[name] = _Module(name, ast.parse(path.read_text(encoding="utf-8")), path.name == "__init__.py")
    return modules


def _top_level(tree: ast.Module):
    """Statements at module level, including those inside if/try/with blocks."""
    stack = list(tree.body)
    while stack:
        node = stack.pop(0)
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, field, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                stack.extend(handler.body)
            continue
        yield node


def _names(modules: dict[str, _Module], name: str, seen: set[str]) -> set[str]:
    if name in seen or name not in modules:
        return set()
    seen = seen | {name}
    module = modules[name]
    found: set[str] = set()
    for node in _top_level(module.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for elt in (target.elts if isinstance(target, ast.Tuple) else [target]):
                    if isinstance(elt, ast.Name):
                        found.add(elt.id)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                source = _resolve_relative(name, module.is_package, node.level, node.module)
            elif node.module and (node.module == "keras" or node.module.startswith("keras.")):
                source = node.module[len("keras."):] if node.module != "keras" else ""
            elif node.module and node.module.split(".")[0] in _EXTERNAL_REEXPORT_OK:
                source = None  # keras.applications.* / keras.preprocessing.* re-export these
            else:
                continue
            for alias in node.names:
                if alias.name == "*":
                    if source is not None:
                        found |= _names(modules, source, seen)
                    continue
                bound = alias.asname or alias.name
                if source is not None and f"{source}.{alias.name}".strip(".") in modules:
                    continue  # a submodule (`from .. import backend as K`): a module, not a name
                found.add(bound)
    return {n for n in found if not n.startswith("_")}


def public_names(keras_root: Path) -> dict[str, list[str]]:
    """``{module: [public names]}`` for every app-facing module of the Keras in ``keras_root``
    (a directory holding the ``keras`` package); ``""`` is ``keras`` itself."""
    modules = _load(keras_root)
    out = {}
    for name in sorted(modules):
        if name in EXCLUDED_MODULES or any(name.startswith(e + ".") for e in EXCLUDED_MODULES):
            continue
        names = _names(modules, name, set())
        if names:
            out[name] = sorted(names)
    return out


def surface() -> dict[str, list[str]]:
    """Union over both wheels: ``{module: [names]}``."""
    merged: dict[str, set[str]] = {}
    for version in VERSIONS:
        for module, names in public_names(wheels.keras_dir(version)).items():
            merged.setdefault(module, set()).update(names)
    return {m: sorted(n) for m, n in sorted(merged.items())}


# ---- generation: ask the shim, then look for equivalents ------------------------------------

_PROBE = r"""
import importlib, json, sys
import legacy_shim
from legacy_shim import keras_aliases
surface = json.load(open(sys.argv[1]))
import tf_keras.api._v1.keras as api
import pkgutil

def resolves(module, name):
    try:
        mod = importlib.import_module("keras." + module if module else "keras")
    except ImportError:
        return False
    try:
        getattr(mod, name)
        return True
    except AttributeError:
        return False
    except ImportError:
        return "removed"

# every name of tf_keras's v1 API tree: where each public name lives
index = {}
for info in pkgutil.walk_packages(api.__path__, api.__name__ + "."):
    try:
        mod = importlib.import_module(info.name)
    except Exception:
        continue
    rel = info.name[len(api.__name__) + 1:]
    for attr in dir(mod):
        if not attr.startswith("_"):
            index.setdefault(attr, []).append(rel)
for attr in dir(api):
    if not attr.startswith("_"):
        index.setdefault(attr, []).insert(0, "")
def in_src(module, name):
    try:
        mod = importlib.import_module("tf_keras.src." + module if module else "tf_keras.src")
    except Exception:
        return False
    value = vars(mod).get(name)
    # only what the module itself defines: not its own imports of numpy, tf, ...
    return value is not None and getattr(value, "__module__", "").startswith("tf_keras.")

result = {"resolves": {}, "index": index, "src": {}}
for module, names in surface.items():
    result["resolves"][module] = {n: resolves(module, n) for n in names}
    result["src"][module] = [n for n in names if result["resolves"][module][n] is not True and in_src(module, n)]
json.dump(result, open(sys.argv[2], "w"))
"""


def _probe(data: dict[str, list[str]], env_extra: dict | None = None) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "surface.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(data))
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGACY_SHIM_") and k != "TF_USE_LEGACY_KERAS"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        env["LEGACY_SHIM_MODE"] = "graph"
        env.update(env_extra or {})
        subprocess.run([sys.executable, "-c", _PROBE, str(src), str(dst)], check=True, env=env, cwd=tmp,
                       stdin=subprocess.DEVNULL, capture_output=True)
        return json.loads(dst.read_text())


def _wheel_aliases(modules: dict[str, _Module], module: str) -> dict[str, str]:
    """``Deconvolution2D = Conv2DTranspose``-style aliases a module defines: alias -> name."""
    out = {}
    mod = modules.get(module)
    if mod is None:
        return out
    for node in _top_level(mod.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value.id
    return out


def _equivalent(module: str, name: str, index: dict[str, list[str]], aliases: dict[str, str]) -> str | None:
    """``"<api module>.<attr>"`` (relative to tf_keras's API root) serving ``keras.<module>.<name>``."""
    top = module.split(".")[0]
    if top == "applications" and name in PER_MODEL_NAMES:
        return None
    for candidate in (name, aliases.get(name), aliases.get(aliases.get(name, ""), None)):
        if not candidate:
            continue
        places = index.get(candidate, [])
        for place in sorted(places, key=lambda p: (p.split(".")[0] != top, p.count("."), p)):
            if place.split(".")[0] == top or place == "":
                return f"{place}.{candidate}".lstrip(".")
        if places:
            return f"{sorted(places, key=lambda p: (p.count('.'), p))[0]}.{candidate}".lstrip(".")
    return None


def removal_message(module: str, name: str) -> str:
    key = f"{module}:{name}"
    for pattern, message in REMOVED_BECAUSE:
        if fnmatch.fnmatchcase(key, pattern):
            return message
    raise AssertionError("REMOVED_BECAUSE ends with a catch-all")


def generate() -> str:
    data = surface()
    # ask the shim without the rows this table feeds: else a second run finds every name resolved
    probe = _probe(data, {"LEGACY_SHIM_DISABLE": "keras2-import-surface"})
    # the wheels' own aliases (Deconvolution2D = Conv2DTranspose), whichever module defines them
    aliases: dict[str, str] = {}
    for version in VERSIONS:
        modules = _load(wheels.keras_dir(version))
        for module in modules:
            aliases.update(_wheel_aliases(modules, module))
    moved, removed = {}, {}
    for module, names in data.items():
        for name in names:
            status = probe["resolves"][module][name]
            if status is True:
                continue
            target = RENAMED.get(f"{module}:{name}") or _equivalent(module, name, probe["index"], aliases)
            if target is None and name in probe["src"][module]:
                target = f"tf_keras.src.{module}.{name}"
            key = f"{module}:{name}"
            if target is not None:
                moved[key] = target
            else:
                removed[key] = removal_message(module, name)
    total = sum(len(n) for n in data.values())
    header = f'''"""Keras 2.2.4 / 2.3.1 import names that tf_keras serves elsewhere or not at all. GENERATED.

Regenerate with ``python tests/standalone_keras/surface.py`` (it walks the real wheels).
Of {total} public names in {len(data)} app-facing modules of the two wheels, the ones that
``keras.<module>.<name>`` does not already give under the shim:

* ``MOVED``: ``"module:name"`` -> ``"api.path.Attr"``, the tf_keras equivalent, relative
  to the API tree the shim serves (``keras.layers.merge:Add`` -> ``layers.Add``), or an
  absolute ``tf_keras.src...`` / ``tensorflow...`` path for what lives outside tf_keras's
  public API, or ``legacy_shim.keras2_functions...`` for a Keras 2 function tf_keras dropped;
* ``REMOVED``: ``"module:name"`` -> what replaced it, the message of the ImportError
  that ``from keras.<module> import <name>`` raises.

The ``keras2-import-surface`` row of ``legacy_shim.patches`` applies them.
"""

'''
    body = "MOVED: dict[str, str] = " + pprint.pformat(moved, width=110, sort_dicts=True) + "\n\n"
    body += "REMOVED: dict[str, str] = " + pprint.pformat(removed, width=110, sort_dicts=True) + "\n"
    return header + body


def main() -> int:
    text = generate()
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
