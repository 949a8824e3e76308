"""Whole-file fixtures in black's style: each golden file is `input`, a line `# output`, `expected`.

All rules run with the default options, exactly as `python -m migrate` would. To update a
fixture after an intended change, rerun the tool on the input part and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.engine import Config, migrate_source

GOLDEN = Path(__file__).parent / "golden"
SEPARATOR = "\n# output\n\n"


def _cases():
    for path in sorted(GOLDEN.glob("*.py")):
        yield pytest.param(path, id=path.stem)


def _split(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    assert text.count(SEPARATOR) == 1, f"{path.name}: needs exactly one '# output' line"
    source, expected = text.split(SEPARATOR)
    return source, expected


@pytest.mark.parametrize("path", list(_cases()))
def test_golden(path):
    source, expected = _split(path)
    outcome = migrate_source(source, Config(), str(path))
    assert outcome.error is None
    assert outcome.code == expected


@pytest.mark.parametrize("path", list(_cases()))
def test_golden_output_is_stable(path):
    _, expected = _split(path)
    outcome = migrate_source(expected, Config(), str(path))
    assert outcome.error is None
    assert outcome.code == expected


def test_golden_fixtures_exist():
    assert len(list(GOLDEN.glob("*.py"))) >= 4
