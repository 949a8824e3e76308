"""Every fixture app really is legacy: it fails on today's plain stack with the error users saw.

Each app runs in its own interpreter, used as its users used it (module imported on the
main thread, one request from another thread; a worker run as a script), via
``fixtures.drive``. A test passes only if the process failed AND the specific error
text of the app's meta.json appeared, so an app that starts working, or breaks for an
unrelated reason, fails the test.

The second test shows what the shim's re-entry patches are for: with them turned off,
apps that only enter the graph (or nothing) fail in the request thread, while apps
that re-enter graph and session by hand keep working. (That the full shim then serves
every app correctly is tests/serving's job, with real servers.)
"""

import math
import re

import pytest

from fixtures import drive
from fixtures.catalog import all_apps, meta, payloads

APPS = all_apps()


def _first_of_each(key, why: str) -> list:
    """Every app, the first one of each ``key(app)`` in the default tier and the others in the slow one."""
    seen, cases = set(), []
    for app in APPS:
        marks = [pytest.mark.slow(reason=why)] if key(app) in seen else []
        seen.add(key(app))
        cases.append(pytest.param(app, id=app.name, marks=marks))
    return cases


# Every shim patch that carries a model's graph/session into another thread, or hides a
# per-request load: what remains is the TF1 surface and Keras 2 under the `keras` name.
REENTRY_PATCHES = ("thread-context", "load-once", "session-sharing")


def _tail(result: drive.DriveResult) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-1500:]}\n--- stderr\n{result.stderr[-4000:]}"


def _assert_sane_answers(app, result: drive.DriveResult, n: int) -> None:
    assert result.returncode == 0, _tail(result)
    assert result.answers is not None and len(result.answers) == n, _tail(result)
    for body, answer in zip(payloads(app, n), result.answers):
        rows = answer["predictions"]
        assert len(rows) == len(body["instances"]), answer
        assert all(math.isfinite(v) for row in rows for v in row), answer


@pytest.mark.parametrize("app", _first_of_each(lambda app: app.kind, why=(
    "a TensorFlow process per app: the default tier shows one app of each kind (flask, django, tornado, worker) "
    "failing on the plain stack")))
def test_app_fails_on_plain_stack_with_the_real_error(app, tmp_path):
    result = drive.run(app, tmp_path / app.name, shim=False)
    assert result.returncode != 0, f"{app.name} ran on plain TF 2.21 + Keras 3: not a legacy fixture\n{_tail(result)}"
    assert re.search(app.fails_without_shim, result.stderr), (
        f"{app.name} failed, but not with /{app.fails_without_shim}/\n{_tail(result)}"
    )


@pytest.mark.parametrize("app", _first_of_each(lambda app: meta(app)["fails_without_reentry_patches"], why=(
    "a TensorFlow process per app: the default tier runs one app of each expected outcome (each failure, and "
    "carrying graph and session by hand)")))
def test_request_threads_fail_without_the_reentry_patches(app, tmp_path):
    expected = meta(app)["fails_without_reentry_patches"]
    crippled = drive.run(app, tmp_path / "crippled", shim=True, disable=REENTRY_PATCHES, n=2)
    if expected is None:
        # The app carries graph and session into the thread itself (or loads there).
        _assert_sane_answers(app, crippled, 2)
        return
    assert crippled.returncode != 0, f"{app.name} worked without re-entry\n{_tail(crippled)}"
    assert re.search(expected, crippled.stderr), f"{app.name}: expected /{expected}/\n{_tail(crippled)}"
