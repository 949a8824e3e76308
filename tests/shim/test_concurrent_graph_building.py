"""Under the shim, concurrent calls fail only as the app's own call would, and leave every
thread's graph/session stacks as they found them.

A TF1-mode graph shares its colocation/device/control-dependency stacks and its control
flow context between threads. ``model(x)`` builds ops on every call; a model with
Dropout or BatchNormalization builds a ``tf.cond`` each time. Before the shim serialised
those calls, 8 threads calling such a model died with ``IndexError: pop from empty
list`` (contextlib exit inside ``colocate_with``) or a bare ``AssertionError``.
"""

from __future__ import annotations

# A TF 2-era model: Dropout and BatchNormalization (a cond on the learning phase),
# rebuilt with model_from_json + load_weights in a loader class, as real apps do.
PRELUDE = """
import sys
sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show at once
import legacy_shim
import threading
import numpy as np
import tensorflow as tf
from tensorflow.keras import backend as K
from tensorflow.keras.layers import BatchNormalization, Dense, Dropout
from tensorflow.keras.models import Sequential, model_from_json

source = Sequential([Dense(8, input_shape=(4,), activation="relu"), BatchNormalization(), Dropout(0.3),
                     Dense(8, activation="relu"), Dense(3, activation="softmax")])
rng = np.random.RandomState(0)
source.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in source.get_weights()])
source.save_weights("weights.h5")
ARCH = source.to_json()

class Loader:
    def __init__(self):
        self.model = model_from_json(ARCH)
        self.model.load_weights("weights.h5")

loader = Loader()
x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
reference = loader.model.predict(x).tolist()
THREADS = 8

def stacks_of_this_thread(shared=False):
    # This thread's default graph / session stacks; with shared, also the model graph's
    # stacks that a TF1-mode graph shares between threads (only meaningful once every
    # thread has finished: until then another thread may be inside a call).
    from tensorflow.python.framework import ops
    g = loader.model.outputs[0].graph
    stacks = {
        "graph_stack": len(ops._default_graph_stack.stack),
        "session": tf.compat.v1.get_default_session() is not None,
    }
    if shared:
        stacks.update(colocation=len(g._colocation_stack), control_flow=g._get_control_flow_context() is not None,
                      control_deps=len(g._control_dependencies_stack))
    return stacks

def run_threads(work):
    errors, stacks = [], []
    barrier = threading.Barrier(THREADS)
    def thread(i):
        barrier.wait()
        try:
            work(i)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        stacks.append(stacks_of_this_thread())
    threads = [threading.Thread(target=thread, args=(i,)) for i in range(THREADS)]
    [t.start() for t in threads]; [t.join() for t in threads]
    return errors, stacks

BALANCED = {"graph_stack": 0, "session": False}
SHARED_BALANCED = dict(BALANCED, colocation=0, control_flow=False, control_deps=0)
"""


def test_concurrent_symbolic_calls_do_not_race(run):
    """Fails without the graph lock on ``__call__`` (hundreds of IndexError/AssertionError)."""
    _, result = run(PRELUDE + """
def work(i):
    for _ in range(20):
        out = loader.model(x)
        assert out.shape.as_list() == [2, 3], out.shape
errors, stacks = run_threads(work)
emit({"errors": errors, "stacks": stacks, "balanced": BALANCED, "main": stacks_of_this_thread(shared=True),
      "shared_balanced": SHARED_BALANCED})
""")
    assert result["errors"] == []
    assert len(result["stacks"]) == 8
    assert all(s == result["balanced"] for s in result["stacks"]), result["stacks"]
    assert result["main"] == result["shared_balanced"]


def test_concurrent_failing_predicts_raise_the_apps_own_error(run):
    """A wrong-shaped request fails in every thread with exactly the error a single-threaded
    call gives, and the next good predict in that thread still answers correctly."""
    _, result = run(PRELUDE + """
bad = np.ones((2, 5), dtype="float32")
def own_error(call):
    try:
        call()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return None
alone_predict = own_error(lambda: loader.model.predict(bad))
alone_call = own_error(lambda: loader.model(bad))
answers = []
def work(i):
    for k in range(10):
        call = (lambda: loader.model.predict(bad)) if (i + k) % 2 else (lambda: loader.model(bad))
        expected = alone_predict if (i + k) % 2 else alone_call
        got = own_error(call)
        if got != expected:
            raise AssertionError(f"thread {i}: {got!r} != {expected!r}")
        answers.append(loader.model.predict(x).tolist())
errors, stacks = run_threads(work)
emit({"errors": errors, "stacks": stacks, "balanced": BALANCED, "alone": [alone_predict, alone_call],
      "answers_ok": all(a == reference for a in answers), "answers": len(answers)})
""")
    assert result["alone"][0] and result["alone"][0].startswith("ValueError"), result["alone"]
    assert result["alone"][1] and result["alone"][1].startswith("ValueError"), result["alone"]
    assert result["errors"] == []
    assert result["answers"] == 80 and result["answers_ok"]
    assert all(s == result["balanced"] for s in result["stacks"]), result["stacks"]


def test_clear_session_and_reset_default_graph_from_other_threads(run):
    """Request threads that reset Keras or TF state do not break the others' predicts."""
    _, result = run(PRELUDE + """
answers = []
def work(i):
    for k in range(10):
        if i == 0:
            K.clear_session()
        elif i == 1:
            tf.compat.v1.reset_default_graph()
        answers.append(loader.model.predict(x).tolist())
        answers.append(loader.model.predict_on_batch(x).tolist())
errors, stacks = run_threads(work)
after = loader.model.predict(x).tolist()
emit({"errors": errors, "stacks": stacks, "balanced": BALANCED, "answers": len(answers),
      "answers_ok": all(a == reference for a in answers), "after_ok": after == reference})
""")
    assert result["errors"] == []
    assert result["answers"] == 160 and result["answers_ok"]
    assert result["after_ok"]
    assert all(s == result["balanced"] for s in result["stacks"]), result["stacks"]
