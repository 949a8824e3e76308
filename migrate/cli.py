"""Command line: diffs to stdout, every message to stderr, black's exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import Sequence

from migrate import interactive, review_page, runner, worklist
from migrate.engine import Config
from migrate.report import EXIT_ERROR, FileResult, Report
from migrate.rules import all_rules
from migrate.rules.base import TARGETS, Options
from migrate.sarif import write_sarif

# far above what a source file needs (a 1 MB legacy file takes about a minute on 2 cores), low enough
# that no single file holds a run for long
DEFAULT_TIMEOUT = 600.0
EXIT_INTERRUPTED = 130  # the shell's code for a process stopped by SIGINT

_COLOURS = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
_RESET = "\033[0m"


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser for `python -m migrate`."""
    rule_names = ", ".join(r.NAME + ("" if r.SAFE else " (unsafe)") for r in all_rules())
    parser = argparse.ArgumentParser(
        prog="python -m migrate",
        description="Rewrite legacy TF1/Keras-2 graph/session juggling into load-once tf.keras code. "
        "Prints unified diffs; --write applies them.",
        epilog=f"rules: {rule_names}",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files and folders; '-' reads stdin and writes stdout")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="apply the changes (atomic; keeps mode, encoding, BOM, newlines)")
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
    mode.add_argument("--interactive", "-i", action="store_true",
                      help="show each file's changes with their reasons and ask: y apply, n skip, a apply the rest of the file, q quit")
    parser.add_argument("--report", metavar="FILE", help="write a JSON report (per file, per rule, manual items)")
    parser.add_argument("--sarif", metavar="FILE",
                        help="write manual items, failures and pending rewrites as SARIF 2.1.0 (code-scanning UIs)")
    parser.add_argument("--select", metavar="RULES", default="", help="comma-separated rule names to run (unsafe ones included)")
    parser.add_argument("--ignore", metavar="RULES", default="", help="comma-separated rule names to skip")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply rules whose result depends on the model")
    parser.add_argument("--target", choices=TARGETS, default="tf-keras",
                        help="tf-keras: tensorflow.keras imports (default); keras3: plain keras")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time budget per file; a file that takes longer is an error (default {DEFAULT_TIMEOUT:g}; 0: none)")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--progress", action="store_true", help="progress on stderr even when it is not a terminal")
    parser.add_argument("--no-model-files", action="store_true", help="do not look at the .h5 and architecture .json files the code loads")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour diffs")
    parser.add_argument("--quiet", "-q", action="store_true", help="only the summary on stderr")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained review page (summary, side-by-side diffs)")
    parser.add_argument("--worklist", metavar="SHIM_REPORT", action="append", default=[],
                        help="a `python -m legacy_shim --report` file: count how often each hunk's code ran (repeatable)")
    return parser


def _names(value: str, parser: argparse.ArgumentParser) -> frozenset[str]:
    names = frozenset(n.strip() for n in value.split(",") if n.strip())
    known = {r.NAME for r in all_rules()}
    unknown = sorted(names - known)
    if unknown:
        parser.error(f"unknown rule(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return names


def colourise(diff: str) -> str:
    """ANSI-coloured diff (added green, removed red, hunks cyan)."""
    out = []
    for line in diff.splitlines(keepends=True):
        colour = _COLOURS.get(line[:1]) if not line.startswith(("+++", "---")) else "\033[1m"
        out.append(f"{colour}{line.rstrip(chr(10))}{_RESET}\n" if colour else line)
    return "".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tool; returns the exit code (0 ok, 1 --check would change, 123 a file failed, 130 Ctrl-C)."""
    try:
        return _main(argv)
    except runner.Interrupted as exc:
        print(exc, file=sys.stderr)
    except KeyboardInterrupt:  # before any file was touched
        print(runner.Interrupted(), file=sys.stderr)
    return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_rules:
        for rule in all_rules():
            print(f"{rule.NAME:28} {'safe  ' if rule.SAFE else 'unsafe'} {rule.DESCRIPTION}")
        return 0
    if not args.paths:
        parser.error("no PATH given (use '-' for stdin)")
    for flag, path in (("--report", args.report), ("--sarif", args.sarif), ("--html", args.html)):
        problem = _unwritable(path) if path else None
        if problem:
            parser.error(f"{flag} {path}: {problem}")  # before any file is touched
    try:
        runtime = worklist.load(args.worklist) if args.worklist else None
    except worklist.WorklistError as exc:
        parser.error(str(exc))
    config = runner.RunConfig(
        migration=Config(
            options=Options(target=args.target, unsafe_fixes=args.unsafe_fixes, model_files=not args.no_model_files),
            select=_names(args.select, parser),
            ignore=_names(args.ignore, parser),
        ),
        write=args.write,
        check=args.check,
        model_files=not args.no_model_files,
        diffs=not (args.write or args.check) or bool(args.html or args.interactive),
        timeout=max(args.timeout, 0.0),
    )
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))

    if args.interactive and "-" in args.paths:
        parser.error("--interactive reads answers from the terminal: give files or folders, not '-'")
    if args.paths == ["-"]:
        return _run_stdin(args, config, colour, runtime)
    if "-" in args.paths:
        parser.error("'-' (stdin) cannot be combined with other paths")

    def on_result(result: FileResult) -> None:
        if result.diff and not args.write and not args.check and not args.interactive:
            _write_stdout(colourise(result.diff) if colour else result.diff)

    show_progress = args.progress or sys.stderr.isatty()
    report = runner.run(
        args.paths, config, jobs=args.jobs or None, on_result=on_result,
        progress=_progress_printer() if show_progress else None,
    )
    if args.interactive:
        if runtime is not None:
            worklist.annotate(report, runtime)
        indexed = runner.with_whole_app_index(args.paths, config)  # as the run saw the app
        report = interactive.review(report, indexed, input, sys.stdout, colourise if colour else str)
        return _finish(report, args)
    return _finish(report, args, runtime)


def _run_stdin(args: argparse.Namespace, config: runner.RunConfig, colour: bool,
               runtime: worklist.RuntimeWorklist | None) -> int:
    # bytes, decoded like a file (BOM, coding cookie), not with the terminal's locale
    data = sys.stdin.buffer.read()
    output, result = runner.migrate_stdin(data, replace(config, model_files=False, write=False))
    report = Report(check=config.check, write=config.write)
    report.add(result)
    # stdin → stdout is a filter: the migrated code on stdout, diffs only under --check
    if not args.check:
        _write_stdout(output)
    return _finish(report, args, runtime)


def _finish(report: Report, args: argparse.Namespace, runtime: worklist.RuntimeWorklist | None = None) -> int:
    if runtime is not None:
        worklist.annotate(report, runtime)
    if not args.quiet:
        for line in report.details() + worklist.summary_lines(report):
            print(line, file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    outputs = (("--report", args.report, report.write_json), ("--sarif", args.sarif, lambda p: write_sarif(report, p)),
               ("--html", args.html, lambda p: review_page.write(report, p)))
    for flag, path, write in outputs:
        if not path:
            continue
        try:
            write(path)
        except OSError as exc:
            print(f"{flag} {path}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
    return report.exit_code


def _unwritable(path: str) -> str | None:
    """Why the report cannot be written to `path`, or None."""
    if os.path.isdir(path):
        return "is a folder"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"no such folder {folder}"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return "not writable"
    return None


def _write_stdout(text: str | bytes) -> None:
    """Diffs and code on stdout as bytes: file names that are not valid in the locale's
    encoding come out as the bytes they are (surrogateescape), the text as UTF-8."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream put in place of stdout
        sys.stdout.write(data.decode("utf-8", "replace"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def _progress_printer():
    state = {"last": -1}

    def show(done: int, total: int) -> None:
        # only worth showing for large trees; \r keeps it on one line
        if total < 200:
            return
        percent = done * 100 // max(total, 1)
        if percent != state["last"]:
            state["last"] = percent
            end = "\n" if done >= total else ""
            print(f"\rmigrate: {done}/{total} files ({percent}%)", end=end, file=sys.stderr, flush=True)

    return show


__all__ = ["main", "build_parser", "EXIT_ERROR"]
