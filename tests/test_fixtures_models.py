"""The model factory: deterministic, TF1-era files that tf_keras reads and Keras 3 does not.

Every TensorFlow import happens in a child process: graph mode and the meaning of
``import keras`` are process-wide, and the two halves here need opposite answers.
"""

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
from fixtures import models

FULL_MODELS = [m for m in models.CATALOGUE if m.save_as == "model"]
KERAS_FILES = [m for m in models.CATALOGUE if m.save_as not in models.RAW_TF1_KINDS]
RAW_TF1 = [m for m in models.CATALOGUE if m.save_as in models.RAW_TF1_KINDS]
GLOROT_DTYPE_ERROR = "GlorotUniform.__init__() got an unexpected keyword argument 'dtype'"


def _run_python(code: str, *, legacy_keras: bool, cwd) -> list:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS", "LEGACY_SHIM_DISABLE")}
    env["PYTHONPATH"] = str(models.REPO_ROOT)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if legacy_keras:
        env["TF_USE_LEGACY_KERAS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"child failed ({proc.returncode}):\n{proc.stderr[-5000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _weight_arrays(path) -> dict:
    """Every dataset of an .h5 weights tree, by its path inside the file."""
    arrays = {}
    with h5py.File(path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        root.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def _numpy_forward(spec, x):
    """The catalogue MLP computed by hand from the factory's weights: the reference for loaded files."""
    weights = models.deterministic_weights(spec)
    h = x.astype(np.float64)
    for i, (_, activation) in enumerate(spec.layers):
        h = h @ weights[2 * i] + weights[2 * i + 1]
        if activation == "relu":
            h = np.maximum(h, 0.0)
        elif activation == "sigmoid":
            h = 1.0 / (1.0 + np.exp(-h))
        elif activation == "softmax":
            e = np.exp(h - h.max(axis=-1, keepdims=True))
            h = e / e.sum(axis=-1, keepdims=True)
    return h


def test_two_builds_hold_identical_weights(fixture_models_dir, tmp_path):
    fresh = models.build(tmp_path / "again")
    for spec in KERAS_FILES:
        if spec.save_as == "architecture":
            assert (fresh / spec.filename).read_text() == (fixture_models_dir / spec.filename).read_text()
            continue
        first, second = _weight_arrays(fixture_models_dir / spec.filename), _weight_arrays(fresh / spec.filename)
        assert sorted(first) == sorted(second), spec.name
        assert len(first) == 2 * len(spec.layers), spec.name
        for name in first:
            np.testing.assert_array_equal(first[name], second[name], err_msg=f"{spec.name}:{name}")


def test_files_hold_the_factory_weights(fixture_models_dir):
    # Keras names the layers of a fresh graph dense, dense_1, ...; the factory relies on that.
    for spec in KERAS_FILES:
        if spec.save_as == "architecture":
            continue
        stored = _weight_arrays(fixture_models_dir / spec.filename)
        expected = models.deterministic_weights(spec)
        for i in range(len(spec.layers)):
            layer = "dense" if i == 0 else f"dense_{i}"
            kernel = next(v for k, v in stored.items() if k.startswith(layer + "/") and k.endswith("kernel:0"))
            bias = next(v for k, v in stored.items() if k.startswith(layer + "/") and k.endswith("bias:0"))
            np.testing.assert_array_equal(kernel, expected[2 * i], err_msg=f"{spec.name} {layer} kernel")
            np.testing.assert_array_equal(bias, expected[2 * i + 1], err_msg=f"{spec.name} {layer} bias")


def test_tf_keras_in_graph_mode_loads_every_file_and_predicts_the_reference(fixture_models_dir, tmp_path):
    inputs = {spec.name: np.random.RandomState(7).uniform(-1, 1, (5, spec.input_dim)) for spec in models.CATALOGUE}
    np.save(tmp_path / "inputs.npy", inputs, allow_pickle=True)
    results = _run_python(
        f"""
        import json, numpy as np, tensorflow as tf
        tf.compat.v1.disable_v2_behavior()
        import tf_keras
        inputs = np.load("inputs.npy", allow_pickle=True).item()
        d = {str(fixture_models_dir)!r}
        out = {{}}
        for name in {[m.name for m in FULL_MODELS]!r}:
            m = tf_keras.models.load_model(f"{{d}}/{{name}}.h5")
            out[name] = dict(
                graph_mode_class=hasattr(m, "_make_predict_function"),
                compiled=m.optimizer is not None,
                predictions=m.predict(inputs[name]).tolist(),
            )
        m = tf_keras.models.model_from_json(open(f"{{d}}/small_softmax_arch.json").read())
        m.load_weights(f"{{d}}/small_softmax_weights.h5")
        out["small_softmax_weights"] = dict(graph_mode_class=True, compiled=True,
                                           predictions=m.predict(inputs["small_softmax_weights"]).tolist())
        print(json.dumps(out))
        """,
        legacy_keras=True,
        cwd=tmp_path,
    )
    assert sorted(results) == sorted([m.name for m in FULL_MODELS] + ["small_softmax_weights"])
    for name, result in results.items():
        spec = models.BY_NAME[name]
        assert result["graph_mode_class"], f"{name} loaded as an eager-mode model, not a TF1-era one"
        assert result["compiled"], f"{name} was saved without its compile config"
        got = np.array(result["predictions"])
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, _numpy_forward(spec, inputs[name]), rtol=1e-4, atol=1e-6, err_msg=name)


def test_raw_tf1_artifacts_hold_the_factory_network(fixture_models_dir, tmp_path):
    # frozen GraphDef, TF1 SavedModel and Saver checkpoint, each read the TF 2 way
    x = np.random.RandomState(7).uniform(-1, 1, (5, 64))
    np.save(tmp_path / "x.npy", x)
    results = _run_python(
        f"""
        import json, numpy as np, tensorflow as tf
        d = {str(fixture_models_dir)!r}
        x = tf.constant(np.load("x.npy"), tf.float32)
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(open(d + "/tf1_mlp_frozen.pb", "rb").read())
        frozen = tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, name=""), [])
        saved = tf.saved_model.load(d + "/tf1_mlp_saved_model", tags=["serve"])
        reader = tf.train.load_checkpoint(d + "/tf1_mlp_checkpoint/model.ckpt")
        print(json.dumps(dict(
            frozen=frozen.prune("input:0", "output:0")(x).numpy().tolist(),
            saved_model=saved.prune("input:0", "output:0")(x).numpy().tolist(),
            checkpoint={{name: reader.get_tensor(name).tolist() for name in reader.get_variable_to_shape_map()}},
        )))
        """,
        legacy_keras=False,
        cwd=tmp_path,
    )
    spec = models.BY_NAME["tf1_mlp_frozen"]
    for kind in ("frozen", "saved_model"):
        np.testing.assert_allclose(np.array(results[kind]), _numpy_forward(spec, x), rtol=1e-4, atol=1e-6,
                                   err_msg=kind)
    weights = models.deterministic_weights(models.BY_NAME["tf1_mlp_checkpoint"])
    assert sorted(results["checkpoint"]) == sorted(f"layer{i}/{w}" for i in range(3) for w in ("weights", "biases"))
    for i in range(3):
        np.testing.assert_array_equal(np.array(results["checkpoint"][f"layer{i}/weights"], np.float32), weights[2 * i])
        np.testing.assert_array_equal(np.array(results["checkpoint"][f"layer{i}/biases"], np.float32),
                                      weights[2 * i + 1])
    assert {m.name for m in RAW_TF1} == {"tf1_mlp_frozen", "tf1_mlp_saved_model", "tf1_mlp_checkpoint"}


def test_keras3_refuses_every_saved_model_with_the_real_error(fixture_models_dir, tmp_path):
    results = _run_python(
        f"""
        import json, keras
        out = {{}}
        for name in {[m.name for m in FULL_MODELS]!r}:
            try:
                keras.models.load_model({str(fixture_models_dir)!r} + f"/{{name}}.h5")
                out[name] = "loaded"
            except Exception as e:
                out[name] = f"{{type(e).__name__}}: {{e}}"
        out["keras_version"] = keras.__version__
        print(json.dumps(out))
        """,
        legacy_keras=False,
        cwd=tmp_path,
    )
    assert results.pop("keras_version").startswith("3.")
    for name, outcome in results.items():
        assert outcome.startswith("TypeError") and GLOROT_DTYPE_ERROR in outcome, f"{name}: {outcome[:300]}"


def test_concurrent_first_use_builds_once(tmp_path, monkeypatch):
    # pytest-xdist workers all ask for the models at start-up; only one may build.
    monkeypatch.setenv("LEGACY_FIXTURES_CACHE", str(tmp_path / "cache"))
    builds = []
    real_build = models.build

    def counting_build(dest):
        builds.append(dest)
        return real_build(dest)

    monkeypatch.setattr(models, "build", counting_build)
    with ThreadPoolExecutor(max_workers=3) as pool:
        dirs = list(pool.map(lambda _: models.built_models_dir(), range(3)))
    assert len(builds) == 1
    assert len(set(dirs)) == 1 and dirs[0].name == models.source_hash()
    assert sorted(p.name for p in dirs[0].iterdir()) == sorted(m.filename for m in (*models.CATALOGUE, *models.SHAPED))
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("building-")] == []
