"""A Keras-3-loadable copy of a catalogue model, for the migrated apps (variants c, d, e).

Keras 3 cannot read the TF1-era .h5 files of the fixtures (its load_model fails on
mlp_softmax.h5: tests/migrate/test_model_files.py), and the migrated apps must run on it.
``migrate --write`` upgrades them (MIGRATION.md, "Model files"); where the benchmark serves a
hand-written migrated app instead of the tool's output, this module rebuilds
the same architecture with the same deterministic weights
(``fixtures.models.deterministic_weights``) in Keras 3 and saves it under the same file name,
in a child process so the caller's Keras is never touched. The serving benchmark checks that
its answers match the legacy model's before timing anything.

    python -m benchmarks.keras3_model MODEL_NAME DEST.h5
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def loads_on_keras3(path: Path) -> bool:
    """True if plain Keras 3 (no shim) loads ``path``, checked in a child process."""
    code = "import sys, keras; keras.models.load_model(sys.argv[1], compile=False)"
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          env=_env(), cwd=str(REPO_ROOT))
    return proc.returncode == 0


def write_keras3_copy(model_name: str, dest: Path) -> Path:
    """Save catalogue model ``model_name`` as a Keras 3 .h5 file at ``dest``; return ``dest``."""
    proc = subprocess.run([sys.executable, "-m", "benchmarks.keras3_model", model_name, str(dest)],
                          capture_output=True, text=True, env=_env(), cwd=str(REPO_ROOT))
    if proc.returncode != 0:
        raise RuntimeError(f"Keras 3 rebuild of {model_name} failed:\n{proc.stderr[-3000:]}")
    return Path(dest)


def _env() -> dict:
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _build(model_name: str, dest: Path) -> None:
    import keras

    from fixtures.models import BY_NAME, deterministic_weights

    spec = BY_NAME[model_name]
    model = keras.Sequential([keras.Input(shape=(spec.input_dim,))]
                             + [keras.layers.Dense(units, activation=act) for units, act in spec.layers])
    model.compile(optimizer="adam", loss=spec.loss)
    model.set_weights(deterministic_weights(spec))
    model.save(str(dest))


if __name__ == "__main__":
    _build(sys.argv[1], Path(sys.argv[2]))
