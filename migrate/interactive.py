"""`--interactive`: accept or skip the migration one change group at a time.

A change group is a whole file. The rules of one file work together (a graph removed by
graph-reentry, the session it served by session-config, the imports they leave unused by
keras-imports): half of them can leave a file worse than before. A whole file never is:
an accepted file is written by the same runner path as `--write` (migrated again from
disk, verified, written atomically), so whatever subset the user accepts, each written file
is exactly what a full run writes.

Answers: y apply, n skip, a apply the rest of the file (the group is the whole file, so
the same as y), q stop (nothing more is written). End of input counts as q.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, TextIO

from migrate import model_files, runner
from migrate.fileio import atomic_write
from migrate.hunks import catalogue_entry
from migrate.report import FileResult, Report, Status
from migrate.rules import all_rules
from migrate.rules.base import REMOVED_NOTE
from migrate.worklist import ran

PROMPT = "Apply? [y]es, [n]o, [a]pply the rest of the file, [q]uit: "
ANSWERS = {"y": "apply", "yes": "apply", "a": "apply", "n": "skip", "no": "skip", "q": "quit", "quit": "quit"}


def describe(result: FileResult, index: int, total: int) -> list[str]:
    """What the user reads before answering: the file, why each hunk, the catalogue entries."""
    rules = {r.NAME: r for r in all_rules()}
    lines = [f"[{index}/{total}] {result.path}: {len(result.hunks)} hunk{'s' if len(result.hunks) != 1 else ''}, "
             "applied together (the edits of one file keep each other working)"]
    for hunk in result.hunks:
        where = f"lines {hunk['old_start']}-{hunk['old_start'] + max(hunk['old_lines'], 1) - 1}"
        extra = f"; {ran(hunk)}" if "runs" in hunk else ""
        lines.append(f"  {where}: {', '.join(hunk['rules'])}{extra}")
    for name in dict.fromkeys(r for h in result.hunks for r in h["rules"]):
        rule = rules.get(name)
        lines.append(f"  why {name}: {rule.DESCRIPTION if rule else ''} ({catalogue_entry(name)})")
    for item in result.manual:
        lines.append(f"  manual, line {item['line']} [{item['rule']}]: {item['message']}")
    return lines


def review(report: Report, config: runner.RunConfig, ask: Callable[[str], str], out: TextIO,
           show_diff: Callable[[str], str] = lambda diff: diff) -> Report:
    """Ask about every changed file of `report` (a run made without writing); write the accepted
    ones. Returns the report of what was written, with skipped files left as they were."""
    changed = [f for f in sorted(report.files, key=lambda f: f.path) if f.status == Status.CHANGED]
    written = Report(write=True, worklist=report.worklist)
    decided: dict[str, FileResult] = {}
    quit_ = False
    for index, result in enumerate(changed, 1):
        if quit_:
            break
        out.write(show_diff(result.diff))
        out.write("\n".join(describe(result, index, len(changed))) + "\n")
        out.flush()
        answer = _answer(ask, out)
        if answer == "quit":
            quit_ = True
        elif answer == "apply":
            decided[result.path] = _write(result, config, out)
    if config.model_files:
        # the model files the written sources load, as a --write run upgrades them (one batch)
        model_files.upgrade_entries(m for r in decided.values() if r.written for m in r.model_files)
    for result in report.files:
        done = decided.get(result.path)
        written.add(done if done is not None else _left_alone(result))
    out.write(f"applied {sum(1 for r in decided.values() if r.written)} of {len(changed)} changed file(s)"
              f"{' (stopped)' if quit_ else ''}\n")
    return written


def _answer(ask: Callable[[str], str], out: TextIO) -> str:
    while True:
        try:
            raw = ask(PROMPT)
        except EOFError:
            out.write("\n")
            return "quit"
        answer = ANSWERS.get(raw.strip().lower())
        if answer:
            return answer
        out.write("please answer y, n, a or q\n")


def _write(shown: FileResult, config: runner.RunConfig, out: TextIO) -> FileResult:
    """Migrate the file again and write it, unless its changes are no longer the ones shown
    (the file was edited meanwhile)."""
    result, new_data = runner.migrate_path(shown.path, replace(config, write=False, check=False))
    if result.diff != shown.diff:
        out.write(f"{shown.path}: changed on disk since it was shown; not written\n")
        return _left_alone(shown)
    if new_data is not None:
        atomic_write(Path(shown.path), new_data)
        result.written = True
    result.hunks = shown.hunks  # with their runtime counts, when a worklist was given
    result.model_files = shown.model_files  # as the run kept them: those outside its paths only reported
    return result


def _left_alone(result: FileResult) -> FileResult:
    kept = replace(result, written=False)
    if kept.status == Status.CHANGED:
        kept.status, kept.message = Status.SKIPPED, "not accepted (--interactive)"
        kept.manual = [_as_the_file_is(item) for item in kept.manual]
    return kept


def _as_the_file_is(item: dict) -> dict:
    """An item of a file left as it was: at its line there (its column is still the migrated
    line's) and naming lines of it, without the note that the change removes that line."""
    line = item.get("original_line", item["line"])
    message = item.get("original_message", item["message"].removesuffix(REMOVED_NOTE.format(line=line)))
    return {**item, "line": line, "message": message}
