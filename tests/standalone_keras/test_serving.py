"""Keras 2.2.4 / 2.3.1 Flask apps on real threaded servers under the shim, hammered.

A real server on 127.0.0.1 (the app's own ``app.run(threaded=True)`` with ``import
legacy_shim`` first, and waitress with 16 threads via ``python -m legacy_shim``), the
real Keras wheel first on its path; 16 concurrent clients whose first requests race;
zero errors and every body byte-identical to a single-threaded reference computed in a
separate interpreter. 200 requests per client; 25 when CI is set, unless SOAK=1.
Also: the same kind of server with the thread rows off shows the era's errors.
"""

from __future__ import annotations

import os
import re

import pytest

from fixtures import catalog, standalone_keras

from .conftest import THREAD_ROWS

try:  # tests/ is a rootdir, not a package: pytest imports the harness as `serving.harness`
    from serving import harness
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.serving import harness

CLIENTS = 16
N_PAYLOADS = 48
# One xdist worker per module: the reference is computed once per Keras version.
pytestmark = [pytest.mark.soak, pytest.mark.xdist_group("standalone-keras-serving"),
              pytest.mark.slow(reason="real Keras 2.2.4 / 2.3.1: wheels downloaded from PyPI on first use, "
                                      "and a real server per Keras")]


def per_client() -> int:
    """200 requests per client; CI runs a bounded 25 unless SOAK=1 asks for the full soak."""
    soak = os.environ.get("SOAK", "").lower() in ("1", "true", "yes", "on")
    ci = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
    return 25 if ci and not soak else 200


@pytest.fixture(scope="module")
def reference_run(keras_version, keras_dir, tmp_path_factory):
    """The app laid out once per Keras version, and its single-threaded reference answers.

    The reference process runs first, so it is the one that builds and saves the app's
    own model; the servers then load that file, as a redeployed app would.
    """
    app = standalone_keras.get_app("keras2_flask")
    app_dir = standalone_keras.prepare(app, tmp_path_factory.mktemp(f"served-{keras_version}") / "app")
    bodies = catalog.payloads(app, N_PAYLOADS, seed=11)
    expected = harness.reference(app_dir, bodies, route=app.route, env={"PYTHONPATH": str(keras_dir)})
    assert (app_dir / "scorer.h5").is_file()
    return app, app_dir, bodies, expected


@pytest.mark.parametrize("server", ["flask-import", "waitress"])
def test_threaded_server_answers_like_the_reference(reference_run, keras_dir, server):
    app, app_dir, bodies, expected = reference_run
    with harness.serve(app_dir, server, env={"PYTHONPATH": str(keras_dir)}, ready_path="/health") as running:
        result = harness.hammer(running.base_url, app.route, bodies, clients=CLIENTS, per_client=per_client(),
                                expected=expected)
        stderr = running.stderr()
    assert result.ok, result.summary() + "\n--- server stderr ---\n" + stderr[-4000:]
    assert len(result.responses) == CLIENTS * per_client()


def test_thread_rows_off_a_threaded_server_fails_as_in_2019(keras_dir, keras_version, tmp_path):
    app = standalone_keras.get_app("keras2_naive")
    app_dir = standalone_keras.prepare(app, tmp_path / "app")
    env = {"PYTHONPATH": str(keras_dir), "LEGACY_SHIM_DISABLE": ",".join(THREAD_ROWS)}
    body = catalog.payloads(app, 1)[0]
    with harness.serve(app_dir, "flask-import", env=env, ready_path="/health") as running:
        predict = harness.hammer(running.base_url, "/predict", [body], clients=2, per_client=2)
        fresh = harness.hammer(running.base_url, "/predict_fresh", [body], clients=2, per_client=2)
        stderr = running.stderr()
    assert {r.status for r in predict.responses} == {500}, predict.summary()
    assert {r.status for r in fresh.responses} == {500}, fresh.summary()
    assert re.search(r"is not an element of this graph", stderr), stderr[-4000:]
    if keras_version.startswith("2.3."):
        assert "AttributeError: '_thread._local' object has no attribute 'value'" in stderr, stderr[-4000:]
