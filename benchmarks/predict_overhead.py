"""Issue 2 (1): what the shim's automatic graph/session re-entry costs per predict.

The same model (mlp_softmax, 64-256-256-10, batch 1) is called from a request thread
(a) under the shim through the legacy app's plain ``model.predict(x)`` /
``predict_on_batch(x)``, and (b) without the shim, on plain TF 2.21 + tf_keras graph
mode, re-entered by hand with ``with graph.as_default(), sess.as_default():``. Each
variant lives in its own long-running process (benchmarks/predict_worker.py); rounds
alternate between them and the figure is the median over rounds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks import app_variants, rounds
from benchmarks.report import Section, check, fmt, ratio

REPO_ROOT = Path(__file__).resolve().parent.parent
# A second, identical by-hand process is the control: two processes running the very same
# code differ by a few percent (memory layout, which core, ...), and a shim overhead
# smaller than that difference cannot be told apart from it.
VARIANTS = ("shim", "by-hand", "control")
LABELS = {"shim": "(a) legacy app under the shim, plain model.predict",
          "by-hand": "(b) no shim, `with graph.as_default(), sess.as_default():` by hand",
          "control": "(b') control: a second process running exactly (b)"}


class Worker:
    """A predict_worker process: load once, then answer timing requests."""

    def __init__(self, variant: str, app_dir: Path):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.pop("TF_USE_LEGACY_KERAS", None)  # (b) sets it itself; (a) must not need it
        env.pop("LEGACY_SHIM_DISABLE", None)
        self.variant = variant
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.predict_worker", variant, str(app_dir)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, cwd=str(REPO_ROOT))
        self.ready = self._answer()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"predict worker {self.variant} died:\n{self.proc.stderr.read()[-3000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"predict worker {self.variant}: {answer['error']}")
        return answer

    def time_calls(self, n: int) -> dict[str, float]:
        """Microseconds per call of predict and predict_on_batch, n calls each."""
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self) -> None:
        """End the worker (EOF on stdin), killing it if it does not go."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def run(workdir: Path, quick: bool = False) -> Section:
    """Measure both variants side by side and return the table."""
    n_rounds, n_calls = (3, 50) if quick else (15, 300)
    folders = {"shim": app_variants.prepare_legacy(workdir / "overhead-shim"),
               "by-hand": app_variants.prepare_by_hand(workdir / "overhead-by-hand")}
    folders["control"] = folders["by-hand"]
    workers = {}
    try:
        for variant in VARIANTS:
            workers[variant] = Worker("by-hand" if variant == "control" else variant, folders[variant])
        same = all(np.allclose(workers["shim"].ready[k], workers["by-hand"].ready[k], rtol=0, atol=1e-6)
                   for k in ("check", "check_on_batch"))
        results = rounds.interleave(VARIANTS, n_rounds, lambda v, r: workers[v].time_calls(n_calls))
    finally:
        for worker in workers.values():
            worker.close()
    rows, goals = [], []
    for variant in VARIANTS:
        rows.append([LABELS[variant]] + [fmt(results[variant][m].median) + " µs"
                                         for m in ("predict", "predict_on_batch")])
    ratios = {m: rounds.paired_ratio(results["shim"][m], results["by-hand"][m]) for m in ("predict", "predict_on_batch")}
    rows.append(["(a)/(b)"] + [ratio(ratios[m]) for m in ("predict", "predict_on_batch")])
    rows.append(["(b')/(b): the noise floor"] + [ratio(rounds.paired_ratio(results["control"][m], results["by-hand"][m]))
                                                 for m in ("predict", "predict_on_batch")])
    for m in ("predict", "predict_on_batch"):
        goals.append(check(f"shim overhead (a)/(b), {m}", ratios[m], "<=", 1.05))
    caption = [
        f"Median over {n_rounds} alternating rounds of {n_calls} calls per method per variant, each variant in its own "
        "process, calls made from a request thread that did not load the model. (a)/(b) is the median of per-round ratios.",
        "Both variants' outputs for the same input " + ("are equal (atol 1e-6)." if same else "DIFFER - see the workers."),
    ]
    return Section("Shim overhead per predict (mlp_softmax 64-256-256-10, batch 1)",
                   ["variant", "model.predict", "model.predict_on_batch"], rows, caption, goals)
