"""The never-worse checks: a rewrite is kept only if its output is no worse than its input.

Every check compares the input with the output, so a problem the input already had is not
blamed on migrate, and says where it is:

- half-migration: the rewrite removed part of the file's TF1 graph/session machinery
  (`set_session`, `.as_default()`, `_make_predict_function`, a `Session`, ...) while other
  TF1-only machinery stays. Such a file runs neither under TF 2 eager nor as it did before;
- undefined name: a name the output reads that nothing binds any more (Python's own symbol
  tables, so scopes, `global` and comprehensions count as the compiler counts them);
- missing import: the output imports or reads a name its target module does not have
  (`tensorflow.keras.backend` has no `set_session`).

`removed_top_level_names` gives the module-level names a rewrite unbinds, for the whole-tree
check that no other module of the app still imports them.

Everything here reads the standard library's `ast` and `symtable`: no libcst, no TensorFlow.
"""

from __future__ import annotations

import ast
import builtins
import symtable
from collections import Counter
from dataclasses import dataclass

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


# --- TF1 machinery -------------------------------------------------------------------------


def _tf_bound_names(tree: ast.AST) -> set[str]:
    """Names the file binds by importing from TensorFlow or Keras (`tf`, `K`, `set_session`, ...)."""
    names = set()
    for node in ast.walk(tree):
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
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
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
                    f"{what} is TF1 graph/session machinery that stays while the rewrite removed {gone}: "
                    f"the file would run neither on TF 2 eager nor as before")
            for what, line in kept]


# --- names ---------------------------------------------------------------------------------


def _tables(table: symtable.SymbolTable):
    yield table
    for child in table.get_children():
        yield from _tables(child)


def _bound_at_module_level(module: symtable.SymbolTable) -> set[str]:
    bound = {s.get_name() for s in module.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    for table in _tables(module):
        if table is module:
            continue
        for symbol in table.get_symbols():
            # `global x` + an assignment in a function binds the module-level x
            if symbol.is_declared_global() and (symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()):
                bound.add(symbol.get_name())
    return bound


def _global_reads(module: symtable.SymbolTable) -> set[str]:
    reads = set()
    for table in _tables(module):
        for symbol in table.get_symbols():
            if not symbol.is_referenced():
                continue
            if table is module or symbol.is_global():
                reads.add(symbol.get_name())
    return reads


def _has_star_import(tree: ast.AST) -> bool:
    return any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) for node in ast.walk(tree))


def undefined_names(code: str, tree: ast.AST) -> dict[str, int]:
    """Names read at module scope (or as globals) that nothing in the file binds → first line read.

    A file with `from x import *` may get any name from that module, which cannot be known
    without reading it: such a file reports nothing.
    """
    if _has_star_import(tree):
        return {}
    module = symtable.symtable(code, "<migrated>", "exec")
    missing = _global_reads(module) - _bound_at_module_level(module) - _BUILTINS
    if not missing:
        return {}
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in missing and isinstance(node.ctx, ast.Load):
            lines[node.id] = min(lines.get(node.id, node.lineno), node.lineno)
    return {name: lines.get(name, 1) for name in missing}


def dangling_names(before_code: str, before: ast.AST, after_code: str, after: ast.AST) -> list[Problem]:
    """Names the output reads that the input bound (or did not read) and the output no longer binds."""
    was = undefined_names(before_code, before)
    now = undefined_names(after_code, after)
    return [Problem("undefined-name", line, f"`{name}` is read here but the rewrite removed what bound it")
            for name, line in sorted(now.items(), key=lambda item: item[1]) if name not in was]


def removed_top_level_names(before_code: str, after_code: str) -> set[str]:
    """Module-level names `before_code` binds and `after_code` no longer does."""
    before = _bound_at_module_level(symtable.symtable(before_code, "<input>", "exec"))
    after = _bound_at_module_level(symtable.symtable(after_code, "<migrated>", "exec"))
    return before - after


# --- imports -------------------------------------------------------------------------------


def _imported_names(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(module, name, line) for every name the file takes from a module in MISSING_NAMES' modules:
    `from m import n`, and `m.n` / `alias.n` read through `import m [as alias]`."""
    modules = {module for module, _ in MISSING_NAMES}
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
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
                elif not alias.asname and alias.name.split(".")[0] in {m.split(".")[0] for m in modules}:
                    aliases.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
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
    had = {(m, n) for m, n, _ in _imported_names(before)}
    problems = []
    for module, name, line in _imported_names(after):
        if (module, name) in MISSING_NAMES and (module, name) not in had:
            problems.append(Problem("missing-import", line, f"`{module}` has no `{name}` on today's stack"))
    return problems


# --- all of it -----------------------------------------------------------------------------


def check(before_code: str, after_code: str) -> list[Problem]:
    """Every way `after_code` is worse than `before_code` (both must compile), in line order."""
    before, after = ast.parse(before_code), ast.parse(after_code)
    problems = half_migration(before, after) + dangling_names(before_code, before, after_code, after) \
        + missing_imports(before, after)
    return sorted(problems, key=lambda p: (p.line, p.check))
