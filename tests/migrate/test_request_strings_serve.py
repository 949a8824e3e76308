"""Form fields fed to the model: the legacy app served them (TF1's feed cast the strings); the
migrated app, on Keras 3 without the shim, must give the same answers: through Flask's test
client, and from real servers (the legacy app's own threaded `app.run` under the shim, the
migrated one without it) with concurrent clients, for form fields, query arguments and
`request.values`, read one by one or in a list comprehension."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fixtures import models as model_factory
from tests.serving import harness

REPO = Path(__file__).resolve().parents[2]
FIELDS = [f"f{i}" for i in range(16)]  # the small_softmax model's 16 inputs, one form field each
APP = (
    "import numpy as np\nimport tensorflow as tf\nfrom flask import Flask, jsonify, request\n"
    "from keras.models import load_model\n\napp = Flask(__name__)\nmodel = load_model('small_softmax.h5')\n"
    "graph = tf.get_default_graph()\n\n\n@app.route('/predict', methods=['POST'])\ndef predict():\n"
    "    x = np.array([[" + ", ".join(f"request.form['{f}']" for f in FIELDS) + "]])\n"
    "    with graph.as_default():\n        out = model.predict(x)\n"
    "    return jsonify({'predictions': out.tolist()})\n"
)
# posts each form through Flask's test client; prints [status, body] per form
CLIENT = r"""
import json, sys
if sys.argv[2] == "shim":
    import legacy_shim
sys.path.insert(0, sys.argv[1])
import app
client = app.app.test_client()
answers = []
for form in json.loads(sys.argv[3]):
    r = client.post("/predict", data=form)
    answers.append([r.status_code, r.get_data(as_text=True)])
print(json.dumps(answers))
"""


def _forms() -> list[dict]:
    rng = np.random.RandomState(3)
    return [{f: f"{v:.4f}" for f, v in zip(FIELDS, rng.uniform(-1, 1, len(FIELDS)))} for _ in range(5)]


def _serve(app_dir: Path, mode: str) -> list:
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", CLIENT, str(app_dir), mode, json.dumps(_forms())],
                          cwd=app_dir, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _migrate(app_dir: Path, *extra: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", *extra, str(app_dir)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow(reason='four TF processes (legacy under the shim, the model upgrade, two migrated runs)')
def test_form_strings_served_migrated_on_keras3_with_the_legacy_answers(tmp_path):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "app.py").write_text(APP)
    shutil.copyfile(model_factory.built_models_dir() / model_factory.BY_NAME["small_softmax"].filename,
                    legacy / "small_softmax.h5")
    reference = _serve(legacy, "shim")
    assert all(status == 200 for status, _ in reference), reference

    migrated, uncast = tmp_path / "migrated", tmp_path / "uncast"
    shutil.copytree(legacy, migrated)
    shutil.copytree(legacy, uncast)
    _migrate(migrated)
    assert 'dtype="float32"' in (migrated / "app.py").read_text()
    answers = _serve(migrated, "plain")
    assert [status for status, _ in answers] == [200] * len(reference), answers
    for (_, got), (_, want) in zip(answers, reference):
        np.testing.assert_allclose(json.loads(got)["predictions"], json.loads(want)["predictions"], rtol=0, atol=1e-6)

    # without the cast the migrated app fails every request: the test can fail
    _migrate(uncast, "--ignore", "request-strings")
    assert all(status == 500 for status, _ in _serve(uncast, "plain"))


# one route per way a Flask app reads request strings; served by the app's own threaded app.run
ROUTES_APP = (
    "import os\n\nimport numpy as np\nimport tensorflow as tf\nfrom flask import Flask, jsonify, request\n"
    "from keras.models import load_model\n\napp = Flask(__name__)\nmodel = load_model('small_softmax.h5')\n"
    "graph = tf.get_default_graph()\nFIELDS = " + repr(FIELDS) + "\n\n\n"
    "@app.route('/form', methods=['POST'])\ndef from_form():\n"
    "    x = np.array([[" + ", ".join(f"request.form['{f}']" for f in FIELDS) + "]])\n"
    "    with graph.as_default():\n        out = model.predict(x)\n"
    "    return jsonify({'predictions': out.tolist()})\n\n\n"
    "@app.route('/args', methods=['GET'])\ndef from_query():\n"
    "    x = np.array([[request.args.get(f) for f in FIELDS]])\n"
    "    with graph.as_default():\n        out = model.predict(x)\n"
    "    return jsonify({'predictions': out.tolist()})\n\n\n"
    "@app.route('/values', methods=['GET', 'POST'])\ndef from_values():\n"
    "    x = np.array([[request.values[f] for f in FIELDS]])\n"
    "    with graph.as_default():\n        out = model.predict(x)\n"
    "    return jsonify({'predictions': out.tolist()})\n\n\n"
    "if __name__ == '__main__':\n"
    "    app.run(host=os.environ.get('HOST', '127.0.0.1'), port=int(os.environ.get('PORT', '5000')), threaded=True)\n"
)
# (route, method, where the fields go)
WAYS = [("/form", "POST", "data"), ("/args", "GET", "params"), ("/values", "GET", "params"),
        ("/values", "POST", "data")]
CONCURRENT = 8

harness.SERVERS.setdefault("plain-app-main", harness.ServerKind(
    "plain-app-main", lambda port, entry: [sys.executable, entry], runs_app_main=True,
    why="the migrated app's own app.run (threaded), no legacy_shim"))


def _hammer(base_url: str) -> dict:
    """Every (way, form) sent at once from CONCURRENT clients: {(way index, form index): (status, body)}."""
    import concurrent.futures

    import requests

    jobs = [(w, f) for w in range(len(WAYS)) for f in range(len(_forms()))]

    def send(job):
        route, method, where = WAYS[job[0]]
        r = requests.request(method, base_url + route, timeout=120, **{where: _forms()[job[1]]})
        return job, (r.status_code, r.text)

    with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
        return dict(pool.map(send, jobs))


@pytest.mark.slow(reason="three real servers (legacy under the shim, migrated, migrated without the cast), "
                         "each loading TensorFlow, plus the model upgrade")
def test_request_strings_from_real_servers_and_concurrent_clients_get_the_legacy_answers(tmp_path):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "app.py").write_text(ROUTES_APP)
    shutil.copyfile(model_factory.built_models_dir() / model_factory.BY_NAME["small_softmax"].filename,
                    legacy / "small_softmax.h5")
    migrated, uncast = tmp_path / "migrated", tmp_path / "uncast"
    shutil.copytree(legacy, migrated)
    shutil.copytree(legacy, uncast)
    with harness.serve(legacy, "flask-runner") as server:
        reference = _hammer(server.base_url)
    assert all(status == 200 for status, _ in reference.values()), reference

    _migrate(migrated)
    source = (migrated / "app.py").read_text()
    assert source.count('dtype="float32"') == 3 and "legacy_shim" not in source, source
    with harness.serve(migrated, "plain-app-main", env={"TF_USE_LEGACY_KERAS": "0"}) as server:
        answers = _hammer(server.base_url)
        stderr = server.stderr()
    assert all(status == 200 for status, _ in answers.values()), stderr[-3000:]
    for job, (_, want) in reference.items():
        np.testing.assert_allclose(json.loads(answers[job][1])["predictions"], json.loads(want)["predictions"],
                                   rtol=0, atol=1e-6, err_msg=str(WAYS[job[0]]))

    # without the cast every request of the migrated app fails: the test can fail
    _migrate(uncast, "--ignore", "request-strings")
    with harness.serve(uncast, "plain-app-main", env={"TF_USE_LEGACY_KERAS": "0"}) as server:
        assert all(status == 500 for status, _ in _hammer(server.base_url).values())
