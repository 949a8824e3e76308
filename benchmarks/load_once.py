"""Issue 2 (2): a handler that does ``K.clear_session(); load_model(...)`` per request.

fixtures/apps/load_per_request is served by its own threaded ``app.run`` under the
shim's runner twice at once: with the shim's load-once cache, and with it disabled
(``LEGACY_SHIM_DISABLE=load-once,clear-session-guard``: the app as written, each request
really clearing the session and reloading). Rounds alternate between the two servers, each
round a fixed time of closed-loop load from concurrent clients; req/s is the median.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks import rounds, servers
from benchmarks.report import Section, check, fmt, ratio
from fixtures import catalog

APP = "load_per_request"
VARIANTS = {
    "load-once": ("shim, load-once on (default)", {}),
    # The app as written: each request really clears the session and reloads the model.
    "no-load-once": (
        "shim, LEGACY_SHIM_DISABLE=load-once,clear-session-guard",
        {"LEGACY_SHIM_DISABLE": "load-once,clear-session-guard"},
    ),
}


def run(workdir: Path, quick: bool = False) -> Section:
    """Serve the app both ways side by side and return the table."""
    n_rounds, seconds, clients = (2, 2.0, 4) if quick else (5, 5.0, 4)
    app = catalog.get_app(APP)
    bodies = servers.encode(catalog.payloads(app, 32, seed=2))
    started: dict[str, servers.Server] = {}
    try:
        for key, (_, env) in VARIANTS.items():
            folder = catalog.prepare(app, workdir / f"load-once-{key}")
            started[key] = servers.Server(key, [sys.executable, "-m", "legacy_shim", app.entry], folder,
                                          servers.free_port(), servers.bench_env(**env))
        for server in started.values():
            server.wait_ready(app.route)
            # the first load happens either way; it is not what differs
            servers.load(server.port, app.route, bodies[:1], 1, requests=1)
        answers: dict[str, dict[int, bytes]] = {k: {} for k in VARIANTS}
        errors: dict[str, list[str]] = {k: [] for k in VARIANTS}

        def measure(key: str, _round: int) -> dict[str, float]:
            result = servers.load(started[key].port, app.route, bodies, clients, seconds=seconds)
            for i, a in result.answers.items():
                answers[key].setdefault(i, a)
            errors[key].extend(result.errors)
            return {"rps": result.per_second, "latency_ms": _median(result.latencies) * 1e3}

        results = rounds.interleave(list(VARIANTS), n_rounds, measure)
        memory = {k: s.memory_kib() for k, s in started.items()}
    finally:
        for server in started.values():
            server.stop()
    common = set(answers["load-once"]) & set(answers["no-load-once"])
    mismatched = [i for i in common if answers["load-once"][i] != answers["no-load-once"][i]]
    rows = [[VARIANTS[k][0], fmt(results[k]["rps"].median, 1), fmt(results[k]["latency_ms"].median, 1),
             fmt(memory[k]["peak"] / 1024), str(len(errors[k]))] for k in VARIANTS]
    speedup = rounds.paired_ratio(results["load-once"]["rps"], results["no-load-once"]["rps"])
    rows.append(["load-once / no load-once", ratio(speedup), "", "", ""])
    caption = [
        f"{APP} (K.clear_session() + load_model + predict in the handler), its own threaded `app.run` started by "
        f"`python -m legacy_shim app.py`; {clients} concurrent clients, closed loop, {n_rounds} alternating rounds of "
        f"{seconds:g} s per server; median req/s and median latency over rounds; ratio = median of per-round ratios.",
        f"Answers for the same request body compared byte for byte between the two servers: {len(common)} bodies, "
        + (f"{len(mismatched)} DIFFERENT." if mismatched else "all identical."),
    ]
    for k in VARIANTS:
        if errors[k]:
            caption.append(f"{VARIANTS[k][0]}: {len(errors[k])} failed requests, first: {errors[k][0][:200]}")
    return Section("Per-request load_model app: the shim's load-once cache",
                   ["server", "req/s", "median latency ms", "peak RSS MiB", "errors"], rows, caption,
                   [check("load-once speed-up (req/s)", speedup, ">=", 50)])


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else float("nan")
