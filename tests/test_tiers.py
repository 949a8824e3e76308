"""The two test tiers CI runs are, together, every test, each test once; a slow test says why.

`pytest` (the README's command) runs the default tier: pyproject's addopts deselect the tests
marked `slow`. `.ci/run` then runs `pytest -m slow`. A marker expression added to one of them
(or a third tier that CI does not run) could leave tests that no run ever selects, and a test in
both tiers would run twice: these tests collect what each of `.ci/run`'s pytest commands selects
and compare it with everything pytest collects when no marker filters.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from tests.test_project_setup import REPO_ROOT, ci_commands
from tests.tiers import SLOW_WITHOUT_REASON


def ci_pytest_commands() -> list[list[str]]:
    """The pytest command lines of `.ci/run`, split into words, in the order CI runs them."""
    script = ci_commands((REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    return [shlex.split(line) for line in script if line.split()[0] == "pytest"]


def start_collecting(args: list[str]) -> subprocess.Popen:
    # -n 0: collecting in one process is faster than starting workers to collect
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.Popen([sys.executable, "-m", "pytest", *args, "--collect-only", "-q", "-n", "0",
                             "-p", "no:cacheprovider"], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collected_ids(proc: subprocess.Popen, args: list[str]) -> list[str]:
    """Node ids a `--collect-only -q` run printed; exit 5 (nothing selected) is an empty tier."""
    out, err = proc.communicate(timeout=600)
    assert proc.returncode in (0, 5), (
        f"pytest {shlex.join(args)} --collect-only: exit {proc.returncode}\n{out[-3000:]}{err[-3000:]}")
    return [line for line in out.splitlines() if "::" in line and not line.startswith(" ")]


@pytest.mark.xdist_group("tiers")
def test_ci_runs_every_test_exactly_once_across_its_tiers():
    tiers = ci_pytest_commands()
    assert tiers and tiers[0] == ["pytest"], f".ci/run must run the README's `pytest` first: {tiers}"
    everything_args = ["-m", ""]  # an empty expression turns addopts' marker filter off
    runs = [(args, start_collecting(args)) for args in [everything_args] + [words[1:] for words in tiers]]
    (_, everything), *per_tier = [(args, collected_ids(proc, args)) for args, proc in runs]
    assert everything, "pytest collected no test at all"
    default_tier = per_tier[0][1]
    assert default_tier, "the default tier selects no test"

    in_some_tier = set().union(*(set(ids) for _, ids in per_tier))
    never_run = sorted(set(everything) - in_some_tier)
    assert not never_run, f"{len(never_run)} tests no .ci/run command selects, e.g. {never_run[:10]}"
    twice = sorted(i for i in in_some_tier if sum(i in set(ids) for _, ids in per_tier) > 1)
    assert not twice, f"{len(twice)} tests CI would run more than once, e.g. {twice[:10]}"
    for args, ids in per_tier:
        assert len(ids) == len(set(ids)), f"pytest {shlex.join(args)} collects a test twice"


def test_every_slow_test_says_why_it_is_not_in_the_default_tier(request):
    missing = request.config.stash[SLOW_WITHOUT_REASON]  # KeyError: the conftest hook did not run
    assert not missing, (f"{len(missing)} tests are marked slow without a reason: write "
                         f"@pytest.mark.slow(reason=\"why it cannot be in the default tier\"): {missing[:10]}")
