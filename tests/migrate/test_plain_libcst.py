"""The rule examples and golden files pass with MIGRATE_PLAIN_LIBCST=1 too.

That switch (migrate.analysis.cst_adapter) runs libcst's own public traversal and codemod
machinery instead of migrate's shortcuts through libcst internals: same output required,
so a libcst upgrade that breaks the shortcuts can be told apart from a rule bug, and the
shortcuts are checked against libcst on every documented case.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, MIGRATE_PLAIN_LIBCST="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_the_switch_turns_the_shortcuts_off():
    probe = _run(["-c", "from migrate.analysis import cst_adapter; from migrate.rules.base import Rule; "
                        "print(cst_adapter.PLAIN, issubclass(Rule, cst_adapter.FastCodemod))"])
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["True", "False"]


def test_rule_examples_and_golden_files_with_plain_libcst():
    suites = ["tests/migrate/test_rule_examples.py", "tests/migrate/test_golden.py"]
    result = _run(["-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *suites])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) > 100, result.stdout[-2000:]
