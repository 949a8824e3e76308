"""An upload handed to `load_img` (a real app's idiom): served legacy under the shim, and
migrated on Keras 3 without the shim by the app's own threaded server to concurrent clients;
the same pixels and predictions, and without the load-img-uploads rewrite every request fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fixtures import models as model_factory
from fixtures import tf2_era
from tests.serving import harness
# the migrate command and the migrated app's own server ("plain-app-main") of the request-strings test
from tests.migrate.test_request_strings_serve import _migrate
from tests.shim.test_uploads_load_img import _UPLOAD_TO_LOAD_IMG, upload_concurrently


def _migrate_app(app_dir: Path, *extra: str) -> str:
    _migrate(app_dir, *extra)
    return (app_dir / "app.py").read_text()


def _answers(app_dir: Path, server: str, uploads) -> tuple[list[tuple[int, int, bytes]], str]:
    with harness.serve(app_dir, server) as running:
        answers = upload_concurrently(running.base_url + "/predict", "image", uploads, per_client=3)
        stderr = running.stderr()
    return sorted(answers, key=lambda a: a[0]), stderr


@pytest.mark.slow(reason="three TF servers (legacy under the shim, two migrated runs) and a model upgrade")
def test_an_upload_given_to_load_img_serves_migrated_with_the_legacy_answers(tmp_path):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "app.py").write_text(_UPLOAD_TO_LOAD_IMG)
    shutil.copyfile(model_factory.built_models_dir() / model_factory.BY_NAME["small_softmax"].filename,
                    legacy / "small_softmax.h5")
    uploads = tf2_era.upload_images(tf2_era.get_app("tf2_upload_load_img"), 8, seed=5)
    reference, stderr = _answers(legacy, "waitress", uploads)
    assert all(status == 200 for _, status, _ in reference), harness.interesting_stderr(stderr)

    migrated, unwrapped = tmp_path / "migrated", tmp_path / "unwrapped"
    shutil.copytree(legacy, migrated)
    shutil.copytree(legacy, unwrapped)
    assert "io.BytesIO(request.files['image'].read())" in _migrate_app(migrated)
    answers, stderr = _answers(migrated, "plain-app-main", uploads)
    assert [status for _, status, _ in answers] == [200] * len(reference), harness.interesting_stderr(stderr)
    for (i, _, got), (j, _, want) in zip(answers, reference):
        got, want = json.loads(got), json.loads(want)
        assert i == j and got["pixels"] == want["pixels"]
        np.testing.assert_allclose(got["predictions"], want["predictions"], rtol=0, atol=1e-6)

    # without the rewrite Keras 3's load_img refuses the upload on every request: the test can fail
    _migrate(unwrapped, "--ignore", "load-img-uploads")
    answers, stderr = _answers(unwrapped, "plain-app-main", uploads)
    assert {status for _, status, _ in answers} == {500}
    assert "path should be path-like or io.BytesIO" in stderr
