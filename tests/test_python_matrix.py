"""The other Pythons the project claims: `.ci/python-matrix`, run from the slow tier so that
`pytest -m slow` is the one command for everything outside the default tier."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.test_project_setup import REPO_ROOT


@pytest.mark.slow(reason="builds a virtualenv per other Python (3.12, 3.13), installs the pinned stack "
                         "into each and runs a smoke of the suite there: many minutes, and a download")
@pytest.mark.xdist_group("python-matrix")
def test_every_other_claimed_python_passes_the_smoke():
    main_version = "%d.%d" % sys.version_info[:2]
    # the venvs use their own install of the project: nothing of this run may leak into them
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH", "VIRTUAL_ENV"))}
    proc = subprocess.run(["bash", str(REPO_ROOT / ".ci" / "python-matrix"), main_version], cwd=REPO_ROOT,
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=3600)
    out = proc.stdout[-6000:] + "\n--- stderr\n" + proc.stderr[-6000:]
    assert proc.returncode == 0, out
    assert "checked:" in proc.stdout, out
