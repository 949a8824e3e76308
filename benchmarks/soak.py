"""Full concurrency soak: every fixture app under legacy_shim, on every server kind.

    python benchmarks/soak.py [--clients 16] [--per-client 200] [--apps a,b] [--servers s,t]

Each flask app is served by each server (its own app.run with ``import legacy_shim``
first, the shim's runner, waitress, gunicorn sync/gthread/--preload), hammered by
concurrent clients, and every body compared with a single-threaded reference from
another interpreter; worker apps run both ways on clients x per-client payloads.
Prints one row per (app, server) and exits 1 if any request errored, any body differed
from the reference, or a server failed to start (0 when all clean).

A long run on purpose: it starts dozens of TF processes. Not part of the test suite;
``pytest tests/serving`` runs the same checks bounded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from fixtures.catalog import FixtureApp, all_apps, payloads, prepare  # noqa: E402
from tests.serving import harness  # noqa: E402

N_PAYLOADS = 48
WORKER_WAYS = ("import", "runner")


@dataclass
class Row:
    """One line of the table."""

    app: str
    server: str
    requests: int = 0
    errors: int = 0
    mismatches: int = 0
    req_per_s: float = 0.0
    note: str = ""

    @property
    def clean(self) -> bool:
        """No error, no mismatch, no failure to run (an expected refusal is clean)."""
        return not (self.errors or self.mismatches or
                    (self.note and not self.note.endswith("(expected)")))


def _servers_for(app: FixtureApp, servers: list[str]) -> list[str]:
    # a Tornado app has no WSGI object: only its own __main__ (an IOLoop) serves it
    if app.kind == "tornado":
        return [s for s in servers if harness.SERVERS[s].runs_app_main]
    # threaded=False apps serve one request at a time by their own run: not a soak.
    if app.threaded_ok:
        return servers
    return [s for s in servers if not harness.SERVERS[s].runs_app_main]


def soak_flask(app: FixtureApp, app_dir: Path, servers: list[str], clients: int,
               per_client: int) -> list[Row]:
    """Rows for one flask app across ``servers``."""
    bodies = payloads(app, N_PAYLOADS)
    try:
        expected = harness.reference(app_dir, bodies, route=app.route, module=app.entry[:-3])
    except harness.ServerFailed as exc:
        return [Row(app.name, "reference", note=_first_error(str(exc)))]
    rows = []
    for server in _servers_for(app, servers):
        row = Row(app.name, server)
        try:
            with harness.serve(app_dir, server, entry=app.entry) as running:
                # Refusals of --preload are fast 500s: let them all through to count them.
                max_errors = clients * per_client + 1 if server == "gunicorn-preload" else 16
                result = harness.hammer(running.base_url, app.route, bodies, clients=clients,
                                        per_client=per_client, expected=expected,
                                        max_errors=max_errors)
            row.requests, row.errors = len(result.responses), len(result.errors)
            row.mismatches, row.req_per_s = len(result.mismatches), result.requests_per_second
            if len(result.responses) < result.expected:
                row.note = f"only {len(result.responses)}/{result.expected} sent"
            if _refused_clearly(server, result, running.stderr()):
                # Every request refused with the fork advice: the shim's documented answer
                # to --preload, not a failure of it.
                row.errors = 0
                row.note = "refused: sessions created before fork (expected)"
            elif not result.ok:
                detail = harness.interesting_stderr(running.stderr())
                print(f"--- {app.name} / {server}: {result.summary()}\n{detail}", file=sys.stderr)
                row.note = row.note or _first_error(detail)
        except harness.ServerFailed as exc:
            row.note = _first_error(str(exc))
            print(f"--- {app.name} / {server}: {exc}", file=sys.stderr)
        rows.append(row)
        _print_row(row)
    return rows


def _refused_clearly(server: str, result: harness.HammerResult, stderr: str) -> bool:
    return (server == "gunicorn-preload" and len(result.errors) == result.expected
            and {r.status for r in result.errors} == {500}
            and bool(harness.PRELOAD_ADVICE.search(stderr)))


def soak_worker(app: FixtureApp, app_dir: Path, clients: int, per_client: int) -> list[Row]:
    """Rows for one worker app, run both ways against a serial reference."""
    bodies = payloads(app, clients * per_client)
    try:
        expected = harness.worker_reference(app_dir, bodies, entry=app.entry).strip().splitlines()[-1]
    except harness.ServerFailed as exc:
        return [Row(app.name, "reference", note=_first_error(str(exc)))]
    rows = []
    for way in WORKER_WAYS:
        row = Row(app.name, f"worker-{way}", requests=len(bodies))
        t0 = time.monotonic()
        try:
            got = harness.run_worker(app_dir, bodies, way, entry=app.entry).strip().splitlines()[-1]
            row.req_per_s = len(bodies) / (time.monotonic() - t0)
            row.mismatches = int(got != expected)
        except harness.ServerFailed as exc:
            row.errors, row.note = 1, _first_error(str(exc))
        rows.append(row)
        _print_row(row)
    return rows


def _first_error(text: str) -> str:
    for line in reversed(text.splitlines()):
        if "Error" in line or "Exception" in line or "exited" in line:
            return line.strip()[:100]
    return text.strip().splitlines()[0][:100] if text.strip() else "failed"


_HEADER = f"{'app':<24} {'server':<18} {'requests':>8} {'errors':>6} {'mismatch':>8} {'req/s':>8}  note"


def _print_row(row: Row) -> None:
    print(f"{row.app:<24} {row.server:<18} {row.requests:>8} {row.errors:>6} {row.mismatches:>8} "
          f"{row.req_per_s:>8.1f}  {row.note}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the soak; return 0 when every row is clean, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="benchmarks/soak.py", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=200)
    parser.add_argument("--apps", help="comma-separated app names (default: all)")
    parser.add_argument("--servers", default=",".join(harness.SERVERS),
                        help="comma-separated server kinds (default: all)")
    args = parser.parse_args(argv)

    apps = all_apps()
    if args.apps:
        wanted = set(args.apps.split(","))
        unknown = wanted - {a.name for a in apps}
        if unknown:
            parser.error(f"unknown apps: {sorted(unknown)}")
        apps = [a for a in apps if a.name in wanted]
    servers = args.servers.split(",")
    unknown = set(servers) - set(harness.SERVERS)
    if unknown:
        parser.error(f"unknown servers: {sorted(unknown)}; known: {list(harness.SERVERS)}")

    print(_HEADER, flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        for app in apps:
            app_dir = prepare(app, Path(tmp) / app.name)
            if app.kind == "worker":
                rows += soak_worker(app, app_dir, args.clients, args.per_client)
            else:
                rows += soak_flask(app, app_dir, servers, args.clients, args.per_client)
    bad = [r for r in rows if not r.clean]
    print(f"\n{len(rows)} runs, {sum(r.requests for r in rows)} requests, {len(bad)} not clean",
          flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
