"""TF 2-era Keras-2 apps (eager tf.keras, 2019-2023) under the shim, served by real servers.

Their reference is not the shim's graph mode but how they ran until TF 2.16: plain
``TF_USE_LEGACY_KERAS=1``, no shim, computed single-threaded in another interpreter.
Under the shim (``import legacy_shim`` first, the runner, waitress's 16-thread pool)
an eager app must give those exact bytes to concurrent clients; an app mixing TF 1
graph code with TF 2 eager code must stop at start with the message naming the fix.
Before the shim chose the mode per app, every request of the eager app failed
(``'SymbolicTensor' object has no attribute 'numpy'``); the mixed app's eager route still
fails in graph mode, and its error now says why and names the fix.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import requests

from fixtures import catalog, tf2_era

try:  # tests/ is a rootdir, not a package: pytest imports the harness as `serving.harness`
    from serving import harness
except ImportError:  # pragma: no cover
    from tests.serving import harness

pytestmark = [pytest.mark.slow(reason="each case starts a TF server process and a reference interpreter"), pytest.mark.xdist_group("tf2-era")]

CLIENTS = 8
PER_CLIENT = 12
N_PAYLOADS = 24
SERVERS = ("flask-import", "flask-runner", "waitress")

_REFERENCE = r"""
import base64, json, os, sys
app_dir, route, module, payload_file, result_file = sys.argv[1:6]
os.chdir(app_dir)
sys.path.insert(0, app_dir)
mod = __import__(module)
from werkzeug.test import Client
client = Client(mod.app)
out = []
for p in json.load(open(payload_file)):
    r = client.post(route, json=p)
    out.append([r.status_code, base64.b64encode(r.get_data()).decode()])
json.dump(out, open(result_file, "w"))
"""


def legacy_keras_reference(app_dir: Path, app: catalog.FixtureApp, bodies: list[dict]) -> list[bytes]:
    """The app's answers on plain TF 2.21 with TF_USE_LEGACY_KERAS=1, no shim, one thread."""
    with tempfile.TemporaryDirectory() as tmp:
        payload_file, result_file = Path(tmp) / "p.json", Path(tmp) / "r.json"
        payload_file.write_text(json.dumps(bodies))
        env = harness.shim_env({"TF_USE_LEGACY_KERAS": "1"})
        proc = subprocess.run([sys.executable, "-c", _REFERENCE, str(app_dir), app.route, app.entry[:-3],
                               str(payload_file), str(result_file)], cwd=app_dir, env=env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr[-3000:]
        answers = json.loads(result_file.read_text())
    assert all(status == 200 for status, _ in answers), answers[:2]
    return [base64.b64decode(body) for _, body in answers]


@pytest.fixture(scope="module")
def eager_app(tmp_path_factory):
    app = tf2_era.get_app("tf2_eager_loader")
    app_dir = tf2_era.prepare(app, tmp_path_factory.mktemp("tf2") / app.name)
    bodies = catalog.payloads(app, N_PAYLOADS, seed=5)
    return app, app_dir, bodies, legacy_keras_reference(app_dir, app, bodies)


@pytest.mark.parametrize("server", SERVERS)
def test_eager_app_serves_the_legacy_keras_answers_to_concurrent_clients(eager_app, server):
    app, app_dir, bodies, expected = eager_app
    with harness.serve(app_dir, server, entry=app.entry) as running:
        result = harness.hammer(running.base_url, app.route, bodies, clients=CLIENTS, per_client=PER_CLIENT,
                                expected=expected)
        assert result.ok, result.summary() + "\n" + harness.interesting_stderr(running.stderr())


@pytest.mark.parametrize("server", SERVERS)
def test_mixed_app_is_warned_at_start_and_its_graph_code_serves(tmp_path, server):
    # both styles in one app: graph mode, as every earlier shim ran it, and a warning at start
    # naming both sides and the fix; its graph-mode route answers what the model computes
    app = tf2_era.get_app("tf2_half_migrated")
    app_dir = tf2_era.prepare(app, tmp_path / app.name)
    spec = catalog.meta(app)
    bodies = catalog.payloads(app, 8, seed=5)
    # the model's own answers: the eager route, run as TF_USE_LEGACY_KERAS=1 runs it
    wanted = [json.loads(body)["predictions"] for body in legacy_keras_reference(app_dir, app, bodies)]
    with harness.serve(app_dir, server, entry=app.entry) as running:
        result = harness.hammer(running.base_url, spec["serving_route"], bodies, clients=CLIENTS, per_client=2)
        assert result.ok, result.summary() + "\n" + harness.interesting_stderr(running.stderr())
        for body, expected in zip(bodies, wanted):
            answer = requests.post(running.base_url + spec["serving_route"], json=body, timeout=60)
            assert answer.status_code == 200, answer.text[-2000:]
            got = np.asarray(answer.json()["predictions"])
            assert got.shape == np.asarray(expected).shape and np.allclose(got, expected, atol=1e-5)
        # its eager route cannot work in graph mode; its first call says why and names the fix
        eager = requests.post(running.base_url + app.route, json=bodies[0], timeout=60)
        stderr = running.stderr()
    assert re.search(spec["warning"], stderr, re.S), stderr[-3000:]
    assert eager.status_code == 500
    assert re.search(r"AttributeError: 'SymbolicTensor' object has no attribute 'numpy'\. legacy_shim: \.numpy\(\) on "
                     r"a graph tensor .*runs in TF 1 graph mode \(idioms of both.*LEGACY_SHIM_MODE=eager", stderr), \
        stderr[-3000:]
