"""TF1-era model files (.h5, model_from_json architectures): found cheaply, upgraded only after
Keras 3 is shown to predict what tf_keras predicted on the original, all in one batch per run."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fixtures import models as model_factory
from migrate import model_files, runner

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


# The model_from_json + load_weights pair, as the threadpool_worker fixture app loads it.
_PREDICT_ARCHITECTURE = r"""
import json, sys
import numpy as np
flavour, path, weights = sys.argv[1:4]
if flavour == "tf_keras":
    import tf_keras as K
else:
    import keras as K
with open(path) as f:
    model = K.models.model_from_json(f.read())
model.load_weights(weights)
x = np.random.default_rng(7).standard_normal((5, model.inputs[0].shape[-1])).astype("float32")
print(json.dumps(np.asarray(model.predict_on_batch(x)).tolist()))
"""


def _predict(flavour: str, path: Path, weights: Path | None = None):
    script, extra = (_PREDICT, []) if weights is None else (_PREDICT_ARCHITECTURE, [str(weights)])
    proc = subprocess.run([sys.executable, "-c", script, flavour, str(path), *extra], capture_output=True, text=True,
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


@pytest.fixture(scope="module")
def architecture_pair(tmp_path_factory) -> tuple[Path, Path]:
    """The TF1-era (architecture JSON, weights-only .h5) pair of the threadpool_worker app."""
    folder = tmp_path_factory.mktemp("json")
    built = model_factory.built_models_dir()
    pair = []
    for name, target in (("small_softmax_arch", "model_architecture.json"), ("small_softmax_weights", "model_weights.h5")):
        shutil.copyfile(built / model_factory.BY_NAME[name].filename, folder / target)
        pair.append(folder / target)
    return pair[0], pair[1]


JSON_APP = (
    "from keras.models import model_from_json\n"
    "with open('model_architecture.json') as f:\n"
    "    model = model_from_json(f.read())\n"
    "model.load_weights('model_weights.h5')\n"
)


def _json_app(folder: Path, pair: tuple[Path, Path]) -> Path:
    for source in pair:
        shutil.copyfile(source, folder / source.name)
    app = folder / "app.py"
    app.write_text(JSON_APP)
    return app


def test_references_found_in_code():
    code = ("m = load_model('models/a.h5')\nw = 'b.hdf5'\nx = load_model(\"models/a.h5\")\n# 'c.txt'\n"
            "arch = open('arch.json').read()\n")
    assert model_files.model_references(code) == ["models/a.h5", "b.hdf5", "arch.json"]


def test_architecture_json_is_detected_and_keras3_really_cannot_load_it(architecture_pair):
    architecture, weights = architecture_pair
    assert "locate class" in model_files.tf1_era_reason(architecture)
    assert model_files.tf1_era_reason(weights) is None and model_files.is_weights_only(weights)
    code, out = _predict("keras3", architecture, weights)
    assert code != 0 and "Could not locate class 'Sequential'" in out  # the failure the detection names
    code, out = _predict("tf_keras", architecture, weights)
    assert code == 0, out  # the legacy loader reads it: the reference the upgrade is checked against


@pytest.mark.parametrize("content", [
    pytest.param('{"labels": ["cat", "dog"]}', id="a data file the app also reads"),
    pytest.param('["class_name", "config"]', id="a list, not a model"),
    pytest.param('{"class_name": "Sequential"', id="truncated json"),
    pytest.param('{"module": "keras", "class_name": "Sequential", "config": {"layers": []}}', id="already Keras 3"),
])
def test_json_that_keras3_can_load_or_that_is_no_model_is_left_alone(tmp_path, content):
    (tmp_path / "other.json").write_text(content)
    app = tmp_path / "app.py"
    app.write_text("import json\nfrom keras.models import model_from_json\nx = json.load(open('other.json'))\n")
    assert model_files.tf1_era_reason(tmp_path / "other.json") is None
    assert model_files.check_model_files(app, app.read_text(), write=True) == []


def test_report_without_write_names_the_architecture_and_its_weights(architecture_pair, tmp_path):
    app = _json_app(tmp_path, architecture_pair)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    [entry] = model_files.check_model_files(app, app.read_text(), write=False)
    assert entry["action"] == "upgrade" and entry["path"].endswith("model_architecture.json")
    assert entry["weights"] == [str(tmp_path / "model_weights.h5")]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


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


@pytest.mark.slow(reason="upgrades and verifies TF1-era model files in TensorFlow processes (Keras 3 and tf_keras); "
                         "the default tier keeps the detection of such files")
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


@pytest.mark.slow(reason="upgrades and verifies TF1-era model files in TensorFlow processes (Keras 3 and tf_keras); "
                         "the default tier keeps the detection of such files")
def test_failed_verification_leaves_the_original_in_place(tf1_model, tmp_path, monkeypatch):
    target = tmp_path / "model.h5"
    shutil.copyfile(tf1_model, target)
    before = target.read_bytes()
    monkeypatch.setattr(model_files, "TOLERANCE", -1.0)  # no difference can pass
    with pytest.raises(model_files.UpgradeError, match="differ"):
        model_files.upgrade(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5"]


def _layer(class_name: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


@pytest.mark.parametrize("before, after", [
    pytest.param(
        {"class_name": "Sequential", "config": {"name": "s", "layers": [_layer("Dense", units=2)]}},
        {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [_layer("Dense", units=2)]},
         "registered_name": None},
        id="Keras 3 locates a model class by its module key",
    ),
    pytest.param(
        {"class_name": "Functional", "config": {"layers": []}},
        {"module": "keras", "class_name": "Model", "config": {"layers": []}, "registered_name": None},
        id="a functional model is rebuilt through Model in Keras 3",
    ),
    pytest.param(
        {"class_name": "Sequential", "config": {"layers": [
            _layer("InputLayer", batch_input_shape=[None, 4], name="in"),
            _layer("Dense", units=2, batch_input_shape=[None, 4])]}},
        {"module": "keras", "class_name": "Sequential", "config": {"layers": [
            _layer("InputLayer", batch_input_shape=[None, 4], name="in"), _layer("Dense", units=2)]},
         "registered_name": None},
        id="Keras 3 layers take no input shape: the InputLayer carries it",
    ),
    pytest.param(
        {"class_name": "Sequential", "config": {"layers": [_layer("Dense", name="d", units=2, dtype="float32",
                                                                   batch_input_shape=[None, 4])]}},
        {"module": "keras", "class_name": "Sequential", "config": {"layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False,
                        "name": "d_input"}},
            _layer("Dense", name="d", units=2, dtype="float32")]}, "registered_name": None},
        id="a Sequential whose first layer holds the input shape gets an InputLayer",
    ),
    pytest.param(
        {"class_name": "LSTM", "config": {"units": 3, "time_major": False}},
        {"class_name": "LSTM", "config": {"units": 3}},
        id="time_major=False is what Keras 3 does anyway",
    ),
    pytest.param(
        {"class_name": "GRU", "config": {"units": 3, "time_major": True}},
        {"class_name": "GRU", "config": {"units": 3, "time_major": True}},
        id="time_major=True kept: Keras 3 cannot do it, verification must fail loudly",
    ),
    pytest.param(
        {"class_name": "BatchNormalization", "config": {"axis": [3]}},
        {"class_name": "BatchNormalization", "config": {"axis": 3}},
        id="one-element axis list becomes the int Keras 3 takes",
    ),
    pytest.param(
        {"class_name": "BatchNormalization", "config": {"axis": [1, 2]}},
        {"class_name": "BatchNormalization", "config": {"axis": [1, 2]}},
        id="several axes kept as they are",
    ),
    pytest.param(
        {"module": "keras", "class_name": "Sequential", "config": {"layers": []}, "registered_name": None},
        {"module": "keras", "class_name": "Sequential", "config": {"layers": []}, "registered_name": None},
        id="already Keras 3: unchanged",
    ),
])
def test_keras3_compatible(before, after):
    original = json.loads(json.dumps(before))
    assert model_files.keras3_compatible(before) == after
    assert before == original  # the caller's config is not modified


@pytest.mark.slow(reason="upgrades and verifies TF1-era model files in TensorFlow processes (Keras 3 and tf_keras); "
                         "the default tier keeps the detection of such files")
def test_architecture_upgrade_keeps_original_and_both_kerases_predict_what_the_legacy_loader_did(
        architecture_pair, tmp_path):
    app = _json_app(tmp_path, architecture_pair)
    architecture, weights = tmp_path / "model_architecture.json", tmp_path / "model_weights.h5"
    original, weights_before = architecture.read_bytes(), weights.read_bytes()
    [entry] = model_files.check_model_files(app, app.read_text(), write=True)
    assert entry["action"] == "upgraded", entry
    assert "model_weights.h5" in entry["message"]  # verified with the app's own weights file
    kept = tmp_path / ("model_architecture.json" + model_files.ORIGINAL_SUFFIX)
    assert kept.read_bytes() == original
    assert weights.read_bytes() == weights_before  # weights-only files load in Keras 3 as they are
    assert model_files.tf1_era_reason(architecture) is None
    legacy_code, legacy = _predict("tf_keras", kept, weights)
    assert legacy_code == 0, legacy
    for flavour in ("keras3", "tf_keras"):  # a migrated app may run on either
        code, new = _predict(flavour, architecture, weights)
        assert code == 0, (flavour, new)
        np.testing.assert_allclose(np.array(json.loads(new)), np.array(json.loads(legacy)), rtol=0, atol=1e-6)
    assert model_files.check_model_files(app, app.read_text(), write=True) == []


@pytest.mark.slow(reason="upgrades and verifies TF1-era model files in TensorFlow processes (Keras 3 and tf_keras); "
                         "the default tier keeps the detection of such files")
def test_a_run_upgrades_every_model_file_with_one_process_per_keras(tf1_model, architecture_pair, tmp_path,
                                                                    monkeypatch):
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copyfile(tf1_model, folder / "model.h5")
        (folder / "app.py").write_text("from keras.models import load_model\nmodel = load_model('model.h5')\n")
    json_app = _json_app(tmp_path / "a", architecture_pair)
    (tmp_path / "a" / "worker.py").write_text(json_app.read_text())
    json_app.write_text(json_app.read_text() + "other = load_model('model.h5')\n")
    roles = []
    real_child = model_files._child

    def counting_child(role, *args, **kwargs):
        roles.append(role)
        return real_child(role, *args, **kwargs)

    monkeypatch.setattr(model_files, "_child", counting_child)
    report = runner.run([str(tmp_path)], runner.RunConfig(write=True), jobs=1)
    entries = [m for f in report.files for m in f.model_files]
    upgraded = sorted({Path(m["path"]).relative_to(tmp_path).as_posix() for m in entries})
    assert upgraded == ["a/model.h5", "a/model_architecture.json", "b/model.h5"]
    assert all(m["action"] == "upgraded" for m in entries), entries
    assert sorted(roles) == ["keras3", "legacy"]  # one batch for three files named by three sources
    assert "3 model files upgraded." in report.summary()  # four entries, three files
    for path in upgraded:
        assert model_files.tf1_era_reason(tmp_path / path) is None
        assert (tmp_path / (path + model_files.ORIGINAL_SUFFIX)).is_file()


@pytest.mark.slow(reason="upgrades and verifies TF1-era model files in TensorFlow processes (Keras 3 and tf_keras); "
                         "the default tier keeps the detection of such files")
def test_failed_architecture_verification_leaves_everything_in_place(architecture_pair, tmp_path, monkeypatch):
    app = _json_app(tmp_path, architecture_pair)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(model_files, "TOLERANCE", -1.0)  # no difference can pass
    [entry] = model_files.check_model_files(app, app.read_text(), write=True)
    assert entry["action"] == "error" and "original left in place" in entry["message"], entry
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_model_file_outside_the_given_paths_is_reported_with_its_command_not_rewritten(tf1_model, tmp_path):
    app, shared, elsewhere = tmp_path / "app", tmp_path / "shared", tmp_path / "srv"
    for folder in (app, shared, elsewhere):
        folder.mkdir()
    shutil.copyfile(tf1_model, shared / "model.h5")  # a folder above app/
    shutil.copyfile(tf1_model, elsewhere / "abs.h5")  # loaded by absolute path
    shutil.copyfile(tf1_model, app / "inside.h5")
    (app / "server.py").write_text(
        "from keras.models import load_model\n"
        f"a = load_model('../shared/model.h5')\nb = load_model({str(elsewhere / 'abs.h5')!r})\n"
        "c = load_model('inside.h5')\n")
    before = {p: p.read_bytes() for p in (shared / "model.h5", elsewhere / "abs.h5")}
    report = runner.run([str(app)], runner.RunConfig(write=False), jobs=1)
    entries = {Path(m["path"]).name: m for f in report.files for m in f.model_files}
    assert entries["inside.h5"]["action"] == "upgrade"
    for name, path in (("model.h5", shared / "model.h5"), ("abs.h5", elsewhere / "abs.h5")):
        assert entries[name]["action"] == "outside", entries[name]
        assert f"-m migrate.model_files {path.resolve()}" in entries[name]["message"]
    # what a --write run upgrades is only the entries left as "upgrade"
    assert [m["path"] for m in entries.values() if m["action"] == "upgrade"] == [str((app / "inside.h5").resolve())]
    assert all(p.read_bytes() == b for p, b in before.items())


def test_a_model_file_several_sources_load_is_one_line_named_like_the_sources_and_counted_once(
        tf1_model, tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    shutil.copyfile(tf1_model, tmp_path / "app" / "model.h5")
    for name in ("serve.py", "worker.py"):
        (tmp_path / "app" / name).write_text("from keras.models import load_model\nmodel = load_model('model.h5')\n")
    monkeypatch.chdir(tmp_path)
    for root, shown in ((".", "./app/model.h5"), ("app", "app/model.h5")):
        report = runner.run([root], runner.RunConfig(write=False), jobs=1)
        sources = sorted(f.path for f in report.files if f.model_files)
        assert len(sources) == 2  # each source still carries its own entry (the JSON report)
        lines = [line for line in report.details() if "model file" in line]
        assert lines == [f"{shown}: model file (named in {', '.join(sources)}): "
                         f"{model_files.tf1_era_reason(tmp_path / 'app' / 'model.h5')}; --write upgrades it"], lines
        assert "1 model file to upgrade." in report.summary(), report.summary()


def test_a_model_file_outside_the_run_but_under_the_working_directory_is_relative_to_it(tf1_model, tmp_path,
                                                                                       monkeypatch):
    (tmp_path / "shared").mkdir()
    (tmp_path / "app").mkdir()
    shutil.copyfile(tf1_model, tmp_path / "shared" / "model.h5")
    (tmp_path / "app" / "serve.py").write_text("from keras.models import load_model\nm = load_model('../shared/model.h5')\n")
    monkeypatch.chdir(tmp_path)
    report = runner.run(["app"], runner.RunConfig(write=False), jobs=1)
    [entry] = [m for f in report.files for m in f.model_files]
    assert entry["path"] == "shared/model.h5" and entry["action"] == "outside", entry


def test_the_weights_files_the_code_loads_are_found_literal_or_built():
    code = ("m.load_weights('model.h5')\nm.load_weights(os.path.join(BASE, 'w', 'net.hdf5'))\n"
            "m.load_weights(path)\nx = load_model('other.h5')\n")
    assert model_files.loaded_weights(code) == ["model.h5", "net.hdf5"]


@pytest.mark.slow(reason="upgrades and verifies a TF1-era architecture in TensorFlow processes (Keras 3 and tf_keras)")
@pytest.mark.parametrize("loads, reason", [
    ("model.load_weights('model.h5')\n", "the weights file the code loads, model.h5, is not on disk"),
    ("", "no weights file found in the code"),
], ids=["named-but-missing", "none-named"])
def test_weights_copied_across_say_why_from_what_the_code_names(architecture_pair, tmp_path, loads, reason):
    # the architecture alone on disk, as apps whose weights are too big for their repository ship it
    shutil.copyfile(architecture_pair[0], tmp_path / "model.json")
    app = tmp_path / "app.py"
    app.write_text("from keras.models import model_from_json\nwith open('model.json') as f:\n"
                   f"    model = model_from_json(f.read())\n{loads}")
    [entry] = model_files.check_model_files(app, app.read_text(), write=True)
    assert entry["action"] == "upgraded", entry
    assert f"predictions with weights copied across ({reason}) equal" in entry["message"], entry["message"]


def test_an_hdf5_model_without_suffix_is_found_by_its_signature_and_reported(tf1_model, tmp_path):
    shutil.copyfile(tf1_model, tmp_path / "xor_model")
    app = tmp_path / "app.py"
    app.write_text("from keras.models import load_model\nmodel = load_model('xor_model')\nname = 'app.py'\n")
    [entry] = model_files.check_model_files(app, app.read_text())
    assert entry["action"] == "manual" and entry["path"].endswith("xor_model")
    assert entry["message"].startswith("line 2: ")
    assert "--to" in entry["message"] and "xor_model.h5" in entry["message"]
    assert model_files.is_hdf5(tmp_path / "xor_model") and not model_files.is_hdf5(app)


@pytest.mark.slow(reason='two TF child processes (tf_keras and Keras 3)')
def test_cli_upgrades_one_file_into_a_new_path_and_keras3_loads_it(tf1_model, tmp_path):
    shutil.copyfile(tf1_model, tmp_path / "xor_model")
    original = (tmp_path / "xor_model").read_bytes()
    code = model_files.main([str(tmp_path / "xor_model"), "--to", str(tmp_path / "xor_model.h5")])
    assert code == 0
    assert (tmp_path / "xor_model").read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xor_model", "xor_model.h5"]
    new_code, new = _predict("keras3", tmp_path / "xor_model.h5")
    legacy_code, legacy = _predict("tf_keras", tmp_path / "xor_model")
    assert new_code == 0 and legacy_code == 0, (new, legacy)
    np.testing.assert_allclose(np.array(json.loads(new)), np.array(json.loads(legacy)), rtol=0, atol=1e-6)


@pytest.mark.parametrize("expression", [
    "os.path.join(os.getcwd(), 'models', 'model.h5')",
    "os.path.join(BASE_DIR, 'models', 'model.h5')",
    "os.path.join(os.path.dirname(os.path.abspath(__file__)), 'models', 'model.h5')",
    "BASE_DIR + '/models/model.h5'",
    "Path(__file__).parent / 'models' / 'model.h5'",
], ids=["getcwd", "BASE_DIR", "__file__", "concatenation", "pathlib"])
def test_a_path_built_at_run_time_is_resolved(tf1_model, tmp_path, expression):
    (tmp_path / "server" / "models").mkdir(parents=True)
    shutil.copyfile(tf1_model, tmp_path / "server" / "models" / "model.h5")
    app = tmp_path / "server" / "app.py"
    app.write_text(f"import os\nfrom keras.models import load_model\nmodel = load_model({expression})\n")
    [entry] = model_files.check_model_files(app, app.read_text())
    assert entry["action"] == "upgrade" and entry["path"] == str(tmp_path / "server" / "models" / "model.h5")


def test_a_path_handed_to_a_constructor_is_found_by_its_tail_in_the_app_tree(tf1_model, tmp_path):
    (tmp_path / "app" / "weights").mkdir(parents=True)
    shutil.copyfile(tf1_model, tmp_path / "app" / "weights" / "net.h5")
    app = tmp_path / "app" / "serve.py"
    app.write_text("from predictor import Predictor\npredictor = Predictor(MODEL_DIR, 'net.h5')\n")
    [entry] = model_files.check_model_files(app, app.read_text())
    assert entry["action"] == "upgrade" and entry["path"].endswith("weights/net.h5")


def test_a_loader_whose_file_is_not_found_is_a_manual_item_at_its_line(tmp_path):
    app = tmp_path / "app.py"
    app.write_text("import sys\nfrom keras.models import load_model\n\nmodel = load_model(sys.argv[1])\n")
    [entry] = model_files.check_model_files(app, app.read_text())
    assert entry["action"] == "manual" and entry["line"] == 4 and "-m migrate.model_files" in entry["message"]
    assert "(`sys.argv[1]`)" in entry["message"] and "model_files PATH`" in entry["message"]


def test_a_path_no_command_takes_as_written_and_json_text_are_not_offered_as_paths(tmp_path):
    app = tmp_path / "app.py"
    app.write_text("from keras.models import load_model, model_from_json\nm = load_model('~/m.h5')\n"
                   "w = load_model('C:/models/m.h5')\na = model_from_json(open('arch.json').read())\n")
    entries = model_files.check_model_files(app, app.read_text())
    assert [e["line"] for e in entries] == [2, 3, 4]
    assert all("model_files PATH`" in e["message"] and "from the folder" not in e["message"] for e in entries)
    assert "open(" not in entries[2]["message"]


@pytest.mark.parametrize("path, where", [("/srv/models/net.h5", "upgrade it with"),
                                         ("models/net v2.h5", "upgrade it, from the folder the app runs in, with")])
def test_a_literal_path_not_found_is_named_and_its_command_is_ready_to_run(tmp_path, path, where):
    app = tmp_path / "app.py"
    app.write_text(f"from keras.models import load_model\n\nmodel = load_model({path!r})\n")
    [entry] = model_files.check_model_files(app, app.read_text())
    assert entry["line"] == 3 and f"(`{path!r}`)" in entry["message"]
    command = model_files.upgrade_command(Path(path))
    assert f"{where} `{command}`" in entry["message"] and shlex.quote(path) in command


def _keras3_loads_architecture(path: Path) -> tuple[int, str]:
    script = ("import sys, keras\nmodel = keras.models.model_from_json(open(sys.argv[1]).read())\n"
              "print(model.count_params())\n")
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          env={**_clean_env(), "TF_CPP_MIN_LOG_LEVEL": "3"})
    return proc.returncode, proc.stdout.strip() or proc.stderr[-2000:]


def test_a_relative_path_is_every_candidate_working_directory_and_each_tf1_era_file_is_upgraded(
        architecture_pair, tmp_path):
    # `model/load.py` opens 'model.json' relative to where the server starts (the app root), not
    # to its own folder, which holds the repository's older Keras 2.0 list-format JSON: both
    # are files the app may open, and Keras 3 reads neither as they are.
    arch, weights = architecture_pair
    (tmp_path / "model").mkdir()
    shutil.copyfile(arch, tmp_path / "model.json")
    shutil.copyfile(weights, tmp_path / "model.h5")
    old = json.loads(arch.read_text())
    (tmp_path / "model" / "model.json").write_text(json.dumps({"class_name": "Sequential",
                                                               "config": old["config"]["layers"]}))
    loader = tmp_path / "model" / "load.py"
    loader.write_text("from keras.models import model_from_json\n"
                      "def init():\n"
                      "    with open('model.json') as f:\n"
                      "        model = model_from_json(f.read())\n"
                      "    model.load_weights('model.h5')\n"
                      "    return model\n")
    for path in (tmp_path / "model.json", tmp_path / "model" / "model.json"):
        code, out = _keras3_loads_architecture(path)
        assert code != 0, (path, out)  # as they are, Keras 3 cannot build either
    entries = model_files.check_model_files(loader, loader.read_text(), write=True)
    assert {e["path"]: e["action"] for e in entries} == {
        str(tmp_path / "model.json"): "upgraded", str(tmp_path / "model" / "model.json"): "upgraded"}, entries
    for path in (tmp_path / "model.json", tmp_path / "model" / "model.json"):
        code, out = _keras3_loads_architecture(path)
        assert code == 0, (path, out)


def test_a_literal_after_a_non_literal_part_is_a_tail_not_an_absolute_path():
    code = "model = load_model(STATIC_ROOT + '/catdog/cats_dogs.h5')\nother = load_model('/srv/models/m.h5')\n"
    names = model_files.referenced_names(code)
    assert "catdog/cats_dogs.h5" in names and "/srv/models/m.h5" in names
    assert "/catdog/cats_dogs.h5" not in names


def test_a_tail_is_found_in_the_nearest_tree_even_beside_another_copy_of_the_app(tf1_model, tmp_path):
    # Django's `STATIC_ROOT + "/catdog/cats_dogs.h5"`, STATIC_ROOT a folder of the project; a
    # second copy of the app next to it (a backup, the legacy copy) must not hide the file.
    for copy_name in ("legacy", "migrated"):
        static = tmp_path / copy_name / "django_ML" / "staticfiles" / "catdog"
        static.mkdir(parents=True)
        shutil.copyfile(tf1_model, static / "cats_dogs.h5")
        (tmp_path / copy_name / "django_ML" / "settings.py").write_text(
            "import os\nimport keras\nSTATIC_ROOT = os.path.join(PROJECT_ROOT, 'staticfiles')\n"
            "model_file = STATIC_ROOT + \"/catdog/cats_dogs.h5\"\nmodel = keras.models.load_model(model_file)\n")
    settings = tmp_path / "migrated" / "django_ML" / "settings.py"
    [entry] = model_files.check_model_files(settings, settings.read_text())
    assert entry["action"] == "upgrade"
    assert entry["path"] == str(tmp_path / "migrated" / "django_ML" / "staticfiles" / "catdog" / "cats_dogs.h5")


def _migrate_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True,
                          env={**_clean_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[2])})


_UNSUFFIXED_APP = "from keras.models import load_model\n\ncategory_model = load_model('category.model')\n"


def test_an_unsuffixed_hdf5_model_is_loaded_as_name_h5_in_the_diff_and_nothing_is_written(tf1_model, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    shutil.copyfile(tf1_model, app / "category.model")
    (app / "serve.py").write_text(_UNSUFFIXED_APP)
    proc = _migrate_cli("app", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "+category_model = load_model('category.model.h5')" in proc.stdout
    assert "model-file-suffix" in proc.stdout
    assert "the code now loads category.model.h5; --write writes it" in proc.stdout + proc.stderr
    assert "not found" not in proc.stdout + proc.stderr
    assert sorted(p.name for p in app.iterdir()) == ["category.model", "serve.py"]
    # without the model files the run cannot write the copy: the name stays, reported with the command
    proc = _migrate_cli("app", "--no-model-files", cwd=tmp_path)
    assert "category.model.h5'" not in proc.stdout


def test_a_literal_naming_no_model_file_or_one_outside_the_source_tree_keeps_its_name(tf1_model, tmp_path):
    (tmp_path / "app").mkdir()
    shutil.copyfile(tf1_model, tmp_path / "category.model")  # beside the app's folder, not in it
    (tmp_path / "app" / "serve.py").write_text(_UNSUFFIXED_APP + "labels = load_model('labels.model')\n")
    proc = _migrate_cli("app", cwd=tmp_path)
    assert ".model.h5'" not in proc.stdout
    assert "category.model --to" in proc.stdout + proc.stderr  # the file is reported with its command


@pytest.mark.slow(reason='two TF child processes (tf_keras and Keras 3) and two migrate runs')
def test_write_points_the_code_at_an_upgraded_copy_keras3_loads_and_leaves_the_original(tf1_model, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    shutil.copyfile(tf1_model, app / "category.model")
    original = (app / "category.model").read_bytes()
    (app / "serve.py").write_text(_UNSUFFIXED_APP)
    proc = _migrate_cli("app", "--write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "load_model('category.model.h5')" in (app / "serve.py").read_text()
    assert sorted(p.name for p in app.iterdir()) == ["category.model", "category.model.h5", "serve.py"]
    assert (app / "category.model").read_bytes() == original
    new_code, new = _predict("keras3", app / "category.model.h5")
    legacy_code, legacy = _predict("tf_keras", app / "category.model")
    assert new_code == 0 and legacy_code == 0, (new, legacy)
    np.testing.assert_allclose(np.array(json.loads(new)), np.array(json.loads(legacy)), rtol=0, atol=1e-6)
    again = _migrate_cli("app", cwd=tmp_path)
    assert again.returncode == 0 and "+++" not in again.stdout and "category.model" not in again.stdout, again.stdout
