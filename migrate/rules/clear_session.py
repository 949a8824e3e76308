"""Remove `K.clear_session()` calls from request handlers and the functions they call.

Legacy handlers cleared the Keras session before loading the model again on every request,
to stop graphs piling up in TF1's one default graph. On Keras 3 no model joins a shared graph,
not even one a handler still loads per request (Keras's own global state is per thread), so
there is nothing to clear between requests; and `clear_session()` called from a request thread
resets that state for every thread (settings included), empties TensorFlow's kernel cache
and runs a full garbage collection, on every request. Elsewhere (a training or model-building
script, module level) it still means something and stays.

     def predict():
    -    K.clear_session()
         preds = model.predict(x)
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.rules.base import Example, Rule, drop_small_statements


class ClearSession(Rule):
    """Drop Keras `clear_session()` statements in per-request functions; other uses stay."""

    NAME = "clear-session"
    DESCRIPTION = ("Remove `K.clear_session()` from request handlers: on Keras 3 no model, even one loaded per "
                   "request, joins a shared graph, and clearing there resets every thread's Keras state and runs a "
                   "full garbage collection per request.")
    SAFE = True
    ORDER = 35
    TRIGGERS = ("clear_session",)
    FIXES = [
        Example(
            """
            from keras import backend as K

            @app.route("/predict", methods=["POST"])
            def predict():
                K.clear_session()
                model = load_model("model.h5")
                return jsonify(model.predict(x).tolist())
            """,
            """
            from keras import backend as K

            @app.route("/predict", methods=["POST"])
            def predict():
                model = load_model("model.h5")
                return jsonify(model.predict(x).tolist())
            """,
            id="per-request clear before load",
        ),
        Example(
            """
            import tensorflow as tf
            import keras
            from keras.backend import clear_session
            @app.route("/a")
            def a():
                tf.keras.backend.clear_session()
            @app.route("/b")
            def b():
                keras.backend.clear_session()
                return helper()
            def helper():
                clear_session()  # free memory
                return 1
            """,
            """
            import tensorflow as tf
            import keras
            from keras.backend import clear_session
            @app.route("/a")
            def a():
                pass
            @app.route("/b")
            def b():
                return helper()
            def helper():
                return 1
            """,
            id="every import spelling, and a helper the handler calls",
        ),
        Example(
            """
            from tensorflow.keras import backend as K
            class Handler(RequestHandler):
                def get(self):
                    try:
                        K.clear_session()
                    finally:
                        pass
            """,
            """
            from tensorflow.keras import backend as K
            class Handler(RequestHandler):
                def get(self):
                    try:
                        pass
                    finally:
                        pass
            """,
            id="method of a class-based view, inside try",
        ),
    ]
    NOOPS = [
        Example("from keras import backend as K\nK.clear_session()\n", id="module level runs once: harmless"),
        Example("@app.route('/')\ndef f():\n    session.clear_session()\n", id="not the Keras backend"),
        Example(
            """
            import tf_keras
            def build_all(specs):
                for spec in specs:
                    # a fresh graph per model keeps layer names stable
                    tf_keras.backend.clear_session()
                    build(spec)
            """,
            id="not a request handler (a build script): it still matters there",
        ),
        Example("def f():\n    # K.clear_session()\n    return 1\n", id="commented out"),
        Example("from keras import backend as K\ndef f():\n    return K.clear_session\n", id="reference, not a call"),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        self._functions: list[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, original_node, updated_node):
        self._functions.pop()
        return updated_node

    def _is_clear(self, statement: cst.BaseSmallStatement) -> bool:
        return (
            bool(self._functions)
            and self.analyses.requests.is_per_request(self._functions[-1])
            and m.matches(statement, m.Expr(value=m.Call(args=[])))
            and self.analyses.names.qualify(statement.value.func) == "keras.backend.clear_session"
        )

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, self._is_clear)

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        return drop_small_statements(updated_node, self._is_clear)
