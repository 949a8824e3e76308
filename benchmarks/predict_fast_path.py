"""The fast path migrate emits for a per-request `model.predict(x)`: same numbers, thread-safe, faster.

For each Keras (Keras 3, and tf_keras via TF_USE_LEGACY_KERAS=1, each in its own process)
and two models (the 64-256-256-10 MLP the other benchmarks time, and a two-input model fed
a list of arrays), one run measures side by side:

- agreement: largest |difference| between `predict(x, verbose=0)` and each fast call
  (`predict_on_batch(x)`, `model(x, training=False)`, the emitted `fast_predict` helper) for
  batches of 1, 5, 32, 33 and 100 rows (predict cuts batches of 32 rows);
- threads: 8 threads x 25 calls at once, with and without the module lock, each answer
  compared with the single-thread one (errors and mismatches counted);
- latency: microseconds per batch-1 call, interleaved rounds, median.

Run: `python -m benchmarks.predict_fast_path` (prints one table per Keras).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BATCHES = (1, 5, 32, 33, 100)
THREADS, CALLS_PER_THREAD = 8, 25
ROUNDS, CALLS_PER_ROUND = 8, 20


def _measure(flavour: str) -> dict:
    if flavour == "tf_keras":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras as keras
    else:
        import keras
    import numpy as np

    # the helper exactly as migrate emits it (migrate/rules/predict_speed.py, FAST_HELPER)
    from migrate.rules.predict_speed import FAST_HELPER
    namespace = {"numpy": np, "threading": threading}
    exec("PREDICT_LOCK = threading.RLock()\n" + FAST_HELPER, namespace)
    fast_predict = namespace["fast_predict"]

    rng = np.random.RandomState(0)
    mlp = keras.Sequential([keras.layers.Input((64,)), keras.layers.Dense(256, activation="relu"),
                            keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    a, b = keras.layers.Input((8,)), keras.layers.Input((4,))
    joined = keras.layers.Concatenate()([keras.layers.Dense(16, activation="relu")(a), b])
    two = keras.Model([a, b], keras.layers.Dense(3, activation="softmax")(joined))
    models = {
        "mlp 64-256-256-10": (mlp, lambda n: rng.rand(n, 64).astype("float32")),
        "two inputs, list of arrays": (two, lambda n: [rng.rand(n, 8).astype("float32"),
                                                       rng.rand(n, 4).astype("float32")]),
    }
    calls = {
        "predict_on_batch": lambda m, x: np.asarray(m.predict_on_batch(x)),
        "model(x, training=False)": lambda m, x: np.asarray(m(x, training=False)),
        "fast_predict helper": lambda m, x: np.asarray(fast_predict(m, x)),
    }
    out: dict = {"flavour": flavour, "version": keras.__version__, "models": {}}
    for label, (model, make) in models.items():
        row: dict = {"agreement": {}, "threads": {}, "latency_us": {}}
        for name, call in calls.items():
            worst = 0.0
            for n in BATCHES:
                x = make(n)
                worst = max(worst, float(np.max(np.abs(model.predict(x, verbose=0) - call(model, x)))))
            row["agreement"][name] = worst
        # plain nested lists: what predict accepts and the helper must still serve exactly
        # (Keras 3's predict refuses them: then the helper must raise the same error)
        nested = make(3).tolist() if not isinstance(make(1), list) else None
        if nested is not None:
            outcomes = []
            for call in (lambda: model.predict(nested, verbose=0), lambda: fast_predict(model, nested)):
                try:
                    outcomes.append(np.asarray(call()))
                except Exception as exc:  # the error itself is what is compared
                    outcomes.append(f"{type(exc).__name__}: {str(exc)[:60]}")
            if isinstance(outcomes[0], str) or isinstance(outcomes[1], str):
                row["nested_list"] = f"predict: {outcomes[0] if isinstance(outcomes[0], str) else 'ok'} / " \
                                     f"helper: {outcomes[1] if isinstance(outcomes[1], str) else 'ok'}"
            else:
                row["agreement"]["helper, nested list"] = float(np.max(np.abs(outcomes[0] - outcomes[1])))
        for name, locked in (("predict_on_batch, no lock", False), ("predict_on_batch, lock", True),
                             ("model(x, training=False), no lock", None), ("fast_predict helper", "helper")):
            inputs = [make(1 + i % 3) for i in range(THREADS)]
            wanted = [np.asarray(model.predict_on_batch(x)) for x in inputs]
            lock = threading.RLock()
            errors, wrong = [], [0]

            def work(i: int) -> None:
                try:
                    for _ in range(CALLS_PER_THREAD):
                        if locked == "helper":
                            got = fast_predict(model, inputs[i])
                        elif locked is None:
                            got = model(inputs[i], training=False)
                        elif locked:
                            with lock:
                                got = model.predict_on_batch(inputs[i])
                        else:
                            got = model.predict_on_batch(inputs[i])
                        if not np.allclose(np.asarray(got), wanted[i], atol=1e-5):
                            wrong[0] += 1
                except Exception as exc:  # counted: a failure here is the finding
                    errors.append(f"{type(exc).__name__}: {exc}"[:120])

            threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            row["threads"][name] = {"errors": len(errors), "wrong": wrong[0], "first": errors[:1]}
        x1 = make(1)
        timed = {"predict(x, verbose=0)": lambda: model.predict(x1, verbose=0),
                 "predict_on_batch": lambda: model.predict_on_batch(x1),
                 "model(x, training=False)": lambda: model(x1, training=False),
                 "fast_predict helper": lambda: fast_predict(model, x1)}
        samples: dict[str, list[float]] = {k: [] for k in timed}
        for f in timed.values():
            f()  # warm-up: builds the predict functions
        order = list(timed)
        for r in range(ROUNDS):
            # rotated order, and a collection before each block: eager model(x) leaves garbage
            # whose collection would otherwise land in whichever call comes next
            for k in order[r % len(order):] + order[:r % len(order)]:
                f = timed[k]
                n = 3 if k.startswith("predict(") else CALLS_PER_ROUND
                gc.collect()
                start = time.perf_counter()
                for _ in range(n):
                    f()
                samples[k].append((time.perf_counter() - start) / n * 1e6)
        row["latency_us"] = {k: statistics.median(v) for k, v in samples.items()}
        out["models"][label] = row
    return out


def _table(result: dict) -> str:
    lines = [f"## {result['flavour']} {result['version']}"]
    for label, row in result["models"].items():
        base = row["latency_us"]["predict(x, verbose=0)"]
        lines.append(f"\n{label}")
        fast = row["latency_us"]["predict_on_batch"]
        lines.append(f"  {'call':34} {'max |diff| vs predict':>22} {'us/call':>10} {'vs predict':>10} "
                     f"{'vs predict_on_batch':>20}")
        for name, us in row["latency_us"].items():
            diff = row["agreement"].get(name)
            lines.append(f"  {name:34} {'-' if diff is None else f'{diff:.1e}':>22} {us:10,.0f} {us / base:9.3f}x "
                         f"{us / fast:19.2f}x")
        for name, diff in row["agreement"].items():
            if name not in row["latency_us"]:
                lines.append(f"  {name:34} {diff:22.1e}")
        if "nested_list" in row:
            lines.append(f"  nested list: {row['nested_list']}")
        lines.append(f"  {THREADS} threads x {CALLS_PER_THREAD} calls:")
        for name, t in row["threads"].items():
            lines.append(f"    {name:34} errors {t['errors']:3}  wrong answers {t['wrong']:3}  {''.join(t['first'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        print(json.dumps(_measure(argv[1])))
        return 0
    for flavour in ("keras3", "tf_keras"):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        env.pop("TF_USE_LEGACY_KERAS", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        proc = subprocess.run([sys.executable, "-m", "benchmarks.predict_fast_path", "--child", flavour],
                              capture_output=True, text=True, env=env, cwd=str(REPO_ROOT))
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        print(_table(json.loads(proc.stdout.strip().splitlines()[-1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
