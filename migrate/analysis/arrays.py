"""Is this expression a NumPy array (or a TF tensor)?

`model.predict_on_batch(x)` equals `model.predict(x)` for arrays and tensors on Keras 3 and
tf_keras, but tf_keras' predict_on_batch rejects a plain nested list that its predict
accepts (measured; see tests/migrate/test_rule_predict_speed.py). A rewrite is only safe when
the input is visibly an array: built by numpy (`np.array(...)`, `np.expand_dims(...)`),
reshaped/converted (`.reshape`, `.astype` of an array, `.values`, `.to_numpy()`), an
arithmetic or slice of one, a Keras preprocessing helper, a name every assignment of which in
the function is one of those, or a parameter every local caller passes one to (and, for a
function other modules call, every call there: the whole-app index's `arrays`).
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from migrate.analysis.handlers import top_level_functions
from migrate.analysis.names import ImportNames
from migrate.analysis.walk import walk

NUMPY_ARRAY_FUNCTIONS = frozenset(
    {"array", "asarray", "asanyarray", "ascontiguousarray", "expand_dims", "stack", "vstack", "hstack",
     "concatenate", "reshape", "zeros", "ones", "empty", "full", "atleast_2d", "squeeze", "transpose",
     "clip", "frombuffer", "vectorize", "float32", "copy", "nan_to_num", "divide", "multiply", "subtract", "add"}
)
TENSOR_FUNCTIONS = frozenset({"tensorflow.constant", "tensorflow.convert_to_tensor", "tensorflow.expand_dims"})
ARRAY_HELPER_SUFFIXES = ("img_to_array", "preprocess_input", "pad_sequences")
ARRAY_METHODS = frozenset({"reshape", "to_numpy", "numpy", "squeeze", "transpose", "flatten", "ravel"})
ARRAY_PRESERVING_METHODS = frozenset({"astype", "copy", "clip", "round"})
ARRAY_ATTRIBUTES = frozenset({"values", "T"})


class ArrayOracle:
    """Answers `is_array(expr, inside=func)` for one module."""

    def __init__(self, module: cst.Module, names: ImportNames, imported: Mapping[str, frozenset[str]] | None = None) -> None:
        self.module = module
        self.names = names
        # function id → the parameters every call from another module passes an array to
        self._imported = {id(func): (imported or {})[name]
                          for name, func in top_level_functions(module, set(imported or {})).items()}
        self._assignments: dict[int, dict[str, list[cst.BaseExpression | None]]] = {}
        self._functions: dict[str, list[cst.FunctionDef]] = {}
        self._callers: dict[str, list[tuple[cst.FunctionDef, cst.Call]]] = {}
        self._mentions: dict[str, int] = {}  # every Name node's text: defs, calls, references
        self._collect()
        self._busy: set[tuple[int, str]] = set()

    def _collect(self) -> None:
        oracle = self

        class _Visitor(cst.CSTVisitor):
            def __init__(self) -> None:
                self.stack: list[cst.FunctionDef] = []

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                oracle._functions.setdefault(node.name.value, []).append(node)
                oracle._assignments[id(node)] = {}
                self.stack.append(node)

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.stack.pop()

            def _record(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
                if self.stack and isinstance(target, cst.Name):
                    oracle._assignments[id(self.stack[-1])].setdefault(target.value, []).append(value)
                elif self.stack and isinstance(target, (cst.Tuple, cst.List)):
                    for element in target.elements:
                        self._record(element.value, None)

            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    self._record(target.target, node.value)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                self._record(node.target, node.value)

            def visit_AugAssign(self, node: cst.AugAssign) -> None:
                pass  # `x /= 255.0` keeps an array an array

            def visit_For(self, node: cst.For) -> None:
                self._record(node.target, None)

            def visit_WithItem(self, node: cst.WithItem) -> None:
                if node.asname is not None:
                    self._record(node.asname.name, None)

            def visit_Call(self, node: cst.Call) -> None:
                func = node.func
                name = func.value if isinstance(func, cst.Name) else (
                    func.attr.value if isinstance(func, cst.Attribute) else None)
                if name is not None and self.stack:
                    oracle._callers.setdefault(name, []).append((self.stack[-1], node))

            def visit_Name(self, node: cst.Name) -> None:
                oracle._mentions[node.value] = oracle._mentions.get(node.value, 0) + 1

        walk(self.module, _Visitor())

    def is_array(self, expr: cst.BaseExpression | None, inside: cst.FunctionDef | None) -> bool:
        """True when `expr`, evaluated in `inside`, is visibly an ndarray or a tensor."""
        if expr is None:
            return False
        if isinstance(expr, cst.Call):
            qualified = self.names.qualify(expr.func) or ""
            if qualified.startswith("numpy.") and qualified.split(".")[-1] in NUMPY_ARRAY_FUNCTIONS:
                return True
            if qualified in TENSOR_FUNCTIONS or qualified.endswith(ARRAY_HELPER_SUFFIXES):
                return True
            if isinstance(expr.func, cst.Attribute):
                method = expr.func.attr.value
                if method in ARRAY_METHODS:
                    return True
                if method in ARRAY_PRESERVING_METHODS:
                    return self.is_array(expr.func.value, inside)
            if isinstance(expr.func, cst.Name) and not qualified:
                return self._returns_array(expr.func.value)
            return False
        if isinstance(expr, cst.Attribute) and expr.attr.value in ARRAY_ATTRIBUTES:
            return True
        if isinstance(expr, cst.BinaryOperation):
            return self.is_array(expr.left, inside) or self.is_array(expr.right, inside)
        if isinstance(expr, cst.Subscript):
            return self.is_array(expr.value, inside)
        if isinstance(expr, cst.Name) and inside is not None:
            return self._name_is_array(expr.value, inside)
        return False

    def _name_is_array(self, name: str, func: cst.FunctionDef) -> bool:
        key = (id(func), name)
        if key in self._busy:
            return False
        self._busy.add(key)
        try:
            values = self._assignments.get(id(func), {}).get(name)
            params = [p.name.value for p in (*func.params.posonly_params, *func.params.params)]
            if values and name not in params:
                return all(self.is_array(v, func) for v in values)
            if name in params and not values:
                return self._param_is_array(func, params.index(name), name)
            return False
        finally:
            self._busy.discard(key)

    def _param_is_array(self, func: cst.FunctionDef, index: int, name: str) -> bool:
        callers = self._callers.get(func.name.value, [])
        is_method = index > 0 and func.params.params and func.params.params[0].name.value in ("self", "cls")
        elsewhere = self._imported.get(id(func))
        if elsewhere is not None:
            # every call from other modules passes an array: trusted only when this module names
            # the function nowhere but in its def and in calls from functions the oracle sees
            # (not `SCORERS = {'rows': score_rows}`, not a self-test under `if __name__`)
            seen = len(self._functions.get(func.name.value, [])) + len(callers)
            if name not in elsewhere or self._mentions.get(func.name.value, 0) != seen:
                return False
            if not callers:
                return True
        if not callers or len(self._functions.get(func.name.value, [])) != 1:
            return False
        for caller, call in callers:
            position = index - 1 if is_method and isinstance(call.func, cst.Attribute) else index
            arg = None
            for i, a in enumerate(call.args):
                if a.star:
                    return False
                if a.keyword is not None and a.keyword.value == name:
                    arg = a
                elif a.keyword is None and i == position:
                    arg = a
            if arg is None or not self.is_array(arg.value, caller):
                return False
        return True

    def _returns_array(self, func_name: str) -> bool:
        funcs = self._functions.get(func_name, [])
        if len(funcs) != 1:
            return False
        func = funcs[0]
        key = (id(func), "<return>")
        if key in self._busy:
            return False
        self._busy.add(key)
        try:
            returns: list[cst.Return] = []

            class _Returns(cst.CSTVisitor):
                def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                    return node is func

                def visit_Return(self, node: cst.Return) -> None:
                    returns.append(node)

            walk(func, _Returns())
            return bool(returns) and all(self.is_array(r.value, func) for r in returns)
        finally:
            self._busy.discard(key)

