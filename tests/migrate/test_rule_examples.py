"""Every rule's own FIXES and NOOPS tables, run as tests (Fixit / pyupgrade style)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import h5py
import pytest

from migrate.engine import Config, apply_rules
from migrate.rules import all_rules
from migrate.rules.base import Options


def _cases(kind: str):
    for rule in all_rules():
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.NAME}:{example.id or index}")


# Example.manual lists lines of `before` (rules position their items in the input); the engine
# moves them onto the migrated text and keeps the input's line as original_line
def _run(rule, example, source: str):
    options = Options(target=example.target, unsafe_fixes=example.unsafe, model_files=bool(example.model_files))
    config = Config(options=options, select=frozenset({rule.NAME}))
    with tempfile.TemporaryDirectory() as folder:
        filename = None
        if example.model_files:  # the files it names exist beside the source, HDF5 with a model config
            filename = os.path.join(folder, "app.py")
            Path(filename).write_text(source)
            for name in example.model_files:
                os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
                with h5py.File(os.path.join(folder, name), "w") as handle:
                    handle.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {}})
        # apply_rules: examples are terse, without the keras/tensorflow import the file gate wants
        outcome = apply_rules(source, config, filename, rules=[rule])
    assert outcome.error is None, outcome.error
    return outcome


@pytest.mark.parametrize("rule, example", list(_cases("FIXES")))
def test_fix(rule, example):
    outcome = _run(rule, example, example.before)
    assert outcome.code == example.after
    if example.manual is not None:
        assert sorted({m.original_line for m in outcome.manual if m.rule == rule.NAME}) == sorted(set(example.manual))


@pytest.mark.parametrize("rule, example", list(_cases("FIXES")))
def test_fix_is_idempotent(rule, example):
    assert _run(rule, example, example.after).code == example.after


@pytest.mark.parametrize("rule, example", list(_cases("NOOPS")))
def test_noop(rule, example):
    outcome = _run(rule, example, example.before)
    assert outcome.code == example.before
    if example.manual is not None:
        assert sorted({m.original_line for m in outcome.manual if m.rule == rule.NAME}) == sorted(set(example.manual))


def test_every_rule_documents_itself():
    for rule in all_rules():
        assert rule.NAME and rule.NAME == rule.NAME.lower() and " " not in rule.NAME
        assert rule.DESCRIPTION and "\n" not in rule.DESCRIPTION
        assert rule.FIXES, f"{rule.NAME} has no FIXES examples"
        assert rule.NOOPS, f"{rule.NAME} has no NOOPS examples"
        assert rule.__module__ and (rule.__doc__ or "").strip()
        module_doc = __import__(rule.__module__, fromlist=["x"]).__doc__ or ""
        assert re.search(r"^ *[-+] *\S", module_doc, re.M), f"{rule.NAME}: module docstring needs a diff example"
