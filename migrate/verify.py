"""The never-worse checks: a rewrite is kept only if its output is no worse than its input.

Every check compares the input with the output, so a problem the input already had is not
blamed on migrate, and says where it is:

- half-migration: the rewrite removed part of the file's TF1 graph/session machinery
  (`set_session`, `.as_default()`, `_make_predict_function`, a `Session`, ...) while other
  TF1-only machinery stays. Such a file runs neither under TF 2 eager nor as it did before;
- undefined name: a name the output reads that nothing binds any more (Python's own symbol
  tables, so scopes, `global` and comprehensions count as the compiler counts them);
- missing import: the output imports or reads a name its target module does not have
  (`tensorflow.keras.backend` has no `set_session`), from MISSING_NAMES and from the table
  `migrate.surface` generates from the real Keras 2 / Keras 3 / TF APIs;
- exported name: the rewrite unbinds a module-level name (or a class attribute, as Django's
  `AppConfig.graph`) that another module of the app reads (`migrate.project_index` says which).

Everything here reads the standard library's `ast` and `symtable` (through `project_index`):
no libcst, no TensorFlow.
"""

from __future__ import annotations

import ast
import builtins
import functools
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

from migrate import surface
from migrate.project_index import class_attributes, global_reads, module_names, nodes, star_imports

# Calls that exist only for TF1 graph/session juggling (the last part of the dotted name). They
# count when the callee comes from TensorFlow or Keras (`tf.Session()`, `K.get_session()`,
# `set_session` imported from keras.backend), so `requests.Session()` is not machinery.
TF1_MACHINERY_CALLS = frozenset({
    "Session", "InteractiveSession", "ConfigProto", "GPUOptions", "get_default_graph", "get_session",
    "set_session", "disable_eager_execution", "disable_v2_behavior", "reset_default_graph",
    "global_variables_initializer", "placeholder", "import_graph_def",
})
# Methods that are TF1 machinery whatever the receiver is called: `graph.as_default()`,
# `self.sess.as_default()`, `model._make_predict_function()`.
TF1_MACHINERY_METHODS = frozenset({"as_default", "_make_predict_function"})
TF_PACKAGES = frozenset({"tensorflow", "keras", "tf_keras"})
# the id of the manual item for a file that keeps TF1 machinery no rule reported
LEGACY_PATH = "legacy-path"

# (module, name) pairs a rewrite must not introduce: the module exists on today's stack, the name
# does not. tests/migrate/test_verify.py imports each module for real and checks every row.
MISSING_NAMES = frozenset({
    ("tensorflow.keras.backend", "set_session"),
    ("tensorflow.keras.backend", "get_session"),
    ("tensorflow.keras.backend", "tensorflow_backend"),
    ("tensorflow.keras.backend", "get_graph"),
    ("tensorflow.keras.models", "Graph"),
    ("tensorflow", "Session"),
    ("tensorflow", "ConfigProto"),
    ("tensorflow", "get_default_graph"),
    ("tensorflow", "placeholder"),
    ("tensorflow", "GraphDef"),
    ("keras.backend", "set_session"),
    ("keras.backend", "get_session"),
    ("keras.backend", "tensorflow_backend"),
    ("keras.backend", "set_learning_phase"),
    ("keras.backend", "learning_phase"),
})

_MODULE_DUNDERS = frozenset({"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__",
                             "__path__", "__builtins__", "__annotations__", "__dict__", "__cached__"})
_BUILTINS = frozenset(dir(builtins)) | _MODULE_DUNDERS


@dataclass(frozen=True)
class Problem:
    """One way the output is worse than the input: `check` names the check, `line` is 1-based
    in the text the problem was found in (the output), `message` says it for the user."""

    check: str
    line: int
    message: str
    in_input: bool = False  # `line` is a line of the input (the output no longer has the binding)
    # what the problem is about, for the items that group problems by cause: half-migration:
    # the machinery kept here and what the rewrite removed; missing-import: the name and module
    subject: str = ""
    detail: str = ""


# --- TF1 machinery -------------------------------------------------------------------------


def _tf_bound_names(tree: ast.AST) -> set[str]:
    """Names the file binds by importing from TensorFlow or Keras (`tf`, `K`, `set_session`, ...)."""
    names = set()
    for node in nodes(tree, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in TF_PACKAGES:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in TF_PACKAGES:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def tf1_machinery(tree: ast.AST) -> list[tuple[str, int]]:
    """(what, line) for every TF1 graph/session call in `tree`, in source order."""
    from_tf = _tf_bound_names(tree)
    # `wrap_function(lambda: import_graph_def(...), [])` is TF 2's way to call a GraphDef
    # (no session, eager outside): the import inside it is not graph/session juggling
    wrapped = {id(inner) for node in nodes(tree, ast.Call)
               if isinstance(node.func, ast.Attribute) and node.func.attr == "wrap_function"
               for inner in ast.walk(node) if inner is not node}
    found = []
    for node in nodes(tree, ast.Call):
        if id(node) in wrapped:
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in TF1_MACHINERY_METHODS:
            found.append((f".{func.attr}()", node.lineno))
        elif isinstance(func, ast.Attribute) and func.attr in TF1_MACHINERY_CALLS and _root_name(func) in from_tf:
            found.append((f"{func.attr}()", node.lineno))
        elif isinstance(func, ast.Name) and func.id in TF1_MACHINERY_CALLS and func.id in from_tf:
            found.append((f"{func.id}()", node.lineno))
    return sorted(found, key=lambda item: item[1])


def half_migration(before: ast.AST, after: ast.AST) -> list[Problem]:
    """Problems when `after` lost some TF1 machinery of `before` but kept other TF1 machinery."""
    kept = tf1_machinery(after)
    removed = Counter(what for what, _ in tf1_machinery(before)) - Counter(what for what, _ in kept)
    if not removed or not kept:
        return []
    gone = ", ".join(sorted(removed))
    return [Problem("half-migration", line,
                    f"{what} (TF1 graph/session machinery) here while removing {gone} elsewhere: "
                    f"the file would run neither on TF 2 eager nor as before", subject=what, detail=gone)
            for what, line in kept]


# --- one graph, one API ----------------------------------------------------------------------

# Calls that make a module raw TF1 graph code (last part of the name, on a TensorFlow root)
RAW_TF1_GRAPH_CALLS = frozenset({
    "placeholder", "placeholder_with_default", "Session", "InteractiveSession", "import_graph_def", "GraphDef",
    "Saver", "get_variable", "variable_scope", "global_variables_initializer", "import_meta_graph",
})


def raw_tf1_graph(tree: ast.AST) -> bool:
    """True when `tree` builds or runs a raw TF1 graph (placeholders, sessions, GraphDefs, Saver...)."""
    from_tf = _tf_bound_names(tree)
    for node in nodes(tree, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in RAW_TF1_GRAPH_CALLS and _root_name(func) in from_tf:
            return True
    return False


def tf_api(tree: ast.AST) -> str | None:
    """Which TensorFlow API the module's `tf` names reach: "v1" (`import tensorflow.compat.v1 as tf`),
    "v2" (`import tensorflow as tf`, whose `tf.nn.dropout` takes `rate`), None without TensorFlow."""
    api = None
    for node in nodes(tree, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("tensorflow.compat.v1",) and alias.asname:
                    return "v1"
                if alias.name == "tensorflow":
                    api = "v2"
        elif node.level == 0 and node.module in ("tensorflow.compat", "tensorflow.compat.v1"):
            return "v1"
    return api


def v1_boundary(reader: str, before: Mapping[str, ast.AST], after: Mapping[str, ast.AST],
                imports: Sequence[tuple[str, int]]) -> list[Problem]:
    """A module the rewrite put on tf.compat.v1 that imports an app module (`imports`: (path, line))
    left on the TF 2 API: their graph would mix v1 and v2 meanings (`tf.nn.dropout(h, keep_prob)`
    reads keep_prob as `rate`). Only what the rewrite changed counts (`before`/`after`: path → tree)."""
    if tf_api(after[reader]) != "v1" or tf_api(before[reader]) == "v1":
        return []
    problems = []
    for provider, line in imports:
        if provider in after and tf_api(after[provider]) == "v2":
            problems.append(Problem(
                "v1-boundary", line,
                f"switched to tf.compat.v1, but {provider}, which it imports and whose TensorFlow calls build the "
                f"same graph, stays on the TF 2 API (tf.nn.dropout keep_prob/rate, keep_dims...): switch both or neither"))
    return problems


# --- names ---------------------------------------------------------------------------------


def undefined_names(code: str, tree: ast.AST) -> dict[str, int]:
    """Names read at module scope (or as globals) that nothing in the file binds → first line read.

    A file with `from x import *` may get any name from that module, which cannot be known
    without reading it: such a file reports nothing.
    """
    if star_imports(tree):
        return {}
    missing = global_reads(code) - module_names(code) - _BUILTINS
    if not missing:
        return {}
    lines: dict[str, int] = {}
    for node in nodes(tree, ast.Name):
        if node.id in missing and isinstance(node.ctx, ast.Load):
            lines[node.id] = min(lines.get(node.id, node.lineno), node.lineno)
    return {name: lines.get(name, 1) for name in missing}


def dangling_names(before_code: str, before: ast.AST, after_code: str, after: ast.AST) -> list[Problem]:
    """Names the output reads that the input bound (or did not read) and the output no longer binds."""
    was = undefined_names(before_code, before)
    now = undefined_names(after_code, after)
    return [Problem("undefined-name", line, f"`{name}` read here with nothing binding it")
            for name, line in sorted(now.items(), key=lambda item: item[1]) if name not in was]


def exported_names(before_code: str, before: ast.Module, after_code: str, after: ast.Module,
                   needed: Mapping[str, Sequence[str]]) -> list[Problem]:
    """Module-level names (and `Class.attr`s) the rewrite unbinds that other modules read.

    `needed` maps each such name to the files that read it; lines are the input's bindings.
    """
    if not needed:
        return []
    removed = (module_names(before_code) - module_names(after_code)) \
        | (class_attributes(before_code) - class_attributes(after_code))
    lines = _binding_lines(before)
    problems = [Problem("exported-name", lines.get(name, 1),
                        f"`{name}` unbound, and {', '.join(sorted(needed[name]))} reads it", in_input=True)
                for name in sorted(removed) if name in needed]
    # `Config.graph = ...` in a method (Django's AppConfig.ready()): the class keeps its
    # `graph = None`, but the value other modules read is no longer set
    was, now = _class_attribute_writes(before), _class_attribute_writes(after)
    for name, sites in sorted(was.items()):
        if name in needed and name not in removed and len(now.get(name, ())) < len(sites):
            problems.append(Problem("exported-name", sites[0],
                                    f"`{name}` no longer set, and {', '.join(sorted(needed[name]))} reads it",
                                    in_input=True))
    return problems


def _class_attribute_writes(tree: ast.Module) -> dict[str, list[int]]:
    """`Class.attr` → lines assigning it as an attribute (`Class.attr = ...`), for module-level classes."""
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    writes: dict[str, list[int]] = {}
    for node in nodes(tree, ast.Attribute):
        if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id in classes:
            writes.setdefault(f"{node.value.id}.{node.attr}", []).append(node.lineno)
    return writes


def _binding_lines(tree: ast.Module) -> dict[str, int]:
    """First line binding each module-level name, and `Class.attr` for class bodies."""
    lines: dict[str, int] = {}
    for node in nodes(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            lines.setdefault(node.id, node.lineno)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lines.setdefault(node.name, node.lineno)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                lines.setdefault(alias.asname or alias.name.split(".")[0], node.lineno)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for inner in nodes(node):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    lines.setdefault(f"{node.name}.{inner.id}", inner.lineno)
    return lines


# --- imports -------------------------------------------------------------------------------


def _is_missing(module: str, name: str) -> bool:
    return (module, name) in MISSING_NAMES or surface.missing_in_module(module, name)


def _imported_names(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(module, name, line) for every name the file takes from a module the checks know about
    (MISSING_NAMES' and the generated Keras 2 / TF 1 surface's), at any depth: `from m import n`
    (in a function too), and `m.n` / `alias.n` / `alias.sub.n` read through `import m [as alias]`."""
    modules = {module for module, _ in MISSING_NAMES} | surface.checked_modules()
    packages = {module.split(".")[0] for module in modules}
    aliases: dict[str, str] = {}
    found = []
    for node in nodes(tree, ast.ImportFrom, ast.Import):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if node.module in modules:
                    found.append((node.module, alias.name, node.lineno))
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules:
                    aliases[alias.asname] = alias.name
                elif not alias.asname and alias.name.split(".")[0] in packages:
                    aliases.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
    for node in nodes(tree, ast.Attribute):
        dotted = _dotted(node.value, aliases)
        if dotted in modules:
            found.append((dotted, node.attr, node.lineno))
    return found


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def missing_imports(before: ast.AST, after: ast.AST) -> list[Problem]:
    """Names the output takes from a module that lacks them, which the input did not take."""
    # the input ran on its own stack (standalone Keras 2 under legacy_shim): the same module and
    # name taken again is no new problem (the keras-surface rule reports it at its line), the
    # same name from another module is
    had = {(m, n) for m, n, _ in _imported_names(before)}
    problems = []
    for module, name, line in _imported_names(after):
        if _is_missing(module, name) and (module, name) not in had:
            problems.append(Problem("missing-import", line, f"`{name}` taken from `{module}`, which has no such name on today's stack",
                                    subject=name, detail=module))
    return problems


# --- all of it -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def parse(code: str) -> ast.Module:
    """`ast.parse(code)`, shared by the readers of one text (nothing here changes a tree): the
    engine checks the same input against each trial output and the output again for the
    legacy-path report (and empties the cache after each file); whole_app reads each provider's
    output once per reader."""
    return ast.parse(code)


def check(before_code: str, after_code: str, needed: Mapping[str, Sequence[str]] | None = None) -> list[Problem]:
    """Every way `after_code` is worse than `before_code` (both must compile), in line order.

    `needed`: the names other modules of the app read from this one → who reads them.
    """
    before, after = parse(before_code), parse(after_code)
    problems = half_migration(before, after) + dangling_names(before_code, before, after_code, after) \
        + missing_imports(before, after) + exported_names(before_code, before, after_code, after, needed or {})
    return sorted(problems, key=lambda p: (p.line, p.check))
