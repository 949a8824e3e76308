"""Every hunk says why: attribute each hunk of a file's diff to the rules that made it.

The pipeline keeps the text each applied rule produced, in order. Diffing consecutive
texts says which lines of the *original* file each rule touched; a line a rule inserted
inherits the position of the line it replaced (or sits between two original lines), so a
later rule editing it is traced back as well. A final hunk then names every rule that
touched a position inside it.

The names go into the `@@ -a,b +c,d @@` trailer, where git puts a function name: `git
apply` and `patch` ignore that text, so the diff still applies as it is.
"""

from __future__ import annotations

import ast
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Sequence

from migrate.diffs import grouped_opcodes, opcodes

CONTEXT_LINES = 3
# the page/anchor every rule has in the generated rule catalogue (heading "### <rule>")
CATALOGUE_PAGE = "MIGRATION.md"


def catalogue_entry(rule: str) -> str:
    """The MIGRATION.md catalogue entry of `rule` (its heading's anchor)."""
    return f"{CATALOGUE_PAGE}#{rule}"


@dataclass(frozen=True)
class Hunk:
    """One hunk of a unified diff: 1-based starts and line counts, as in its `@@` header."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    rules: tuple[str, ...]
    # first and last old line of the changed part (context lines excluded)
    changed: tuple[int, int] = (0, 0)
    # the innermost function holding the hunk's changed lines, (first, last) old lines
    function: tuple[int, int] | None = None

    def header(self) -> str:
        """`@@ -a,b +c,d @@ rule, rule` (the trailer is ignored by git apply and patch)."""
        trailer = f" {', '.join(self.rules)}" if self.rules else ""
        return f"@@ -{_range(self.old_start, self.old_lines)} +{_range(self.new_start, self.new_lines)} @@{trailer}"

    def as_dict(self) -> dict:
        """JSON-ready: the line ranges, the rules and each rule's catalogue entry."""
        return {
            "old_start": self.old_start, "old_lines": self.old_lines,
            "new_start": self.new_start, "new_lines": self.new_lines,
            "rules": list(self.rules),
            "catalogue": {rule: catalogue_entry(rule) for rule in self.rules},
            "changed": list(self.changed),
            "function": list(self.function) if self.function else None,
        }


def _range(start: int, length: int) -> str:
    # difflib's _format_range_unified: an empty range names the line before it
    if length == 1:
        return str(start)
    if not length:
        start -= 1
    return f"{start},{length}"


def touched_positions(original: str, steps: Sequence[tuple[str, str]]) -> dict[str, set[float]]:
    """For each rule, the positions in `original` its step changed.

    Position k (0-based) is original line k; k - 0.5 is the gap before it. `steps` is the
    engine's [(rule, text after that rule)], in the order the rules ran; rules that shared one
    traversal have the same text, and each is credited with all of that traversal's changes.
    """
    origin: list[float] = [float(i) for i in range(len(original.splitlines()))]
    previous = original.splitlines()
    previous_text, previous_rule = original, None
    touched: dict[str, set[float]] = {}
    for rule, text in steps:
        marks = touched.setdefault(rule, set())
        if text == previous_text and previous_rule is not None:
            marks.update(touched[previous_rule])  # the same traversal as the rule before
            continue
        previous_text, previous_rule = text, rule
        lines = text.splitlines()
        new_origin: list[float] = []
        for tag, i1, i2, j1, j2 in opcodes(previous, lines):
            if tag == "equal":
                new_origin.extend(origin[i1:i2])
                continue
            if i1 < i2:
                marks.update(origin[i1:i2])
                anchor = origin[i1]
            else:  # an insertion: the gap after the line before it (gaps are k - 0.5)
                anchor = _gap_after(origin[i1 - 1]) if i1 > 0 else -0.5
                marks.add(anchor)
            new_origin.extend([anchor] * (j2 - j1))
        origin, previous = new_origin, lines
    return {rule: marks for rule, marks in touched.items() if marks}


def _gap_after(position: float) -> float:
    return position if position % 1 else position + 0.5


def explained_diff(old: str, new: str, path: str, steps: Sequence[tuple[str, str]],
                   functions: list[tuple[int, int]] | None = None) -> tuple[str, list[Hunk]]:
    """The unified diff of `old` → `new` (as difflib.unified_diff writes it, a/ b/ prefixes)
    with each hunk's rules in its `@@` trailer, and the hunks themselves."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    touched = touched_positions(old, steps)
    # each rule's positions in order, searched by bisection: a scan of them all per hunk was
    # quadratic on a large file (both grow with it)
    positions = {rule: sorted(marks) for rule, marks in touched.items()}
    order = {rule: i for i, (rule, _) in enumerate(steps)}
    innermost = _Innermost(_function_spans(old) if functions is None else functions)
    name = path.lstrip("/")
    out = [f"--- a/{name}\n", f"+++ b/{name}\n"]
    hunks = []
    for group in grouped_opcodes(opcodes(a, b, autojunk=True), CONTEXT_LINES):  # difflib.unified_diff's default
        first, last = group[0], group[-1]
        changes = [op for op in group if op[0] != "equal"]
        low, high = changes[0][1] - 0.5, changes[-1][2] - 0.5
        rules = sorted((r for r, marks in positions.items() if _any_within(marks, low, high)), key=order.get)
        if not rules and touched:  # the step diffs aligned differently: the nearest rule made it
            rules = [min(positions, key=lambda r: min(_distance(positions[r], low), _distance(positions[r], high)))]
        changed = (changes[0][1] + 1, max(changes[-1][2], changes[0][1] + 1))
        hunk = Hunk(first[1] + 1, last[2] - first[1], first[3] + 1, last[4] - first[3], tuple(rules),
                    changed, innermost(*changed))
        hunks.append(hunk)
        out.append(hunk.header() + "\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in a[i1:i2])
                continue
            out.extend("-" + line for line in a[i1:i2])
            out.extend("+" + line for line in b[j1:j2])
    if not hunks:
        return "", []
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)
    return text, hunks


def _function_spans(code: str) -> list[tuple[int, int]]:
    """(first, last) line of every function in `code` (decorators included); none when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    spans = []
    # functions live in statement bodies only: expressions (most of the tree) are never entered
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            spans.append((first, node.end_lineno or node.lineno))
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, name, ()):
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    pending.append(child)
    return spans


def _any_within(marks: list[float], low: float, high: float) -> bool:
    """True when the sorted `marks` hold a position in [low, high]."""
    i = bisect_left(marks, low)
    return i < len(marks) and marks[i] <= high


def _distance(marks: list[float], x: float) -> float:
    """The distance from `x` to the nearest of the sorted, non-empty `marks`."""
    i = bisect_left(marks, x)
    return min(abs(p - x) for p in marks[max(i - 1, 0):i + 1])


class _Innermost:
    """The innermost function span holding lines first..last, for many ranges of one file.

    Function spans (decorators to last line) nest or are apart: two defs never share a line
    unless one holds the other. So the spans that hold a line are one chain: the span that
    starts last at or before it, and the spans around that one. A query climbs that chain
    (a scan of every span per hunk and per manual item was quadratic on a large file).
    """

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self._spans = sorted(set(spans), key=lambda s: (s[0], -s[1]))  # outer before inner
        self._starts = [start for start, _ in self._spans]
        self._parent: list[int] = []  # index of the span around each one, -1 for none
        open_spans: list[int] = []
        for start, _end in self._spans:
            while open_spans and self._spans[open_spans[-1]][1] < start:
                open_spans.pop()
            self._parent.append(open_spans[-1] if open_spans else -1)
            open_spans.append(len(self._parent) - 1)

    def __call__(self, first: int, last: int) -> tuple[int, int] | None:
        i = bisect_right(self._starts, first) - 1
        while i >= 0 and self._spans[i][1] < last:
            i = self._parent[i]
        return self._spans[i] if i >= 0 else None


def explain(result, old: str, new: str, path: str, steps: Sequence[tuple[str, str]], diffed: bool = True) -> None:
    """Fill a report.FileResult: its explained diff and hunks (when `old` != `new` and
    `diffed`; notebooks bring their own per-cell diff), and the function each manual item
    sits in (what the runtime worklist counts)."""
    spans = _function_spans(old) if result.manual or old != new else []
    innermost = _Innermost(spans)
    for item in result.manual:
        line = item.get("original_line", item["line"])  # the spans are the old text's, like a runtime report's lines
        span = innermost(line, line)
        item["function"] = list(span) if span else None
        # and of each line its message names (a raw graph's sites: the session run in a handler)
        item["functions_named"] = [list(s) if (s := innermost(n, n)) else None
                                   for n in item.get("original_lines_named", ())]
    if diffed and old != new:
        result.diff, hunks = explained_diff(old, new, path, steps, spans)
        result.hunks = [h.as_dict() for h in hunks]
