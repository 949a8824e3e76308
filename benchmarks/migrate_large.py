"""Issue 14, large files: ``python -m migrate`` on one 0.1 / 1 / 5 MB legacy file.

    python -m benchmarks.migrate_large [--timeout S] [--modes "dry run,--check"] [--sizes 0.1,1]
                                       [--baseline OLD_CHECKOUT] [--markdown docs/benchmarks.md]

The file is the generated legacy serving files one after another (benchmarks/trees.py), so
every part of it is something the rules rewrite. Each mode runs as a user runs it, in a
fresh process (start-up included): the dry run (prints the diff), --check (no diff) and
--write (on a fresh copy). Peak RSS is the child's own (os.wait4: the process and the pool
worker it waited for; getrusage(RUSAGE_CHILDREN) would give the largest child so far, not
this one). migrate's own per-file budget is off (--timeout 0): a run that takes longer than
this benchmark's timeout is stopped and shown as "> timeout".

--baseline runs the same modes on the same file with another checkout's migrate (say the
commit before a speed change: ``git worktree add /tmp/old <commit>``), one row after each
of this checkout's rows, so both are measured under the same conditions. --markdown
(re)writes this table's section of a Markdown file (between its markers; benchmarks/run.py
keeps the section when it rewrites the file).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import real_apps, trees
from benchmarks.report import Section, as_markdown, as_text, fmt, machine, marked_section

REPO_ROOT = Path(__file__).resolve().parent.parent
SIZES_MB = (0.1, 1, 5)
MODES = {"dry run": [], "--check": ["--check"], "--write": ["--write"]}
EXPECTED_EXIT = {"dry run": 0, "--check": 1, "--write": 0}  # the file has something to migrate
SECTION_START = "<!-- migrate-large:start -->"
SECTION_END = "<!-- migrate-large:end -->"


def timed(argv: list[str], cwd: Path, timeout: float, root: Path = REPO_ROOT) -> tuple[float, float, int | None]:
    """(seconds, peak RSS in MB, exit code) of one process running `root`'s code; exit code None when it was stopped."""
    env = dict(os.environ, NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
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


def run(workdir: Path, quick: bool = False, timeout: float = 600.0, modes: list[str] | None = None,
        sizes: list[float] | None = None, baseline: Path | None = None) -> Section:
    """The table: one row per file size (and per checkout with a baseline), time and peak RSS per mode."""
    workdir.mkdir(parents=True, exist_ok=True)
    modes = list(modes or MODES)
    sizes = list(sizes or (SIZES_MB[:2] if quick else SIZES_MB))
    checkouts = [("this checkout", REPO_ROOT)] + ([("baseline", baseline.resolve())] if baseline else [])
    rows = []
    for size in sizes:
        source = trees.large_legacy_file(int(size * 1_000_000))
        original = workdir / f"legacy_{size:g}mb.py"
        original.write_text(source)
        for label, root in checkouts:
            row = [f"{size:g} MB", fmt(source.count("\n"))] + ([label] if baseline else [])
            for mode in modes:
                target = workdir / "work.py"
                shutil.copyfile(original, target)
                took, rss, code = timed([sys.executable, "-m", "migrate", "--quiet", "--jobs", "1", "--timeout", "0",
                                         *MODES[mode], str(target)], workdir, timeout, root)
                shown = f"> {timeout:g}" if code is None else f"{took:.1f}"
                if code is not None and code != EXPECTED_EXIT[mode]:
                    shown += f" (exit {code})"
                row += [shown, fmt(rss)]
            rows.append(row)
            print("  ".join(row), file=sys.stderr, flush=True)  # a long run shows its progress
    headers = ["file", "lines"] + (["migrate"] if baseline else [])
    for mode in modes:
        headers += [f"{mode} s", f"{mode} peak RSS MB"]
    caption = ["One process per run, --jobs 1 (a single file goes to one worker), --timeout 0; wall time and "
               "peak RSS include start-up. The dry run prints the diff; --check computes none."]
    if baseline:
        caption.append(f"baseline: the same runs with the migrate of {_describe(baseline)}, "
                       "right after this checkout's on the same file.")
    return Section("migrate on one large legacy file (issue 14, hostile input: time and peak RSS per mode)",
                   headers, rows, caption=caption)


def _describe(root: Path) -> str:
    """`root`'s commit (short hash) when it is a git checkout, else its path."""
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return str(root)
    return f"commit {out.stdout.strip()}" if out.returncode == 0 and out.stdout.strip() else str(root)


def kept_section(path: Path) -> str:
    """This benchmark's section of the Markdown file at ``path`` ("" if none), for a writer that regenerates the rest."""
    return marked_section(path, SECTION_START, SECTION_END)


def write_section(path: Path, section: Section, command: str, started: datetime.datetime, where: str,
                  note: str | None = None) -> None:
    """Replace (or append) this benchmark's section of the Markdown file at ``path``."""
    caption = section.caption + [
        f"Generated by `{command}` on {started:%Y-%m-%d %H:%M} UTC, {where}. The machine is shared: absolute "
        "times move between runs; rows next to each other were measured under the same load."]
    shown = Section(section.title, section.headers, section.rows, caption + ([note] if note else []), section.goals)
    body = SECTION_START + "\n" + as_markdown(shown) + SECTION_END + "\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION_START in text and SECTION_END in text:
        before, rest = text.split(SECTION_START, 1)
        text = before + body + rest.split(SECTION_END, 1)[1].lstrip("\n")
    elif real_apps.SECTION_START in text:  # before the real-apps section, where benchmarks/run.py keeps it
        before, rest = text.split(real_apps.SECTION_START, 1)
        text = before + body + "\n" + real_apps.SECTION_START + rest
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.migrate_large", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0, help="stop a run after this many seconds")
    parser.add_argument("--quick", action="store_true", help="0.1 and 1 MB only")
    parser.add_argument("--sizes", help="comma-separated sizes in MB (default 0.1,1,5)")
    parser.add_argument("--modes", help=f"comma-separated modes among {', '.join(MODES)} (default: all)")
    parser.add_argument("--baseline", type=Path, help="another checkout of this project: its rows follow this one's")
    parser.add_argument("--markdown", type=Path, help="(re)write this table's section of this Markdown file")
    parser.add_argument("--note", help="with --markdown: a paragraph under the table (what changed, say)")
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",")] if args.modes else None
    unknown = [m for m in modes or () if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(unknown)}")
    sizes = [float(s) for s in args.sizes.split(",")] if args.sizes else None
    started, where = datetime.datetime.now(datetime.timezone.utc), machine()
    with tempfile.TemporaryDirectory(prefix="migrate-large-") as tmp:
        section = run(Path(tmp), quick=args.quick, timeout=args.timeout, modes=modes, sizes=sizes,
                      baseline=args.baseline)
    print(as_text(section))
    if args.markdown:
        options = [a for a in (argv if argv is not None else sys.argv[1:])]
        if "--note" in options:  # the note is shown as itself, not as part of the command
            at = options.index("--note")
            del options[at:at + 2]
        command = " ".join(["python -m benchmarks.migrate_large", *(a if " " not in a else repr(a) for a in options)])
        write_section(args.markdown, section, command, started, where, args.note)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
