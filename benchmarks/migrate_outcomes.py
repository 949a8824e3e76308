"""Classify what `python -m migrate` did to each file of a multi-module app.

Input: every file of one app before and after a migration run (and after a second
run, for idempotence), plus the manual items the tool reported. Output: one outcome
class per file, with a reason a reviewer can check:

- ``broken``: the output does not compile (the input did).
- ``dangling``: a name the app needs is gone: a top-level name (or an attribute of a
  top-level class, e.g. a Django ``AppConfig``) the rewrite removed that another module
  of the app still imports or reads (``from .apps import graph``, ``settings.GRAPH``,
  ``Config.graph``, ``from load import *`` then ``graph``), or a name that becomes
  undefined in the file itself. Scopes come from Python's :mod:`symtable`.
- ``not idempotent``: a second run on the output still changes it.
- ``half-migrated``: some of ``set_session`` / ``.as_default()`` /
  ``_make_predict_function`` was removed while TF1-only machinery (a ``Session``,
  ``ConfigProto``, ``get_default_graph()``, ``get_session()``, ``.as_default()``,
  ``disable_eager_execution()``, raw graph code ...) stays.
- ``kept, unreported``: TF1 machinery left and no manual item says why.
- ``kept``: TF1 machinery left (file unchanged, or only independent rewrites), with a
  manual item giving the reason.
- ``cleared``: changed, and no TF1 machinery left.
- ``nothing to migrate``: no TF1 machinery in the input, and the tool left it alone.
- ``unparseable input``: the input does not compile on Python 3 and was left alone.

The first four are the bad classes: issue 9 wants zero of each.
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter
from dataclasses import dataclass, field

from migrate.project_index import class_attributes, global_reads, module_names, resolve, star_imports, uses_of

BROKEN = "broken"
DANGLING = "dangling"
NOT_IDEMPOTENT = "not idempotent"
HALF_MIGRATED = "half-migrated"
KEPT_UNREPORTED = "kept, unreported"
KEPT = "kept"
CLEARED = "cleared"
NOTHING = "nothing to migrate"
UNPARSEABLE = "unparseable input"

# table order; the first five are failures of the tool
CLASSES = (BROKEN, DANGLING, NOT_IDEMPOTENT, HALF_MIGRATED, KEPT_UNREPORTED, KEPT, CLEARED, NOTHING,
           UNPARSEABLE)
BAD_CLASSES = frozenset({BROKEN, DANGLING, NOT_IDEMPOTENT, HALF_MIGRATED, KEPT_UNREPORTED})

# What the rules take away when they unwrap graph/session juggling.
UNWRAPPED = ("set_session", "as_default", "_make_predict_function")
# Names (called or read as attributes) that only work on the TF1 graph-mode path.
TF1_ONLY = frozenset({
    "set_session", "get_session", "as_default", "_make_predict_function", "get_default_graph",
    "Session", "InteractiveSession", "ConfigProto", "GPUOptions", "disable_eager_execution",
    "disable_v2_behavior", "import_graph_def", "GraphDef", "placeholder", "global_variables_initializer",
    "reset_default_graph", "_SYMBOLIC_SCOPE",
})

_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__builtins__", "__spec__",
                                         "__loader__", "__package__", "__path__", "__annotations__"}


def compiles(source: str) -> bool:
    """True when ``source`` compiles as a Python 3 module."""
    try:
        compile(source, "<file>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def tf1_machinery(source: str) -> Counter:
    """How often each TF1-only name is used in the code of ``source`` (comments do not count)."""
    tree = ast.parse(source)
    # a bare name counts only when it was imported from TensorFlow or Keras (Django has a `Session` too)
    from_tf = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and (node.module or "").split(".")[0] in ("tensorflow", "keras", "tf_keras")
               for alias in node.names}
    # a GraphDef imported in a function that wrap_function makes callable is TF 2's own way to call a
    # frozen graph (what migrate's tf1-graph-function writes): no session, no graph mode
    wrapped = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               and any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                       and call.func.attr == "wrap_function" for call in ast.walk(node))
               for inner in ast.walk(node)}
    found: Counter = Counter()
    for node in ast.walk(tree):
        if id(node) in wrapped and getattr(node, "attr", None) in ("GraphDef", "import_graph_def"):
            continue
        if isinstance(node, ast.Attribute) and node.attr in TF1_ONLY:
            found[node.attr] += 1
        elif isinstance(node, ast.Name) and node.id in TF1_ONLY and node.id in from_tf:
            found[node.id] += 1
    return found


def undefined_names(source: str, star_provided: set[str] | None = None) -> set[str] | None:
    """Global names read but bound nowhere (module, builtins, star imports); None if unknowable.

    ``star_provided``: the names ``from X import *`` brings in, when X is a module of the app;
    a star import of anything else makes the answer unknowable.
    """
    tree = ast.parse(source)
    if star_imports(tree) and star_provided is None:
        return None
    bound = module_names(source) | _BUILTINS | (star_provided or set())
    return global_reads(source) - bound


@dataclass(frozen=True)
class FileOutcome:
    """One file's class and why."""

    path: str
    outcome: str
    reason: str = ""


@dataclass
class AppFiles:
    """One app: relative path -> source, before, after one run and after a second run."""

    before: dict[str, str]
    after: dict[str, str]
    second: dict[str, str] = field(default_factory=dict)
    manual: dict[str, list[str]] = field(default_factory=dict)  # path -> manual item messages


def _star_provided(rel: str, source: str, files: list[str], sources: dict[str, str]) -> set[str] | None:
    provided: set[str] = set()
    for module in star_imports(ast.parse(source)):
        target = resolve(module, rel, files)
        if target is None or not compiles(sources.get(target, "")):
            return None
        provided |= module_names(sources[target])
    return provided


def classify_app(app: AppFiles) -> list[FileOutcome]:
    """Every file of the app, classified (sorted by path)."""
    files = sorted(app.before)
    readable_after = {f: s for f, s in app.after.items() if compiles(s)}
    # who still reads what, after the run, from which module
    needed: dict[str, dict[str, list[str]]] = {}
    for importer, source in readable_after.items():
        for target, names in uses_of(importer, source, files, app.before).items():
            if target != importer:
                for name in names:
                    needed.setdefault(target, {}).setdefault(name, []).append(importer)
    return [_classify_file(rel, app, files, needed.get(rel, {})) for rel in files]


def _classify_file(rel: str, app: AppFiles, files: list[str], needed: dict[str, list[str]]) -> FileOutcome:
    before, after = app.before[rel], app.after.get(rel, app.before[rel])
    manual = app.manual.get(rel, [])
    if not compiles(before):
        if after == before:
            return FileOutcome(rel, UNPARSEABLE, "does not compile on Python 3; left alone")
        return FileOutcome(rel, BROKEN if not compiles(after) else CLEARED, "input did not compile; tool changed it")
    if not compiles(after):
        return FileOutcome(rel, BROKEN, "output does not compile")
    changed = after != before
    removed = (module_names(before) - module_names(after)) | (class_attributes(before) - class_attributes(after))
    still_read = sorted(f"`{name}` (read by {', '.join(sorted(needed[name]))})"
                        for name in removed if name in needed)
    if still_read:
        return FileOutcome(rel, DANGLING, "removed " + "; ".join(still_read))
    # checked on unchanged files too: a star-imported module may have lost the name
    after_sources = {f: app.after.get(f, app.before[f]) for f in files}
    was = undefined_names(before, _star_provided(rel, before, files, app.before))
    now = undefined_names(after, _star_provided(rel, after, files, after_sources))
    if was is not None and now is not None and now - was:
        return FileOutcome(rel, DANGLING, "now undefined: " + ", ".join(f"`{n}`" for n in sorted(now - was)))
    second = app.second.get(rel, after)
    if second != after:
        return FileOutcome(rel, NOT_IDEMPOTENT, "a second run changes the output again")
    was, left = tf1_machinery(before), tf1_machinery(after)
    unwrapped = [name for name in UNWRAPPED if left[name] < was[name]]
    if unwrapped and left:
        return FileOutcome(rel, HALF_MIGRATED, f"removed {', '.join(unwrapped)}; left "
                           + ", ".join(f"{name} x{n}" for name, n in sorted(left.items())))
    if left:
        if manual:
            return FileOutcome(rel, KEPT, manual[0])
        return FileOutcome(rel, KEPT_UNREPORTED, "left " + ", ".join(sorted(left)) + "; no manual item")
    if changed:
        return FileOutcome(rel, CLEARED, "")
    return FileOutcome(rel, NOTHING, "")
