"""Issue 9, migrated handlers stay fast: a class-wrapped predictor, a helper-function app, and a
predictor class and helper function of another module, handed the graph and session.

For each app, two servers run at once on 127.0.0.1: (a) the legacy fixture app under the shim
and (c) `python -m migrate --write` output of a copy (its model files upgraded by the tool), no
shim, Keras 3. Rounds rotate through the servers (two per app); per round and server, the batch-1
latency of one client. The goal: (c)/(a) p50 latency <= 1.1x for each app.

    python benchmarks/run.py --only predictor
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks import rounds, servers
from benchmarks.app_variants import REPO_ROOT, _env
from benchmarks.report import Section, check, fmt, ratio
from fixtures import catalog

# fixture app → what it shows
APPS = {
    "predictor_class": "class Predictor keeps model, graph and session on self; a route calls predictor.predict(x)",
    "graph_through_helpers": "helper functions receive the model and graph from the route",
    "helper_carriers": ("app.py hands model, graph and session to inference.py's Predictor and top_class "
                        "(on the Flask app, in a dict); both modules migrated together"),
}


def _prepare(workdir: Path, apps: dict[str, str]) -> dict[str, dict[str, Path]]:
    folders: dict[str, dict[str, Path]] = {}
    for name in apps:
        app = catalog.get_app(name)
        legacy = catalog.prepare(app, workdir / f"{name}-legacy")
        migrated = catalog.prepare(app, workdir / f"{name}-migrated")
        proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--quiet", str(migrated)],
                              capture_output=True, text=True, cwd=str(REPO_ROOT), env=_env())
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"migrate failed on {name}: {proc.stderr[-2000:]}")
        code = (migrated / app.entry).read_text()
        juggling_left = any("as_default" in f.read_text() for f in migrated.rglob("*.py"))
        if code == (app.path / app.entry).read_text() or juggling_left:
            raise RuntimeError(f"migrate did not migrate {name}: its output is not a modern app to measure")
        folders[name] = {"legacy": legacy, "migrated": migrated}
    return folders


def _same(reference: bytes, answer: bytes) -> bool:
    ref, got = json.loads(reference), json.loads(answer)
    return np.allclose(ref["predictions"], got["predictions"], rtol=1e-5, atol=1e-6)


ISSUE_9_TITLE = "Migrated handlers stay fast: class-wrapped predictor and helper functions (issue 9)"


def run(workdir: Path, quick: bool = False, apps: dict[str, str] | None = None,
        title: str = ISSUE_9_TITLE) -> list[Section]:
    """Serve each of `apps` (fixture app → what it shows) legacy and migrated side by side; one table."""
    APPS = globals()["APPS"] if apps is None else apps  # noqa: N806 (the module's table by default)
    n_rounds, seconds = (2, 1.0) if quick else (5, 2.0)
    folders = _prepare(workdir, APPS)
    started: dict[str, servers.Server] = {}
    bodies: dict[str, list[bytes]] = {}
    agree: dict[str, bool] = {}
    try:
        for name in APPS:
            app = catalog.get_app(name)
            entry = app.entry
            for side, argv in (("legacy", [sys.executable, "-m", "legacy_shim", entry]),
                               ("migrated", [sys.executable, entry])):
                port = servers.free_port()
                started[f"{name}:{side}"] = servers.Server(f"{name}:{side}", argv, folders[name][side], port,
                                                           servers.bench_env())
        for name in APPS:
            app = catalog.get_app(name)
            bodies[name] = servers.encode([{"instances": b["instances"][:1]} for b in catalog.payloads(app, 64, seed=5)])
            for side in ("legacy", "migrated"):
                started[f"{name}:{side}"].wait_ready(app.route)
            checks = servers.encode(catalog.payloads(app, 8, seed=7))
            answers = {side: [servers.post(started[f"{name}:{side}"].port, app.route, b)[1] for b in checks]
                       for side in ("legacy", "migrated")}
            agree[name] = all(_same(r, a) for r, a in zip(answers["legacy"], answers["migrated"]))
            for side in ("legacy", "migrated"):  # first requests build functions, fill caches
                servers.load(started[f"{name}:{side}"].port, app.route, bodies[name], 2, requests=20)

        def measure(key: str, _round: int) -> dict[str, float]:
            name = key.split(":")[0]
            server = started[key]
            single = servers.load(server.port, catalog.get_app(name).route, bodies[name], 1, seconds=seconds)
            return {"latency_ms": statistics.median(single.latencies) * 1e3 if single.latencies else float("nan")}

        results = rounds.interleave(list(started), n_rounds, measure)
    finally:
        for server in started.values():
            server.stop()
    rows, goals = [], []
    for name, what in APPS.items():
        legacy, migrated = results[f"{name}:legacy"]["latency_ms"], results[f"{name}:migrated"]["latency_ms"]
        c_a = rounds.paired_ratio(migrated, legacy)
        rows.append([name, what, fmt(legacy.median, 2), fmt(migrated.median, 2), ratio(c_a),
                     "yes" if agree[name] else "NO"])
        goals.append(check(f"{name}: (c)/(a) latency", c_a, "<=", 1.1))
    caption = [
        f"(a) the fixture app under the shim (python -m legacy_shim app.py); (c) `python -m migrate --write` output, "
        f"no shim, Keras 3, its model file upgraded by the tool. Latency: one client, batch-1 requests, median over "
        f"{seconds:g} s; each figure the median of {n_rounds} rounds rotating through the {2 * len(APPS)} servers, "
        "all running at once; ratios are medians of per-round ratios. Same answers: 8 request bodies (batch 1-4), "
        "rtol 1e-5.",
    ]
    return [Section(title,
                    ["app", "what it shows", "(a) legacy under the shim, ms", "(c) migrated, Keras 3, ms",
                     "(c)/(a)", "same answers"], rows, caption, goals)]
