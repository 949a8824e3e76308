"""Shim tests run each scenario in its own interpreter: the shim switches TF into graph
mode and swaps `keras` process-wide, which must not leak into other tests."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "@@RESULT@@"


def run_script(code: str, tmp_path, env=None, args=(), timeout=240, check=True):
    """Run ``code`` in a fresh interpreter (cwd=tmp_path); returns (process, result).

    The script reports with ``emit(obj)``, printed as one JSON line after a marker,
    so TF's log noise on stdout cannot confuse the test.
    """
    script = tmp_path / "scenario.py"
    prelude = (
        "import json as _json, sys as _sys\n"
        f"def emit(obj):\n    print({MARK!r} + _json.dumps(obj), flush=True)\n"
    )
    script.write_text(prelude + textwrap.dedent(code), encoding="utf-8")
    full_env = dict(os.environ)
    full_env.pop("TF_USE_LEGACY_KERAS", None)
    full_env.pop("LEGACY_SHIM_DISABLE", None)
    full_env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    full_env["PYTHONPATH"] = REPO + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(script), *args], cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    results = [json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if check and proc.returncode != 0:
        pytest.fail(f"scenario exited {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-6000:]}")
    return proc, (results[-1] if results else None)


@pytest.fixture
def run(tmp_path):
    def _run(code, **kw):
        return run_script(code, tmp_path, **kw)

    return _run
