"""What a per-request ``model.load_weights(path)`` costs, legacy under the shim against Keras 3.

    python benchmarks/load_weights_cost.py [--rounds 6] [--calls 50]

Some real apps build their model once and read its weights again on every request
(RingSho/docker-flask-keras: ``self.model.load_weights(weight_path)`` in the method its
``/predict`` route calls). migrate reports that line instead of loading the weights once
(migrate/rules/load_once.py says when that would not be exact). This measures the .h5 reader
alone, outside any app: measured here the two are even (0.85-1.07x), while inside those apps'
own processes Keras 3's read took longer (MIGRATION.md, "load-once"). The model is the one those apps build (784-512-512-10 MLP with dropout,
0.67M parameters), saved as HDF5 by tf_keras in TF1 graph mode, as Keras 2 wrote it; its weights
are read back into the same architecture built (a) by tf_keras in graph mode under
``python -m legacy_shim`` and (b) by Keras 3, each in its own long-lived process. Rounds alternate
between the two so that the box's noise hits both alike; per round the median of ``--calls``
calls, then the median over rounds and the ratio, and the fastest single call of each (what the
file read costs when the box is quiet). The predictions after loading are compared
first (1e-5), so both read the same weights. A benchmark: it prints, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python benchmarks/x.py` puts benchmarks/, not the repo, on the path
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import servers  # noqa: E402

LAYERS = [["Dense", {"units": 512, "activation": "relu", "input_shape": [784]}], ["Dropout", {"rate": 0.2}],
          ["Dense", {"units": 512, "activation": "relu"}], ["Dropout", {"rate": 0.2}],
          ["Dense", {"units": 10, "activation": "softmax"}]]


def tf_executing_eagerly() -> bool:
    import tensorflow as tf

    return tf.executing_eagerly()


def _worker(path: str) -> int:
    """Build the architecture with whatever `keras` is (tf_keras under the shim, else Keras 3),
    then answer stdin lines `N` with the median ms of N load_weights calls."""
    import numpy as np
    import keras

    model = keras.models.Sequential()
    for name, kwargs in LAYERS:
        model.add(getattr(keras.layers, name)(**kwargs))
    model.load_weights(path)
    mode = "eager" if tf_executing_eagerly() else "graph"
    x = np.random.RandomState(0).uniform(size=(1, 784)).astype("float32")
    print(json.dumps({"check": model.predict_on_batch(x).tolist(), "mode": mode}), flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            t0 = time.perf_counter()
            model.load_weights(path)
            times.append(time.perf_counter() - t0)
        print(json.dumps({"ms": statistics.median(times) * 1000, "min": min(times) * 1000}), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Build the file, start both workers, alternate rounds, print the table."""
    parser = argparse.ArgumentParser(prog="python benchmarks/load_weights_cost.py", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker)
    env = servers.bench_env()
    with tempfile.TemporaryDirectory(prefix="load-weights-") as tmp:
        specs = Path(tmp) / "models.json"
        specs.write_text(json.dumps([{"layers": LAYERS, "seed": 7, "files": {"model": "model.h5"}}]))
        subprocess.run([sys.executable, "-m", "benchmarks.real_apps_serve_models", str(specs), tmp, tmp],
                       cwd=REPO_ROOT, env=env, check=True, capture_output=True)
        path = str(Path(tmp) / "model.h5")
        me = str(Path(__file__).resolve())
        argv_of = {"tf_keras, graph mode, under the shim": [sys.executable, "-m", "legacy_shim", me, "--worker", path],
                   "Keras 3": [sys.executable, me, "--worker", path]}
        workers = {label: subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                           env=dict(env, LEGACY_SHIM_MODE="graph"), cwd=tmp)
                   for label, cmd in argv_of.items()}
        try:
            ready = {label: json.loads(w.stdout.readline()) for label, w in workers.items()}
            modes = {label: r["mode"] for label, r in ready.items()}
            first, second = (r["check"] for r in ready.values())
            same = all(abs(a - b) <= 1e-5 for a, b in zip(first[0], second[0]))
            per_round: dict[str, list[float]] = {label: [] for label in workers}
            fastest: dict[str, float] = {}
            for _ in range(args.rounds):
                for label, w in workers.items():
                    w.stdin.write(f"{args.calls}\n")
                    w.stdin.flush()
                    answer = json.loads(w.stdout.readline())
                    per_round[label].append(answer["ms"])
                    fastest[label] = min(fastest.get(label, answer["min"]), answer["min"])
        finally:
            for w in workers.values():
                w.stdin.close()
                w.wait(timeout=60)
    legacy, keras3 = (statistics.median(v) for v in per_round.values())
    print(f"load_weights of a 0.67M-parameter MLP's TF1-era .h5, median of {args.rounds} alternating rounds "
          f"x {args.calls} calls (same predictions after loading: {'yes' if same else 'NO'}; "
          f"modes: {', '.join(f'{k}: {v}' for k, v in modes.items())})")
    print(f"{'variant':<40} {'ms per call':>12} {'fastest call':>13}  rounds")
    for label, values in per_round.items():
        print(f"{label:<40} {statistics.median(values):>12.2f} {fastest[label]:>13.2f}  "
              f"{' '.join(f'{v:.2f}' for v in values)}")
    low_legacy, low_keras3 = fastest.values()
    print(f"{'ratio Keras 3 / tf_keras':<40} {keras3 / legacy:>11.2f}x {low_keras3 / low_legacy:>12.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
