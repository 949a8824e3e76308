"""Every hunk says why: rule names in the `@@` trailer, the diff still applies, the JSON maps hunks."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import catalogue
from migrate.hunks import explained_diff, touched_positions
from migrate.engine import migrate_source

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "fixtures" / "apps"

# two edits far apart: the import/module-level block and a handler 15 lines below
TWO_PLACES = '''import tensorflow as tf
from keras.models import load_model

graph = tf.get_default_graph()
model = load_model("m.h5")
model._make_predict_function()


def one():
    return 1


def two():
    return 2


def three():
    return 3


def predict(x):
    with graph.as_default():
        return model.predict(x)
'''


def _strip_trailers(diff: str) -> str:
    return re.sub(r"(?m)^(@@ -\S+ \+\S+ @@).*$", r"\1", diff)


def test_each_hunk_names_only_the_rules_that_touched_it():
    outcome = migrate_source(TWO_PLACES)
    diff, hunks = explained_diff(TWO_PLACES, outcome.code, "app.py", outcome.steps)
    assert len(hunks) == 2
    top, handler = hunks
    assert set(top.rules) == {"graph-reentry", "make-predict-function", "keras-imports"}
    # the handler only lost its `with graph.as_default():`; imports and _make_predict_function are far away
    assert handler.rules == ("graph-reentry",)
    assert handler.function == (21, 23) and top.function is None
    assert f"@@ -{handler.old_start},{handler.old_lines} +{handler.new_start},{handler.new_lines} @@ graph-reentry\n" in diff


def test_a_line_inserted_by_one_rule_and_edited_by_another_is_traced_to_both():
    original = "a\nb\nc\n"
    steps = [("first", "a\nb\nNEW\nc\n"), ("second", "a\nb\nNEWER\nc\n")]
    touched = touched_positions(original, steps)
    # the insertion sits in the gap between b (1) and c (2); the second rule edited that line
    assert touched == {"first": {1.5}, "second": {1.5}}
    _, hunks = explained_diff(original, steps[-1][1], "f.py", steps)
    assert hunks[0].rules == ("first", "second")


def test_a_rule_whose_change_a_later_rule_undid_is_named_by_no_hunk():
    original = "x = 1\n" + "pass\n" * 10 + "y = 2\n"
    edited = original.replace("y = 2", "y = 3")
    steps = [("flip", original.replace("x = 1", "x = 0")), ("unflip", original), ("why", edited)]
    _, hunks = explained_diff(original, edited, "f.py", steps)
    assert [h.rules for h in hunks] == [("why",)]


@pytest.mark.parametrize("app", sorted(p.name for p in APPS.iterdir() if (p / "app.py").exists()))
def test_trailers_are_the_only_difference_from_a_plain_unified_diff(app):
    source = (APPS / app / "app.py").read_text()
    outcome = migrate_source(source)
    diff, hunks = explained_diff(source, outcome.code, "app.py", outcome.steps)
    plain = "".join(difflib.unified_diff(source.splitlines(True), outcome.code.splitlines(True), "a/app.py", "b/app.py"))
    assert _strip_trailers(diff) == plain
    if outcome.code != source:
        assert hunks and all(h.rules for h in hunks)
        # every rule the file applied explains at least one hunk
        assert {r for h in hunks for r in h.rules} == set(outcome.rules)


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def test_the_annotated_diff_applies_with_git_apply_and_patch(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(APPS, repo / "fixtures" / "apps", ignore=shutil.ignore_patterns("*.h5", "__pycache__"))
    for args in (("init", "-q"), ("add", "-A"),
                 ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "legacy")):
        assert _git(repo, *args).returncode == 0
    run = subprocess.run([sys.executable, "-m", "migrate", "fixtures/apps/", "-j", "1", "--color", "never"],
                         cwd=repo, capture_output=True, text=True, env=_env())
    diff = run.stdout
    headers = re.findall(r"(?m)^@@ .*$", diff)
    assert headers and all(re.match(r"^@@ -\S+ \+\S+ @@ [a-z0-9-]+(, [a-z0-9-]+)*$", h) for h in headers), headers
    (tmp_path / "review.diff").write_text(diff)
    check = _git(repo, "apply", "--check", str(tmp_path / "review.diff"))
    assert check.returncode == 0, check.stderr
    dry = subprocess.run(["patch", "-p1", "--dry-run", "-i", str(tmp_path / "review.diff")], cwd=repo,
                         capture_output=True, text=True)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    # applied, it gives exactly what --write gives
    assert _git(repo, "apply", str(tmp_path / "review.diff")).returncode == 0
    applied = {p: p.read_text() for p in sorted((repo / "fixtures" / "apps").rglob("*.py"))}
    assert _git(repo, "checkout", "-q", ".").returncode == 0
    subprocess.run([sys.executable, "-m", "migrate", "fixtures/apps/", "-j", "1", "--write", "--no-model-files"],
                   cwd=repo, capture_output=True, text=True, env=_env(), check=True)
    assert applied == {p: p.read_text() for p in sorted((repo / "fixtures" / "apps").rglob("*.py"))}


def _env() -> dict:
    import os

    env = dict(os.environ, NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def test_json_report_maps_each_hunk_to_its_rules_and_catalogue_entries(tmp_path):
    out = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "migrate", str(APPS), "-j", "1", "--report", str(out)],
                         capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    headings = set(re.findall(r"(?m)^### ([a-z0-9-]+)$", catalogue.MIGRATION_MD.read_text()))
    diffs = {}
    for header in re.findall(r"(?m)^--- a/(.*)$|^(@@ .*)$", run.stdout):
        if header[0]:
            current = header[0]
            diffs[current] = []
        else:
            diffs[current].append(header[1])
    changed = [f for f in report["files"] if f["status"] == "changed"]
    assert changed
    for entry in changed:
        assert entry["hunks"], entry["path"]
        printed = diffs[entry["path"].lstrip("/")]
        assert len(printed) == len(entry["hunks"])
        for hunk, header in zip(entry["hunks"], printed):
            assert header.startswith(f"@@ -{hunk['old_start']},{hunk['old_lines']} +{hunk['new_start']},"
                                     f"{hunk['new_lines']} @@ {', '.join(hunk['rules'])}")
            assert set(hunk["rules"]) <= set(entry["rules"])
            for rule, link in hunk["catalogue"].items():
                page, anchor = link.split("#")
                assert page == "MIGRATION.md" and anchor == rule and anchor in headings
