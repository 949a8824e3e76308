"""The whole app, not one file at a time: what each file gets from the others, and the check
that the files' rewrites fit together.

Real apps split the graph/session juggling over modules: `settings.py` builds the graph and
session and `views.py` enters `settings.GRAPH`; `load.py`'s `init()` returns `(model, graph)`
and `app.py` unpacks it. Migrating them means two edits that only work together: the reader
stops entering the graph, and the provider stops making it.

`plan(sources, targets)` gives every file two contexts for the engine:
- safe: the names other modules read stay bound and the functions they unpack keep their
  shape; nothing is followed across modules (each file is migrated as if alone);
- joint (for the files that share graphs, sessions or models): the reader learns what it
  imports (`settings.GRAPH` is a graph, `init()` returns a graph in slot 1) and unwraps it,
  and the provider may drop what only those readers used.
The runner migrates the joint files with their joint context, then asks `disagreements`
whether the outputs fit (every name a reader's output still reads is bound in its provider's
output; every unpacking of a provider's function matches what it now returns). A file whose
pair does not fit is migrated again with its safe context, and the check repeats until every
pair fits: at worst every file ends as if migrated alone, which the engine's own checks keep
no worse than its input.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, Mapping

from migrate import project_index, verify
from migrate.analysis.carriers import GRAPH, SESSION, Held, Imported
from migrate.analysis.exports import Exports, module_exports
from migrate.engine import TF_OR_KERAS_TEXT


@dataclass(frozen=True)
class FileContext:
    """What the engine needs to know about the rest of the app for one file (picklable).

    needed: names other modules read from this one → who reads them (kept bound);
    imported: the graphs, sessions and models it takes from other modules, and which of its
    functions others unpack (analysis.carriers.Imported).
    """

    needed: dict[str, list[str]] = field(default_factory=dict)
    imported: Imported = Imported()


@dataclass
class AppPlan:
    """Two contexts per file (see the module docstring); `joint` holds only the files that
    share a graph, session or model with another file of the run."""

    safe: dict[str, FileContext] = field(default_factory=dict)
    joint: dict[str, FileContext] = field(default_factory=dict)
    resolver: project_index.Resolver | None = None
    shown: Callable[[str], str] = str  # how a path is named in messages


def plan(sources: Mapping[str, str], targets: set[str], shown: Callable[[str], str] = str) -> AppPlan:
    """The contexts of every file of `targets` (absolute paths), the app being `sources` ({path: text})."""
    needed = project_index.needed_names(sources, targets & set(sources))
    result = AppPlan(resolver=project_index.Resolver(sources), shown=shown)
    for path, names in needed.items():
        result.safe[path] = FileContext(
            needed={name: sorted(shown(r) for r in readers) for name, readers in names.items()},
            imported=Imported(kept_returns=frozenset(names)))
    exports: dict[str, Exports] = {}
    for path in needed:
        if TF_OR_KERAS_TEXT.search(sources[path]):
            found = module_exports(sources[path])
            if found:
                exports[path] = found
    if not exports:
        return result
    # what each reader (a file of the run) takes from the providers
    seeds: dict[str, tuple[dict[str, Held], dict[str, dict[int, Held]]]] = {}
    readers = {r for path in exports for names in needed[path].values() for r in names}
    for reader in sorted(readers & targets):
        keys, returns = _seeds(reader, sources[reader], result.resolver, exports)
        if keys or returns:
            seeds[reader] = (keys, returns)
    for path in set(seeds) | set(exports):
        names = needed.get(path, {})
        ex = exports.get(path, Exports())
        # a provider may drop a graph or session, or a returned slot, only when every module
        # reading it takes part in the joint rewrite
        joined = {name for name, readers_of in names.items() if all(r in seeds for r in readers_of)}
        # (`graph.as_default` read through `from .apps import graph` goes with `graph`)
        droppable = {name for name in joined if ex.keys.get(name) in (GRAPH, SESSION)
                     or ex.keys.get(name.rsplit(".", 1)[0]) in (GRAPH, SESSION)}
        keys, returns = seeds.get(path, ({}, {}))
        result.joint[path] = FileContext(
            needed={name: sorted(shown(r) for r in readers_of) for name, readers_of in names.items()
                    if name not in droppable},
            imported=Imported(keys=keys, returns=returns,
                              kept_returns=frozenset(name for name in names if name not in joined)))
    return result


def _seeds(reader: str, source: str, resolver: project_index.Resolver, exports: Mapping[str, Exports]
           ) -> tuple[dict[str, Held], dict[str, dict[int, Held]]]:
    """(local dotted text → kind, local function → returned kinds) of what `reader` imports."""
    keys: dict[str, Held] = {}
    returns: dict[str, dict[int, Held]] = {}
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return keys, returns
    for local, provider, name in project_index.imported_bindings(reader, tree, resolver):
        ex = exports.get(provider)
        if ex is None:
            continue
        if name is None:  # a module: `settings.GRAPH`
            keys.update({f"{local}.{key}": kind for key, kind in ex.keys.items()})
        elif name == "*":
            keys.update({key: kind for key, kind in ex.keys.items() if not key.startswith("_")})
            returns.update({func: dict(r) for func, r in ex.returns.items() if not func.startswith("_")})
        else:
            keys.update({local + key[len(name):]: kind for key, kind in ex.keys.items()
                         if key == name or key.startswith(name + ".")})
            if name in ex.returns:
                returns[local] = dict(ex.returns[name])
    return keys, returns


def disagreements(app: AppPlan, inputs: Mapping[str, str], outputs: Mapping[str, str]) -> dict[str, str]:
    """The files of `app.joint` whose output does not fit another's → why (empty: all fit)."""
    bad: dict[str, str] = {}
    providers = {path: outputs.get(path, text) for path, text in inputs.items()}
    for reader in sorted(app.joint):
        out = outputs.get(reader, inputs.get(reader))
        if out is None:
            continue
        try:
            tree = verify.parse(out)
            uses = project_index.uses_of(reader, out, app.resolver, providers)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for provider, names in sorted(uses.items()):
            if provider not in app.joint or provider == reader:
                continue
            problems = _unbound(inputs[provider], providers[provider], names, app.shown(reader))
            if problems:
                bad.setdefault(provider, problems)
                bad.setdefault(reader, problems)
        for provider, why in _shape_mismatches(reader, inputs, providers, tree, app.resolver):
            bad.setdefault(provider, why)
            bad.setdefault(reader, why)
    return bad


def _unbound(before: str, after: str, names: set[str], reader: str) -> str | None:
    if before == after:
        return None
    try:
        problems = verify.exported_names(before, verify.parse(before), after, verify.parse(after),
                                         {name: [reader] for name in names})
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return "; ".join(p.message for p in problems) or None


def _shape_mismatches(reader: str, inputs: Mapping[str, str], outputs: Mapping[str, str], tree: ast.AST,
                      resolver: project_index.Resolver) -> list[tuple[str, str]]:
    """(provider, why) for each call of a provider's function whose unpacking no longer matches
    what the function returns, where input and output disagree (a mismatch the input already
    had is not the migration's)."""
    found = []
    try:
        before = verify.parse(inputs[reader])
    except (SyntaxError, ValueError, RecursionError, MemoryError, KeyError):
        return found
    for provider, func in _called_functions(reader, tree, resolver, outputs):
        now = _mismatches(tree, func[0], _return_shapes(outputs.get(provider), func[1]))
        then = _mismatches(before, func[0], _return_shapes(inputs.get(provider), func[1]))
        if now - then:
            found.append((provider, f"`{func[0]}()` is unpacked into {sorted(now - then)[0]} names "
                                    f"but returns another number of values"))
    return found


def _called_functions(reader: str, tree: ast.AST, resolver: project_index.Resolver,
                      outputs: Mapping[str, str]) -> list[tuple[str, tuple[str, str]]]:
    out = []
    for local, provider, name in project_index.imported_bindings(reader, tree, resolver):
        if name is None or provider not in outputs:
            continue
        if name == "*":
            try:
                defined = {n.name for n in verify.parse(outputs[provider]).body if isinstance(n, ast.FunctionDef)}
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            out += [(provider, (func, func)) for func in sorted(defined) if not func.startswith("_")]
        else:
            out.append((provider, (local, name)))
    return out


def _return_shapes(source: str | None, func: str) -> set[int]:
    """How many values `func` (top-level) returns in `source`: a tuple literal's length, 1 otherwise."""
    if source is None:
        return set()
    try:
        tree = verify.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    shapes: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == func:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and sub.value is not None:
                    shapes.add(len(sub.value.elts) if isinstance(sub.value, ast.Tuple) else 1)
    return shapes


def _mismatches(tree: ast.AST, local: str, shapes: set[int]) -> set[int]:
    """Unpacking widths of `x, y = local(...)` calls in `tree` that some return of `shapes` does not give."""
    widths = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == local):
            target = node.targets[0]
            width = len(target.elts) if isinstance(target, (ast.Tuple, ast.List)) else 1
            if width > 1 and shapes - {width}:
                widths.add(width)
            elif width == 1 and 1 not in shapes and shapes:
                widths.add(width)
    return widths

