"""A migration keeps the input's comments: the only ones that go are written on or right above
code the migration removes, or explain the removed workaround itself ("needed to avoid 'not an
element of this graph'", a commented-out `model._make_predict_function()`)."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

from fixtures.catalog import all_apps, sources
from migrate import runner
from migrate.rules.graph_reentry import WORKAROUND_COMMENT

APPS = all_apps()
MAKE_PREDICT = re.compile(r"_make_predict_function")


def _lost_comments(before: str, after: str) -> list[str]:
    """Comment lines of `before` missing from `after` that were neither in a run of removed
    lines holding code nor about the removed workaround."""
    old, new = before.splitlines(), after.splitlines()
    lost = []
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag not in ("delete", "replace"):
            continue
        removed = old[i1:i2]
        code_removed = any(line.strip() and not line.lstrip().startswith("#") for line in removed)
        kept_text = "\n".join(new)
        for line in removed:
            text = line.strip()
            if not text.startswith("#") and "#" in line and not code_removed:
                text = line[line.index("#"):]  # a trailing comment on a changed line
            if not text.startswith("#") or text in kept_text:
                continue
            if code_removed or WORKAROUND_COMMENT.search(text) or MAKE_PREDICT.search(text):
                continue
            lost.append(text)
    return lost


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("comments")
    for app in APPS:
        shutil.copytree(app.path, root / app.name)
    runner.run([str(root)], runner.RunConfig(write=True, model_files=False, diffs=False), jobs=1)
    return root


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_no_comment_is_lost_that_is_not_on_a_removed_line(migrated, app):
    for rel, before in sources(app).items():
        after = (migrated / app.name / rel).read_text()
        assert not _lost_comments(before, after), f"{app.name}/{rel}"


def test_the_check_sees_a_lost_comment():
    before = "x = 1\n# why x is 1\ny = 2\n"
    assert _lost_comments(before, "x = 1\ny = 2\n") == ["# why x is 1"]
    assert _lost_comments(before, before) == []
    # a comment on a removed statement goes with it
    assert _lost_comments("x = 1\n# set up g\ng = get()\ny = 2\n", "x = 1\ny = 2\n") == []
