"""Cast request strings fed to a Keras model to float, as TF1's feed did.

TF1's `sess.run(feed_dict=...)` converted what it was fed with `np.asarray(value,
dtype=<the input's dtype>)`, so an array of form fields served; TF 2 and Keras 3 raise
"Cast string to float is not supported" on every request. Where the input is provably built
from request strings and numbers only (`migrate.analysis.request_strings`, by data flow), the
same conversion is written at the call, for the float32 input legacy Keras models have; the
array the handler keeps (and may return) is left as it was.

     x = np.array([[request.form['a'], request.form['b']]])
    -y = model.predict(x)
    +y = model.predict(np.asarray(x, dtype="float32"))
"""

from __future__ import annotations

import libcst as cst

from migrate.analysis.models import MODEL
from migrate.analysis.request_strings import STRINGS, strings_in
from migrate.rules.base import Example, Rule

_PREDICTS = frozenset({"predict", "predict_on_batch", "predict_classes", "predict_proba"})


class RequestStrings(Rule):
    """Request strings fed to a Keras model get the float cast TF1's feed made."""

    NAME = "request-strings"
    DESCRIPTION = ("Cast an input built from request strings (form fields, query arguments) to float32 at the "
                   "model call, as TF1's feed_dict did; TF 2 raises on strings.")
    SAFE = True
    ORDER = 44  # before predict-classes and predict-speed rewrite the call
    TRIGGERS = ("request", "get_argument")
    FIXES = [
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                a = request.form["a"]
                x = np.array([[a, request.form.get("b"), 1.0]])
                return model.predict(x)
            """,
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                a = request.form["a"]
                x = np.array([[a, request.form.get("b"), 1.0]])
                return model.predict(np.asarray(x, dtype="float32"))
            """,
            id="form fields and a number, through names",
        ),
        Example(
            """
            import numpy
            from keras.models import load_model
            model = load_model("m.h5")

            def get(self):
                return model.predict([[self.get_argument("x"), self.get_argument("y")]])
            """,
            """
            import numpy
            from keras.models import load_model
            model = load_model("m.h5")

            def get(self):
                return model.predict(numpy.asarray([[self.get_argument("x"), self.get_argument("y")]], dtype="float32"))
            """,
            id="Tornado arguments in a literal list",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")
            FIELDS = ["a", "b", "c"]

            def predict():
                x = np.array([[request.args.get(f) for f in FIELDS if f]])
                return model.predict(x)
            """,
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")
            FIELDS = ["a", "b", "c"]

            def predict():
                x = np.array([[request.args.get(f) for f in FIELDS if f]])
                return model.predict(np.asarray(x, dtype="float32"))
            """,
            id="query arguments in a list comprehension",
        ),
    ]
    NOOPS = [
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                x = vectorizer.transform([request.form["text"]])
                return model.predict(x)
            """,
            id="a sparse matrix from a vectorizer is not strings",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                x = np.array([[float(request.form["a"]), float(request.form["b"])]])
                return model.predict(x)
            """,
            id="already cast",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                x = np.array(request.get_json()["instances"])
                return model.predict(x)
            """,
            id="JSON numbers",
        ),
        Example(
            """
            import numpy as np
            clf = joblib.load("m.pkl")

            def predict():
                return clf.predict([[request.form["a"]]])
            """,
            id="not a Keras model",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                x = np.array([[request.form["a"]]])
                x = preprocess(x)
                return model.predict(x)
            """,
            id="reassigned through an unknown helper",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                v = request.form["a"]
                x = np.array([[v for v in values]])
                return model.predict(x)
            """,
            id="a comprehension's own name is not the function's",
        ),
        Example(
            """
            import numpy as np
            from keras.models import load_model
            model = load_model("m.h5")

            def predict():
                x = np.array((request.form[f] for f in FIELDS))
                return model.predict(x)
            """,
            id="a generator in np.array is one object, not its elements",
        ),
    ]

    def begin(self, tree: cst.Module) -> None:
        super().begin(tree)
        self._functions: list[cst.FunctionDef] = []
        self._cast: set[int] = set()
        numpy = self.analyses.names.local_names_for("numpy")
        self._numpy = numpy[0] if numpy else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, original_node, updated_node):
        self._functions.pop()
        return updated_node

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _PREDICTS) or not self._functions:
            return
        positional = [a for a in node.args if a.keyword is None]
        if not positional or positional[0].star:
            return
        if strings_in(positional[0].value, self._functions[-1]) != STRINGS:
            return
        if self.analyses.models.kind_of(func.value) != MODEL:
            return
        if self._numpy is None:
            self.manual(node, "the model is fed request strings: TF1's feed cast them to float, TF 2 raises; cast "
                              "them explicitly (e.g. np.asarray(x, dtype='float32'))")
            return
        self._cast.add(id(node))

    def leave_Call(self, original_node, updated_node):
        if id(original_node) not in self._cast:
            return updated_node
        args = list(updated_node.args)
        index = next(i for i, a in enumerate(args) if a.keyword is None)
        x = args[index].value
        cast = cst.parse_expression(f'{self._numpy}.asarray(x, dtype="float32")')
        cast = cast.with_changes(args=[cast.args[0].with_changes(value=x), cast.args[1]])
        args[index] = args[index].with_changes(value=cast)
        return updated_node.with_changes(args=args)
