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
from dataclasses import dataclass
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
    found = _counterpart(line.strip(), original, start, end)
    return start if found is None else found


@dataclass(frozen=True)
class Placed:
    """Where a line of the old text is in the new one (line_placer)."""

    line: int      # 1-based line of the new text
    removed: bool  # the old line is not in the new text: `line` is the nearest one that survived
    indent: int    # how much deeper (negative: shallower) the same text sits now; 0 unless unchanged


def line_placer(old: str, new: str) -> Callable[[int], Placed]:
    """Map a 1-based line of `old` to its place in `new`, for a reader of the new text.

    A line of an unchanged run keeps its text; a line of a changed region is the line of
    `new`'s side of that region with the same text but for indentation, else the most alike
    (a statement given an argument), else the same text moved elsewhere (a line that leaves
    one place and arrives at one other), else, when the region is that line alone, the one
    line it became. A line with none of these was removed: it is placed
    at the nearest (non-blank) line that survived, counted in lines of `old`; of two as near,
    the next one when it is still in the same block (at least as indented: the body of an
    unwrapped `with`, the statement after a removed call), else the one before (a removed
    last statement of a function). The regions are those of the unified diff of the two texts.
    """
    old_lines, new_lines = old.splitlines(), new.splitlines()
    regions = opcodes(old_lines, new_lines, autojunk=True)
    starts = [i1 for _, i1, _, _, _ in regions]
    left: dict[str, int] = {}     # stripped text → how many changed old lines hold it
    arrived: dict[str, list[int]] = {}  # stripped text → the changed new lines holding it
    for tag, i1, i2, j1, j2 in regions:
        if tag != "equal":
            for i in range(i1, i2):
                left[old_lines[i].strip()] = left.get(old_lines[i].strip(), 0) + 1
            for j in range(j1, j2):
                arrived.setdefault(new_lines[j].strip(), []).append(j)
    known: dict[int, int | None] = {}

    def found(i: int) -> int | None:
        if i not in known:
            tag, i1, i2, j1, j2 = regions[bisect.bisect_right(starts, i) - 1]
            if tag == "equal":
                known[i] = j1 + i - i1
            else:
                text = old_lines[i].strip()
                j = _counterpart(text, new_lines, j1, j2)
                if j is None and text and left.get(text) == 1 and len(arrived.get(text, ())) == 1:
                    j = arrived[text][0]  # moved
                if j is None and text and i2 - i1 == j2 - j1 == 1 and new_lines[j1].strip():
                    j = j1  # one line rewritten as another
                known[i] = j
        return known[i]

    def place(line: int) -> Placed:
        index = line - 1
        if index < 0:
            return Placed(line, False, 0)
        if index >= len(old_lines):  # past the end (a position after the last line)
            return Placed(max(len(new_lines) + index - len(old_lines) + 1, 1), False, 0)
        j = found(index)
        if j is not None:
            same = old_lines[index].strip() == new_lines[j].strip()
            return Placed(j + 1, False, _indent(new_lines[j]) - _indent(old_lines[index]) if same else 0)
        after = next((i for i in range(index + 1, len(old_lines)) if old_lines[i].strip() and found(i) is not None),
                     None)
        before = next((i for i in range(index - 1, -1, -1) if old_lines[i].strip() and found(i) is not None), None)
        if after is not None and (before is None or after - index < index - before or (
                after - index == index - before and _indent(old_lines[after]) >= _indent(old_lines[index]))):
            return Placed(found(after) + 1, True, 0)
        return Placed(found(before) + 1 if before is not None else 1, True, 0)

    return place


def _counterpart(text: str, new: Sequence[str], start: int, end: int) -> int | None:
    """Index in new[start:end] of the line whose stripped text is `text` or most alike it, or None."""
    if not text:
        return None
    best, best_ratio = None, _ALIKE
    for index in range(start, end):
        other = new[index].strip()
        if other == text:
            return index
        if not other:
            continue
        matcher = difflib.SequenceMatcher(None, text, other)
        if matcher.real_quick_ratio() > best_ratio and matcher.quick_ratio() > best_ratio and matcher.ratio() > best_ratio:
            best, best_ratio = index, matcher.ratio()
    return best


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
