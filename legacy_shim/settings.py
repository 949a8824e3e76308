"""Run-time settings of the shim: from the environment, or ``legacy_shim.configure()``.

| setting          | environment                         | default |
|------------------|-------------------------------------|---------|
| disabled patches | ``LEGACY_SHIM_DISABLE=id1,id2``     | none    |
| predict lock     | ``LEGACY_SHIM_PREDICT_LOCK=1``      | off     |
| load once        | ``load-once`` patch (disable above) | on      |
| report at exit   | ``LEGACY_SHIM_REPORT=path``         | none    |
| execution mode   | ``LEGACY_SHIM_MODE=graph|eager``    | chosen from the app's source (``app_style``) |
| app folder read  | ``LEGACY_SHIM_APP=dir`` (the runner sets it) | the importing file's folder |
"""

from __future__ import annotations

import dataclasses
import os

_TRUE = ("1", "true", "yes", "on")


class LegacyShimWarning(UserWarning):
    """Something the shim could not make right by itself; the message says what to do."""


LegacyShimWarning.__module__ = "legacy_shim"  # its public name: `from legacy_shim import LegacyShimWarning`


@dataclasses.dataclass
class Settings:
    disabled: frozenset = frozenset()
    predict_lock: bool = False
    report_path: str | None = None
    mode: str | None = None
    app_root: str | None = None


def from_environment(environ=os.environ) -> Settings:
    disabled = frozenset(part.strip() for part in environ.get("LEGACY_SHIM_DISABLE", "").split(",") if part.strip())
    return Settings(
        disabled=disabled,
        predict_lock=environ.get("LEGACY_SHIM_PREDICT_LOCK", "").lower() in _TRUE,
        report_path=environ.get("LEGACY_SHIM_REPORT") or None,
        mode=environ.get("LEGACY_SHIM_MODE", "").strip().lower() or None,
        app_root=environ.get("LEGACY_SHIM_APP") or None,
    )


current = from_environment()
