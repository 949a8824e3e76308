"""Apps that read an upload with Keras' ``load_img``, served by real servers under the shim.

Two real public apps failed every request here: a TF 2-era one (``tf.keras.utils.load_img``
on the saved upload, ``tf.expand_dims`` then ``model.predict``: graph mode's predict refuses
a tensor, "you should specify the `steps` argument"), and a TF 1-era one that hands the
upload itself to ``image.load_img`` (tf_keras: "path should be path-like or io.BytesIO").
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import tempfile
import threading
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests

from fixtures import catalog, tf2_era
from fixtures import models as model_factory

try:  # tests/ is a rootdir, not a package: pytest imports the harness as `serving.harness`
    from serving import harness
except ImportError:  # pragma: no cover
    from tests.serving import harness

pytestmark = [pytest.mark.slow(reason="each case starts a TF server process and a reference interpreter"),
              pytest.mark.xdist_group("tf2-era")]

CLIENTS = 8
PER_CLIENT = 6

_REFERENCE = r"""
import base64, io, json, os, sys
app_dir, route, module, field, uploads_file, result_file = sys.argv[1:7]
os.chdir(app_dir)
sys.path.insert(0, app_dir)
mod = __import__(module)
from werkzeug.test import Client
client = Client(mod.app)
out = []
for name, data in json.load(open(uploads_file)):
    r = client.post(route, data={field: (io.BytesIO(base64.b64decode(data)), name)})
    out.append([r.status_code, base64.b64encode(r.get_data()).decode()])
json.dump(out, open(result_file, "w"))
"""


def legacy_keras_reference(app_dir: Path, app: catalog.FixtureApp, uploads) -> list[bytes]:
    """The app's answers on plain TF 2.21 with TF_USE_LEGACY_KERAS=1, no shim, one thread."""
    field = catalog.meta(app)["upload"]["field"]
    with tempfile.TemporaryDirectory() as tmp:
        uploads_file, result_file = Path(tmp) / "u.json", Path(tmp) / "r.json"
        uploads_file.write_text(json.dumps([[name, base64.b64encode(data).decode()] for name, data in uploads]))
        env = harness.shim_env({"TF_USE_LEGACY_KERAS": "1"})
        proc = subprocess.run([sys.executable, "-c", _REFERENCE, str(app_dir), app.route, app.entry[:-3], field,
                               str(uploads_file), str(result_file)], cwd=app_dir, env=env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr[-3000:]
        answers = json.loads(result_file.read_text())
    assert all(status == 200 for status, _ in answers), answers[:2]
    return [base64.b64decode(body) for _, body in answers]


def upload_concurrently(url: str, field: str, uploads, clients: int = CLIENTS, per_client: int = PER_CLIENT):
    """``clients`` threads, all starting together, each posting ``per_client`` uploads from its own
    offset under a file name of its own (the apps save uploads by name); ``[(index, status, body)]``."""
    start_line = threading.Barrier(clients)

    def client(c: int):
        out = []
        with requests.Session() as session:
            start_line.wait()
            for i in range(per_client):
                idx = (c * per_client + i) % len(uploads)
                name, data = uploads[idx]
                try:
                    r = session.post(url, files={field: (f"c{c}_{i}_{name}", data, "image/png")}, timeout=60)
                    out.append((idx, r.status_code, r.content))
                except requests.RequestException as exc:
                    out.append((idx, None, str(exc).encode()))
        return out

    with ThreadPoolExecutor(clients) as pool:
        return [answer for answers in pool.map(client, range(clients)) for answer in answers]


@pytest.mark.parametrize("server", ("flask-import", "flask-runner", "waitress"))
def test_tf2_app_reading_uploads_with_load_img_serves_the_legacy_keras_answers(tmp_path, server):
    app = tf2_era.get_app("tf2_upload_load_img")
    app_dir = tf2_era.prepare(app, tmp_path / app.name)
    uploads = tf2_era.upload_images(app, 12, seed=3)
    expected = legacy_keras_reference(app_dir, app, uploads)
    assert len({body for body in expected}) > 1  # the inputs are told apart
    with harness.serve(app_dir, server, entry=app.entry) as running:
        answers = upload_concurrently(running.base_url + app.route, "image", uploads)
        stderr = running.stderr()
    failed = [(idx, status, body[-300:]) for idx, status, body in answers if status != 200]
    assert not failed, f"{failed[:3]}\n{harness.interesting_stderr(stderr)}"
    assert len(answers) == CLIENTS * PER_CLIENT
    assert [idx for idx, _, body in answers if body != expected[idx]] == []


def test_tf2_app_reading_uploads_is_run_in_eager_mode_for_its_tf2_only_names(tmp_path):
    app = tf2_era.get_app("tf2_upload_load_img")
    proc = subprocess.run([sys.executable, "-c", "from legacy_shim import app_style; import sys; "
                           "d = app_style.decide(sys.argv[1]); print(d.mode); print(d.reason)", str(app.path)],
                          env=harness.shim_env(), capture_output=True, text=True, timeout=240)
    mode, reason = proc.stdout.splitlines()[-2:]
    assert mode == "eager", proc.stdout + proc.stderr[-2000:]
    assert "keras.utils.load_img (TF 2.x only) at app.py:" in reason


# A TF 1-era app in the style of a real one: the upload itself goes to image.load_img.
_UPLOAD_TO_LOAD_IMG = """
import os

import numpy as np
import tensorflow as tf
from flask import Flask, jsonify, request
from keras.models import load_model
from keras.preprocessing import image

graph = tf.get_default_graph()
model = load_model('small_softmax.h5')
app = Flask(__name__)


@app.route('/predict', methods=['POST'])
def predict():
    im = image.load_img(request.files['image'], target_size=(4, 4), color_mode='grayscale')
    im2arr = image.img_to_array(im)
    x = np.expand_dims(im2arr.reshape(-1) / 255.0, axis=0)
    with graph.as_default():
        result = model.predict(x)
    return jsonify({'pixels': im2arr[:, :, 0].tolist(), 'predictions': result.tolist()})


if __name__ == '__main__':
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
"""


def _keras_preprocessing_105_pixels(data: bytes) -> list:
    # keras-preprocessing 1.0.5 (what Keras 2.2.4 required): pil_image.open(path) on the file
    # object, convert('L') for grayscale, resize to (width, height) with 'nearest'
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    if img.mode != "L":
        img = img.convert("L")
    img = img.resize((4, 4), Image.NEAREST)
    return np.asarray(img, dtype=np.float32).tolist()


@pytest.fixture
def upload_app(tmp_path):
    app_dir = tmp_path / "upload_app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(textwrap.dedent(_UPLOAD_TO_LOAD_IMG))
    built = model_factory.built_models_dir()
    (app_dir / "small_softmax.h5").write_bytes((built / model_factory.BY_NAME["small_softmax"].filename).read_bytes())
    return app_dir


def test_upload_handed_to_load_img_gives_the_pixels_keras_2_gave(upload_app):
    uploads = tf2_era.upload_images(tf2_era.get_app("tf2_upload_load_img"), 6, seed=4)
    with harness.serve(upload_app, "waitress") as running:
        answers = upload_concurrently(running.base_url + "/predict", "image", uploads, per_client=3)
        stderr = running.stderr()
    failed = [(status, body[-300:]) for _, status, body in answers if status != 200]
    assert not failed, f"{failed[:3]}\n{harness.interesting_stderr(stderr)}"
    for idx, _, body in answers:
        assert json.loads(body)["pixels"] == _keras_preprocessing_105_pixels(uploads[idx][1])


def test_without_the_row_the_upload_is_refused_as_tf_keras_refuses_it(upload_app):
    uploads = tf2_era.upload_images(tf2_era.get_app("tf2_upload_load_img"), 1, seed=4)
    with harness.serve(upload_app, "waitress", env={"LEGACY_SHIM_DISABLE": "load-img-file-objects"}) as running:
        answers = upload_concurrently(running.base_url + "/predict", "image", uploads, clients=1, per_client=1)
        stderr = running.stderr()
    assert [status for _, status, _ in answers] == [500]
    assert "path should be path-like or io.BytesIO" in stderr
