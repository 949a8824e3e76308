"""Run legacy TF1 / Keras-2 serving apps unmodified on today's TensorFlow.

Put ``import legacy_shim`` as the first line of the app (or run it with
``python -m legacy_shim app.py``). Importing applies every row of
``legacy_shim.patches.PATCHES`` that fits this machine; ``report()`` says what was
applied or skipped and which legacy call sites the app hit; ``uninstall()`` restores
every patched object.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import sys
import types
import warnings

from legacy_shim import app_style, settings, standalone_keras, worklist
from legacy_shim.registry import Registry
from legacy_shim.settings import LegacyShimWarning

__all__ = ["install", "uninstall", "report", "configure", "is_patched", "get_original", "LegacyShimWarning"]


_registry = Registry()
_late_import_notes: list[str] = []


_LIBRARY_ROOTS = frozenset({"keras", "tensorflow", "tf_keras", "legacy_shim", "tensorboard", "h5py", "numpy"})


def _names_bound_to_keras3() -> list[str]:
    """``module.name`` entries of app modules that already hold Keras 3 objects.

    TensorFlow itself imports Keras 3 when it is imported, so Keras 3 being in
    sys.modules is no problem; an app module that bound it (``import keras``,
    ``from keras.models import load_model``) before the shim is.
    """
    keras = sys.modules.get("keras")
    if keras is None or not str(vars(keras).get("__version__", "")).startswith("3"):
        return []
    bound = []
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".")[0] in _LIBRARY_ROOTS:
            continue
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            if isinstance(value, types.ModuleType):
                origin = vars(value).get("__name__")  # vars(): never trigger a lazy loader
            elif isinstance(value, (type, types.FunctionType)):
                origin = getattr(value, "__module__", None)
            else:
                continue
            if isinstance(origin, str) and (origin == "keras" or origin.startswith("keras.")):
                bound.append(f"{module_name}.{attr}")
    return bound


def _check_import_order() -> list[str]:
    """Say clearly what an app that imported Keras 3 before the shim must change."""
    bound = _names_bound_to_keras3()
    if not bound:
        return []
    return [
        f"legacy_shim was imported after Keras 3 was bound to {', '.join(bound[:5])}: those names stay Keras 3, "
        "which has no sessions and cannot load TF1-era .h5 files. Make `import legacy_shim` the first line of "
        "the app, or run it with `python -m legacy_shim app.py`."
    ]


def _decide_style() -> app_style.Decision:
    """TF 1 graph mode or TF 2 eager for this app (see ``legacy_shim.app_style``); once per process."""
    if app_style.current is None:
        version = standalone_keras.installed_keras_version()
        if version is not None and version.startswith("2."):
            decision = app_style.Decision(app_style.GRAPH, f"standalone Keras {version} runs on TF 1 graph mode")
        else:
            root = settings.current.app_root
            if root is None and sys.argv[:1] == ["-m"]:
                # `python -m legacy_shim ...`: runpy imports this package before the runner's
                # main runs, with sys.argv[0] "-m" and the runner's arguments after it.
                root = app_style.runner_app_folder(sys.argv[1:])
            elif root is None:
                root = app_style.importing_file_folder()
            decision = app_style.decide(root, settings.current.mode)
        if decision.mixed:
            warnings.warn(app_style.mixed_message(decision), LegacyShimWarning, stacklevel=4)
        app_style.current = decision
    return app_style.current


def install() -> dict:
    """Apply every patch of the table that applies here (idempotent). Returns the outcomes.

    Warns (``LegacyShimWarning``) when the app mixes TF 1 graph-mode and TF 2 eager code.
    """
    from legacy_shim.patches import PATCHES

    _decide_style()
    notes = _check_import_order()
    for note in notes:
        if note not in _late_import_notes:
            _late_import_notes.append(note)
            warnings.warn(note, LegacyShimWarning, stacklevel=3)
    for patch in PATCHES:
        outcome = _registry.apply(patch, settings.current.disabled)
        if outcome.status == "failed":
            warnings.warn(f"legacy_shim: patch {patch.id} failed: {outcome.detail}", LegacyShimWarning, stacklevel=3)
    worklist.reset_library_dirs()
    return {o.id: o.status for o in _registry.outcomes.values()}


def uninstall() -> list[str]:
    """Restore every object the shim patched, newest first; returns notes on values that
    someone else had replaced meanwhile (those are left alone)."""
    from legacy_shim import load_once

    notes = _registry.uninstall()
    load_once.clear()
    return notes


def configure(*, predict_lock: bool | None = None, disable: tuple[str, ...] | None = None) -> None:
    """Change settings at run time (the environment gives the defaults, see ``legacy_shim.settings``).

    ``predict_lock=True`` serialises each model's inference calls (for stacks that need it);
    it applies to models captured from now on. ``disable`` names patches to leave out: it
    takes effect on the next ``install()`` (call ``uninstall()`` first to drop applied ones).
    """
    if predict_lock is not None:
        settings.current.predict_lock = predict_lock
    if disable is not None:
        settings.current.disabled = frozenset(disable)


def is_patched(owner, name: str) -> bool:
    """True if ``owner.name`` currently holds a value the shim put there."""
    return _registry.is_patched(owner, name)


def get_original(owner, name: str):
    """The value ``owner.name`` had before the shim touched it."""
    return _registry.get_original(owner, name)


@dataclasses.dataclass
class Report:
    """What the shim did and what the app used: its migration worklist."""

    patches: list
    call_sites: list
    notes: list
    load_once: dict
    mode: str = ""


    def as_dict(self) -> dict:
        return {
            "patches": [dataclasses.asdict(o) for o in self.patches],
            "call_sites": [dataclasses.asdict(s) for s in self.call_sites],
            "notes": list(self.notes),
            "load_once": dict(self.load_once),
            "mode": self.mode,
        }

    def __str__(self) -> str:
        lines = [f"mode: {self.mode}", "legacy_shim patches:"]
        width = max((len(o.id) for o in self.patches), default=0)
        for o in self.patches:
            lines.append(f"  {o.id:<{width}}  {o.status:<8}  {o.detail}")
        for note in self.notes:
            lines.append(f"note: {note}")
        lines.append(f"load-once: {self.load_once['loads']} loads, {self.load_once['hits']} repeated loads served from memory")
        if self.call_sites:
            lines.append("legacy call sites hit at run time (the migration worklist):")
            lines.extend(f"  {site}" for site in self.call_sites)
        else:
            lines.append("no legacy call sites hit yet")
        return "\n".join(lines)


def report() -> Report:
    """Each patch applied or skipped (and why), and the legacy call sites the app hit."""
    from legacy_shim import load_once

    return Report(
        patches=list(_registry.outcomes.values()),
        call_sites=worklist.call_sites(),
        notes=list(_late_import_notes),
        load_once=dict(load_once.stats),
        mode=_mode_line(),
    )


def _mode_line() -> str:
    decision = app_style.current
    return f"{decision.mode} ({decision.reason})" if decision is not None else "not decided"


def _write_report_at_exit() -> None:
    path = settings.current.report_path
    if not path:
        return
    # One file per process: gunicorn workers each write their own.
    target = path.replace("{pid}", str(os.getpid()))
    with open(target, "w", encoding="utf-8") as fh:
        json.dump(report().as_dict(), fh, indent=2)


atexit.register(_write_report_at_exit)
install()
