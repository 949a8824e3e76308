"""Models answer correctly from any thread: graphs/sessions captured and re-entered."""

import pytest

# Two models, each in its own graph and session, as legacy multi-model apps did; a third
# in the default graph that is never used in the main thread before the threads race
# for its first predict (the lazily built predict function).
MULTI_GRAPH_APP = """
import legacy_shim
import threading
import numpy as np
import tensorflow as tf
from keras.models import Sequential
from keras.layers import Dense
from keras import backend as K

def build(units, seed):
    model = Sequential([Dense(8, input_shape=(4,), activation="relu"), Dense(units, activation="softmax")])
    rng = np.random.RandomState(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model

GRAPHS, SESSIONS, MODELS = [], [], []
for i, units in enumerate((3, 5)):
    g = tf.Graph()
    with g.as_default():
        s = tf.Session(graph=g)
        with s.as_default():
            K.set_session(s)
            MODELS.append(build(units, i))
    GRAPHS.append(g); SESSIONS.append(s)

cold = build(2, 7)            # default graph; first predict happens in the threads
x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
reference = []
for g, s, m in zip(GRAPHS, SESSIONS, MODELS):
    with g.as_default(), s.as_default():
        reference.append(m.predict(x).tolist())
JUGGLE = {"graph": GRAPHS[0], "sess": SESSIONS[0]}

results, errors = [], []
barrier = threading.Barrier(16)
def worker(i):
    try:
        barrier.wait()
        got = [m.predict(x).tolist() for m in MODELS]
        got.append(cold.predict(x).tolist())
        got.append(MODELS[0].predict_on_batch(x).tolist())
        # the app's own juggling keeps working alongside the shim
        with JUGGLE["graph"].as_default():
            K.set_session(JUGGLE["sess"])
            got.append(MODELS[0].predict(x).tolist())
        results.append(got)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:300])
threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
[t.start() for t in threads]; [t.join() for t in threads]
cold_reference = cold.predict(x).tolist()
emit({"errors": errors, "results": results, "reference": reference, "cold": cold_reference})
"""


def test_models_in_own_graphs_answer_from_16_threads(run):
    _, out = run(MULTI_GRAPH_APP)
    assert out["errors"] == []
    assert len(out["results"]) == 16
    ref0, ref1 = out["reference"]
    assert len(ref0[0]) == 3 and len(ref1[0]) == 5  # really two different models
    for got in out["results"]:
        assert got[0] == ref0 and got[1] == ref1
        assert got[2] == out["cold"]
        assert got[3] == ref0 and got[4] == ref0


@pytest.mark.parametrize(
    "disabled, expected",
    [
        pytest.param("thread-context,session-sharing", "not found in the Graph", id="no-reentry"),
        pytest.param("thread-context", "", id="session-sharing-alone-is-not-enough"),
    ],
)
def test_without_thread_context_the_legacy_errors_come_back(run, disabled, expected):
    _, out = run(MULTI_GRAPH_APP, env={"LEGACY_SHIM_DISABLE": disabled})
    assert out["errors"], "threads should fail without the thread-context patch"
    if expected:
        assert any(expected in e for e in out["errors"]), out["errors"][:3]


def test_graph_only_reentry_uses_the_shared_session(run):
    """`with graph.as_default():` alone used to give 'uninitialized'; the shared session fixes it."""
    code = """
    import legacy_shim, threading
    import numpy as np
    import tensorflow as tf
    from keras.models import Sequential
    from keras.layers import Dense
    from keras import backend as K
    model = Sequential([Dense(3, input_shape=(2,))])
    x = np.ones((1, 2), "float32")
    ref = model.predict(x).tolist()
    graph = tf.get_default_graph()
    fn = K.function([model.input], [model.output])
    out = {}
    def handler():
        try:
            with graph.as_default():
                out["predict"] = model.predict(x).tolist()
            out["function"] = fn([x])[0].tolist()   # K.function from another thread
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {exc}"[:300]
    t = threading.Thread(target=handler); t.start(); t.join()
    emit({"out": out, "ref": ref})
    """
    _, res = run(code)
    assert "error" not in res["out"], res["out"]
    assert res["out"]["predict"] == res["ref"]
    assert res["out"]["function"] == res["ref"]
    _, res = run(code, env={"LEGACY_SHIM_DISABLE": "thread-context,session-sharing"})
    assert "uninitialized" in res["out"].get("error", "") or "not found" in res["out"].get("error", ""), res["out"]


def test_predict_lock_serialises_inference(run):
    code = """
    import legacy_shim, threading, time
    import numpy as np
    from keras.models import Sequential
    from keras.layers import Dense
    from tf_keras.src import backend
    model = Sequential([Dense(2, input_shape=(2,))])
    x = np.ones((1, 2), "float32")
    model.predict(x)
    state = {"inside": 0, "max": 0}
    guard = threading.Lock()
    inner = backend.GraphExecutionFunction.__call__
    def counting(self, inputs):   # runs inside predict, where the lock (if any) is held
        with guard:
            state["inside"] += 1; state["max"] = max(state["max"], state["inside"])
        time.sleep(0.05)
        try:
            return inner(self, inputs)
        finally:
            with guard:
                state["inside"] -= 1
    backend.GraphExecutionFunction.__call__ = counting
    barrier = threading.Barrier(8)
    def go():
        barrier.wait(); model.predict(x)
    threads = [threading.Thread(target=go) for _ in range(8)]
    [t.start() for t in threads]; [t.join() for t in threads]
    emit({"max_concurrent": state["max"]})
    """
    _, locked = run(code, env={"LEGACY_SHIM_PREDICT_LOCK": "1"})
    assert locked["max_concurrent"] == 1
    _, free = run(code)
    assert free["max_concurrent"] > 1  # the measurement can see concurrency when there is no lock


def test_forked_child_gets_a_clear_error_not_a_hang(run):
    """gunicorn --preload forks after the model's session exists; TF sessions are not fork-safe."""
    code = """
    import legacy_shim, os, sys
    import numpy as np
    from keras.models import Sequential
    from keras.layers import Dense
    model = Sequential([Dense(2, input_shape=(2,))])
    x = np.ones((1, 2), "float32")
    ref = model.predict(x).tolist()
    pid = os.fork()
    if pid == 0:
        try:
            model.predict(x)
            os._exit(3)
        except Exception as exc:
            os._exit(7 if type(exc).__name__ == "ForkedSessionError" and "--preload" in str(exc) else 5)
    _, status = os.waitpid(pid, 0)
    emit({"child": os.waitstatus_to_exitcode(status), "parent_ok": model.predict(x).tolist() == ref})
    """
    proc, out = run(code, timeout=120)
    assert out == {"child": 7, "parent_ok": True}
    assert "not fork-safe" in proc.stderr
