"""A read-only walk of a libcst tree that calls a `cst.CSTVisitor` exactly as `node.visit` does.

`node.visit(visitor)` rebuilds (and re-validates) every node of the tree even when the
visitor only reads it: that rebuild is most of the cost of the many analysis passes a
file goes through. `walk(node, visitor)` visits the same nodes, in the same order, with
the same `on_visit` / `on_leave` / `visit_<Node>` / `leave_<Node>` calls (a False from
`on_visit` skips the children, `on_leave` still runs), and builds nothing.

Attribute hooks (`visit_<Node>_<field>`) are not called: no analysis here uses them, and
`walk` refuses a visitor that defines one rather than silently skipping it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from typing import Callable

import libcst as cst

_DEFAULT = cst.MaybeSentinel.DEFAULT

# node type → its child fields, in the order libcst's _visit_and_replace_children visits them
_ORDERS: dict[type, tuple[str, ...]] = {}
# order unknown for this type: use libcst's own `node.children` (slower, same order)
ASK_NODE: tuple[str, ...] = ("<ask the node>",)
_VISIT_HELPERS = frozenset({"visit_required", "visit_optional", "visit_sequence", "visit_sentinel",
                            "visit_body_sequence", "visit_iterable", "visit_body_iterable"})


def _child_fields(cls: type) -> tuple[str, ...]:
    # libcst visits fields in an order fixed per node type but not the dataclass order
    # (a Call's lpar before its func): read it from the node's own visiting code, where
    # each child field is one `visit_*(self, "field", ...)` call, in visiting order
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls._visit_and_replace_children)))
    except (OSError, TypeError, SyntaxError):  # libcst installed without sources: ask each node
        _ORDERS[cls] = ASK_NODE
        return ASK_NODE
    order: list[str] = []

    class _Calls(ast.NodeVisitor):
        def visit_Call(self, call: ast.Call) -> None:
            self.generic_visit(call)  # arguments are evaluated before the call itself
            if isinstance(call.func, ast.Name) and call.func.id in _VISIT_HELPERS and len(call.args) > 1:
                field = call.args[1]
                if isinstance(field, ast.Constant) and isinstance(field.value, str) and field.value not in order:
                    order.append(field.value)

    _Calls().visit(tree)
    result = _ORDERS[cls] = tuple(order)
    return result


def _own_hooks(cls: type) -> tuple[dict[str, Callable], bool]:
    """The visit_/leave_ methods `cls` defines (libcst's own no-op ones left out), and
    whether it overrides on_visit / on_leave. Read from the MRO each time: analyses
    define visitor classes inside functions, so a cache keyed by class would only grow."""
    hooks: dict[str, Callable] = {}
    generic = False
    for klass in cls.__mro__:
        if klass.__module__.startswith("libcst") or klass is object:
            continue
        for attr, value in vars(klass).items():
            if attr.startswith(("visit_", "leave_")):
                parts = attr.split("_", 2)
                if len(parts) == 3 and isinstance(getattr(cst, parts[1], None), type):
                    raise TypeError(f"walk: {cls.__name__}.{attr} is an attribute hook; use node.visit()")
                hooks.setdefault(attr, value)
                if not isinstance(value, types.FunctionType):
                    generic = True  # a staticmethod or the like: let libcst's dispatch call it
    generic = generic or cls.on_visit is not cst.CSTVisitor.on_visit or cls.on_leave is not cst.CSTVisitor.on_leave
    return hooks, generic


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit `node` and its descendants with `visitor` as `node.visit(visitor)` would, read-only."""
    hooks, generic = _own_hooks(type(visitor))
    if generic:
        _walk_generic(node, visitor)
    else:
        _walk_hooks(node, visitor, hooks, {})


def _walk_hooks(node: cst.CSTNode, visitor: cst.CSTVisitor, hooks: dict, by_type: dict) -> None:
    # the hot loop of every analysis: no helper calls per node
    cls = node.__class__
    pair = by_type.get(cls)
    if pair is None:
        order = _ORDERS.get(cls)
        if order is None:
            order = _child_fields(cls)
        pair = by_type[cls] = (hooks.get(f"visit_{cls.__name__}"), hooks.get(f"leave_{cls.__name__}"), order)
    enter, leave, order = pair
    if enter is None or enter(visitor, node) is not False:
        if order is ASK_NODE:
            for child in node.children:
                _walk_hooks(child, visitor, hooks, by_type)
            order = ()
        for name in order:
            value = getattr(node, name)
            if value.__class__ is list or value.__class__ is tuple:
                for child in value:
                    _walk_hooks(child, visitor, hooks, by_type)
            elif value is not None and value is not _DEFAULT:
                _walk_hooks(value, visitor, hooks, by_type)
    if leave is not None:
        leave(visitor, node)


def _walk_generic(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    if visitor.on_visit(node):
        order = _ORDERS.get(node.__class__)
        if order is None:
            order = _child_fields(node.__class__)
        if order is ASK_NODE:
            for child in node.children:
                _walk_generic(child, visitor)
            order = ()
        for name in order:
            value = getattr(node, name)
            if value.__class__ is list or value.__class__ is tuple:
                for child in value:
                    _walk_generic(child, visitor)
            elif value is not None and value is not _DEFAULT:
                _walk_generic(value, visitor)
    visitor.on_leave(node)
