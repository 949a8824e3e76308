"""The patch registry: applies the records of ``patches.PATCHES`` and puts everything back.

Modelled on gevent.monkey's registry of originals and OpenTelemetry's idempotent
instrument()/uninstrument(): every change the shim makes to another library goes
through a :class:`Patcher`, which remembers what was there before (including "the
attribute did not exist"), so :meth:`Registry.uninstall` can restore the exact
original object, newest change first, and only where the value is still ours.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, Callable

_MISSING = object()


@dataclasses.dataclass(frozen=True)
class Patch:
    """One declared runtime patch: a row of the table in ``legacy_shim.patches``.

    ``when`` returns ``None`` when the patch applies here, or the reason it does not
    (a missing library, a feature already present...). ``apply`` performs the change
    through the given :class:`Patcher` and nothing else may touch foreign objects.
    """

    id: str
    target: str
    replacement: str
    why: str
    when: Callable[[], str | None]
    apply: Callable[["Patcher"], None]


@dataclasses.dataclass
class _Change:
    patch_id: str
    kind: str  # "attr" | "item" | "undo"
    owner: Any
    name: Any
    original: Any
    value: Any


class Patcher:
    """The only way a patch changes a foreign object; records how to undo it."""

    def __init__(self, registry: "Registry", patch_id: str):
        self._registry = registry
        self.patch_id = patch_id

    def set_attr(self, owner: Any, name: str, value: Any) -> None:
        """``setattr(owner, name, value)``, remembering the raw original.

        The original is read from ``owner.__dict__`` (as wrapt does) so that a
        classmethod/staticmethod or an inherited attribute is restored exactly.
        """
        raw = vars(owner).get(name, _MISSING) if hasattr(owner, "__dict__") else getattr(owner, name, _MISSING)
        self._registry._changes.append(_Change(self.patch_id, "attr", owner, name, raw, value))
        setattr(owner, name, value)

    def set_item(self, mapping: Any, key: Any, value: Any) -> None:
        """``mapping[key] = value`` (sys.modules, os.environ, ...), remembering the original."""
        original = mapping.get(key, _MISSING)
        self._registry._changes.append(_Change(self.patch_id, "item", mapping, key, original, value))
        mapping[key] = value

    def del_item(self, mapping: Any, key: Any) -> None:
        """``del mapping[key]`` if present, remembering it."""
        if key in mapping:
            original = mapping[key]
            self._registry._changes.append(_Change(self.patch_id, "item", mapping, key, original, _MISSING))
            del mapping[key]

    def replace_everywhere(self, original: Any, replacement: Any, packages: tuple[str, ...]) -> int:
        """Point every module-level reference to ``original`` in the (imported) modules of
        ``packages`` at ``replacement``; returns how many were replaced.

        Keras re-exports one function under many modules (``keras.backend``, ``keras.models``,
        tf_keras's v1 and v2 API trees); an app may reach it through any of them.
        """
        count = 0
        for name, module in list(sys.modules.items()):
            if module is None or not (name in packages or name.startswith(tuple(pkg + "." for pkg in packages))):
                continue
            for attr, value in list(vars(module).items()):
                if value is original:
                    self.set_attr(module, attr, replacement)
                    count += 1
        return count

    def on_undo(self, undo: Callable[[], str | None]) -> None:
        """Register a callable that reverses a change that is not an attribute or item;
        it may return a note for what it could not reverse."""
        self._registry._changes.append(_Change(self.patch_id, "undo", None, None, None, undo))


@dataclasses.dataclass
class Outcome:
    """What happened to one patch: applied, skipped (with why) or failed (with the error)."""

    id: str
    status: str  # "applied" | "skipped" | "failed" | "disabled"
    detail: str = ""


class Registry:
    """Applies patches idempotently and restores originals on uninstall."""

    def __init__(self) -> None:
        self._changes: list[_Change] = []
        self.outcomes: dict[str, Outcome] = {}

    @property
    def installed_ids(self) -> list[str]:
        return [o.id for o in self.outcomes.values() if o.status == "applied"]

    def apply(self, patch: Patch, disabled: frozenset[str] = frozenset()) -> Outcome:
        if patch.id in self.outcomes and self.outcomes[patch.id].status == "applied":
            return self.outcomes[patch.id]
        if patch.id in disabled:
            outcome = Outcome(patch.id, "disabled", "turned off by LEGACY_SHIM_DISABLE / configure()")
        else:
            reason = patch.when()
            if reason is not None:
                outcome = Outcome(patch.id, "skipped", reason)
            else:
                mark = len(self._changes)
                try:
                    patch.apply(Patcher(self, patch.id))
                except Exception as exc:  # a broken patch must not break the app silently, nor half-apply
                    self._undo(self._changes[mark:])
                    del self._changes[mark:]
                    outcome = Outcome(patch.id, "failed", f"{type(exc).__name__}: {exc}")
                else:
                    outcome = Outcome(patch.id, "applied", patch.why)
        self.outcomes[patch.id] = outcome
        return outcome

    def is_patched(self, owner: Any, name: str) -> bool:
        """True if ``owner.name`` currently holds a value the shim put there."""
        current = getattr(owner, name, _MISSING)
        return any(c.kind == "attr" and c.owner is owner and c.name == name and c.value is current for c in self._changes)

    def get_original(self, owner: Any, name: str) -> Any:
        """The first recorded original of ``owner.name`` (never a value of ours)."""
        for change in self._changes:
            if change.kind == "attr" and change.owner is owner and change.name == name:
                if change.original is _MISSING:
                    raise AttributeError(f"{owner!r} had no attribute {name!r} before the shim")
                return _unwrap_raw(change.original, owner, name)
        return getattr(owner, name)

    def uninstall(self) -> list[str]:
        """Undo every change, newest first. Returns notes about values that were no longer ours."""
        notes = self._undo(self._changes)
        self._changes.clear()
        self.outcomes.clear()
        return notes

    @staticmethod
    def _undo(changes: list[_Change]) -> list[str]:
        notes = []
        for change in reversed(changes):
            if change.kind == "undo":
                note = change.value()
                if note:
                    notes.append(note)
                continue
            if change.kind == "attr":
                current = vars(change.owner).get(change.name, _MISSING) if hasattr(change.owner, "__dict__") else getattr(change.owner, change.name, _MISSING)
                if current is not change.value:
                    notes.append(f"{change.patch_id}: {_describe(change.owner)}.{change.name} was changed by someone else; left as is")
                    continue
                if change.original is _MISSING:
                    delattr(change.owner, change.name)
                else:
                    setattr(change.owner, change.name, change.original)
            else:  # item
                current = change.owner.get(change.name, _MISSING)
                if current is not change.value:
                    notes.append(f"{change.patch_id}: [{change.name!r}] was changed by someone else; left as is")
                    continue
                if change.original is _MISSING:
                    change.owner.pop(change.name, None)
                else:
                    change.owner[change.name] = change.original
        return notes


def _unwrap_raw(raw: Any, owner: Any, name: str) -> Any:
    # A raw classmethod/staticmethod from a class __dict__ is returned as bound/unwrapped
    # function so callers can call it like the attribute they would have read.
    if isinstance(raw, (classmethod, staticmethod)):
        return raw.__get__(None, owner)
    return raw


def _describe(owner: Any) -> str:
    return getattr(owner, "__name__", None) or type(owner).__name__
