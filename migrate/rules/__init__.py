"""Rule discovery: every module in this package defining a `Rule` subclass is a rule.

Adding a rule means adding a module; nobody edits a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from migrate.rules.base import Example, Options, Rule

__all__ = ["Example", "Options", "Rule", "all_rules", "get_rule"]

_NOT_RULES = {"base", "driver"}


@lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class in migrate.rules, sorted by (ORDER, NAME)."""
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_RULES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
                and value.NAME
            ):
                if value.NAME in found and found[value.NAME] is not value:
                    raise RuntimeError(f"two rules named {value.NAME!r}: {found[value.NAME]} and {value}")
                found[value.NAME] = value
    return tuple(sorted(found.values(), key=lambda r: (r.ORDER, r.NAME)))


def get_rule(name: str) -> type[Rule]:
    """The rule class with this NAME (KeyError with the known names otherwise)."""
    for rule in all_rules():
        if rule.NAME == name:
            return rule
    raise KeyError(f"unknown rule {name!r}; known: {', '.join(r.NAME for r in all_rules())}")
