"""Remove `K.set_learning_phase(0)`.

Graph-mode Keras apps pinned the learning phase to inference (0) before loading, so dropout
and batch-norm ran in test mode. Modern Keras has no global learning phase (Keras 3 dropped
`set_learning_phase`); `predict` and `model(x)` already run in inference mode. A phase of 1
(training behaviour at serving time, e.g. Monte-Carlo dropout) has no such equivalent and is
reported instead.

    -from keras import backend as K
    -K.set_learning_phase(0)
     model = load_model("model.h5")
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.rules.base import Example, Rule, drop_small_statements

_NAMES = {"keras.backend.set_learning_phase"}


class SetLearningPhase(Rule):
    """Drop `set_learning_phase(0)` statements; report other phases and `learning_phase()` uses."""

    NAME = "set-learning-phase"
    DESCRIPTION = "Remove `K.set_learning_phase(0)`: predict already runs in inference mode; other phases are reported."
    SAFE = True
    ORDER = 40
    TRIGGERS = ("learning_phase",)
    FIXES = [
        Example(
            """
            from keras import backend as K
            K.set_learning_phase(0)
            model = load_model("model.h5")
            """,
            """
            from keras import backend as K
            model = load_model("model.h5")
            """,
            id="inference phase pinned at import",
        ),
        Example(
            """
            import tensorflow as tf
            def load():
                tf.keras.backend.set_learning_phase(False)
                return 1
            """,
            """
            import tensorflow as tf
            def load():
                return 1
            """,
            id="tf.keras spelling, False literal",
        ),
        Example(
            """
            from keras.backend import set_learning_phase
            set_learning_phase(0); x = 1
            """,
            """
            from keras.backend import set_learning_phase
            x = 1
            """,
            id="imported function, shared line",
        ),
    ]
    NOOPS = [
        Example(
            "from keras import backend as K\nK.set_learning_phase(1)\n",
            id="training phase at serving time has no modern global: reported",
            manual=(2,),
        ),
        Example(
            "from keras import backend as K\nf = K.function([model.input, K.learning_phase()], [model.output])\n",
            id="learning_phase() in a backend function: reported",
            manual=(2,),
        ),
        Example("# K.set_learning_phase(0)\n", id="commented out"),
        Example("trainer.set_learning_phase(0)\n", id="not Keras"),
    ]

    def _is_inference_pin(self, statement: cst.BaseSmallStatement) -> bool:
        if not m.matches(statement, m.Expr(value=m.Call(args=[m.Arg(keyword=None)]))):
            return False
        call = statement.value
        if self.analyses.names.qualify(call.func) not in _NAMES:
            return False
        return m.matches(call.args[0].value, m.Integer("0") | m.Name("False"))

    def visit_Call(self, node: cst.Call) -> None:
        name = self.analyses.names.qualify(node.func)
        if name == "keras.backend.set_learning_phase" and not (
            len(node.args) == 1 and m.matches(node.args[0].value, m.Integer("0") | m.Name("False"))
        ):
            self.manual(node, "set_learning_phase with a phase other than 0: modern Keras has no global phase; "
                              "pass training=True to the model call where it is needed")
        elif name == "keras.backend.learning_phase":
            self.manual(node, "K.learning_phase() has no modern equivalent; call the model with training=... instead")

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, self._is_inference_pin)

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        return drop_small_statements(updated_node, self._is_inference_pin)
