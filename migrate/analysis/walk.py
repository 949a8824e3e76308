"""Read-only walks and identity-preserving transforms of a libcst tree, with libcst's call order.

`node.visit(visitor)` rebuilds (and re-validates) every node of the tree, even for a
read-only visitor and even where a transformer changes nothing: that rebuild, and the
four dispatch calls libcst makes per node, are most of what a migrate pass costs.

`walk(node, visitor)` visits the same nodes, in the same order, with the same
`on_visit` / `on_leave` / `visit_<Node>` / `leave_<Node>` calls as `node.visit` (a False
from a visit hook skips the children, the leave hook still runs), and builds nothing.

`transform(node, transformer)` returns what `node.visit(transformer)` returns, with the
same hook calls in the same order and libcst's own rules for removed and flattened
children, but rebuilds a node only when one of its children changed: an untouched
subtree comes back as the very same object (so "nothing changed" is `result is node`).

Both skip, without entering it, any subtree that cannot hold a node the visitor has a
hook for: which node types can occur below which is read once from libcst's field type
annotations (a `Comma` never holds a `Call`; an expression never holds a `With`).

Visitors that override `on_visit` / `on_leave` themselves are called for every node, as
libcst would. Attribute hooks (`visit_<Node>_<field>`) are not supported: `walk` refuses
them, `transform` hands such a transformer (and one using libcst's matcher decorators)
to libcst's own `node.visit`.

With MIGRATE_PLAIN_LIBCST=1 (analysis.cst_adapter) both are libcst's `node.visit`: same
calls and same result, but every node rebuilt, so "nothing changed" is no longer `is`.
"""

from __future__ import annotations

import inspect
import types
import typing
import weakref
from typing import Callable

import libcst as cst
from libcst import CSTNode

from migrate.analysis.cst_adapter import PLAIN, child_fields, is_removable

_DEFAULT = cst.MaybeSentinel.DEFAULT
_REMOVE = cst.RemovalSentinel.REMOVE
_FLATTEN = cst.FlattenSentinel

# node type → its child fields, in the order libcst visits them
_ORDERS: dict[type, tuple[str, ...]] = {}
# node type → ((field, kind), ...) in the same order (kinds: see cst_adapter.child_fields)
_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {}
# order unknown for this type: use libcst's own `node.children` (slower, same order)
ASK_NODE: tuple[str, ...] = ("<ask the node>",)


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = child_fields(cls)
    if fields is None:  # libcst installed without sources: ask each node
        _ORDERS[cls] = ASK_NODE
        _FIELDS[cls] = ()
        return ASK_NODE
    _FIELDS[cls] = fields
    result = _ORDERS[cls] = tuple(name for name, _kind in fields)
    return result


# --- which node types can occur below which (from libcst's field annotations) -------------------

_NODE_CLASSES: dict[str, type] = {}  # concrete node class name → class
_REACH: dict[type, frozenset[type]] = {}  # concrete node class → classes its subtree can hold (itself too)
_RELEVANT: dict[frozenset, frozenset] = {}  # hooked classes → classes whose subtree can hold one


def _concrete_node_classes() -> dict[str, type]:
    if not _NODE_CLASSES:
        stack, seen = [CSTNode], set()
        while stack:
            klass = stack.pop()
            if klass in seen:
                continue
            seen.add(klass)
            stack.extend(klass.__subclasses__())
            if not inspect.isabstract(klass) and klass.__module__.startswith("libcst."):
                _NODE_CLASSES.setdefault(klass.__name__, klass)
    return _NODE_CLASSES


def _classes_in_hint(hint, below: dict[type, set[type]], concrete: frozenset[type]) -> set[type]:
    if isinstance(hint, type):
        if not issubclass(hint, CSTNode):
            return set()
        if hint not in below:
            below[hint] = {c for c in concrete if hint in c.__mro__}  # (abc.issubclass is slow)
        return below[hint]
    found: set[type] = set()
    for arg in typing.get_args(hint):
        found |= _classes_in_hint(arg, below, concrete)
    return found


def _reach() -> dict[type, frozenset[type]]:
    if _REACH:
        return _REACH
    classes = sorted(_concrete_node_classes().values(), key=lambda k: k.__name__)
    concrete = frozenset(classes)
    bit = {klass: 1 << i for i, klass in enumerate(classes)}
    subclasses: dict[type, set[type]] = {}
    direct: dict[type, set[type]] = {}
    for klass in classes:
        try:
            hints = typing.get_type_hints(klass)
        except Exception:  # an annotation libcst itself cannot resolve: anything may be below
            direct[klass] = set(concrete)
            continue
        direct[klass] = set()
        for name, hint in hints.items():
            if not name.startswith("_"):
                direct[klass] |= _classes_in_hint(hint, subclasses, concrete)
    # transitive closure on bit masks: grow each class's mask by its children's until stable
    masks = {klass: bit[klass] for klass in classes}
    changed = True
    while changed:
        changed = False
        for klass in classes:
            mask = masks[klass]
            for child in direct[klass]:
                mask |= masks[child]
            if mask != masks[klass]:
                masks[klass] = mask
                changed = True
    _REACH.update({klass: frozenset(k for k in classes if masks[klass] & bit[k]) for klass in classes})
    return _REACH


def _relevant(hooked: frozenset[type]) -> frozenset[type]:
    """Node classes under which a node of a `hooked` class can occur (themselves included)."""
    relevant = _RELEVANT.get(hooked)
    if relevant is None:
        relevant = _RELEVANT[hooked] = frozenset(k for k, below in _reach().items() if below & hooked)
    return relevant


class _Plan(typing.NamedTuple):
    hooks: dict[str, Callable]
    generic: bool  # on_visit / on_leave overridden: every node goes through them
    relevant: frozenset[type]  # enter only nodes of these classes (unless generic)


# the typed no-op hooks and generic dispatch of these classes are libcst's, not the visitor's
_LIBCST_BASES = frozenset(cst.CSTTransformer.__mro__ + cst.CSTVisitor.__mro__)


# visitor class → {base_classes: plan}; weak: analyses define visitor classes inside
# functions, one new class per call, which must not be kept alive by this cache
_PLANS: "weakref.WeakKeyDictionary[type, dict]" = weakref.WeakKeyDictionary()


def _plan(cls: type, *, base_classes: frozenset = frozenset()) -> _Plan | None:
    """How to call `cls`'s hooks; None when it has attribute hooks (libcst must run it)."""
    known = _PLANS.get(cls)
    if known is None:
        known = _PLANS[cls] = {}
    if base_classes not in known:
        known[base_classes] = _read_plan(cls, base_classes)
    return known[base_classes]


def _read_plan(cls: type, base_classes: frozenset) -> _Plan | None:
    hooks: dict[str, Callable] = {}
    generic = False
    classes = _concrete_node_classes()
    for klass in cls.__mro__:
        if klass in _LIBCST_BASES or klass in base_classes or (
                klass.__module__.startswith(("libcst._", "libcst.matchers", "libcst.codemod._")) and klass is not cls):
            continue
        for attr, value in vars(klass).items():
            if attr.startswith(("visit_", "leave_")):
                parts = attr.split("_", 2)
                if len(parts) == 3 and parts[1] in classes:
                    return None  # an attribute hook
                hooks.setdefault(attr, value)
                if not isinstance(value, types.FunctionType):
                    generic = True  # a staticmethod or the like: let libcst's dispatch call it
            elif attr in ("on_visit", "on_leave", "on_visit_attribute", "on_leave_attribute"):
                generic = True
    hooked = frozenset(classes[name.split("_", 1)[1]] for name in hooks if name.split("_", 1)[1] in classes)
    return _Plan(hooks, generic, _relevant(hooked))


def _hook(visitor, hooks: dict, name: str) -> Callable | None:
    # the plan says which hooks the class defines; the function is looked up now, so a
    # hook replaced on the class after its plan was made (a test's monkeypatch) is called
    return getattr(type(visitor), name) if name in hooks else None


# --- walk ------------------------------------------------------------------------------------


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor, only: frozenset[type] | None = None) -> None:
    """Visit `node` and its descendants with `visitor` as `node.visit(visitor)` would, read-only.

    only: for a visitor overriding on_visit / on_leave, the node classes those need to see;
    other nodes are passed through without calls, and subtrees holding none are skipped.
    """
    if PLAIN:
        node.visit(visitor)
        return
    plan = _plan(type(visitor))
    if plan is None:
        raise TypeError(f"walk: {type(visitor).__name__} has an attribute hook; use node.visit()")
    if plan.generic:
        if only is None:
            _walk_generic(node, visitor)
        else:
            _walk_generic(node, visitor, only, _relevant(only))
    else:
        _walk_hooks(node, visitor, plan.hooks, {}, plan.relevant)


def _walk_hooks(node: cst.CSTNode, visitor: cst.CSTVisitor, hooks: dict, by_type: dict,
                relevant: frozenset) -> None:
    # the hot loop of every analysis: no helper calls per node
    cls = node.__class__
    pair = by_type.get(cls)
    if pair is None:
        order = _ORDERS.get(cls)
        if order is None:
            order = _child_fields(cls)
        name = cls.__name__
        if cls in _REACH and cls not in relevant and order is not ASK_NODE:
            order = ()  # nothing below can have a hook: do not go down
        pair = by_type[cls] = (_hook(visitor, hooks, f"visit_{name}"), _hook(visitor, hooks, f"leave_{name}"), order)
    enter, leave, order = pair
    if enter is None or enter(visitor, node) is not False:
        if order is ASK_NODE:
            for child in node.children:
                _walk_hooks(child, visitor, hooks, by_type, relevant)
            order = ()
        for name in order:
            value = getattr(node, name)
            if value.__class__ is list or value.__class__ is tuple:
                for child in value:
                    if child.__class__ in relevant or child.__class__ not in _REACH:
                        _walk_hooks(child, visitor, hooks, by_type, relevant)
            elif value is not None and value is not _DEFAULT and (
                    value.__class__ in relevant or value.__class__ not in _REACH):
                _walk_hooks(value, visitor, hooks, by_type, relevant)
    if leave is not None:
        leave(visitor, node)


def _walk_generic(node: cst.CSTNode, visitor: cst.CSTVisitor, only: frozenset | None = None,
                  relevant: frozenset | None = None) -> None:
    # on_visit / on_leave for every node, or (`only`) for those classes, skipping subtrees
    # (`relevant`) that hold none of them
    cls = node.__class__
    called = only is None or cls in only
    if not called or visitor.on_visit(node):
        order = _ORDERS.get(cls)
        if order is None:
            order = _child_fields(cls)
        if order is ASK_NODE:
            for child in node.children:
                _walk_generic(child, visitor, only, relevant)
            order = ()
        for name in order:
            value = getattr(node, name)
            if value.__class__ is list or value.__class__ is tuple:
                for child in value:
                    if relevant is None or child.__class__ in relevant or child.__class__ not in _REACH:
                        _walk_generic(child, visitor, only, relevant)
            elif value is not None and value is not _DEFAULT and (
                    relevant is None or value.__class__ in relevant or value.__class__ not in _REACH):
                _walk_generic(value, visitor, only, relevant)
    if called:
        visitor.on_leave(node)


# --- transform -------------------------------------------------------------------------------


def transform(node: cst.CSTNode, transformer: cst.CSTTransformer, *, base_classes: frozenset = frozenset()):
    """`node.visit(transformer)`, rebuilding only what changed (see the module docstring).

    base_classes: classes of the transformer's MRO whose on_visit / on_leave overrides only
    forward to libcst's typed dispatch (migrate's Rule base), so they do not make it generic.
    """
    if PLAIN:
        return node.visit(transformer)
    plan = _plan(type(transformer), base_classes=base_classes)
    if plan is None or plan.generic or getattr(transformer, "_matchers", None) \
            or getattr(transformer, "_extra_visit_funcs", None) or getattr(transformer, "_extra_leave_funcs", None):
        return node.visit(transformer)  # libcst's own traversal: attribute hooks, matchers, on_visit
    return _transform(node, transformer, plan.hooks, {}, plan.relevant)


def _transform(node, transformer, hooks: dict, by_type: dict, relevant: frozenset):
    cls = node.__class__
    spec = by_type.get(cls)
    if spec is None:
        if cls not in _FIELDS:
            _child_fields(cls)
        fields = _FIELDS[cls]
        if _ORDERS[cls] is ASK_NODE:
            # without libcst's sources the field kinds are unknown: libcst visits this node
            spec = by_type[cls] = (None, None, None)
        else:
            name = cls.__name__
            if cls in _REACH and cls not in relevant:
                fields = ()
            spec = by_type[cls] = (_hook(transformer, hooks, f"visit_{name}"), _hook(transformer, hooks, f"leave_{name}"),
                                   fields)
    enter, leave, fields = spec
    if fields is None:
        return node.visit(transformer)
    updated = node
    if enter is None or enter(transformer, node) is not False:
        changes = None
        for name, kind in fields:
            value = getattr(node, name)
            if value.__class__ is list or value.__class__ is tuple:
                items = None
                for index, child in enumerate(value):
                    if child.__class__ in relevant or child.__class__ not in _REACH:
                        new = _transform(child, transformer, hooks, by_type, relevant)
                    else:
                        new = child
                    if new is child:
                        if items is not None:
                            items.append(child)
                        continue
                    if items is None:
                        items = list(value[:index])
                    if new is _REMOVE or isinstance(new, cst.RemovalSentinel):
                        continue
                    if isinstance(new, _FLATTEN):
                        for part in new:
                            if kind == "body" and not is_removable(child) and is_removable(part):
                                continue
                            items.append(part)
                    elif kind == "body" and not is_removable(child) and is_removable(new):
                        continue
                    else:
                        items.append(new)
                if items is not None:
                    if changes is None:
                        changes = {}
                    changes[name] = tuple(items)
            elif value is None or value is _DEFAULT:
                continue
            else:
                if value.__class__ in relevant or value.__class__ not in _REACH:
                    new = _transform(value, transformer, hooks, by_type, relevant)
                else:
                    continue
                if new is value:
                    continue
                if isinstance(new, _FLATTEN):
                    raise TypeError(
                        f"We got a FlattenSentinel while visiting a {type(value).__name__}. This node's parent "
                        "does not allow for it to be it to be replaced with a sequence.")
                if isinstance(new, cst.RemovalSentinel):
                    if kind == "required":
                        raise TypeError(
                            f"We got a RemovalSentinel while visiting a {type(value).__name__}. This node's "
                            "parent does not allow it to be removed.")
                    new = None if kind == "optional" else _DEFAULT
                if changes is None:
                    changes = {}
                changes[name] = new
        if changes is not None:
            updated = node.with_changes(**changes)
    if leave is None:
        return updated
    result = leave(transformer, node, updated)
    if not isinstance(result, (CSTNode, cst.RemovalSentinel, _FLATTEN)):
        raise Exception(
            "Expected a node of type CSTNode or a RemovalSentinel, "
            + f"but got a return value of {type(result).__name__}")
    return result


def calls_in(node: cst.CSTNode) -> list[cst.Call]:
    """Every call in `node`, not entering functions defined inside it (but `node` itself)."""
    found: list[cst.Call] = []

    class _Visitor(cst.CSTVisitor):
        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            return inner is node or isinstance(node, cst.Module)

        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    walk(node, _Visitor())
    return found
