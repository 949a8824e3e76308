"""Load-once, the clear_session guard, and the TF1 / Keras-2 names legacy code uses."""

import json


def test_repeated_load_model_returns_the_loaded_model_until_the_file_changes(run):
    code = """
    import legacy_shim, os, threading, time
    import numpy as np
    from keras.models import Sequential, load_model
    from keras.layers import Dense
    from keras import backend as K
    m = Sequential([Dense(3, input_shape=(2,), activation="softmax")]); m.compile("adam", "mse")
    m.save("m.h5")
    first = load_model("m.h5")
    again = load_model(os.path.abspath("m.h5"))
    with_objects = load_model("m.h5", custom_objects={"x": object()})
    x = np.ones((1, 2), "float32")
    ref = first.predict(x).tolist()
    # the per-request idiom, from threads: clear_session + load_model + predict
    seen, errors = [], []
    def handler():
        try:
            K.clear_session()
            model = load_model("m.h5")
            seen.append((model is first, model.predict(x).tolist() == ref))
        except Exception as exc:
            errors.append(repr(exc)[:300])
    ts = [threading.Thread(target=handler) for _ in range(8)]
    [t.start() for t in ts]; [t.join() for t in ts]
    # a changed file loads afresh
    time.sleep(0.01); m.save("m.h5"); os.utime("m.h5", None)
    changed = load_model("m.h5")
    # main-thread clear_session is real, and the loaded models keep working
    K.clear_session()
    after_clear = first.predict(x).tolist() == ref
    emit({"again": again is first, "with_objects": with_objects is first, "seen": seen, "errors": errors,
          "changed": changed is first, "after_clear": after_clear, "stats": legacy_shim.report().load_once})
    """
    _, out = run(code)
    assert out["again"] is True
    assert out["with_objects"] is False
    assert out["errors"] == []
    assert out["seen"] == [[True, True]] * 8
    assert out["changed"] is False
    assert out["after_clear"] is True
    assert out["stats"]["hits"] >= 9
    _, off = run(code, env={"LEGACY_SHIM_DISABLE": "load-once"})
    assert off["again"] is False and off["stats"]["hits"] == 0


def test_tf1_and_keras2_names_resolve(run):
    code = """
    import legacy_shim, threading
    import numpy as np
    import tensorflow as tf
    import keras
    import keras.backend.tensorflow_backend as tb
    from keras.backend.tensorflow_backend import set_session
    from tensorflow.keras import backend as tk
    from tensorflow.python.keras.backend import get_session
    from keras.layers.core import Dense
    from keras.utils.np_utils import to_categorical
    x = tf.placeholder(tf.float32, [None, 3])
    mean, var = tf.nn.moments(x, axes=[1], keep_dims=True)
    with tf.Session() as sess:
        got = sess.run(mean, {x: [[1.0, 2.0, 3.0]]}).tolist()
    config = tf.ConfigProto(intra_op_parallelism_threads=1)
    config.gpu_options.allow_growth = True
    sess = tf.Session(config=config)
    set_session(sess)
    scope_ok = []
    def handler():
        tb._SYMBOLIC_SCOPE.value = True        # the per-request hack: harmless
        scope_ok.append(tb._SYMBOLIC_SCOPE.value)
    t = threading.Thread(target=handler); t.start(); t.join()
    model = keras.models.Sequential([Dense(4, input_shape=(3,), activation="softmax")])
    binary = keras.models.Sequential([Dense(1, input_shape=(3,), activation="sigmoid")])
    xs = np.random.RandomState(0).normal(size=(5, 3)).astype("float32")
    emit({
        "moments": got,
        "session_is_keras": tk.get_session() is sess and get_session() is sess,
        "scope": scope_ok,
        "keras_version": keras.__version__,
        "optimizer": hasattr(tf.train, "AdamOptimizer"),
        "classes": model.predict_classes(xs).tolist() == np.argmax(model.predict(xs), axis=-1).tolist(),
        "binary": binary.predict_classes(xs).tolist() == (binary.predict(xs) > 0.5).astype("int32").tolist(),
        "proba": binary.predict_proba(xs).tolist() == binary.predict(xs).tolist(),
        "onehot": to_categorical([0, 2], 3).tolist(),
    })
    """
    _, out = run(code)
    assert out["moments"] == [[2.0]]
    assert out["session_is_keras"] is True
    assert out["scope"] == [True]
    assert out["keras_version"].startswith("2.")
    assert out["optimizer"] and out["classes"] and out["binary"] and out["proba"]
    assert out["onehot"] == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def test_imported_after_tensorflow_still_works_after_keras3_says_what_to_do(run):
    after_tf = """
    import threading
    import tensorflow as tf
    import legacy_shim
    import numpy as np
    from keras.models import Sequential
    from keras.layers import Dense
    m = Sequential([Dense(2, input_shape=(2,))]); x = np.ones((1, 2), "float32"); ref = m.predict(x).tolist()
    out = []
    t = threading.Thread(target=lambda: out.append(m.predict(x).tolist())); t.start(); t.join()
    emit({"ok": out == [ref]})
    """
    _, out = run(after_tf)
    assert out["ok"]
    after_keras3 = """
    import warnings
    import keras
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import legacy_shim
    emit({"warnings": [str(w.message) for w in caught if w.category.__name__ == "LegacyShimWarning"]})
    """
    _, out = run(after_keras3)
    assert len(out["warnings"]) == 1
    assert "__main__.keras" in out["warnings"][0] and "first line" in out["warnings"][0]


def test_runner_report_and_list(run, tmp_path):
    app = tmp_path / "legacy_app.py"
    app.write_text(
        "import sys, json\n"
        "import tensorflow as tf\n"
        "from keras import backend as K\n"
        "graph = tf.get_default_graph()\n"
        "sess = tf.Session()\n"
        "K.set_session(sess)\n"
        "print('@@APP@@' + json.dumps({'name': __name__, 'argv': sys.argv}))\n",
        encoding="utf-8",
    )
    code = """
    import subprocess, sys, json
    app = sys.argv[1]
    ran = subprocess.run([sys.executable, "-m", "legacy_shim", "--report", "report.json", app, "--port", "1"],
                         capture_output=True, text=True)
    listed = subprocess.run([sys.executable, "-m", "legacy_shim", "--list"], capture_output=True, text=True)
    line = [l for l in ran.stdout.splitlines() if l.startswith("@@APP@@")]
    emit({"rc": ran.returncode, "stderr": ran.stderr[-2000:], "app": json.loads(line[0][7:]) if line else None,
          "report": json.load(open("report.json")) if ran.returncode == 0 else None,
          "list": listed.stdout, "list_rc": listed.returncode})
    """
    _, out = run(code, args=(str(app),))
    assert out["rc"] == 0, out["stderr"]
    assert out["app"] == {"name": "__main__", "argv": [str(app), "--port", "1"]}
    sites = {(s["line"], s["idiom"]) for s in out["report"]["call_sites"] if s["file"] == str(app)}
    assert sites == {(4, "tf.get_default_graph()"), (5, "tf.Session()"), (6, "K.set_session(sess)")}
    from legacy_shim.patches import PATCHES  # the table itself, read without installing it

    assert out["list_rc"] == 0
    for patch in PATCHES:
        assert f"{patch.id}: " in out["list"]
    assert "thread-context: applied" in out["list"]
    assert json.dumps(out["report"]["patches"])  # serialisable
