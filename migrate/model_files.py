"""TF1-era model files → a form Keras 3 loads, verified before anything is replaced.

Two kinds of file stop a migrated app on Keras 3:

- full-model .h5 saved in TF1 graph mode: their initializer configs carry a `dtype` argument
  (`GlorotUniform.__init__() got an unexpected keyword argument 'dtype'`);
- architecture JSON from `model.to_json()` (the `model_from_json` + `load_weights` pair):
  Keras 2 wrote it without `module` keys, and Keras 3's `model_from_json` stops on
  `Could not locate class 'Sequential'`.

Finding them is cheap (h5py / json read the config; no TensorFlow). Upgrading runs in two
child processes per run, however many files, because TF decides at import which Keras it is
and a TF import costs seconds:

1. ONE tf_keras (eager) process loads every original (an architecture with the weights file
   the same code loads), predicts on a fixed random batch and writes a copy: .h5 re-saved by
   eager tf_keras; JSON re-serialised by tf_keras and made Keras-3-readable
   (:func:`keras3_compatible`), checked there to rebuild the same model in tf_keras too;
2. ONE Keras 3 process loads every copy (architecture + the same weights) and predicts on
   the same batch;
3. only a file whose predictions are equal is replaced: the original is kept as
   `<name>.tf1-orig` and the copy moved into its place (os.replace: atomic).

The upgraded files load in both tf_keras and Keras 3, so a migrated app runs on either.
"""

from __future__ import annotations

import ast
import copy
import fcntl
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from migrate import fileio

ORIGINAL_SUFFIX = ".tf1-orig"
_MODEL_LITERAL = re.compile(r"""['"]([^'"\n]+\.(?:h5|hdf5|json))['"]""")
_H5_SUFFIXES = (".h5", ".hdf5")
# an architecture is a few KB; a bigger .json is data, not worth parsing to find out
_MAX_ARCHITECTURE_BYTES = 20 * 1024 * 1024
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])

# float32 layers computed by two Keras implementations on the same kernels
TOLERANCE = 1e-6


# --- finding ---------------------------------------------------------------------------------


def model_references(code: str) -> list[str]:
    """String literals in `code` that name .h5 / .hdf5 / .json files, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _MODEL_LITERAL.finditer(code):
        seen.setdefault(match.group(1))
    return list(seen)


def tf1_era_reason(path: Path) -> str | None:
    """Why Keras 3 cannot load this model file (None if it can, or if it is not a model file).

    .h5 / .hdf5: a full model saved in TF1 graph mode. .json: a Keras 2 architecture.
    Weights-only .h5 files and JSON that is not a Keras architecture give None.
    """
    path = Path(path)
    if path.suffix == ".json":
        config = read_architecture(path)
        if config is None:
            return None
        if "module" not in config:
            return ("Keras 2 architecture JSON (no 'module' keys): Keras 3's model_from_json "
                    f"cannot locate class {config['class_name']!r}")
        if _initializer_with_dtype(config):
            return "architecture saved in TF1 graph mode (initializer configs carry dtype): Keras 3 cannot load it"
        return None
    config = _h5_model_config(path)
    if config is None:
        return None  # weights only: loaded into a model built by code
    if _initializer_with_dtype(config):
        return "saved in TF1 graph mode (initializer configs carry dtype): Keras 3 cannot load it"
    return None


def read_architecture(path: Path) -> dict | None:
    """The parsed `model.to_json()` document in `path` (any Keras 2 version), or None if the file is not one."""
    try:
        if Path(path).stat().st_size > _MAX_ARCHITECTURE_BYTES:
            return None
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(config, dict) and isinstance(config.get("class_name"), str) and (
            isinstance(config.get("config"), dict)
            # Keras 2.0-2.1 wrote a Sequential's config as its list of layers
            or config["class_name"] == "Sequential" and isinstance(config.get("config"), list)):
        return config
    return None


def is_weights_only(path: Path) -> bool:
    """True for an HDF5 file of weights without a model config (`save_weights` output)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            return handle.attrs.get("model_config") is None and "layer_names" in handle.attrs
    except OSError:
        return False


def _h5_model_config(path: Path) -> dict | None:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
    except OSError:
        return None
    if raw is None:
        return None
    return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)


def _initializer_with_dtype(node) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_initializer") and isinstance(value, dict) and "dtype" in (value.get("config") or {}):
                return True
            if _initializer_with_dtype(value):
                return True
    elif isinstance(node, list):
        return any(_initializer_with_dtype(item) for item in node)
    return False


# --- Keras 2 architecture → one both Kerases read ----------------------------------------------

# Keras-2-only constructor arguments that Keras 3 rejects, dropped only at the value Keras 3
# behaves as anyway (any other value means the model cannot move as it is: verification fails).
# (layer classes, argument, droppable value, why)
_KERAS2_ONLY_ARGUMENTS = (
    (("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "RNN"), "time_major", False,
     "Keras 3 recurrent layers are batch-major only"),
)
# arguments Keras 3 spells as a scalar where Keras 2 saved a one-element list
_SCALAR_ARGUMENTS = ((("BatchNormalization",), "axis", "Keras 3 BatchNormalization takes one int axis"),)
# Keras 2 names a functional model 'Functional'; Keras 3 rebuilds it through 'Model'
_MODEL_CLASSES = {"Functional": "Model", "Model": "Model", "Sequential": "Sequential"}
# where Keras 2 puts a Sequential's input shape on its first layer; Keras 3 wants an InputLayer
_SHAPE_ARGUMENTS = ("batch_input_shape", "input_shape", "input_dim", "batch_size")


def keras3_compatible(config: dict) -> dict:
    """An eager tf_keras `model.to_json()` document rewritten so Keras 3's model_from_json reads it.

    The result still loads in tf_keras: models get the `module` key Keras 3 locates classes
    by, a functional model is named `Model`, a Sequential's input shape moves from its first
    layer into an InputLayer, and the few Keras-2-only arguments in the tables above are
    dropped or reshaped. The input is not modified. Whether the result predicts the same in
    both Kerases is checked by the upgrade, not assumed here.
    """
    config = copy.deepcopy(config)
    _rewrite_node(config)
    return config


def _rewrite_node(node) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite_node(item)
        return
    if not isinstance(node, dict):
        return
    name, inner = node.get("class_name"), node.get("config")
    if isinstance(name, str) and isinstance(inner, dict):
        if name in _MODEL_CLASSES and node.get("module") in (None, "keras"):
            node["class_name"] = _MODEL_CLASSES[name]
            rest = {k: v for k, v in node.items() if k != "module"}
            module = node.get("module") or "keras"
            node.clear()
            node.update({"module": module, **rest})  # first, where Keras 3 writes it
            node.setdefault("registered_name", None)
            if name == "Sequential":
                _sequential_input_layer(inner)
        for classes, argument, droppable, _why in _KERAS2_ONLY_ARGUMENTS:
            if name in classes and argument in inner and inner[argument] == droppable:
                del inner[argument]
        for classes, argument, _why in _SCALAR_ARGUMENTS:
            value = inner.get(argument)
            if name in classes and isinstance(value, list) and len(value) == 1:
                inner[argument] = value[0]
    for value in node.values():
        _rewrite_node(value)


def _sequential_input_layer(inner: dict) -> None:
    layers = inner.get("layers")
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        return
    first_config = layers[0].get("config") or {}
    if layers[0].get("class_name") != "InputLayer" and "batch_input_shape" in first_config:
        layers.insert(0, {
            "module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_input_shape": first_config["batch_input_shape"],
                       "dtype": first_config.get("dtype") if isinstance(first_config.get("dtype"), str) else "float32",
                       "sparse": False, "ragged": False, "name": f"{first_config.get('name', 'input')}_input"},
        })
    if layers[0].get("class_name") == "InputLayer":
        for layer in layers[1:]:
            for argument in _SHAPE_ARGUMENTS:
                (layer.get("config") or {}).pop(argument, None)


# --- reporting and upgrading -------------------------------------------------------------------


@dataclass(frozen=True)
class UpgradeJob:
    """One model file to upgrade; `weights` are the weights-only files the same code loads,
    `missing` the weights files it names that are not on disk (said when weights are copied across)."""

    path: Path
    weights: tuple[Path, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def is_architecture(self) -> bool:
        """True for a JSON architecture (verified together with its weights)."""
        return self.path.suffix == ".json"


class UpgradeError(Exception):
    """The model file could not be upgraded; the original is untouched."""


def find_upgrades(source_path: Path, code: str) -> list[tuple[UpgradeJob, str]]:
    """(job, reason) for every model file `code` loads that Keras 3 cannot load.

    A relative path is relative to the directory the app is started from, which the code
    does not say: every candidate (the source file's folder, its parent, its grandparent:
    Django's `os.path.join(BASE_DIR, 'model.h5')`, a `model/load.py` run from its app's root)
    that holds a TF1-era file is an upgrade, so the one the app opens is never missed.
    An architecture's job lists the weights-only .h5 files the same code names.
    """
    folder = Path(source_path).resolve().parent
    found: dict[Path, str] = {}
    weights: dict[Path, None] = {}
    for name in referenced_names(code):
        for path in _candidates(name, folder):
            if path.suffix not in (*_H5_SUFFIXES, ".json"):
                continue  # an HDF5 model without suffix: unsuffixed_hdf5_models reports it
            reason = tf1_era_reason(path)
            if reason is not None:
                found.setdefault(path, reason)
            elif path.suffix in _H5_SUFFIXES and is_weights_only(path):
                weights.setdefault(path)
    missing = tuple(name for name in loaded_weights(code) if not _candidates(name, folder))
    return [(UpgradeJob(path, *((tuple(weights), missing) if path.suffix == ".json" else ())), reason)
            for path, reason in found.items()]


def loaded_weights(code: str) -> list[str]:
    """The .h5 / .hdf5 names `code` hands to `load_weights`, literal or the literal tail of a
    path built at run time, in order."""
    tree = _parsed(code)
    if tree is None:
        return []
    names: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "load_weights" and node.args:
            for part in ast.walk(node.args[0]):
                if isinstance(part, ast.Constant) and isinstance(part.value, str) and \
                        part.value.endswith(_H5_SUFFIXES):
                    names.setdefault(part.value)
    return list(names)


def referenced_names(code: str) -> list[str]:
    """The paths `code` names, literal or built at run time (:func:`path_tails`), in order.

    A literal that follows a non-literal part (`STATIC_ROOT + "/catdog/m.h5"`) is a tail, not
    an absolute path: only its tail is kept."""
    tails_only = _concatenated_literals(code)
    literal = [n for n in model_references(code) if not (os.path.isabs(n) and n in tails_only)]
    return list(dict.fromkeys([*literal, *path_tails(code)]))


def _located(name: str, folder: Path) -> Path | None:
    """The nearest file `name` may mean from `folder` (see :func:`_candidates`), or None."""
    return next(iter(_candidates(name, folder)), None)


def _candidates(name: str, folder: Path) -> list[Path]:
    """Every file `name` may mean from `folder`: an absolute path itself; a relative one from
    `folder`, its parent and grandparent (any of them may be the working directory the app is
    started from), nearest first; failing all, the one file whose path ends with `name` in the
    nearest of those trees that holds exactly one (`os.path.join(BASE_DIR, 'models',
    'model.json')`, a path handed to a constructor)."""
    if os.path.isabs(name):
        return [Path(name)] if os.path.isfile(name) else []
    bases = (folder, *folder.parents[:2])
    found = [base / name for base in bases if (base / name).is_file()]
    if found:
        return list(dict.fromkeys(found))
    for root in bases:  # nearest tree first: a far one may hold other copies of the app
        hit = _in_tree(name.lstrip("./"), root)
        if hit is not None:
            return [hit]
    return []


# a tree bigger than this is not searched for a literal's tail (a home folder, a monorepo)
_TREE_SEARCH_LIMIT = 20_000


def _in_tree(tail: str, root: Path) -> Path | None:
    if not tail or tail.endswith("/"):
        return None
    parts = tuple(p for p in tail.replace("\\", "/").split("/") if p and p != ".")
    if not parts or ".." in parts:
        return None
    found, seen = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__")]
        seen += len(filenames)
        if seen > _TREE_SEARCH_LIMIT:
            return None
        if parts[-1] in filenames:
            candidate = Path(dirpath) / parts[-1]
            if candidate.parts[-len(parts):] == parts:
                found.append(candidate)
    return found[0] if len(found) == 1 else None  # two candidates: not guessed


_LOADERS = ("load_model", "model_from_json", "load_weights", "model_from_yaml")


@functools.lru_cache(maxsize=4)
def _parsed(code: str) -> ast.Module | None:
    """`code`'s syntax tree, parsed once for the several readers of one file's paths (they
    only walk it), or None when it does not parse."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _concatenated_literals(code: str) -> set[str]:
    """String literals that come after a non-literal part of a `+` concatenation."""
    tree = _parsed(code)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and \
                isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
            left = node.left
            while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
                left = left.left
            if not (isinstance(left, ast.Constant) and isinstance(left.value, str)):
                found.add(node.right.value)
    return found


def path_tails(code: str) -> list[str]:
    """Trailing literal parts of paths built at run time: `os.path.join(BASE_DIR, 'models',
    'm.json')` → 'models/m.json'; `ROOT + '/model.h5'`, `Path(__file__).parent / 'm' / 'x.h5'`,
    f-strings ending in literal text. Resolved like literals (`_located`)."""
    tree = _parsed(code)
    if tree is None:
        return []
    tails: dict[str, None] = {}
    for node in ast.walk(tree):
        literals: list[str] = []
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)) and \
                (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) in ("join", "joinpath"):
            for arg in node.args:
                literals = literals + [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            chain, inner = [], node
            while isinstance(inner, ast.BinOp) and isinstance(inner.op, (ast.Add, ast.Div)):
                chain.append(inner.right)
                inner = inner.left
            for part in reversed(chain):
                literals = literals + [part.value] if isinstance(part, ast.Constant) and isinstance(part.value, str) \
                    else []
            if isinstance(node.op, ast.Add):
                literals = ["".join(literals)] if literals else []
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[-1], ast.Constant):
            literals = [str(node.values[-1].value)]
        tail = "/".join(p.strip("/") for p in literals if p.strip("/"))
        if tail:
            tails.setdefault(tail)
    return [t for t in tails if t]


def unresolved_loaders(code: str, resolved: bool) -> list[tuple[int, str | None, str | None]]:
    """Keras loader calls in a file where no model file could be found (`resolved` False), as
    (line, load_model's path argument's source text, that path when it is a string literal a
    command can take as written): each becomes a manual item saying how to upgrade the file
    by hand (model_from_json's argument is the JSON text, not a path)."""
    if resolved:
        return []
    tree = _parsed(code)
    if tree is None:
        return []
    found: dict[int, tuple[int, str | None, str | None]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called == "model_from_json":
            found.setdefault(node.lineno, (node.lineno, None, None))
        elif called == "load_model":
            arg = node.args[0]
            literal = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
            if literal is not None and (literal.startswith("~") or re.match(r"[A-Za-z]:[\\/]", literal)):
                literal = None  # a home folder or a Windows drive: no command that runs as written here
            found.setdefault(node.lineno, (node.lineno, ast.get_source_segment(code, arg), literal))
    return [found[line] for line in sorted(found)]


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ANY_LITERAL = re.compile(r"""['"]([^'"\n]{1,255})['"]""")


def is_hdf5(path: Path) -> bool:
    """True when `path` starts with the HDF5 signature (whatever its name ends with)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == HDF5_SIGNATURE
    except OSError:
        return False


def unsuffixed_model(source_path: Path | str, name: str) -> Path | None:
    """The full-model HDF5 file a name without a .h5 / .hdf5 / .keras suffix means from
    `source_path` (`load_model('xor_model')`), found as the app finds it and recognised by its
    signature, not its name; None when there is none."""
    if Path(name).suffix in (*_H5_SUFFIXES, ".json", ".keras") or "/" in name and name.endswith("/"):
        return None
    for path in _candidates(name, Path(source_path).resolve().parent):
        if is_hdf5(path) and _h5_model_config(path) is not None:
            return path
    return None


def unsuffixed_hdf5_models(source_path: Path, code: str) -> list[Path]:
    """Full-model HDF5 files `code` names by a literal without a .h5 / .hdf5 suffix."""
    found: dict[Path, None] = {}
    tails_only = _concatenated_literals(code)
    literal = [n for n in _ANY_LITERAL.findall(code) if not (os.path.isabs(n) and n in tails_only)]
    for name in dict.fromkeys([*literal, *path_tails(code)]):
        path = unsuffixed_model(source_path, name)
        if path is not None:
            found.setdefault(path)
    return list(found)


def suffixed_copies(source_path: Path, code: str) -> list[tuple[Path, Path]]:
    """(original, copy) for each `name.h5` the code loads that does not exist yet while `name`
    is an HDF5 model file without a suffix: the copy the model-file-suffix rule pointed the
    code at, which the run writes."""
    found: dict[Path, Path] = {}
    folder = Path(source_path).resolve().parent
    for name in dict.fromkeys(_ANY_LITERAL.findall(code)):
        if not name.endswith(".h5") or _located(name, folder) is not None:
            continue
        original = unsuffixed_model(source_path, name[:-len(".h5")])
        if original is not None:
            found.setdefault(original, original.with_name(original.name + ".h5"))
    return list(found.items())


def upgrade_command(path: Path, weights: Iterable[Path] = (), to: Path | None = None) -> str:
    """The command that upgrades one model file by path (see `main`)."""
    parts = [sys.executable.rsplit("/", 1)[-1] if sys.executable else "python", "-m", "migrate.model_files",
             shlex.quote(str(path))]
    for w in weights:
        parts += ["--weights", shlex.quote(str(w))]
    if to is not None:
        parts += ["--to", shlex.quote(str(to))]
    return " ".join(parts)


def keep_inside(entries: Iterable[dict], roots: Iterable[str]) -> None:
    """Turn every entry to upgrade whose file lies outside `roots` (the paths the user gave:
    a folder, or a file's folder) into a report with the command that upgrades it: another
    app may still load that file with old Keras, so it is never rewritten in place."""
    folders = [Path(r).resolve() if Path(r).is_dir() else Path(r).resolve().parent for r in roots]
    for entry in entries:
        if entry.get("action") != "upgrade":
            continue
        path = Path(entry["path"]).resolve()
        if any(path == f or f in path.parents for f in folders):
            continue
        entry["action"] = "outside"
        entry["message"] = (f"{entry['message'].rsplit('; --write', 1)[0]}; outside the paths given to migrate, "
                            f"so not rewritten (another app may still load it with old Keras): upgrade it with "
                            f"`{upgrade_command(path, [Path(w) for w in entry.get('weights', ())])}`")


def check_model_files(source_path: Path, code: str, write: bool = False) -> list[dict]:
    """Report (and with write=True upgrade) the model files `code` loads that Keras 3 cannot load.

    Returns entries {"path", "action": "upgrade" | "upgraded" | "error" | "manual" | "outside",
    "message"}, plus "weights" (the files an architecture is verified with) for JSON architectures.
    `code` is the text migrate writes: the lines manual entries give are its lines.
    """
    entries = []
    upgrades = find_upgrades(source_path, code)
    unsuffixed = unsuffixed_hdf5_models(source_path, code)
    folder = Path(source_path).resolve().parent
    copies = suffixed_copies(source_path, code)
    found_any = bool(upgrades or unsuffixed or copies) or any(
        _located(name, folder) is not None for name in referenced_names(code))
    for line, argument, literal in unresolved_loaders(code, found_any):
        what = f" (`{argument}`)" if argument and "\n" not in argument and len(argument) <= 120 else ""
        path = Path(literal) if literal else Path("PATH")
        entries.append({"path": str(source_path), "line": line, "action": "manual", "message": (
            f"line {line}: the model file this loads{what} was not found from the code; if it was saved by TF1-era "
            f"Keras, Keras 3 cannot load it: upgrade it{', from the folder the app runs in,' if literal and not path.is_absolute() else ''} "
            f"with `{upgrade_command(path)}` "
            f"(original kept as {shlex.quote(str(path) + '.tf1-orig')})")})
    for path in unsuffixed:
        target = path.with_name(path.name + ".h5")
        at = next((f"line {n}: " for n, line in enumerate(code.splitlines(), 1)
                   if f"'{path.name}'" in line or f'"{path.name}"' in line), "")
        entries.append({"path": str(path), "action": "manual", "message": (
            f"{at}HDF5 model file without a .h5 suffix: Keras 3's load_model refuses it whatever it holds; "
            f"write an upgraded copy with `{upgrade_command(path, to=target)}` and load {target.name!r}")})
    for original, target in copies:
        entries.append({"path": str(target), "from": str(original), "action": "upgrade", "message": (
            f"an HDF5 model file without a .h5 suffix ({original.name}), which Keras 3's load_model refuses "
            f"by its name: the code now loads {target.name}; --write writes it, an upgraded copy "
            f"({original.name} left as it is)")})
    for job, reason in upgrades:
        entry = {"path": str(job.path), "action": "upgrade", "message": f"{reason}; --write upgrades it"}
        if job.is_architecture:
            entry["weights"] = [str(w) for w in job.weights]
            if job.missing:
                entry["missing_weights"] = list(job.missing)
        entries.append(entry)
    if write:
        upgrade_entries(entries)
    return entries


def upgrade_entries(entries: Iterable[dict]) -> None:
    """Upgrade, in one batch, every entry whose action is "upgrade"; each becomes "upgraded" or "error".

    Entries may come from many source files (a whole run): a file named by several is
    upgraded once, verified with every weights file any of them names.
    """
    pending = [e for e in entries if e.get("action") == "upgrade"]
    copies = {Path(e["path"]).resolve(): Path(e["from"]) for e in pending if "from" in e}
    for target, original in copies.items():
        # the copy the code now loads (model-file-suffix): the original's bytes first, so that a
        # failed upgrade still leaves a file tf_keras under the legacy shim loads as before
        if not target.exists():
            fileio.atomic_write(target, original.read_bytes())
    weights: dict[Path, dict[Path, None]] = {}
    missing: dict[Path, dict[str, None]] = {}
    for entry in pending:
        path = Path(entry["path"]).resolve()
        seen = weights.setdefault(path, {})
        for w in entry.get("weights", ()):
            seen.setdefault(Path(w).resolve())
        missing.setdefault(path, {}).update(dict.fromkeys(entry.get("missing_weights", ())))
    outcomes = upgrade_many([UpgradeJob(path, tuple(ws), tuple(missing[path])) for path, ws in weights.items()])
    for entry in pending:
        path = Path(entry["path"]).resolve()
        action, message = outcomes[path]
        if path in copies:
            # the copy's own original is the file it was copied from, left as it was
            path.with_name(path.name + ORIGINAL_SUFFIX).unlink(missing_ok=True)
            message = (f"written: an upgraded copy of {copies[path].name}, which is left as it is" if action == "upgraded"
                       else f"written as a plain copy of {copies[path].name} (the legacy path loads it); {message}")
        entry["action"], entry["message"] = action, message


def upgrade(path: Path, weights: Iterable[Path] = ()) -> str:
    """Upgrade one model file so Keras 3 loads it; keep the original as <name>.tf1-orig.

    Raises UpgradeError (original untouched) when it cannot be done or verified.
    """
    path = Path(path).resolve()
    action, message = upgrade_many([UpgradeJob(path, tuple(Path(w) for w in weights))])[path]
    if action == "error":
        raise UpgradeError(message)
    return message


@dataclass
class _Work:
    job: UpgradeJob
    copy: Path
    data: Path
    outcome: tuple[str, str] | None = None
    legacy: dict = field(default_factory=dict)


def upgrade_many(jobs: Iterable[UpgradeJob]) -> dict[Path, tuple[str, str]]:
    """Upgrade model files with one tf_keras and one Keras 3 process; {resolved path: (action, message)}.

    action is "upgraded" or "error"; a file whose upgrade fails or does not verify is left
    exactly as it was. Never raises for a bad model file.
    """
    jobs = {Path(j.path).resolve(): j for j in jobs}
    results: dict[Path, tuple[str, str]] = {}
    if not jobs:
        return results
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="migrate-models-") as temp:
        for folder in sorted({path.parent for path in jobs}):  # sorted: two runs never wait in a cycle
            stack.enter_context(_folder_lock(folder))
        work: dict[Path, _Work] = {}
        for index, (path, job) in enumerate(sorted(jobs.items())):
            if tf1_era_reason(path) is None:
                results[path] = ("upgraded", "already upgraded")
                continue
            work[path] = _Work(job, Path(temp) / f"{index}{path.suffix}", Path(temp) / f"{index}.npz")
        _run_children(work, Path(temp))
        for path, item in work.items():
            results[path] = item.outcome or _replace(path, item)
    return results


@contextmanager
def _folder_lock(folder: Path):
    # two runs (or two processes of one) may upgrade the same model file: the lock is taken on
    # its folder (no lock file left anywhere), and each file is checked again once it is held
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _run_children(work: dict[Path, _Work], temp: Path) -> None:
    if not work:
        return
    manifest = [
        {"key": str(path), "kind": "architecture" if item.job.is_architecture else "h5", "src": str(path),
         "weights": [str(w) for w in item.job.weights], "copy": str(item.copy), "data": str(item.data),
         "tolerance": TOLERANCE}
        for path, item in work.items()
    ]
    legacy = _child("legacy", manifest, temp, "load with tf_keras and re-save")
    for path, item in work.items():
        answer = legacy.get(str(path)) if isinstance(legacy, dict) else None
        if isinstance(legacy, str):  # the whole child failed
            item.outcome = ("error", f"{legacy}; original left in place")
        elif not isinstance(answer, dict):
            item.outcome = ("error", "tf_keras gave no answer for it; original left in place")
        elif "error" in answer:
            item.outcome = ("error", f"could not load with tf_keras and re-save: {answer['error']}; original left in place")
        else:
            item.legacy = answer
    ready = [entry for entry in manifest if work[Path(entry["key"])].outcome is None]
    if not ready:
        return
    for entry in ready:
        entry["weights_used"] = work[Path(entry["key"])].legacy.get("weights_used")
    checked = _child("keras3", ready, temp, "load the copy with Keras 3")
    for entry in ready:
        item = work[Path(entry["key"])]
        answer = checked.get(entry["key"]) if isinstance(checked, dict) else None
        if isinstance(checked, str):
            item.outcome = ("error", f"{checked}; original left in place")
        elif not isinstance(answer, dict):
            item.outcome = ("error", "Keras 3 gave no answer for it; original left in place")
        elif "error" in answer:
            item.outcome = ("error", f"Keras 3 cannot load the upgraded copy: {answer['error']}; original left in place")
        elif not answer["worst"] <= TOLERANCE:
            item.outcome = ("error", f"Keras 3 predictions differ from tf_keras by {answer['worst']:g}; "
                                     "original left in place")
        else:
            item.legacy["worst"] = answer["worst"]


def _replace(path: Path, item: _Work) -> tuple[str, str]:
    original = path.with_name(path.name + ORIGINAL_SUFFIX)
    if not original.exists():
        original.write_bytes(path.read_bytes())
    staged = path.with_name(f".{path.name}.migrate-new")
    staged.write_bytes(item.copy.read_bytes())
    os.chmod(staged, path.stat().st_mode & 0o7777)
    os.replace(staged, path)
    worst = item.legacy["worst"]
    if item.job.is_architecture:
        used = item.legacy.get("weights_used")
        with_what = f"with {Path(used).name}" if used else f"with weights copied across ({_no_weights(item.job)})"
        return ("upgraded", f"architecture re-serialised for Keras 3 (loads in tf_keras too); predictions "
                            f"{with_what} equal: largest difference {worst:g}; original kept as {original.name}")
    return ("upgraded", f"upgraded for Keras 3 (predictions equal: largest difference {worst:g}); "
                        f"original kept as {original.name}")


def _no_weights(job: UpgradeJob) -> str:
    """Why an architecture was checked with weights copied across, from what the code names."""
    if job.weights:
        return "no weights file the code names fits it"
    if job.missing:
        names = ", ".join(job.missing)
        return f"the weights file{'s' if len(job.missing) > 1 else ''} the code loads, {names}, " \
               f"{'are' if len(job.missing) > 1 else 'is'} not on disk"
    return "no weights file found in the code"


def _child(role: str, manifest: list[dict], temp: Path, what: str):
    """Run `_child_main(role)` in a fresh interpreter; its answers by key, or a message on a crash."""
    manifest_file, answers_file = temp / f"{role}-jobs.json", temp / f"{role}-answers.json"
    manifest_file.write_text(json.dumps(manifest))
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)  # the child picks its Keras by import, not by tf.keras
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["CUDA_VISIBLE_DEVICES"] = ""
    script = (f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
              f"from migrate.model_files import _child_main; _child_main({role!r}, sys.argv[1], sys.argv[2])")
    proc = subprocess.run([sys.executable, "-c", script, str(manifest_file), str(answers_file)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not answers_file.exists():
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        return f"could not {what}: {tail[0]}"
    return json.loads(answers_file.read_text())


# --- the child processes -----------------------------------------------------------------------
# Run only through _child: each imports exactly one Keras. A failure of one model is that
# model's answer; the others go on.


def _child_main(role: str, manifest_file: str, answers_file: str) -> None:
    import numpy as np

    if role == "legacy":
        import tf_keras as keras_module

        handle = _legacy_one
    else:
        import keras as keras_module

        handle = _keras3_one
    answers = {}
    for job in json.loads(Path(manifest_file).read_text()):
        try:
            answers[job["key"]] = handle(job, keras_module, np)
        except Exception as exc:  # this model's answer, not the batch's
            message = str(exc).strip().splitlines()
            answers[job["key"]] = {"error": f"{type(exc).__name__}: {message[0] if message else ''}"[:500]}
        finally:
            keras_module.backend.clear_session()
    Path(answers_file).write_text(json.dumps(answers))


def _fixed_inputs(model, np) -> list:
    rng = np.random.default_rng(0)
    inputs = []
    for tensor in model.inputs:
        shape = tuple(4 if d is None else d for d in tensor.shape)
        dtype = getattr(tensor.dtype, "name", tensor.dtype) or "float32"
        if np.issubdtype(np.dtype(dtype), np.integer):
            inputs.append(rng.integers(0, 2, size=shape).astype(dtype))  # valid ids for any Embedding
        else:
            inputs.append(rng.standard_normal(shape).astype(dtype))
    return inputs


def _predict(model, xs, np) -> list:
    ys = model.predict_on_batch(xs if len(xs) > 1 else xs[0])
    return [np.asarray(y) for y in (ys if isinstance(ys, (list, tuple)) else [ys])]


def _worst(ys, expected, np) -> float:
    if len(ys) != len(expected):
        return float("inf")
    return max((float(np.max(np.abs(y - e))) if e.size else 0.0 for y, e in zip(ys, expected)), default=0.0)


def _legacy_one(job: dict, tf_keras, np) -> dict:
    weights_used = None
    if job["kind"] == "h5":
        model = tf_keras.models.load_model(job["src"], compile=False)
    else:
        text = Path(job["src"]).read_text(encoding="utf-8")
        model = tf_keras.models.model_from_json(text)
        for candidate in job["weights"]:  # the first weights file the architecture accepts
            try:
                model.load_weights(candidate)
            except Exception:
                continue
            weights_used = candidate
            break
    if not model.inputs:
        raise ValueError("the model has no input shape (never built), nothing to verify with")
    xs = _fixed_inputs(model, np)
    ys = _predict(model, xs, np)
    arrays = {f"x{i}": x for i, x in enumerate(xs)}
    arrays.update({f"y{i}": y for i, y in enumerate(ys)})
    if job["kind"] == "h5":
        model.save(job["copy"], save_format="h5")
    else:
        new_config = keras3_compatible(json.loads(model.to_json()))
        new_text = json.dumps(new_config, indent=2 if "\n" in text.strip() else None)
        # the migrated app may run on tf_keras too: the new architecture must rebuild there
        rebuilt = tf_keras.models.model_from_json(new_text)
        if weights_used:
            rebuilt.load_weights(weights_used)
        else:
            rebuilt.set_weights(model.get_weights())
            arrays.update({f"w{i}": w for i, w in enumerate(model.get_weights())})
        worst = _worst(_predict(rebuilt, xs, np), ys, np)
        if not worst <= job["tolerance"]:
            raise ValueError(f"the rewritten architecture predicts differently in tf_keras (by {worst:g})")
        Path(job["copy"]).write_text(new_text + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
    np.savez(job["data"], **arrays)
    return {"weights_used": weights_used}


def _keras3_one(job: dict, keras, np) -> dict:
    data = np.load(job["data"])
    ordered = lambda prefix: [data[k] for k in sorted((k for k in data.files if k.startswith(prefix)),
                                                      key=lambda k: int(k[1:]))]
    xs, expected = ordered("x"), ordered("y")
    if job["kind"] == "h5":
        model = keras.models.load_model(job["copy"], compile=False)
    else:
        model = keras.models.model_from_json(Path(job["copy"]).read_text(encoding="utf-8"))
        if job.get("weights_used"):
            model.load_weights(job["weights_used"])  # as the migrated app will
        else:
            model.set_weights(ordered("w"))
    return {"worst": _worst(_predict(model, xs, np), expected, np)}


# --- command line ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m migrate.model_files PATH [--weights W ...] [--to NEW]`: upgrade one model file.

    In place (the original kept as <name>.tf1-orig), or with --to into a new file, leaving
    PATH as it is. Exit 0 upgraded (or already), 1 not done (the message says why).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m migrate.model_files", description=main.__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--weights", type=Path, action="append", default=[],
                        help="weights-only .h5 the code loads into an architecture JSON (repeatable)")
    parser.add_argument("--to", type=Path, help="write the upgraded model here instead of replacing PATH")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"{args.path}: no such file", file=sys.stderr)
        return 1
    path = args.path
    if args.to is not None:
        if args.to.exists():
            print(f"{args.to}: exists; not overwritten", file=sys.stderr)
            return 1
        shutil.copyfile(args.path, args.to)
        path = args.to
    try:
        message = upgrade(path, args.weights)
    except UpgradeError as exc:
        if args.to is not None:
            args.to.unlink(missing_ok=True)
        print(f"{args.path}: {exc}", file=sys.stderr)
        return 1
    if args.to is not None:
        path.with_name(path.name + ORIGINAL_SUFFIX).unlink(missing_ok=True)  # PATH itself is the original
    print(f"{path}: {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
