"""The text engine: text in, text out, no I/O.

parse → rules (in ORDER, each fed the tree the previous one produced) → verify (the result
must compile) → code. Nothing here raises for a bad input: the outcome carries the error.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from migrate.diffs import line_mapper
from migrate.rules import all_rules
from migrate.rules.base import (CODE_KEY, MANUAL_KEY, OPTIONS_KEY, ORIGINAL_KEY, STOP_KEY, ManualItem, Options, Rule,
                                module_code)

# A file that mentions neither cannot use TF or Keras: skipped without parsing.
TF_OR_KERAS = re.compile(rb"keras|tensorflow")
_TF_OR_KERAS_TEXT = re.compile(r"keras|tensorflow")


@dataclass(frozen=True)
class Config:
    """Which rules run and with what options (picklable)."""

    options: Options = Options()
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()

    def rules(self) -> tuple[type[Rule], ...]:
        """The rules this run applies, in ORDER."""
        chosen = all_rules()
        if self.select:
            chosen = tuple(r for r in chosen if r.NAME in self.select)
        return tuple(r for r in chosen if r.NAME not in self.ignore)

    def unsafe_allowed(self, rule: type[Rule]) -> bool:
        """Unsafe rules apply only with --unsafe-fixes or when named in --select."""
        return rule.SAFE or self.options.unsafe_fixes or rule.NAME in self.select


@dataclass
class SourceOutcome:
    """Result of migrating one text."""

    code: str
    rules: list[str] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def changed(self, original: str) -> bool:
        """True when the output differs from `original`."""
        return self.code != original


class MigrationError(Exception):
    """A file could not be processed; the message says why, for the user."""


def migrate_source(
    code: str,
    config: Config = Config(),
    filename: str | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> SourceOutcome:
    """Run the rules over `code` and return the new text (never raises for bad input).

    Text that mentions neither keras nor tensorflow comes back unchanged, unparsed.
    """
    if not _TF_OR_KERAS_TEXT.search(code):
        return SourceOutcome(code=code)
    beyond = _beyond_parser_limits(code, filename)
    if beyond:
        return SourceOutcome(code=code, error=beyond)
    outcome = apply_rules(code, config, filename, rules)
    if outcome.error and "produced code that does not compile" in outcome.error:
        exc = _syntax_error(code, filename)
        if exc is not None:  # not the rule's fault
            outcome.error = f"the input does not compile ({exc.msg}, line {exc.lineno}); left untouched"
    elif outcome.error and "crashed: MemoryError" in outcome.error:
        outcome.error = "ran out of memory on this file; left untouched"
    elif outcome.error and "crashed: RecursionError" in outcome.error:
        outcome.error = (f"nested too deeply for migrate's rules (they handle about {RULES_MAX_NESTING} levels of "
                         f"nested expressions); left untouched")
    return outcome


# Measured on CPython 3.11 with the default recursion limit (1000): the rules walk about 480
# levels of nested expressions (`1 + 1 + ...`, `-(-(...))`, `a.b.c...`); CPython's own parser
# stops at 200 nested brackets and about 3,000 nested expressions, with a clean error.
RULES_MAX_NESTING = 480


def _beyond_parser_limits(code: str, filename: str | None) -> str | None:
    """Why `code` must not reach libcst's native parser, or None.

    That parser overflows its stack (killing the process) on nesting CPython rejects cleanly:
    CPython's parser is the guard.
    """
    try:
        compile(code, filename or "<input>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError):
        return "nested too deeply: Python's own parser gives up (about 3,000 nested expressions); left untouched"
    except SyntaxError as exc:
        if "too many nested" in (exc.msg or "") or "too complex" in (exc.msg or ""):
            return f"nested too deeply: {exc.msg} (line {exc.lineno}; Python allows 200 nested brackets); left untouched"
    except ValueError:
        pass  # NUL bytes and the like: the parser reports them
    return None


def apply_rules(
    code: str,
    config: Config = Config(),
    filename: str | None = None,
    rules: Sequence[type[Rule]] | None = None,
    ignore_triggers: bool = False,
) -> SourceOutcome:
    """Parse `code` and run the triggered rules in ORDER; the result must compile (else the first
    rule whose output did not is named and the file is left untouched).

    ignore_triggers runs every rule whatever the text contains (property tests use it to
    put every visitor in front of arbitrary syntax).
    """
    outcome = SourceOutcome(code=code)
    rules = config.rules() if rules is None else rules
    if not ignore_triggers and not any(r.triggered_by(code) or not r.TRIGGERS for r in rules):
        return outcome
    try:
        module = cst.parse_module(code)
    except (cst.ParserSyntaxError, SyntaxError, ValueError) as exc:
        outcome.error = _parse_failure(code, exc)
        return outcome
    context = CodemodContext(filename=filename, scratch={ORIGINAL_KEY: code})
    # libcst round-trips every file but a few whitespace oddities (a last line of only
    # spaces): compare rule output with the round-trip, so such a file is not "changed"
    baseline: str | None = None  # codegen costs a pass: only when a rule changed something
    current = code
    applied: list[tuple[str, str]] = []  # (rule, the code it produced), compiled once at the end
    for rule in rules:
        if rule.TRIGGERS and not ignore_triggers and not rule.triggered_by(current):
            continue
        allowed = config.unsafe_allowed(rule)
        context.scratch[OPTIONS_KEY] = replace(config.options, unsafe_fixes=allowed)
        context.scratch.pop(AddImportsVisitor.CONTEXT_KEY, None)
        context.scratch.pop(RemoveImportsVisitor.CONTEXT_KEY, None)
        try:
            new_module = rule(context).transform_module(module)
            # a rule that changed nothing hands back the very tree it got: no codegen needed
            new_code = current if new_module is module else module_code(new_module, context.scratch)
        except SkipFile as exc:
            outcome.warnings.append(f"{rule.NAME}: skipped: {exc}")
            continue
        except Exception as exc:  # a rule bug fails this file, never the run
            # an earlier rule's broken output may be what this one tripped over
            outcome.error = _first_broken(applied, filename) or \
                f"rule {rule.NAME} crashed: {type(exc).__name__}: {exc}; file left untouched"
            return outcome
        stop = context.scratch.get(STOP_KEY)
        if new_code != current and current is code:
            baseline = baseline if baseline is not None else module_code(module, context.scratch)
            if new_code == baseline:
                new_code = current  # only libcst's round-trip differs: not a change
        if new_code == current:
            if stop:
                outcome.warnings.append(stop)
                break
            continue
        if not allowed:
            outcome.manual.append(
                ManualItem(rule.NAME, line_mapper(current, code)(_first_changed_line(current, new_code)), 0,
                           f"unsafe fix available ({rule.DESCRIPTION}); "
                           f"apply with --unsafe-fixes or --select {rule.NAME}")
            )
            continue
        applied.append((rule.NAME, new_code))
        outcome.rules.append(rule.NAME)
        module, current = new_module, new_code
        context.scratch[CODE_KEY] = (module, current)
        if stop:
            outcome.warnings.append(stop)
            break
    context.scratch.pop(AddImportsVisitor.CONTEXT_KEY, None)
    context.scratch.pop(RemoveImportsVisitor.CONTEXT_KEY, None)
    # the result must compile; when it does not, the first rule whose output did not is named
    if applied and _syntax_error(current, filename) is not None:
        outcome.error = _first_broken(applied, filename)
        return outcome
    outcome.code = current
    seen: set[tuple[int, int]] = set()
    for item in _map_manual_items(code, context.scratch.get(MANUAL_KEY, [])):
        # two rules noticing the same site: the first (lowest ORDER) says it
        if (item.line, item.column) not in seen:
            seen.add((item.line, item.column))
            outcome.manual.append(item)
    outcome.manual.sort(key=lambda m: (m.line, m.column, m.rule))
    outcome.warnings.extend(context.warnings)
    return outcome


def _syntax_error(code: str, filename: str | None) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the user's own code are not ours to print
            compile(code, filename or "<migrated>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc
    return None


def _first_broken(applied: list[tuple[str, str]], filename: str | None) -> str | None:
    """The error for the first rule whose output does not compile, or None if all do."""
    for name, produced in applied:
        exc = _syntax_error(produced, filename)
        if exc is not None:
            return f"rule {name} produced code that does not compile ({exc.msg}, line {exc.lineno}); file left untouched"
    return None


def _parse_failure(code: str, exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    cpython = _syntax_error(code, None)
    if cpython is not None and cpython.lineno:
        # CPython's message points at the real line (libcst says "@ 1:1" for a tab/space mix)
        first = f"{cpython.msg} (line {cpython.lineno})"
    if re.search(r"^\s*print\s+[^\s(=.,)]", code, re.M) or re.search(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:", code, re.M) \
            or re.search(r"^\s*exec\s+['\"]", code, re.M):
        return f"Python 2 source, cannot parse as Python 3 ({first}); port it first (e.g. 2to3)"
    return f"cannot parse: {first}"


def _first_changed_line(old: str, new: str) -> int:
    for number, (a, b) in enumerate(zip(old.splitlines(), new.splitlines()), 1):
        if a != b:
            return number
    return min(len(old.splitlines()), len(new.splitlines())) + 1


def _map_manual_items(original: str, raw_items: Iterable) -> list[ManualItem]:
    """Map lines of the code each rule saw back to lines of the input file."""
    mapped: list[ManualItem] = []
    line_maps: dict[int, Callable[[int], int]] = {}
    for item in raw_items:
        key = id(item.tree)
        if key not in line_maps:
            seen = item.tree.code
            line_maps[key] = (lambda n: n) if seen == original else line_mapper(seen, original)
        mapped.append(ManualItem(item.rule, line_maps[key](item.line), item.column, item.message))
    return mapped
