"""Remove live `model._make_predict_function()` calls, and commented-out copies of them.

Graph-mode Keras built the predict function lazily and not thread-safely, so apps built it
right after loading. Eager Keras (tf.keras 2.x, Keras 3) has no such method, and calling it
raises AttributeError.

    -model = load_model("model.h5")
    -model._make_predict_function()
    +model = load_model("model.h5")
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from migrate.rules.base import Example, Rule, drop_small_statements

_CALL = m.Call(func=m.Attribute(attr=m.Name("_make_predict_function")), args=[])
# `# model._make_predict_function()` / `#self.model._make_predict_function()  # for flask`
_COMMENTED_OUT = re.compile(r"#\s*[\w.\[\]'\"]+\._make_predict_function\(\)\s*(#.*)?$")


class MakePredictFunction(Rule):
    """Drop `x._make_predict_function()` statements and commented-out copies of them (other
    comments and other uses left alone)."""

    NAME = "make-predict-function"
    DESCRIPTION = "Remove `model._make_predict_function()`: modern Keras builds predict itself and has no such method."
    SAFE = True
    ORDER = 30
    TRIGGERS = ("_make_predict_function",)
    FIXES = [
        Example(
            """
            from keras.models import load_model
            model = load_model("model.h5")
            model._make_predict_function()
            """,
            """
            from keras.models import load_model
            model = load_model("model.h5")
            """,
            id="statement right after load removed",
        ),
        Example(
            """
            def load():
                global model
                model = load_model("m.h5")
                model._make_predict_function()  # needed for flask threads
                print("loaded")
            """,
            """
            def load():
                global model
                model = load_model("m.h5")
                print("loaded")
            """,
            id="inside a loader function, trailing comment goes with it",
        ),
        Example(
            """
            class Predictor:
                def __init__(self, path):
                    self.model = load_model(path)
                    self.model._make_predict_function()
            """,
            """
            class Predictor:
                def __init__(self, path):
                    self.model = load_model(path)
            """,
            id="model stored on self",
        ),
        Example(
            """
            def load():
                model._make_predict_function()
            """,
            """
            def load():
                pass
            """,
            id="only statement of a block becomes pass",
        ),
        Example(
            """
            MODELS["a"]._make_predict_function(); print("ok")
            """,
            """
            print("ok")
            """,
            id="one of several statements on a line",
        ),
        Example(
            """
            from keras.models import load_model
            model = load_model("model.h5")
            # model._make_predict_function()
            # the model is ready

            def predict(x):
                #model._make_predict_function()  # for flask
                with graph.as_default():
                    return model.predict(x)
            """,
            """
            from keras.models import load_model
            model = load_model("model.h5")
            # the model is ready

            def predict(x):
                with graph.as_default():
                    return model.predict(x)
            """,
            id="commented-out calls go with the workaround, other comments stay",
        ),
        Example(
            """
            if model is not None:
                model._make_predict_function()
            """,
            """
            if model is not None:
                pass
            """,
            id="under a condition",
        ),
        Example(
            """
            model = load_model("model.h5")
            model._make_predict_function()
            # build it now, for the request threads:
            # model._make_predict_function()
            """,
            """
            model = load_model("model.h5")
            # build it now, for the request threads:
            # model._make_predict_function()
            """,
            id="a commented-out call under a comment stays with it (no orphaned comment)",
        ),
    ]
    NOOPS = [
        Example("# explain the model\nx = 1\n", id="other comments stay"),
        Example(
            """
            model = tf.keras.models.load_model("m.h5")
            # This is very important
            #model._make_predict_function()
            """,
            id="an already modern file keeps its commented-out calls",
        ),
        Example('doc = "call model._make_predict_function() first"\n', id="mention in a string"),
        Example("f = model._make_predict_function\n", id="attribute reference without a call is left alone"),
        Example("result = model._make_predict_function()\n", id="return value used: not a bare statement"),
        Example("model._make_predict_function(True)\n", id="arguments: not the Keras method"),
        Example("def _make_predict_function(self):\n    return 1\n", id="a definition of the name"),
    ]

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, _is_call_statement)

    def begin(self, tree: cst.Module) -> None:
        super().begin(tree)
        self._commented_out = _removable_commented_out(self.code_of(tree))

    def leave_EmptyLine(self, original_node, updated_node):
        # a commented-out call documents the workaround this rule removes: it goes too
        if updated_node.comment is not None and updated_node.comment.value in self._commented_out:
            return cst.RemovalSentinel.REMOVE
        return updated_node

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        return drop_small_statements(updated_node, _is_call_statement)


def _removable_commented_out(code: str) -> frozenset[str]:
    """The commented-out calls that go with the workaround: none in a file that has no live
    call left to remove (an already modern file keeps its comments), and none right under
    another comment (that comment would be left describing nothing). A file counts as legacy by
    a live call or TF1 graph/session juggling. A text that occurs
    twice goes only if every occurrence may."""
    lines = code.splitlines()
    if not any(_LIVE_CALL.search(line.split("#", 1)[0]) for line in lines):
        return frozenset()
    verdicts: dict[str, bool] = {}
    for index, line in enumerate(lines):
        comment = line.strip()
        if not _COMMENTED_OUT.match(comment):
            continue
        above = lines[index - 1].strip() if index else ""
        alone = not above.startswith("#") or bool(_COMMENTED_OUT.match(above))
        verdicts[comment] = verdicts.get(comment, True) and alone
    return frozenset(comment for comment, alone in verdicts.items() if alone)


# what makes a file a legacy one, whose workaround comments may go with the rest
_LIVE_CALL = re.compile(r"\._make_predict_function\(\s*\)|\.as_default\(|\bset_session\(|\bget_default_graph\b")


def _is_call_statement(statement: cst.BaseSmallStatement) -> bool:
    return m.matches(statement, m.Expr(value=_CALL))
