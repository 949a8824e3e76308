"""What a dotted expression means, through every TensorFlow / Keras import spelling.

`K.set_session`, `keras.backend.tensorflow_backend.set_session`,
`tf.compat.v1.keras.backend.set_session` and `tf_keras.backend.set_session` are one function
to a migration rule. `ImportNames.qualify(expr)` turns any of them into one canonical name
("keras.backend.set_session"), so rules match on data (sets of canonical names), not on
spellings. It reads import statements and module-level rebinding only (no libcst scope
metadata, which costs far more to resolve); a module-level `def load_model` shadows an
imported one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from migrate.analysis.statements import StatementFacts, each_statement
from migrate.analysis.walk import walk

# (prefix, canonical prefix), first match wins: the Keras 2 / tf.keras / tf_keras spellings of
# one API become "keras...", the v1 compat spellings of TF become "tensorflow...".
CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.compat.v1.keras", "keras"),
    ("tensorflow.compat.v2.keras", "keras"),
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tensorflow.contrib.keras.api.keras", "keras"),
    ("tensorflow.contrib.keras.python.keras", "keras"),
    ("tensorflow.contrib.keras", "keras"),
    ("tf_keras.src", "keras"),
    ("tf_keras", "keras"),
    ("keras.src", "keras"),
    ("keras.backend.tensorflow_backend", "keras.backend"),
    ("keras.saving", "keras.models"),
    ("tensorflow.compat.v1", "tensorflow"),
    ("tensorflow.compat.v2", "tensorflow"),
    ("tensorflow.python.client.session", "tensorflow"),
)


def canonical(qualified: str) -> str:
    """The canonical spelling of a fully qualified dotted name."""
    for prefix, replacement in CANONICAL_PREFIXES:
        if qualified == prefix or qualified.startswith(prefix + "."):
            return replacement + qualified[len(prefix):]
    return qualified


def dotted(node: cst.CSTNode | None) -> str | None:
    """`a.b.c` for a Name/Attribute chain, None for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.BaseExpression) -> str | None:
    return dotted(node)


@dataclass
class ImportNames:
    """Local name → canonical qualified name, from the imports of one module."""

    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_module(cls, module: cst.Module, facts: StatementFacts | None = None) -> "ImportNames":
        """Collect every import (at any depth), then let module-level definitions shadow them
        (with `facts`, only top-level statements not seen before are walked)."""
        collector = _ImportCollector()
        for part in each_statement(module, "imports", _imports_in_statement, facts):
            collector.aliases.update(part.aliases)
            collector.alias_assignments.extend(part.alias_assignments)
        names = cls(dict(collector.aliases))
        for stmt in module.body:
            for bound in _module_level_definitions(stmt):
                names.aliases.pop(bound, None)
        # `tf = tf.compat.v1` style rebinding keeps the alias meaningful
        for local, value in collector.alias_assignments:
            qualified = names.qualify(value)
            if qualified is not None:
                names.aliases[local] = qualified
        return names

    def qualify(self, node: cst.CSTNode | None) -> str | None:
        """Canonical qualified name of `node`, or None when it is not an imported name."""
        text = dotted(node)
        if text is None:
            return None
        head, _, rest = text.partition(".")
        base = self.aliases.get(head)
        if base is None:
            return None
        return canonical(f"{base}.{rest}" if rest else base)

    def local_names_for(self, qualified: str) -> list[str]:
        """Local names bound directly to `qualified` (e.g. ["tf"] for "tensorflow")."""
        return [local for local, q in self.aliases.items() if canonical(q) == qualified]


def _imports_in_statement(statement: cst.CSTNode) -> "_ImportCollector":
    collector = _ImportCollector()
    walk(statement, collector)
    return collector


def _module_level_definitions(stmt: cst.BaseStatement) -> list[str]:
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return [stmt.name.value]
    return []


class _ImportCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.alias_assignments: list[tuple[str, cst.BaseExpression]] = []
        self._depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, full)
            else:
                head = full.split(".")[0]
                self._bind(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        base = _module_name(node.module)
        if base is None:
            return
        for alias in node.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._bind(local, f"{base}.{name}")

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._depth == 0 and len(node.targets) == 1:
            target = node.targets[0].target
            if isinstance(target, cst.Name) and dotted(node.value) is not None:
                self.alias_assignments.append((target.value, node.value))

    def _bind(self, local: str, qualified: str) -> None:
        self.aliases[local] = qualified


def from_imports_of(module: cst.Module, wanted: frozenset[str]) -> list[tuple[str, str, str | None]]:
    """(module, name, asname) of each module-level `from X import name` whose canonical
    qualified name is in `wanted`: candidates for RemoveImportsVisitor.remove_unused_import
    once a rule removed their uses."""
    found: list[tuple[str, str, str | None]] = []
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                continue
            if small.relative or small.module is None:
                continue
            base = dotted(small.module)
            if base is None:
                continue
            for alias in small.names:
                name = alias.evaluated_name
                if canonical(f"{base}.{name}") in wanted:
                    found.append((base, name, alias.evaluated_alias))
    return found
