"""Which names of one module the other modules of the app read.

Real apps split the graph/session juggling over modules: Django builds the graph in
`settings.py` or an `AppConfig` and views read `settings.GRAPH` or `from .apps import sess`;
a `load.py` defines `init()` and the app does `from load import *`. A rewrite of one module
must not unbind a name another module still reads, so before the rules run the runner asks
this index, for every file, which of its module-level names (and `Class.attr` class
attributes) other files read, and by whom.

Imports are resolved the way the app would run: a relative import against the importer's
package; an absolute one against any file whose path ends with the dotted name (apps run
with their own folder on sys.path: `from load import *`, `from model.load import init`).
Python's `ast` and `symtable` only: no libcst, nothing imported.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import symtable
from typing import Iterable, Mapping

# a file that names no import and no django settings cannot read another module's names
_IMPORTS = re.compile(rb"^\s*(from|import)\s", re.M)
_IMPORT_STATEMENT = re.compile(r"^[ \t]*(?:from[ \t]+(?P<relative>\.)?\S*[ \t]+import\b|import\b).*$", re.M)
_WORD = re.compile(r"[A-Za-z_]\w*")
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@functools.lru_cache(maxsize=16)
def _table(source: str) -> symtable.SymbolTable:
    """The module's symbol table: the verification stage asks several questions of the same two
    texts (input and output), and building a table costs a compile."""
    top = symtable.symtable(source, "<file>", "exec")
    _index_children(top)
    return top


def _index_children(top: symtable.SymbolTable) -> None:
    """Let every table of `top` find a symbol's namespaces by name instead of by a scan.

    symtable builds a table's Symbol on its first lookup, scanning all of the table's children
    for those of that name (its private __check_children), so get_symbols() on a module with
    thousands of defs was quadratic (4,000 function pairs: 4.3 s per text). The override gives
    the same list (the same child objects, which the index keeps alive, in the same order);
    on a Python without that method nothing changes.
    """
    if not hasattr(symtable.SymbolTable, "_SymbolTable__check_children"):
        return
    stack = [top]
    while stack:
        table = stack.pop()
        children = table.get_children()
        by_name: dict[str, list[symtable.SymbolTable]] = {}
        for child in children:
            by_name.setdefault(child.get_name(), []).append(child)
        table._SymbolTable__check_children = lambda name, by_name=by_name: list(by_name.get(name, ()))
        stack.extend(children)


def module_names(source: str) -> set[str]:
    """Names bound at module level: assignments, imports, defs, classes, `global` writes in functions."""
    top = _table(source)
    names = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        names |= {s.get_name() for s in table.get_symbols()
                  if s.is_declared_global() and (s.is_assigned() or s.is_imported() or s.is_namespace())}
        stack.extend(table.get_children())
    return names


def class_attributes(source: str) -> set[str]:
    """`Class.name` for every name bound in the body of a top-level class (Django AppConfig attributes)."""
    top = _table(source)
    return {f"{table.get_name()}.{s.get_name()}" for table in top.get_children() if table.get_type() == "class"
            for s in table.get_symbols() if s.is_assigned()}


def global_reads(source: str) -> set[str]:
    """Names the code reads from module scope (or builtins), in any function or class."""
    top = _table(source)
    reads = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        reads |= {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
        stack.extend(table.get_children())
    return reads


def nodes(tree: ast.AST, *kinds: type[ast.AST]) -> list[ast.AST]:
    """`list(ast.walk(tree))` (only the nodes of `kinds`, when given), kept on `tree` for its
    next reader.

    The never-worse checks read each tree several times (imports, calls, names) and nothing
    in migrate changes an `ast` tree once parsed; `ast.walk` is the costly part of a read.
    """
    kept = tree.__dict__.get("_migrate_nodes")
    if kept is None:
        kept = tree.__dict__["_migrate_nodes"] = {(): list(ast.walk(tree))}
    found = kept.get(kinds)
    if found is None:
        found = kept[kinds] = [node for node in kept[()] if isinstance(node, kinds)]
    return found


def star_imports(tree: ast.AST) -> list[str]:
    """The modules a file star-imports (`from x import *`), relative ones with their dots."""
    return ["." * n.level + (n.module or "") for n in nodes(tree, ast.ImportFrom)
            if any(a.name == "*" for a in n.names)]


def _parts(path: str) -> tuple[str, ...]:
    """The folders and name of a path ('/a/b.py' → ('a', 'b.py')): plain string work, as the
    index splits every path of a large tree (pathlib costs ~40 µs a path)."""
    return tuple(part for part in path.replace("\\", "/").split("/") if part)


def module_key(path: str) -> tuple[str, ...]:
    """`pkg/mod.py` → ('pkg', 'mod'); a package's `__init__.py` is the package."""
    parts = _parts(path)
    if not parts:
        return ()
    stem = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    return parts[:-1] if stem == "__init__" else parts[:-1] + (stem,)


class Resolver:
    """Finds the file an import means among `files`, in about constant time per import."""

    def __init__(self, files: Iterable[str]):
        self.keys: dict[str, tuple[str, ...]] = {}  # file → its module key
        self.by_key: dict[tuple[str, ...], str] = {}
        self.by_tail: dict[tuple[str, ...], list[str]] = {}
        for path in files:
            key = self.keys[path] = module_key(path)
            self.by_key[key] = path
            for start in range(len(key)):
                self.by_tail.setdefault(key[start:], []).append(path)

    def resolve(self, module: str, importer: str) -> str | None:
        """The file a (possibly relative) import of `module` in `importer` means, or None."""
        level = len(module) - len(module.lstrip("."))
        dotted = tuple(p for p in module.lstrip(".").split(".") if p)
        if level:
            base = _parts(importer)[:-1]
            base = base[: len(base) - (level - 1)] if level > 1 else base
            return self.by_key.get(tuple(base) + dotted)
        matches = self.by_tail.get(dotted) if dotted else None
        if not matches:
            return None
        # several apps in one tree each have their settings.py: the one nearest the importer
        here = _parts(importer)
        return min(matches, key=lambda f: (-_common_prefix(_parts(f), here), len(f)))


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def resolve(module: str, importer: str, files: Iterable[str]) -> str | None:
    """The file of `files` a (possibly relative) import of `module` in `importer` means."""
    return Resolver(files).resolve(module, importer)


def imported_bindings(importer: str, tree: ast.AST, resolver: Resolver) -> list[tuple[str, str, str | None]]:
    """(local name, app file, its name there) for each name `importer` takes from another module
    of the app: the name is None for a module (`import settings`, `from . import apps`, Django's
    `from django.conf import settings`) and "*" for a star import (local name "*")."""
    found: list[tuple[str, str, str | None]] = []
    for node in nodes(tree, ast.ImportFrom, ast.Import):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            target = resolver.resolve(module, importer)
            for alias in node.names:
                if alias.name == "*":
                    if target is not None:
                        found.append(("*", target, "*"))
                    continue
                sub = resolver.resolve(module + ("." if module and not module.endswith(".") else "") + alias.name,
                                       importer)
                if sub is not None:
                    found.append((alias.asname or alias.name, sub, None))
                elif target is not None:
                    found.append((alias.asname or alias.name, target, alias.name))
            if node.module == "django.conf" and any(a.name == "settings" for a in node.names):
                settings = resolver.resolve("settings", importer)
                if settings is not None:
                    found.append(("settings", settings, None))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                target = resolver.resolve(alias.name, importer)
                if target is not None:
                    found.append((alias.asname or alias.name.split(".")[0], target, None))
    return found


def uses_of(importer: str, source: str, files: list[str] | Resolver, providers: Mapping[str, str]) -> dict[str, set[str]]:
    """What `importer` reads from other modules of `files`: {file: names}.

    Names are module-level names, or `Class.attr` for an attribute read on a class imported from
    that module. A star import is resolved against `providers` (the modules' sources).
    """
    resolver = files if isinstance(files, Resolver) else Resolver(files)
    uses: dict[str, set[str]] = {}
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> app file, for `import x` / `from . import x`
    imported: dict[str, tuple[str, str]] = {}  # local name -> (app file, its name there), for `Class.attr` reads
    stars: list[str] = []
    for local, target, name in imported_bindings(importer, tree, resolver):
        if name == "*":
            stars.append(target)
        elif name is None:
            aliases.setdefault(local, target)
        else:
            uses.setdefault(target, set()).add(name)
            imported[local] = (target, name)
    for node in nodes(tree, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in aliases:
            uses.setdefault(aliases[node.value.id], set()).add(node.attr)
        elif isinstance(node.value, ast.Name) and node.value.id in imported:
            target, name = imported[node.value.id]
            uses.setdefault(target, set()).add(f"{name}.{node.attr}")
    for target in stars:
        provider = providers.get(target)
        if provider is None:
            continue
        try:
            provided = {n for n in module_names(provider) if not n.startswith("_")}
        except SyntaxError:
            continue
        uses.setdefault(target, set()).update((global_reads(source) & provided) - module_names(source))
    return uses


def needed_names(sources: Mapping[str, str], targets: Iterable[str] | None = None) -> dict[str, dict[str, list[str]]]:
    """For every file of `targets` (default: all of `sources`, {path: text}), the names other files
    of `sources` read from it → who reads each.

    Only a file whose import statements name one of the targets' modules (or that imports
    relatively) is parsed: on a large tree most files import nothing of the app. A file that does
    not compile reads nothing (it is reported by the engine).
    """
    wanted = set(sources if targets is None else targets)
    if not wanted:
        return {}
    resolver = Resolver(sources)
    stems = {resolver.keys[path][-1] for path in wanted if resolver.keys.get(path)}
    needed: dict[str, dict[str, list[str]]] = {}
    for importer in sorted(sources):
        if not _may_read_from(sources[importer], stems):
            continue
        try:
            uses = uses_of(importer, sources[importer], resolver, sources)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for target, names in uses.items():
            if target != importer and target in wanted:
                for name in names:
                    needed.setdefault(target, {}).setdefault(name, []).append(importer)
    return needed


def _may_read_from(source: str, stems: set[str]) -> bool:
    """Cheap test: does an import statement of `source` name a module called one of `stems`?

    An import of a module names its last dotted part (`from model.load import init`, `from pkg
    import apps`, `from django.conf import settings`); a relative import, or names continued in
    parentheses, may name anything, so they count too.
    """
    for match in _IMPORT_STATEMENT.finditer(source):
        text = match.group(0)
        if match.group("relative") or "(" in text or stems.intersection(_WORD.findall(text)):
            return True
    return False


def project_root(path: str) -> str | None:
    """The nearest folder at or above `path` holding pyproject.toml, setup.py, setup.cfg or .git."""
    folder = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in PROJECT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def may_import(data: bytes) -> bool:
    """Cheap test: can this file's text import anything at all?"""
    return _IMPORTS.search(data) is not None
