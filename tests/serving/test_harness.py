"""The harness's own guarantees, on tiny real processes (no TF): fast, so they run first.

A serving test is only as good as these: a dead server must fail at once with its
stderr, a server must not outlive its `with` even when the body raises, the shim import
must really come first, and the stderr digest must keep the traceback that matters.
"""

from __future__ import annotations

import os
import sys

import pytest
import requests

from . import harness

# Tiny servers for the harness to run. Not registered in harness.SERVERS for good:
# the serving suite must not pick them up.
_TOY_SERVERS = {
    "toy-http": harness.ServerKind(
        "toy-http",
        lambda port, entry: [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        runs_app_main=False, why="stdlib HTTP server: starts in well under a second"),
    "toy-crash": harness.ServerKind(
        "toy-crash",
        lambda port, entry: [sys.executable, "-c",
                             "import sys; sys.stderr.write('boom: model file missing\\n'); sys.exit(3)"],
        runs_app_main=False, why="dies before listening, as an app failing at import does"),
}


@pytest.fixture
def toy_servers(monkeypatch):
    for name, kind in _TOY_SERVERS.items():
        monkeypatch.setitem(harness.SERVERS, name, kind)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_serve_answers_then_kills_the_server_even_when_the_body_raises(toy_servers, tmp_path):
    with pytest.raises(RuntimeError, match="test body failed"):
        with harness.serve(tmp_path, "toy-http", timeout=30) as running:
            assert requests.get(running.base_url + "/", timeout=10).status_code == 200
            pid = running.proc.pid
            raise RuntimeError("test body failed")
    assert not _alive(pid)


def test_a_server_that_dies_fails_at_once_with_its_stderr(toy_servers, tmp_path):
    with pytest.raises(harness.ServerFailed) as failed:
        with harness.serve(tmp_path, "toy-crash", timeout=120):
            pytest.fail("a dead server must not be yielded")
    assert "exited with code 3" in str(failed.value)
    assert "boom: model file missing" in str(failed.value)


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param("import os\nprint(1)\n", "import legacy_shim\nimport os\nprint(1)\n",
                 id="shim import goes on the first line"),
    pytest.param("from __future__ import print_function\nimport os\n",
                 "from __future__ import print_function\nimport legacy_shim\nimport os\n",
                 id="after __future__ imports, which must stay first"),
    pytest.param("import os\r\nx = 1\r\n", "import legacy_shim\nimport os\r\nx = 1\r\n",
                 id="rest of the file byte-identical, CRLF kept"),
    pytest.param("#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nimport os\n",
                 "#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nimport legacy_shim\nimport os\n",
                 id="coding declaration stays on line 2, where Python reads it"),
])
def test_shim_first_copy(tmp_path, source, expected):
    (tmp_path / "app.py").write_bytes(source.encode())
    copy = harness.write_shim_first_copy(tmp_path)
    assert copy.name == harness.SHIM_FIRST_ENTRY
    assert copy.read_bytes() == expected.encode()
    assert (tmp_path / "app.py").read_bytes() == source.encode()


_TRACEBACK = """Traceback (most recent call last):
  File "app.py", line 24, in predict
    preds = model.predict(x)
RuntimeError: Exiting device scope without proper scope nesting.
"""


def test_stderr_digest_drops_access_logs_and_repeats_but_keeps_each_distinct_error():
    access = '127.0.0.1 - - [25/Nov/2026 06:17:06] "POST /predict HTTP/1.1" 500 -\n'
    other = _TRACEBACK.replace("RuntimeError: Exiting device scope without proper scope nesting.",
                               "AttributeError: 'Sequential' object has no attribute 'stop_training'")
    text = "Serving on 127.0.0.1\n" + (access + _TRACEBACK) * 50 + other + access * 100
    digest = harness.interesting_stderr(text)
    assert "[51 tracebacks, 2 distinct]" in digest
    assert digest.count("Exiting device scope") == 1
    assert "stop_training" in digest
    assert "POST /predict" not in digest


def test_hammer_records_every_answer_with_its_payload_and_flags_mismatches(toy_servers, tmp_path):
    # http.server answers POST with 501: every request is an error, none is lost.
    with harness.serve(tmp_path, "toy-http", timeout=30) as running:
        result = harness.hammer(running.base_url, "/predict", [{"i": 0}, {"i": 1}], clients=4,
                                per_client=3, max_errors=100)
    assert len(result.responses) == result.expected == 12
    assert {r.status for r in result.errors} == {501}
    assert sorted({r.payload_index for r in result.responses}) == [0, 1]
    assert not result.ok
