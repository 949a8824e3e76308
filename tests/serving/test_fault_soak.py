"""Faults beside the good requests: the server under the shim keeps answering the others correctly.

While 16 clients send good requests (bodies compared with the single-threaded reference),
a faulty client keeps sending, in turn: a body the app cannot use (its handler raises:
that request alone gets a 500), a request whose client disconnects halfway through the
body, and one whose client disconnects before reading the answer. Then the model file is
replaced on disk while requests run:

* atomically (``os.replace``, how deploy scripts swap files): every answer is the old
  model's or the new model's, a client never goes back to the old one after seeing the
  new, afterwards every answer is the new model's, and load-once loaded the new file
  exactly once (the shim's report, written when the server stops);
* in place, slowly (half now, half 0.5 s later), on a fresh server: no answer ever comes
  from a half-read file (requests that arrive while the file is torn may fail; none is
  wrong), and afterwards every answer is the final file's.

The file swaps apply to the apps that load per request; an app that loaded its model at
import keeps answering with it, which is checked too. Bounded (CI): the per-request apps
on each Keras; ``SOAK=1``: every flask app on every Keras, 25 requests per client.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from fixtures import catalog, models

from . import harness
from .conftest import CLIENTS, soak_requested
from .test_contention_soak import TF_KERAS, Case, _cases

N_PAYLOADS = 48
BAD_BODY = {"instances": "not a matrix"}
# Which file each per-request app loads, and what replaces it (same input width, other outputs).
PER_REQUEST = {"load_per_request": "mlp_sigmoid.h5", "keras2_per_request": "mlp_sigmoid.h5"}
REPLACEMENT_MODEL = "mlp_softmax"
BOUNDED = {("load_per_request", TF_KERAS), ("keras2_per_request", "2.2.4"), ("keras2_per_request", "2.3.1")}
BOUNDED_PER_CLIENT = 4
SOAK_PER_CLIENT = 25

pytestmark = [pytest.mark.soak, pytest.mark.slow(reason="a soak: bad requests, disconnects and model files replaced on "
                                                          "disk while real servers answer, per app and Keras")]


def _params(soak: bool) -> list:
    return [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"faults-{c.id}"))
            for c in _cases() if c.app.kind == "flask" and (soak or (c.app.name, c.keras) in BOUNDED)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", _params(soak_requested(metafunc.config)))


class FaultyClient:
    """A thread that sends faults in turn until stopped, counting what it got back."""

    def __init__(self, base_url: str, route: str, good_body: dict):
        self.url = base_url + route
        self.host, self.port = base_url.split("//")[1].split(":")
        self.route = route
        self.body = json.dumps(good_body).encode()
        self.bad_statuses: list[int | None] = []
        self.disconnects = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(60)

    def _raw(self, body: bytes, send: int, read: bool) -> None:
        head = (f"POST {self.route} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection((self.host, int(self.port)), timeout=10) as sock:
            sock.sendall(head + body[:send])
            if read:
                sock.recv(1)
        self.disconnects += 1

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                r = requests.post(self.url, json=BAD_BODY, timeout=30)
                self.bad_statuses.append(r.status_code)
            except requests.RequestException:
                self.bad_statuses.append(None)
            for send in (len(self.body) // 2, len(self.body)):  # mid-body, then before the answer
                try:
                    self._raw(self.body, send, read=False)
                except OSError:
                    pass


@pytest.fixture(scope="session")
def fault_reference(tmp_path_factory):
    """``fault_reference(case)``: app dir, payloads, old-model and new-model references."""
    cache = {}

    def get(case: Case):
        if case.id not in cache:
            root = tmp_path_factory.mktemp("faults")
            app_dir = catalog.prepare(case.app, root / case.id)
            bodies = catalog.payloads(case.app, N_PAYLOADS)
            kwargs = dict(route=case.app.route, module=case.app.entry[:-3], env=case.env())
            old = harness.reference(app_dir, bodies, **kwargs)
            new = None
            target = PER_REQUEST.get(case.app.name)
            if target:
                new_dir = catalog.prepare(case.app, root / f"{case.id}-new")
                shutil.copyfile(_replacement_file(), new_dir / target)
                new = harness.reference(new_dir, bodies, **kwargs)
            cache[case.id] = (app_dir, bodies, old, new)
        return cache[case.id]

    return get


def _replacement_file() -> Path:
    return models.built_models_dir() / models.BY_NAME[REPLACEMENT_MODEL].filename


def _replace_atomically(path: Path, source: Path) -> None:
    staging = path.with_name(path.name + ".new")
    shutil.copyfile(source, staging)
    time.sleep(0.01)  # a new mtime even on coarse clocks
    staging.replace(path)


def _overwrite_in_place_slowly(path: Path, source: Path) -> None:
    data = source.read_bytes()
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(data[: len(data) // 2])
        fh.flush()
        time.sleep(0.5)  # requests arrive while the file is torn
        fh.write(data[len(data) // 2:])


def _answers_during(running, case, bodies, per_client, change) -> harness.HammerResult:
    """Hammer with no expected bodies while ``change()`` runs a moment after the start."""
    box = {}
    hammering = threading.Thread(target=lambda: box.update(result=harness.hammer(
        running.base_url, case.app.route, bodies, clients=CLIENTS, per_client=per_client, max_errors=10**6)))
    hammering.start()
    time.sleep(0.3)
    change()
    hammering.join()
    return box["result"]


def _wrong(result: harness.HammerResult, allowed: list[list[bytes]]) -> list[str]:
    """Answers that are none of the allowed references, and clients that went back to an older one."""
    wrong, era = [], {}
    for r in result.responses:
        if r.status != 200:
            continue
        which = [i for i, ref in enumerate(allowed) if r.body == ref[r.payload_index]]
        if not which:
            wrong.append(f"client {r.client} payload {r.payload_index}: {r.body[:200]!r}")
        elif which[-1] < era.get(r.client, 0):
            wrong.append(f"client {r.client} went back to an older model after a newer one")
        else:
            era[r.client] = max(era.get(r.client, 0), which[-1])
    return wrong


def test_faults_leave_the_other_requests_correct(case, fault_reference, pytestconfig, tmp_path):
    app_dir, bodies, old, new = fault_reference(case)
    per_client = SOAK_PER_CLIENT if soak_requested(pytestconfig) else BOUNDED_PER_CLIENT
    target = PER_REQUEST.get(case.app.name)
    report = tmp_path / "shim-report.json"
    server = "flask-import" if case.app.threaded_ok else "waitress"
    original_model = (app_dir / target).read_bytes() if target else None
    try:
        with harness.serve(app_dir, server, entry=case.app.entry,
                           env={**case.env(), "LEGACY_SHIM_REPORT": str(report)}) as running:
            with FaultyClient(running.base_url, case.app.route, bodies[0]) as faulty:
                steady = harness.hammer(running.base_url, case.app.route, bodies, clients=CLIENTS,
                                        per_client=per_client, expected=old)
            context = "\n--- server stderr ---\n" + harness.interesting_stderr(running.stderr(), 3000)
            assert steady.ok, "good requests beside faults: " + steady.summary() + context
            assert faulty.bad_statuses and set(faulty.bad_statuses) <= {400, 500}, faulty.bad_statuses
            assert faulty.disconnects, "the faulty client never disconnected"

            if target:
                model_file = app_dir / target
                swap = _answers_during(running, case, bodies, per_client,
                                       lambda: _replace_atomically(model_file, _replacement_file()))
                assert not swap.errors and len(swap.responses) == swap.expected, swap.summary() + context
                assert not _wrong(swap, [old, new]), _wrong(swap, [old, new])[:5]
                after = harness.hammer(running.base_url, case.app.route, bodies, clients=CLIENTS,
                                       per_client=per_client, expected=new)
                assert after.ok, "after the atomic swap: " + after.summary() + context
            else:
                # An app that loaded at import keeps its model whatever happens to files.
                again = harness.hammer(running.base_url, case.app.route, bodies, clients=CLIENTS,
                                       per_client=per_client, expected=old)
                assert again.ok, again.summary() + context

            # SIGINT: the server stops as on Ctrl-C, so the shim writes its report at exit.
            running.proc.send_signal(signal.SIGINT)
            running.proc.wait(60)
        if target:
            # The first file, then the swapped-in file exactly once.
            assert json.loads(report.read_text())["load_once"]["loads"] == 2, report.read_text()
            # A fresh server for the torn write: how many reads a file being written costs
            # (reads that raise, reads thrown away because the file changed) is not the point.
            torn = tmp_path / "original.h5"
            torn.write_bytes(original_model)
            with harness.serve(app_dir, server, entry=case.app.entry, env=case.env()) as running:
                during = _answers_during(running, case, bodies, per_client,
                                         lambda: _overwrite_in_place_slowly(app_dir / target, torn))
                context = "\n--- server stderr ---\n" + harness.interesting_stderr(running.stderr(), 3000)
                assert not _wrong(during, [new, old]), _wrong(during, [new, old])[:5]
                assert not [r for r in during.errors if r.status is None], during.summary() + context
                final = harness.hammer(running.base_url, case.app.route, bodies, clients=CLIENTS,
                                       per_client=per_client, expected=old)
                assert final.ok, "after the in-place overwrite: " + final.summary() + context
    finally:
        if target:
            (app_dir / target).write_bytes(original_model)  # the next test of this app starts as it did
