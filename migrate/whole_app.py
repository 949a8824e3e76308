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
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from migrate import project_index, verify
from migrate.analysis.carriers import GRAPH, SESSION, Held, Imported
from migrate.analysis.exports import CallFacts, Exports, calls_into, module_exports
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
    tf1_groups: dict[str, frozenset[str]] = field(default_factory=dict)  # path → the modules of its raw graph


def plan(sources: Mapping[str, str], targets: set[str], shown: Callable[[str], str] = str) -> AppPlan:
    """The contexts of every file of `targets` (absolute paths), the app being `sources` ({path: text})."""
    result = _plan_carriers(sources, targets, shown)
    groups = tf1_groups(sources, targets, result.resolver, shown)
    for path, (members, decision) in groups.items():
        safe = result.safe.get(path) or FileContext()
        if decision.startswith("switch"):
            others = ", ".join(shown(m) for m in sorted(members) if m != path)
            joint = result.joint.get(path) or safe
            result.joint[path] = replace(joint, imported=replace(joint.imported, tf1_group=decision))
            decision = f"legacy: {others} could not move to tf.compat.v1 with it"
        result.safe[path] = replace(safe, imported=replace(safe.imported, tf1_group=decision))
        if path in result.joint and not result.joint[path].imported.tf1_group:
            result.joint[path] = replace(result.joint[path],
                                         imported=replace(result.joint[path].imported, tf1_group=decision))
        result.tf1_groups[path] = members
    return result


def tf1_groups(sources: Mapping[str, str], targets: set[str], resolver: project_index.Resolver,
               shown: Callable[[str], str] = str) -> dict[str, tuple[frozenset[str], str]]:
    """Raw TF1 graphs that span modules: path → (every module of its graph, decision).

    A graph is the modules that import each other and use TensorFlow, around one that builds
    or runs a raw TF1 graph (placeholders, sessions, GraphDefs...): the helpers it calls with
    its tensors and the modules handed its session. The decision is one for all: "switch: ..."
    (all move to tf.compat.v1 together) or "legacy: <why>" (none does: a module uses Keras,
    which cannot run in that graph on Keras 3, or is not being migrated).
    """
    trees: dict[str, ast.AST] = {}
    for path, text in sources.items():
        if "tensorflow" not in text:
            continue
        try:
            tree = verify.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if verify.tf_api(tree) is not None and _reads_tensorflow(tree):
            trees[path] = tree
    neighbours: dict[str, set[str]] = {path: set() for path in trees}
    for path, tree in trees.items():
        for _local, target, _name in project_index.imported_bindings(path, tree, resolver):
            if target in trees and target != path:
                neighbours[path].add(target)
                neighbours[target].add(path)
    found: dict[str, tuple[frozenset[str], str]] = {}
    for seed in sorted(p for p, tree in trees.items() if verify.raw_tf1_graph(tree)):
        if seed in found or not neighbours[seed]:
            continue
        members, stack = {seed}, [seed]
        while stack:
            for other in neighbours[stack.pop()] - members:
                members.add(other)
                stack.append(other)
        why = [f"{shown(m)} uses Keras, which Keras 3 cannot run in a TF1 graph" for m in sorted(members)
               if _uses_keras(trees[m])]
        why += [f"{shown(m)} is not being migrated" for m in sorted(members) if m not in targets]
        group = frozenset(members)
        for member in members:
            if why:
                decision = "legacy: " + "; ".join(why)
            else:
                decision = "switch: " + ", ".join(shown(m) for m in sorted(members) if m != member) + \
                    " (the same graph)"
            found[member] = (group, decision)
    return found


def _reads_tensorflow(tree: ast.AST) -> bool:
    """Whether a name the module binds from TensorFlow is read: a module that only imports it
    (an app calling a helper class that holds the graph) is no part of the graph, and switching
    it would change nothing but its import."""
    bound = set()
    for node in project_index.nodes(tree, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            bound |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "tensorflow"}
        elif node.level == 0 and (node.module or "").split(".")[0] == "tensorflow":
            bound |= {a.asname or a.name for a in node.names}
    return any(isinstance(node, ast.Name) and node.id in bound for node in project_index.nodes(tree, ast.Name))


def _uses_keras(tree: ast.AST) -> bool:
    for node in project_index.nodes(tree, ast.Import, ast.ImportFrom, ast.Attribute):
        if isinstance(node, ast.Attribute):
            if node.attr == "keras":
                return True
            continue
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if any(m.split(".")[0] in ("keras", "tf_keras") or m.startswith("tensorflow.keras") for m in modules):
            return True
    return False


def _plan_carriers(sources: Mapping[str, str], targets: set[str], shown: Callable[[str], str] = str) -> AppPlan:
    needed = project_index.needed_names(sources, targets & set(sources))
    result = AppPlan(resolver=project_index.Resolver(sources), shown=shown)
    for path, names in needed.items():
        result.safe[path] = FileContext(
            needed={name: sorted(shown(r) for r in readers) for name, readers in names.items()},
            imported=Imported(kept_returns=frozenset(names), exported=_roots(names)))
    exports: dict[str, Exports] = {}
    for path in needed:
        if TF_OR_KERAS_TEXT.search(sources[path]):
            found = module_exports(sources[path])
            if found:
                exports[path] = found
    # what each reader (a file of the run) takes from the providers
    seeds: dict[str, tuple[dict[str, Held], dict[str, dict[int, Held]]]] = {}
    readers = {r for path in exports for names in needed[path].values() for r in names}
    for reader in sorted(readers & targets):
        keys, returns = _seeds(reader, sources[reader], result.resolver, exports)
        if keys or returns:
            seeds[reader] = (keys, returns)
    handed = _handed(sources, targets, needed, result.resolver, seeds)
    if not (exports or handed.params or handed.hot):
        return result
    for path in set(seeds) | set(exports) | set(handed.params) | set(handed.callees) | set(handed.hot):
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
                              kept_returns=frozenset(name for name in names if name not in joined),
                              params=handed.params.get(path, {}), callees=handed.callees.get(path, {}),
                              hot=frozenset(handed.hot.get(path, ())), arrays=handed.arrays.get(path, {}),
                              exported=_roots(names)))
    return result


@dataclass
class _Handed:
    """What the modules of the app hand each other's functions and classes (see _handed)."""

    params: dict[str, dict[str, dict[str, Held]]] = field(default_factory=dict)
    callees: dict[str, dict[str, tuple[tuple[str, ...], frozenset[str]]]] = field(default_factory=dict)
    hot: dict[str, set[str]] = field(default_factory=dict)
    arrays: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)


def _handed(sources: Mapping[str, str], targets: set[str], needed: Mapping[str, Mapping[str, list[str]]],
            resolver: project_index.Resolver, seeds: Mapping[str, tuple[dict, dict]]) -> _Handed:
    """Graphs, sessions, models and arrays handed to another module's function, class or method
    as arguments (`inference.Predictor(model, graph, sess)`, `predictor.score(x)` per request).

    For the callee file: params, {function or class → {parameter: kind}} (a graph or session
    parameter may go; a model parameter holds a model); hot, the functions and `Class.method`s
    called per request; arrays, {those → parameters always given an array}. For the caller:
    callees, {the callable as it calls it → (its parameters, those that go)}.

    Only what every module reading the callable shows counts: each is migrated in this run and
    calls it directly (never `*args`, never passed on as a value), and every call agrees. The
    runner then checks that the outputs' calls still fit the outputs' signatures (disagreements).
    """
    out = _Handed()
    wanted: dict[str, dict[str, tuple[str, ...]]] = {}  # callee file → callable → parameters
    for path, names in needed.items():
        if path not in targets or not (".as_default" in sources[path] or ".predict(" in sources[path]):
            continue
        signatures = _signatures(sources[path])
        found = {name: params for name, params in signatures.items()
                 if params is not None and name.split(".")[0] in names}
        if found:
            wanted[path] = found
    # `from helpers import *` re-exports it: its callers cannot all be seen
    for path in _star_imported(sources, resolver) if wanted else ():
        wanted.pop(path, None)
    if not wanted:
        return out
    texts: dict[str, dict[str, tuple[str, str]]] = {}  # reader → local text → (callee file, name)
    calls: dict[str, dict[str, list | None]] = {}
    readers = {r for path, found in wanted.items() for name in found for r in needed[path][name.split(".")[0]]}
    for reader in sorted(readers):
        texts[reader] = {}
        # a reader this run leaves as is (a Flask routes module without TF or Keras text calling
        # `image.analyze(img)`) still shows that the callee runs per request, and what it is
        # given; it cannot drop a graph or session argument with the callee, so no params
        try:
            tree = verify.parse(sources[reader])
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for local, provider, name in project_index.imported_bindings(reader, tree, resolver):
            for entry in wanted.get(provider, ()):
                top = entry.split(".")[0]
                if name is None:
                    texts[reader][f"{local}.{entry}"] = (provider, entry)
                elif name in (top, "*"):
                    texts[reader][(top if name == "*" else local) + entry[len(top):]] = (provider, entry)
        classes = {text for text, (provider, entry) in texts[reader].items()
                   if any(other.startswith(entry + ".") for other in wanted[provider])}
        keys, returns = seeds.get(reader, ({}, {}))
        callables = {text for text, (_provider, entry) in texts[reader].items() if "." not in entry}
        calls[reader] = calls_into(sources[reader], Imported(keys=keys, returns=returns), callables, classes,
                                   exported=set(_roots(needed.get(reader, {}))))
    for path, found in wanted.items():
        for entry, signature in found.items():
            made = _calls_of(path, entry, needed[path][entry.split(".")[0]], texts, calls)
            if not made:
                continue
            kinds: dict[str, Held] | None = None
            given_arrays: set[str] | None = None
            hot = False
            for _reader, _text, facts in made:
                by_param = {_param(signature, k): kind for k, kind in facts.args.items()}
                kinds = by_param if kinds is None else {p: k for p, k in kinds.items() if by_param.get(p) == k}
                arrays = {_param(signature, k) for k in facts.arrays}
                given_arrays = arrays if given_arrays is None else given_arrays & arrays
                hot = hot or facts.hot
            if any(reader not in targets for reader, _text, _facts in made):
                kinds = None  # a reader left as is keeps passing what it passes
            if kinds and "." not in entry:
                out.params.setdefault(path, {})[entry] = kinds
                dropped = frozenset(p for p, k in kinds.items() if k in (GRAPH, SESSION))
                if dropped:
                    for reader, text, _facts in made:
                        out.callees.setdefault(reader, {})[text] = (signature, dropped)
            if hot:
                out.hot.setdefault(path, set()).add(entry)
                if given_arrays:
                    out.arrays.setdefault(path, {})[entry] = frozenset(given_arrays)
    return out


def _roots(names: Mapping[str, object]) -> frozenset[str]:
    """`MODELS` of `MODELS` and `Config.graph` of `Config.graph`: the module-level names read."""
    return frozenset(name.split(".", 1)[0] for name in names)


def _star_imported(sources: Mapping[str, str], resolver: project_index.Resolver) -> set[str]:
    """The modules some module of the app star-imports (`from helpers import *`)."""
    found: set[str] = set()
    for path, source in sources.items():
        if "import *" not in source and "import*" not in source:
            continue
        try:
            tree = verify.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        found |= {provider for _local, provider, name in project_index.imported_bindings(path, tree, resolver)
                  if name == "*"}
    return found


def _calls_of(path: str, entry: str, readers: list[str], texts: Mapping[str, Mapping[str, tuple[str, str]]],
              calls: Mapping[str, Mapping[str, list | None]]) -> list[tuple[str, str, CallFacts]]:
    """(reader, text, facts) of every call of `entry` (a function, class or `Class.method` of
    `path`) in the app; empty when some reader's calls cannot all be seen."""
    made: list[tuple[str, str, CallFacts]] = []
    for reader in readers:
        mine = [text for text, target in texts.get(reader, {}).items() if target == (path, entry)]
        if reader not in calls or not mine:
            return []
        for text in mine:
            found = calls[reader].get(text, [])  # (a text it never mentions: no calls)
            if found is None:
                return []
            if "." in entry and calls[reader].get(text.rsplit(".", 1)[0], []) is None:
                return []  # the class is used otherwise (extended, its instances passed around)
            made += [(reader, text, facts) for facts in found]
    return made


def _param(signature: tuple[str, ...], at: int | str) -> str:
    return signature[at] if isinstance(at, int) and at < len(signature) else str(at)


def _signatures(source: str) -> dict[str, tuple[str, ...] | None]:
    """Top-level function or class, or `Class.method` → its positional parameters (after `self`
    for a class's `__init__` and a method); None when they cannot be matched by position and
    keyword alone (`*args`, `**kwargs`, positional-only, decorated, an inherited or several
    `__init__`). A class another class of the module extends has no `Class.method` entries."""
    try:
        tree = verify.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    bases = {_base_name(b) for node in tree.body if isinstance(node, ast.ClassDef) for b in node.bases}
    out: dict[str, tuple[str, ...] | None] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = _parameters(node, skip=0)
        elif isinstance(node, ast.ClassDef):
            inits = _inits(node)
            plain = all(_base_name(b) == "object" for b in node.bases) and not node.keywords and not node.decorator_list
            out[node.name] = (_parameters(inits[0], skip=1) if len(inits) == 1 and plain
                              else () if not inits and plain else None)
            if out[node.name] is None or node.name in bases:
                continue
            for method in node.body:
                if isinstance(method, ast.FunctionDef) and not method.name.startswith("__") and method.args.args:
                    out[f"{node.name}.{method.name}"] = _parameters(method, skip=1)
    return out


def _inits(node: ast.ClassDef) -> list[ast.FunctionDef]:
    """The `__init__`s a class body defines (one is what its calls bind to)."""
    return [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "__init__"]


def _parameters(func: ast.FunctionDef, skip: int) -> tuple[str, ...] | None:
    args = func.args
    if args.vararg or args.kwarg or args.posonlyargs or func.decorator_list:
        return None
    return tuple(a.arg for a in args.args[skip:])


def _base_name(base: ast.expr) -> str | None:
    return base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None


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
        if name is None:  # a module: `settings.GRAPH`, `load.init()`
            keys.update({f"{local}.{key}": kind for key, kind in ex.keys.items()})
            returns.update({f"{local}.{func}": dict(r) for func, r in ex.returns.items()})
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
        for provider, why in _call_mismatches(reader, inputs, providers, tree, app.resolver):
            bad.setdefault(provider, why)
            bad.setdefault(reader, why)
    for why in _v1_boundaries(app, inputs, providers):
        for member in why[0]:
            bad.setdefault(member, why[1])
    return bad


def _v1_boundaries(app: AppPlan, inputs: Mapping[str, str], outputs: Mapping[str, str]
                   ) -> list[tuple[frozenset[str], str]]:
    """(the modules of one graph, why) for each module put on tf.compat.v1 that imports a module
    of the app left on the TF 2 API (verify.v1_boundary): the whole graph goes back to one decision."""
    found = []
    for reader in sorted(app.tf1_groups):
        if reader not in outputs or outputs[reader] == inputs.get(reader):
            continue
        try:
            after = {reader: verify.parse(outputs[reader])}
            before = {reader: verify.parse(inputs[reader])}
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        imports = []
        for _local, provider, _name in project_index.imported_bindings(reader, after[reader], app.resolver):
            if provider in outputs and provider not in after:
                try:
                    after[provider] = verify.parse(outputs[provider])
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                imports.append((provider, 1))
        for problem in verify.v1_boundary(reader, before, after, imports):
            found.append((app.tf1_groups[reader] | {p for p, _ in imports}, f"{app.shown(reader)}: {problem.message}"))
    return found


def _call_mismatches(reader: str, inputs: Mapping[str, str], outputs: Mapping[str, str], tree: ast.AST,
                     resolver: project_index.Resolver) -> list[tuple[str, str]]:
    """(provider, why) for each call of a provider's function or class whose arguments no longer
    fit its parameters, where input and output disagree (a carrier argument dropped on one side
    of the pair only)."""
    found = []
    try:
        before = verify.parse(inputs[reader])
    except (SyntaxError, ValueError, RecursionError, MemoryError, KeyError):
        return found
    now_calls, then_calls = _calls_by_text(tree), _calls_by_text(before)
    for local, provider, name in project_index.imported_bindings(reader, tree, resolver):
        if name == "*" or provider not in outputs:
            continue
        now_signatures = _full_signatures(outputs[provider])
        then_signatures = _full_signatures(inputs.get(provider, ""))
        for callable_name in (now_signatures if name is None else [name]):
            text = f"{local}.{callable_name}" if name is None else local
            now = _unfit_calls(now_calls.get(text, ()), now_signatures.get(callable_name))
            then = _unfit_calls(then_calls.get(text, ()), then_signatures.get(callable_name))
            if now > then:
                found.append((provider, f"a call of `{text}()` no longer fits its parameters"))
    return found


def _full_signatures(source: str) -> dict[str, ast.arguments]:
    """Top-level function or class → its arguments (a class's single `__init__`, `self` dropped)."""
    try:
        tree = verify.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    out: dict[str, ast.arguments] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node.args
        elif isinstance(node, ast.ClassDef):
            inits = _inits(node)
            if len(inits) == 1:
                args = inits[0].args
                out[node.name] = ast.arguments(posonlyargs=args.posonlyargs[1:], args=args.args[1 - bool(args.posonlyargs):],
                                               vararg=args.vararg, kwonlyargs=args.kwonlyargs, kw_defaults=args.kw_defaults,
                                               kwarg=args.kwarg, defaults=args.defaults)
    return out


def _calls_by_text(tree: ast.AST) -> dict[str, list[ast.Call]]:
    """The calls of `tree` by the dotted text of what they call (`top_class`, `inference.Predictor`)."""
    out: dict[str, list[ast.Call]] = {}
    for node in project_index.nodes(tree, ast.Call):
        parts = []
        func = node.func
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if isinstance(func, ast.Name):
            out.setdefault(".".join([func.id, *reversed(parts)]), []).append(node)
    return out


def _unfit_calls(calls: Sequence[ast.Call], signature: ast.arguments | None) -> int:
    """How many of `calls` cannot bind to `signature`."""
    if signature is None:
        return 0
    positional = [a.arg for a in (*signature.posonlyargs, *signature.args)]
    required = positional[:len(positional) - len(signature.defaults)]
    keywords = set(a.arg for a in signature.args) | {a.arg for a in signature.kwonlyargs}
    required_kw = {a.arg for a, default in zip(signature.kwonlyargs, signature.kw_defaults) if default is None}
    unfit = 0
    for node in calls:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue  # *args / **kwargs: not checkable
        given = len(node.args)
        named = {k.arg for k in node.keywords}
        bound = set(positional[:given]) | named
        if ((given > len(positional) and signature.vararg is None)
                or (named - keywords and signature.kwarg is None)
                or set(required) - bound or required_kw - named
                or set(positional[:given]) & named):
            unfit += 1
    return unfit


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
    for node in project_index.nodes(tree, ast.Assign):
        if (len(node.targets) == 1 and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == local):
            target = node.targets[0]
            width = len(target.elts) if isinstance(target, (ast.Tuple, ast.List)) else 1
            if width > 1 and shapes - {width}:
                widths.add(width)
            elif width == 1 and 1 not in shapes and shapes:
                widths.add(width)
    return widths

