"""Does a predict input hold request strings? Followed by data flow, not read from the text.

TF1's `sess.run(feed_dict=...)` cast what it was fed to the placeholder's dtype
(`np.asarray(value, dtype=...)`), so `np.array([[request.form['a'], request.form['b']]])`
served; TF 2 and Keras 3 raise "Cast string to float is not supported". `strings_in(expr,
function)` answers STRINGS only when every leaf of what reaches the model is known: a request
string (`request.form[...]`, `request.args.get(...)`, `request.values`, Django's
`request.GET/POST[...]`, Tornado's `get_argument(...)`), a number, or a
`float()` / `int()` of anything; and at least one leaf is a request string. Anything else
(`vectorizer.transform(...)` giving a sparse matrix, a helper's return value, a name assigned
twice) makes the answer None: never a report about what is not a string.
"""

from __future__ import annotations

import libcst as cst

from migrate.analysis.names import dotted
from migrate.analysis.walk import walk

STRINGS = "strings"
# attributes of a Flask / Django request whose values are strings
_STRING_MAPPINGS = frozenset({"form", "args", "values", "GET", "POST"})
_STRING_GETTERS = frozenset({"get_argument", "get_query_argument", "get_body_argument"})
_ARRAY_BUILDERS = frozenset({"np.array", "np.asarray", "numpy.array", "numpy.asarray"})
_NUMBER_CASTS = frozenset({"float", "int"})


def _is_request_mapping(node: cst.BaseExpression) -> bool:
    text = dotted(node)
    return text is not None and text.split(".")[-1] in _STRING_MAPPINGS and "request" in text.split(".")[-2:-1]


def _request_string(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Subscript):
        return _is_request_mapping(node.value)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value == "get" and _is_request_mapping(node.func.value):
            return all(a.keyword is None for a in node.args[:1]) and not node.args[1:]  # no default of another type
        return node.func.attr.value in _STRING_GETTERS
    return False


class _Assignments(cst.CSTVisitor):
    def __init__(self, root: cst.FunctionDef) -> None:
        self.values: dict[str, list[cst.BaseExpression | None]] = {}
        self._root = root

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.values.setdefault(target.target.value, []).append(node.value)
            else:  # unpacking, attributes: a name bound there is not followed
                for name in _names(target.target):
                    self.values.setdefault(name, []).append(None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        for name in _names(node.target):
            self.values.setdefault(name, []).append(None)

    def visit_For(self, node: cst.For) -> None:
        for name in _names(node.target):
            self.values.setdefault(name, []).append(None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self._root  # a nested function's names are its own

    def visit_Param(self, node: cst.Param) -> None:
        self.values.setdefault(node.name.value, []).append(None)


def _names(node: cst.CSTNode) -> list[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for e in node.elements for n in _names(e.value)]
    return []


def assignments(function: cst.FunctionDef) -> dict[str, list[cst.BaseExpression | None]]:
    """Each local name of `function` → the values assigned to it (None: bound another way)."""
    collector = _Assignments(function)
    walk(function, collector)
    return collector.values


def strings_in(expr: cst.BaseExpression, function: cst.FunctionDef | None,
               _assigned: dict | None = None, _seen: frozenset[str] = frozenset()) -> str | None:
    """STRINGS when `expr` is provably an array (or nested list) built from request strings and
    numbers only, with at least one request string; None otherwise."""
    if _assigned is None:
        _assigned = assignments(function) if function is not None else {}
    leaves = _leaves(expr, _assigned, _seen)
    if leaves is None or "S" not in leaves:
        return None
    return STRINGS


def _for_clauses(clause: cst.CompFor | None) -> list[cst.CompFor]:
    out = []
    while clause is not None:
        out.append(clause)
        clause = clause.inner_for_in
    return out


def _leaves(node: cst.BaseExpression, assigned: dict, seen: frozenset[str]) -> set[str] | None:
    """{'S', 'N'} of the leaves of `node` (request string, number); None if one is unknown."""
    if _request_string(node):
        return {"S"}
    if isinstance(node, (cst.Integer, cst.Float)):
        return {"N"}
    if isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)):
        return {"N"}
    if isinstance(node, (cst.List, cst.Tuple)):
        found: set[str] = set()
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return None
            inner = _leaves(element.value, assigned, seen)
            if inner is None:
                return None
            found |= inner
        return found
    if isinstance(node, cst.ListComp):
        # `[request.form[f] for f in FIELDS]`: every element is the element expression (filters only
        # drop some); the loop's own names are not the function's, so they are not followed. Not a
        # generator: np.array of one is a 0-d object array, not the elements
        bound = {n for clause in _for_clauses(node.for_in) for n in _names(clause.target)}
        if any(clause.asynchronous is not None for clause in _for_clauses(node.for_in)):
            return None
        return _leaves(node.elt, assigned, seen | bound)
    if isinstance(node, cst.Call):
        func = dotted(node.func)
        if func in _NUMBER_CASTS:
            return {"N"}
        if func in _ARRAY_BUILDERS and len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
            return _leaves(node.args[0].value, assigned, seen)
        return None
    if isinstance(node, cst.Name) and node.value not in seen:
        values = assigned.get(node.value, [])
        if len(values) != 1 or values[0] is None:
            return None
        return _leaves(values[0], assigned, seen | {node.value})
    return None
