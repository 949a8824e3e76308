"""Every fixture app under legacy_shim, 16 concurrent clients, with every core kept busy.

On a quiet machine a request thread runs its few steps (clear_session, load_model,
predict) before the next thread gets the CPU; on a shared box (an ordinary day) threads
are cut off anywhere, and a window between one request's steps that never opened before
opens. Here ``harness.cpu_burners`` runs one ``while True: pass`` process per core beside
the server while the clients hammer it; every body must be byte-identical to the
single-threaded reference, on every run.

Apps: every app of ``fixtures/apps`` on tf_keras (flask apps on their own threaded
``app.run`` with ``import legacy_shim`` first, or waitress for a ``threaded=False`` app;
worker apps with their thread pool), and every standalone-Keras app of
``fixtures/standalone_keras/apps`` on real Keras 2.2.4 and 2.3.1.

Bounded by default (CI): the cases where a first-request race can break something, a few
requests per client, one run each. ``SOAK=1``: every case, 25 requests per client,
``CONTENTION_RUNS`` runs each (3 by default), each run a fresh server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures import catalog, standalone_keras
from tests.standalone_keras import wheels

from . import harness
from .conftest import CLIENTS, soak_requested

N_PAYLOADS = 48
TF_KERAS = "tf_keras"

# The bounded (CI) set: the per-request idiom on each Keras (clear_session + load_model in
# every handler, the race of issue 12), and the apps whose first predicts build the
# predict function concurrently.
BOUNDED = {
    ("load_per_request", TF_KERAS),
    ("global_graph", TF_KERAS),
    ("keras2_per_request", "2.2.4"),
    ("keras2_per_request", "2.3.1"),
}
BOUNDED_PER_CLIENT = 6
# Client c sends its first request c * STAGGER s after the start: across the 16 clients the
# first requests keep arriving for ~1.5 s, through the first loads' windows.
STAGGER = 0.1
SOAK_PER_CLIENT = 25

pytestmark = [pytest.mark.soak, pytest.mark.slow(reason="a soak: CPU burners on every core while real servers "
                                                          "answer 16 clients, per app and Keras")]


@dataclass(frozen=True)
class Case:
    """One app on one Keras."""

    app: catalog.FixtureApp
    keras: str  # TF_KERAS, or a standalone Keras version

    @property
    def id(self) -> str:
        return f"{self.app.name}-{self.keras}"

    def env(self) -> dict[str, str]:
        return {} if self.keras == TF_KERAS else {"PYTHONPATH": str(wheels.keras_dir(self.keras))}


def _cases() -> list[Case]:
    cases = [Case(app, TF_KERAS) for app in catalog.all_apps()]
    cases += [Case(app, version) for app in standalone_keras.all_apps() for version in standalone_keras.KERAS_VERSIONS]
    return cases


def _params(soak: bool) -> list:
    return [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"contention-{c.id}"))
            for c in _cases() if soak or (c.app.name, c.keras) in BOUNDED]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", _params(soak_requested(metafunc.config)))


def runs_requested(config: pytest.Config) -> int:
    """Fresh-server runs per case: 1 bounded, ``CONTENTION_RUNS`` (default 3) in the soak."""
    return int(os.environ.get("CONTENTION_RUNS", "3")) if soak_requested(config) else 1


@pytest.fixture(scope="session")
def contention_reference(tmp_path_factory):
    """``contention_reference(case)``: the app laid out once, and its reference answers.

    The reference is computed on a quiet machine (no burners): a single thread has no
    window to lose. It runs first, so an app that builds and saves its own model on first
    start (keras2_flask) has done so before any server starts.
    """
    cache = {}

    def get(case: Case):
        if case.id not in cache:
            app = case.app
            app_dir = catalog.prepare(app, tmp_path_factory.mktemp("contention") / case.id)
            if app.kind == "worker":
                bodies = catalog.payloads(app, CLIENTS * SOAK_PER_CLIENT)
                expected = harness.worker_reference(app_dir, bodies, entry=app.entry, env=case.env())
                expected = expected.strip().splitlines()[-1]
            else:
                bodies = catalog.payloads(app, N_PAYLOADS)
                expected = harness.reference(app_dir, bodies, route=app.route, module=app.entry[:-3], env=case.env())
            cache[case.id] = (app_dir, bodies, expected)
        return cache[case.id]

    return get


def serve_under_contention(case: Case, app_dir: Path, bodies: list, expected: list[bytes], per_client: int,
                           runs: int, env: dict[str, str] | None = None) -> list[str]:
    """Serve ``case`` ``runs`` times with every core busy; returns one line per failed run."""
    server = "flask-import" if case.app.threaded_ok else "waitress"
    failures = []
    for run in range(runs):
        with harness.cpu_burners():
            try:
                with harness.serve(app_dir, server, entry=case.app.entry, env={**case.env(), **(env or {})}) as running:
                    result = harness.hammer(running.base_url, case.app.route, bodies, clients=CLIENTS,
                                            per_client=per_client, expected=expected, stagger=STAGGER)
                    stderr = running.stderr()
            except harness.ServerFailed as exc:
                failures.append(f"run {run + 1}: server failed: {str(exc)[:3000]}")
                continue
        if not result.ok:
            failures.append(f"run {run + 1}: {result.summary(limit=3)}\n{harness.interesting_stderr(stderr, 3000)}")
    return failures


def test_app_under_contention_answers_like_the_reference(case, contention_reference, pytestconfig):
    app_dir, bodies, expected = contention_reference(case)
    soak = soak_requested(pytestconfig)
    per_client = SOAK_PER_CLIENT if soak else BOUNDED_PER_CLIENT
    runs = runs_requested(pytestconfig)
    if case.app.kind == "worker":
        failures = []
        for run in range(runs):
            with harness.cpu_burners():
                got = harness.run_worker(app_dir, bodies, "import", entry=case.app.entry, env=case.env())
            if got.strip().splitlines()[-1] != expected:
                failures.append(f"run {run + 1}: the worker's output differs from the serial reference")
    else:
        failures = serve_under_contention(case, app_dir, bodies, expected, per_client, runs)
    assert not failures, f"{len(failures)} of {runs} runs failed under {harness.burner_count()} CPU burners:\n" + \
        "\n".join(failures)
