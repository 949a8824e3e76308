"""`--interactive` through a real pseudo-terminal: answers typed, exactly the accepted files written,
each one byte for byte what a full `--write` run writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = ("configproto_session", "global_graph", "predict_classes", "single_threaded")
PROMPT = r"\[q\]uit: "


def _env() -> dict:
    env = dict(os.environ, NO_COLOR="1", TERM="dumb")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@pytest.fixture
def trees(tmp_path):
    """Two copies of four fixture apps: one to answer questions in, one migrated by a full --write run."""
    for copy in ("asked", "full"):
        for name in APPS:
            shutil.copytree(REPO / "fixtures" / "apps" / name, tmp_path / copy / name,
                            ignore=shutil.ignore_patterns("*.h5", "__pycache__"))
    subprocess.run([sys.executable, "-m", "migrate", str(tmp_path / "full"), "-j", "1", "--write", "--no-model-files"],
                   env=_env(), check=True, capture_output=True)
    return tmp_path / "asked", tmp_path / "full"


def _spawn(folder: Path) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "migrate", ".", "-j", "1", "--interactive", "--no-model-files"],
                         cwd=str(folder), env=_env(), encoding="utf-8", timeout=120, dimensions=(50, 200))


def _text(folder: Path, name: str) -> str:
    return (folder / name / "app.py").read_text()


def test_typed_answers_write_exactly_the_accepted_files(trees):
    asked, full = trees
    before = {name: _text(asked, name) for name in APPS}
    child = _spawn(asked)
    # files come in path order; each shows its diff, every hunk's rules and their catalogue entries
    child.expect(r"@@ -4,23 \+4,22 @@ graph-reentry, session-config")
    child.expect(r"\[1/4\] \./configproto_session/app\.py")
    child.expect(r"why session-config: .*\(MIGRATION\.md#session-config\)")
    child.expect(PROMPT)
    child.sendline("maybe")
    child.expect("please answer y, n, a or q")
    child.expect(PROMPT)
    child.sendline("y")
    child.expect(r"\[2/4\] \./global_graph/app\.py")
    child.expect(PROMPT)
    child.sendline("n")
    child.expect(r"\[3/4\] \./predict_classes/app\.py")
    child.expect(PROMPT)
    child.sendline("a")
    child.expect(r"\[4/4\] \./single_threaded/app\.py")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect(r"applied 2 of 4 changed file\(s\) \(stopped\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    for name in ("configproto_session", "predict_classes"):
        assert _text(asked, name) == _text(full, name) != before[name]
    for name in ("global_graph", "single_threaded"):
        assert _text(asked, name) == before[name]
    # the accepted files are finished: a second run proposes nothing for them
    check = subprocess.run([sys.executable, "-m", "migrate", "--check", "configproto_session", "predict_classes"],
                           cwd=asked, env=_env(), capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_end_of_input_stops_without_writing(trees):
    asked, _ = trees
    before = {name: _text(asked, name) for name in APPS}
    child = _spawn(asked)
    child.expect(PROMPT)
    child.sendeof()
    child.expect(r"applied 0 of 4 changed file\(s\) \(stopped\)")
    child.expect(pexpect.EOF)
    assert {name: _text(asked, name) for name in APPS} == before


def test_a_file_whose_changes_differ_from_those_shown_is_not_written(trees):
    asked, _ = trees
    child = _spawn(asked)
    child.expect(PROMPT)
    # edited meanwhile, inside a shown hunk: what would be written is no longer what was accepted
    edited = _text(asked, "configproto_session").replace("K.set_learning_phase(0)", "K.set_learning_phase(0)  # edited")
    assert edited != _text(asked, "configproto_session")
    (asked / "configproto_session" / "app.py").write_text(edited)
    child.sendline("y")
    child.expect("changed on disk since it was shown; not written")
    child.expect(r"\[2/4\]")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect(pexpect.EOF)
    assert _text(asked, "configproto_session") == edited


@pytest.mark.parametrize("answer", ["y", "eof"])
def test_model_files_follow_the_answer(tmp_path, answer):
    """An accepted file's Keras 2 architecture JSON is upgraded as `--write` would; a refused one's is not,
    and the summary says which."""
    from fixtures.catalog import all_apps, prepare

    app = next(a for a in all_apps() if a.name == "threadpool_worker")
    folder = prepare(app, tmp_path / app.name)
    architecture = folder / "model_architecture.json"
    before = architecture.read_bytes()
    child = pexpect.spawn(sys.executable, ["-m", "migrate", ".", "-j", "1", "--interactive"], cwd=str(folder),
                          env=_env(), encoding="utf-8", timeout=300, dimensions=(50, 200))
    child.expect(PROMPT)
    if answer == "y":
        child.sendline("y")
        child.expect(r"1 file migrated, 0 unchanged, 1 model file upgraded\.")
    else:
        child.sendeof()
        child.expect(r"0 files migrated, 0 unchanged, 1 skipped, 1 model file left to upgrade\.")
    child.expect(pexpect.EOF)
    upgraded = architecture.read_bytes() != before
    assert upgraded == (answer == "y")
    assert (folder / "model_architecture.json.tf1-orig").exists() == (answer == "y")
