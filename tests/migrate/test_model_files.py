"""TF1-era .h5 files: found cheaply, upgraded only after Keras 3 is shown to predict the same."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fixtures import models as model_factory
from migrate import model_files

pytestmark = pytest.mark.xdist_group("model-files")

# Loads one .h5 with the named Keras in a fresh interpreter and prints predictions on fixed inputs.
_PREDICT = r"""
import json, sys
import numpy as np
flavour, path = sys.argv[1:3]
if flavour == "tf_keras":
    import tf_keras as K
else:
    import keras as K
model = K.models.load_model(path, compile=False)
x = np.random.default_rng(7).standard_normal((5, model.inputs[0].shape[-1])).astype("float32")
print(json.dumps(np.asarray(model.predict_on_batch(x)).tolist()))
"""


def _predict(flavour: str, path: Path):
    proc = subprocess.run([sys.executable, "-c", _PREDICT, flavour, str(path)], capture_output=True, text=True,
                          env={**_clean_env(), "TF_CPP_MIN_LOG_LEVEL": "3"})
    return proc.returncode, proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]


def _clean_env():
    import os

    return {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}


@pytest.fixture(scope="module")
def tf1_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("h5")
    source = model_factory.built_models_dir() / model_factory.BY_NAME["mlp_softmax"].filename
    target = folder / "model.h5"
    shutil.copyfile(source, target)
    return target


def test_references_found_in_code():
    code = "m = load_model('models/a.h5')\nw = 'b.hdf5'\nx = load_model(\"models/a.h5\")\n# 'c.txt'\n"
    assert model_files.model_references(code) == ["models/a.h5", "b.hdf5"]


def test_tf1_era_file_is_detected_and_keras3_really_cannot_load_it(tf1_model):
    assert model_files.tf1_era_reason(tf1_model) is not None
    code, out = _predict("keras3", tf1_model)
    assert code != 0 and "dtype" in out  # the detection matches Keras 3's real failure


def test_report_without_write_changes_nothing(tf1_model, tmp_path):
    app = tmp_path / "app.py"
    app.write_text("from keras.models import load_model\nmodel = load_model('model.h5')\n")
    shutil.copyfile(tf1_model, tmp_path / "model.h5")
    before = (tmp_path / "model.h5").read_bytes()
    [entry] = model_files.check_model_files(app, app.read_text(), write=False)
    assert entry["action"] == "upgrade" and entry["path"].endswith("model.h5")
    assert (tmp_path / "model.h5").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py", "model.h5"]


@pytest.mark.slow
def test_upgrade_keeps_original_and_keras3_predicts_what_tf_keras_did(tf1_model, tmp_path):
    app = tmp_path / "app.py"
    app.write_text("from tensorflow.keras.models import load_model\nmodel = load_model('model.h5')\n")
    shutil.copyfile(tf1_model, tmp_path / "model.h5")
    original = (tmp_path / "model.h5").read_bytes()
    [entry] = model_files.check_model_files(app, app.read_text(), write=True)
    assert entry["action"] == "upgraded", entry
    kept = tmp_path / ("model.h5" + model_files.ORIGINAL_SUFFIX)
    assert kept.read_bytes() == original
    assert model_files.tf1_era_reason(tmp_path / "model.h5") is None
    legacy_code, legacy = _predict("tf_keras", kept)
    new_code, new = _predict("keras3", tmp_path / "model.h5")
    assert legacy_code == 0 and new_code == 0, (legacy, new)
    np.testing.assert_allclose(np.array(json.loads(new)), np.array(json.loads(legacy)), rtol=0, atol=1e-6)
    # a second pass finds nothing to do
    assert model_files.check_model_files(app, app.read_text(), write=True) == []


@pytest.mark.slow
def test_failed_verification_leaves_the_original_in_place(tf1_model, tmp_path, monkeypatch):
    target = tmp_path / "model.h5"
    shutil.copyfile(tf1_model, target)
    before = target.read_bytes()
    monkeypatch.setattr(model_files, "TOLERANCE", -1.0)  # no difference can pass
    with pytest.raises(model_files.UpgradeError, match="differ"):
        model_files.upgrade(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]
