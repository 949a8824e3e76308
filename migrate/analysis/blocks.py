"""Statement-level edits that keep a block valid and its comments where a reader expects them.

Rules that remove statements (a graph capture, a `set_session` call) or splice a `with` body
into its parent all need the same care: a block never ends up empty (`pass`), blank lines
that separated sections survive, comments of an unwrapped `with` stay with its body, and a
comment written right above a removed statement leaves with it (it described that line).
`BlockEditor` owns that once; a rule overrides `edit_statement`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst


def _is_blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


def detached_lines(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """Leading lines of a removed statement that were not about it: all but the comment
    block written directly above it, unless that block is commented-out code (the user's
    own, e.g. `#loss = model.evaluate(x, y)`, not a description of the removed line)."""
    kept = list(lines)
    while kept and not _is_blank(kept[-1]):
        kept.pop()
    attached = lines[len(kept):]
    if attached and all(_is_commented_out_code(line.comment.value) for line in attached):
        return list(lines)
    return kept


def _is_commented_out_code(comment: str) -> bool:
    """`# x = f(y)` and the like: a comment that compiles as a statement with code punctuation
    (`# Necessary` compiles too, as a name, but is prose)."""
    text = comment.lstrip("#").strip()
    if not text or not any(mark in text for mark in "=(.["):
        return False
    try:
        compile(text, "<comment>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def with_leading(stmt: cst.BaseStatement, lines: Sequence[cst.EmptyLine]) -> cst.BaseStatement:
    """`stmt` with `lines` put before its own leading lines."""
    if not lines:
        return stmt
    return stmt.with_changes(leading_lines=(*lines, *stmt.leading_lines))


def handed_over(pending: Sequence[cst.EmptyLine], first: cst.BaseStatement) -> cst.BaseStatement:
    """`first` after a removed statement whose detached lines are `pending`: comments always
    move down to it, blank lines only when it does not start with one already."""
    if pending and any(line.comment is not None for line in pending):
        return with_leading(first, pending)
    if pending and not any(_is_blank(line) for line in first.leading_lines[:1]):
        return with_leading(first, pending)
    return first


def without_dropped(module: cst.Module, statements: Sequence[tuple[cst.BaseStatement, bool]]) -> cst.Module:
    """`module` with the body `statements` gives once those marked dropped are taken out, each
    dropped statement's detached lines handed on as BlockEditor does (to the next statement;
    comments left over at the end go to the footer)."""
    body: list[cst.BaseStatement] = []
    pending: list[cst.EmptyLine] = []
    # the whole leading lines of the first dropped statement of a run, while no later one of
    # the run starts a new group (a blank line): a comment block above a group of import
    # lines (a section's banner) is about the group, and stays when the next import is kept
    group: list[cst.EmptyLine] | None = None
    for statement, dropped in statements:
        if dropped:
            if not pending and group is None:
                group = list(statement.leading_lines)
            elif any(_is_blank(line) for line in statement.leading_lines):
                group = []
            pending = pending or detached_lines(statement.leading_lines)
            continue
        if group and is_import_line(statement) and not any(_is_blank(line) for line in statement.leading_lines):
            pending = group
        body.append(handed_over(pending, statement))
        pending, group = [], None
    return module.with_changes(body=body, footer=_footer(pending, module.footer))


def _footer(pending: Sequence[cst.EmptyLine], footer: Sequence[cst.EmptyLine]) -> Sequence[cst.EmptyLine]:
    """A block's footer after its last statements went: their detached comments stay, above it."""
    return [*pending, *footer] if any(line.comment for line in pending) else footer


def keep_lines_of_removed_imports(before: cst.Module, after: cst.Module) -> cst.Module:
    """`after` (= `before` less some top-level import lines, others with fewer names: what an
    import removal makes) with each removed line's blank lines handed to the next statement,
    as BlockEditor does: libcst's removal drops them with the line, joining import groups."""
    old, new = before.body, after.body
    if len(old) == len(new):
        return after
    statements: list[tuple[cst.BaseStatement, bool]] = []  # after's statements, and before's removed ones
    k = 0
    for stmt in old:
        if k < len(new) and (not _import_names(stmt) or _import_names(new[k]) and _import_names(new[k]) <= _import_names(stmt)):
            statements.append((new[k], False))
            k += 1
        else:
            statements.append((stmt, True))
    if k != len(new):  # not a removal of import lines: leave it as it is
        return after
    return without_dropped(after, statements)


def is_import_line(statement: cst.BaseStatement) -> bool:
    """A line holding one `import` or `from ... import` and nothing else."""
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], (cst.Import, cst.ImportFrom)))


def _import_names(stmt: cst.BaseStatement) -> frozenset:
    """(module, name, alias) of each name an import-only line binds; empty for any other statement."""
    if not is_import_line(stmt):
        return frozenset()
    small = stmt.body[0]
    if isinstance(small, cst.Import):
        return frozenset((None, a.evaluated_name, a.evaluated_alias) for a in small.names)
    if not isinstance(small.names, cst.ImportStar):
        module = ("." * len(small.relative)) + (cst.Module(body=[]).code_for_node(small.module) if small.module else "")
        return frozenset((module, a.evaluated_name, a.evaluated_alias) for a in small.names)
    return frozenset()


@dataclass
class Spliced:
    """Statements standing in for one statement, and comment lines that follow them."""

    statements: list[cst.BaseStatement]
    trailing_lines: list[cst.EmptyLine] = field(default_factory=list)


class BlockEditor(cst.CSTTransformer):
    """Transformer base: `edit_statement` may replace any statement of any block by a list.

    Return None to keep the (updated) statement, [] to remove it, or a list of statements.
    Statements returned keep their own leading lines; a removed statement hands its blank
    lines (not its comment) to the next statement. An editor that removes machinery (not one
    that moves statements elsewhere) sets DROPS_EXPLAINING_PRINTS: a print right after a removed
    call that only said the call ran goes with it (`reports_on`).
    """

    DROPS_EXPLAINING_PRINTS = False

    def edit_statement(
        self, original: cst.BaseStatement, updated: cst.BaseStatement
    ) -> list[cst.BaseStatement] | Spliced | None:
        """Replacement for `updated` (None: keep it)."""
        return None

    def _edit_body(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine], bool]:
        out: list[cst.BaseStatement] = []
        pending: list[cst.EmptyLine] = []
        changed = False
        removed_words: frozenset[str] = frozenset()  # what the statement just removed called or bound
        for orig, upd in zip(original, updated):
            replacement = self.edit_statement(orig, upd)
            trailing: list[cst.EmptyLine] = []
            explaining = (replacement is None and bool(removed_words) and self.DROPS_EXPLAINING_PRINTS
                          and reports_on(upd, removed_words))
            if explaining:
                replacement = []  # a print saying the removed call ran: it explained removed machinery
            if replacement is None:
                replacement = [upd]
            else:
                changed = True
            # only the line right after a removed call: a removed print explains nothing further down
            removed_words = _words_of(upd) if not replacement and not explaining else frozenset()
            if isinstance(replacement, Spliced):
                replacement, trailing = replacement.statements, replacement.trailing_lines
            if not replacement:
                if not pending:
                    pending = detached_lines(upd.leading_lines)
                continue
            first = handed_over(pending, replacement[0])
            pending = list(trailing)
            out.append(first)
            out.extend(replacement[1:])
        return out, pending, changed

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if len(original_node.body) != len(updated_node.body):
            return updated_node
        body, pending, changed = self._edit_body(original_node.body, updated_node.body)
        if not changed:
            return updated_node
        if not body:
            body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return updated_node.with_changes(body=body, footer=_footer(pending, updated_node.footer))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if len(original_node.body) != len(updated_node.body):
            return updated_node
        body, pending, changed = self._edit_body(original_node.body, updated_node.body)
        if not changed:
            return updated_node
        return updated_node.with_changes(body=body, footer=_footer(pending, updated_node.footer))


# where a line saying that a call ran goes: print() and the logging calls
_REPORTERS = frozenset({"print", "debug", "info", "warning", "warn", "error", "critical", "log"})


def _words_of(statement: cst.BaseStatement) -> frozenset[str]:
    """The names a removed statement called and bound (`sess = tf.Session()` → Session, sess),
    lower-cased; empty for a statement without a call (an import, a `global`)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return frozenset()
    words: set[str] = set()
    called = False

    class _Names(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal called
            called = True
            func = node.func
            name = func.attr if isinstance(func, cst.Attribute) else func
            if isinstance(name, cst.Name):
                words.add(name.value.lower())

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name):
                words.add(node.target.value.lower())

    statement.visit(_Names())
    return frozenset(words) if called else frozenset()


def reports_on(statement: cst.BaseStatement, words: frozenset[str]) -> bool:
    """True for `print("set_session done")` / `logger.info("graph loaded")`: a line whose only
    argument is a string literal naming one of `words` (what the statement before it, now
    removed, called or bound: `Session`, `set_session`, `graph`); it only said that removed code
    ran. Words are not widened to "session"/"graph" in general: after earlier removals, an
    unrelated `print("graph ready")` can end up right after a removed `sess = tf.Session()`."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.Call)):
        return False
    call = statement.body[0].value
    func = call.func.attr if isinstance(call.func, cst.Attribute) else call.func
    if not isinstance(func, cst.Name) or func.value not in _REPORTERS:
        return False
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return False
    value = call.args[0].value
    text = value.evaluated_value if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)) else None
    if not isinstance(text, str):
        return False
    said = {word.lower() for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}
    return bool(said & words)


def drop_small_statements(
    line: cst.SimpleStatementLine, drop: set[int]
) -> list[cst.BaseStatement] | None:
    """`line` without the small statements whose id() is in `drop` (None: nothing dropped)."""
    kept = [s for s in line.body if id(s) not in drop]
    if len(kept) == len(line.body):
        return None
    if not kept:
        return []
    kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return [line.with_changes(body=kept)]


def unwrap_with(node: cst.With) -> "Spliced":
    """The statements of a `with` body, to stand in its place.

    The `with` line's leading comments and its trailing comment move above the first
    statement; comments after the last statement of the body follow the spliced statements.
    """
    body = node.body
    header_lines: list[cst.EmptyLine] = list(node.leading_lines)
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
        smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        comment = body.trailing_whitespace.comment
        stmt = cst.SimpleStatementLine(
            body=smalls,
            trailing_whitespace=cst.TrailingWhitespace(
                whitespace=cst.SimpleWhitespace("  " if comment else ""), comment=comment
            ),
        )
        return Spliced([with_leading(stmt, header_lines)])
    header_comment = body.header.comment
    if header_comment is not None:
        header_lines.append(cst.EmptyLine(comment=header_comment))
    statements = list(body.body)
    statements[0] = with_leading(statements[0], header_lines)
    trailing = list(body.footer) if any(line.comment is not None for line in body.footer) else []
    return Spliced(statements, trailing)
