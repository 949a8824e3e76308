"""Runs the rules over one text: parse → rules in ORDER → compile check → manual items.

`run_rules(code, rules)` is the whole rule loop (no I/O, never raises for bad input). It
makes one `SourceFile` for the text, so the rules share its analyses, code cache and
manual items, and one instance of each triggered rule, with its options.

Neighbouring hook-only rules run in one traversal (`_SharedTraversal`): each node is
visited once and handed to every rule's hooks in ORDER. A rule whose hooks need the tree as
the previous rules left it (`SHARES_TRAVERSAL = False`), a rule that plans over the whole
file (it overrides `rewrite`), an unsafe rule that is not allowed, and a rule using libcst's
matcher decorators run alone. When a shared traversal cannot give what the rules would give
one after another (a rule stops the others, replaces a node by another kind of node, or
anything fails), its rules are run one after another instead.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from migrate.analysis.carriers import Imported
from migrate.analysis.cst_adapter import CodemodBase
from migrate.analysis.walk import transform
from migrate.diffs import line_mapper
from migrate.rules.base import ManualItem, Options, Rule, SourceFile


@dataclass
class SourceOutcome:
    """Result of migrating one text."""

    code: str
    rules: list[str] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    # (rule, the text after it) for each rule applied, in order: what hunks are attributed from;
    # rules that shared one traversal share one text
    steps: list[tuple[str, str]] = field(default_factory=list)

    def changed(self, original: str) -> bool:
        """True when the output differs from `original`."""
        return self.code != original


def run_rules(
    code: str,
    rules: Sequence[tuple[type[Rule], Options]],
    filename: str | None = None,
    ignore_triggers: bool = False,
    share_traversals: bool = True,
    imported: Imported | None = None,
) -> SourceOutcome:
    """Parse `code` and run the triggered rules in order, each with its options (a rule whose
    options do not allow unsafe fixes and that is not SAFE is only reported); the result
    must compile (else the first rule whose output did not is named and the file is left
    untouched).

    ignore_triggers runs every rule whatever the text contains (property tests use it to
    put every visitor in front of arbitrary syntax); share_traversals=False runs every rule
    on its own. `imported`: what other modules of the app hold (analysis.carriers.Imported).
    """
    outcome = SourceOutcome(code=code)
    if not ignore_triggers and not any(r.triggered_by(code) or not r.TRIGGERS or r.wanted_for(imported)
                                       for r, _ in rules):
        return outcome
    try:
        module = _parse(code)
    except (cst.ParserSyntaxError, SyntaxError, ValueError) as exc:
        outcome.error = _parse_failure(code, exc)
        return outcome
    loop = _Loop(code, module, filename, ignore_triggers, imported)
    pending = list(rules)
    while pending and not loop.stopped and loop.outcome.error is None:
        group = _next_group(pending, loop) if share_traversals else [pending.pop(0)]
        if len(group) > 1 and loop.shared(group):
            continue
        for rule, options in group:
            if loop.stopped or loop.outcome.error is not None:
                break
            loop.alone(rule, options)
    if loop.outcome.error is not None:
        return loop.outcome
    # the result must compile; when it does not, the first rule whose output did not is named
    if loop.applied and syntax_error(loop.current, filename) is not None:
        if loop.shared_used:  # (rules that shared a traversal have no output of their own)
            return run_rules(code, rules, filename, ignore_triggers, share_traversals=False, imported=imported)
        loop.outcome.error = _first_broken(code, loop.applied, filename)
        return loop.outcome
    return loop.finish()


@functools.lru_cache(maxsize=1)
def _parse(code: str) -> cst.Module:
    """`cst.parse_module(code)`, kept for the next run on the same text: the never-worse search
    (migrate.engine) reruns the rules on the same input, and libcst trees are immutable."""
    return cst.parse_module(code)


def _next_group(pending: list[tuple[type[Rule], Options]], loop: "_Loop") -> list[tuple[type[Rule], Options]]:
    """The next rule, or the run of triggered rules from here that can share one traversal."""
    rule, options = pending.pop(0)
    group = [(rule, options)]
    if not loop.triggered(rule) or not _can_share(rule, options):
        return group
    while pending:
        rule, options = pending[0]
        if not loop.triggered(rule):
            pending.pop(0)  # skipped one-by-one too: it does not break the run
            continue
        if not _can_share(rule, options):
            break
        group.append(pending.pop(0))
    return group


def _can_share(rule: type[Rule], options: Options) -> bool:
    # an unsafe fix that is not allowed is only reported: that needs its own output
    return (rule.SHARES_TRAVERSAL and options.unsafe_fixes and rule.rewrite is Rule.rewrite
            and _hook_table(rule) is not None)


class _Loop:
    """The state of one file's rule loop: the tree and text so far, what was applied."""

    def __init__(self, code: str, module: cst.Module, filename: str | None, ignore_triggers: bool,
                 imported: Imported | None = None) -> None:
        self.code = code
        self.module = module
        self.current = code
        self.filename = filename
        self.ignore_triggers = ignore_triggers
        self.outcome = SourceOutcome(code=code)
        self.file = SourceFile(original=code, imported=imported)
        self.file.original_tree = module
        self.context = CodemodContext(filename=filename)
        # libcst round-trips every file but a few whitespace oddities (a last line of only
        # spaces): compare rule output with the round-trip, so such a file is not "changed"
        self.baseline: str | None = None  # codegen costs a pass: only when a rule changed something
        self.applied: list[tuple[str, str]] = []  # (rule, the code it produced), compiled once at the end
        self.stopped = False
        self.shared_used = False

    def triggered(self, rule: type[Rule]) -> bool:
        return (not rule.TRIGGERS or self.ignore_triggers or rule.triggered_by(self.current)
                or rule.wanted_for(self.file.imported))

    def _run(self, command, names: str) -> tuple[cst.Module, str] | None:
        """(new tree, its text) from one command, None when it skipped the file or failed."""
        self.context.scratch.pop(AddImportsVisitor.CONTEXT_KEY, None)
        self.context.scratch.pop(RemoveImportsVisitor.CONTEXT_KEY, None)
        try:
            new_module = command.transform_module(self.module)
            # a rule that changed nothing hands back the very tree it got: no codegen needed
            new_code = self.current if new_module is self.module else self.file.code_of(new_module)
        except SkipFile as exc:
            self.outcome.warnings.append(f"{names}: skipped: {exc}")
            return None
        except Exception as exc:  # a rule bug fails this file, never the run
            # an earlier rule's broken output may be what this one tripped over
            self.outcome.error = _first_broken(self.code, self.applied, self.filename) or _crash(names, exc)
            return None
        if new_code != self.current and self.current is self.code:
            self.baseline = self.baseline if self.baseline is not None else self.file.code_of(self.module)
            if new_code == self.baseline:
                new_code = self.current  # only libcst's round-trip differs: not a change
        return new_module, new_code

    def alone(self, rule: type[Rule], options: Options) -> None:
        if not self.triggered(rule):
            return
        result = self._run(rule(self.context, options, self.file), rule.NAME)
        if result is None:
            return
        new_module, new_code = result
        if new_code != self.current:
            if not options.unsafe_fixes:
                self.outcome.manual.append(
                    ManualItem(rule.NAME, line_mapper(self.current, self.code)(_first_changed_line(self.current, new_code)),
                               0, f"unsafe fix available ({rule.DESCRIPTION}); "
                                  f"apply with --unsafe-fixes or --select {rule.NAME}")
                )
                return
            self._apply([rule.NAME], new_module, new_code)
        self._stop_if_asked()

    def shared(self, group: list[tuple[type[Rule], Options]]) -> bool:
        """Run `group` in one traversal; False (and nothing recorded) when its rules must run
        one after another instead."""
        manual, notes, warnings_ = len(self.file.manual), len(self.outcome.warnings), len(self.context.warnings)
        members = [rule(self.context, options, self.file) for rule, options in group]
        command = _SharedTraversal(self.context, members)
        error = self.outcome.error
        result = self._run(command, "+".join(rule.NAME for rule, _ in group))
        new_code = result[1] if result is not None else self.current
        changed = [member.NAME for member, hit in zip(members, command.changed) if hit]
        if result is None or command.unsure or self.file.stop or (new_code != self.current) != bool(changed):
            del self.file.manual[manual:]
            del self.outcome.warnings[notes:]
            del self.context.warnings[warnings_:]
            self.file.stop, self.outcome.error = None, error
            return False
        self.shared_used = True
        if new_code != self.current:
            self._apply(changed, result[0], new_code)
        return True

    def _apply(self, names: list[str], new_module: cst.Module, new_code: str) -> None:
        for name in names:
            self.applied.append((name, new_code))
            self.outcome.rules.append(name)
        self.module, self.current = new_module, new_code
        self.file.know_code(new_module, new_code)

    def _stop_if_asked(self) -> None:
        if self.file.stop:
            self.outcome.warnings.append(self.file.stop)
            self.stopped = True

    def finish(self) -> SourceOutcome:
        """The outcome of a run whose result compiles."""
        outcome = self.outcome
        outcome.code = self.current
        outcome.steps = list(self.applied)
        seen: set[tuple[int, int]] = set()
        for item in _map_manual_items(self.code, self.file.manual, self.file):
            # two rules noticing the same site: the first (lowest ORDER) says it
            if (item.line, item.column) not in seen:
                seen.add((item.line, item.column))
                outcome.manual.append(item)
        outcome.manual.sort(key=lambda m: (m.line, m.column, m.rule))
        outcome.warnings.extend(self.context.warnings)
        return outcome


class _SharedTraversal(CodemodBase):
    """One traversal calling the hooks of several rules, in their order, at every node."""

    def __init__(self, context: CodemodContext, members: list[Rule]) -> None:
        super().__init__(context)
        self.members = members
        self.changed = [False] * len(members)
        self.unsure = False

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        for member in self.members:
            member.context = self.context  # the metadata wrapper positions their items
            member.begin(tree)
        hooks = _shared_hooks(tuple(type(m) for m in self.members))(self.members)
        result = transform(tree, hooks)
        for member in self.members:
            member.flush_manual(tree)
        self.changed, self.unsure = hooks.changed, hooks.unsure
        return result


# rule class → (visit names, leave names) of its own node hooks; None: it cannot share
_HOOKS: dict[type, tuple[frozenset[str], frozenset[str]] | None] = {}
_SHARED: dict[tuple[type, ...], type] = {}


def _hook_table(rule: type[Rule]) -> tuple[frozenset[str], frozenset[str]] | None:
    if rule not in _HOOKS:
        visits, leaves, shareable = set(), set(), True
        for name in dir(rule):
            if not name.startswith(("visit_", "leave_")) or getattr(rule, name) is getattr(cst.CSTTransformer, name, None):
                continue
            node, _, attribute = name.split("_", 1)[1].partition("_")
            if not isinstance(getattr(cst, node, None), type):
                continue  # a helper named like a hook
            if attribute:
                shareable = False  # an attribute hook: libcst's own traversal calls it
            (visits if name.startswith("visit_") else leaves).add(node)
        # matcher decorators are only called by libcst's own traversal
        decorated = any(hasattr(value, "_leave_matcher") or hasattr(value, "_visit_matcher")
                        or hasattr(value, "_call_if_inside_matcher") or hasattr(value, "_call_if_not_inside_matcher")
                        for value in vars(rule).values())
        _HOOKS[rule] = (frozenset(visits), frozenset(leaves)) if shareable and not decorated else None
    return _HOOKS[rule]


def _shared_hooks(rules: tuple[type, ...]) -> type:
    """A transformer class whose node hooks call those of `rules` in order."""
    known = _SHARED.get(rules)
    if known is not None:
        return known
    tables = [_hook_table(rule) for rule in rules]
    nodes = set().union(*(visits | leaves for visits, leaves in tables))
    namespace: dict = {"__init__": _init_shared}
    for node in sorted(nodes):
        namespace[f"visit_{node}"] = _make_visit(
            f"visit_{node}", [i for i, (visits, _) in enumerate(tables) if node in visits])
        namespace[f"leave_{node}"] = _make_leave(
            f"leave_{node}", getattr(cst, node), [(i, node in leaves) for i, (_, leaves) in enumerate(tables)])
    known = _SHARED[rules] = type("_SharedHooks", (cst.CSTTransformer,), namespace)
    return known


def _init_shared(self, members: list[Rule]) -> None:
    cst.CSTTransformer.__init__(self)
    self.members = members
    self.changed = [False] * len(members)
    self.unsure = False  # a rule replaced a node by another kind: run them one by one
    self.asleep: dict[int, cst.CSTNode] = {}  # rule index → the node whose children it skips


def _make_visit(name: str, indices: list[int]):
    def visit(self, node):
        for i in indices:
            if i not in self.asleep and getattr(self.members[i], name)(node) is False:
                self.asleep[i] = node
        return True

    return visit


def _make_leave(name: str, node_type: type, indices: list[tuple[int, bool]]):
    def leave(self, original_node, updated_node):
        result = updated_node
        for i, has_hook in indices:
            asleep = self.asleep.get(i)
            if asleep is not None and asleep is not original_node:
                continue
            if asleep is original_node:
                del self.asleep[i]
            if not has_hook:
                continue
            if isinstance(result, cst.RemovalSentinel):
                break  # gone: no later rule would have seen it
            if not isinstance(result, node_type):
                self.unsure = True
                break
            new = getattr(self.members[i], name)(original_node, result)
            if new is not result:
                self.changed[i] = True
                result = new
        return result

    return leave


def syntax_error(code: str, filename: str | None) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the user's own code are not ours to print
            compile(code, filename or "<migrated>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc
    return None


def _first_broken(code: str, applied: list[tuple[str, str]], filename: str | None) -> str | None:
    """The error for the first rule whose output does not compile, or None if all do; when the
    input `code` does not compile by itself, that is the error, not the rule's."""
    for name, produced in applied:
        exc = syntax_error(produced, filename)
        if exc is not None:
            original = syntax_error(code, filename)
            if original is not None:
                return f"the input does not compile ({original.msg}, line {original.lineno}); left untouched"
            return f"rule {name} produced code that does not compile ({exc.msg}, line {exc.lineno}); file left untouched"
    return None


# Measured on CPython 3.11 with the default recursion limit (1000): the rules walk about 480
# levels of nested expressions (`1 + 1 + ...`, `-(-(...))`, `a.b.c...`); CPython's own parser
# stops at 200 nested brackets and about 3,000 nested expressions, with a clean error.
RULES_MAX_NESTING = 480


def _crash(names: str, exc: Exception) -> str:
    """The error for a rule that raised (a rule bug, or a file beyond what the rules survive)."""
    if isinstance(exc, MemoryError):
        return "ran out of memory on this file; left untouched"
    if isinstance(exc, RecursionError):
        return (f"nested too deeply for migrate's rules (they handle about {RULES_MAX_NESTING} levels of "
                f"nested expressions); left untouched")
    return f"rule {names} crashed: {type(exc).__name__}: {exc}; file left untouched"


def _parse_failure(code: str, exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    cpython = syntax_error(code, None)
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


def _map_manual_items(original: str, raw_items: Iterable, file: SourceFile) -> list[ManualItem]:
    """Map lines of the code each rule saw back to lines of the input file."""
    mapped: list[ManualItem] = []
    line_maps: dict[int, Callable[[int], int]] = {}
    for item in raw_items:
        key = id(item.tree)
        if key not in line_maps:
            seen = file.code_of(item.tree)
            line_maps[key] = (lambda n: n) if seen == original else line_mapper(seen, original)
        mapped.append(ManualItem(item.rule, line_maps[key](item.line), item.column, item.message))
    return mapped
