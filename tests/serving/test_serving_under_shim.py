"""Every fixture app, run under legacy_shim by real servers, hammered by concurrent clients.

The legacy apps load their models on the main thread and predict from request threads
(or forked workers); that is what broke them. Each test starts a real server on
127.0.0.1, sends ``CLIENTS`` x ``per_client`` requests from concurrent clients whose first
requests race, and demands zero errors and every body byte-identical to a reference
computed single-threaded in another interpreter.

Tests of one app share an xdist group, so its model files and reference are made once
per worker; ports are picked per server, so groups run side by side.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from fixtures.catalog import FixtureApp, all_apps, meta, payloads, prepare

from . import harness
from .conftest import CLIENTS

APPS = all_apps()
# Flask and Django apps alike: a WSGI object `app` in the entry module
WSGI_APPS = [a for a in APPS if a.kind in ("flask", "django")]
WORKER_APPS = [a for a in APPS if a.kind == "worker"]
# Tornado apps serve themselves from their own __main__ (an IOLoop): no WSGI server can host them
TORNADO_APPS = [a for a in APPS if a.kind == "tornado"]
BY_NAME = {a.name: a for a in APPS}

# Distinct request bodies per app; clients cycle through them from different offsets.
N_PAYLOADS = 48

# Production servers on a representative subset: they cost a TF import per worker, and
# what they add (a thread pool not started by Flask, forked workers) does not depend on
# the app's idiom as much as on having graphs/sessions at all. Chosen: the most common
# idiom (module-level graph), the app that handles nothing itself, two graphs, and a
# Django project (the way Django sites are deployed).
PRODUCTION_SUBSET: dict[str, tuple[str, ...]] = {
    "waitress": ("global_graph", "make_predict_function", "two_graphs"),
    # A sync worker answers on the thread that loaded the app: one app shows it boots.
    "gunicorn-sync": ("global_graph",),
    "gunicorn-gthread": ("make_predict_function", "two_graphs", "django_appconfig"),
}
PRELOAD_APPS = ("global_graph",)

PRELOAD_ADVICE = harness.PRELOAD_ADVICE

pytestmark = pytest.mark.soak

# The default tier: one real server per serving style (the app's own threaded run, by import
# and by the runner; Django's and Tornado's own; waitress; gunicorn's sync and gthread workers),
# on the apps above. Every other app and server pair is the same check again: the slow tier.
DEFAULT_TIER = {
    "global_graph-flask-import", "two_graphs-flask-runner", "django_appconfig-flask-runner",
    "tornado_handlers-flask-runner", "single_threaded-waitress", "global_graph-gunicorn-sync",
    "make_predict_function-gunicorn-gthread",
}
SAME_CHECK_AGAIN = pytest.mark.slow(reason="the same server check on another app or server: the default tier "
                                           "serves one app per serving style (DEFAULT_TIER)")


def _case(app: FixtureApp, server: str) -> pytest.param:
    case_id = f"{app.name}-{server}"
    marks = [pytest.mark.xdist_group(app.name)] + ([] if case_id in DEFAULT_TIER else [SAME_CHECK_AGAIN])
    return pytest.param(app, server, id=case_id, marks=marks)


def _own_run_cases() -> list:
    cases = []
    for app in WSGI_APPS:
        # An app whose own __main__ says threaded=False would serve one request at a time:
        # nothing concurrent to test, so it gets a threaded WSGI server instead.
        servers = ("flask-import", "flask-runner") if app.threaded_ok else ("waitress",)
        cases += [_case(app, s) for s in servers]
    # the same two adoptions run a Tornado app's own `IOLoop.current().start()`
    cases += [_case(app, s) for app in TORNADO_APPS for s in ("flask-import", "flask-runner")]
    return cases


def _production_cases() -> list:
    return [_case(BY_NAME[name], server)
            for server, names in PRODUCTION_SUBSET.items() for name in names
            if name in BY_NAME and (server != "waitress" or BY_NAME[name].threaded_ok)]


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """``prepared(app)``: the app laid out with its models, once per test process."""
    dirs = {}

    def get(app: FixtureApp):
        if app.name not in dirs:
            dirs[app.name] = prepare(app, tmp_path_factory.mktemp("served") / app.name)
        return dirs[app.name]
    return get


@pytest.fixture(scope="session")
def flask_reference(prepared):
    """``flask_reference(app)``: single-threaded reference bodies for the app's payloads."""
    cache = {}

    def get(app: FixtureApp) -> list[bytes]:
        if app.name not in cache:
            cache[app.name] = harness.reference(prepared(app), payloads(app, N_PAYLOADS),
                                                route=app.route, module=app.entry[:-3])
        return cache[app.name]
    return get


@pytest.fixture(scope="session")
def worker_reference(prepared):
    """``worker_reference(app, bodies)``: the result line of a serial run of the worker."""
    cache = {}

    def get(app: FixtureApp, bodies: list[dict]) -> str:
        key = (app.name, len(bodies))
        if key not in cache:
            out = harness.worker_reference(prepared(app), bodies, entry=app.entry)
            cache[key] = _result_line(out)
        return cache[key]
    return get


def _hammer_and_check(server: harness.RunningServer, app: FixtureApp, expected: list[bytes],
                      per_client: int) -> harness.HammerResult:
    result = harness.hammer(server.base_url, app.route, payloads(app, N_PAYLOADS),
                            clients=CLIENTS, per_client=per_client, expected=expected)
    assert result.ok, (result.summary() + "\n--- server stderr ---\n"
                       + harness.interesting_stderr(server.stderr()))
    return result


@pytest.mark.parametrize(("app", "server"), _own_run_cases())
def test_app_served_by_its_own_run_under_shim(app, server, prepared, flask_reference, per_client):
    """The two zero-effort adoptions: `import legacy_shim` first, or the runner."""
    expected = flask_reference(app)
    with harness.serve(prepared(app), server, entry=app.entry) as running:
        _hammer_and_check(running, app, expected, per_client)


@pytest.mark.parametrize(("app", "server"), _production_cases())
def test_app_served_by_production_server_under_shim(app, server, prepared, flask_reference,
                                                    per_client):
    """waitress's thread pool and gunicorn's forked workers, started through the runner."""
    expected = flask_reference(app)
    with harness.serve(prepared(app), server, entry=app.entry) as running:
        _hammer_and_check(running, app, expected, per_client)


@pytest.mark.parametrize("app", [pytest.param(BY_NAME[n], id=n, marks=pytest.mark.xdist_group(n))
                                 for n in PRELOAD_APPS if n in BY_NAME])
def test_gunicorn_preload_serves_correctly_or_refuses_clearly(app, prepared, flask_reference,
                                                              per_client):
    """`--preload` imports the app, and so builds TF sessions, in the master before fork.

    TF sessions are not fork-safe: without the shim, a forked worker that inherited one
    hangs on its first predict until gunicorn kills it. Acceptable under the shim: every
    answer correct (it made preload work), or the server refusing at start, or every
    request refused at once; a refusal must say why (fork, --preload) and what to do.
    Not acceptable: a hang, a wrong answer, or some requests right and some refused.
    """
    expected = flask_reference(app)
    bodies = payloads(app, N_PAYLOADS)
    try:
        with harness.serve(prepared(app), "gunicorn-preload", entry=app.entry) as running:
            # One request first: a worker hung on an inherited session would otherwise
            # cost every client a full request timeout.
            try:
                requests.post(running.base_url + app.route, json=bodies[0], timeout=60)
            except requests.RequestException as exc:
                pytest.fail(f"gunicorn --preload under the shim: first request got no answer "
                            f"({type(exc).__name__}): a worker forked after TF was set up in "
                            f"the master hangs.\n--- server stderr ---\n"
                            + harness.interesting_stderr(running.stderr()))
            total = CLIENTS * per_client
            # Refusals are expected answers here, so let every request through.
            result = harness.hammer(running.base_url, app.route, bodies, clients=CLIENTS,
                                    per_client=per_client, expected=expected, max_errors=total + 1)
            stderr = running.stderr()
    except harness.ServerFailed as refused_at_start:
        assert "exited with code" in str(refused_at_start), str(refused_at_start)
        assert PRELOAD_ADVICE.search(str(refused_at_start)), (
            "the server stopped under --preload without saying why and what to do:\n"
            + str(refused_at_start))
        return
    context = result.summary() + "\n--- server stderr ---\n" + harness.interesting_stderr(stderr)
    assert len(result.responses) == total, context
    assert not [r for r in result.errors if r.status is None], "requests hung:\n" + context
    assert not result.mismatches, "wrong answers:\n" + context
    if result.errors:
        assert len(result.errors) == total, "some requests served, some refused:\n" + context
        assert {r.status for r in result.errors} == {500}, context
        assert PRELOAD_ADVICE.search(stderr), "refused without saying why:\n" + context


# The patches that re-enter a model's graph and session in request threads; with them
# off, the legacy failure must come back through a real server (the same ids as
# tests/test_fixtures_fail_without_shim.py).
REENTRY_PATCHES = ("thread-context", "load-once", "session-sharing")
CONTROL_APPS = ("make_predict_function",)


@pytest.mark.parametrize("app", [pytest.param(BY_NAME[n], id=n, marks=pytest.mark.xdist_group(n))
                                 for n in CONTROL_APPS if n in BY_NAME])
def test_hammer_sees_the_legacy_failure_with_reentry_patches_off(app, prepared):
    """Control: the same server and clients, minus the shim's re-entry, must fail.

    Shows that these tests can fail, that the clients really run outside the loading
    thread, and which patches the passing runs owe their answers to.
    """
    failure = re.compile(meta(app)["fails_without_reentry_patches"])
    env = {"LEGACY_SHIM_DISABLE": ",".join(REENTRY_PATCHES)}
    with harness.serve(prepared(app), "waitress", env=env, entry=app.entry) as running:
        result = harness.hammer(running.base_url, app.route, payloads(app, N_PAYLOADS),
                                clients=CLIENTS, per_client=2)
        stderr = running.stderr()
    assert result.errors, result.summary()
    assert {r.status for r in result.errors} == {500}, result.summary()
    assert failure.search(stderr), harness.interesting_stderr(stderr)


@pytest.mark.parametrize("way", [pytest.param("import", marks=pytest.mark.slow(
    reason="the worker started with `import legacy_shim` first: the default tier starts it with the runner, and "
           "shows the import way on a server app")), "runner"])
@pytest.mark.parametrize("app", [pytest.param(a, id=a.name, marks=pytest.mark.xdist_group(a.name))
                                 for a in WORKER_APPS])
def test_worker_app_under_shim(app, way, prepared, worker_reference, per_client):
    """A batch worker with its own thread pool prints what a serial run prints."""
    bodies = payloads(app, CLIENTS * per_client)
    expected = worker_reference(app, bodies)
    got = _result_line(harness.run_worker(prepared(app), bodies, way, entry=app.entry))
    assert len(json.loads(got)) == len(bodies)
    assert got == expected


def _result_line(stdout: str) -> str:
    # Apps may print progress first; the result is the last line, as fixtures.drive assumes.
    return stdout.strip().splitlines()[-1]


def test_default_tier_names_only_cases_that_exist():
    cases = {param.id for param in _own_run_cases() + _production_cases()}
    assert DEFAULT_TIER <= cases, sorted(DEFAULT_TIER - cases)
