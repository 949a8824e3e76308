"""Pipeline guarantees that no single rule's examples show: gating, unsafe rules, stops, line mapping."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.engine import Config, apply_rules, migrate_source
from migrate.rules import all_rules, get_rule
from migrate.rules.base import Example, Options, Rule, drop_small_statements


class _DropPrints(Rule):
    """Test-only unsafe rule: removes print() statements."""

    NAME = "test-drop-prints"
    DESCRIPTION = "test rule"
    SAFE = False
    TRIGGERS = ("print",)
    FIXES = [Example("print(1)\n", "", id="x")]
    NOOPS = [Example("x = 1\n", id="y")]

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, lambda s: m.matches(s, m.Expr(m.Call(m.Name("print")))))


class _Stopper(Rule):
    NAME = "test-stopper"
    DESCRIPTION = "test rule"
    ORDER = 1
    TRIGGERS = ("STOP",)

    def visit_Module(self, node):
        self.stop_other_rules("asked to")


class _Reporter(Rule):
    NAME = "test-reporter"
    DESCRIPTION = "test rule"
    ORDER = 99
    TRIGGERS = ("report_me",)

    def visit_Call(self, node):
        if m.matches(node.func, m.Name("report_me")):
            self.manual(node, "here")


SOURCE = "import keras\nx = 1\nprint(x)\n"


def test_unsafe_rule_is_reported_not_applied_by_default():
    outcome = apply_rules(SOURCE, Config(), rules=[_DropPrints])
    assert outcome.code == SOURCE
    [item] = outcome.manual
    assert item.rule == "test-drop-prints" and item.line == 3 and "--unsafe-fixes" in item.message


def test_unsafe_rule_applies_with_unsafe_fixes_or_select():
    for config in (Config(options=Options(unsafe_fixes=True)), Config(select=frozenset({"test-drop-prints"}))):
        outcome = apply_rules(SOURCE, config, rules=[_DropPrints])
        assert outcome.code == "import keras\nx = 1\n"
        assert outcome.rules == ["test-drop-prints"]


def test_stop_other_rules_keeps_later_rules_off_the_file():
    source = "import keras\nSTOP = 1\nprint(STOP)\n"
    outcome = apply_rules(source, Config(options=Options(unsafe_fixes=True)), rules=[_Stopper, _DropPrints])
    assert outcome.code == source
    assert any("asked to" in w for w in outcome.warnings)


def test_manual_lines_are_lines_of_the_new_text_after_earlier_rules_removed_lines():
    # the reporter saw the text the printer left; its item is at the line of the text
    # migrate writes, and keeps the input's line as original_line
    source = "import keras\nprint(1)\nprint(2)\nreport_me()\n"
    outcome = apply_rules(source, Config(options=Options(unsafe_fixes=True)), rules=[_DropPrints, _Reporter])
    assert outcome.code == "import keras\nreport_me()\n"
    assert [(i.rule, i.line, i.original_line) for i in outcome.manual] == [("test-reporter", 2, 4)]


def test_files_without_keras_or_tensorflow_are_not_even_parsed(monkeypatch):
    def explode(*args, **kwargs):
        raise AssertionError("parsed a file that cannot use TF or Keras")

    monkeypatch.setattr(cst, "parse_module", explode)
    source = "model._make_predict_function()\nK.clear_session()\n"
    assert migrate_source(source, Config()).code == source


def test_rule_registry_is_sorted_and_unique():
    rules = all_rules()
    assert [r.NAME for r in rules] == [r.NAME for r in sorted(rules, key=lambda r: (r.ORDER, r.NAME))]
    assert len({r.NAME for r in rules}) == len(rules)
    assert get_rule("make-predict-function").NAME == "make-predict-function"


def test_modern_syntax_is_fine():
    source = (
        "import tensorflow as tf\n"
        "def f(a, /, b, *, c):\n"
        "    if (n := len(a)) > 1:\n"
        "        return f'{n=}'\n"
        "    match b:\n"
        "        case [x, *_]:\n"
        "            return x\n"
        "        case _:\n"
        "            return c\n"
    )
    outcome = migrate_source(source, Config())
    assert outcome.error is None and outcome.code == source


class _DecoratedRule(Rule):
    """Uses libcst's matcher decorators: must not take the plain fast path."""

    NAME = "test-decorated"
    DESCRIPTION = "test rule"
    TRIGGERS = ("old_name",)

    @m.leave(m.Name("old_name"))
    def _rename(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value="new_name")

    @m.call_if_inside(m.FunctionDef(name=m.Name("f")))
    def leave_Integer(self, original_node, updated_node):
        return updated_node.with_changes(value="2")


class _PlainRule(Rule):
    NAME = "test-plain"
    DESCRIPTION = "test rule"
    TRIGGERS = ("old_name",)

    def leave_Name(self, original_node, updated_node):
        return updated_node.with_changes(value="plain") if updated_node.value == "old_name" else updated_node


def test_matcher_decorators_still_work_and_plain_rules_take_the_fast_path():
    source = "import keras\nold_name = 1\ndef f():\n    return 1\n"
    for _ in range(2):  # the second instance comes from the per-class cache
        assert apply_rules(source, Config(), rules=[_DecoratedRule]).code == (
            "import keras\nnew_name = 1\ndef f():\n    return 2\n"
        )
        assert apply_rules(source, Config(), rules=[_PlainRule]).code == source.replace("old_name", "plain")
    assert Rule._plain_classes[_PlainRule] is True
    assert Rule._plain_classes[_DecoratedRule] is False
