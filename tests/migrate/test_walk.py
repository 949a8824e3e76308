"""analysis.walk and analysis.transform must call a visitor exactly as libcst's own node.visit
does (order, skips), and transform must return the same tree."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from migrate.analysis.walk import transform, walk

REPO = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
# fixture apps (the code migrate is for) and stdlib modules (every kind of node and layout)
SOURCES = sorted((REPO / "fixtures").rglob("*.py")) + [
    STDLIB / name for name in ("ast.py", "dataclasses.py", "typing.py", "asyncio/base_events.py", "webbrowser.py",
                               "string.py", "enum.py", "argparse.py")
]


class _Everything(cst.CSTVisitor):
    """Logs every on_visit / on_leave (the generic path)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node)))


class _Hooks(cst.CSTVisitor):
    """Typed hooks, one of which prunes: calls' arguments are never entered."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.log.append(("name", id(node)))

    def visit_Call(self, node: cst.Call) -> bool:
        self.log.append(("call", id(node)))
        return False

    def leave_Call(self, original_node: cst.Call) -> None:
        self.log.append(("left call", id(original_node)))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.log.append(("def", id(original_node)))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name if p.is_relative_to(STDLIB) else str(p.relative_to(REPO)))
@pytest.mark.parametrize("visitor", [_Everything, _Hooks])
def test_walk_matches_libcst_visit(path: Path, visitor: type[cst.CSTVisitor]) -> None:
    try:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
    except Exception:  # a fixture that is deliberately unparseable
        pytest.skip("not parseable by libcst (checked elsewhere)")
    by_libcst, by_walk = visitor(), visitor()
    module.visit(by_libcst)
    walk(module, by_walk)
    assert by_walk.log == by_libcst.log


def test_attribute_hooks_are_refused_not_ignored() -> None:
    class _AttrHook(cst.CSTVisitor):
        def visit_Call_func(self, node: cst.Call) -> None:
            pass

    with pytest.raises(TypeError, match="attribute hook"):
        walk(cst.parse_module("f(x)\n"), _AttrHook())


def test_without_libcst_sources_the_nodes_are_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from migrate.analysis import cst_adapter, walk as walk_module

    def no_source(_obj):
        raise OSError("no source")

    module = cst.parse_module("def f(a, *, b=1):\n    return g(a)[b] if a else (lambda: b)()\n")
    monkeypatch.setattr(walk_module, "_ORDERS", {})
    monkeypatch.setattr(walk_module, "_FIELDS", {})
    monkeypatch.setattr(cst_adapter.inspect, "getsource", no_source)
    for visitor in (_Everything(), _Hooks()):
        reference = type(visitor)()
        module.visit(reference)
        walk(module, visitor)
        assert visitor.log == reference.log
    for transformer in (_Renamer(), _Remover()):
        reference = type(transformer)()
        assert transform(module, transformer).code == module.visit(reference).code
        assert getattr(transformer, "log", None) == getattr(reference, "log", None)
    assert set(walk_module._ORDERS.values()) == {walk_module.ASK_NODE}


# --- transform ------------------------------------------------------------------------------


class _Renamer(cst.CSTTransformer):
    """Renames every `self`, logs calls; prunes lambdas (their names stay)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        self.log.append(("lambda", type(node).__name__))
        return False

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        self.log.append(("name", original_node.value))
        return updated_node.with_changes(value="this") if original_node.value == "self" else updated_node


class _Remover(cst.CSTTransformer):
    """Removes statements, args and decorators; flattens `pass`; drops optional parts."""

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr):
        # docstrings and bare calls go: bodies left empty become `pass`, lines go away
        return cst.RemovalSentinel.REMOVE

    def leave_Return(self, original_node: cst.Return, updated_node: cst.Return):
        return cst.FlattenSentinel([cst.Expr(cst.Name("before_return")), updated_node])

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator):
        return cst.RemovalSentinel.REMOVE

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg):
        return cst.RemovalSentinel.REMOVE if isinstance(original_node.value, cst.Name) else updated_node

    def __init__(self) -> None:
        self.in_annassign = 0

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.in_annassign += 1

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign):
        self.in_annassign -= 1
        return updated_node

    def leave_Annotation(self, original_node: cst.Annotation, updated_node: cst.Annotation):
        # optional on parameters and returns (becomes None), required on `x: int = 1`
        return updated_node if self.in_annassign else cst.RemovalSentinel.REMOVE


class _Nothing(cst.CSTTransformer):
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        return updated_node


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name if p.is_relative_to(STDLIB) else str(p.relative_to(REPO)))
@pytest.mark.parametrize("transformer", [_Renamer, _Remover, _Everything])
def test_transform_matches_libcst_visit(path: Path, transformer) -> None:
    try:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
    except Exception:
        pytest.skip("not parseable by libcst (checked elsewhere)")
    if transformer is _Everything:  # a generic transformer: on_visit / on_leave for every node
        class _Generic(cst.CSTTransformer):
            def __init__(self) -> None:
                self.log = []

            def on_visit(self, node):
                self.log.append(("visit", type(node).__name__))
                return True

            def on_leave(self, original_node, updated_node):
                self.log.append(("leave", type(original_node).__name__))
                return updated_node
        transformer = _Generic
    by_libcst, by_transform = transformer(), transformer()
    expected = module.visit(by_libcst)
    got = transform(module, by_transform)
    assert got.code == expected.code
    assert got.deep_equals(expected)
    assert getattr(by_transform, "log", None) == getattr(by_libcst, "log", None)


@pytest.mark.parametrize("path", SOURCES[:6])
def test_transform_returns_an_untouched_tree_itself(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    assert transform(module, _Nothing()) is module
    renamed = transform(module, _Renamer())
    if "self" not in module.code:
        assert renamed is module
    # nodes outside what changed are shared, not copied
    shared = {id(s) for s in module.body} & {id(s) for s in renamed.body}
    untouched = [s for s in module.body if "self" not in module.code_for_node(s)]
    assert all(id(s) in shared for s in untouched)


def test_transform_refuses_what_libcst_refuses() -> None:
    class _RemoveRequired(cst.CSTTransformer):
        def leave_Name(self, original_node, updated_node):
            return cst.RemovalSentinel.REMOVE

    module = cst.parse_module("x = f(y)\n")
    with pytest.raises(TypeError, match="RemovalSentinel") as by_libcst:
        module.visit(_RemoveRequired())
    with pytest.raises(TypeError, match="RemovalSentinel") as by_transform:
        transform(module, _RemoveRequired())
    assert str(by_transform.value) == str(by_libcst.value)


def test_attribute_hooks_go_to_libcst() -> None:
    class _AttrHook(cst.CSTTransformer):
        def __init__(self) -> None:
            self.seen = 0

        def visit_Call_func(self, node: cst.Call) -> None:
            self.seen += 1

    hook = _AttrHook()
    transform(cst.parse_module("f(x)\ng(y)\n"), hook)
    assert hook.seen == 2


def test_pruning_never_hides_a_hooked_node() -> None:
    """Every node type libcst can parse is reachable from where it occurs (the type table
    is built from annotations, so a wrong annotation would hide nodes from hooks)."""
    from migrate.analysis import walk as walk_module

    reach = walk_module._reach()
    for path in SOURCES:
        try:
            module = cst.parse_module(path.read_text(encoding="utf-8"))
        except Exception:
            continue

        class _Parents(cst.CSTVisitor):
            def __init__(self) -> None:
                self.stack: list[type] = []

            def on_visit(self, node):
                for parent in self.stack:
                    assert type(node) in reach[parent], (parent.__name__, type(node).__name__)
                self.stack.append(type(node))
                return True

            def on_leave(self, original_node):
                self.stack.pop()

        module.visit(_Parents())


class _NamesOutsidePrints(cst.CSTVisitor):
    """A generic visitor that only cares about calls and names (skips print(...) calls)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Call):
            return not (isinstance(node.func, cst.Name) and node.func.value == "print")
        if isinstance(node, cst.Name):
            self.log.append(("name", node.value))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.Call):
            self.log.append(("left call", type(original_node.func).__name__))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name if p.is_relative_to(STDLIB) else str(p.relative_to(REPO)))
def test_walk_only_the_classes_a_generic_visitor_needs(path: Path) -> None:
    try:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
    except Exception:
        pytest.skip("not parseable by libcst (checked elsewhere)")
    by_libcst, by_walk = _NamesOutsidePrints(), _NamesOutsidePrints()
    module.visit(by_libcst)
    walk(module, by_walk, only=frozenset({cst.Call, cst.Name}))
    assert by_walk.log == by_libcst.log
    assert by_walk.log or "(" not in module.code  # (the test sees calls wherever there are some)
