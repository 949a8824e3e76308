"""discover files → cheap prefilter → parse → rules → verify → diff / report → atomic write.

`migrate_source` is the heart (text in, text out, no I/O); `process_file` wraps it with
reading, notebooks, diffing and writing; `run` fans files out over a process pool.
Nothing here raises for a bad input: every file ends as unchanged / changed / skipped /
error, and the run goes on.
"""

from __future__ import annotations

import difflib
import os
import re
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from migrate import hunks
from migrate.fileio import UnreadableSource, atomic_write, decode_source
from migrate.report import FileResult, Report
from migrate.rules import all_rules
from migrate.rules.base import (CODE_KEY, MANUAL_KEY, OPTIONS_KEY, ORIGINAL_KEY, STOP_KEY, ManualItem, Options, Rule,
                                module_code)

# A file that mentions neither cannot use TF or Keras: skipped without parsing.
_TF_OR_KERAS = re.compile(rb"keras|tensorflow")
_TF_OR_KERAS_TEXT = re.compile(r"keras|tensorflow")

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", "site-packages", "dist-packages", "build", "dist",
     "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".eggs", ".ipynb_checkpoints"}
)
SOURCE_SUFFIXES = (".py", ".pyw", ".ipynb")


@dataclass(frozen=True)
class Config:
    """Everything a worker needs to process a file (picklable)."""

    options: Options = Options()
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    write: bool = False
    check: bool = False
    model_files: bool = True
    # set by run(): workers only report model files; run() upgrades them all in one batch
    defer_model_upgrades: bool = False

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
    # (rule, the text it produced) for each rule applied, in order: what hunks are attributed from
    steps: list[tuple[str, str]] = field(default_factory=list)

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
    return apply_rules(code, config, filename, rules)


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
                ManualItem(rule.NAME, _line_mapper(current, code)(_first_changed_line(current, new_code)), 0,
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
    outcome.steps = applied
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
            line_maps[key] = (lambda n: n) if seen == original else _line_mapper(seen, original)
        mapped.append(ManualItem(item.rule, line_maps[key](item.line), item.column, item.message))
    return mapped


def _line_mapper(seen: str, original: str) -> Callable[[int], int]:
    matcher = difflib.SequenceMatcher(None, seen.splitlines(), original.splitlines(), autojunk=False)
    opcodes = matcher.get_opcodes()

    def map_line(line: int) -> int:
        index = line - 1
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= index < i2:
                return j1 + (index - i1) + 1 if tag == "equal" else j1 + 1
        return line

    return map_line


# --- files ---------------------------------------------------------------------------------


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff of two texts (a/ b/ prefixes, like git)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path.lstrip('/')}", f"b/{path.lstrip('/')}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def process_file(path: str, config: Config) -> FileResult:
    """Migrate one file (or notebook); write it when config.write. Never raises."""
    result = FileResult(path=path)
    try:
        _process_file(Path(path), config, result)
    except MigrationError as exc:
        result.status, result.message = "error", str(exc)
    except Exception as exc:  # the run goes on whatever one file does
        result.status, result.message = "error", f"internal error: {type(exc).__name__}: {exc}"
    return result


def _process_file(path: Path, config: Config, result: FileResult) -> None:
    if path.is_symlink():
        result.status, result.message = "skipped", "symlink, not followed (migrate the file it points to)"
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MigrationError(f"cannot read: {exc.strerror or exc}") from None
    if path.suffix == ".ipynb":
        from migrate import notebooks

        if not _TF_OR_KERAS.search(data):
            return
        new_data, outcome, cell_diff = notebooks.migrate_notebook(data, config, path.as_posix())
        old_text = data.decode("utf-8", errors="replace")
        new_text = new_data.decode("utf-8", errors="replace")
        _finish(path, config, result, outcome, old_text, new_text, new_data, diff=cell_diff)
        return
    if not _TF_OR_KERAS.search(data):
        if b"\x00" in data[:8192]:
            result.status, result.message = "skipped", "binary file"
        return
    try:
        source = decode_source(data)
    except UnreadableSource as exc:
        raise MigrationError(f"{exc}; left untouched") from None
    outcome = migrate_source(source.text, config, str(path))
    new_data = source.encode(outcome.code) if outcome.changed(source.text) else data
    _finish(path, config, result, outcome, source.text, outcome.code, new_data)


def _finish(path: Path, config: Config, result: FileResult, outcome: SourceOutcome,
            old_text: str, new_text: str, new_data: bytes, diff: str | None = None) -> None:
    result.rules = list(outcome.rules)
    result.manual = [m.as_dict() for m in outcome.manual]
    result.warnings = list(outcome.warnings)
    if outcome.error:
        raise MigrationError(outcome.error)
    if config.model_files and (".h5" in new_text or ".hdf5" in new_text or ".json" in new_text):
        from migrate import model_files

        upgrade_now = config.write and not config.defer_model_upgrades
        result.model_files = model_files.check_model_files(path, new_text, write=upgrade_now)
    hunks.explain(result, old_text, new_text, path.as_posix(), outcome.steps, diffed=diff is None)
    if new_text == old_text:
        return
    result.status = "changed"
    result.diff = diff if diff is not None else result.diff
    if config.write:
        atomic_write(path, new_data)
        result.written = True


# --- discovery -------------------------------------------------------------------------------


def discover(paths: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """Yield (path, problem) for every candidate file; problem is a message for bad inputs.

    Folders are walked without following symlinks, skipping VCS folders, virtualenvs
    (any folder holding pyvenv.cfg), site-packages and build output. Files named
    explicitly are always yielded (so a symlink or binary named by the user is reported).
    Plain strings and os.scandir throughout: pathlib costs more than the prefilter itself.
    """
    for raw in paths:
        if os.path.islink(raw) or os.path.isfile(raw):
            yield raw, None
        elif os.path.isdir(raw):
            yield from _walk(raw)
        else:
            yield raw, "no such file or directory"


def _walk(root: str) -> Iterator[tuple[str, None]]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        if folder != root and any(e.name == "pyvenv.cfg" for e in entries):
            continue  # a virtualenv
        subfolders = []
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if name not in SKIP_DIRS and not name.endswith(".egg-info"):
                    subfolders.append(entry.path)
            elif name.endswith(SOURCE_SUFFIXES):
                yield entry.path, None  # a symlink is reported and left alone by process_file
        stack.extend(reversed(subfolders))


def _read_head(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _process_chunk(chunk: list[str], config: Config) -> list[FileResult]:
    return [process_file(p, config) for p in chunk]


def run(
    paths: Sequence[str],
    config: Config,
    jobs: int | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Process every file under `paths`; results are reported in input order."""
    report = Report(check=config.check, write=config.write)
    if config.write and config.model_files:
        config = replace(config, defer_model_upgrades=True)
    files: list[str] = []
    for path, problem in discover(paths):
        if problem:
            _emit(report, FileResult(path=path, status="error", message=problem), on_result)
        else:
            files.append(path)
    jobs = jobs or os.cpu_count() or 1
    # only files that can hold TF/Keras are worth a worker round-trip
    candidates, total = [], len(files)
    search = _TF_OR_KERAS.search
    for path in files:
        data = None if path.endswith(".ipynb") or os.path.islink(path) else _read_head(path)
        if data is None or search(data) or b"\x00" in data[:8192]:
            candidates.append(path)
        else:
            report.add(FileResult(path=path))
    done = total - len(candidates)
    if progress:
        progress(done, total)
    if jobs <= 1 or len(candidates) < 8:
        for path in candidates:
            _emit(report, process_file(path, config), on_result)
            done += 1
            if progress:
                progress(done, total)
        _upgrade_model_files(report, config)
        return report
    # small chunks: the last one decides when the run ends, while one worker idles
    size = max(1, min(16, len(candidates) // (jobs * 8) or 1))
    chunks = [candidates[i:i + size] for i in range(0, len(candidates), size)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(_process_chunk, chunks, [config] * len(chunks)):
            for result in results:
                _emit(report, result, on_result)
                done += 1
            if progress:
                progress(done, total)
    _upgrade_model_files(report, config)
    return report


def _upgrade_model_files(report: Report, config: Config) -> None:
    # one tf_keras and one Keras 3 process for the whole run, not two per model file
    if config.defer_model_upgrades and any(f.model_files for f in report.files):
        from migrate import model_files

        model_files.upgrade_entries(m for f in report.files for m in f.model_files)


def _emit(report: Report, result: FileResult, on_result: Callable[[FileResult], None] | None) -> None:
    report.add(result)
    if on_result:
        on_result(result)


def migrate_stdin(text: str, config: Config) -> tuple[str, FileResult]:
    """Migrate text read from stdin; returns (output text, result)."""
    result = FileResult(path="-")
    outcome = migrate_source(text, config, "<stdin>")
    result.rules = list(outcome.rules)
    result.manual = [m.as_dict() for m in outcome.manual]
    result.warnings = list(outcome.warnings)
    if outcome.error:
        result.status, result.message = "error", outcome.error
        return text, result
    hunks.explain(result, text, outcome.code, "-", outcome.steps)
    if outcome.changed(text):
        result.status = "changed"
    return outcome.code, result
