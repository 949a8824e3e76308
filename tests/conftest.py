"""Project-wide test fixtures. Fixture-app helpers only for now; keep this file small.

Model files are built once per cache key by a child process (see fixtures.models),
so nothing here imports TensorFlow into the test process.
"""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fixture_models_dir() -> Path:
    """Directory with every catalogue model file, built on first use and cached across runs."""
    from fixtures.models import built_models_dir

    return built_models_dir()
