"""The graphs, sessions and models one module holds for the others of its app.

Real apps build the model, its graph and session in one module and use them in another:
Django's `settings.py` (`GRAPH = tf.get_default_graph()`, read as `settings.GRAPH`), an
`AppConfig` (`PredictorConfig.graph`, set in `ready()`), a `load.py` whose `init()` returns
`(model, graph)`. `module_exports(source)` answers, for one module, which of its module-level
names and `Class.attr` class attributes hold one, and what its top-level functions return;
the runner turns that into each importer's `carriers.Imported`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from migrate.analysis.carriers import GRAPH, PLAIN, SESSION, Carriers, Held, collect_bindings
from migrate.analysis.models import keras_models
from migrate.analysis.names import ImportNames


@dataclass(frozen=True)
class Exports:
    """keys: module-level name or `Class.attr` → what it holds; returns: top-level function →
    {tuple slot (carriers.PLAIN: a plain value): what it returns there}."""

    keys: dict[str, Held] = field(default_factory=dict)
    returns: dict[str, dict[int, Held]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.keys or self.returns)


def module_exports(source: str) -> Exports:
    """What `source`'s module holds for other modules (empty when it does not parse)."""
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, SyntaxError, ValueError, RecursionError, MemoryError):
        return Exports()
    names = ImportNames.from_module(module)
    collected = collect_bindings(module)
    analyses = (Carriers(module, names, collected=collected), keras_models(module, names, collected=collected))
    top, classes, functions = top_level(module)
    keys: dict[str, Held] = {}
    returns: dict[str, dict[int, Held]] = {}
    for analysis in analyses:
        for key, kind in analysis.keys.items():
            owner, _, attr = key.partition(".")
            if not isinstance(kind, Held) or "." in attr:
                continue
            if (not attr and owner in top) or (attr and owner in classes):
                keys.setdefault(key, kind)
        for func in functions:
            for slot, kind in analysis.returned_kinds(func).items():
                returns.setdefault(func, {}).setdefault(slot, kind)
    for func, kinds in returns.items():
        widths = analyses[0].tuple_widths(func)
        if PLAIN not in kinds and len(widths) == 1:
            # `return model, graph`: once the graph goes (and each caller's `model, graph = init()`
            # becomes `model = init()`), the function returns the one slot left
            left = [i for i in range(widths.pop()) if kinds.get(i) not in (GRAPH, SESSION)]
            if len(left) == 1 and left[0] in kinds:
                kinds[PLAIN] = kinds[left[0]]
    return Exports(keys, returns)


def top_level(module: cst.Module) -> tuple[set[str], set[str], set[str]]:
    """(names assigned, classes, functions) at module level."""
    names: set[str] = set()
    classes: set[str] = set()
    functions: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.ClassDef):
            classes.add(statement.name.value)
        elif isinstance(statement, cst.FunctionDef):
            functions.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                           else [small.target] if isinstance(small, cst.AnnAssign) else [])
                for target in targets:
                    elements = ([e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List))
                                else [target])
                    names.update(e.value for e in elements if isinstance(e, cst.Name))
    return names, classes, functions
