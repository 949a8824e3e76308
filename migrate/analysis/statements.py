"""Facts collected per top-level statement, reused for every later tree of the same file.

Rules rebuild only what they change (analysis.walk.transform): a statement a rule did not
touch is the very same object in the next tree. An analysis that walks the module one
top-level statement at a time (each statement's facts independent of the others') keeps
each statement's facts here and, for the next tree, walks only the statements that are new.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import libcst as cst

T = TypeVar("T")


class StatementFacts:
    """id(statement) → (statement, its facts), per kind of fact, for the trees of one file."""

    def __init__(self) -> None:
        self._facts: dict[tuple[str, int], tuple[cst.CSTNode, object]] = {}

    def each(self, module: cst.Module, kind: str, collect: Callable[[cst.CSTNode], T]) -> list[T]:
        """`collect(statement)` for each top-level statement of `module`, in order, reusing
        what was collected for the same statement object before."""
        out: list[T] = []
        facts = self._facts
        for statement in module.body:
            known = facts.get((kind, id(statement)))
            if known is None or known[0] is not statement:  # (the statement is kept: its id stays its own)
                known = facts[(kind, id(statement))] = (statement, collect(statement))
            out.append(known[1])  # type: ignore[arg-type]
        return out


def each_statement(module: cst.Module, kind: str, collect: Callable[[cst.CSTNode], T],
                   facts: StatementFacts | None) -> list[T]:
    """`facts.each(...)`, or a fresh collection when there is nothing to reuse."""
    if facts is None:
        return [collect(statement) for statement in module.body]
    return facts.each(module, kind, collect)
