"""`model.predict(x)` in a request handler → `model.predict_on_batch(x)`: same answers, ~90x faster.

On Keras 3, `predict` builds a data pipeline on every call: ~59 ms for one row of a small MLP,
against ~0.7 ms for `predict_on_batch`. A migrated app that kept `predict` in its handlers
would be far slower than the legacy app it replaces: in the serving benchmark its latency is
40x the migrated app's (docs/benchmarks.md, variant (d) against (c)). For array inputs both calls
return the same NumPy array, bit for bit, on Keras 3 and tf_keras (measured by
tests/migrate/test_rule_predict_speed.py on real models, batches of 1 to 100 rows).

     def predict():
         x = np.array(request.get_json()["instances"])
    -    preds = model.predict(x)
    +    preds = model.predict_on_batch(x)

Rewritten only where the receiver is a Keras model, the call runs per request (route,
view, worker item, or a helper they call), and the input is visibly an array; `verbose`
and a `batch_size` that covers the whole input are dropped. Anything else is reported.
"""

from __future__ import annotations

import libcst as cst

from migrate.analysis.arrays import ArrayOracle
from migrate.analysis.models import MODEL
from migrate.analysis.shared import TreeAnalyses
from migrate.analysis.walk import transform
from migrate.rules.base import Example, Rule

# keyword arguments of predict that predict_on_batch can do without (value check in code)
DROPPABLE_KWARGS = frozenset({"verbose", "batch_size"})


class _Rewriter(cst.CSTTransformer):
    def __init__(self, rule: "PredictSpeed", analyses: TreeAnalyses) -> None:
        super().__init__()
        self.rule = rule
        self.names = analyses.names
        self.module = analyses.tree
        self.models = analyses.models
        self.requests = analyses.requests
        self._arrays: ArrayOracle | None = None
        self.stack: list[cst.FunctionDef] = []
        self.rewrite: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append(node)

    def leave_FunctionDef(self, original_node, updated_node):
        self.stack.pop()
        return updated_node

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "predict"):
            return
        if not self.stack or not self.requests.is_per_request(self.stack[-1]):
            return
        if self.models.kind_of(func.value) != MODEL:
            return
        positional = [a for a in node.args if a.keyword is None]
        if len(positional) != 1 or positional[0].star:
            self.rule.manual(node, "model.predict(...) per request with several inputs: consider predict_on_batch")
            return
        x = positional[0].value
        for arg in node.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value not in DROPPABLE_KWARGS:
                self.rule.manual(node, f"model.predict(..., {arg.keyword.value}=...) per request is slow on "
                                       "Keras 3; predict_on_batch has no such option, change it by hand")
                return
            if arg.keyword.value == "batch_size" and not _covers_input(arg.value, x):
                self.rule.manual(node, "model.predict(x, batch_size=...) per request is slow on Keras 3; "
                                       "predict_on_batch would change the batching, change it by hand")
                return
        if self._arrays is None:
            self._arrays = ArrayOracle(self.module, self.names)  # only for files with a candidate
        if not self._arrays.is_array(x, self.stack[-1]):
            self.rule.manual(node, "model.predict(x) per request is ~90x slower on Keras 3 than "
                                   "predict_on_batch(x); x is not visibly an array, so it was left as is")
            return
        self.rewrite.add(id(node))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if id(original_node) not in self.rewrite:
            return updated_node
        x = next(a for a in updated_node.args if a.keyword is None)
        return updated_node.with_changes(
            func=updated_node.func.with_changes(attr=cst.Name("predict_on_batch")),
            args=[x.with_changes(comma=cst.MaybeSentinel.DEFAULT)],
        )


def _covers_input(batch_size: cst.BaseExpression, x: cst.BaseExpression) -> bool:
    # batch_size=len(x) / x.shape[0]: one batch, as predict_on_batch does
    module = cst.Module(body=[])
    if isinstance(batch_size, cst.Call) and isinstance(batch_size.func, cst.Name) and batch_size.func.value == "len":
        return len(batch_size.args) == 1 and module.code_for_node(batch_size.args[0].value) == module.code_for_node(x)
    text = module.code_for_node(batch_size).replace(" ", "")
    return text == module.code_for_node(x).replace(" ", "") + ".shape[0]"


class PredictSpeed(Rule):
    """Per-request `model.predict(x)` → `model.predict_on_batch(x)` (identical outputs, small-batch speed)."""

    NAME = "predict-speed"
    DESCRIPTION = (
        "In request handlers, `model.predict(x)` on an array → `model.predict_on_batch(x)`: identical "
        "outputs, ~90x faster per request on Keras 3."
    )
    SAFE = True
    ORDER = 70
    TRIGGERS = (".predict(",)
    FIXES = [
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array(request.get_json()["instances"])
                preds = model.predict(x)
                return jsonify(preds.tolist())
            """,
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array(request.get_json()["instances"])
                preds = model.predict_on_batch(x)
                return jsonify(preds.tolist())
            """,
            id="flask route, module-level model",
        ),
        Example(
            """
            import numpy as np
            import keras
            model = keras.models.load_model("m.h5")

            @app.post("/predict")
            def predict():
                batch = np.array(request.json["instances"], dtype="float32")
                return model.predict(batch, batch_size=len(batch), verbose=0).tolist()
            """,
            """
            import numpy as np
            import keras
            model = keras.models.load_model("m.h5")

            @app.post("/predict")
            def predict():
                batch = np.array(request.json["instances"], dtype="float32")
                return model.predict_on_batch(batch).tolist()
            """,
            id="batch_size covering the input and verbose dropped",
        ),
        Example(
            """
            import numpy as np
            from tensorflow.keras.models import load_model
            MODELS = []
            for f in FILES:
                MODELS.append(load_model(f))

            def run_model(i, x):
                return MODELS[i].predict(x)

            @app.route("/predict")
            def predict():
                x = np.array(request.get_json()["instances"])
                return jsonify(run_model(0, x).tolist())
            """,
            """
            import numpy as np
            from tensorflow.keras.models import load_model
            MODELS = []
            for f in FILES:
                MODELS.append(load_model(f))

            def run_model(i, x):
                return MODELS[i].predict_on_batch(x)

            @app.route("/predict")
            def predict():
                x = np.array(request.get_json()["instances"])
                return jsonify(run_model(0, x).tolist())
            """,
            id="helper called from a route, models in a list, array passed in",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            from flask_restful import Resource

            class Predictor(object):
                def __init__(self, path):
                    self.model = load_model(path)

                def predict(self, instances):
                    x = np.array(instances, dtype=np.float32) / 255.0
                    return self.model.predict(x)

            class Score(Resource):
                def post(self):
                    return predictor.predict(request.json["instances"]).tolist()
            """,
            """
            import numpy as np
            from keras.models import load_model
            from flask_restful import Resource

            class Predictor(object):
                def __init__(self, path):
                    self.model = load_model(path)

                def predict(self, instances):
                    x = np.array(instances, dtype=np.float32) / 255.0
                    return self.model.predict_on_batch(x)

            class Score(Resource):
                def post(self):
                    return predictor.predict(request.json["instances"]).tolist()
            """,
            id="model on self, reached from a flask_restful Resource",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model

            def init():
                return load_model("m.h5")

            model = init()

            def view(request):
                x = np.expand_dims(np.asarray(request.POST["x"]), 0)
                return model.predict(x)
            """,
            """
            import numpy as np
            from keras.models import load_model

            def init():
                return load_model("m.h5")

            model = init()

            def view(request):
                x = np.expand_dims(np.asarray(request.POST["x"]), 0)
                return model.predict_on_batch(x)
            """,
            id="django function view, model returned by a loader",
        ),
    ]
    NOOPS = [
        Example(
            """
            import pickle
            clf = pickle.load(open("clf.pkl", "rb"))

            @app.route("/predict")
            def predict():
                return clf.predict(np.array(request.json["x"])).tolist()
            """,
            id="a model global that is not Keras",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")
            print(model.predict(np.zeros((1000, 64))))
            """,
            id="predict at import time is not per request",
        ),
        Example(
            """
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                return model.predict(request.json["instances"]).tolist()
            """,
            id="input not visibly an array: reported",
            manual=(6,),
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                x = np.array(request.json["instances"])
                return model.predict(x, batch_size=8).tolist()
            """,
            id="batch_size that splits the input: reported",
            manual=(8,),
        ),
        Example(
            """
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                # model.predict(x) used to be here
                return model.predict_on_batch(x).tolist()
            """,
            id="already predict_on_batch; comment mention",
        ),
        Example(
            """
            import numpy as np

            def load_model(path):
                return MyModel(path)

            model = load_model("m.bin")

            @app.route("/predict")
            def predict():
                return model.predict(np.array(request.json["x"])).tolist()
            """,
            id="local load_model shadowing Keras'",
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        analyses = self.analyses
        if not analyses.requests.per_request:
            return tree
        return transform(tree, _Rewriter(self, analyses))
