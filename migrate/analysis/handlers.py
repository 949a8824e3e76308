"""Which functions run once per request (or per work item), and what in them comes from it.

Handlers: functions decorated as routes (Flask/Quart/Sanic/FastAPI/Bottle `@x.route`,
`@x.get/post/...`, DRF `@api_view`, Django `@require_POST`...), view methods (`get`, `post`...,
and the per-request set-up hooks: Tornado `initialize()` / `prepare()`, Django `setup()`) of class-based views (flask_restful `Resource`, Flask `MethodView`, Django `View`/`APIView`,
Tornado `RequestHandler`, Sanic `HTTPMethodView`), functions registered with
`add_url_rule(..., view_func=f)` / Django `path(..., f)`, functions whose first parameter is
`request`, and work items handed to threads (`Thread(target=f)`, `executor.submit(f, ...)`,
`executor.map(f, ...)`, `run_in_executor(None, f)`). Per-request functions are those plus
the local functions and methods they call, transitively.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from migrate.analysis.names import dotted
from migrate.analysis.statements import StatementFacts, each_statement
from migrate.analysis.walk import walk

ROUTE_DECORATOR_ATTRS = frozenset(
    {"route", "get", "post", "put", "delete", "patch", "head", "options", "websocket", "api_route"}
)
VIEW_DECORATORS = frozenset(
    {"api_view", "require_POST", "require_GET", "require_http_methods", "require_safe", "csrf_exempt",
     "run_on_executor", "login_required"}
)
VIEW_BASES = frozenset(
    {"Resource", "MethodView", "View", "APIView", "GenericAPIView", "ViewSet", "ModelViewSet",
     "RequestHandler", "HTTPMethodView", "HTTPEndpoint", "TemplateView", "FormView"}
)
VIEW_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "dispatch",
                          # set-up hooks the framework calls on its per-request view instance:
                          # Tornado `initialize` / `prepare` / `on_finish`, Django `setup`, DRF `initial`
                          "initialize", "prepare", "on_finish", "setup", "initial"})
REGISTRARS = frozenset({"add_url_rule", "path", "re_path", "url", "add_route", "add_api_route"})
WORK_SUBMITTERS = frozenset({"submit", "map", "apply_async", "run_in_executor", "start_new_thread"})
REQUEST_PARAM_NAMES = frozenset({"request", "req"})


@dataclass
class RequestFunctions:
    """Handlers found directly, and everything they reach."""

    handlers: list[cst.FunctionDef] = field(default_factory=list)
    per_request: list[cst.FunctionDef] = field(default_factory=list)
    # ids of the two lists' functions: rules ask about every function of the file, and a scan
    # of the list per question was quadratic on a large file (the lists are not changed later)
    _per_request_ids: set[int] = field(init=False, repr=False, compare=False)
    _handler_ids: set[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._per_request_ids = {id(f) for f in self.per_request}
        self._handler_ids = {id(f) for f in self.handlers}

    def is_per_request(self, func: cst.FunctionDef) -> bool:
        """True when `func` runs for each request."""
        return id(func) in self._per_request_ids

    def is_handler(self, func: cst.FunctionDef) -> bool:
        """True when `func` is a handler itself (not only reached from one)."""
        return id(func) in self._handler_ids


class _Finder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.functions: dict[str, list[cst.FunctionDef]] = {}
        self.order: dict[int, int] = {}
        self.handlers: list[cst.FunctionDef] = []
        self.registered: set[str] = set()
        self.calls: dict[int, set[str]] = {}
        self._class_stack: list[cst.ClassDef] = []
        self._func_stack: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_stack.append(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.setdefault(node.name.value, []).append(node)
        self.order[id(node)] = len(self.order)
        if self._is_handler(node):
            self.handlers.append(node)
        self._func_stack.append(node)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._func_stack.pop()

    def _is_handler(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            expr = decorator.decorator
            func = expr.func if isinstance(expr, cst.Call) else expr
            if isinstance(func, cst.Attribute) and func.attr.value in ROUTE_DECORATOR_ATTRS:
                return True
            text = dotted(func) or ""
            if text.split(".")[-1] in VIEW_DECORATORS:
                return True
        if self._class_stack and not self._func_stack and node.name.value in VIEW_METHODS:
            for base in self._class_stack[-1].bases:
                if (dotted(base.value) or "").split(".")[-1] in VIEW_BASES:
                    return True
        params = node.params.params
        first = params[0].name.value if params else None
        if first in ("self", "cls") and len(params) > 1:
            first = params[1].name.value
        return first in REQUEST_PARAM_NAMES

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
        if name in REGISTRARS:
            for arg in node.args:
                ref = _function_ref(arg.value)
                if ref and (arg.keyword is None or arg.keyword.value in ("view_func", "view", "endpoint")):
                    self.registered.add(ref)
        if name in WORK_SUBMITTERS or name == "Thread":
            for arg in node.args:
                if arg.keyword is None or arg.keyword.value in ("target", "fn", "func"):
                    ref = _function_ref(arg.value)
                    if ref:
                        self.registered.add(ref)
        if self._func_stack and name is not None:
            # calls by name and method calls (`self.helper()`, `predictor.predict()`)
            self.calls.setdefault(id(self._func_stack[-1]), set()).add(name)


def _find_in_statement(statement: cst.CSTNode) -> _Finder:
    finder = _Finder()
    walk(statement, finder)
    return finder


def top_level_functions(module: cst.Module, wanted: frozenset[str] | set[str]) -> dict[str, cst.FunctionDef]:
    """Of `wanted` (`top_class`, `Predictor.score`), the top-level functions and methods of
    top-level classes `module` defines once."""
    found: dict[str, list[cst.FunctionDef]] = {}
    if not wanted:
        return {}
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value in wanted:
            found.setdefault(statement.name.value, []).append(statement)
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for member in statement.body.body:
                name = f"{statement.name.value}.{member.name.value}" if isinstance(member, cst.FunctionDef) else None
                if name in wanted:
                    found.setdefault(name, []).append(member)
    return {name: funcs[0] for name, funcs in found.items() if len(funcs) == 1}


def _function_ref(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def request_functions(module: cst.Module, facts: StatementFacts | None = None,
                      hot: frozenset[str] = frozenset()) -> RequestFunctions:
    """Handlers of `module` and every local function they call (see the module docstring);
    with `facts`, only top-level statements not seen before are walked. `hot`: top-level
    functions and `Class.method`s that another module's handlers call (the whole-app index)."""
    finder = _Finder()
    for part in each_statement(module, "handlers", _find_in_statement, facts):
        for name, funcs in part.functions.items():
            finder.functions.setdefault(name, []).extend(funcs)
        for key in part.order:  # (in each part's own order)
            finder.order[key] = len(finder.order)
        finder.handlers.extend(part.handlers)
        finder.registered |= part.registered
        for key, names in part.calls.items():
            finder.calls.setdefault(key, set()).update(names)
    handlers = list(finder.handlers)
    handler_ids = {id(h) for h in handlers}
    for func in top_level_functions(module, hot).values():
        if id(func) not in handler_ids:
            handler_ids.add(id(func))
            handlers.append(func)
    for name in finder.registered:
        for func in finder.functions.get(name, []):
            if id(func) not in handler_ids:
                handler_ids.add(id(func))
                handlers.append(func)
    reached: list[cst.FunctionDef] = []
    seen: set[int] = set()
    # every function named `callee` is queued once, for the first call that names it: a large
    # file defines the same name many times, and queueing them all per call was quadratic
    queued_names: set[str] = set()
    frontier = list(handlers)
    while frontier:
        func = frontier.pop()
        if id(func) in seen:
            continue
        seen.add(id(func))
        reached.append(func)
        for callee in finder.calls.get(id(func), ()):
            if callee not in queued_names:
                queued_names.add(callee)
                frontier.extend(finder.functions.get(callee, []))
    def in_source_order(funcs: list[cst.FunctionDef]) -> list[cst.FunctionDef]:
        return sorted(funcs, key=lambda f: finder.order[id(f)])

    return RequestFunctions(handlers=in_source_order(handlers), per_request=in_source_order(reached))
