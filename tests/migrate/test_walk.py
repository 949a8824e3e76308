"""analysis.walk must call a visitor exactly as libcst's own node.visit does (order, skips)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from migrate.analysis.walk import walk

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
    from migrate.analysis import walk as walk_module

    def no_source(_obj):
        raise OSError("no source")

    module = cst.parse_module("def f(a, *, b=1):\n    return g(a)[b] if a else (lambda: b)()\n")
    monkeypatch.setattr(walk_module, "_ORDERS", {})
    monkeypatch.setattr(walk_module.inspect, "getsource", no_source)
    for visitor in (_Everything(), _Hooks()):
        reference = type(visitor)()
        module.visit(reference)
        walk(module, visitor)
        assert visitor.log == reference.log
    assert set(walk_module._ORDERS.values()) == {walk_module.ASK_NODE}
