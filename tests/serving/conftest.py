"""Serving-suite options: how hard to hammer.

``--soak`` (or ``SOAK=1`` in the environment) runs every concurrency test at full
length, 200 requests per client; otherwise, and always in CI, 25. The option only
exists when pytest loads this file at start-up (``pytest tests/serving ...``); from
the repository root use ``SOAK=1 pytest``.
"""

from __future__ import annotations

import os

import pytest

BOUNDED_PER_CLIENT = 25
SOAK_PER_CLIENT = 200
CLIENTS = 16


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", default=False,
                     help=f"serving tests: {SOAK_PER_CLIENT} requests per client instead of "
                          f"{BOUNDED_PER_CLIENT}")


def soak_requested(config: pytest.Config) -> bool:
    """True when the full soak was asked for, by flag or by environment."""
    flag = config.getoption("--soak", default=False)
    return bool(flag) or os.environ.get("SOAK", "").lower() in ("1", "true", "yes", "on")


@pytest.fixture(scope="session")
def per_client(pytestconfig: pytest.Config) -> int:
    """Requests each of the `CLIENTS` concurrent clients sends."""
    return SOAK_PER_CLIENT if soak_requested(pytestconfig) else BOUNDED_PER_CLIENT
