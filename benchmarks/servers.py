"""Real servers on 127.0.0.1 and a bounded load generator that talks to them.

A server is started as its users start it (the app's own ``app.run``, gunicorn ...)
in its app folder, polled until it answers, and stopped by its process group. The
load generator is a closed loop: ``clients`` threads, each sending its next request
when the previous answer arrived, so the load is bounded by construction.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# importing TF and building the graph on a busy 2-core box can take a while
READY_TIMEOUT = 240.0


class ServerFailed(RuntimeError):
    """The server died or never answered; the message carries its stderr."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(**extra: str) -> dict:
    """The environment a benchmark server runs in: this repo importable, TF quiet."""
    env = dict(os.environ)
    for name in ("TF_USE_LEGACY_KERAS", "LEGACY_SHIM_DISABLE", "LEGACY_SHIM_REPORT"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(extra)
    return env


class Server:
    """One server process: ``argv`` run in ``cwd``, listening on ``port``."""

    def __init__(self, name: str, argv: list[str], cwd: Path, port: int, env: dict):
        self.name, self.port, self.cwd = name, port, Path(cwd)
        self.stderr_path = self.cwd / f"server-{port}.stderr"
        env = dict(env, PORT=str(port), HOST="127.0.0.1")
        with open(self.stderr_path, "wb") as err:
            # own process group: gunicorn's workers go down with their master
            self.proc = subprocess.Popen(argv, cwd=str(cwd), env=env, stdout=subprocess.DEVNULL,
                                         stderr=err, start_new_session=True)

    def wait_ready(self, route: str, timeout: float = READY_TIMEOUT) -> None:
        """Poll until the server answers any HTTP status on ``route`` (a GET: 405 is fine)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.proc.returncode}:\n{self.stderr_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", route)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed(f"{self.name} did not answer within {timeout:.0f} s:\n{self.stderr_tail()}")
            time.sleep(0.3)

    def stderr_tail(self, limit: int = 3000) -> str:
        """The end of the server's stderr."""
        try:
            return self.stderr_path.read_text(errors="replace")[-limit:]
        except OSError:
            return "<no stderr>"

    def last_exception(self) -> str:
        """The last exception line the server logged (its traceback's final line), or ''."""
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        start = text.rfind("Traceback (most recent call last)")
        if start < 0:
            return ""
        lines = [line for line in text[start:].splitlines()[1:] if line and not line.startswith((" ", "127.0.0.1"))]
        return lines[0][:300] if lines else ""

    def pids(self) -> list[int]:
        """The server process and its children (gunicorn workers)."""
        pids = [self.proc.pid]
        try:
            for line in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split():
                pids.append(int(line))
        except OSError:
            pass
        return pids

    def memory_kib(self) -> dict[str, int]:
        """Current (VmRSS) and peak (VmHWM) resident memory in KiB, summed over its processes."""
        total = {"rss": 0, "peak": 0}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total["rss"] += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    total["peak"] += int(line.split()[1])
        return total

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()


def post(port: int, route: str, body: bytes, timeout: float = 120.0) -> tuple[int, bytes]:
    """One POST on a fresh connection (the Flask dev server closes each one anyway)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", route, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class LoadResult:
    """What a load run saw."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    answers: dict[int, bytes] = field(default_factory=dict)  # body index -> first answer seen

    @property
    def per_second(self) -> float:
        """Successful requests per second."""
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def load(port: int, route: str, bodies: list[bytes], clients: int, *,
         requests: int | None = None, seconds: float | None = None) -> LoadResult:
    """Closed-loop load: ``clients`` threads send ``bodies`` round-robin until ``requests``
    were sent in all or ``seconds`` have passed, whichever is given."""
    result = LoadResult()
    lock = threading.Lock()
    counter = iter(range(10**12))
    start = time.perf_counter()
    deadline = start + seconds if seconds is not None else None

    def client() -> None:
        while True:
            with lock:
                i = next(counter)
            if (requests is not None and i >= requests) or (deadline is not None and time.perf_counter() > deadline):
                return
            body_index = i % len(bodies)
            t0 = time.perf_counter()
            try:
                status, answer = post(port, route, bodies[body_index])
            except OSError as exc:
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            took = time.perf_counter() - t0
            with lock:
                if status == 200:
                    result.latencies.append(took)
                    result.answers.setdefault(body_index, answer)
                else:
                    result.errors.append(f"HTTP {status}: {answer[:200]!r}")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - start
    return result


def encode(bodies: list[dict]) -> list[bytes]:
    """Request bodies as the bytes the clients send."""
    return [json.dumps(b).encode() for b in bodies]
