"""Remove `_SYMBOLIC_SCOPE.value = True` hacks for standalone Keras 2.3.

Keras 2.3's `_SYMBOLIC_SCOPE` is a thread-local set only in the importing thread, so apps set
`.value = True` in every handler to avoid `AttributeError: '_thread._local' object has no
attribute 'value'`. Modern Keras has no such object; the assignment would crash.

    -import keras.backend.tensorflow_backend as tb
     def predict():
    -    tb._SYMBOLIC_SCOPE.value = True
         return model.predict(x)
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.rules.base import Example, Rule, drop_small_statements

_HACK = m.Assign(targets=[m.AssignTarget(target=m.Attribute(value=m.Attribute(attr=m.Name("_SYMBOLIC_SCOPE")) | m.Name("_SYMBOLIC_SCOPE"), attr=m.Name("value")))])

_GUARD = m.Call(func=m.Name("hasattr"), args=[m.Arg(), m.Arg(value=m.SimpleString(value=m.MatchIfTrue(lambda v: "_SYMBOLIC_SCOPE" in v)))])


class SymbolicScope(Rule):
    """Drop assignments to `<anything>._SYMBOLIC_SCOPE.value` (the keras-imports rule then drops the import)."""

    NAME = "symbolic-scope"
    DESCRIPTION = "Remove `tb._SYMBOLIC_SCOPE.value = True` thread hacks for Keras 2.3; modern Keras has no such scope."
    SAFE = True
    ORDER = 32
    TRIGGERS = ("_SYMBOLIC_SCOPE",)
    FIXES = [
        Example(
            """
            import keras.backend.tensorflow_backend as tb
            def predict():
                tb._SYMBOLIC_SCOPE.value = True
                return model.predict(x)
            """,
            """
            import keras.backend.tensorflow_backend as tb
            def predict():
                return model.predict(x)
            """,
            id="per-handler hack (the import goes in keras-imports)",
        ),
        Example(
            """
            import keras
            keras.backend.tensorflow_backend._SYMBOLIC_SCOPE.value = True
            """,
            """
            import keras
            """,
            id="full dotted spelling at module level",
        ),
        Example(
            """
            from keras.backend.tensorflow_backend import _SYMBOLIC_SCOPE
            def f():
                _SYMBOLIC_SCOPE.value = True
                return 1
            """,
            """
            from keras.backend.tensorflow_backend import _SYMBOLIC_SCOPE
            def f():
                return 1
            """,
            id="imported name",
        ),
        Example(
            """
            import keras.backend.tensorflow_backend as tb
            def predict():
                # Keras 2.3 + threaded flask
                if hasattr(tb, '_SYMBOLIC_SCOPE'):
                    tb._SYMBOLIC_SCOPE.value = True
                return model.predict(x)
            """,
            """
            import keras.backend.tensorflow_backend as tb
            def predict():
                return model.predict(x)
            """,
            id="guarded by hasattr: the guard goes too",
        ),
    ]
    NOOPS = [
        Example("# tb._SYMBOLIC_SCOPE.value = True\n", id="commented out"),
        Example(
            "if hasattr(tb, '_SYMBOLIC_SCOPE'):\n    log('2.3')\n",
            id="guard with other work in it stays",
        ),
        Example("print(tb._SYMBOLIC_SCOPE.value)\n", id="read, not the hack"),
        Example("scope.value = True\n", id="some other thread-local"),
    ]

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, lambda s: m.matches(s, _HACK))

    def leave_If(self, original_node: cst.If, updated_node: cst.If):
        # `if hasattr(tb, "_SYMBOLIC_SCOPE"): <hack>` leaves an empty guard behind
        if updated_node.orelse is None and m.matches(original_node.test, _GUARD) and m.findall(original_node.body, _HACK):
            body = updated_node.body.body
            if all(m.matches(stmt, m.SimpleStatementLine(body=[m.Pass()])) for stmt in body) or not body or (
                isinstance(updated_node.body, cst.SimpleStatementSuite)
                and all(isinstance(s, cst.Pass) for s in updated_node.body.body)
            ):
                return cst.RemoveFromParent()
        return updated_node

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        return drop_small_statements(updated_node, lambda s: m.matches(s, _HACK))
