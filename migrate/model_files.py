"""TF1-era .h5 model files → a form Keras 3 loads, verified before anything is replaced.

Keras 3 loads .h5 files saved by eager tf_keras, but not those saved in TF1 graph mode: their
initializer configs carry a `dtype` argument (`GlorotUniform.__init__() got an unexpected
keyword argument 'dtype'`). Finding them is cheap (h5py reads the config; no TensorFlow).
Upgrading runs in subprocesses, because TF decides at import which Keras it is:

1. tf_keras (eager) loads the original, predicts on a fixed random batch, saves a copy;
2. Keras 3 loads the copy and predicts on the same batch;
3. only if the predictions are equal is the original kept as `<name>.tf1-orig` and the
   copy moved into its place (os.replace: atomic).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ORIGINAL_SUFFIX = ".tf1-orig"
_MODEL_LITERAL = re.compile(r"""['"]([^'"\n]+\.(?:h5|hdf5))['"]""")

# Child 1: the legacy loader. Argv: original, copy, npz for inputs and outputs.
_SAVE_WITH_TF_KERAS = r"""
import sys, numpy as np
import tf_keras
src, dst, npz = sys.argv[1:4]
model = tf_keras.models.load_model(src, compile=False)
rng = np.random.default_rng(0)
shapes = [tuple(4 if d is None else d for d in t.shape) for t in model.inputs]
xs = [rng.standard_normal(s).astype(t.dtype.name if hasattr(t.dtype, "name") else "float32") for s, t in zip(shapes, model.inputs)]
ys = model.predict_on_batch(xs if len(xs) > 1 else xs[0])
ys = ys if isinstance(ys, list) else [ys]
model.save(dst, save_format="h5")
np.savez(npz, **{f"x{i}": x for i, x in enumerate(xs)}, **{f"y{i}": np.asarray(y) for i, y in enumerate(ys)})
"""

# Child 2: Keras 3 on the copy. Prints the largest absolute difference.
_CHECK_WITH_KERAS3 = r"""
import sys, numpy as np
import keras
dst, npz = sys.argv[1:3]
data = np.load(npz)
xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
expected = [data[k] for k in sorted(k for k in data.files if k.startswith("y"))]
model = keras.models.load_model(dst, compile=False)
ys = model.predict_on_batch(xs if len(xs) > 1 else xs[0])
ys = ys if isinstance(ys, list) else [ys]
worst = max(float(np.max(np.abs(np.asarray(y) - e))) if e.size else 0.0 for y, e in zip(ys, expected))
print(worst)
"""

# float32 dense layers computed by two Keras implementations on the same kernels
TOLERANCE = 1e-6


def model_references(code: str) -> list[str]:
    """String literals in `code` that name .h5 / .hdf5 files, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in _MODEL_LITERAL.finditer(code):
        seen.setdefault(match.group(1))
    return list(seen)


def tf1_era_reason(path: Path) -> str | None:
    """Why Keras 3 cannot load this .h5 (None if it can, or if it is not a full-model file)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
    except OSError:
        return None
    if raw is None:
        return None  # weights only: loaded into a model built by code
    config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    if _initializer_with_dtype(config):
        return "saved in TF1 graph mode (initializer configs carry dtype): Keras 3 cannot load it"
    return None


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


def check_model_files(source_path: Path, code: str, write: bool = False) -> list[dict]:
    """Report (and with write=True upgrade) the .h5 files `code` loads that Keras 3 cannot load.

    Paths are resolved against the source file's folder (where legacy apps are run from).
    Returns entries {"path", "action": "upgrade" | "upgraded" | "error", "message"}.
    """
    entries = []
    folder = Path(source_path).resolve().parent
    for name in model_references(code):
        path = (folder / name) if not os.path.isabs(name) else Path(name)
        if not path.is_file():
            continue
        reason = tf1_era_reason(path)
        if reason is None:
            continue
        if not write:
            entries.append({"path": str(path), "action": "upgrade", "message": f"{reason}; --write upgrades it"})
            continue
        try:
            message = upgrade(path)
            entries.append({"path": str(path), "action": "upgraded", "message": message})
        except UpgradeError as exc:
            entries.append({"path": str(path), "action": "error", "message": str(exc)})
    return entries


class UpgradeError(Exception):
    """The model file could not be upgraded; the original is untouched."""


def upgrade(path: Path) -> str:
    """Re-save a TF1-era .h5 so Keras 3 loads it; keep the original as <name>.tf1-orig."""
    path = Path(path)
    lock_name = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"migrate-h5-{lock_name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two source files may load the same model
        if tf1_era_reason(path) is None:
            return "already upgraded"
        with tempfile.TemporaryDirectory(prefix="migrate-h5-") as work:
            copy = Path(work) / path.name
            npz = Path(work) / "check.npz"
            _child(_SAVE_WITH_TF_KERAS, [str(path), str(copy), str(npz)], "load with tf_keras and re-save")
            worst = float(_child(_CHECK_WITH_KERAS3, [str(copy), str(npz)], "load the copy with Keras 3").strip().splitlines()[-1])
            if not worst <= TOLERANCE:
                raise UpgradeError(f"Keras 3 predictions differ from tf_keras by {worst:g}; original left in place")
            original = path.with_name(path.name + ORIGINAL_SUFFIX)
            if not original.exists():
                original.write_bytes(path.read_bytes())
            staged = path.with_name(f".{path.name}.migrate-new")
            staged.write_bytes(copy.read_bytes())
            os.chmod(staged, path.stat().st_mode & 0o7777)
            os.replace(staged, path)
    return (f"upgraded for Keras 3 (predictions equal: largest difference {worst:g}); "
            f"original kept as {original.name}")




def _child(script: str, args: list[str], what: str) -> str:
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["CUDA_VISIBLE_DEVICES"] = ""
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise UpgradeError(f"could not {what}: {tail[0]}; original left in place")
    return proc.stdout
