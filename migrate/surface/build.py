"""Regenerate migrate/surface/generated.py from the real APIs: `python -m migrate.surface.build`.

The table of what Keras 3 (and TF 2) removed or renamed is read, never written by hand:

1. one child process per Keras 2 release (2.2.4 and 2.3.1, the real wheels, imported under
   legacy_shim) lists every public name of every public module, Model's public methods, and
   every argument alias Keras 2 itself accepted: the conversions of its legacy interfaces
   (`output_dim` → `units` on Dense, `nb_epoch` → `epochs` on fit_generator, ...) and the
   `new = kwargs.pop('old', new)` aliases in its sources (`lr` → `learning_rate`, `nb_epoch`);
2. one child process with today's stack looks each name up in Keras 3 (as `keras.*` and as
   `tensorflow.keras.*`, which differ), and keeps an alias only where Keras 3 takes the new
   name and refuses the old one; TF 1 names come from `tf.compat.v1` against `tf`.

Needs the Keras 2 wheels (tests/standalone_keras/wheels.py installs them into .cache/).
"""

from __future__ import annotations

import json
import os
import pprint
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUTPUT = HERE / "generated.py"
KERAS2_VERSIONS = ("2.2.4", "2.3.1")
# Keras 2 modules apps import names from (submodules that moved are listed under their old
# name too: `keras.layers.core.Dense`), and the TF modules whose TF 1 names Keras apps used
KERAS2_MODULES = (
    "keras", "keras.activations", "keras.applications", "keras.backend", "keras.callbacks", "keras.constraints",
    "keras.datasets", "keras.initializers", "keras.layers", "keras.losses", "keras.metrics", "keras.models",
    "keras.optimizers", "keras.preprocessing", "keras.preprocessing.image", "keras.preprocessing.sequence",
    "keras.preprocessing.text", "keras.regularizers", "keras.utils", "keras.wrappers.scikit_learn",
    "keras.utils.np_utils", "keras.engine",
)
TF1_MODULES = ("", "train", "nn", "layers", "image", "summary")

# --- child 1: a Keras 2 release ---------------------------------------------------------------
KERAS2_CHILD = r'''
import importlib, inspect, json, re, sys, types
import legacy_shim
import keras
from keras.models import Model

modules = json.loads(sys.argv[1])
out = {"version": keras.__version__, "names": {}, "aliases": {}, "methods": sorted(
    n for n in dir(Model) if not n.startswith("_") and callable(getattr(Model, n, None)))}
POP = re.compile(r"(\w+) = kwargs\.pop\(['\"](\w+)['\"](?:,\s*\1)?\)")

def public(module):
    names = {}
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        home = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None) or ""
        if isinstance(value, types.ModuleType) and not home.startswith("keras"):
            continue
        if callable(value) and not isinstance(value, types.ModuleType) and not home.startswith("keras"):
            continue  # numpy, tensorflow, six, ... imported for Keras' own use
        if type(value).__module__ == "__future__":
            continue  # `from __future__ import division` in Keras' own source
        names[name] = "module" if isinstance(value, types.ModuleType) else (
            "class" if inspect.isclass(value) else "function" if callable(value) else "constant")
    return names

def aliases_of(function):
    """{old: new} Keras 2 accepted for `function`: legacy-interface conversions and kwargs pops."""
    found = {}
    for cell in getattr(function, "__closure__", None) or ():
        value = cell.cell_contents
        if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            found.update({old: new for old, new in value if isinstance(old, str) and isinstance(new, str)})
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            found.update({f"{old}=": json.dumps(v) for old, v in value.items()})  # value conversions
    target = inspect.unwrap(function)
    try:
        source = inspect.getsource(target)
        parameters = set(inspect.signature(target).parameters)
    except (OSError, TypeError, ValueError):
        return found
    for new, old in POP.findall(source):
        if new in parameters and old not in parameters and old != new:
            found[old] = new
    return found

for name in modules:
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        continue
    out["names"][name] = public(module)
    for attr in out["names"][name]:
        value = getattr(module, attr)
        if inspect.isclass(value):
            targets = {attr: value.__init__}
            if issubclass(value, Model) and attr in ("Model", "Sequential"):
                targets.update({f"{attr}.{m}": getattr(value, m) for m in out["methods"]})
        elif inspect.isfunction(value):
            targets = {attr: value}
        else:
            continue
        for qualified, function in targets.items():
            found = aliases_of(function)
            if found:
                out["aliases"][f"{name}.{qualified}"] = found
print(json.dumps(out))
'''

# --- child 2: today's stack -------------------------------------------------------------------
TODAY_CHILD = r'''
import importlib, inspect, json, sys
import tensorflow as tf
import keras
query = json.loads(sys.argv[1])
out = {"versions": {"keras": keras.__version__, "tensorflow": tf.__version__}, "have": {}, "takes": {}, "tf1": {}}

def lookup(dotted):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except Exception:
            continue
        try:
            for part in parts[cut:]:
                value = getattr(value, part)
        except AttributeError:
            return None
        return value
    return None

for dotted in query["names"]:
    out["have"][dotted] = lookup(dotted) is not None
for dotted, names in query["arguments"].items():
    value = lookup(dotted)
    if value is None:
        continue
    target = value.__init__ if inspect.isclass(value) else value
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        continue
    out["takes"][dotted] = [n for n in names if n in parameters]
for module in query["tf1"]:
    v1 = lookup("tensorflow.compat.v1" + ("." + module if module else ""))
    v2 = lookup("tensorflow" + ("." + module if module else ""))
    if v1 is None:
        continue
    out["tf1"][module] = sorted(n for n in dir(v1) if not n.startswith("_") and (v2 is None or not hasattr(v2, n)))
print(json.dumps(out))
'''

from migrate.surface import MOVED_MODULES  # noqa: E402  (a name is looked up under its new home)

TARGETS = ("keras", "tensorflow.keras")


def _run(code: str, argument: str, pythonpath: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath), TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    with tempfile.TemporaryDirectory() as temp:
        script = Path(temp) / "child.py"
        script.write_text(code)
        proc = subprocess.run([sys.executable, str(script), argument], capture_output=True, text=True, env=env,
                              cwd=temp, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _moved(module: str) -> str:
    suffix = module[len("keras."):] if module != "keras" else ""
    suffix = MOVED_MODULES.get(suffix, suffix)
    return "keras" + ("." + suffix if suffix else "")


def build() -> dict:
    """Run the children and return the table (see generated.py's docstring for its shape)."""
    from tests.standalone_keras.wheels import keras_dir

    releases = [_run(KERAS2_CHILD, json.dumps(KERAS2_MODULES), [str(keras_dir(v)), str(REPO)])
                for v in KERAS2_VERSIONS]
    names: dict[str, dict[str, str]] = {}  # module → name → the releases that have it
    for release in releases:
        for module, found in release["names"].items():
            for name in found:
                names.setdefault(module, {}).setdefault(name, [])
                names[module][name].append(release["version"])
    methods = sorted({m for r in releases for m in r["methods"]})
    aliases: dict[str, dict[str, str]] = {}
    for release in releases:
        for callable_name, found in release["aliases"].items():
            aliases.setdefault(callable_name, {}).update(found)
    query_names = []
    for target in TARGETS:
        for module, found in names.items():
            home = target + _moved(module)[len("keras"):]
            query_names += [f"{home}.{n}" for n in found]
        query_names += [f"{target}.models.Model.{m}" for m in methods]
    query_args = {}
    for callable_name, found in aliases.items():
        module, _, rest = callable_name.rpartition(".")
        for target in TARGETS:
            owner = callable_name.split(".")
            home = _moved(".".join(owner[:-1] if "." not in rest else owner[:-2]))
            tail = ".".join(owner[-1:] if "." not in rest else owner[-2:])
            query_args[f"{target}{home[len('keras'):]}.{tail}"] = sorted(
                {k.rstrip("=") for k in found} | {v for v in found.values() if not v.startswith("{")})
    today = _run(TODAY_CHILD, json.dumps({"names": query_names, "arguments": query_args, "tf1": TF1_MODULES}),
                 [str(REPO)])
    table = {"versions": {"keras2": [r["version"] for r in releases], **today["versions"]},
             "missing": {}, "arguments": {}, "value_maps": {}, "tf1_missing": {}}
    for target in TARGETS:
        missing: dict[str, dict[str, str]] = {}
        for module, found in sorted(names.items()):
            home = target + _moved(module)[len("keras"):]
            for name, versions in sorted(found.items()):
                if not today["have"].get(f"{home}.{name}"):
                    missing.setdefault(home, {})[name] = "/".join(versions)
        for method in methods:
            if not today["have"].get(f"{target}.models.Model.{method}"):
                missing.setdefault(f"{target}.models.Model", {})[method] = "method"
        table["missing"][target] = missing
    for callable_name, found in sorted(aliases.items()):
        renames, values = {}, {}
        for old, new in sorted(found.items()):
            if old.endswith("="):
                values[old[:-1]] = json.loads(new)
                continue
            # exact only where every target takes the new name and refuses the old one
            takes = []
            for target in TARGETS:
                owner = callable_name.split(".")
                dotted = [k for k in query_args if k.startswith(target + ".") and k.endswith("." + ".".join(
                    owner[-2:] if owner[-2][:1].isupper() else owner[-1:]))]
                takes.append([today["takes"].get(d) for d in dotted])
            if all(t and t[0] is not None and new in t[0] and old not in t[0] for t in takes):
                renames[old] = new
        if renames:
            table["arguments"][callable_name] = renames
        if values:
            table["value_maps"][callable_name] = values
    table["tf1_missing"] = {("tensorflow" + ("." + m if m else "")): names for m, names in today["tf1"].items()}
    return table


HEADER = '''"""GENERATED by `python -m migrate.surface.build` from the real Keras 2.2.4 / 2.3.1, Keras 3 and
TF APIs; do not edit by hand.

MISSING[target][module][name]: public Keras 2 names (and Model methods) that `target`
("keras" = Keras 3, "tensorflow.keras" = TF's Keras on today's stack) lacks; the value says
which Keras 2 releases had it. Modules are the target's spelling after keras_imports' moves.
ARGUMENTS[callable][old] = new: keyword names Keras 2 itself accepted as aliases that Keras 3
refuses, renamed to the name both take (exact). VALUE_MAPS[callable][argument]: Keras 2's own
value conversions for legacy arguments. TF1_MISSING[module]: `tf.compat.v1` names `tf` lacks.
"""
'''


def main(argv: list[str] | None = None) -> int:
    table = build()
    text = HEADER + "\n" + "\n\n".join(
        f"{constant} = {pprint.pformat(table[key], width=116, sort_dicts=True)}"
        for constant, key in (("VERSIONS", "versions"), ("MISSING", "missing"), ("ARGUMENTS", "arguments"),
                              ("VALUE_MAPS", "value_maps"), ("TF1_MISSING", "tf1_missing"))) + "\n"
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(REPO)}: "
          + ", ".join(f"{t}: {sum(map(len, table['missing'][t].values()))} missing names" for t in TARGETS)
          + f", {len(table['arguments'])} callables with renamed arguments")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
