"""The never-worse guarantee: migrate.verify's checks, and the engine's fallback when a rule's
output fails them (rules written here to half-migrate on purpose must be caught)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from migrate import engine, verify
from migrate.rules.base import Rule
from migrate.rules.threaded_false import ThreadedFalse
from tests.migrate.test_migrated_apps_serve import KNOWN_MIGRATE_FAILURES

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = REPO_ROOT / "fixtures" / "apps"


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


LEGACY = _src("""
    import tensorflow as tf
    from keras.models import load_model

    sess = tf.Session()
    graph = tf.get_default_graph()
    model = load_model("m.h5")

    def predict(x):
        with graph.as_default():
            return model.predict(x)

    def train(x, y):
        return sess.run(tf.global_variables_initializer())

    if __name__ == "__main__":
        app.run(threaded=False)
    """)


# --- the checks --------------------------------------------------------------------------------


def test_half_migration_is_named_at_the_machinery_that_stays():
    after = LEGACY.replace("    with graph.as_default():\n        return", "    return")
    problems = verify.check(LEGACY, after)
    assert {p.check for p in problems} == {"half-migration"}
    kept_lines = {after.splitlines()[p.line - 1].strip() for p in problems}
    assert kept_lines == {"sess = tf.Session()", "graph = tf.get_default_graph()",
                          "return sess.run(tf.global_variables_initializer())"}


def test_machinery_must_come_from_tensorflow_or_keras():
    before = _src("""
        import requests
        import tensorflow as tf
        graph = tf.get_default_graph()
        http = requests.Session()
        def f(x):
            with graph.as_default():
                return model.predict(x)
        """)
    after = before.replace("graph = tf.get_default_graph()\n", "").replace(
        "    with graph.as_default():\n        return", "    return")
    assert verify.check(before, after) == []  # requests.Session() is not TF1 machinery
    assert [w for w, _ in verify.tf1_machinery(ast.parse(before))] == ["get_default_graph()", ".as_default()"]


def test_whole_migration_and_no_change_pass():
    cleared = _src("""
        from tensorflow.keras.models import load_model

        model = load_model("m.h5")

        def predict(x):
            return model.predict_on_batch(x)
        """)
    before = LEGACY.split("\n    def train")[0].replace("    def train", "")
    assert verify.check(before, cleared) == []
    assert verify.check(LEGACY, LEGACY) == []


def test_a_removed_binding_that_is_still_read_is_an_undefined_name():
    after = LEGACY.replace('model = load_model("m.h5")\n', "")
    problems = verify.check(LEGACY, after)
    assert [(p.check, after.splitlines()[p.line - 1].strip()) for p in problems] == [
        ("undefined-name", "return model.predict(x)")]


def test_names_bound_by_global_statements_comprehensions_and_classes_are_bound():
    code = _src("""
        def load():
            global model
            model = 1
        class Predictor:
            size = 2
            def run(self):
                return [model for _ in range(self.size)]
        squares = {n: n * n for n in range(3)}
        """)
    assert verify.undefined_names(code, ast.parse(code)) == {}


def test_an_undefined_name_the_input_already_had_is_not_blamed_on_the_rewrite():
    before = "def f():\n    return undefined_thing\n"
    assert verify.check(before, before.replace("def f", "def g")) == []


def test_a_name_missing_from_the_target_module_is_reported_only_when_the_rewrite_adds_it():
    before = "from keras.backend import set_session\nset_session(None)\n"
    after = "from tensorflow.keras.backend import set_session\nset_session(None)\n"
    assert [p.check for p in verify.check(before, after)] == ["missing-import"]
    aliased = "import tensorflow.keras.backend as K\nK.get_session()\n"
    assert [p.message for p in verify.missing_imports(ast.parse(""), ast.parse(aliased))] \
        == ["`get_session` taken from `tensorflow.keras.backend`, which has no such name on today's stack"]
    assert verify.check(before, before) == []


def test_a_removed_name_another_module_reads_is_named_at_its_binding():
    before = _src("""
        import tensorflow as tf
        class ScoringConfig:
            graph = None
            name = "scoring"
        GRAPH = tf.get_default_graph()
        THRESHOLD = 0.5
        """)
    after = before.replace("    graph = None\n", "").replace("GRAPH = tf.get_default_graph()\n", "")
    needed = {"GRAPH": ["views.py"], "ScoringConfig.graph": ["views.py"], "THRESHOLD": ["views.py"]}
    problems = verify.check(before, after, needed)
    assert [(p.check, before.splitlines()[p.line - 1].strip(), p.in_input) for p in problems] == [
        ("exported-name", "graph = None", True), ("exported-name", "GRAPH = tf.get_default_graph()", True)]
    assert "views.py" in problems[0].message
    assert verify.check(before, after) == []  # nobody reads them: removing them is fine


@pytest.mark.parametrize("env", [{}, {"TF_USE_LEGACY_KERAS": "1"}], ids=["keras3", "tf_keras"])
def test_every_missing_name_row_is_true_on_todays_stack(env):
    # each module exists and lacks the name, under both ways tensorflow.keras resolves
    rows = sorted(verify.MISSING_NAMES)
    script = textwrap.dedent("""
        import importlib, json, sys
        out = []
        for module, name in json.loads(sys.argv[1]):
            try:
                mod = importlib.import_module(module)
            except ImportError as exc:
                out.append([module, name, "module missing: %s" % exc]); continue
            try:
                importlib.import_module(module + "." + name); out.append([module, name, "submodule exists"]); continue
            except ImportError:
                pass
            if hasattr(mod, name):
                out.append([module, name, "name exists"])
        print(json.dumps(out))
        """)
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(rows)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


# --- the fallback --------------------------------------------------------------------------------


class HalfMigrator(Rule):
    """Test rule: unwraps every `with X.as_default():` and leaves the captures (a half-migration)."""

    NAME = "test-half-migrator"
    DESCRIPTION = "test only"
    ORDER = 10
    TRIGGERS = ("as_default",)

    def leave_With(self, original_node: cst.With, updated_node: cst.With):
        if any(isinstance(i.item, cst.Call) and isinstance(i.item.func, cst.Attribute)
               and i.item.func.attr.value == "as_default" for i in updated_node.items):
            return cst.FlattenSentinel(updated_node.body.body)
        return updated_node


class BindingDropper(Rule):
    """Test rule: deletes the module-level `model = ...` that the handlers still read."""

    NAME = "test-binding-dropper"
    DESCRIPTION = "test only"
    ORDER = 20
    TRIGGERS = ("model",)

    def leave_SimpleStatementLine(self, original_node, updated_node):
        body = updated_node.body
        if len(body) == 1 and isinstance(body[0], cst.Assign) and \
                isinstance(body[0].targets[0].target, cst.Name) and body[0].targets[0].target.value == "model":
            return cst.RemoveFromParent()
        return updated_node


def test_a_half_migrating_rule_is_withdrawn_and_an_independent_rule_still_applies():
    outcome = engine.apply_rules(LEGACY, engine.Config(), "app.py", rules=[HalfMigrator, ThreadedFalse])
    assert outcome.error is None
    assert outcome.rules == ["threaded-false"]
    assert outcome.code == LEGACY.replace("app.run(threaded=False)", "app.run()")
    (item,) = [m for m in outcome.manual if m.rule == HalfMigrator.NAME]  # one cause, one item
    assert "half-migration" in item.message and "legacy_shim" in item.message
    # it points at the input's first line of the machinery that would have stayed, and names the others
    assert _stays(LEGACY, item) == {"sess = tf.Session()", "graph = tf.get_default_graph()",
                                    "return sess.run(tf.global_variables_initializer())"}
    assert LEGACY.splitlines()[item.line - 1].strip() == "sess = tf.Session()"


def _stays(source: str, item) -> set[str]:
    """The input lines a half-migration item names (`line N` / `lines N, M`)."""
    numbers = {int(n) for group in re.findall(r"lines? (\d+(?:, \d+)*)", item.message) for n in group.split(", ")}
    return {source.splitlines()[n - 1].strip() for n in numbers}


def test_a_rule_leaving_an_undefined_name_is_withdrawn_at_worst_to_the_input():
    outcome = engine.apply_rules(LEGACY, engine.Config(), "app.py", rules=[BindingDropper])
    assert outcome.code == LEGACY and outcome.rules == []
    (item,) = outcome.manual
    assert item.rule == BindingDropper.NAME and "undefined-name" in item.message
    assert LEGACY.splitlines()[item.line - 1].strip() == "return model.predict(x)"


def test_a_file_too_large_to_search_stays_as_it_was_with_every_reason():
    # the same half-migration as above, then filler past the search limit
    filler = "".join(f"limit_{i} = {i}\n" for i in range(engine.SEARCH_MAX_LINES))
    source = LEGACY + filler
    outcome = engine.apply_rules(source, engine.Config(), "app.py", rules=[HalfMigrator, ThreadedFalse])
    assert outcome.error is None and outcome.code == source and outcome.rules == []
    (item,) = outcome.manual
    assert "too large to search" in item.message and "half-migration" in item.message
    assert _stays(source, item) == {"sess = tf.Session()", "graph = tf.get_default_graph()",
                                    "return sess.run(tf.global_variables_initializer())"}


@pytest.mark.parametrize("app", sorted(p.name for p in APPS.iterdir() if (p / "meta.json").exists()))
def test_every_fixture_module_passes_verification_and_good_apps_lose_no_rule(app):
    # after the fallback every output passes; apps migrate gets right today lose no rule to it
    withdrawn = []
    for path in sorted((APPS / app).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        outcome = engine.migrate_source(source, engine.Config(), str(path))
        assert outcome.error is None
        assert verify.check(source, outcome.code) == []
        withdrawn += [m for m in outcome.manual if "was withdrawn" in m.message]
    if app not in KNOWN_MIGRATE_FAILURES:
        assert not withdrawn
