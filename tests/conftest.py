"""Project-wide test fixtures and the two test tiers. Keep this file small.

Model files are built once per cache key by a child process (see fixtures.models),
so nothing here imports TensorFlow into the test process.

Tiers: pyproject's addopts deselect ``slow`` tests, so ``pytest`` is the default tier and
``pytest -m slow`` the slow one; CI runs both (tests/test_tiers.py). A test goes to the slow
tier with ``@pytest.mark.slow(reason="...")``, the reason saying why it is not in the default
tier (see README, "Set-up").
"""

from pathlib import Path

import pytest

from tests.tiers import SLOW_WITHOUT_REASON


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: before `-m` deselects anything, so the slow tier is seen from the default one too
    config.stash[SLOW_WITHOUT_REASON] = [
        item.nodeid for item in items
        if any(not str(mark.kwargs.get("reason", "")).strip() for mark in item.iter_markers("slow"))]


@pytest.fixture(scope="session")
def fixture_models_dir() -> Path:
    """Directory with every catalogue model file, built on first use and cached across runs."""
    from fixtures.models import built_models_dir

    return built_models_dir()
