"""migrate under hostile input: one bad file never takes the run down, never hangs it, never hides.

Every case builds its inputs in a temp folder and runs `python -m migrate` as a user would,
in every mode (dry run, --check, --write, --report). The numbers refer to the cases of the
issue that asked for this (deep nesting, large files, FIFOs, unreadable folders, bad
--report paths, odd bytes, Ctrl-C, messages).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import trees
from migrate import runner
from migrate.cli import main
from tests.migrate.test_cli import LEGACY

pytestmark = pytest.mark.slow(reason="hostile-input runs: a `python -m migrate` process per case and mode (deep "
                                     "nesting, large files, FIFOs, unreadable files, Ctrl-C, random trees); the "
                                     "default tier's CLI tests are tests/migrate/test_cli.py")

REPO = Path(__file__).resolve().parents[2]
MODES = [[], ["--check"], ["--write"], ["--report", "REPORT"]]
# a hang guard, not a speed target: each of these runs takes seconds when it works
HANG = 240


def migrate(*args, cwd: Path, env: dict | None = None, stdin: bytes | None = None, timeout: float = HANG):
    """`python -m migrate ARGS` → (exit code, stdout bytes, stderr text)."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1", **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], cwd=cwd, env=full_env,
                          input=stdin, capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def _mode(mode: list[str], tmp: Path) -> list[str]:
    return [str(tmp / "report.json") if a == "REPORT" else a for a in mode]


def _good_files(folder: Path, n: int = 5) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"good{i}.py"
        path.write_text(LEGACY.replace("model.h5", f"m{i}.h5"))
        paths.append(path)
    return paths


# --- 1. deep nesting ------------------------------------------------------------------------

DEEP = {
    "parens.py": "import keras\nv = " + "(" * 2000 + "1" + ")" * 2000 + "\n",
    "chain.py": "import keras\nv = " + " + ".join(["1"] * 10_000) + "\n",
    "chain2000.py": "import keras\nv = " + " + ".join(["1"] * 2000) + "\n",
}


@pytest.mark.parametrize("mode", MODES, ids=["dry-run", "check", "write", "report"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_nesting_is_that_files_error_and_the_run_goes_on(tmp_path, mode, jobs):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name, text in DEEP.items():
        (tree / name).write_text(text)
    good = _good_files(tree)
    code, out, err = migrate(*_mode(mode, tmp_path), "--jobs", jobs, tree, cwd=tmp_path)
    assert code == 123, err
    for name, text in DEEP.items():
        assert f"{name}: error: nested too deeply" in err
        assert (tree / name).read_text() == text
    assert "3 failed" in err.splitlines()[-1]  # the summary line
    if "--write" in mode:
        assert all("_make_predict_function" not in p.read_text() for p in good)
    if "--report" in mode:
        data = json.loads((tmp_path / "report.json").read_text())
        assert data["counts"]["error"] == 3 and data["counts"]["changed"] == 5


def _crash_on(monkeypatch, how):
    """A rule that dies (in the forked worker) on files holding CRASH_ME."""
    from migrate.rules.make_predict_function import MakePredictFunction

    original = MakePredictFunction.transform_module

    def transform_module(self, tree):
        if "CRASH_ME" in tree.code:
            how()
        return original(self, tree)

    monkeypatch.setattr(MakePredictFunction, "transform_module", transform_module)


def _recurse():
    def down(n):
        return down(n + 1) + 1
    down(0)


def _allocate():
    raise MemoryError


@pytest.mark.parametrize("how, message", [
    (lambda: os.kill(os.getpid(), signal.SIGSEGV), "worker process died"),
    (lambda: os._exit(3), "worker process died"),
    (_recurse, "nested too deeply"),
    (_allocate, "out of memory"),
    (lambda: time.sleep(120), "took longer than 20 s"),
], ids=["segfault", "exit", "recursion", "memory", "time-budget"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_worker_killed_or_exhausted_by_one_file_fails_that_file_only(tmp_path, monkeypatch, capsys, how, message, jobs):
    _crash_on(monkeypatch, how)
    good = _good_files(tmp_path, 40)  # several chunks: the pool is replaced and the rest still run
    bad = tmp_path / "good17_bad.py"
    bad.write_text(LEGACY + "CRASH_ME = 1\n")
    report = tmp_path / "r.json"
    budget = "20" if "took longer" in message else "0"  # a loaded machine must not fail the good files
    code = main(["--write", "--jobs", jobs, "--timeout", budget, "--report", str(report), str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 123
    assert f"good17_bad.py: error: " in err and message in err.split("good17_bad.py: error: ")[1].splitlines()[0]
    assert bad.read_text() == LEGACY + "CRASH_ME = 1\n"
    assert [p.name for p in good if "_make_predict_function" in p.read_text()] == [], err
    assert json.loads(report.read_text())["counts"] == {"changed": 40, "unchanged": 0, "skipped": 0, "error": 1}


def test_where_worker_processes_cannot_start_the_work_runs_in_process(tmp_path, monkeypatch, capsys):
    from migrate import runner

    def no_processes(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # sem_open where /dev/shm is missing

    monkeypatch.setattr(runner, "ProcessPoolExecutor", no_processes)
    good = _good_files(tmp_path, 3)
    assert main(["--write", "--jobs", "2", str(tmp_path)]) == 0
    assert "3 files migrated" in capsys.readouterr().err
    assert all("_make_predict_function" not in p.read_text() for p in good)


# --- 2. large files --------------------------------------------------------------------------


def test_a_large_file_ends_in_every_mode(tmp_path):
    source = trees.large_legacy_file(400_000)  # the 362 KB file took 11.6 s, most of it in difflib
    path = tmp_path / "big.py"
    for mode in MODES:
        path.write_text(source)
        code, out, err = migrate(*_mode(mode, tmp_path), "--jobs", "1", path, cwd=tmp_path, timeout=3 * HANG)
        assert code in (0, 1), err
        if mode == []:
            assert out.count(b"\n@@ ") > 50
        if mode == ["--write"]:
            written = path.read_text()
    assert written != source
    # comment-only mentions (`# model._make_predict_function()`) stay, as everywhere
    assert not re.search(r"^[^#\n]*_make_predict_function\(\)", written, re.M)


def test_large_diffs_are_exact_and_match_difflib_below_the_limit():
    import difflib
    import random

    from migrate.diffs import DIFFLIB_MAX_LINES, opcodes, unified_diff

    rnd = random.Random(0)
    small = [f"x = {rnd.randint(0, 20)}\n" for _ in range(300)]
    edited = [line for line in small if rnd.random() > 0.1] + ["end\n"]
    expected = "".join(difflib.unified_diff(small, edited, "a/p", "b/p"))
    assert unified_diff("".join(small), "".join(edited), "p") == expected
    big = [f"line {rnd.randint(0, 3000)}\n" for _ in range(DIFFLIB_MAX_LINES * 12)]
    new = [line.replace("7", "seven") for line in big if rnd.random() > 0.01]
    rebuilt = []
    for tag, i1, i2, j1, j2 in opcodes(big, new):
        if tag == "equal":
            assert big[i1:i2] == new[j1:j2]
        rebuilt += new[j1:j2]
    assert rebuilt == new


# --- 3. special files, 4. unreadable folders ----------------------------------------------------


@pytest.mark.parametrize("mode", MODES, ids=["dry-run", "check", "write", "report"])
def test_a_fifo_is_skipped_without_being_opened(tmp_path, mode):
    tree = tmp_path / "d"
    tree.mkdir()
    os.mkfifo(tree / "f.py")
    good = _good_files(tree, 1)[0]
    code, _, err = migrate(*_mode(mode, tmp_path), tree, tree / "f.py", cwd=tmp_path, timeout=60)
    assert code in (0, 1), err
    assert err.count("f.py: skipped: not a regular file") == 2  # found in the folder, and named
    if "--write" in mode:
        assert "_make_predict_function" not in good.read_text()


def test_an_unreadable_folder_or_file_is_an_error(tmp_path):
    tree = tmp_path / "d"
    (tree / "locked").mkdir(parents=True)
    (tree / "locked" / "x.py").write_text(LEGACY)
    (tree / "secret.py").write_text(LEGACY)
    os.chmod(tree / "locked", 0)
    os.chmod(tree / "secret.py", 0)
    argv = [sys.executable, "-m", "migrate", "--check", str(tree)]
    if os.getuid() == 0:  # root reads everything: drop the capabilities that let it
        if not shutil.which("capsh"):
            pytest.skip("running as root without capsh: cannot make a folder unreadable")
        argv = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", 'exec "$0" "$@"', *argv]
    try:
        proc = subprocess.run(argv, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True,
                              text=True, timeout=HANG)
    finally:
        os.chmod(tree / "locked", 0o755)
    assert proc.returncode == 123, proc.stderr
    assert "locked: error: cannot read folder: permission denied" in proc.stderr
    assert "secret.py: error: cannot read: permission denied" in proc.stderr


# --- 5. output paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["missing/r.json", "."], ids=["missing-folder", "a-folder"])
def test_a_bad_report_path_stops_the_run_before_any_file_is_touched(tmp_path, where):
    good = _good_files(tmp_path, 1)[0]
    code, _, err = migrate("--write", "--report", tmp_path / where, good, cwd=tmp_path)
    assert code == 2 and "--report" in err and "Traceback" not in err
    assert good.read_text() == LEGACY.replace("model.h5", "m0.h5")


# --- 6. bytes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES, ids=["dry-run", "check", "write", "report"])
def test_a_file_name_that_is_not_utf8_prints_under_a_utf8_locale(tmp_path, mode):
    tree = tmp_path / "t"
    tree.mkdir()
    name = os.fsencode(tree) + b"/caf\xff.py"
    with open(name, "wb") as handle:
        handle.write(LEGACY.encode())
    _good_files(tree, 2)
    code, out, err = migrate(*_mode(mode, tmp_path), tree, cwd=tmp_path, env={"PYTHONIOENCODING": "utf-8"})
    assert code == (1 if "--check" in mode else 0), err
    assert "Traceback" not in err
    if not mode:
        assert b"+++ b/" + name.lstrip(b"/") + b"\n" in out


def test_stdin_is_decoded_like_a_file(tmp_path):
    latin = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + LEGACY).encode("latin-1")
    code, out, err = migrate("-", cwd=tmp_path, stdin=latin, env={"PYTHONIOENCODING": "utf-8"})
    assert code == 0, err
    assert out == latin.replace(b"model._make_predict_function()\n", b"").replace(b"from keras.", b"from tensorflow.keras.")
    bom = b"\xef\xbb\xbf" + LEGACY.encode()
    code, out, err = migrate("-", cwd=tmp_path, stdin=bom)
    assert code == 0 and out.startswith(b"\xef\xbb\xbfimport tensorflow") and out.count(b"\xef\xbb\xbf") == 1
    bad = b"import keras\nx = '\xff'\n"
    code, out, err = migrate("-", cwd=tmp_path, stdin=bad, env={"PYTHONIOENCODING": "utf-8"})
    assert code == 123 and "cannot decode as utf-8" in err and "Traceback" not in err
    assert out == bad  # a filter passes what it cannot migrate through unchanged


# --- 7. Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0.0, 0.3, 1.5])
def test_ctrl_c_stops_cleanly_with_every_file_original_or_fully_written(tmp_path, delay):
    tree = tmp_path / "t"
    tree.mkdir()
    sources = {}
    # enough files that a run on a quiet machine is still going when the last delay is up
    for i in range(2400):
        path = tree / f"app{i:04}.py"
        sources[path] = LEGACY.replace("model.h5", f"m{i}.h5")
        path.write_text(sources[path])
    reference = tmp_path / "ref.py"
    reference.write_text(LEGACY)
    subprocess.run([sys.executable, "-m", "migrate", "--write", str(reference)], env=dict(os.environ, PYTHONPATH=str(REPO)),
                   check=True, capture_output=True)
    migrated = reference.read_text()
    proc = subprocess.Popen([sys.executable, "-m", "migrate", "--write", "--jobs", "2", "--no-model-files", str(tree)],
                            cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    # from the moment its worker processes exist (the pool starting: where Ctrl-C used to get lost)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    while proc.poll() is None and not children.read_text().strip():
        time.sleep(0.01)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    out, err = proc.communicate(timeout=60)
    err = err.decode()
    if proc.returncode == 0:
        pytest.fail(f"the run went on after Ctrl-C ({delay} s): {err[-300:]}")
    assert proc.returncode == 130, err
    [last] = err.strip().splitlines()[-1:]
    assert last.startswith("interrupted: ") and " written, " in last, err
    assert "Traceback" not in err
    written = sum(1 for path, text in sources.items()
                  if path.read_text() == migrated.replace("model.h5", f"m{int(path.stem[3:])}.h5"))
    untouched = sum(1 for path, text in sources.items() if path.read_text() == text)
    assert written + untouched == len(sources)
    if last != "interrupted: 0 files written, before any file was read":  # Ctrl-C while it started
        assert last == f"interrupted: {written} file{'s' if written != 1 else ''} written, {len(sources) - written} not processed"
    assert not list(tree.glob(".*migrate-tmp"))
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):  # no worker left behind
        os.killpg(proc.pid, 0)


def test_ctrl_c_during_a_write_lets_that_write_finish_and_counts_it(tmp_path, monkeypatch):
    """The race the subprocess test above hits one run in many, made certain: SIGINT arrives
    the moment the temp file exists. The write completes and is counted; no temp file is left."""
    tree = tmp_path / "t"
    tree.mkdir()
    for name in ("a.py", "b.py"):
        (tree / name).write_text(LEGACY)
    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_ctrl_c(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return made

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_ctrl_c)
    with pytest.raises(runner.Interrupted) as stopped:
        runner.run([str(tree)], runner.RunConfig(write=True, model_files=False, diffs=False), jobs=1)
    assert (stopped.value.written, stopped.value.not_processed) == (1, 1)
    assert sorted(p.read_text() == LEGACY for p in tree.glob("*.py")) == [False, True]  # one migrated, one not
    assert not list(tree.glob(".*migrate-tmp"))


# --- 8. messages ---------------------------------------------------------------------------------


def test_binary_and_utf16_files_follow_one_rule_and_messages_point_at_the_real_line(tmp_path, capsys):
    files = {
        "utf16.py": "\ufeffimport keras\nx = 1\n".encode("utf-16"),
        "nul.py": b"import keras\n\x00\n",
        "nul_late.py": b"import keras\n" + b"# padding\n" * 1000 + b"x = '\x00'\n",
        "mixed.py": b"import keras\nif x:\n        a = 1\n\tb = 2\n",
        "parens500.py": b"import keras\nv = " + b"(" * 500 + b"1" + b")" * 500 + b"\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    code = main(["--check", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 123
    lines = {Path(line.split(":")[0]).name: line for line in err.splitlines() if ": error: " in line}
    for name in ("utf16.py", "nul.py", "nul_late.py"):
        assert "binary file" in lines[name], err
    assert "line 4" in lines["mixed.py"] and "1:1" not in lines["mixed.py"], err
    assert "nested too deeply" in lines["parens500.py"] and "rule" not in lines["parens500.py"], err


def test_input_that_does_not_compile_is_not_blamed_on_a_rule(tmp_path, capsys):
    # parses (libcst) but does not compile (CPython): a `return` at module level
    source = "import keras\nmodel._make_predict_function()\nreturn 1\n"
    (tmp_path / "bad.py").write_text(source)
    code = main(["--check", str(tmp_path / "bad.py")])
    err = capsys.readouterr().err
    assert code == 123
    assert "the input does not compile ('return' outside function, line 3)" in err and "rule " not in err


# --- the whole CLI on random trees ------------------------------------------------------------

SOAK = os.environ.get("SOAK") == "1"
_names = st.sampled_from(["a.py", "b.py", "c.pyw", "n.ipynb", "sub/d.py", "sub/e.py"])
_contents = st.one_of(
    hypothesmith.from_grammar().map(lambda s: ("import keras\n" + s).encode("utf-8", "surrogateescape")),
    st.binary(max_size=300).map(lambda b: b"import keras\n" + b),
    st.sampled_from([LEGACY.encode(), LEGACY.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + LEGACY.encode()]),
)


@settings(max_examples=10_000 if SOAK else 12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
# hypothesmith.from_node calls hypothesis.target() under a fixed label, which may happen once
# per example: at most one file of a tree is drawn from it
@given(files=st.dictionaries(_names, _contents, min_size=1, max_size=4),
       compiled=st.none() | hypothesmith.from_node().map(
           lambda s: ("import tensorflow as tf\n" + s).encode("utf-8", "surrogateescape")),
       mode=st.sampled_from([[], ["--check"], ["--write"], ["--report", "REPORT"]]))
def test_random_trees_of_random_programs_and_bytes_never_crash_the_cli(files, compiled, mode):
    if compiled is not None:
        files = {**files, "sub/compiled.py": compiled}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "t"
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = main([*_mode(mode, Path(tmp)), "--jobs", "1", "--no-model-files", str(root)])
        err = stderr.getvalue()
        assert code in (0, 1, 123), err
        assert "internal error" not in err and "crashed" not in err, err
        for line in err.splitlines():
            if ": error: " in line:  # a failed file is left as it was
                name = Path(line.split(": error: ")[0]).relative_to(root).as_posix()
                assert (root / name).read_bytes() == files[name], line
        if "--report" in mode:
            assert json.loads((Path(tmp) / "report.json").read_text())["exit_code"] == code
