"""Tables the benchmarks print, and the Markdown file they make together."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Goal:
    """One goal of the issue: the measured value against its target."""

    name: str
    value: float
    target: str  # e.g. "<= 1.05"
    met: bool
    note: str = ""


@dataclass
class Section:
    """One benchmark's result: a table, what it means, and the goals it checks."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    caption: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)


def fmt(value: float, digits: int = 0) -> str:
    """A number for a table cell (thousands separated; '-' for nan)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(value: float) -> str:
    """A ratio for a table cell."""
    return "-" if value is None or math.isnan(value) else f"{value:.2f}x"


def shown(value: float) -> str:
    """A measured goal value with enough digits that 1.051 does not read as 1.05."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"


def check(name: str, value: float, op: str, bound: float, note: str = "") -> Goal:
    """A goal ``value op bound`` (op is '<=' or '>=')."""
    met = (value <= bound) if op == "<=" else (value >= bound)
    if isinstance(value, float) and math.isnan(value):
        met = False
    return Goal(name, value, f"{op} {bound:g}", met, note)


def machine() -> str:
    """One line describing where the numbers were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            mem_kb = int(fh.readline().split()[1])
        mem = f", {mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = ""
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average at start {os.getloadavg()[0]:.1f}"
    return f"{os.cpu_count()} cores ({cpu}){mem}, Linux {platform.release()}, Python {platform.python_version()}{load}"


def _widths(section: Section) -> list[int]:
    cols = [section.headers] + section.rows
    return [max(len(str(row[i])) for row in cols) for i in range(len(section.headers))]


def as_text(section: Section) -> str:
    """A plain-text table for the terminal."""
    widths = _widths(section)
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [section.title, "=" * len(section.title), line(section.headers), line("-" * w for w in widths)]
    out += [line(row) for row in section.rows]
    out += [f"  {c}" for c in section.caption]
    out += [f"  goal {g.name}: {g.target}, measured {shown(g.value)}: {'MET' if g.met else 'NOT MET'}"
            + (f" ({g.note})" if g.note else "") for g in section.goals]
    return "\n".join(out) + "\n"


def as_markdown(section: Section) -> str:
    """A Markdown table with its caption and goals."""
    out = [f"### {section.title}", "",
           "| " + " | ".join(section.headers) + " |",
           "|" + "|".join("---" for _ in section.headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in section.rows]
    out.append("")
    out += [f"{c}  " for c in section.caption]
    if section.goals:
        out.append("")
        out += [f"- **{g.name}**: goal {g.target}, measured **{shown(g.value)}**: {'met' if g.met else '**not met**'}"
                + (f" - {g.note}" if g.note else "") for g in section.goals]
    return "\n".join(out) + "\n"


def splice_marked(document: str, section: str, start: str, end: str) -> str:
    """``document`` with its part from marker ``start`` to ``end`` replaced by ``section``
    (which carries the markers), or with ``section`` appended when a marker is missing."""
    if start in document and end in document:
        head, rest = document.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        return head + section + ("\n" + tail if tail else "")
    return document.rstrip("\n") + "\n\n" + section


def marked_section(path: Path, start: str, end: str) -> str:
    """The part of the Markdown file at ``path`` from marker ``start`` to ``end``, markers included
    ("" if the file or a marker is missing): a section another script writes, for a writer that
    regenerates the rest of the file."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        return ""
    return start + text.split(start, 1)[1].split(end, 1)[0] + end + "\n"
