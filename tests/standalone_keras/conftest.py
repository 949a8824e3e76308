"""Standalone-Keras tests run every app and scenario in a child interpreter whose
``PYTHONPATH`` starts with a real Keras 2.x wheel directory (so ``import keras`` is that
Keras), then the repo. Nothing TF or Keras runs in the test process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from fixtures.standalone_keras import KERAS_VERSIONS
from . import wheels

REPO = Path(__file__).resolve().parents[2]
MARK = "@@RESULT@@"

# The rows that carry a model's graph and session into request threads, and the cache
# that would hide a per-request load_model; turning them off leaves every import-time
# bridge on, so what fails is the threading of its era.
THREAD_ROWS = (
    "keras23-symbolic-scope", "standalone-keras-sessions", "standalone-keras-thread-context",
    "standalone-keras-load-once",
)

# Variables that would change which stack a child gets.
_STACK_VARIABLES = ("TF_USE_LEGACY_KERAS", "LEGACY_SHIM_DISABLE", "LEGACY_SHIM_PREDICT_LOCK", "LEGACY_SHIM_REPORT")


def child_env(keras_dir: Path, disable: tuple[str, ...] = (), extra: dict | None = None) -> dict[str, str]:
    """Environment for a child: Keras ``keras_dir`` first on the path, then the repo."""
    env = {k: v for k, v in os.environ.items() if k not in _STACK_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(keras_dir), str(REPO), os.environ.get("PYTHONPATH")]))
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["PYTHONUNBUFFERED"] = "1"
    if disable:
        env["LEGACY_SHIM_DISABLE"] = ",".join(disable)
    env.update(extra or {})
    return env


@dataclass
class ScenarioResult:
    """A finished child: exit code, output, and the last ``emit(obj)`` it made (or None)."""

    returncode: int
    stdout: str
    stderr: str
    result: object

    def explain(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout[-2500:]}\n--- stderr\n{self.stderr[-6000:]}"


def run_scenario(code: str, cwd: Path, keras_dir: Path, disable: tuple[str, ...] = (), timeout: float = 300) -> ScenarioResult:
    """Run ``code`` (dedented) in a fresh interpreter in ``cwd``; it reports with ``emit(obj)``."""
    script = Path(cwd) / "scenario.py"
    prelude = (
        "import json as _json\n"
        f"def emit(obj):\n    print({MARK!r} + _json.dumps(obj), flush=True)\n"
    )
    script.write_text(prelude + textwrap.dedent(code), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(script)], cwd=cwd, env=child_env(keras_dir, disable),
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    found = [json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)]
    return ScenarioResult(proc.returncode, proc.stdout, proc.stderr, found[-1] if found else None)


@pytest.fixture(scope="session", params=KERAS_VERSIONS, ids=[f"keras-{v}" for v in KERAS_VERSIONS])
def keras_version(request) -> str:
    """Each supported standalone Keras version in turn."""
    return request.param


@pytest.fixture(scope="session")
def keras_dir(keras_version) -> Path:
    """The wheel directory of ``keras_version`` (installed once, cached across runs)."""
    return wheels.keras_dir(keras_version)
