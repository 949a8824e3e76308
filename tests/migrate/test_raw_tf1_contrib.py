"""The tf.contrib renames point at names today's stack really has, with what they need."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.analysis.raw_tf1 import CONTRIB_EQUIVALENTS, LEGACY_KERAS

REPO_ROOT = Path(__file__).resolve().parents[1].parent


def _present(legacy_keras: bool) -> dict[str, bool]:
    code = (
        "import json, tensorflow.compat.v1 as tf\n"
        "from migrate.analysis.raw_tf1 import CONTRIB_EQUIVALENTS\n"
        "out = {}\n"
        "for target, _ in CONTRIB_EQUIVALENTS.values():\n"
        "    o = tf\n"
        "    try:\n"
        "        for part in target.split('.'): o = getattr(o, part)\n"
        "        out[target] = True\n"
        "    except AttributeError:\n"
        "        out[target] = False\n"
        "print(json.dumps(out))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
           "TF_USE_LEGACY_KERAS": "1" if legacy_keras else "0"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("legacy_keras", [False, True], ids=["keras3", "tf_keras"])
def test_every_contrib_equivalent_exists_where_its_note_says(legacy_keras):
    present = _present(legacy_keras)
    for contrib, (target, needs) in CONTRIB_EQUIVALENTS.items():
        expected = legacy_keras or needs != LEGACY_KERAS
        assert present[target] is expected, (contrib, target, needs)


# ------------------------------------------------------------- the contrib fixture app, served


@pytest.mark.slow(reason="migrates the contrib fixture app, computes the legacy answers under the shim and "
                         "serves the migrated app with a real server: about a minute")
def test_contrib_app_migrated_serves_the_legacy_answers_without_the_shim(tmp_path):
    """fixtures/tf1_contrib: the app as written runs nowhere today (tf.contrib is gone, the shim
    has none); migrated, its contrib initializer becomes the v1 API's Glorot uniform and it serves,
    without the shim, the answers the same network from the same checkpoint gives under the shim."""
    from fixtures.catalog import get_app, meta, payloads, prepare
    from fixtures.tf1_contrib import get_app as get_contrib_app
    from tests.serving import harness

    app = get_contrib_app("tf1_contrib_graph")
    facts = meta(app)
    original = prepare(app, tmp_path / "original")
    legacy = subprocess.run([sys.executable, "-c", "import legacy_shim, app"], cwd=original,
                            env=harness.shim_env(), capture_output=True, text=True, timeout=300)
    assert legacy.returncode != 0 and re.search(facts["fails_with_shim"], legacy.stderr), legacy.stderr[-2000:]

    migrated = prepare(app, tmp_path / "migrated")
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--no-model-files", str(migrated)],
                          cwd=REPO_ROOT, env=harness.shim_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    source = (migrated / "app.py").read_text()
    assert "contrib" not in source and "import tensorflow.compat.v1 as tf" in source, source

    reference_app = get_app(facts["reference_app"])
    bodies = payloads(reference_app, 12)
    expected = harness.reference(prepare(reference_app, tmp_path / "reference"), bodies, route=app.route)
    harness.SERVERS.setdefault("plain-app-main", harness.ServerKind(
        "plain-app-main", lambda port, entry: [sys.executable, entry], runs_app_main=True,
        why="the migrated app's own app.run (threaded), no legacy_shim"))
    with harness.serve(migrated, "plain-app-main", env={"TF_USE_LEGACY_KERAS": "0"}, entry=app.entry) as server:
        result = harness.hammer(server.base_url, app.route, bodies, clients=4, per_client=8)
        stderr = server.stderr()
    assert not result.errors and len(result.responses) == result.expected, result.summary() + stderr[-3000:]
    wrong = [r for r in result.responses if r.body != expected[r.payload_index]]
    assert not wrong, f"payload {wrong[0].payload_index}: got {wrong[0].body[:300]!r}"
