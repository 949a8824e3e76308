"""Is this expression a NumPy array (or a TF tensor)?

`model.predict_on_batch(x)` equals `model.predict(x)` for arrays and tensors on Keras 3 and
tf_keras, but tf_keras' predict_on_batch rejects a plain nested list that its predict
accepts (measured; see tests/migrate/test_rule_predict_speed.py). A rewrite is only safe when
the input is visibly an array: built by numpy (`np.array(...)`, `np.expand_dims(...)`),
reshaped/converted (`.reshape`, `.astype` of an array, `.values`, `.to_numpy()`), an
arithmetic or slice of one, a Keras preprocessing helper, a list of those (a multi-input
model's input), a name whose value at that point is one of those, or a parameter every local
caller passes one to (and, for a function other modules call, every call there: the whole-app
index's `arrays`).

"Its value at that point" is flow-sensitive: `img = request.files["f"]`, `img = Image.open(img)`,
`img = np.expand_dims(np.asarray(img), 0)`, then `model.predict(img)` reads the last one, which
is an array. That is the binding read when it is the last one before the use in source order,
its statement sits in a block that encloses the use (so it ran first on every path), and no
loop around the use binds the name again (a binding later in a loop body reaches the next
iteration's use). Otherwise the old question: is every assignment of the name an array.
"""

from __future__ import annotations

from typing import Callable, Mapping

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

    def __init__(self, module: cst.Module, names: ImportNames, imported: Mapping[str, frozenset[str]] | None = None,
                 other_receiver: Callable[[cst.BaseExpression], bool] | None = None) -> None:
        self.module = module
        # `model.predict(x)` is no call of a `def predict(self, x)` of this module: receivers
        # known to be something else (a Keras model) do not count as callers of a method
        self._other_receiver = other_receiver or (lambda expr: False)
        self._flows: dict[int, _Flow] = {}
        self.names = names
        # function id → the parameters every call from another module passes an array to
        self._imported = {id(func): (imported or {})[name]
                          for name, func in top_level_functions(module, set(imported or {})).items()}
        self._assignments: dict[int, dict[str, list[cst.BaseExpression | None]]] = {}
        self._functions: dict[str, list[cst.FunctionDef]] = {}
        self._methods: set[int] = set()  # ids of functions defined right in a class body
        self._callers: dict[str, list[tuple[cst.FunctionDef, cst.Call]]] = {}
        self._mentions: dict[str, int] = {}  # every Name node's text: defs, calls, references
        self._collect()
        self._busy: set[tuple[int, str]] = set()

    def _collect(self) -> None:
        oracle = self

        class _Visitor(cst.CSTVisitor):
            def __init__(self) -> None:
                self.stack: list[cst.FunctionDef] = []
                self.scopes: list[cst.CSTNode] = []  # enclosing classes and functions

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.scopes.append(node)

            def leave_ClassDef(self, node: cst.ClassDef) -> None:
                self.scopes.pop()

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                if self.scopes and isinstance(self.scopes[-1], cst.ClassDef):
                    oracle._methods.add(id(node))
                self.scopes.append(node)
                oracle._functions.setdefault(node.name.value, []).append(node)
                oracle._assignments[id(node)] = {}
                self.stack.append(node)

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.stack.pop()
                self.scopes.pop()

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
        if isinstance(expr, cst.List):
            # a multi-input model's list of arrays: predict_on_batch takes it as predict does
            return bool(expr.elements) and all(
                not isinstance(e, cst.StarredElement) and self.is_array(e.value, inside) for e in expr.elements)
        if isinstance(expr, cst.Name) and inside is not None:
            return self._name_is_array(expr, inside)
        return False

    def _name_is_array(self, node: cst.Name, func: cst.FunctionDef) -> bool:
        name = node.value
        key = (id(func), name)
        if key in self._busy:
            return False
        self._busy.add(key)
        try:
            flow = self._flows.get(id(func))
            if flow is None:
                flow = self._flows[id(func)] = _Flow(func)
            reaching = flow.reaching(node)
            if reaching is not None:
                return reaching is not _NONE and self.is_array(reaching, func)
            values = self._assignments.get(id(func), {}).get(name)
            params = [p.name.value for p in (*func.params.posonly_params, *func.params.params)]
            if values and name not in params:
                return all(self.is_array(v, func) for v in values)
            if name in params and (not values or flow.unbound_before(node)):
                return self._param_is_array(func, params.index(name), name)
            return False
        finally:
            self._busy.discard(key)

    def _param_is_array(self, func: cst.FunctionDef, index: int, name: str) -> bool:
        callers = self._callers.get(func.name.value, [])
        is_method = index > 0 and func.params.params and func.params.params[0].name.value in ("self", "cls")
        same = self._functions.get(func.name.value, [])
        if is_method and id(func) in self._methods:
            # `predictor.predict(x)` may call the method; a bare `predict(x)` calls a function of
            # that name, never the method: a route named like the method is no caller of it
            callers = [(f, c) for f, c in callers if isinstance(c.func, cst.Attribute)]
            same = [f for f in same if id(f) in self._methods]
        # calls on what is known to be something else (`self.model.predict(x)`) cannot reach it
        callers = [(f, c) for f, c in callers
                   if not (isinstance(c.func, cst.Attribute) and self._other_receiver(c.func.value))]
        elsewhere = self._imported.get(id(func))
        if elsewhere is not None:
            # every call from other modules passes an array: trusted only when this module names
            # the function nowhere but in its def and in calls from functions the oracle sees
            # (not `SCORERS = {'rows': score_rows}`, not a self-test under `if __name__`)
            seen = len(self._functions.get(func.name.value, [])) + len(self._callers.get(func.name.value, []))
            if name not in elsewhere or self._mentions.get(func.name.value, 0) != seen:
                return False
            if not callers:
                return True
        if not callers or len(same) != 1:
            return False
        return self._callers_pass_arrays(func, callers, index, name, is_method)

    def _callers_pass_arrays(self, func, callers, index: int, name: str, is_method: bool) -> bool:
        """True when every call in `callers` that can reach `func` passes an array for `name`."""
        seen = False
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
            seen = True
        return seen

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



_NONE = cst.Name("None")  # a binding whose value is not an expression (a loop target, `with ... as`)


class _Flow:
    """Bindings of one function's names in source order, and which of them reaches a use."""

    def __init__(self, func: cst.FunctionDef) -> None:
        self.func = func
        self.span: dict[int, tuple[int, int]] = {}  # id(node) → (first, last) pre-order number
        self.parent: dict[int, cst.CSTNode] = {}
        # name → [(order of the binding, its statement line or None, the value bound or _NONE)]
        self.bindings: dict[str, list[tuple[int, cst.CSTNode | None, cst.BaseExpression]]] = {}
        self.unsure: set[str] = set()  # global / nonlocal names: bound from elsewhere too
        self._number(func)

    def _number(self, func: cst.FunctionDef) -> None:
        flow = self
        counter = self._counter = [0]
        stack: list[cst.CSTNode] = []
        lines: list[cst.CSTNode] = []

        class _Visitor(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                if stack:
                    flow.parent[id(node)] = stack[-1]
                flow.span[id(node)] = (counter[0], counter[0])
                counter[0] += 1
                stack.append(node)
                if isinstance(node, cst.SimpleStatementLine):
                    lines.append(node)
                if node is not func and isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    flow._bind(node.name.value, None, _NONE)
                    return False  # their bodies bind their own names
                if isinstance(node, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
                    return False
                return True

            def on_leave(self, node: cst.CSTNode) -> None:
                stack.pop()
                if isinstance(node, cst.SimpleStatementLine):
                    lines.pop()
                first, _ = flow.span[id(node)]
                flow.span[id(node)] = (first, counter[0])
                counter[0] += 1
                line = lines[-1] if lines else None
                # a binding happens after its value is computed: numbered at the node's end
                if isinstance(node, cst.Assign):
                    for target in node.targets:
                        flow._target(target.target, line, node.value)
                elif isinstance(node, cst.AnnAssign) and node.value is not None:
                    flow._target(node.target, line, node.value)
                elif isinstance(node, cst.For):
                    flow._target(node.target, None, _NONE, at=flow.span[id(node.iter)][1])
                elif isinstance(node, cst.WithItem) and node.asname is not None:
                    flow._target(node.asname.name, None, _NONE)
                elif isinstance(node, cst.NamedExpr):
                    flow._target(node.target, None, _NONE)
                elif isinstance(node, cst.ExceptHandler) and node.name is not None:
                    flow._target(node.name.name, None, _NONE)
                elif isinstance(node, cst.Del):
                    flow._target(node.target, None, _NONE)
                elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
                    for alias in node.names:
                        local = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                        flow._bind(local, None, _NONE)
                elif isinstance(node, (cst.Global, cst.Nonlocal)):
                    flow.unsure.update(n.name.value for n in node.names)

        func.visit(_Visitor())

    def _bind(self, name: str, line: cst.CSTNode | None, value: cst.BaseExpression, at: int | None = None) -> None:
        self.bindings.setdefault(name, []).append((self._now() if at is None else at, line, value))

    def _now(self) -> int:
        return self._counter[0]

    def _target(self, target: cst.BaseExpression, line, value, at: int | None = None) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, line, value, at)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value, None, _NONE, at)
        # attributes and subscripts bind no name

    def _ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        out = []
        while id(node) in self.parent:
            node = self.parent[id(node)]
            out.append(node)
        return out

    def reaching(self, use: cst.Name) -> cst.BaseExpression | None:
        """The value bound by the one binding that reaches `use` (_NONE: one without an
        expression), or None when that is not known from the code's shape."""
        name = use.value
        if id(use) not in self.span or name in self.unsure:
            return None
        at = self.span[id(use)][0]
        before = [b for b in self.bindings.get(name, ()) if b[0] < at]
        if not before:
            return None
        order, line, value = max(before, key=lambda b: b[0])
        if line is None:
            return _NONE  # a loop target, `with ... as`, `except ... as`: no array proof
        ancestors = self._ancestors(use)
        block = self.parent.get(id(line))
        if block is None or not any(a is block for a in ancestors):
            return None  # its statement may not have run (an `if`, a `try`) before the use
        if self._rebound_in_loop(name, ancestors, line):
            return None
        return value

    def _rebound_in_loop(self, name: str, ancestors: list[cst.CSTNode], line: cst.CSTNode) -> bool:
        line_ancestors = {id(a) for a in self._ancestors(line)}
        for loop in ancestors:
            if isinstance(loop, (cst.For, cst.While)) and id(loop) not in line_ancestors:
                first, last = self.span[id(loop)]
                if any(first <= b[0] <= last for b in self.bindings.get(name, ())):
                    return True
        return False

    def unbound_before(self, use: cst.Name) -> bool:
        """True when no binding of the name can run before `use` (a parameter read as passed)."""
        if id(use) not in self.span or use.value in self.unsure:
            return False
        at = self.span[id(use)][0]
        if any(b[0] < at for b in self.bindings.get(use.value, ())):
            return False
        return not self._rebound_in_loop(use.value, self._ancestors(use), self.func)
