"""Which mode an app gets, the Keras 2 names real apps import, and imports the shim cannot serve."""

from __future__ import annotations

import re

from .conftest import run_script

DECISIONS = """
import os, pathlib
os.environ["LEGACY_SHIM_MODE"] = "graph"   # this scenario's own mode; decide() below is pure
from legacy_shim import app_style

def decide(files, forced=None):
    root = pathlib.Path("apps") / str(len(list(pathlib.Path("apps").glob("*"))) if pathlib.Path("apps").exists() else 0)
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text)
    d = app_style.decide(root, forced)
    return {"mode": d.mode, "mixed": d.mixed, "graph": [str(e) for e in d.graph], "eager": [str(e) for e in d.eager],
            "tf2_api": [str(e) for e in d.tf2_api]}

emit({
    "eager": decide({"app.py": "probs = model(x).numpy()\\n"}),
    "graph": decide({"app.py": "graph = tf.get_default_graph()\\nwith graph.as_default():\\n    model.predict(x)\\n"}),
    "neither": decide({"app.py": "model = load_model('m.h5')\\nmodel.predict(x)\\n"}),
    "config_only": decide({"app.py": "c = tf.compat.v1.ConfigProto()\\n"
                           "K.set_session(tf.compat.v1.Session(config=c))\\ny = model(x).numpy()\\n"}),
    "mixed_across_files": decide({"app.py": "y = model(x).numpy()\\n", "helpers.py": "sess.run(out)\\n"}),
    "commented": decide({"app.py": "# graph = tf.get_default_graph()\\ny = model(x).numpy()\\n"}),
    "tests_ignored": decide({"app.py": "y = model(x).numpy()\\n", "test_app.py": "sess.run(out)\\n"}),
    "forced": decide({"app.py": "y = model(x).numpy()\\n"}, forced="graph"),
    "tf2_api": decide({"app.py": "img = tf.keras.utils.load_img(p, target_size=(4, 4))\\nmodel.predict(tf.expand_dims(a, 0))\\n"}),
    "tf2_api_imported": decide({"app.py": "from tensorflow.keras.layers import Dense, Rescaling\\n"}),
    "tf2_api_and_graph": decide({"app.py": "x = keras.utils.img_to_array(img)\\ngraph = tf.get_default_graph()\\n"}),
    "own_utils": decide({"app.py": "import utils\\nimg = utils.load_img(p)\\nlayer = A.RandomCrop(4, 4)\\n"}),
})
"""


def test_mode_is_chosen_from_the_apps_own_idioms(run):
    _, result = run(DECISIONS)
    assert result["eager"]["mode"] == "eager"
    assert result["graph"]["mode"] == "graph"
    assert result["neither"]["mode"] == "graph"
    # ConfigProto + compat.v1 Session + set_session for GPU options works in both modes
    assert result["config_only"]["mode"] == "eager"
    # both styles: graph mode, as every earlier shim ran it (warned at start, see test_tf2_era_apps)
    assert result["mixed_across_files"]["mode"] == "graph" and result["mixed_across_files"]["mixed"]
    assert not any(result[k]["mixed"] for k in ("eager", "graph", "neither", "commented", "tests_ignored"))
    assert result["mixed_across_files"]["graph"] == ["sess.run(...) at helpers.py:1"]
    assert result["commented"]["mode"] == "eager"
    assert result["tests_ignored"]["mode"] == "eager"  # a test file does not run in the server
    assert result["forced"]["mode"] == "graph"
    # Keras names only TF 2 has: eager when no idiom of either mode says otherwise
    assert result["tf2_api"]["mode"] == "eager"
    assert result["tf2_api"]["tf2_api"] == ["keras.utils.load_img (TF 2.x only) at app.py:1"]
    assert result["tf2_api_imported"]["mode"] == "eager"
    # they work in graph mode too: next to a graph idiom they neither switch the mode nor make it mixed
    assert result["tf2_api_and_graph"]["mode"] == "graph" and not result["tf2_api_and_graph"]["mixed"]
    # only the Keras path counts: an app's own utils.load_img, albumentations' RandomCrop
    assert result["own_utils"]["mode"] == "graph" and result["own_utils"]["tf2_api"] == []


def test_keras2_names_real_apps_import_resolve(run):
    """The names a survey of real apps failed on, without the Keras wheels (the slow test in
    tests/standalone_keras walks them all)."""
    _, result = run("""
import legacy_shim
from keras.layers.normalization import BatchNormalization
from keras.layers.merge import concatenate, Add, Concatenate
from keras.layers.advanced_activations import LeakyReLU, PReLU
from keras.layers.embeddings import Embedding
from keras.layers.wrappers import Bidirectional, TimeDistributed
from keras.layers.recurrent import SimpleRNN
from keras.engine import Layer
from keras.engine.topology import Layer as TopologyLayer
from keras.utils.generic_utils import CustomObjectScope, get_custom_objects
from keras.optimizers import adam, Adam
from keras.layers import Deconvolution2D, Conv2DTranspose
import keras
messages = {}
for stmt in ("from keras.utils import multi_gpu_model",
             "from keras.wrappers.scikit_learn import KerasClassifier",
             "from keras.layers import AtrousConvolution2D"):
    try:
        exec(stmt)
        messages[stmt] = None
    except ImportError as exc:
        messages[stmt] = f"{type(exc).__name__}: {exc}"
emit({"same": [adam is Adam, Deconvolution2D is Conv2DTranspose, Layer is TopologyLayer is keras.layers.Layer],
      "bn": BatchNormalization.__module__, "messages": messages})
""")
    assert result["same"] == [True, True, True]
    assert result["bn"].startswith("tf_keras.")
    messages = result["messages"]
    assert "MirroredStrategy" in messages["from keras.utils import multi_gpu_model"]
    assert "scikeras" in messages["from keras.wrappers.scikit_learn import KerasClassifier"]
    assert "dilation_rate" in messages["from keras.layers import AtrousConvolution2D"]


def test_tensorflow_contrib_import_says_what_to_do_and_is_reported(run, tmp_path):
    _, result = run("""
import legacy_shim
import tensorflow as tf
errors = []
for stmt in ("from tensorflow.contrib import slim", "import tensorflow.contrib.rnn",
             "tf.contrib.layers.xavier_initializer()"):
    try:
        exec(stmt)
        errors.append(None)
    except ImportError as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
emit({"errors": errors, "sites": [str(s) for s in legacy_shim.report().call_sites]})
""")
    slim, rnn, layers = result["errors"]
    assert "tensorflow.contrib.slim" in slim and "pip install tf-slim" in slim
    assert "tensorflow.contrib.rnn" in rnn and "rnn_cell" in rnn
    assert "tensorflow.contrib.layers" in layers and "tf.compat.v1.layers" in layers
    assert any(re.search(r"scenario\.py:\d+: import tensorflow\.contrib\.rnn \(unavailable\)", s) for s in result["sites"])


def test_list_shows_the_mode_the_surface_and_the_unavailable_imports(tmp_path):
    proc, _ = run_script("""
import runpy, sys
sys.argv = ["legacy_shim", "--list"]
runpy.run_module("legacy_shim", run_name="__main__")
""", tmp_path)
    out = proc.stdout
    assert re.search(r"^mode: graph", out, re.MULTILINE)
    assert "keras2-import-surface: applied" in out
    assert "unavailable-imports: applied" in out
    assert "tensorflow.contrib" in out


def test_eager_calls_on_graph_tensors_name_the_fix_and_working_calls_are_unchanged(run):
    _, result = run("""
import os
os.environ["LEGACY_SHIM_MODE"] = "graph"
import numpy as np
import legacy_shim
import tensorflow as tf
from tensorflow.python.framework import ops
model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))])
x = np.arange(3, dtype=np.float32).reshape(1, 3)
y = model(x)  # graph mode: a symbolic tensor
errors = {}
for name, call in (("numpy", lambda: y.numpy()), ("argmax", lambda: np.argmax(y)), ("other", lambda: y.no_such_name)):
    try:
        call()
    except Exception as exc:
        errors[name] = [type(exc).__name__, str(exc)]
session = tf.compat.v1.keras.backend.get_session()
ran = bool(np.allclose(session.run(y), model.predict(x)))
legacy_shim.uninstall()
emit({"errors": errors, "hasattr": hasattr(y, "numpy"), "shape": y.shape.as_list(), "run": ran,
      "restored": ["__array__" not in vars(ops.SymbolicTensor), "__getattr__" not in vars(ops.SymbolicTensor)]})
""")
    errors = result["errors"]
    assert errors["numpy"][0] == "AttributeError" and errors["argmax"][0] == "NotImplementedError"
    for kind in ("numpy", "argmax"):
        assert "runs in TF 1 graph mode (LEGACY_SHIM_MODE=graph)" in errors[kind][1]
        assert "LEGACY_SHIM_MODE=eager" in errors[kind][1] and "model.predict(x)" in errors[kind][1]
    assert "Cannot convert a symbolic tf.Tensor" in errors["argmax"][1]  # TensorFlow's own words kept
    assert errors["other"][0] == "AttributeError" and "legacy_shim" not in errors["other"][1]
    assert result["hasattr"] is False and result["shape"] == [1, 2] and result["run"] is True
    assert result["restored"] == [True, True]
