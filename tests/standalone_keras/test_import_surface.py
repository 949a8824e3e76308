"""Every app-facing public name of real Keras 2.2.4 and 2.3.1 works under the shim on tf_keras:
``from keras.<module> import <name>`` gives the tf_keras equivalent, or raises the ImportError
that says what replaced it. The names come from the real wheels' source (tests/standalone_keras/
surface.py), not from a list written here; the child runs on tf_keras (no wheel on its path).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from . import surface

REPO = str(surface.REPO_ROOT)

_CHECK = r"""
import importlib, json, sys
import legacy_shim
from legacy_shim import keras2_surface
from legacy_shim.keras_aliases import RemovedInKeras2Error
data = json.load(open(sys.argv[1]))
failures, resolved, removed = [], 0, 0
for module, names in data.items():
    path = "keras." + module if module else "keras"
    try:
        mod = importlib.import_module(path)
    except Exception as exc:
        failures.append(f"import {path}: {type(exc).__name__}: {exc}")
        continue
    for name in names:
        try:
            getattr(mod, name)
            resolved += 1
        except RemovedInKeras2Error as exc:
            message = keras2_surface.REMOVED.get(f"{module}:{name}", "")
            if message and message in str(exc):
                removed += 1
            else:
                failures.append(f"from {path} import {name}: ImportError without the reason: {exc}")
        except Exception as exc:
            failures.append(f"from {path} import {name}: {type(exc).__name__}: {exc}")
json.dump({"failures": failures, "resolved": resolved, "removed": removed}, open(sys.argv[2], "w"))
"""


@pytest.mark.slow(reason="installs the two Keras wheels on first use (pip, network) and imports ~80 modules")
@pytest.mark.parametrize("mode", ["graph", "eager"])
def test_every_public_keras2_name_resolves_or_says_what_replaced_it(tmp_path, mode):
    names = surface.surface()
    assert sum(len(v) for v in names.values()) > 1000  # the walk found the surface, not a stub
    src, dst = tmp_path / "surface.json", tmp_path / "out.json"
    src.write_text(json.dumps(names))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGACY_SHIM_") and k != "TF_USE_LEGACY_KERAS"}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")])), TF_CPP_MIN_LOG_LEVEL="2",
               LEGACY_SHIM_MODE=mode)
    proc = subprocess.run([sys.executable, "-c", _CHECK, str(src), str(dst)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(dst.read_text())
    assert result["failures"] == [], "\n".join(result["failures"][:40])
    assert result["resolved"] > result["removed"] > 0


def test_per_model_application_functions_come_from_their_own_model():
    """`preprocess_input` / `decode_predictions` differ per model: never another model's."""
    from legacy_shim import keras2_surface

    checked = 0
    for key, target in keras2_surface.MOVED.items():
        module, name = key.split(":")
        if module.startswith("applications.") and name in surface.PER_MODEL_NAMES:
            source_model, target_model = module.split(".")[1], target.split(".")[1]
            assert source_model.replace("_", "") == target_model.replace("_", ""), f"{key} -> {target}"
            checked += 1
    assert checked >= 2  # Keras 2.2.4's keras.applications.mobilenetv2 has both


def test_mobilenetv2_preprocess_input_scales_like_keras2(tmp_path):
    """Keras 2.2.4's `keras.applications.mobilenetv2.preprocess_input` maps [0, 255] to [-1, 1]."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGACY_SHIM_") and k != "TF_USE_LEGACY_KERAS"}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")])), TF_CPP_MIN_LOG_LEVEL="2")
    code = ("import legacy_shim, json, numpy as np\n"
            "from keras.applications.mobilenetv2 import preprocess_input\n"
            "print(json.dumps(preprocess_input(np.array([[0.0, 127.5, 255.0]])).tolist()))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [[-1.0, 0.0, 1.0]]


@pytest.mark.parametrize("mode", ["graph", "eager"])
def test_image_dim_ordering_behaves_as_in_keras2(tmp_path, mode):
    """`K.image_dim_ordering()` / `K.set_image_dim_ordering()`: Keras 2's values and error, both modes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGACY_SHIM_") and k != "TF_USE_LEGACY_KERAS"}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")])), TF_CPP_MIN_LOG_LEVEL="2",
               LEGACY_SHIM_MODE=mode)
    code = ("import legacy_shim, json\n"
            "from keras import backend as K\n"
            "from keras.backend.common import image_dim_ordering\n"
            "seen = [K.image_dim_ordering()]\n"
            "K.set_image_dim_ordering('th')\n"
            "seen += [K.image_data_format(), image_dim_ordering()]\n"
            "try:\n"
            "    K.set_image_dim_ordering('channels_last')\n"
            "except ValueError as exc:\n"
            "    seen.append(list(exc.args))\n"
            "print(json.dumps(seen))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [
        "tf", "channels_first", "th", ["Unknown dim_ordering:", "channels_last"]]
