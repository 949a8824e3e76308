"""Rewrite `predict_classes` / `predict_proba` (removed in TF 2.6) exactly as Keras 2 computed them.

Keras 2's `Sequential.predict_classes` took `argmax(-1)` when the output had several units
and `> 0.5` when it had one; `predict_proba` returned `predict`. A tiny module-level helper
reproduces that from the probabilities, so no guess about softmax vs sigmoid is needed.
`verbose=0` keeps Keras 2's silence (modern `predict` prints a progress bar by default).

    +def keras2_predict_classes(proba):
    +    ...
    -labels = model.predict_classes(x)
    -probs = model.predict_proba(x)
    +labels = keras2_predict_classes(model.predict(x, verbose=0))
    +probs = model.predict(x, verbose=0)
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.analysis.blocks import is_import_line
from migrate.rules.base import Example, Rule

HELPER_NAME = "keras2_predict_classes"
HELPER_SOURCE = f'''

def {HELPER_NAME}(proba):
    """Keras 2's Sequential.predict_classes, from the probabilities predict() returned."""
    if proba.shape[-1] > 1:
        return proba.argmax(axis=-1)
    return (proba > 0.5).astype("int32")
'''

_REMOVED = m.Call(func=m.Attribute(attr=m.Name("predict_classes") | m.Name("predict_proba")))
_VERBOSE = m.Arg(keyword=m.Name("verbose"))


class PredictClasses(Rule):
    """`m.predict_classes(x)` → `keras2_predict_classes(m.predict(x, verbose=0))`; `m.predict_proba(x)` → `m.predict(x, verbose=0)`."""

    NAME = "predict-classes"
    DESCRIPTION = "Replace removed `predict_classes` / `predict_proba` with `predict` plus Keras 2's own class rule (argmax for several units, > 0.5 for one)."
    SAFE = True
    ORDER = 45
    TRIGGERS = ("predict_classes", "predict_proba")
    FIXES = [
        Example(
            """
            import numpy as np
            from keras.models import load_model

            model = load_model("m.h5")

            def handler(x):
                labels = model.predict_classes(x)
                probs = model.predict_proba(x)
                return labels, probs
            """,
            """
            import numpy as np
            from keras.models import load_model


            def keras2_predict_classes(proba):
                \"\"\"Keras 2's Sequential.predict_classes, from the probabilities predict() returned.\"\"\"
                if proba.shape[-1] > 1:
                    return proba.argmax(axis=-1)
                return (proba > 0.5).astype("int32")


            model = load_model("m.h5")

            def handler(x):
                labels = keras2_predict_classes(model.predict(x, verbose=0))
                probs = model.predict(x, verbose=0)
                return labels, probs
            """,
            id="softmax or sigmoid: decided at run time like Keras 2 did",
        ),
        Example(
            """
            \"\"\"Service.\"\"\"
            def f(self, x):
                return self.model.predict_classes(x, batch_size=8, verbose=1)[0]
            """,
            """
            \"\"\"Service.\"\"\"


            def keras2_predict_classes(proba):
                \"\"\"Keras 2's Sequential.predict_classes, from the probabilities predict() returned.\"\"\"
                if proba.shape[-1] > 1:
                    return proba.argmax(axis=-1)
                return (proba > 0.5).astype("int32")


            def f(self, x):
                return keras2_predict_classes(self.model.predict(x, batch_size=8, verbose=1))[0]
            """,
            id="arguments kept, explicit verbose kept, helper after the docstring",
        ),
        Example(
            """
            p = MODELS[0].predict_proba(x)
            """,
            """
            p = MODELS[0].predict(x, verbose=0)
            """,
            id="predict_proba alone needs no helper",
        ),
    ]
    NOOPS = [
        Example("# labels = model.predict_classes(x)\n", id="commented out"),
        Example("f = model.predict_classes\n", id="reference without call: reported", manual=(1,)),
        Example("clf.predict_proba\n", id="attribute only (scikit-learn style): reported", manual=(1,)),
        Example('s = "model.predict_classes(x)"\n', id="in a string"),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        self._needs_helper = False
        self._has_helper = any(
            m.matches(s, m.FunctionDef(name=m.Name(HELPER_NAME))) for s in node.body
        )
        self._calls: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node, _REMOVED):
            self._calls.add(id(node.func))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in ("predict_classes", "predict_proba") and id(node) not in self._calls:
            self.manual(node, f"`{node.attr.value}` used without a call: removed in TF 2.6, rewrite by hand")

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not m.matches(updated_node, _REMOVED):
            return updated_node
        method = updated_node.func.attr.value
        args = list(updated_node.args)
        if not any(m.matches(a, _VERBOSE) for a in args):
            if args:
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            args.append(cst.Arg(keyword=cst.Name("verbose"), value=cst.Integer("0"),
                                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
        predict = updated_node.with_changes(func=updated_node.func.with_changes(attr=cst.Name("predict")), args=args)
        if method == "predict_proba":
            return predict
        self._needs_helper = True
        return cst.Call(func=cst.Name(HELPER_NAME), args=[cst.Arg(predict)])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._needs_helper or self._has_helper:
            return updated_node
        helper = cst.parse_module(HELPER_SOURCE.lstrip("\n")).body[0]
        body = list(updated_node.body)
        index = _after_imports(body)
        helper = helper.with_changes(leading_lines=[cst.EmptyLine()] * (2 if index else 0))
        body.insert(index, helper)
        if index + 1 < len(body):
            following = body[index + 1]
            blanks = 0
            for line in following.leading_lines:
                if line.comment is not None:
                    break
                blanks += 1
            if blanks < 2:
                body[index + 1] = following.with_changes(
                    leading_lines=[cst.EmptyLine()] * (2 - blanks) + list(following.leading_lines)
                )
        return updated_node.with_changes(body=body)


def _after_imports(body: list[cst.CSTNode]) -> int:
    """Index just after the module docstring, __future__ and the leading import block."""
    index = 0
    for position, statement in enumerate(body):
        if is_import_line(statement):
            index = position + 1
        elif position == 0 and m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])):
            index = 1
        else:
            break
    return index
