"""Issue 14, large files: ``python -m migrate`` on one 0.1 / 1 / 5 MB legacy file.

    python -m benchmarks.migrate_large [--timeout S]

The file is the generated legacy serving files one after another (benchmarks/trees.py), so
every part of it is something the rules rewrite. Each mode runs as a user runs it, in a
fresh process (start-up included): the dry run (prints the diff), --check (no diff) and
--write (on a fresh copy). Peak RSS is the child's own (os.wait4). A run that takes longer
than the timeout is stopped and shown as "> timeout".
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import trees
from benchmarks.report import Section, as_text, fmt

REPO_ROOT = Path(__file__).resolve().parent.parent
SIZES_MB = (0.1, 1, 5)
MODES = {"dry run": [], "--check": ["--check"], "--write": ["--write"]}


def timed(argv: list[str], cwd: Path, timeout: float) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one process; exit code None when it was stopped."""
    env = dict(os.environ, NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return time.perf_counter() - start, usage.ru_maxrss / 1024, proc.returncode
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return float("inf"), usage.ru_maxrss / 1024, None
        time.sleep(0.05)


def run(workdir: Path, quick: bool = False, timeout: float = 600.0) -> Section:
    """The table: one row per file size, time and peak RSS per mode."""
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in SIZES_MB[:2] if quick else SIZES_MB:
        source = trees.large_legacy_file(int(size * 1_000_000))
        original = workdir / f"legacy_{size:g}mb.py"
        original.write_text(source)
        row = [f"{size:g} MB", fmt(source.count("\n"))]
        for mode, flags in MODES.items():
            target = workdir / "work.py"
            shutil.copyfile(original, target)
            took, rss, code = timed([sys.executable, "-m", "migrate", "--quiet", "--jobs", "1", *flags, str(target)],
                                    workdir, timeout)
            row += [f"> {timeout:g}" if code is None else f"{took:.1f}", fmt(rss)]
        rows.append(row)
    headers = ["file", "lines"]
    for mode in MODES:
        headers += [f"{mode} s", f"{mode} peak RSS MB"]
    return Section(
        "migrate on one large legacy file (time and peak RSS per mode, start-up included)",
        headers, rows,
        caption=["One process per run, --jobs 1 (a single file goes to one worker). The dry run prints the diff; "
                 "--check computes none."],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.migrate_large", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0, help="stop a run after this many seconds")
    parser.add_argument("--quick", action="store_true", help="0.1 and 1 MB only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="migrate-large-") as tmp:
        print(as_text(run(Path(tmp), quick=args.quick, timeout=args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
