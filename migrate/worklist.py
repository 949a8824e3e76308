"""The shim's runtime worklist fed into migrate: how often the code behind each hunk ran.

`python -m legacy_shim --report shim-report.json app.py` records, per process, every legacy
call site the app hit in production: `{"call_sites": [{"file", "line", "idiom", "count"}]}`
(legacy_shim/worklist.py). Several reports (one per gunicorn worker) add up.

A hunk's code ran as often as the busiest call site on its changed lines; a hunk with no
call site of its own borrows the busiest site of the function it sits in (the function ran
at least that often); a module-level hunk in a file the app hit ran once per process that
imported it. A rewrite whose code no report saw run is flagged "not exercised at run time":
nothing in production vouches for it, so it is the one to read twice. Manual items are
counted the same way (one that names several lines, as often as the busiest of them) and
listed busiest first.

The report names files as the server saw them (absolute paths, maybe on another machine):
a file matches the migrated file with the same real path, else the one sharing the longest
trailing part of its path, when that match is unambiguous both ways.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

NOT_EXERCISED = "not exercised at run time"
# exercised hunks listed in the terminal, busiest first
BUSIEST = 10
# how a count was found (runs_from) in words: on the hunk's own lines, from its function, at import
BASIS = {"line": "", "function": " (its function)", "module": " (at import)"}


def ran(entry: dict) -> str:
    """'ran 12x', 'ran 3x (its function)' or 'not exercised at run time', for a hunk or manual item."""
    return f"ran {entry['runs']}x{BASIS.get(entry['runs_from'], '')}" if entry["exercised"] else NOT_EXERCISED


class WorklistError(ValueError):
    """A --worklist file that cannot be read as a legacy_shim report; the message says why."""


@dataclass
class RuntimeWorklist:
    """Call sites of one or more shim reports, counts summed over the reports."""

    reports: list[str]
    # file → line → times any legacy idiom on that line ran
    hits: dict[str, dict[int, int]] = field(default_factory=dict)
    # file → how many reports (processes) hit it at all
    processes: dict[str, int] = field(default_factory=dict)
    idioms: dict[tuple[str, int], set[str]] = field(default_factory=dict)

    @property
    def site_count(self) -> int:
        """Distinct (file, line) call sites over all reports."""
        return sum(len(lines) for lines in self.hits.values())


def load(paths: Sequence[str]) -> RuntimeWorklist:
    """Read and merge `legacy_shim --report` files (WorklistError when one is not such a file)."""
    worklist = RuntimeWorklist(reports=[str(p) for p in paths])
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise WorklistError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise WorklistError(f"{path}: not JSON: {exc}") from None
        sites = data.get("call_sites") if isinstance(data, dict) else None
        if not isinstance(sites, list):
            raise WorklistError(f"{path}: no 'call_sites' list: not a `python -m legacy_shim --report` file")
        files_here = set()
        for site in sites:
            try:
                file, line, count = str(site["file"]), int(site["line"]), int(site["count"])
            except (KeyError, TypeError, ValueError):
                raise WorklistError(f"{path}: call site without file/line/count: {site!r}") from None
            lines = worklist.hits.setdefault(file, {})
            lines[line] = lines.get(line, 0) + count
            worklist.idioms.setdefault((file, line), set()).add(str(site.get("idiom", "")))
            files_here.add(file)
        for file in files_here:
            worklist.processes[file] = worklist.processes.get(file, 0) + 1
    return worklist


def match_files(migrated: Iterable[str], reported: Iterable[str]) -> dict[str, str]:
    """migrated path → reported path: the same real path, else the longest shared tail, unambiguous."""
    migrated, reported = list(migrated), list(reported)
    real = {os.path.realpath(p): p for p in migrated}
    matches = {real[os.path.realpath(r)]: r for r in reported if os.path.realpath(r) in real}
    rest_m = [p for p in migrated if p not in matches]
    rest_r = [r for r in reported if r not in matches.values()]

    def tail(a: str, b: str) -> int:
        pa, pb = Path(os.path.abspath(a)).parts[::-1], Path(b).parts[::-1]
        n = 0
        while n < min(len(pa), len(pb)) and pa[n] == pb[n]:
            n += 1
        return n

    def best(candidates: list[str], score) -> str | None:
        scored = [(score(c), c) for c in candidates]
        top = max((s for s, _ in scored), default=0)
        winners = [c for s, c in scored if s == top]
        return winners[0] if top and len(winners) == 1 else None

    for r in rest_r:
        m = best(rest_m, lambda p: tail(p, r))
        if m is not None and best(rest_r, lambda other: tail(m, other)) == r:
            matches[m] = r
    return matches


def _runs(first: int, last: int, function: Sequence[int] | None, lines: dict[int, int], processes: int) -> tuple[int, str]:
    direct = [n for line, n in lines.items() if first <= line <= last]
    if direct:
        return max(direct), "line"
    if function:
        inside = [n for line, n in lines.items() if function[0] <= line <= function[1]]
        return (max(inside), "function") if inside else (0, NOT_EXERCISED)
    return (processes, "module") if lines else (0, NOT_EXERCISED)


def annotate(report, worklist: RuntimeWorklist) -> dict:
    """Mark each hunk and manual item of `report` (a migrate.report.Report) with how often its
    code ran, order each file's manual items busiest first, and return the run's worklist summary
    (also stored as report.worklist for the JSON report)."""
    matches = match_files((f.path for f in report.files), worklist.hits)
    exercised = not_exercised = 0
    for result in report.files:
        reported = matches.get(result.path)
        lines = worklist.hits.get(reported, {}) if reported else {}
        processes = worklist.processes.get(reported, 0) if reported else 0
        for hunk in result.hunks:
            hunk["runs"], basis = _runs(*hunk["changed"], hunk.get("function"), lines, processes)
            hunk["exercised"] = hunk["runs"] > 0
            hunk["runs_from"] = basis
            exercised += hunk["exercised"]
            not_exercised += not hunk["exercised"]
        for item in result.manual:
            line = item.get("original_line", item["line"])  # the server ran the legacy file
            # an item about several lines (a raw graph's sites) ran as often as the busiest of them
            named = [(line, item.get("function")),
                     *zip(item.get("original_lines_named", ()), item.get("functions_named", ()))]
            item["runs"], item["runs_from"] = max(
                (_runs(n, n, function, lines, processes) for n, function in named), key=lambda r: r[0])
            item["exercised"] = item["runs"] > 0
        result.manual.sort(key=lambda m: -m["runs"])
    summary = {
        "reports": list(worklist.reports),
        "call_sites": worklist.site_count,
        "files": {path: reported for path, reported in sorted(matches.items())},
        "files_not_in_this_run": sorted(set(worklist.hits) - set(matches.values())),
        "hunks_exercised": exercised,
        "hunks_not_exercised": not_exercised,
    }
    report.worklist = summary
    return summary


def summary_lines(report) -> list[str]:
    """Terminal lines: manual items busiest first, then the rewrites no report saw run."""
    info = report.worklist
    if not info:
        return []
    lines = [f"runtime worklist: {len(info['reports'])} shim report{'s' if len(info['reports']) != 1 else ''}, "
             f"{info['call_sites']} call sites in {len(info['files'])} of the migrated files; "
             f"{info['hunks_exercised']} hunks exercised, {info['hunks_not_exercised']} {NOT_EXERCISED}"]
    if info["files_not_in_this_run"]:
        lines.append(f"  call sites in {len(info['files_not_in_this_run'])} files not in this run, e.g. "
                     f"{info['files_not_in_this_run'][0]}")
    manual = sorted(((item, f.path) for f in report.files for item in f.manual), key=lambda pair: -pair[0]["runs"])
    if manual:
        lines.append("manual items, busiest first:")
        for item, path in manual:
            lines.append(f"  {path}:{item['line']}: {ran(item)}: [{item['rule']}] {item['message']}")
    hot = sorted(((f.path, h) for f in report.files for h in f.hunks if h["exercised"]), key=lambda ph: -ph[1]["runs"])
    if hot:
        lines.append(f"busiest rewrites{' (top ' + str(BUSIEST) + ')' if len(hot) > BUSIEST else ''}:")
        for path, h in hot[:BUSIEST]:
            lines.append(f"  {path}:{_lines(h)}: {ran(h)}: {', '.join(h['rules'])}")
    cold = [(f.path, h) for f in sorted(report.files, key=lambda f: f.path) for h in f.hunks if not h["exercised"]]
    if cold:
        lines.append(f"rewrites {NOT_EXERCISED} (no shim report saw this code run):")
        for path, h in cold:
            lines.append(f"  {path}:{_lines(h)}: {', '.join(h['rules'])}")
    return lines


def _lines(hunk: dict) -> str:
    first, last = hunk["changed"]
    return str(first) if first == last else f"{first}-{last}"
