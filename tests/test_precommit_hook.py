"""The `.pre-commit-hooks.yaml` hook, tried the way a user adopts it: `pre-commit try-repo` on this
checkout installs the project into pre-commit's own virtualenv (a real pip install of the pinned
stack, from the pip cache after the first time) and runs `keras-migrate --check` on a git repo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LEGACY_APP = REPO_ROOT / "fixtures" / "apps" / "global_graph" / "app.py"


def test_hook_definition_runs_the_check_mode_of_the_console_script():
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "keras-migrate"
    assert hook["entry"].split()[:2] == ["keras-migrate", "--check"]
    assert hook["language"] == "python"
    scripts = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'keras-migrate = "migrate.__main__:main"' in scripts


def _git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "app"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env)
    return path


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env.pop("PYTHONPATH", None)  # the hook must run from its own install, not from this checkout
    return subprocess.run(["pre-commit", "try-repo", str(REPO_ROOT), "keras-migrate", "--all-files"],
                          cwd=repo, capture_output=True, text=True, timeout=1500, env=env)


@pytest.mark.slow(reason="pre-commit try-repo installs the project and its pinned stack into pre-commit's own "
                         "virtualenv (a download on first use) and runs the hook twice")
@pytest.mark.xdist_group("pre-commit")
def test_try_repo_fails_on_legacy_code_and_passes_on_modern_code(tmp_path):
    if shutil.which("git") is None:
        pytest.fail("git is needed to try the pre-commit hook")
    home = REPO_ROOT / ".cache" / "pre-commit"  # gitignored; keeps pre-commit's env between runs
    legacy = _git_repo(tmp_path / "legacy", {"app.py": LEGACY_APP.read_text(encoding="utf-8")})
    proc = _try_repo(legacy, home)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Failed" in out and "1 file would be migrated" in out, out

    modern = _git_repo(tmp_path / "modern", {"app.py": "import tensorflow as tf\n\nmodel = tf.keras.Sequential()\n"})
    proc = _try_repo(modern, home)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Passed" in out, out
