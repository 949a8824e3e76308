"""rules.driver: rules sharing one traversal give exactly what they give one after another."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import libcst as cst
import libcst.matchers as m
import pytest

from migrate.analysis import carriers as carriers_module
from migrate.analysis.carriers import Carriers
from migrate.analysis.handlers import request_functions
from migrate.analysis.names import ImportNames
from migrate.analysis.walk import transform
from migrate.engine import Config
from migrate.rules import all_rules, driver
from migrate.rules.base import Options, Rule, SourceFile, drop_small_statements
from migrate.rules.make_predict_function import MakePredictFunction
from migrate.rules.set_learning_phase import SetLearningPhase

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
SOURCES = sorted(REPO.glob("fixtures/apps/*/*.py")) + sorted(GOLDEN.glob("*.py"))


def _chosen(options: Options, rules=None):
    return [(rule, replace(options, unsafe_fixes=rule.SAFE or options.unsafe_fixes)) for rule in rules or all_rules()]


def _same(a: driver.SourceOutcome, b: driver.SourceOutcome) -> None:
    assert (a.code, a.rules, a.manual, a.warnings, a.error) == (b.code, b.rules, b.manual, b.warnings, b.error)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
@pytest.mark.parametrize("target", ["tf-keras", "keras3"])
def test_shared_traversals_change_nothing(path: Path, target: str) -> None:
    source = path.read_text(encoding="utf-8").split("\n# output\n\n")[0]
    chosen = _chosen(Options(target=target))
    _same(driver.run_rules(source, chosen, str(path)),
          driver.run_rules(source, chosen, str(path), share_traversals=False))


LEGACY = """\
from keras import backend as K
from keras.models import load_model
K.set_learning_phase(0)
model = load_model("m.h5")
model._make_predict_function()
f = K.function([K.learning_phase()], [model.output])
"""


def test_neighbouring_hook_rules_share_one_traversal(monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[tuple[str, ...]] = []
    original = driver._SharedTraversal.transform_module_impl

    def counting(self, tree):
        passes.append(tuple(member.NAME for member in self.members))
        return original(self, tree)

    monkeypatch.setattr(driver._SharedTraversal, "transform_module_impl", counting)
    outcome = driver.run_rules(LEGACY, _chosen(Options()))
    assert passes == [("make-predict-function", "set-learning-phase")]
    assert outcome.rules[:2] == ["make-predict-function", "set-learning-phase"]
    assert "_make_predict_function" not in outcome.code and "set_learning_phase" not in outcome.code
    # K.function is gone from Keras 3 (keras-surface), K.learning_phase() has no equivalent
    assert [(i.rule, i.line) for i in outcome.manual] == [("keras-surface", 6), ("set-learning-phase", 6)]


class _Stopper(Rule):
    NAME = "test-stopper"
    DESCRIPTION = "test rule"
    ORDER = 31

    def leave_Name(self, original_node, updated_node):
        if updated_node.value == "STOP":
            self.stop_other_rules("asked to")
        return updated_node


_SWAP = m.Expr(m.Call(m.Name("swap")))


class _IntoPass(Rule):
    """Replaces a statement line by another kind of node: a shared traversal cannot go on."""

    NAME, DESCRIPTION, ORDER = "test-into-pass", "test rule", 29

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if m.matches(updated_node, m.SimpleStatementLine(body=[_SWAP])):
            return cst.If(test=cst.Name("True"), body=cst.IndentedBlock(body=[updated_node]))
        return updated_node


class _DropSwap(Rule):
    NAME, DESCRIPTION, ORDER = "test-drop-swap", "test rule", 33

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, lambda s: m.matches(s, _SWAP))


@pytest.mark.parametrize("rules, source", [
    pytest.param([MakePredictFunction, _Stopper, SetLearningPhase], LEGACY + "STOP = 1\n", id="a rule stops the others"),
    pytest.param([_IntoPass, _DropSwap, MakePredictFunction], LEGACY + "swap()\n", id="a node becomes another kind"),
])
def test_what_one_traversal_cannot_do_falls_back_to_one_by_one(rules, source) -> None:
    chosen = _chosen(Options(), rules)
    shared = driver.run_rules(source, chosen)
    _same(shared, driver.run_rules(source, chosen, share_traversals=False))
    assert shared.code != source


def test_unsafe_rules_that_are_not_allowed_run_alone() -> None:
    unsafe = type("_UnsafeDrop", (_DropSwap,), {"NAME": "test-unsafe-drop", "SAFE": False})
    chosen = [(rule, Options(unsafe_fixes=rule.SAFE)) for rule in (MakePredictFunction, unsafe, SetLearningPhase)]
    source = LEGACY + "swap()\n"
    outcome = driver.run_rules(source, chosen)
    _same(outcome, driver.run_rules(source, chosen, share_traversals=False))
    assert "swap()" in outcome.code and any("unsafe fix available" in i.message for i in outcome.manual)


def test_config_rules_are_what_the_pipeline_runs() -> None:
    # the pipeline hands the driver exactly Config's rules with per-rule unsafe permission
    assert [r.NAME for r, _ in _chosen(Options())] == [r.NAME for r in Config().rules()]


APP = """\
import tensorflow as tf
from keras.models import load_model
graph = tf.get_default_graph()
model = load_model("m.h5")

@app.route("/predict")
def predict():
    with graph.as_default():
        return model.predict(x)

def init():
    return load_model("n.h5"), tf.get_default_graph()
"""


def test_analyses_of_a_changed_tree_walk_only_the_new_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    class _Rename(cst.CSTTransformer):
        def leave_Name(self, original_node, updated_node):
            return updated_node.with_changes(value="m2") if updated_node.value == "model" else updated_node

    file = SourceFile()
    before = cst.parse_module(APP)
    first = file.analyses(before)
    first.carriers, first.models, first.requests, first.names
    walked: list[cst.CSTNode] = []
    original = carriers_module._collect_statement
    monkeypatch.setattr(carriers_module, "_collect_statement", lambda s: walked.append(s) or original(s))
    after = transform(before, _Rename())
    again = file.analyses(after)
    assert again is not first
    again.carriers, again.models
    assert len(walked) == 2 and all(s in after.body and s not in before.body for s in walked)  # `model = ...`, predict
    fresh = Carriers(after, ImportNames.from_module(after))
    assert again.carriers.keys == fresh.keys and again.models.keys == Carriers(
        after, fresh.names, producers=again.models.producers, getters={}).keys
    assert [f.name.value for f in again.requests.per_request] == \
        [f.name.value for f in request_functions(after).per_request] == ["predict"]
    assert again.names == ImportNames.from_module(after)
    assert file.analyses(after) is again
