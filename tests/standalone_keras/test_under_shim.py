"""Unmodified Keras 2.2.4 / 2.3.1 apps under ``import legacy_shim``: correct answers from any thread.

The app (fixtures/standalone_keras/apps/keras2_flask) builds, compiles and saves its own
.h5, loads it back, loads a .h5 saved by tf_keras in graph mode, uses K.set_session /
K.get_session, keras.backend.tensorflow_backend, _make_predict_function, predict_classes
and the per-request ``_SYMBOLIC_SCOPE.value = True`` hack. It is imported on the main
thread and called concurrently from many threads; every answer is checked against a
NumPy forward pass of the known weights, computed here without TF or Keras.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from fixtures import catalog, standalone_keras
from fixtures.models import BY_NAME, deterministic_weights

from .conftest import run_scenario

pytestmark = pytest.mark.slow(reason="real Keras 2.2.4 / 2.3.1: wheels downloaded from PyPI on first use, "
                                     "and a TensorFlow process per scenario")

N_REQUESTS = 24

CONCURRENT_REQUESTS = """
    import legacy_shim
    import collections, json, sys, threading
    sys.path.insert(0, ".")
    import numpy as np
    import app as served
    import h5py, keras
    import keras.backend.tensorflow_backend as tb
    from keras.engine import training
    from tensorflow.python.framework import ops

    bodies = json.load(open("payloads.json"))
    answers = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def call(i):
        client = served.app.test_client()
        start.wait()  # all first requests race, where lazy graph building used to break
        response = client.post("/predict", json=bodies[i])
        answers[i] = [response.status_code, response.get_json() if response.status_code == 200 else response.get_data(as_text=True)]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = legacy_shim.report()
    applied = sorted(o.id for o in report.patches if o.status == "applied")
    patched_predict = training.Model.predict
    original_getitem = legacy_shim.get_original(h5py._hl.attrs.AttributeManager, "__getitem__")
    notes = legacy_shim.uninstall()
    emit({
        "keras": keras.__version__,
        "answers": answers,
        "applied": applied,
        "call_sites": sorted({s.idiom for s in report.call_sites}),
        "report_text": str(report),
        "restored": {
            "collections.Iterable": not hasattr(collections, "Iterable"),
            "numpy.string_": "string_" not in vars(np),
            "ops._TensorLike": not hasattr(ops, "_TensorLike"),
            "h5py attrs": h5py._hl.attrs.AttributeManager.__getitem__ is original_getitem,
            "Model.predict": training.Model.predict is getattr(patched_predict, "__wrapped__", None),
            "_SYMBOLIC_SCOPE": type(getattr(tb, "_SYMBOLIC_SCOPE", None)).__name__ in ("_local", "NoneType"),
        },
        "uninstall_notes": notes,
    })
"""


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _forward(weights, x, activations):
    h = np.asarray(x, dtype="float64")
    for (kernel, bias), activation in zip(zip(weights[::2], weights[1::2]), activations):
        h = h @ kernel.astype("float64") + bias.astype("float64")
        h = np.maximum(h, 0.0) if activation == "relu" else _softmax(h)
    return h


def _scorer_weights():
    # What the app's train_scorer() sets: RandomState(7) over get_weights() shapes in order.
    rng = np.random.RandomState(7)
    return [rng.uniform(-0.5, 0.5, shape).astype("float32") for shape in ((64, 16), (16,), (16, 4), (4,))]


@pytest.fixture(scope="module")
def served_run(keras_version, keras_dir, tmp_path_factory):
    """One run of the app per Keras version, shared by the checks below."""
    app = standalone_keras.get_app("keras2_flask")
    app_dir = standalone_keras.prepare(app, tmp_path_factory.mktemp(f"keras2_flask-{keras_version}") / "app")
    bodies = catalog.payloads(app, N_REQUESTS, seed=3)
    (app_dir / "payloads.json").write_text(json.dumps(bodies))
    run = run_scenario(CONCURRENT_REQUESTS, app_dir, keras_dir)
    assert run.returncode == 0 and isinstance(run.result, dict), run.explain()
    return app_dir, bodies, run


def test_every_thread_gets_correct_answers(served_run, keras_version):
    app_dir, bodies, run = served_run
    result = run.result
    assert result["keras"] == keras_version
    assert (app_dir / "scorer.h5").is_file(), "the app should have saved its own model"
    notebook = BY_NAME["mlp_softmax"]
    notebook_weights = deterministic_weights(notebook)
    for body, (status, answer) in zip(bodies, result["answers"]):
        assert status == 200, answer
        x = body["instances"]
        scores = _forward(_scorer_weights(), x, ("relu", "softmax"))
        probs = _forward(notebook_weights, x, [a for _, a in notebook.layers])
        np.testing.assert_allclose(answer["scores"], scores, atol=2e-5)
        np.testing.assert_allclose(answer["probs"], probs, atol=2e-5)
        assert answer["classes"] == scores.argmax(axis=-1).tolist()
        assert answer["labels"] == probs.argmax(axis=-1).tolist()


def test_report_and_uninstall(served_run, keras_version):
    _, _, run = served_run
    result = run.result
    expected = {
        "py310-collections-abcs", "numpy1-aliases", "tf-tensorlike", "h5py3-attr-strings", "tf-keras-h5-configs",
        "standalone-keras-sessions", "standalone-keras-thread-context", "standalone-keras-load-once",
    }
    if keras_version.startswith("2.3."):
        expected |= {"keras23-tf1-code-paths", "keras23-symbolic-scope"}
    assert expected <= set(result["applied"]), result["report_text"]
    # The tf_keras rows step aside: the app's own Keras serves `import keras`.
    assert not {"keras2-imports", "thread-context", "session-sharing"} & set(result["applied"]), result["report_text"]
    assert {"K.get_session()", "K.set_session(sess)", "model._make_predict_function()"} <= set(result["call_sites"]), result
    assert all(result["restored"].values()), result["restored"]
    # Every value this block put there was still ours, so uninstall put back each original
    # (TF's own graph-mode row may note that eager execution cannot come back; not ours).
    ours = [note for note in result["uninstall_notes"] if note.split(":")[0] in expected]
    assert ours == [], result["uninstall_notes"]


CLEAR_AND_RELOAD_PER_REQUEST = """
    import legacy_shim
    import threading
    import numpy as np
    from keras import backend as K
    from keras.models import load_model

    startup_model = load_model("mlp_softmax.h5")
    x = np.random.RandomState(0).rand(3, 64).astype("float32")
    expected = startup_model.predict(x)
    worst, errors = [], []

    def handler():
        # the per-request idiom: reset Keras, reload the file, predict, from request threads
        try:
            for _ in range(3):
                K.clear_session()
                fresh = load_model("mlp_softmax.h5")
                worst.append(float(np.abs(fresh.predict(x) - expected).max()))
                worst.append(float(np.abs(startup_model.predict(x) - expected).max()))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=handler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    K.clear_session()  # and once more in the main thread: the startup model must survive it
    worst.append(float(np.abs(startup_model.predict(x) - expected).max()))
    emit({"errors": errors, "worst": max(worst), "answers": len(worst)})
"""


def test_clear_session_and_load_model_per_request(keras_dir, tmp_path, fixture_models_dir):
    import shutil

    shutil.copyfile(fixture_models_dir / "mlp_softmax.h5", tmp_path / "mlp_softmax.h5")
    # load-once off: every request really rebuilds the model in its thread's graph
    run = run_scenario(CLEAR_AND_RELOAD_PER_REQUEST, tmp_path, keras_dir, disable=("standalone-keras-load-once",))
    assert run.returncode == 0 and isinstance(run.result, dict), run.explain()
    assert run.result == {"errors": [], "worst": 0.0, "answers": 25}, run.result
