"""Files around the engine: discover → prefilter once → read once → pool → write → report.

Workers only compute (bytes in, result and new bytes out); the parent process alone writes,
atomically, so a crash or an interrupt leaves every file either original or fully written.
Each file ends as unchanged / changed / skipped / error and the run goes on: a file that
kills its worker process (a crash in the native parser), exhausts it or overruns its time
budget is that file's error, and the pool is replaced.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
from collections import deque
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing import active_children
from pathlib import Path
from typing import Callable, Iterator, Sequence

from migrate import hunks, model_files, notebooks, project_index, whole_app
from migrate.diffs import unified_diff
from migrate.engine import TF_OR_KERAS, Config, MigrationError, SourceOutcome, migrate_source
from migrate.fileio import BINARY, UnreadableSource, atomic_write, decode_source
from migrate.report import FileResult, Report, Status

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", "site-packages", "dist-packages", "build", "dist",
     "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".eggs", ".ipynb_checkpoints"}
)
SOURCE_SUFFIXES = (".py", ".pyw", ".ipynb")
# the most files one task carries: the last task decides when the run ends, while a worker idles
CHUNK = 16


@dataclass(frozen=True)
class RunConfig:
    """Everything a worker needs to process a file (picklable)."""

    migration: Config = Config()
    write: bool = False
    check: bool = False
    model_files: bool = True
    diffs: bool = True          # a dry run prints them; --check and --write need none
    timeout: float = 0.0        # seconds per file; 0: no budget
    # set by run(): for a file (absolute path), what the engine must know about the rest of the
    # app (whole_app.FileContext: names others read, graphs/sessions/models it imports)
    contexts: dict[str, whole_app.FileContext] = field(default_factory=dict, compare=False)


@dataclass
class Interrupted(Exception):
    """Ctrl-C stopped the run; every file is original or fully written.

    not_processed is None when the run had not yet found its files.
    """

    written: int = 0
    not_processed: int | None = None

    def __str__(self) -> str:
        written = f"{self.written} file{'s' if self.written != 1 else ''} written"
        if self.not_processed is None:
            return f"interrupted: {written}, before any file was read"
        return f"interrupted: {written}, {self.not_processed} not processed"


class FileTimeout(BaseException):
    """The per-file time budget ran out (a BaseException: rules catch Exception)."""


# --- one file ------------------------------------------------------------------------------


def migrate_data(path: str, data: bytes | None, config: RunConfig, filename: str | None = None) -> tuple[FileResult, bytes | None]:
    """Migrate one file's bytes (data None: a symlink, not followed); returns (result, new bytes or None).

    Never raises for a bad input. Writes nothing: the caller writes the new bytes.
    """
    result = FileResult(path=path)
    try:
        with _time_budget(config.timeout):
            return result, _migrate_data(path, data, config, result, filename or path)
    except MigrationError as exc:
        result.status, result.message = Status.ERROR, str(exc)
    except FileTimeout:
        result.status, result.message = Status.ERROR, f"took longer than {config.timeout:g} s (the per-file time budget, --timeout); left untouched"
    except RecursionError:
        result.status, result.message = Status.ERROR, "nested too deeply for migrate (Python's recursion limit); left untouched"
    except MemoryError:
        result.status, result.message = Status.ERROR, "ran out of memory on this file; left untouched"
    except Exception as exc:  # the run goes on whatever one file does
        result.status, result.message = Status.ERROR, f"internal error: {type(exc).__name__}: {exc}"
    return result, None


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    # SIGALRM: a handler can only be set in the main thread (a worker's, or the CLI's)
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise FileTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _migrate_data(path: str, data: bytes | None, config: RunConfig, result: FileResult, filename: str) -> bytes | None:
    if data is None:
        result.status, result.message = Status.SKIPPED, "symlink, not followed (migrate the file it points to)"
        return None
    if path.endswith(".ipynb"):
        if not TF_OR_KERAS.search(data):
            return None
        new_data, outcome, cell_diff = notebooks.migrate_notebook(data, config.migration, filename)
        old_text = data.decode("utf-8", errors="replace")
        new_text = new_data.decode("utf-8", errors="replace")
        return _finish(path, config, result, outcome, old_text, new_text, new_data, diff=cell_diff)
    if b"\x00" in data:
        # one rule for every file Python cannot read as source, TF or not (UTF-16 and UTF-32 hold NULs)
        raise MigrationError(f"{BINARY}; left untouched")
    context = config.contexts.get(os.path.abspath(path)) or whole_app.FileContext()
    if not (TF_OR_KERAS.search(data) or context.imported):
        return None
    try:
        source = decode_source(data)
    except UnreadableSource as exc:
        raise MigrationError(f"{exc}; left untouched") from None
    outcome = migrate_source(source.text, config.migration, filename, needed=context.needed, imported=context.imported)
    new_data = source.encode(outcome.code) if outcome.changed(source.text) else data
    return _finish(path, config, result, outcome, source.text, outcome.code, new_data)


def _finish(path: str, config: RunConfig, result: FileResult, outcome: SourceOutcome,
            old_text: str, new_text: str, new_data: bytes, diff: str | None = None) -> bytes | None:
    result.rules = list(outcome.rules)
    result.manual = [m.as_dict() for m in outcome.manual]
    result.warnings = list(outcome.warnings)
    if outcome.error:
        raise MigrationError(outcome.error)
    if config.model_files and any(word in new_text for word in (".h5", ".hdf5", ".json", "load_model")):
        # only reported here; the parent upgrades them all in one batch (one TF process per Keras)
        result.model_files = model_files.check_model_files(Path(path), new_text, write=False)
    # the diff names the rules behind each hunk (and manual items learn their function)
    hunks.explain(result, old_text, new_text, Path(path).as_posix(), outcome.steps,
                  diffed=diff is None and config.diffs)
    if new_text == old_text:
        return None
    result.status = Status.CHANGED
    if config.diffs and diff is not None:
        result.diff = diff
    return new_data


# --- discovery -------------------------------------------------------------------------------


def discover(paths: Sequence[str]) -> Iterator[tuple[str, FileResult | None]]:
    """Yield (path, problem) for every candidate file; problem is the result of a bad input.

    Folders are walked without following symlinks, skipping VCS folders, virtualenvs
    (any folder holding pyvenv.cfg), site-packages and build output. Files named
    explicitly are always yielded (so a symlink or binary named by the user is reported).
    FIFOs, sockets and devices are skipped without being opened (opening a FIFO waits for a
    writer); a folder that cannot be listed is an error, never silently dropped.
    Plain strings and os.scandir throughout: pathlib costs more than the prefilter itself.
    """
    for raw in paths:
        try:
            mode = os.lstat(raw).st_mode
        except OSError as exc:
            yield raw, FileResult(path=raw, status=Status.ERROR, message=_why(exc, "no such file or directory"))
            continue
        if stat.S_ISLNK(mode) and os.path.isdir(raw):
            yield from _walk(raw)  # a folder named through a symlink: the user means it
        elif stat.S_ISLNK(mode) or stat.S_ISREG(mode):
            yield raw, None
        elif stat.S_ISDIR(mode):
            yield from _walk(raw)
        else:
            yield raw, _special(raw)


def _walk(root: str) -> Iterator[tuple[str, FileResult | None]]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield folder, FileResult(path=folder, status=Status.ERROR, message=f"cannot read folder: {_why(exc)}")
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
                if entry.is_file(follow_symlinks=False) or entry.is_symlink():
                    yield entry.path, None  # a symlink is reported and left alone by migrate_data
                else:
                    yield entry.path, _special(entry.path)
        stack.extend(reversed(subfolders))


def _special(path: str) -> FileResult:
    return FileResult(path=path, status=Status.SKIPPED, message="not a regular file (FIFO, socket or device), not opened")


def _why(exc: OSError, default: str = "") -> str:
    return exc.strerror.lower() if exc.strerror else default or str(exc)


def _read(path: str) -> bytes | None:
    """The file's bytes; None for a symlink (not followed). Never blocks on a FIFO put in its place."""
    if os.path.islink(path):
        return None
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular
        return handle.read()


class _NotRegular(OSError):
    """Became a FIFO, socket or device after discovery."""


# --- the run ---------------------------------------------------------------------------------


def _work(chunk: list[tuple[str, bytes | None]], config: RunConfig) -> list[tuple[FileResult, bytes | None]]:
    return [migrate_data(path, data, config) for path, data in chunk]


def run(
    paths: Sequence[str],
    config: RunConfig,
    jobs: int | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Process every file under `paths`; results are reported in input order.

    Raises Interrupted on Ctrl-C, after stopping the workers: every file is then either
    original or fully written.
    """
    report = Report(check=config.check, write=config.write)
    counts: dict[str, int | None] = {"written": 0, "left": None}
    with _interrupts() as ctrl_c:
        try:
            _run(paths, config, jobs or os.cpu_count() or 1, report, counts, ctrl_c, on_result, progress)
        except KeyboardInterrupt:
            raise Interrupted(counts["written"] or 0, counts["left"]) from None
    # a model file outside the given paths is reported with its upgrade command, never rewritten
    model_files.keep_inside((m for f in report.files for m in f.model_files), paths)
    if config.write and config.model_files and any(f.model_files for f in report.files):
        # one tf_keras and one Keras 3 process for the whole run, not two per model file
        model_files.upgrade_entries(m for f in report.files for m in f.model_files)
    _name_model_files(report, paths)
    return report


def _name_model_files(report: Report, roots: Sequence[str]) -> None:
    """Spell each model file's path as the run spells its source files (`./model.json` beside
    `./app.py`), so that its line reads like the rest of the run; one outside every given path,
    relative to the working directory when under it."""
    resolved = [(root, Path(root).resolve()) for root in roots if os.path.isdir(root)]

    def shown(path: str) -> str:
        full = Path(path).resolve()
        for root, base in resolved:
            if full == base or base in full.parents:
                return os.path.join(root, os.path.relpath(full, base))
        return _shown(str(full))

    for entry in (m for f in report.files for m in f.model_files):
        if os.path.isabs(entry["path"]):
            entry["path"] = shown(entry["path"])
            if "weights" in entry:
                entry["weights"] = [shown(w) for w in entry["weights"]]


def _run(paths: Sequence[str], config: RunConfig, jobs: int, report: Report, counts: dict[str, int],
         ctrl_c: _CtrlC, on_result: Callable[[FileResult], None] | None,
         progress: Callable[[int, int], None] | None) -> None:
    files: list[str] = []
    for path, problem in discover(paths):
        if problem:
            _emit(report, problem, on_result)
        else:
            files.append(path)
    counts["left"] = len(files)
    # only files that can hold TF/Keras are worth a worker round-trip; each is read once, here
    candidates: list[tuple[str, bytes | None]] = []
    importers: dict[str, bytes] = {}  # every readable module, for the whole-app index
    absolute: dict[str, str] = {}  # path → its absolute path (os.path.abspath costs µs a call)
    search = TF_OR_KERAS.search
    for path in files:
        try:
            data = _read(path)
        except _NotRegular:
            _emit(report, _special(path), on_result)
            counts["left"] -= 1
            continue
        except OSError as exc:
            _emit(report, FileResult(path=path, status=Status.ERROR, message=f"cannot read: {_why(exc)}"), on_result)
            counts["left"] -= 1
            continue
        full = absolute[path] = os.path.abspath(path)
        if data is not None and not path.endswith(".ipynb"):
            importers[full] = data
        candidates.append((path, data))
    # a module without TF/Keras text may still take part: another module hands its functions a
    # graph, a session or a model (whole_app), so modules that predict are analysed too
    chosen = {absolute[p] for p, data in candidates
              if data is None or p.endswith(".ipynb") or search(data) or b"\x00" in data}
    predicting = {p for p, data in importers.items() if p not in chosen and b".predict(" in data}
    app = _whole_app_plan(paths, importers, chosen | predicting, _shown_as(absolute, paths))
    chosen |= {p for p in predicting if p in app.joint and app.joint[p].imported}
    for path, data in candidates:
        if absolute[path] not in chosen:
            report.add(FileResult(path=path))
            counts["left"] -= 1
    candidates = [(p, data) for p, data in candidates if absolute[p] in chosen]
    config = replace(config, contexts={**app.safe, **app.joint})
    held: dict[str, tuple[FileResult, bytes | None]] = {}  # joint files: written once the app fits
    total = len(files)
    if progress:
        progress(total - counts["left"], total)
    size = max(1, min(CHUNK, len(candidates) // (jobs * 8) or 1))
    chunks = [candidates[i:i + size] for i in range(0, len(candidates), size)]
    pooled = _pooled(chunks, config, jobs)
    try:
        for results in pooled:
            for result, new_data in results:
                full = os.path.abspath(result.path)
                if full in app.joint:
                    held[full] = (result, new_data)
                    continue
                _done(report, result, new_data, config, counts, ctrl_c, on_result)
            if progress:
                progress(total - counts["left"], total)
            if ctrl_c.seen.is_set():  # a Ctrl-C that some library code swallowed
                raise KeyboardInterrupt
    finally:
        pooled.close()  # stops the workers, now
    if held:
        inputs = {path: data for path, data in candidates}
        _fit_together(app, held, {absolute[p]: d for p, d in inputs.items()}, config)
        with ctrl_c.held_back():  # files rewritten to fit each other are written all or none
            for path, _data in candidates:
                entry = held.get(absolute[path])
                if entry is not None:
                    _done(report, entry[0], entry[1], config, counts, ctrl_c, on_result)
        if progress:
            progress(total - counts["left"], total)


def _done(report: Report, result: FileResult, new_data: bytes | None, config: RunConfig, counts: dict[str, int],
          ctrl_c: _CtrlC, on_result: Callable[[FileResult], None] | None) -> None:
    # a Ctrl-C waits for the write and its counts: no temp file left, no file written uncounted
    with ctrl_c.held_back():
        if new_data is not None and config.write:
            atomic_write(Path(result.path), new_data)
            result.written = True
            counts["written"] += 1
        _emit(report, result, on_result)
        counts["left"] -= 1


def _fit_together(app: whole_app.AppPlan, held: dict[str, tuple[FileResult, bytes | None]],
                  inputs: dict[str, bytes | None], config: RunConfig) -> None:
    """Migrate again, alone, each joint file whose output does not fit another's (whole_app),
    until every pair fits; `held` is updated in place."""
    texts = {path: _text(data) for path, data in inputs.items() if path in held}
    alone: set[str] = set()
    while True:
        outputs = {path: _text(new) if new is not None else texts[path] for path, (_r, new) in held.items()}
        bad = {path: why for path, why in whole_app.disagreements(
            app, {p: t for p, t in texts.items() if t is not None}, outputs).items() if path not in alone}
        if not bad:
            return
        for path, why in bad.items():
            alone.add(path)
            result = held[path][0]
            safe = replace(config, contexts={path: app.safe.get(path) or whole_app.FileContext()})
            held[path] = migrate_data(result.path, inputs[path], safe)
            held[path][0].warnings.append(f"migrated on its own, as the rewrite across modules would leave: {why}")


def _text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return decode_source(data).text
    except UnreadableSource:
        return None


def with_whole_app_index(paths: Sequence[str], config: RunConfig, read: dict[str, bytes] | None = None,
                         migrated: set[str] | None = None) -> RunConfig:
    """`config` with the safe whole-app contexts of `paths` (`read`: absolute path → bytes already
    read): every file migrated as if alone, keeping bound what other modules read."""
    if read is None:
        read = _read_modules(paths, {})
    return replace(config, contexts=_whole_app_plan(paths, read, set(read) if migrated is None else migrated).safe)


def migrate_path(path: str, config: RunConfig) -> tuple[FileResult, bytes | None]:
    """Read and migrate one file (see migrate_data); writes nothing."""
    try:
        data = _read(path)
    except _NotRegular:
        return _special(path), None
    except OSError as exc:
        return FileResult(path=path, status=Status.ERROR, message=f"cannot read: {_why(exc)}"), None
    return migrate_data(path, data, config)


def _whole_app_plan(paths: Sequence[str], read: dict[str, bytes], migrated: set[str],
                    shown: Callable[[str], str] | None = None) -> whole_app.AppPlan:
    """What each file to migrate must know about the rest of the app (whole_app.plan).

    The app is every module under the given paths, and every module of the enclosing project
    (the nearest folder up with pyproject.toml, setup.py, setup.cfg or .git), so that a
    `views.py` left out of the run still keeps `settings.GRAPH` bound; for a file given outside
    any project, the modules and packages beside it. With no file to migrate
    there is nothing to plan (a tree without TF or Keras is not read again). `shown` names a
    module (absolute path) in messages.
    """
    shown = shown or _shown
    if not migrated:
        return whole_app.AppPlan(shown=shown)
    root_of = {p: project_index.project_root(p) for p in paths}
    roots = [root for root in set(root_of.values()) if root is not None]
    sources = _read_modules(roots, dict(read))
    # a script outside any project imports the modules and packages beside it (Python puts its
    # folder on sys.path): a graph helper there must be seen, or the script alone would move to
    # tf.compat.v1 and leave the helper on the TF 2 API (each folder read once, however many
    # of its files were given)
    folders = {os.path.dirname(os.path.abspath(path)) for path, root in root_of.items()
               if root is None and not os.path.isdir(path)}
    for folder in sorted(folders):
        _read_modules(_importable_in(folder), sources)
    texts = {}
    for path, data in sources.items():
        if path in migrated or project_index.may_import(data):  # (one that imports nothing may be read)
            try:
                texts[path] = decode_source(data).text
            except UnreadableSource:
                continue
    return whole_app.plan(texts, migrated & set(texts), shown)


def _importable_in(folder: str) -> list[str]:
    """The modules and packages (folders with __init__.py) in `folder`: what a script there can
    import by a plain name, without walking that whole folder (a home folder)."""
    found = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.endswith((".py", ".pyw")) and entry.is_file():
                    found.append(entry.path)
                elif entry.is_dir(follow_symlinks=False) and os.path.isfile(os.path.join(entry.path, "__init__.py")):
                    found.append(entry.path)
    except OSError:
        return []
    return sorted(found)


def _read_modules(paths: Sequence[str], into: dict[str, bytes]) -> dict[str, bytes]:
    """`into` plus every readable Python module under `paths` it lacks (absolute path → bytes)."""
    for path, problem in discover(paths):
        full = os.path.abspath(path)
        if problem is None and full not in into and path.endswith((".py", ".pyw")):
            try:
                data = _read(path)
            except OSError:
                continue
            if data is not None:
                into[full] = data
    return into


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _shown_as(absolute: dict[str, str], paths: Sequence[str] = ()) -> Callable[[str], str]:
    """Names a module in messages as the run names its files (`absolute`: path as found → absolute
    path), so that a message about a reader spells its path like the reader's own items; a module
    outside the run but under a given folder (or beside a given file) as that folder is spelt
    (`../app/model.py` beside `../app/app.py`), any other relative to the working directory."""
    found = {full: path for path, full in absolute.items()}
    folders = []
    for path in paths:
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        folders.append((folder, os.path.abspath(folder or os.curdir)))

    def shown(full: str) -> str:
        if full in found:
            return found[full]
        for folder, base in folders:
            if full.startswith(base.rstrip(os.sep) + os.sep):
                return os.path.join(folder, os.path.relpath(full, base))
        return _shown(full)

    return shown


# a worker that died took its file with it: the message says what usually does that
_CRASH = ("the worker process died on this file (a crash in the native parser, e.g. its stack overflowing on "
          "deeply nested code); left untouched")


def _pooled(chunks: list[list], config: RunConfig, jobs: int) -> Iterator[list[tuple[FileResult, bytes | None]]]:
    """Each chunk's results, in order, from `jobs` worker processes; in this process if none can start.

    When a worker dies, the pool is replaced: results already computed are kept, the chunks that
    may have been in flight are redone one file per worker (so the file that kills one is that
    file's error) and the rest go to the new pool.
    """
    pending: deque[list] = deque([chunk, None] for chunk in chunks)
    while pending:
        while pending and pending[0][1] is not None:
            yield pending.popleft()[1]
        if not pending:
            return
        pool = workers = None
        try:
            with _sigint_deferred():
                pool, workers = _start_pool(min(jobs, len(pending)))
                futures = {id(entry): pool.submit(_work, entry[0], config) for entry in pending if entry[1] is None}
        except (OSError, ImportError, NotImplementedError):
            if pool is not None:
                _stop(pool, workers, kill=True)
            # processes cannot start here (no fork, no semaphores): the same work in this process
            while pending:
                chunk, results = pending.popleft()
                yield results if results is not None else _work(chunk, config)
            return
        except BaseException:
            # a Ctrl-C held back while the pool started lands as the signal is unblocked: the
            # pool exists by then, and its workers would go on with every file submitted
            if pool is not None:
                _stop(pool, workers, kill=True)
            raise
        try:
            while pending:
                entry = pending[0]
                if entry[1] is None:
                    entry[1] = futures[id(entry)].result()
                yield pending.popleft()[1]
            _stop(pool, workers, kill=False)
        except BrokenProcessPool:
            _stop(pool, workers, kill=True)
            in_flight = 0
            for entry in pending:
                future = futures.get(id(entry))
                if entry[1] is not None or future is None:
                    continue
                if future.done() and not future.cancelled() and future.exception() is None:
                    entry[1] = future.result()
                elif in_flight <= jobs:  # at most `jobs` running and one queued
                    in_flight += 1
                    entry[1] = _isolated(entry[0], config)
        except BaseException:  # Ctrl-C (or the consumer stopped): no worker outlives the run
            _stop(pool, workers, kill=True)
            raise


def _isolated(chunk: list[tuple[str, bytes | None]], config: RunConfig) -> list[tuple[FileResult, bytes | None]]:
    out: list[tuple[FileResult, bytes | None]] = []
    pool = workers = None
    try:
        for path, data in chunk:
            if pool is None:
                pool, workers = _start_pool(1)
            try:
                with _sigint_deferred():
                    future = pool.submit(_work, [(path, data)], config)
                out += future.result()
            except BrokenProcessPool:
                _stop(pool, workers, kill=True)
                pool = None
                out.append((FileResult(path=path, status=Status.ERROR, message=_CRASH), None))
    finally:
        if pool is not None:
            _stop(pool, workers, kill=True)
    return out


def _start_pool(jobs: int) -> tuple[ProcessPoolExecutor, set]:
    before = set(active_children())
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint)
    return pool, before


def _stop(pool: ProcessPoolExecutor, before: set, kill: bool) -> None:
    if kill:
        pool.shutdown(wait=False, cancel_futures=True)
        # the pool's workers are the children started since it was made (public API: no
        # reaching into the executor); a worker busy with a long file would otherwise keep
        # the interpreter waiting for it at exit
        for process in set(active_children()) - before:
            process.terminate()
        for process in set(active_children()) - before:
            process.join(5)
    pool.shutdown(wait=True)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """SIGINT held back while the pool forks its workers, delivered right after.

    Landing inside the fork hooks (logging's _releaseLock), a KeyboardInterrupt is printed as
    "Exception ignored" and lost; blocked, it waits and is raised here, where it is handled.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what happens
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _CtrlC:
    """Ctrl-C during one run: `seen` outlives a KeyboardInterrupt that some code swallowed;
    inside `held_back()` (a file being written and counted) it is raised when the block ends."""

    def __init__(self) -> None:
        self.seen = threading.Event()
        self.depth = 0  # held_back blocks open (they nest: a joint pair's writes hold each file's)

    @property
    def holding(self) -> bool:
        return self.depth > 0

    @contextmanager
    def held_back(self) -> Iterator[None]:
        # not a signal mask: a process-directed SIGINT goes to any thread that does not block it
        # (the pool's manager thread), and Python then runs the handler in the main thread anyway
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.seen.is_set() and not self.depth:
            raise KeyboardInterrupt


@contextmanager
def _interrupts() -> Iterator[_CtrlC]:
    """Ctrl-C raises KeyboardInterrupt here (or as a held-back block ends) and is remembered.

    A KeyboardInterrupt that lands inside code that ignores exceptions (a lock release while
    the pool forks its workers) would vanish; the flag outlives it. In a forked worker,
    before it ignores SIGINT itself, the handler does nothing: the parent decides.
    """
    ctrl_c = _CtrlC()
    if threading.current_thread() is not threading.main_thread():
        yield ctrl_c
        return
    parent = os.getpid()

    def handle(signum, frame):
        if os.getpid() == parent:
            ctrl_c.seen.set()
            if not ctrl_c.holding:
                raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, previous)


def _emit(report: Report, result: FileResult, on_result: Callable[[FileResult], None] | None) -> None:
    report.add(result)
    if on_result:
        on_result(result)


def migrate_stdin(data: bytes, config: RunConfig) -> tuple[bytes, FileResult]:
    """Migrate source read from stdin; returns (output bytes, result)."""
    result, new_data = migrate_data("-", data, config, filename="<stdin>")
    return (data if new_data is None else new_data), result
