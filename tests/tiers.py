"""What tests/conftest.py hands to tests/test_tiers.py, in a module both import by one name
(pytest imports conftest.py under a name of its own, so a key defined there would be a
different object in a test module)."""

import pytest

# node ids of collected tests marked slow without a reason=
SLOW_WITHOUT_REASON = pytest.StashKey[list]()
