"""Line diffs that stay fast on any input: unified diffs for the user, line maps for messages.

Up to DIFFLIB_MAX_LINES lines a side, difflib's matcher decides (its output is what users have
always seen). Beyond that it can go quadratic (a 1 MB file took seconds, a 5 MB one never
finished), so large inputs are matched patience-style: the common head and tail are
trimmed, lines that occur once on each side anchor the match (their longest increasing
run, O(n log n)), and difflib only fills the gaps between anchors that are small enough;
a larger gap is reported as replaced. The diff is still exact (applying it gives the new
text); it may just not be the shortest.
"""

from __future__ import annotations

import bisect
import difflib
from typing import Callable, Iterator, Sequence

DIFFLIB_MAX_LINES = 5_000
# a gap between anchors is handed to difflib only when it costs at most this many comparisons
_GAP_CELLS = 40_000

Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[str], b: Sequence[str], autojunk: bool = False) -> list[Opcode]:
    """difflib-style opcodes turning `a` into `b`, in time about linear in their length.

    autojunk is difflib's (used up to DIFFLIB_MAX_LINES lines).
    """
    if max(len(a), len(b)) <= DIFFLIB_MAX_LINES:
        return difflib.SequenceMatcher(None, a, b, autojunk=autojunk).get_opcodes()
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    codes: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    codes += _anchored(a, b, head, len(a) - tail, head, len(b) - tail)
    if tail:
        codes.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return _merged(codes)


def _anchored(a: Sequence[str], b: Sequence[str], a0: int, a1: int, b0: int, b1: int) -> list[Opcode]:
    counts: dict[str, list[int]] = {}
    for i in range(a0, a1):
        counts.setdefault(a[i], [0, 0, i])[0] += 1
    positions: dict[str, int] = {}
    for j in range(b0, b1):
        entry = counts.get(b[j])
        if entry is not None:
            entry[1] += 1
            positions[b[j]] = j
    pairs = sorted((entry[2], positions[line]) for line, entry in counts.items() if entry[0] == 1 and entry[1] == 1)
    anchors = _longest_increasing(pairs)
    codes: list[Opcode] = []
    i, j = a0, b0
    for ai, bj in anchors + [(a1, b1)]:
        codes += _gap(a, b, i, ai, j, bj)
        if ai < a1:
            codes.append(("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    return codes


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of pairs increasing in both coordinates (patience sorting)."""
    tops: list[int] = []            # smallest last b-position of a run of each length
    top_index: list[int] = []
    back: list[int] = []
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tops, j)
        back.append(top_index[k - 1] if k else -1)
        if k == len(tops):
            tops.append(j)
            top_index.append(index)
        else:
            tops[k], top_index[k] = j, index
    run, index = [], top_index[-1] if top_index else -1
    while index >= 0:
        run.append(pairs[index])
        index = back[index]
    return run[::-1]


def _gap(a: Sequence[str], b: Sequence[str], i1: int, i2: int, j1: int, j2: int) -> list[Opcode]:
    if i1 == i2 and j1 == j2:
        return []
    if (i2 - i1) * (j2 - j1) <= _GAP_CELLS:
        matcher = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False)
        return [(tag, x1 + i1, x2 + i1, y1 + j1, y2 + j1) for tag, x1, x2, y1, y2 in matcher.get_opcodes()]
    tag = "replace" if i1 < i2 and j1 < j2 else "delete" if i1 < i2 else "insert"
    return [(tag, i1, i2, j1, j2)]


def _merged(codes: list[Opcode]) -> list[Opcode]:
    out: list[Opcode] = []
    for code in codes:
        if out and out[-1][0] == code[0] == "equal":
            out[-1] = ("equal", out[-1][1], code[2], out[-1][3], code[4])
        else:
            out.append(code)
    return out


class _Given(difflib.SequenceMatcher):
    """difflib's hunk grouping (get_grouped_opcodes) over opcodes computed elsewhere."""

    def __init__(self, codes: list[Opcode]):
        super().__init__(None, "", "")
        self._codes = codes

    def get_opcodes(self) -> list[Opcode]:
        return list(self._codes)  # get_grouped_opcodes edits the list it gets


def grouped_opcodes(codes: list[Opcode], context: int = 3) -> Iterator[list[Opcode]]:
    """Hunks with `context` lines around each change."""
    return _Given(codes).get_grouped_opcodes(context)


def _range(start: int, stop: int) -> str:
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    return f"{beginning - 1 if not length else beginning},{length}"


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff of two texts (a/ b/ prefixes, like git)."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out: list[str] = []
    for group in grouped_opcodes(opcodes(a, b, autojunk=True)):  # difflib.unified_diff's default
        if not out:
            out += [f"--- a/{path.lstrip('/')}\n", f"+++ b/{path.lstrip('/')}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                out += ["-" + line for line in a[i1:i2]]
            if tag in ("replace", "insert"):
                out += ["+" + line for line in b[j1:j2]]
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


def line_mapper(seen: str, original: str) -> Callable[[int], int]:
    """Map a line number of `seen` to the matching line of `original`.

    A line of a changed region maps to the line of `original`'s side of that region it came
    from (the same text but for indentation, else the most alike, e.g. a statement a rule
    dedented out of a `with` and gave an argument), and only when none is alike to where the
    region starts: a message about a statement must not point at the `with` line the diff deletes.
    """
    seen_lines, original_lines = seen.splitlines(), original.splitlines()
    codes = opcodes(seen_lines, original_lines)

    def map_line(line: int) -> int:
        index = line - 1
        for tag, i1, i2, j1, j2 in codes:
            if i1 <= index < i2:
                if tag == "equal":
                    return j1 + (index - i1) + 1
                return _origin(seen_lines[index], original_lines, j1, j2) + 1
        return line

    return map_line


# how alike (difflib ratio, stripped lines) a changed line must be to the one it is taken to come from
_ALIKE = 0.6


def _origin(line: str, original: Sequence[str], start: int, end: int) -> int:
    """Index in original[start:end] of the line `line` most likely came from (`start` if none)."""
    text = line.strip()
    if not text or start >= end:
        return start
    best, best_ratio = start, _ALIKE
    for index in range(start, end):
        other = original[index].strip()
        if other == text:
            return index
        ratio = difflib.SequenceMatcher(None, text, other).ratio() if other else 0.0
        if ratio > best_ratio:
            best, best_ratio = index, ratio
    return best
