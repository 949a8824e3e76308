"""The text engine: text in, text out, no I/O.

parse → rules (in ORDER, each fed the tree the previous one produced; `rules.driver`) →
verify (the result must compile and be no worse than the input; `verify`) → code. Nothing
here raises for a bad input: the outcome carries the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from migrate import verify
from migrate.diffs import line_mapper, line_placer
from migrate.rules import all_rules
from migrate.analysis.carriers import Imported
from migrate.rules.base import REMOVED_NOTE, ManualItem, Options, Rule, line_ref, line_refs, lines_named, render_line_refs
from migrate.rules.driver import SourceOutcome, run_rules

# A file that mentions none of these is skipped without parsing. Only files that mention keras
# or tensorflow are rewritten, and files that take a graph, session or model from another module
# of the app (`from load import *` then `with graph.as_default():`): those are rewritten together
# with that module (migrate.whole_app), or left as they are with their legacy code reported.
TF_OR_KERAS = re.compile(rb"keras|tensorflow|as_default|set_session|_make_predict_function")
TF_OR_KERAS_TEXT = re.compile(r"keras|tensorflow")  # the same test on decoded text


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


class MigrationError(Exception):
    """A file could not be processed; the message says why, for the user."""


def migrate_source(
    code: str,
    config: Config = Config(),
    filename: str | None = None,
    rules: Sequence[type[Rule]] | None = None,
    needed: Mapping[str, Sequence[str]] | None = None,
    imported: Imported | None = None,
) -> SourceOutcome:
    """Run the rules over `code` and return the new text (never raises for bad input).

    Text that mentions neither keras nor tensorflow, and gets no graph, session or model from
    another module, comes back unchanged, unparsed. `needed`: names other modules of the app
    read from this one → who reads them (kept bound); `imported`: the graphs, sessions and
    models it gets from other modules (`settings.GRAPH`, `model, graph = init()`).
    """
    try:
        if not imported and not TF_OR_KERAS_TEXT.search(code):
            outcome = SourceOutcome(code=code)
            _report_legacy_path(code, outcome)
            _on_new_lines(code, outcome)
            return outcome
        beyond = _beyond_parser_limits(code)
        if beyond:
            return SourceOutcome(code=code, error=beyond)
        return apply_rules(code, config, filename, rules, needed=needed, imported=imported)
    finally:
        verify.parse.cache_clear()  # a large file's trees are not kept for the next file


def _beyond_parser_limits(code: str) -> str | None:
    """Why `code` must not reach libcst's native parser, or None.

    That parser overflows its stack (killing the process) on nesting CPython rejects cleanly:
    CPython's parser is the guard.
    """
    try:
        verify.parse(code)  # kept for the checks after the rules
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
    needed: Mapping[str, Sequence[str]] | None = None,
    imported: Imported | None = None,
) -> SourceOutcome:
    """Parse `code` and run the triggered rules in ORDER; the result must compile (else the first
    rule whose output did not is named and the file is left untouched) and must be no worse than
    the input (`migrate.verify`): when it is worse, the largest subset of the rules whose output
    passes is kept (at worst none: the file stays as it was, on the legacy path), and each
    withdrawn rule is a manual item naming the check that failed.

    ignore_triggers runs every rule whatever the text contains (property tests use it to
    put every visitor in front of arbitrary syntax).
    """
    rules = config.rules() if rules is None else tuple(rules)
    outcome = _never_worse(code, config, filename, rules, ignore_triggers, needed, imported)
    if outcome.error is None and not outcome.manual:
        _report_legacy_path(code, outcome)
    _on_new_lines(code, outcome)
    return outcome


def _on_new_lines(code: str, outcome: SourceOutcome) -> None:
    """Move the items from the input's lines, where the rules found them, to the lines of the
    text migrate writes: a reader goes from the diff to the written file, and an item must
    point at a line there (its column follows the line's new indentation). An item about a
    line the change removes points at the nearest line that survived and says which line it
    was about."""
    if outcome.code == code or outcome.error is not None:
        outcome.manual = [m if m.original_line is not None else _as_input(m) for m in outcome.manual]
        return
    place = line_placer(code, outcome.code)

    def named(line: int) -> str:  # a line a message names, as a (still marked) line of the new text
        placed = place(line)
        return f"{line} of the original" if placed.removed else line_ref(placed.line)

    moved = []
    for item in outcome.manual:
        if item.original_line is not None:  # already on the new text
            moved.append(item)
            continue
        placed = place(item.line)
        template = render_line_refs(item.message, named)
        template = template + REMOVED_NOTE.format(line=item.line) if placed.removed else template
        column = 0 if placed.removed else max(item.column + placed.indent, 0)
        moved.append(replace(item, line=placed.line, column=column, message=render_line_refs(template, str),
                             original_line=item.line, original_message=render_line_refs(item.message, str),
                             template=template, original_lines_named=lines_named(item.message)))
    outcome.manual = sorted(moved, key=lambda m: (m.line, m.column, m.rule))


def _report_legacy_path(code: str, outcome: SourceOutcome) -> None:
    """A file that keeps TF1 graph/session code and has no manual item says so: it stays on the
    legacy path, and the user must know why it was not migrated."""
    try:
        left = verify.tf1_machinery(verify.parse(outcome.code))
    except (SyntaxError, ValueError, RecursionError):
        return
    if left:
        what, line = left[0]
        to_input = line_mapper(outcome.code, code) if outcome.code != code else (lambda n: n)
        outcome.manual.append(ManualItem(
            verify.LEGACY_PATH, to_input(line), 0,
            f"{what} stays: TF1 graph/session code that no rule rewrites here (its graph or session comes from "
            f"elsewhere, or is used in a way no rule follows); the file stays on the legacy path and runs "
            f"under legacy_shim until ported by hand"))


# The rules whose items on a line say that TF1 graph/session machinery is left there.
TF1_LEFTOVER_RULES = frozenset({"graph-reentry", "session-config", verify.LEGACY_PATH})


# Above this many lines, a file whose rewrite fails a never-worse check stays as it is: finding
# the largest subset of rules that passes reruns every rule up to ~rules²/2 times (46 runs of
# a 1,700-line file took 90 s), which would take a large file past the per-file time budget.
SEARCH_MAX_LINES = 3_000


def _never_worse(code: str, config: Config, filename: str | None, rules: Sequence[type[Rule]],
                 ignore_triggers: bool, needed: Mapping[str, Sequence[str]] | None,
                 imported: Imported | None) -> SourceOutcome:
    outcome = _apply_rules_once(code, config, filename, rules, ignore_triggers, imported)
    problems = _problems(code, outcome, needed)
    if not problems:
        return outcome
    order = {rule.NAME: rule.ORDER for rule in rules}  # the withdrawn rules are named in this order
    if any(p.check == "unverifiable" for p in problems):  # every trial would be as deep
        kept = SourceOutcome(code=code)
        kept.manual.append(ManualItem(verify.LEGACY_PATH, 1, 0, "left as it is: too deeply nested for migrate to "
                                      "verify that a rewrite is no worse than the input"))
        return kept
    # the reasons: what the full rewrite would have broken, at the input's lines, one per cause
    causes = _causes(code, outcome, problems)
    reasons: dict[int, list[str]] = {}
    for cause in causes:
        if cause.text not in reasons.setdefault(cause.line, []):
            reasons[cause.line].append(cause.text)
    covered = {line for cause in causes for line in cause.lines}
    lines = code.count("\n") + 1
    if lines > SEARCH_MAX_LINES:  # each trial reruns every rule: up to ~rules²/2 of them
        kept = SourceOutcome(code=code)
        kept.manual += [ManualItem(verify.LEGACY_PATH, line, 0,
                                   f"kept on the legacy path (it runs under legacy_shim): the rewrite would leave "
                                   f"{text}; at {lines:,} lines the file is too large to search for the rules "
                                   f"that can apply on their own (limit {SEARCH_MAX_LINES:,} lines)")
                        for line, texts in sorted(reasons.items()) for text in texts]
        return kept
    # Withdraw rules one at a time, latest first, until the output passes; when no single
    # withdrawal is enough, withdraw the one that leaves the fewest problems and go on.
    withdrawn: list[str] = []
    while problems:
        best = None
        for name in reversed(outcome.rules):
            trial = _apply_rules_once(code, config, filename, [r for r in rules if r.NAME != name], ignore_triggers,
                                      imported)
            trial_problems = _problems(code, trial, needed)
            if trial.error is None and (best is None or len(trial_problems) < len(best[2])):
                best = (name, trial, trial_problems)
            if trial.error is None and not trial_problems:
                break
        if best is None:  # nothing can be withdrawn on its own: keep the input
            withdrawn += reversed(outcome.rules)
            outcome, problems = SourceOutcome(code=code), []
            break
        withdrawn.append(best[0])
        rules = [r for r in rules if r.NAME != best[0]]
        outcome, problems = best[1], best[2]
    names = sorted(withdrawn, key=order.get)
    # one item per cause on a line: the kept item names what stays there and why, so another
    # rule's note that the same TF1 machinery is left there (and to port it) would only repeat it
    outcome.manual = [m for m in outcome.manual if not (m.line in covered and m.rule in TF1_LEFTOVER_RULES)]
    # another rule's item on a missing name's line is about that same name: this item says it once
    # (keras-surface's says only that the name is gone; another rule's advice is kept in it)
    advice: dict[int, list[str]] = {}
    for cause in causes:
        if cause.check != "missing-import":
            continue
        same = [m for m in outcome.manual if m.line == cause.line and m.rule != names[0]
                and re.search(rf"(?<!\w){re.escape(cause.subject)}(?!\w)", m.message)]
        advice.setdefault(cause.line, []).extend(m.message for m in same if m.rule != "keras-surface")
        outcome.manual = [m for m in outcome.manual if m not in same]
    for line, texts in sorted(reasons.items()):
        imports_only = [t for t in texts if t.startswith(_MISSING_IMPORT)]
        if imports_only and len(imports_only) == len(texts):
            # the input's own Keras 2 import stays, so nothing but that import keeps the file on
            # Keras 2; whether the shim serves the name is not known here: not claimed
            todo = "; ".join(advice.get(line, [])) or "replace that use by hand"
            outcome.manual.append(ManualItem(
                names[0], line, 0,
                f"kept on the legacy path: {', '.join(names)} withdrawn, as "
                f"{'; '.join(t[len(_MISSING_IMPORT):] for t in texts)}, so the file keeps its Keras 2 imports: "
                f"{todo}"))
            continue
        outcome.manual.append(ManualItem(
            names[0], line, 0,
            f"kept on the legacy path (it runs under legacy_shim): {', '.join(names)} withdrawn, "
            f"as the rewrite would leave {'; '.join([*texts, *advice.get(line, [])])}"))
    outcome.manual.sort(key=lambda m: (m.line, m.column, m.rule))
    return outcome


_MISSING_IMPORT = "missing-import: "


@dataclass(frozen=True)
class _Cause:
    """One reason a rewrite is withdrawn: placed at `line`, about all of `lines` (input lines)."""

    check: str
    line: int
    lines: tuple[int, ...]
    text: str
    subject: str = ""


def _causes(code: str, full: SourceOutcome, problems: Sequence[verify.Problem]) -> list[_Cause]:
    """The problems of the full rewrite `full` of `code`, one per cause.

    A half-migration is one cause however many lines keep machinery: one item at the first,
    naming every line that keeps TF1 graph/session code and why, in the words of the rules
    that left it there (their items in `full`), and what the rewrite would remove.
    """
    to_input = line_mapper(full.code, code)
    causes: list[_Cause] = []
    half: list[tuple[int, verify.Problem]] = []
    for problem in problems:
        line = problem.line if problem.in_input else to_input(problem.line)
        if problem.check == "half-migration":
            half.append((line, problem))
        elif problem.check == "missing-import":
            causes.append(_Cause(problem.check, line, (line,),
                                 f"{_MISSING_IMPORT}`{problem.subject}` does not exist in `{problem.detail}` "
                                 f"on today's stack", problem.subject))
        else:
            causes.append(_Cause(problem.check, line, (line,), f"{problem.check}: {problem.message}"))
    if half:
        lines = sorted({line for line, _ in half})
        said: dict[str, list[int]] = {}  # why a line keeps machinery → its lines
        for line in lines:
            whys = [m.message for m in full.manual if m.line == line and m.rule in TF1_LEFTOVER_RULES]
            kept = ", ".join(sorted({p.subject for n, p in half if n == line}))
            for why in whys or [f"{kept} stays"]:
                said.setdefault(why, []).append(line)
        stays = "; ".join(f"{line_refs(at)}: {why}" for why, at in said.items())
        gone = half[0][1].detail
        causes.append(_Cause("half-migration", lines[0], tuple(lines),
                             f"half-migration: it would remove {gone} while TF1 graph/session code stays ({stays}), "
                             f"and the file would then run neither on TF 2 eager nor as before"))
    return sorted(causes, key=lambda c: c.line)


def _as_input(item: ManualItem) -> ManualItem:
    """An item of a file migrate leaves as it is: its lines are the input's."""
    message = render_line_refs(item.message, str)
    return replace(item, message=message, original_line=item.line, original_message=message, template=item.message,
                   original_lines_named=lines_named(item.message))


def _problems(code: str, outcome: SourceOutcome, needed: Mapping[str, Sequence[str]] | None) -> list[verify.Problem]:
    """What makes `outcome` worse than `code` (nothing for an error or an unchanged text)."""
    if outcome.error or outcome.code == code:
        return []
    try:
        return verify.check(code, outcome.code, needed)
    except SyntaxError:  # the input itself does not compile: the compile check reports it
        return []
    except (RecursionError, MemoryError):  # too deep for the checks: not shown to be safe
        return [verify.Problem("unverifiable", 1, "code nested too deeply to check", in_input=True)]


def _apply_rules_once(code: str, config: Config, filename: str | None, rules: Sequence[type[Rule]],
                      ignore_triggers: bool, imported: Imported | None = None) -> SourceOutcome:
    chosen = [(rule, replace(config.options, unsafe_fixes=config.unsafe_allowed(rule))) for rule in rules]
    return run_rules(code, chosen, filename, ignore_triggers, imported=imported)
