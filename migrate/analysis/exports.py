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

from migrate.analysis.arrays import ArrayOracle
from migrate.analysis.carriers import GRAPH, PLAIN, SESSION, Carriers, Held, Imported, collect_bindings
from migrate.analysis.handlers import request_functions
from migrate.analysis.models import MODEL, keras_models
from migrate.analysis.names import ImportNames, dotted
from migrate.analysis.walk import walk


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


@dataclass(frozen=True)
class CallFacts:
    """One call of another module's function, class or method, as the caller makes it.

    args: position (int) or keyword (str) → what a pure argument there holds (a graph or
    session: a name, `app.graph`, `MODELS['m']['graph']`; or a Keras model); arrays: the
    positions and keywords given a visible array; hot: the call runs per request."""

    args: dict = field(default_factory=dict)
    arrays: frozenset = frozenset()
    hot: bool = False


def calls_into(source: str, imported: Imported, callables: set[str], classes: set[str],
               exported: set[str] | None = None) -> dict[str, list[CallFacts] | None]:
    """For each of `callables` (local dotted text of another module's function or class:
    `inference.Predictor`, `top_class`) that `source` mentions, its calls; for each of `classes`
    (those of `callables` that are classes), the calls of methods on module-level instances
    (`predictor = inference.Predictor(...)`, then `predictor.score(x)`: text
    `inference.Predictor.score`). None when a callable is also used otherwise (a callback,
    `*args`), so its calls cannot all be seen; for a class also when an instance is made
    elsewhere than in such an assignment, or one is used otherwise than to call its methods
    (`predictor.graph`, passed to a function, read by another module: `exported`)."""
    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    names = ImportNames.from_module(module)
    collected = collect_bindings(module)
    carriers = Carriers(module, names, collected=collected, imported=imported)
    models = keras_models(module, names, collected=collected, imported=imported)
    requests = request_functions(module)
    arrays = ArrayOracle(module, names)
    instances, made_at = _instances(module, classes)
    found: dict[str, list[CallFacts] | None] = {}
    called: set[int] = set()
    receivers: set[int] = set()  # `predictor` of `predictor.score(...)`
    stack: list[cst.FunctionDef] = []
    for name in set(instances) & (exported or set()):
        found[instances[name]] = None  # another module reads the instance: its uses are not all here

    def facts_of(node: cst.Call) -> CallFacts | None:
        if any(arg.star for arg in node.args):
            return None
        args: dict = {}
        array_args = set()
        for position, arg in enumerate(node.args):
            at = arg.keyword.value if arg.keyword is not None else position
            kind = carriers.kind_of(arg.value)
            if kind in (GRAPH, SESSION) and carriers.is_pure(arg.value):
                args[at] = kind
            elif models.kind_of(arg.value) == MODEL:
                args[at] = MODEL
            if stack and arrays.is_array(arg.value, stack[-1]):
                array_args.add(at)
        return CallFacts(args, frozenset(array_args), bool(stack) and requests.is_per_request(stack[-1]))

    class Calls(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            stack.append(node)

        def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
            stack.pop()

        def visit_Call(self, node: cst.Call) -> None:
            text = dotted(node.func)
            if text is None:
                return
            owner, _, method = text.rpartition(".")
            if owner in instances:
                receivers.add(id(node.func.value))
                text = f"{instances[owner]}.{method}"
            elif text not in callables:
                return
            elif text in classes and id(node) not in made_at:
                found[text] = None  # an instance made elsewhere (in a function, chained): not followed
            called.add(id(node.func))
            calls = found.setdefault(text, [])
            if calls is None:
                return
            facts = facts_of(node)
            if facts is None:
                found[text] = None
            else:
                calls.append(facts)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            called.add(id(node.attr))  # `app.top_class` is no mention of a `top_class`
            return self._mentioned(node)

        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None:
                called.add(id(node.keyword))

        def visit_Name(self, node: cst.Name) -> None:
            self._mentioned(node)

        def visit_Import(self, node: cst.Import) -> bool:
            return False  # importing it is no use

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def _mentioned(self, node: cst.BaseExpression) -> bool:
            text = dotted(node)
            if text in callables and id(node) not in called:
                found[text] = None  # not the function of a call: a callback, a reference
                return False
            if isinstance(node, cst.Name) and node.value in instances and id(node) not in receivers \
                    and id(node) not in made_at:
                found[instances[node.value]] = None  # `predictor.graph`, `run(predictor)`: used otherwise
            return True

    walk(module, Calls())
    return found


def _instances(module: cst.Module, classes: set[str]) -> tuple[dict[str, str], set[int]]:
    """(module-level names bound once, to an instance of one of `classes` (`predictor =
    inference.Predictor(...)`) → that class's text; ids of those calls and target names)."""
    bound: dict[str, list[tuple[str | None, cst.Call | None, cst.Name]]] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                value = small.value
                text = dotted(value.func) if isinstance(value, cst.Call) else None
                target = small.targets[0].target
                bound.setdefault(target.value, []).append(
                    (text, value, target) if text in classes else (None, None, target))
    instances: dict[str, str] = {}
    made_at: set[int] = set()
    for name, entries in bound.items():
        if len(entries) == 1 and entries[0][0] is not None:
            text, call, target = entries[0]
            instances[name] = text
            made_at |= {id(call), id(target)}
    return instances, made_at
