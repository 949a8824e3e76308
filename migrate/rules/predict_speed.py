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

Rewritten where the receiver is a Keras model, the call runs per request (route, view, worker
item, or a helper they call), and the input is visibly an array (migrate/analysis/arrays.py:
the value that reaches the call, a list of arrays, a parameter every caller passes one to);
`verbose` and a `batch_size` that covers the whole input are dropped. Where the input is not
provably an array, or the call is no statement of its own (a condition, a lambda), it goes
through a helper emitted once per module, fast for arrays and exact for anything else:

    +def fast_predict(model, x, batch_size=None):
    +    arrays = isinstance(x, np.ndarray) or (
    +        type(x) is list and bool(x) and all(isinstance(part, np.ndarray) for part in x))
    +    with PREDICT_LOCK:
    +        if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
    +            return model.predict_on_batch(x)
    +        return model.predict(x, batch_size=batch_size, verbose=0)
     ...
    -    return model.predict(request.json["instances"]).tolist()
    +    return fast_predict(model, request.json["instances"]).tolist()

Only an ndarray or a plain list of ndarrays takes the one-batch path: those are the inputs for
which predict_on_batch and predict return the same numbers on Keras 3 and tf_keras (measured
bit for bit, 1 to 100 rows, on both sides of predict's 32-row batches). A tuple, a nested
list (tf_keras' predict_on_batch refuses it, Keras 3's predict too), a
DataFrame, a dict or a generator goes to predict(x, verbose=0) as before, with the same answer
or the same error. A `batch_size` that may split the input is passed on: the helper takes the
one-batch path only for an input of at most that many rows (then predict runs it as one batch
too) and calls predict(x, batch_size=..., verbose=0) otherwise. A call with other keywords
(`steps=`, `callbacks=`) stays `predict`, gets `verbose=0` (Keras 3 prints a progress bar per
call) and is reported.

The statement that calls it (and the helper) runs under one module-level lock: tf_keras (TF_USE_LEGACY_KERAS=1)
re-assigns `model.predict_function` on every `predict_on_batch` call, and its attribute
tracking deletes the old value before setting the new one, so a second request thread can
find it missing (`AttributeError: 'Sequential' object has no attribute 'predict_function'`,
seen with 4 concurrent clients). An uncontended lock costs well under a microsecond; Keras 3
does not need it (8 threads x 25 calls without it: no error, no wrong answer,
benchmarks/predict_fast_path.py) and loses nothing measurable (benchmarks/serving.py, row (c)).

    +# tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
    +PREDICT_LOCK = threading.RLock()
     ...
    -    preds = model.predict(x)
    +    with PREDICT_LOCK:
    +        preds = model.predict_on_batch(x)
"""

from __future__ import annotations


import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor

from migrate.analysis.arrays import ArrayOracle
from migrate.analysis.blocks import BlockEditor
from migrate.analysis.exports import top_level
from migrate.analysis.models import MODEL
from migrate.analysis.shared import TreeAnalyses
from migrate.analysis.request_strings import STRINGS, strings_in
from migrate.analysis.walk import transform
from migrate.rules.base import Example, Rule, quoted

# keyword arguments of predict that predict_on_batch can do without (value check in code)
DROPPABLE_KWARGS = frozenset({"verbose", "batch_size"})
# the module-level lock the rewritten statements run under (see the module docstring)
LOCK = "PREDICT_LOCK"
LOCK_COMMENT = "# tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time"
# the helper a `predict` whose input is not provably an array goes through (see the module docstring)
HELPER = "fast_predict"
FAST_HELPER_TEMPLATE = f"""\
def {HELPER}(model, x, batch_size=None):
    # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
    # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
    arrays = isinstance(x, {{numpy}}.ndarray) or (
        type(x) is list and bool(x) and all(isinstance(part, {{numpy}}.ndarray) for part in x))
    with {LOCK}:
        if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
            return model.predict_on_batch(x)
        return model.predict(x, batch_size=batch_size, verbose=0)
"""
FAST_HELPER = FAST_HELPER_TEMPLATE.format(numpy="numpy")


class _Rewriter(BlockEditor):
    def __init__(self, rule: "PredictSpeed", analyses: TreeAnalyses) -> None:
        super().__init__()
        self.rule = rule
        self.names = analyses.names
        self.module = analyses.tree
        self.models = analyses.models
        self.requests = analyses.requests
        self.analyses = analyses
        self._arrays: ArrayOracle | None = None
        self.stack: list[cst.FunctionDef] = []
        self.rewrite: set[int] = set()
        # the statement lines being visited (None: one that cannot be wrapped in a `with`)
        self.lines: list[cst.SimpleStatementLine | None] = []
        self.wrap: set[int] = set()  # statement lines holding a rewritten call
        self.made: set[int] = set()  # the lock blocks made here
        self.quiet: set[int] = set()  # calls that stay `predict` and get verbose=0
        self.indents: list[str | None] = []  # the enclosing blocks' own indents
        # calls that become `fast_predict(model, x)`, with the batch_size they keep (None: none kept)
        self.helped: dict[int, cst.BaseExpression | None] = {}
        # a `fast_predict` of the module's own that is not ours: no helper then
        signature = FAST_HELPER.split("\n", 3)[2]  # the helper's second comment line
        self.helper_taken = HELPER in _defined(analyses.tree) and signature not in analyses.tree.code

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append(node)
        self.lines.append(None)  # a call in a default value or decorator

    def leave_FunctionDef(self, original_node, updated_node):
        self.stack.pop()
        self.lines.pop()
        return updated_node

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.lines.append(None)  # compound statement headers are not statement lines
        self.indents.append(node.indent)

    def leave_IndentedBlock(self, original_node, updated_node):
        self.lines.pop()
        block = super().leave_IndentedBlock(original_node, updated_node)
        self.indents.pop()
        return block.with_changes(body=self._merged(block.body)) if block is not updated_node else block

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.lines.append(node)

    def leave_SimpleStatementLine(self, original_node, updated_node):
        self.lines.pop()
        return updated_node

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.lines.append(None)

    def leave_Lambda(self, original_node, updated_node):
        self.lines.pop()
        return updated_node

    def edit_statement(self, original, updated):
        if id(original) not in self.wrap:
            return None
        # indented as the enclosing block is, not by the module's default (a file mixing tabs and spaces)
        indent = self.indents[-1] if self.indents else None
        block = cst.IndentedBlock(body=[updated.with_changes(leading_lines=())], indent=indent)
        made = cst.With(items=[cst.WithItem(item=cst.Name(LOCK))], body=block, leading_lines=updated.leading_lines)
        self.made.add(id(made))
        return [made]

    def _merged(self, body) -> list:
        """Statements of a block with each run of adjacent lock blocks made here as one."""
        out: list = []
        for statement in body:
            previous = out[-1] if out else None
            if (id(statement) in self.made and previous is not None and id(previous) in self.made
                    and not statement.leading_lines):
                merged = previous.with_changes(body=previous.body.with_changes(
                    body=[*previous.body.body, *statement.body.body]))
                self.made.add(id(merged))
                out[-1] = merged
            else:
                out.append(statement)
        return out

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "predict"):
            return
        if not self.stack or not self.requests.is_per_request(self.stack[-1]) or (
                self.stack[0].name.value == HELPER and not self.helper_taken):
            return
        if self.models.kind_of(func.value) != MODEL:
            return
        line = self.lines[-1] if self.lines else None
        call = quoted(self.module, node, 60)  # the real call, for the messages
        positional = [a for a in node.args if a.keyword is None]
        if len(positional) != 1 or positional[0].star:
            self._stays(node, f"`{call}` per request with several inputs: consider predict_on_batch")
            return
        x = positional[0].value
        self._string_input(node, x)
        batch_size = None  # a batch_size that may split the input: the helper keeps it
        for arg in node.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value not in DROPPABLE_KWARGS:
                self._stays(node, f"`{call}` per request is slow on Keras 3; predict_on_batch has no "
                                       f"`{arg.keyword.value}` option, change it by hand")
                return
            if arg.keyword.value == "batch_size" and not _covers_input(arg.value, x):
                batch_size = arg.value
        if self._arrays is None:
            imported = self.analyses.imported
            # only for files with a candidate
            self._arrays = ArrayOracle(self.module, self.names, imported.arrays if imported else None,
                                       other_receiver=lambda receiver: self.models.kind_of(receiver) == MODEL)
        if batch_size is not None or line is None or not self._arrays.is_array(x, self.stack[-1]):
            # (with a batch_size that may split the input, predict_on_batch is one batch of predict
            # only for an input of at most batch_size rows: the helper checks that at run time)
            # not provably an array, or not a statement a lock can wrap (a condition, a lambda):
            # the helper takes the one-batch path for arrays and calls predict for anything else
            if self.helper_taken:
                self._stays(node, f"`{call}` per request is ~90x slower on Keras 3 than predict_on_batch; "
                                  f"this module already defines `{HELPER}`, so it was left as is")
                return
            self.helped[id(node)] = batch_size
            return
        self.rewrite.add(id(node))
        self.wrap.add(id(line))

    def _string_input(self, node: cst.Call, x: cst.BaseExpression) -> None:
        """Report an input built from request strings (form fields, query arguments): TF1's
        feed_dict cast them to the model's float input silently, TF 2 raises on strings."""
        # by data flow (analysis.request_strings): a sparse matrix made from a form field is not
        # strings; the request-strings rule already cast what it could prove
        text = self.module.code_for_node(x)
        function = self.stack[-1]
        if strings_in(x, function) == STRINGS:
            self.rule.manual(node, f"`{text}` is built from request strings: TF1's feed_dict cast them to the "
                                   "model's float input, TF 2 raises on strings; cast explicitly, e.g. "
                                   f"np.asarray({text}, dtype=\"float32\")")

    def _stays(self, node: cst.Call, why: str) -> None:
        """`predict` stays in a request path: reported, and made quiet (Keras 3 prints a progress
        bar per call; verbose=0 is Keras 2's default, so legacy runs see no change)."""
        quiet = not any(a.keyword is not None and a.keyword.value == "verbose" or a.star == "**" for a in node.args)
        if quiet:
            self.quiet.add(id(node))
        self.rule.manual(node, why + ("; verbose=0 added (Keras 3 prints a progress bar per call)" if quiet else ""))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if id(original_node) in self.quiet:
            args = list(updated_node.args)
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            return updated_node.with_changes(args=[*args, cst.Arg(keyword=cst.Name("verbose"), value=cst.Integer("0"),
                                                                  equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))])
        if id(original_node) in self.helped:
            x = next(a for a in updated_node.args if a.keyword is None)
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            args = [cst.Arg(updated_node.func.value, comma=comma), x.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
            if self.helped[id(original_node)] is not None:
                kept = next(a for a in updated_node.args if a.keyword is not None and a.keyword.value == "batch_size")
                args[-1] = args[-1].with_changes(comma=comma)
                args.append(kept.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            return cst.Call(func=cst.Name(HELPER), args=args)
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
        "outputs, ~90x faster per request on Keras 3; the statement runs under a module-level "
        "`PREDICT_LOCK`, as tf_keras's `predict_on_batch` is not safe from two threads at once. An input "
        "not provably an array goes through an emitted `fast_predict(model, x)`: `predict_on_batch` for "
        "arrays and lists of arrays (of at most the call's own `batch_size` rows, when it has one), "
        "`predict(x, verbose=0)` for anything else. A `predict` that must "
        "stay gets `verbose=0` (no progress bar per request) and is reported."
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
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array(request.get_json()["instances"])
                with PREDICT_LOCK:
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
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()
            model = keras.models.load_model("m.h5")

            @app.post("/predict")
            def predict():
                batch = np.array(request.json["instances"], dtype="float32")
                with PREDICT_LOCK:
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
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()
            MODELS = []
            for f in FILES:
                MODELS.append(load_model(f))

            def run_model(i, x):
                with PREDICT_LOCK:
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
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()

            class Predictor(object):
                def __init__(self, path):
                    self.model = load_model(path)

                def predict(self, instances):
                    x = np.array(instances, dtype=np.float32) / 255.0
                    with PREDICT_LOCK:
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
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()

            def init():
                return load_model("m.h5")

            model = init()

            def view(request):
                x = np.expand_dims(np.asarray(request.POST["x"]), 0)
                with PREDICT_LOCK:
                    return model.predict_on_batch(x)
            """,
            id="django function view, model returned by a loader",
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
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()


            def fast_predict(model, x, batch_size=None):
                # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
                # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
                arrays = isinstance(x, np.ndarray) or (
                    type(x) is list and bool(x) and all(isinstance(part, np.ndarray) for part in x))
                with PREDICT_LOCK:
                    if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
                        return model.predict_on_batch(x)
                    return model.predict(x, batch_size=batch_size, verbose=0)


            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                x = np.array(request.json["instances"])
                return fast_predict(model, x, batch_size=8).tolist()
            """,
            id="batch_size that may split the input: the helper, one batch only for at most 8 rows",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.asarray(decode(request.data)).reshape(1, 64)
                return jsonify(model.predict(x, batch_size=1).tolist())
            """,
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()


            def fast_predict(model, x, batch_size=None):
                # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
                # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
                arrays = isinstance(x, np.ndarray) or (
                    type(x) is list and bool(x) and all(isinstance(part, np.ndarray) for part in x))
                with PREDICT_LOCK:
                    if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
                        return model.predict_on_batch(x)
                    return model.predict(x, batch_size=batch_size, verbose=0)


            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.asarray(decode(request.data)).reshape(1, 64)
                return jsonify(fast_predict(model, x, batch_size=1).tolist())
            """,
            id="batch_size=1 on one row: the helper runs it as one batch, which it is",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array([[request.form["a"], request.form["b"]]])
                return jsonify(model.predict(x).tolist())
            """,
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array([[request.form["a"], request.form["b"]]])
                with PREDICT_LOCK:
                    return jsonify(model.predict_on_batch(x).tolist())
            """,
            id="input built from form strings: reported (TF1 cast them to float, TF 2 raises)",
            manual=(8,),
        ),
        Example(
            """
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                return model.predict(request.json["instances"]).tolist()
            """,
            """
            from keras.models import load_model
            import numpy
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()


            def fast_predict(model, x, batch_size=None):
                # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
                # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
                arrays = isinstance(x, numpy.ndarray) or (
                    type(x) is list and bool(x) and all(isinstance(part, numpy.ndarray) for part in x))
                with PREDICT_LOCK:
                    if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
                        return model.predict_on_batch(x)
                    return model.predict(x, batch_size=batch_size, verbose=0)


            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                return fast_predict(model, request.json["instances"]).tolist()
            """,
            id="input not visibly an array: the fast_predict helper, exact for any input",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                x = np.array(request.json["instances"])
                if model.predict(x)[0][0] > 0.5:
                    return "yes"
                return "no"
            """,
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()


            def fast_predict(model, x, batch_size=None):
                # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
                # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
                arrays = isinstance(x, np.ndarray) or (
                    type(x) is list and bool(x) and all(isinstance(part, np.ndarray) for part in x))
                with PREDICT_LOCK:
                    if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
                        return model.predict_on_batch(x)
                    return model.predict(x, batch_size=batch_size, verbose=0)


            model = load_model("m.h5")

            @app.route("/predict")
            def predict():
                x = np.array(request.json["instances"])
                if fast_predict(model, x)[0][0] > 0.5:
                    return "yes"
                return "no"
            """,
            id="predict in a condition (no statement to lock): the helper, which locks itself",
        ),
        Example(
            """
            import numpy as np
            from PIL import Image
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/upload", methods=["POST"])
            def upload():
                img = request.files["image"]
                img = Image.open(img).convert("L").resize((8, 8))
                img = np.expand_dims(np.asarray(img, dtype="float32") / 255.0, 0)
                return jsonify(model.predict(img).tolist())
            """,
            """
            import numpy as np
            from PIL import Image
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()
            model = load_model("m.h5")

            @app.route("/upload", methods=["POST"])
            def upload():
                img = request.files["image"]
                img = Image.open(img).convert("L").resize((8, 8))
                img = np.expand_dims(np.asarray(img, dtype="float32") / 255.0, 0)
                with PREDICT_LOCK:
                    return jsonify(model.predict_on_batch(img).tolist())
            """,
            id="upload -> PIL -> expand_dims through one reassigned name: the value at the call is an array",
        ),
        Example(
            """
            import numpy as np
            from tensorflow.keras.applications import MobileNetV2

            model = MobileNetV2(weights="imagenet")

            @app.route("/classify", methods=["POST"])
            def classify():
                return jsonify(model.predict(decode(request.data)).tolist())
            """,
            """
            import numpy as np
            from tensorflow.keras.applications import MobileNetV2
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()


            def fast_predict(model, x, batch_size=None):
                # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
                # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
                arrays = isinstance(x, np.ndarray) or (
                    type(x) is list and bool(x) and all(isinstance(part, np.ndarray) for part in x))
                with PREDICT_LOCK:
                    if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
                        return model.predict_on_batch(x)
                    return model.predict(x, batch_size=batch_size, verbose=0)


            model = MobileNetV2(weights="imagenet")

            @app.route("/classify", methods=["POST"])
            def classify():
                return jsonify(fast_predict(model, decode(request.data)).tolist())
            """,
            id="keras.applications constructor builds a model",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model

            class Predictor:
                def __init__(self, path):
                    self.model = load_model(path)

                def predict(self, x):
                    return self.model.predict(x)

            predictor = Predictor("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                return jsonify(predictor.predict(np.asarray(request.json["x"])).tolist())
            """,
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()

            class Predictor:
                def __init__(self, path):
                    self.model = load_model(path)

                def predict(self, x):
                    with PREDICT_LOCK:
                        return self.model.predict_on_batch(x)

            predictor = Predictor("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                return jsonify(predictor.predict(np.asarray(request.json["x"])).tolist())
            """,
            id="class-wrapped predictor: its method named like the route gets np.asarray from the handler",
        ),
        Example(
            """
            import numpy as np
            from keras.models import Sequential
            from keras.layers import Dense

            class Digits:
                def __init__(self):
                    self.model = self.build()

                def build(self):
                    model = Sequential()
                    model.add(Dense(10, activation="softmax", input_shape=(784,)))
                    return model

                def classify(self, pixels):
                    x = np.array(pixels).reshape(1, 784)
                    return self.model.predict(x).argmax()

            digits = Digits()

            @app.route("/predict", methods=["POST"])
            def predict():
                return str(digits.classify(request.json["pixels"]))
            """,
            """
            import numpy as np
            from keras.models import Sequential
            from keras.layers import Dense
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()

            class Digits:
                def __init__(self):
                    self.model = self.build()

                def build(self):
                    model = Sequential()
                    model.add(Dense(10, activation="softmax", input_shape=(784,)))
                    return model

                def classify(self, pixels):
                    x = np.array(pixels).reshape(1, 784)
                    with PREDICT_LOCK:
                        return self.model.predict_on_batch(x).argmax()

            digits = Digits()

            @app.route("/predict", methods=["POST"])
            def predict():
                return str(digits.classify(request.json["pixels"]))
            """,
            id="model built by a method of the class (`self.model = self.build()`)",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("two_inputs.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                text = np.array(request.json["text"])
                meta = np.array(request.json["meta"])
                return jsonify(model.predict([text, meta]).tolist())
            """,
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()
            model = load_model("two_inputs.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                text = np.array(request.json["text"])
                meta = np.array(request.json["meta"])
                with PREDICT_LOCK:
                    return jsonify(model.predict_on_batch([text, meta]).tolist())
            """,
            id="multi-input model fed a list of arrays",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = request.json["x"]
                if request.json.get("scale"):
                    x = np.asarray(x) / 255.0
                return jsonify(model.predict(x).tolist())
            """,
            """
            import numpy as np
            from keras.models import load_model
            import threading

            # tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
            PREDICT_LOCK = threading.RLock()


            def fast_predict(model, x, batch_size=None):
                # model.predict(x, batch_size=batch_size, verbose=0), in one batch for an array or a list of arrays
                # of at most batch_size rows (Keras 3's predict sets up a data pipeline per call: ~60 ms for one row)
                arrays = isinstance(x, np.ndarray) or (
                    type(x) is list and bool(x) and all(isinstance(part, np.ndarray) for part in x))
                with PREDICT_LOCK:
                    if arrays and (batch_size is None or len(x[0] if type(x) is list else x) <= batch_size):
                        return model.predict_on_batch(x)
                    return model.predict(x, batch_size=batch_size, verbose=0)


            model = load_model("m.h5")

            @app.route("/predict", methods=["POST"])
            def predict():
                x = request.json["x"]
                if request.json.get("scale"):
                    x = np.asarray(x) / 255.0
                return jsonify(fast_predict(model, x).tolist())
            """,
            id="name made an array only on one branch: the helper",
        ),
        Example(
            """
            from keras.models import load_model
            model = load_model("m.h5")

            def fast_predict(x):
                return model.predict(x)

            @app.route("/predict")
            def predict():
                return fast_predict(request.json["instances"]).tolist()
            """,
            """
            from keras.models import load_model
            model = load_model("m.h5")

            def fast_predict(x):
                return model.predict(x, verbose=0)

            @app.route("/predict")
            def predict():
                return fast_predict(request.json["instances"]).tolist()
            """,
            id="the module has a fast_predict of its own: reported, made quiet",
            manual=(5,),
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
        rewriter = _Rewriter(self, analyses)
        result = transform(tree, rewriter)
        if not (rewriter.wrap or rewriter.helped):
            return result
        defined = _defined(result)
        helper = bool(rewriter.helped) and HELPER not in defined
        if LOCK in defined and not helper:
            return result
        if LOCK not in defined:
            AddImportsVisitor.add_needed_import(self.context, "threading")
        numpy = _numpy_alias(result)
        if helper and numpy is None:
            numpy = "numpy"
            AddImportsVisitor.add_needed_import(self.context, "numpy")
        return _with_lock(result, lock=LOCK not in defined,
                          helper=FAST_HELPER_TEMPLATE.format(numpy=numpy) if helper else None)


def _defined(module: cst.Module) -> set[str]:
    names, classes, functions = top_level(module)
    return names | classes | functions


def _numpy_alias(module: cst.Module) -> str | None:
    """The name a top-level `import numpy` / `import numpy as np` binds, if any."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        if alias.evaluated_name == "numpy":
                            return alias.evaluated_alias or "numpy"
    return None


def _with_lock(module: cst.Module, lock: bool = True, helper: str | None = None) -> cst.Module:
    """`module` with `PREDICT_LOCK = threading.RLock()` (and the `fast_predict` helper) after
    its last top-level import."""
    body = list(module.body)
    after = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
            after = index + 1
    added: list[cst.BaseStatement] = []
    if lock:
        added.append(cst.parse_statement(f"{LOCK} = threading.RLock()\n").with_changes(
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(LOCK_COMMENT))]))
    if helper:
        added.append(cst.parse_statement(helper).with_changes(leading_lines=[cst.EmptyLine()] * 2))
    if after == 0:
        added[0] = added[0].with_changes(leading_lines=added[0].leading_lines[1:])
    if after < len(body) and (helper or isinstance(body[after], (cst.FunctionDef, cst.ClassDef))):
        # what follows the lock or the helper gets PEP 8's two blank lines
        following = body[after]
        if not following.leading_lines or following.leading_lines[0].comment is not None:
            body[after] = following.with_changes(leading_lines=[cst.EmptyLine()] * 2 + list(following.leading_lines))
        elif helper and len(following.leading_lines) < 2:
            body[after] = following.with_changes(leading_lines=[cst.EmptyLine()] + list(following.leading_lines))
    body[after:after] = added
    return module.with_changes(body=body)
