"""Every shell block of README.md runs as printed and prints what the README shows.

A shell block is a fenced ```sh or ```console block. In a console block, `$ ` lines are
commands and the lines under one are what it prints: each of them must appear, in order,
among the lines the command wrote (stdout and stderr, as a terminal shows them; TensorFlow's
log lines in between are allowed), `...` standing for any text. A command whose shown output
has a Python traceback must fail; every other command must succeed.

The commands run in bash, in a scratch copy of the checkout's `fixtures/` (so nothing lands in
the checkout), with the checkout's `migrate` and `legacy_shim` importable. A README section's
blocks are one terminal session: a `cd` carries on to the next command, and each section starts
at the checkout's root. A command whose comment says `serves on HOST:PORT` is a server: it runs
in the background, answers before the next command starts, and is stopped with Ctrl-C (SIGINT)
at the end of its section; it gets a free port (in `PORT`, which every fixture app reads)
instead of the printed one, which the section's later commands then use.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.serving import harness
from tests.test_project_setup import REPO_ROOT

README = REPO_ROOT / "README.md"
COMMAND_TIMEOUT = 600  # seconds; the slowest command (migrate of every fixture app) takes well under one
SERVER_READY_TIMEOUT = 300
SERVER_STOP_TIMEOUT = 60  # it stops in about a second; the bound only keeps a stuck server from hanging the run

# Blocks not run here, by their first command, and why. A stale entry fails
# test_every_block_left_out_is_still_in_the_readme.
NOT_RUN = {
    "pip install -e '.[test]'": "the Set-up block: CI runs it as printed (.ci/run, checked by "
                                "tests/test_project_setup.py), and a `pytest` cannot run inside this one",
    "pytest -m slow": "the slow tier: CI runs it after the default tier (.ci/run, checked by tests/test_tiers.py)",
    "python -m legacy_shim --report 'shim-report-{pid}.json' -m gunicorn -w 2 -k gthread app:app":
        "an excerpt of a production run: the report names carry that run's worker pids and the counts its traffic",
}

_SERVES_ON = re.compile(r"#.*\bserves on (?P<address>[\w.]+:\d+)")


@dataclass
class Command:
    """One command of a block and the output lines the README shows under it."""

    line: str
    shown: list[str] = field(default_factory=list)

    @property
    def must_fail(self) -> bool:
        return any(line.startswith("Traceback (most recent call last)") for line in self.shown)


@dataclass
class Block:
    section: str
    commands: list[Command]


def shell_blocks(readme: str) -> list[Block]:
    """The README's sh / console blocks, in order, with the `## ` section each is in."""
    blocks, section = [], ""
    lines = iter(readme.splitlines())
    for line in lines:
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        fence = re.fullmatch(r"```(\w*)\s*", line)
        if not fence:
            continue
        body = []
        for inner in lines:
            if inner.startswith("```"):
                break
            body.append(inner)
        if fence.group(1) == "sh":
            blocks.append(Block(section, [Command(text.strip()) for text in body
                                          if text.strip() and not text.lstrip().startswith("#")]))
        elif fence.group(1) == "console":
            commands: list[Command] = []
            for text in body:
                if text.startswith("$ "):
                    commands.append(Command(text[2:].strip()))
                elif commands and text.strip():
                    commands[-1].shown.append(text.rstrip())
            blocks.append(Block(section, commands))
    return [b for b in blocks if b.commands]


BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))
SECTIONS = list(dict.fromkeys(b.section for b in BLOCKS if b.commands[0].line not in NOT_RUN))


def shows(output: str, shown: list[str]) -> bool:
    """True if every shown line matches a line of ``output``, in order (`...` = any text)."""
    actual = iter(line.rstrip() for line in output.splitlines())
    for expected in shown:
        if expected.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in expected.split("...")))
        if not any(pattern.fullmatch(line) for line in actual):
            return False
    return True


def _scratch_checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "fixtures", root / "fixtures",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.h5", "*.keras", "*_arch.json"))
    return root


def _env() -> dict[str, str]:
    # the checkout under test, not whichever copy is pip-installed
    return harness.shim_env({"PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"})


def _run(command: str, cwd: Path, env: dict[str, str], where: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Run ``command`` in bash in ``cwd``; returns the process and the directory it ended in
    (written to ``where``, outside the tree the commands work on)."""
    script = f"{command}\nstatus=$?\npwd > {str(where)!r}\nexit $status\n"
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT)
    ended_in = Path(where.read_text().strip()) if where.exists() else cwd
    with contextlib.suppress(FileNotFoundError):
        where.unlink()
    return proc, ended_in


# A terminal delivers Ctrl-C; a test run started in the background (`pytest &`, CI) hands its
# children SIGINT ignored, and Python keeps an ignored SIGINT ignored: the server could not be
# stopped as the README stops it. The disposition is reset, then bash runs the command.
_AS_IN_A_TERMINAL = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                     "os.execvp('bash', ['bash', '-c', 'exec ' + sys.argv[1]])")


@contextlib.contextmanager
def _server(command: str, cwd: Path, env: dict[str, str], port: int):
    log = cwd / f".server-{port}.log"
    with open(log, "wb") as out:
        # PYTHONFAULTHANDLER: a server that will not stop prints where its threads are on SIGABRT
        proc = subprocess.Popen([sys.executable, "-c", _AS_IN_A_TERMINAL, command], cwd=cwd,
                                env={**env, "PORT": str(port), "PYTHONFAULTHANDLER": "1"},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        harness.wait_ready(f"http://127.0.0.1:{port}/", SERVER_READY_TIMEOUT, proc, log)
        yield proc
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as a user stops it
        try:
            proc.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            pytest.fail(f"the server did not stop within {SERVER_STOP_TIMEOUT} s of Ctrl-C\n--- its output\n"
                        + log.read_text(errors="replace")[-8000:])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.unlink(missing_ok=True)


@pytest.mark.parametrize("section", SECTIONS)
def test_readme_section_runs_as_printed(section, tmp_path):
    root = _scratch_checkout(tmp_path)
    env = _env()
    cwd = root
    reports: list[Path] = []
    with contextlib.ExitStack() as servers:
        replacements: dict[str, str] = {}
        for block in (b for b in BLOCKS if b.section == section and b.commands[0].line not in NOT_RUN):
            for command in block.commands:
                line = command.line
                for printed, actual in replacements.items():
                    line = line.replace(printed, actual)
                served = _SERVES_ON.search(line)
                if served:
                    port = harness.free_port()
                    replacements[served["address"]] = f"127.0.0.1:{port}"
                    report = re.search(r"--report\s+(\S+)", line)
                    if report:
                        reports.append(cwd / report.group(1))
                    servers.enter_context(_server(line, cwd, env, port))
                    continue
                proc, cwd = _run(line, cwd, env, tmp_path / "pwd")
                context = f"$ {command.line}\n(exit {proc.returncode})\n{proc.stdout[-6000:]}"
                if command.must_fail:
                    assert proc.returncode != 0, "the README shows this command failing:\n" + context
                else:
                    assert proc.returncode == 0, context
                assert shows(proc.stdout, command.shown), (
                    "the README shows output this command does not print:\n" + "\n".join(command.shown)
                    + "\n--- printed\n" + context)
    # the README says the runner writes its report at exit: a Ctrl-C'd server included
    missing = [path.name for path in reports if not path.is_file()]
    assert not missing, f"{missing} not written when the server stopped"


def test_every_block_left_out_is_still_in_the_readme():
    first_commands = {b.commands[0].line for b in BLOCKS}
    assert set(NOT_RUN) <= first_commands, sorted(set(NOT_RUN) - first_commands)


@pytest.mark.parametrize(("output", "shown", "expected"), [
    pytest.param("a\nnoise\nb c d\n", ["a", "b ... d"], True, id="in order, noise between, ... inside a line"),
    pytest.param("b\na\n", ["a", "b"], False, id="out of order"),
    pytest.param("a\n", ["a", "...", "b"], False, id="a line the command never printed"),
    pytest.param("ab\n", ["a"], False, id="a whole line, not a prefix"),
])
def test_output_matching(output, shown, expected):
    assert shows(output, shown) is expected
