"""Jupyter notebooks: migrate the code cells, leave every other byte of the JSON as it was.

The code cells are migrated together, as one module (a graph captured in one cell is used
in another), separated by marker statements no rule touches. IPython magics and shell
escapes are hidden behind placeholder calls while the rules run. Only the `source` values of the
cells that changed are rewritten in the file text, in the notebook's own layout, so a
notebook's diff in git shows exactly the code changes.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from migrate.diffs import unified_diff
from migrate.engine import Config, MigrationError, SourceOutcome, migrate_source
from migrate.rules.base import ManualItem, render_line_refs

_MARK = "_MIGRATE_CELL_MARK_"
_MARK_LINE = re.compile(rf"^{_MARK}\((\d+)\)\n?", re.M)
# %magic, !shell, ?help, obj? -- but not `!=` continuing an expression from the line above
_MAGIC = re.compile(r"^(\s*)((?:%|!(?!=)|\?).*|.*\?)$")
# a statement, not a comment: a comment rides along with a statement a rule removes
_MAGIC_CALL = "_MIGRATE_MAGIC_"
_MAGIC_BACK = re.compile(rf"^(\s*){_MAGIC_CALL}\((.*)\)$", re.M)


@dataclass
class _Cell:
    index: int          # position in nb["cells"]
    start: int          # span of the "source" value in the file text
    end: int
    source: str         # the joined source text


class NotebookError(Exception):
    """The file is not a notebook we can edit safely."""


def migrate_notebook(data: bytes, config: Config, filename: str) -> tuple[bytes, SourceOutcome, str]:
    """Return (new notebook bytes, SourceOutcome, per-cell diff text) for an .ipynb file."""
    try:
        text = data.decode("utf-8")
        notebook = json.loads(text)
        cells = _code_cells(text, notebook)
    except (UnicodeDecodeError, ValueError, NotebookError) as exc:
        raise MigrationError(f"not a readable notebook: {exc}; left untouched") from None
    if not cells:
        return data, SourceOutcome(code=""), ""
    hidden = [_hide_magics(c.source) for c in cells]
    joined = "".join(f"{_MARK}({i})\n{src}{'' if src.endswith(chr(10)) or not src else chr(10)}" for i, src in enumerate(hidden))
    outcome = migrate_source(joined, config, filename)
    if outcome.error:
        raise MigrationError(f"notebook code cells: {outcome.error}")
    new_sources = _split(outcome.code, hidden) if outcome.code != joined else hidden
    if new_sources is None:
        raise MigrationError("notebook cells could not be told apart after migration; left untouched")
    outcome.manual = _cell_items(joined, outcome.code, outcome.manual)
    pieces, last, diffs = [], 0, []
    for cell, old_hidden, new_hidden in zip(cells, hidden, new_sources):
        if new_hidden == old_hidden:
            continue
        new_source = _show_magics(new_hidden)
        if not cell.source.endswith("\n") and new_source.endswith("\n"):
            new_source = new_source[:-1]
        pieces.append(text[last:cell.start])
        pieces.append(_encode_source(text[cell.start:cell.end], new_source))
        last = cell.end
        diffs.append(unified_diff(cell.source, new_source, f"{filename}:cell_{cell.index}"))
    pieces.append(text[last:])
    new_text = "".join(pieces)
    outcome.code = new_text
    return new_text.encode("utf-8"), outcome, "".join(diffs)


def _code_cells(text: str, notebook) -> list[_Cell]:
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError("no cells list (nbformat 4 expected)")
    spans = _source_spans(text)
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if source.lstrip().startswith("%%"):
            continue  # a cell magic: the body is not Python
        if index not in spans:
            raise NotebookError(f"cell {index} has no source")
        cells.append(_Cell(index, *spans[index], source))
    return cells


def _source_spans(text: str) -> dict[int, tuple[int, int]]:
    """Character spans of each cell's "source" value in the JSON text."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")

    def skip(pos: int) -> int:
        return ws.match(text, pos).end()

    def object_members(pos: int):
        # yields (key, value_start, value_end) for the object starting at text[pos] == "{"
        pos = skip(pos + 1)
        if text[pos] == "}":
            return
        while True:
            key, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            assert text[pos] == ":"
            start = skip(pos + 1)
            _, end = decoder.raw_decode(text, start)
            yield key, start, end
            pos = skip(end)
            if text[pos] == "}":
                return
            pos = skip(pos + 1)

    spans: dict[int, tuple[int, int]] = {}
    for key, start, end in object_members(skip(0)):
        if key != "cells":
            continue
        pos, index = skip(start + 1), 0
        while text[pos] != "]":
            _, cell_end = decoder.raw_decode(text, pos)
            for cell_key, value_start, value_end in object_members(pos):
                if cell_key == "source":
                    spans[index] = (value_start, value_end)
            index += 1
            pos = skip(cell_end)
            if text[pos] == ",":
                pos = skip(pos + 1)
    return spans


def _encode_source(old_json: str, source: str) -> str:
    """JSON for `source` laid out like the value it replaces (list of lines or one string)."""
    ascii_only = "\\u" in old_json and not any(ord(c) > 127 for c in old_json)
    if not old_json.lstrip().startswith("["):
        return json.dumps(source, ensure_ascii=ascii_only)
    lines = source.splitlines(keepends=True)
    if not lines:
        return "[]"
    items = [json.dumps(line, ensure_ascii=ascii_only) for line in lines]
    match = re.match(r"\[(\s*)", old_json)
    inner = match.group(1) if match else ""
    closing = re.search(r"(\s*)\]$", old_json)
    outer = closing.group(1) if closing else ""
    if "\n" not in inner:
        return "[" + ", ".join(items) + "]"
    return "[" + inner + ("," + inner).join(items) + outer + "]"


def _hide_magics(source: str) -> str:
    lines = []
    for line in source.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = _MAGIC.match(body)
        if match and not body.lstrip().startswith("#"):
            ending = line[len(body):]
            lines.append(f"{match.group(1)}{_MAGIC_CALL}({match.group(2)!r}){ending}")
        else:
            lines.append(line)
    return "".join(lines)


def _show_magics(source: str) -> str:
    return _MAGIC_BACK.sub(lambda mk: mk.group(1) + ast.literal_eval(mk.group(2)), source)


def _split(code: str, hidden: list[str]) -> list[str] | None:
    marks = list(_MARK_LINE.finditer(code))
    if [int(mk.group(1)) for mk in marks] != list(range(len(hidden))):
        return None
    out = []
    for position, mark in enumerate(marks):
        end = marks[position + 1].start() if position + 1 < len(marks) else len(code)
        piece = code[mark.end():end]
        original = hidden[position]
        if original and not original.endswith("\n") and piece.endswith("\n"):
            piece = piece[:-1]
        out.append(piece)
    return out


def _cell_items(joined: str, new_joined: str, items: list[ManualItem]) -> list[ManualItem]:
    """Manual items with lines relative to their cell, the cell named in the message: `line`
    in the migrated cell, `original_line` in the cell as it was."""
    old_starts, new_starts = _cell_starts(joined), _cell_starts(new_joined)
    out = []
    for item in items:
        first, cell = max(((s, c) for s, c in new_starts if s <= item.line), default=(1, 0))
        original = item.line if item.original_line is None else item.original_line
        old_first = max((s for s, c in old_starts if s <= original), default=1)

        def in_cell(line: int, cell: int = cell) -> str:  # a line the message names, in its own cell
            start, its_cell = max(((s, c) for s, c in new_starts if s <= line), default=(1, 0))
            return f"{line - start + 1}" + ("" if its_cell == cell else f" of code cell {its_cell + 1}")

        message = item.message if item.template is None else render_line_refs(item.template, in_cell)
        out.append(ManualItem(item.rule, item.line - first + 1, item.column, f"[code cell {cell + 1}] {message}",
                              original_line=original - old_first + 1))
    return out


def _cell_starts(joined: str) -> list[tuple[int, int]]:
    """(first line, cell number) of each cell of a joined text."""
    return [(joined.count("\n", 0, mk.start()) + 2, int(mk.group(1))) for mk in _MARK_LINE.finditer(joined)]
