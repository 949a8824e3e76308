"""Real-server concurrency harness for legacy serving apps run under ``legacy_shim``.

Everything here talks to real processes: a server started the way a user would start
it (its own ``app.run``, waitress, gunicorn), real HTTP clients on real sockets, and a
reference computed single-threaded in a separate interpreter. The shim changes
process-wide state (graph mode, which Keras ``import keras`` means), so nothing TF runs
in the test process itself.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

# Name of the shim-first copy of app.py written by the "flask-import" server.
SHIM_FIRST_ENTRY = "app_shim_first.py"

# A fresh interpreter imports TF (~3 s on a loaded 2-core box) and builds the model
# graph; gunicorn does it once per worker. Generous, because a slow start is not what
# these tests measure, and a dead server is detected at once anyway.
READY_TIMEOUT = 180.0


# Lines a server prints per request; dropped when showing stderr, so tracebacks show.
_ACCESS_LOG = re.compile(r'^.*"(GET|POST|PUT|HEAD) [^"]*HTTP/1\.[01]" \d{3}.*$\n?', re.M)


def interesting_stderr(text: str, limit: int = 8000) -> str:
    """``text`` without per-request access-log lines, then its first distinct tracebacks.

    Under concurrency, one failure repeats hundreds of times; the first occurrence of
    each distinct last line ("SomeError: ...") tells the story.
    """
    text = _ACCESS_LOG.sub("", text)
    blocks = re.split(r"(?m)^(?=Traceback \(most recent call last\):)", text)
    head, tracebacks = blocks[0], blocks[1:]
    seen: set[str] = set()
    kept = []
    for tb in tracebacks:
        lines = [ln for ln in tb.strip().splitlines() if ln.strip()]
        key = next((ln for ln in reversed(lines) if re.match(r"^\w[\w.]*(Error|Exception)\b", ln)),
                   lines[-1] if lines else "")
        if key not in seen:
            seen.add(key)
            kept.append(tb)
    out = (f"[{len(tracebacks)} tracebacks, {len(seen)} distinct]\n" if tracebacks else "")
    out += "".join(kept) if kept else head
    return out if len(out) <= limit else out[:limit] + "\n..."


class ServerFailed(RuntimeError):
    """A server process died or never answered; the message carries its stderr."""


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class ServerKind:
    """How to start one kind of server on an app folder.

    ``argv(port, entry)`` builds the command line; ``entry`` is the file name of the
    script to run for servers that run the app's own ``__main__``.
    """

    name: str
    argv: Callable[[int, str], list[str]]
    runs_app_main: bool  # True: the app's own app.run serves (PORT/HOST from the env)
    why: str


def _wsgi_target(entry: str) -> str:
    return f"{Path(entry).stem}:app"


def _gunicorn_private_flags() -> list[str]:
    # gunicorn >= 24 opens a control socket at one fixed path in $HOME: two servers
    # running side by side (xdist) would fight over it. Older versions have no such
    # socket, and no flag to turn it off.
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:
        return []
    return ["--no-control-socket"] if any(
        "--no-control-socket" in (s.cli or []) for s in KNOWN_SETTINGS) else []


def _gunicorn(*extra: str) -> Callable[[int, str], list[str]]:
    # --timeout: a worker that spends more than gunicorn's default 30 s importing TF
    # and loading models on a busy box would be killed and respawned forever.
    def argv(port: int, entry: str) -> list[str]:
        return [sys.executable, "-m", "legacy_shim", "-m", "gunicorn", "-w", "2", *extra,
                *_gunicorn_private_flags(), "--timeout", "300", "-b", f"127.0.0.1:{port}",
                _wsgi_target(entry)]
    return argv


SERVERS: dict[str, ServerKind] = {s.name: s for s in (
    ServerKind(
        "flask-import",
        lambda port, entry: [sys.executable, SHIM_FIRST_ENTRY],
        runs_app_main=True,
        why="the app file unmodified but for `import legacy_shim` as its first line",
    ),
    ServerKind(
        "flask-runner",
        lambda port, entry: [sys.executable, "-m", "legacy_shim", entry],
        runs_app_main=True,
        why="the app file untouched, started by the shim's runner",
    ),
    ServerKind(
        "waitress",
        lambda port, entry: [sys.executable, "-m", "legacy_shim", "-m", "waitress",
                             f"--listen=127.0.0.1:{port}", "--threads=16",
                             _wsgi_target(entry)],
        runs_app_main=False,
        why="a production WSGI server with a 16-thread pool, none of them the loading thread",
    ),
    ServerKind(
        "gunicorn-sync",
        _gunicorn(),
        runs_app_main=False,
        why="two forked workers, each loading the app after fork",
    ),
    ServerKind(
        "gunicorn-gthread",
        _gunicorn("-k", "gthread", "--threads", "8"),
        runs_app_main=False,
        why="two forked workers, each with 8 request threads",
    ),
    ServerKind(
        "gunicorn-preload",
        _gunicorn("--preload"),
        runs_app_main=False,
        why="the app (and so TF) imported in the master before fork: TF sessions are not fork-safe",
    ),
)}


# What a refusal of gunicorn --preload must say: the reason (fork, --preload named) and a
# way out (load in the worker: no --preload, post_fork, first request). TF sessions are
# not fork-safe, so refusing clearly is a correct outcome for that server kind.
PRELOAD_ADVICE = re.compile(
    r"(?s)(?=.*--preload)(?=.*fork)(?=.*(post_fork|drop --preload|in the worker))")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    There is a window between closing the probe socket and the server binding; `serve`
    retries on a new port when the server reports the address in use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path | None, limit: int = 6000) -> str:
    if path is None or not path.exists():
        return "<no stderr captured>"
    text = path.read_text(errors="replace")
    return text if len(text) <= limit else "...\n" + text[-limit:]


def wait_ready(url: str, timeout: float, proc: subprocess.Popen,
               stderr_path: Path | None = None) -> None:
    """Poll ``url`` until the server answers any HTTP status.

    Raises `ServerFailed` at once, with the server's stderr, if ``proc`` exits, and after
    ``timeout`` seconds if it never answers. A 404/405 on a GET counts as ready: the
    point is that the WSGI app is imported and listening.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise ServerFailed(f"server exited with code {code} before answering {url}\n"
                               f"--- server stderr ---\n{_tail(stderr_path)}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise ServerFailed(f"server did not answer {url} within {timeout:.0f} s\n"
                               f"--- server stderr ---\n{_tail(stderr_path)}")
        time.sleep(0.2)


# Variables that change which stack a child gets: a developer's shell must not decide
# what the tests test. Callers pass them explicitly (e.g. LEGACY_SHIM_DISABLE).
_STACK_VARIABLES = ("TF_USE_LEGACY_KERAS", "LEGACY_SHIM_DISABLE", "LEGACY_SHIM_PREDICT_LOCK",
                    "LEGACY_SHIM_REPORT")


def shim_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: repo importable, TF quiet, caller's extras.

    A ``PYTHONPATH`` in ``extra`` goes in front of the repo root, so a test can put a
    different ``legacy_shim`` first.
    """
    env = {k: v for k, v in os.environ.items() if k not in _STACK_VARIABLES}
    extra = dict(extra or {})
    paths = [p for p in (extra.pop("PYTHONPATH", None), str(REPO_ROOT),
                         env.get("PYTHONPATH")) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra)
    return env


_FUTURE_IMPORT = re.compile(rb"^from\s+__future__\s+import\b")
# PEP 263: a coding declaration only counts on line 1 or 2.
_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def write_shim_first_copy(app_dir: Path, entry: str = "app.py") -> Path:
    """Write ``app_dir/SHIM_FIRST_ENTRY``: ``entry`` with ``import legacy_shim`` first.

    The import becomes the first statement: after a shebang / coding declaration
    (which must stay on lines 1-2) and after ``from __future__`` imports (which must
    precede all other statements). Every other byte is kept, line endings included.
    """
    lines = (app_dir / entry).read_bytes().splitlines(keepends=True)
    insert_at = 0
    for i, line in enumerate(lines[:2]):
        if _CODING_COOKIE.match(line) or (i == 0 and line.startswith(b"#!")):
            insert_at = i + 1
    for i, line in enumerate(lines):
        if _FUTURE_IMPORT.match(line):
            insert_at = i + 1
    lines.insert(insert_at, b"import legacy_shim\n")
    target = app_dir / SHIM_FIRST_ENTRY
    target.write_bytes(b"".join(lines))
    return target


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the test process is killed outright
    # (no finally blocks run), the kernel sends the server SIGKILL instead of leaving it
    # listening. Linux only; elsewhere the context manager's cleanup is all there is.
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    # The server runs in its own session, so its pgid is its pid: this ends the server
    # and everything it forked (gunicorn workers), and nothing else.
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)


def _parent_death_hook() -> Callable[[], None] | None:
    # The death signal fires when the *thread* that forked exits, so it is only safe to
    # ask for it from the main thread, which lives as long as the test process.
    if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
        return _die_with_parent
    return None


@dataclass
class RunningServer:
    """A started server: where it listens and where its stderr goes."""

    base_url: str
    proc: subprocess.Popen
    stderr_path: Path
    _final_stderr: str | None = None

    def stderr(self) -> str:
        """The server's stderr so far; after the server stopped, all of it."""
        if self._final_stderr is not None:
            return self._final_stderr
        return _tail(self.stderr_path, limit=10**9)

    def _close(self) -> None:
        # Keep the text for assertion messages written after the `with`, drop the file.
        self._final_stderr = self.stderr()
        with contextlib.suppress(OSError):
            self.stderr_path.unlink()


@contextlib.contextmanager
def serve(app_dir: Path, server: str, port: int | None = None,
          env: dict[str, str] | None = None, entry: str = "app.py",
          ready_path: str = "/", timeout: float = READY_TIMEOUT,
          attempts: int = 3) -> Iterator[RunningServer]:
    """Start ``server`` (a key of `SERVERS`) on ``app_dir`` and yield it once it answers.

    The server runs with cwd = ``app_dir`` in its own process group, which is killed on
    exit whatever happens in the ``with`` body. Its stderr goes to a file that is shown
    in any `ServerFailed`. ``port=None`` picks a free port (and retries on a clash).
    """
    kind = SERVERS[server]
    app_dir = Path(app_dir)
    if server == "flask-import":
        write_shim_first_copy(app_dir, entry)
    last_error: ServerFailed | None = None
    for _ in range(attempts):
        this_port = port or free_port()
        child_env = shim_env({**(env or {}), "HOST": "127.0.0.1", "PORT": str(this_port)})
        fd, name = tempfile.mkstemp(prefix=f"serve-{server}-", suffix=".stderr")
        stderr_path = Path(name)
        with os.fdopen(fd, "wb") as err:
            proc = subprocess.Popen(kind.argv(this_port, entry), cwd=app_dir, env=child_env,
                                    stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                    start_new_session=True, preexec_fn=_parent_death_hook())
        running = RunningServer(f"http://127.0.0.1:{this_port}", proc, stderr_path)
        try:
            try:
                wait_ready(running.base_url + ready_path, timeout, proc, stderr_path)
            except ServerFailed as exc:
                last_error = exc
                if port is None and re.search(r"Address already in use|Errno 98", str(exc)):
                    continue
                raise
            yield running
            return
        finally:
            _kill_group(proc)
            running._close()
    assert last_error is not None
    raise last_error


# -------------------------------------------------------------------------- burners

# A busy-loop bounded in time, so a burner left behind by a killed test ends by itself.
_BURNER_SCRIPT = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end: pass\n"


def burner_count() -> int:
    """One burner per core the process may run on: every core busy."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def cpu_burners(count: int | None = None, max_seconds: float = 1800.0) -> Iterator[list[subprocess.Popen]]:
    """``count`` processes (default: one per core) spinning in a busy loop during the ``with``.

    An ordinary day on a shared box: the server's threads get the CPU late and in slices,
    which opens the windows between one request's steps that a quiet machine keeps shut.
    Each burner stops after ``max_seconds`` whatever happens, and is killed on exit.
    """
    procs = []
    try:
        for _ in range(count if count is not None else burner_count()):
            procs.append(subprocess.Popen([sys.executable, "-c", _BURNER_SCRIPT, str(max_seconds)],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True,
                                          preexec_fn=_parent_death_hook()))
        yield procs
    finally:
        for proc in procs:
            _kill_group(proc)


# ------------------------------------------------------------------------- reference

_REFERENCE_SCRIPT = r"""
import base64, json, os, sys
import legacy_shim  # first, as a user would
app_dir, route, payload_file, module, result_file = sys.argv[1:6]
os.chdir(app_dir)
sys.path.insert(0, app_dir)
payloads = json.load(open(payload_file))
mod = __import__(module)
out = []
if hasattr(mod, "app"):
    from werkzeug.test import Client  # the entry's WSGI object `app`: Flask or Django alike
    client = Client(mod.app)
    for p in payloads:
        r = client.post(route, json=p)
        out.append([r.status_code, base64.b64encode(r.get_data()).decode()])
else:  # a Tornado app: its make_app() served by an event loop in another thread
    from fixtures import tornado_client
    with tornado_client.served(mod.make_app()) as port:
        for p in payloads:
            status, body = tornado_client.post(port, route, p)
            out.append([status, base64.b64encode(body).decode()])
# A file, not stdout: apps print ("Loading model...") at import.
with open(result_file, "w") as f:
    json.dump(out, f)
"""


def _run_child(argv: Sequence[str], cwd: Path, env: dict[str, str] | None,
               timeout: float, what: str) -> str:
    proc = subprocess.run(list(argv), cwd=cwd, env=shim_env(env), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise ServerFailed(f"{what} exited with code {proc.returncode}\n"
                           f"--- stderr ---\n{proc.stderr[-6000:]}")
    return proc.stdout


def reference(app_dir: Path, payloads: Sequence[dict], route: str = "/predict",
              env: dict[str, str] | None = None, module: str = "app",
              timeout: float = 300.0) -> list[bytes]:
    """Single-threaded reference bodies, computed in a separate interpreter.

    That process imports the shim, then the app module, and posts each payload in order
    through Werkzeug's test client to the module's WSGI object ``app`` (Flask or Django):
    no server, no second thread; a Tornado app (no ``app``, a ``make_app()``) is served on
    127.0.0.1 by one event loop and sent the payloads one at a time. A non-200 answer is an
    error here, since a reference must be a correct answer.
    """
    app_dir = Path(app_dir)
    with tempfile.TemporaryDirectory(prefix="reference-") as tmp:
        payload_file, result_file = Path(tmp) / "payloads.json", Path(tmp) / "answers.json"
        payload_file.write_text(json.dumps(list(payloads)))
        _run_child([sys.executable, "-c", _REFERENCE_SCRIPT, str(app_dir), route,
                    str(payload_file), module, str(result_file)], app_dir, env, timeout,
                   "reference run")
        answers = json.loads(result_file.read_text())
    bodies = []
    for i, (status, body) in enumerate(answers):
        raw = base64.b64decode(body)
        if status != 200:
            raise ServerFailed(f"reference answer {i} has status {status}: {raw[:500]!r}")
        bodies.append(raw)
    return bodies


# ---------------------------------------------------------------------------- hammer


@dataclass(frozen=True)
class Response:
    """One request as a client saw it."""

    client: int
    payload_index: int
    status: int | None  # None: no HTTP answer (connection error, timeout)
    body: bytes
    error: str | None = None


@dataclass(repr=False)
class HammerResult:
    """What `hammer` saw: every response, and which of them were wrong."""

    responses: list[Response]
    elapsed: float
    expected: int  # requests that should have been made
    errors: list[Response] = field(default_factory=list)       # no answer, or non-200
    mismatches: list[Response] = field(default_factory=list)   # 200 but body != reference

    def __repr__(self) -> str:
        # Hundreds of response bodies would bury the assertion message.
        return f"HammerResult({self.summary(limit=0)})"

    @property
    def requests_per_second(self) -> float:
        """Completed requests per wall-clock second."""
        return len(self.responses) / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> bool:
        """True when every expected request got the reference body."""
        return (not self.errors and not self.mismatches
                and len(self.responses) == self.expected)

    def summary(self, limit: int = 5) -> str:
        """A readable account of what went wrong, for an assertion message."""
        lines = [f"{len(self.responses)}/{self.expected} requests, {len(self.errors)} errors, "
                 f"{len(self.mismatches)} mismatches in {self.elapsed:.1f} s"]
        for r in self.errors[:limit]:
            lines.append(f"  error   client {r.client} payload {r.payload_index} "
                         f"status {r.status}: {r.error or r.body[:400]!r}")
        for r in self.mismatches[:limit]:
            lines.append(f"  mismatch client {r.client} payload {r.payload_index}: "
                         f"{r.body[:300]!r}")
        return "\n".join(lines)


def hammer(base_url: str, route: str, payloads: Sequence[dict], clients: int = 16,
           per_client: int = 25, expected: Sequence[bytes] | None = None,
           request_timeout: float = 30.0, total_timeout: float = 600.0,
           max_errors: int = 16, stagger: float = 0.0) -> HammerResult:
    """Send ``clients * per_client`` POSTs from ``clients`` concurrent threads.

    Each client thread has its own ``requests.Session`` and walks the payloads from its
    own offset, so at any moment different clients send different inputs. Every answer
    is recorded with its payload index and compared byte for byte with
    ``expected[payload_index]`` when given. All clients start together (a barrier), so
    the first requests race, which is where lazy predict-function building breaks.
    A request not answered in ``request_timeout`` is an error; clients stop sending
    after ``total_timeout``, and all of them once ``max_errors`` requests got no 200
    (a hung or crashing server should fail a test quickly, not after every request has
    timed out); unsent requests show as a shortfall against ``expected``.
    ``stagger`` > 0 delays client ``c``'s first request by ``c * stagger`` seconds after
    the start line, so that first requests keep arriving while the earliest are still in
    their first steps (loading a model, say), as real traffic does.
    """
    if not payloads:
        raise ValueError("hammer needs at least one payload")
    url = base_url.rstrip("/") + route
    start_line = threading.Barrier(clients)
    stop_at = [0.0]
    failures = [0]
    count_lock = threading.Lock()
    per_thread: list[list[Response]] = [[] for _ in range(clients)]

    def client(c: int) -> None:
        out = per_thread[c]
        with requests.Session() as session:
            start_line.wait()
            if stagger > 0:
                time.sleep(c * stagger)
            for i in range(per_client):
                if time.monotonic() > stop_at[0] or failures[0] >= max_errors:
                    return
                idx = (c * per_client + i) % len(payloads)
                try:
                    r = session.post(url, json=payloads[idx], timeout=request_timeout)
                    answer = Response(c, idx, r.status_code, r.content)
                except requests.RequestException as exc:
                    answer = Response(c, idx, None, b"", f"{type(exc).__name__}: {exc}")
                out.append(answer)
                if answer.status != 200:
                    with count_lock:
                        failures[0] += 1

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    t0 = time.monotonic()
    stop_at[0] = t0 + total_timeout
    for t in threads:
        t.start()
    for t in threads:
        # A thread stuck past its request timeout is a bug in requests, not the server;
        # the join bound keeps the harness itself from hanging either way.
        t.join(total_timeout + request_timeout + 30)
    elapsed = time.monotonic() - t0
    responses = [r for rs in per_thread for r in rs]
    result = HammerResult(responses, elapsed, clients * per_client)
    for r in responses:
        if r.status != 200:
            result.errors.append(r)
        elif expected is not None and r.body != expected[r.payload_index]:
            result.mismatches.append(r)
    return result


# ----------------------------------------------------------------------------- workers

# Runs a worker script with its thread pool made serial, on the main thread: the answers
# a worker gives when nothing runs concurrently. Bare threading.Thread is left alone:
# TF and libraries start their own threads, which must not be run inline.
_WORKER_REFERENCE_SCRIPT = r"""
import concurrent.futures, os, runpy, sys
import legacy_shim  # first, as a user would

class SerialExecutor(concurrent.futures.Executor):
    def __init__(self, *args, **kwargs):
        pass
    def submit(self, fn, /, *args, **kwargs):
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future

concurrent.futures.ThreadPoolExecutor = SerialExecutor
import concurrent.futures.thread
concurrent.futures.thread.ThreadPoolExecutor = SerialExecutor

entry = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, os.getcwd())
runpy.run_path(entry, run_name="__main__")
"""


def worker_reference(app_dir: Path, payloads: Sequence[dict], entry: str = "app.py",
                     env: dict[str, str] | None = None, timeout: float = 300.0) -> str:
    """A worker app's stdout when run under the shim with all its concurrency made serial.

    A separate interpreter imports the shim, replaces ``ThreadPoolExecutor`` with an
    executor that runs each task at once on the calling thread, then runs the script as
    ``__main__`` on ``payloads``: the same code path as a real run, minus the pool's
    threads.
    """
    app_dir = Path(app_dir)
    input_file = app_dir / "input-reference.json"
    input_file.write_text(json.dumps(list(payloads)))
    return _run_child([sys.executable, "-c", _WORKER_REFERENCE_SCRIPT, entry, input_file.name],
                      app_dir, env, timeout, "worker reference run")



def run_worker(app_dir: Path, payloads: Sequence[dict], way: str, entry: str = "app.py",
               env: dict[str, str] | None = None, timeout: float = 300.0) -> str:
    """Run a worker app on ``payloads`` under the shim and return its stdout.

    ``way`` is "import" (a copy of the script with ``import legacy_shim`` first) or
    "runner" (``python -m legacy_shim app.py``). The input file is written next to
    the app, as its users would.
    """
    app_dir = Path(app_dir)
    input_file = app_dir / f"input-{way}.json"
    input_file.write_text(json.dumps(list(payloads)))
    if way == "import":
        argv = [sys.executable, write_shim_first_copy(app_dir, entry).name, input_file.name]
    elif way == "runner":
        argv = [sys.executable, "-m", "legacy_shim", entry, input_file.name]
    else:
        raise ValueError(f"unknown way {way!r}: 'import' or 'runner'")
    return _run_child(argv, app_dir, env, timeout, f"worker ({way})")
