"""predict-speed rewrites `model.predict(x)` to `model.predict_on_batch(x)`: prove the outputs are identical.

Real models (the fixture catalogue's layer stacks and weights), real Keras: Keras 3 and
tf_keras, each in its own interpreter (TF picks its Keras at import). For array inputs of
1 to 100 rows, float64 (what `np.array(json)` gives) and float32, the two calls must return
equal arrays, bit for bit, of the same dtype and shape. The rule's refusal to rewrite a
plain nested list is justified by a fact checked here too: tf_keras' predict accepts one
and its predict_on_batch does not.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest

from migrate.engine import Config, apply_rules
from migrate.rules.predict_speed import PredictSpeed
from tests.serving.harness import REPO_ROOT, shim_env

_SCRIPT = r"""
import json, os, sys
import numpy as np
flavour = sys.argv[1]
if flavour == "tf_keras":
    import tf_keras as keras
else:
    import keras
from fixtures.models import CATALOGUE, deterministic_weights
out = {"equal": [], "unequal": [], "list_predict": None, "list_predict_on_batch": None}
rng = np.random.default_rng(0)
for spec in CATALOGUE:
    if spec.save_as != "model":
        continue
    layers = [keras.Input((spec.input_dim,))] + [keras.layers.Dense(u, activation=a) for u, a in spec.layers]
    model = keras.Sequential(layers)
    model.set_weights(deterministic_weights(spec))
    model_dim = spec.input_dim  # the last Keras model's: later CATALOGUE entries may be raw TF1 artifacts
    for rows in (1, 2, 3, 4, 7, 32, 33, 100):
        for dtype in ("float64", "float32"):
            x = rng.normal(size=(rows, spec.input_dim)).round(4).astype(dtype)
            a = model.predict(x, verbose=0)
            b = model.predict_on_batch(x)
            same = type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
            out["equal" if same else "unequal"].append(f"{spec.name} rows={rows} {dtype}")
    nested = rng.normal(size=(2, spec.input_dim)).round(4).tolist()
    for call in ("predict", "predict_on_batch"):
        try:
            getattr(model, call)(nested, **({"verbose": 0} if call == "predict" else {}))
            out["list_" + call] = "ok"
        except Exception as exc:
            out["list_" + call] = type(exc).__name__

# the helper emitted where the input is not provably an array, exactly as emitted
import threading
from migrate.rules.predict_speed import FAST_HELPER
namespace = {"numpy": np, "threading": threading}
exec("PREDICT_LOCK = threading.RLock()\n" + FAST_HELPER, namespace)
fast_predict = namespace["fast_predict"]
a, b = keras.Input((8,)), keras.Input((4,))
joined = keras.layers.Concatenate()([keras.layers.Dense(16, activation="relu")(a), b])
two = keras.Model([a, b], keras.layers.Dense(3, activation="softmax")(joined))
two.set_weights([np.random.RandomState(5).uniform(-0.5, 0.5, w.shape).astype("float32") for w in two.get_weights()])
out["helper_equal"], out["helper_unequal"], out["helper_nested"], out["thread_errors"] = [], [], [], []
for rows in (1, 5, 32, 33, 100):
    cases = {"mlp": (model, rng.normal(size=(rows, model_dim)).astype("float32")),
             "two inputs": (two, [rng.normal(size=(rows, 8)).astype("float32"),
                                  rng.normal(size=(rows, 4)).astype("float32")])}
    for label, (m, x) in cases.items():
        a, b = m.predict(x, verbose=0), fast_predict(m, x)
        same = type(a) is type(b) and a.shape == b.shape and float(np.max(np.abs(a - b))) <= 1e-5
        out["helper_equal" if same else "helper_unequal"].append(f"{label} rows={rows}")
        # an explicit batch_size: one batch when the input fits it, predict's own batches otherwise
        for size in (1, 4, 32, 64):
            a, b = m.predict(x, batch_size=size, verbose=0), fast_predict(m, x, batch_size=size)
            same = type(a) is type(b) and a.shape == b.shape and np.array_equal(a, b)
            out["helper_equal" if same else "helper_unequal"].append(f"{label} rows={rows} batch_size={size}")
def outcome(call):
    try:
        return np.asarray(call()).round(5).tolist()
    except Exception as exc:  # the error is the outcome compared
        return type(exc).__name__
for x in (nested, nested[0], tuple(nested)):
    out["helper_nested"].append(outcome(lambda: model.predict(x, verbose=0)) == outcome(lambda: fast_predict(model, x)))
inputs = [rng.normal(size=(1 + i % 3, model_dim)).astype("float32") for i in range(8)]
wanted = [model.predict(x, verbose=0) for x in inputs]
accepts_lists = out["list_predict"] == "ok"
def work(i):
    try:
        for k in range(10):
            x = inputs[i].tolist() if accepts_lists and k % 3 == 0 else inputs[i]
            if float(np.max(np.abs(np.asarray(fast_predict(model, x)) - wanted[i]))) > 1e-5:
                out["thread_errors"].append("wrong answer")
    except Exception as exc:
        out["thread_errors"].append(f"{type(exc).__name__}: {exc}"[:200])
threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(out))
"""


@functools.cache  # one interpreter per Keras answers both tests
def _run(flavour: str) -> dict:
    env = shim_env({"TF_USE_LEGACY_KERAS": "1" if flavour == "tf_keras" else "0"})
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, flavour], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_predict_on_batch_equals_predict_on_arrays(flavour):
    result = _run(flavour)
    assert not result["unequal"], result["unequal"]
    assert len(result["equal"]) == 3 * 8 * 2
    if flavour == "tf_keras":
        # why the rule wants visible arrays: a nested list works with predict only
        assert result["list_predict"] == "ok"
        assert result["list_predict_on_batch"] != "ok"


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_fast_predict_helper_equals_predict_for_every_input_and_is_thread_safe(flavour):
    result = _run(flavour)
    # arrays and lists of arrays (a two-input model), batches on both sides of predict's 32
    assert not result["helper_unequal"], result["helper_unequal"]
    assert len(result["helper_equal"]) == 2 * 5 * (1 + 4)
    # a nested list, a flat list, a tuple: same answer as predict, or the same error
    assert result["helper_nested"] == [True, True, True]
    # 8 threads at once, arrays and (where predict takes them) nested lists mixed
    assert not result["thread_errors"], result["thread_errors"][:3]


def _rewrite(source: str) -> tuple[str, list]:
    outcome = apply_rules(source, Config(select=frozenset({PredictSpeed.NAME})), rules=[PredictSpeed])
    assert outcome.error is None, outcome.error
    return outcome.code, outcome.manual


@pytest.mark.parametrize(
    "handler_line",
    [
        "x = np.array(request.json['instances'])",
        "x = np.asarray(request.json['instances'], dtype=np.float32) / 255.0",
        "x = preprocess(request.json['instances'])",
        "x = df.values",
        "x = np.array(request.json['a']).reshape(1, -1).astype('float32')",
    ],
)
def test_array_inputs_are_rewritten(handler_line):
    source = (
        "import numpy as np\nfrom keras.models import load_model\nmodel = load_model('m.h5')\n"
        "def preprocess(v):\n    return np.array(v)[None]\n"
        f"@app.route('/p')\ndef p():\n    {handler_line}\n    return model.predict(x).tolist()\n"
    )
    code, manual = _rewrite(source)
    assert "model.predict_on_batch(x)" in code and not manual


@pytest.mark.parametrize(
    "handler_line",
    [
        "x = request.json['instances']",
        "x = [request.json['a'], request.json['b']]",
        "x = {'image': np.array(request.json['a'])}",
        "x = load(request.json)",
    ],
)
def test_inputs_not_visibly_arrays_go_through_the_helper(handler_line):
    source = (
        "import numpy as np\nfrom keras.models import load_model\nmodel = load_model('m.h5')\n"
        f"@app.route('/p')\ndef p():\n    {handler_line}\n    return model.predict(x).tolist()\n"
    )
    code, manual = _rewrite(source)
    # no proven-array rewrite: the exact helper, which calls predict(x, verbose=0) for non-arrays
    assert "return fast_predict(model, x).tolist()" in code and "predict_on_batch(x).tolist()" not in code
    assert not manual
