"""The tf.contrib renames point at names today's stack really has, with what they need."""

from __future__ import annotations

import json
import os
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
