"""The app folders the serving benchmarks run, and where each one's code comes from.

(a) ``legacy``: fixtures/apps/global_graph untouched, run under the shim.
(b) ``by_hand``: the same app re-entering graph+session by hand, no shim (benchmarks/apps).
(c) ``migrated``: ``python -m migrate --write`` on a copy of the legacy app, when the tool's
    output runs on plain Keras 3 and answers like (a); otherwise the hand-written
    benchmarks/apps/migrated, and the caption says so.
(d) ``naive``: (c) with ``predict_on_batch`` turned back into ``model.predict``.
Every folder gets the model file its code can load: the TF1-era .h5 for (a)/(b), a
Keras-3-loadable one for (c)/(d) (the tool's upgrade if it made one, else
:mod:`benchmarks.keras3_model`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks import keras3_model
from fixtures import catalog

REPO_ROOT = Path(__file__).resolve().parent.parent
HAND_WRITTEN = Path(__file__).resolve().parent / "apps"
LEGACY_APP = "global_graph"
MODEL_FILE = "mlp_softmax.h5"
# graph/session juggling that a migrated app must not contain any more
_LEGACY_LEFTOVERS = re.compile(r"as_default|get_default_graph|set_session|Session\(|legacy_shim")


@dataclass
class MigratedSource:
    """Where the migrated app's code came from, for the table caption."""

    by_tool: bool
    note: str


def prepare_legacy(dest: Path, app_name: str = LEGACY_APP) -> Path:
    """(a): the fixture app and its TF1-era model file."""
    return catalog.prepare(catalog.get_app(app_name), dest)


def prepare_by_hand(dest: Path) -> Path:
    """(b): the hand re-entry app next to the same TF1-era model file."""
    prepare_legacy(dest)
    shutil.copyfile(HAND_WRITTEN / "reentry_by_hand" / "app.py", dest / "app.py")
    return dest


def prepare_migrated(dest: Path) -> MigratedSource:
    """(c): try the migrate tool on a copy of (a); fall back to the hand-written app.

    Returns what was used. The caller still verifies the answers; a tool output that
    serves wrong answers is replaced by :func:`use_hand_written` there.
    """
    prepare_legacy(dest)
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--quiet", str(dest / "app.py")],
                          capture_output=True, text=True, cwd=str(REPO_ROOT), env=_env())
    code = (dest / "app.py").read_text()
    original = (catalog.get_app(LEGACY_APP).path / "app.py").read_text()
    problem = None
    if proc.returncode not in (0, 1):
        problem = f"migrate exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"
    elif code == original:
        problem = "migrate left the app unchanged"
    elif _LEGACY_LEFTOVERS.search(code):
        problem = f"migrate output still has `{_LEGACY_LEFTOVERS.search(code).group(0)}`"
    if problem:
        use_hand_written(dest)
        return MigratedSource(False, f"migrated app written by hand (benchmarks/apps/migrated): {problem}")
    _ensure_keras3_model(dest)
    return MigratedSource(True, "migrated app = `python -m migrate --write` output on a copy of the legacy app")


def use_hand_written(dest: Path) -> None:
    """Replace the app in ``dest`` by the hand-written migrated app and a Keras 3 model file."""
    shutil.copyfile(HAND_WRITTEN / "migrated" / "app.py", dest / "app.py")
    _ensure_keras3_model(dest)


def prepare_naive(migrated_dir: Path, dest: Path) -> str:
    """(d): the migrated app with ``model.predict`` in the handler. Returns a note."""
    shutil.copytree(migrated_dir, dest, dirs_exist_ok=True)
    code = (migrated_dir / "app.py").read_text()
    note = "naive = the migrated app with `predict_on_batch` put back to `predict`"
    if ".predict_on_batch(" not in code:  # the tool chose another call: start from the hand-written one
        code = (HAND_WRITTEN / "migrated" / "app.py").read_text()
        note = "naive = benchmarks/apps/migrated (hand-written) with `predict_on_batch` put back to `predict`"
    (dest / "app.py").write_text(code.replace(".predict_on_batch(", ".predict("))
    return note


def _ensure_keras3_model(dest: Path) -> None:
    target = dest / MODEL_FILE
    if not keras3_model.loads_on_keras3(target):
        keras3_model.write_keras3_copy("mlp_softmax", target)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env
