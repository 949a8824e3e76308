"""One variant of the per-predict overhead benchmark, kept alive across rounds.

    python -m benchmarks.predict_worker {shim|by-hand} APP_DIR

Imports the app in APP_DIR on the main thread (as a WSGI server does), then serves
timing requests from stdin: a line ``N`` makes its request thread (never the thread
that loaded the model) call ``predict`` N times and ``predict_on_batch`` N times on a
batch-1 input, and print one JSON line of microseconds per call. The first line it
prints is ``{"ready": ..., "check": <one prediction>}`` so the parent can verify that
both variants compute the same thing before timing them.

- ``shim``: ``import legacy_shim`` first, then the legacy app; calls are the app's
  plain ``model.predict(x)`` - the shim re-enters the model's graph and session.
- ``by-hand``: no shim; the app re-entered by hand (benchmarks/apps/reentry_by_hand),
  each call inside ``with graph.as_default(), sess.as_default():`` as its handler does.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time


def _load(variant: str, app_dir: str):
    os.chdir(app_dir)
    sys.path.insert(0, app_dir)
    if variant == "shim":
        import legacy_shim  # noqa: F401  - must precede the app's TF/Keras imports
    import app

    if variant == "shim":
        model = app.model
        return {"predict": model.predict, "predict_on_batch": model.predict_on_batch}
    graph, sess, model = app.graph, app.sess, app.model

    def predict(x):
        with graph.as_default(), sess.as_default():
            return model.predict(x)

    def predict_on_batch(x):
        with graph.as_default(), sess.as_default():
            return model.predict_on_batch(x)

    return {"predict": predict, "predict_on_batch": predict_on_batch}


def _time_calls(call, x, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call(x)
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    """Serve timing requests from stdin until EOF."""
    variant, app_dir = sys.argv[1], os.path.abspath(sys.argv[2])
    import numpy as np

    calls = _load(variant, app_dir)
    x = np.random.RandomState(0).uniform(-1, 1, size=(1, 64)).astype("float32")
    jobs: queue.Queue = queue.Queue()
    answers: queue.Queue = queue.Queue()

    def request_thread() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            try:
                answers.put(job())
            except BaseException as exc:  # the parent shows it and stops
                answers.put({"error": f"{type(exc).__name__}: {exc}"})

    threading.Thread(target=request_thread, name="request-thread", daemon=True).start()

    def warm_up() -> dict:
        for call in calls.values():
            _time_calls(call, x, 20)
        return {"ready": True, "check": calls["predict"](x).tolist(),
                "check_on_batch": np.asarray(calls["predict_on_batch"](x)).tolist()}

    jobs.put(warm_up)
    print(json.dumps(answers.get()), flush=True)
    for line in sys.stdin:
        n = int(line)
        jobs.put(lambda: {name: _time_calls(call, x, n) for name, call in calls.items()})
        print(json.dumps(answers.get()), flush=True)
    jobs.put(None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
