"""Random programs (hypothesmith) never crash the tool and come back unchanged.

Bounded in CI; `SOAK=1` runs many more examples.
"""

from __future__ import annotations

import os

import hypothesmith
from hypothesis import HealthCheck, given, settings

from migrate.engine import Config, apply_rules, migrate_source

EXAMPLES = 1000 if os.environ.get("SOAK") == "1" else 15
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def _assert_unchanged(source: str, outcome) -> None:
    assert outcome.code == source
    assert outcome.error is None or outcome.error.startswith(("cannot parse", "Python 2")), outcome.error
    assert not outcome.rules


@SETTINGS
@given(source=hypothesmith.from_grammar())
def test_every_rule_leaves_random_programs_alone(source):
    # past the keras/tensorflow gate and the triggers: every rule's visitor sees the program
    _assert_unchanged(source, apply_rules(source, Config(), "<random>", ignore_triggers=True))


@SETTINGS
@given(source=hypothesmith.from_node())
def test_random_programs_behind_a_tensorflow_import_survive_the_pipeline(source):
    program = "import tensorflow as tf\n" + source
    _assert_unchanged(program, migrate_source(program, Config(), "<random>"))


@SETTINGS
@given(source=hypothesmith.from_node())
def test_transform_is_libcst_visit_on_random_programs(source):
    # analysis.walk.transform must give what libcst's own traversal gives, on any syntax
    import libcst as cst
    from hypothesis import assume

    from migrate.analysis.walk import transform, walk
    from tests.migrate.test_walk import _Everything, _Hooks, _Remover, _Renamer

    try:
        module = cst.parse_module(source)
    except Exception:
        assume(False)
    for make in (_Renamer, _Remover):
        by_libcst, by_transform = make(), make()
        try:
            expected = module.visit(by_libcst).code
        except TypeError:  # libcst refuses the edit here (a removal its parent forbids)
            continue
        assert transform(module, by_transform).code == expected
        assert getattr(by_transform, "log", None) == getattr(by_libcst, "log", None)
    for make in (_Everything, _Hooks):
        by_libcst, by_walk = make(), make()
        module.visit(by_libcst)
        walk(module, by_walk)
        assert by_walk.log == by_libcst.log
