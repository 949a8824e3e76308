"""What a real Keras 2.2.4 / 2.3.1 app meets on today's stack, each failure by its real message.

Each case runs the same legacy workload (import Keras, build, compile, predict, save its
own .h5, load it, load a .h5 saved by tf_keras in graph mode) in a fresh interpreter with
that Keras first on the path, either without the shim at all or with the shim minus
ONE bridge. A case passes only if the process fails with that bridge's error, so each
row of the table is shown to be needed, and an app that starts working, or fails for an
unrelated reason, fails the test. Then, with every import-time bridge on but the thread
rows off, the request-thread failures of the Keras 2 era come back.
"""

from __future__ import annotations

import re
import shutil

import pytest

from .conftest import THREAD_ROWS, run_scenario

pytestmark = pytest.mark.slow(reason="real Keras 2.2.4 / 2.3.1: wheels downloaded from PyPI on first use, "
                                     "and a TensorFlow process per scenario")

WORKLOAD = """
    {shim}
    import numpy as np
    from keras.layers import Dense
    from keras.models import Sequential, load_model
    model = Sequential([Dense(8, activation="relu", input_dim=4), Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    model.predict(x)
    model.save("own.h5")
    load_model("own.h5").predict(x)
    load_model("mlp_softmax.h5").predict(np.zeros((1, 64), "float32"))
    emit("worked")
"""

# (Keras version, bridge turned off or None for no shim at all, the error users then see)
BREAKAGES = [
    pytest.param("2.3.1", None, r"AttributeError: partially initialized module 'keras' has no attribute '__version__'",
                 id="2.3.1-no-shim-tf.keras-resolves-to-the-keras-being-imported"),
    pytest.param("2.2.4", None, r"ImportError: cannot import name 'Iterable' from 'collections'",
                 id="2.2.4-no-shim-collections-abcs"),
    pytest.param("2.3.1", "legacy-keras-env", r"RecursionError|partially initialized module 'keras'",
                 id="2.3.1-tf.keras-needs-TF_USE_LEGACY_KERAS"),
    *[
        pytest.param(version, row, message, id=f"{version}-{row}")
        for version in ("2.2.4", "2.3.1")
        for row, message in (
            ("py310-collections-abcs", r"ImportError: cannot import name 'Iterable' from 'collections'"),
            ("numpy1-aliases", r"AttributeError: `np\.string_` was removed in the NumPy 2\.0 release"),
            ("tf-tensorlike", r"AttributeError: module 'tensorflow\.python\.framework\.ops' has no attribute '_TensorLike'"),
            ("h5py3-attr-strings", r"AttributeError: 'str' object has no attribute 'decode'"),
            ("tf-keras-h5-configs", r"TypeError: InputLayer\.__init__\(\) got an unexpected keyword argument 'ragged'"),
            ("tf1-names", r"AttributeError: module 'tensorflow' has no attribute '(get_default_graph|global_variables)'"),
        )
    ],
    pytest.param("2.2.4", "tf1-changed-names", r"AttributeError: module 'tensorflow\._api\.v2\.train' has no attribute 'Optimizer'",
                 id="2.2.4-tf1-changed-names"),
    pytest.param("2.2.4", "tf1-graph-mode", r"RuntimeError: tf\.placeholder\(\) is not compatible with eager execution",
                 id="2.2.4-tf1-graph-mode"),
    pytest.param("2.3.1", "keras23-tf1-code-paths",
                 r"NotImplementedError: numpy\(\) is only available when eager execution is enabled",
                 id="2.3.1-keras23-tf1-code-paths"),
]


@pytest.mark.parametrize("version, bridge_off, message", BREAKAGES)
def test_each_bridge_is_needed(version, bridge_off, message, tmp_path, fixture_models_dir):
    from . import wheels

    shutil.copyfile(fixture_models_dir / "mlp_softmax.h5", tmp_path / "mlp_softmax.h5")
    shim = "" if bridge_off is None else "import legacy_shim"
    disable = () if bridge_off is None else (bridge_off,)
    run = run_scenario(WORKLOAD.format(shim=shim), tmp_path, wheels.keras_dir(version), disable=disable)
    assert run.returncode != 0 and run.result != "worked", run.explain()
    assert re.search(message, run.stderr), run.explain()


def test_the_full_shim_runs_the_same_workload(keras_dir, tmp_path, fixture_models_dir):
    shutil.copyfile(fixture_models_dir / "mlp_softmax.h5", tmp_path / "mlp_softmax.h5")
    run = run_scenario(WORKLOAD.format(shim="import legacy_shim"), tmp_path, keras_dir)
    assert run.returncode == 0 and run.result == "worked", run.explain()


# Run in the app's process: module imported on the main thread (as a server does), then
# each request from a fresh thread. Every import-time bridge is on; the thread rows are off.
REQUEST_THREADS = """
    import legacy_shim
    import sys, threading
    sys.path.insert(0, ".")
    import numpy as np
    import app as served
    served.app.testing = True  # handler exceptions reach us with their real type and message
    body = {"instances": [[0.25] * 64]}
    outcome = {}

    def request(route):
        try:
            outcome[route] = served.app.test_client().post(route, json=body).status_code
        except Exception as exc:
            outcome[route] = f"{type(exc).__name__}: {exc}"

    def graph_only():
        # the half-fix: enter the model's graph but not its session
        try:
            with served.model.outputs[0].graph.as_default():
                outcome["graph-only"] = served.model.predict(np.zeros((1, 64), "float32")).shape[0]
        except Exception as exc:
            outcome["graph-only"] = f"{type(exc).__name__}: {exc}"

    for target, args in ((request, ("/predict",)), (request, ("/predict_fresh",)), (graph_only, ())):
        worker = threading.Thread(target=target, args=args)
        worker.start()
        worker.join()
    outcome["load-once"] = legacy_shim.report().load_once
    emit(outcome)
"""

THREAD_FAILURES = {
    "2.3.1": {
        "/predict": r"ValueError: Tensor Tensor\(\"dense_2/Softmax:0\".* is not an element of this graph",
        "/predict_fresh": r"AttributeError: '_thread\._local' object has no attribute 'value'",
        "graph-only": r"FailedPreconditionError.*uninitialized",
    },
    "2.2.4": {
        "/predict": r"ValueError: Tensor Tensor\(\"dense_2/Softmax:0\".* is not an element of this graph",
        "/predict_fresh": r"is not an element of this graph",
        # Keras 2.2 kept ONE module-global session for every thread, which is why its users
        # got by with `with graph.as_default():` alone: that half-fix really works there.
        "graph-only": None,
    },
}


@pytest.mark.parametrize("thread_rows_on", [False, True], ids=["thread-rows-off", "full-shim"])
def test_request_threads(keras_version, keras_dir, thread_rows_on, tmp_path):
    from fixtures import standalone_keras

    app_dir = standalone_keras.prepare(standalone_keras.get_app("keras2_naive"), tmp_path / "app")
    disable = () if thread_rows_on else THREAD_ROWS
    run = run_scenario(REQUEST_THREADS, app_dir, keras_dir, disable=disable)
    assert run.returncode == 0 and isinstance(run.result, dict), run.explain()
    if thread_rows_on:
        assert run.result == {
            "/predict": 200, "/predict_fresh": 200, "graph-only": 1,
            # the per-request load_model of the model loaded at import is served from memory
            "load-once": {"loads": 1, "hits": 1, "rereads": 0},
        }, run.explain()
        return
    for what, message in THREAD_FAILURES[keras_version].items():
        if message is None:
            assert run.result[what] == 1, f"{what}: {run.result[what]!r}"
        else:
            assert re.search(message, str(run.result[what]), re.S), f"{what}: {run.result[what]!r}"


SET_SESSION = """
    import legacy_shim
    import tensorflow as tf
    from keras import backend as K
    try:
        K.set_session(tf.Session())
        emit("set")
    except RuntimeError as exc:
        emit(str(exc))
"""


def test_set_session_refused_on_tf2_without_the_code_path_bridge(tmp_path):
    from . import wheels

    keras_dir = wheels.keras_dir("2.3.1")
    off = run_scenario(SET_SESSION, tmp_path, keras_dir, disable=("keras23-tf1-code-paths", "standalone-keras-sessions"))
    assert off.result == "`set_session` is not available when using TensorFlow 2.0.", off.explain()
    on = run_scenario(SET_SESSION, tmp_path, keras_dir)
    assert on.result == "set", on.explain()
