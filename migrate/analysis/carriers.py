"""Which names hold a TF graph or session, and which of their uses only carry them around.

Legacy serving code captures the graph and session under any name (`graph`, `model_graph`,
`settings.GRAPH`, `self.graph`, `GRAPHS[i]`), derives one from the other (`sess.graph`,
`K.get_session().graph`), passes them through helpers and returns them from `init()`.
A "key" is the dotted text of a place that holds one (`graph`, `self.graph`, `GRAPHS`);
keys are file-wide (no scopes: libcst's scope metadata costs far more than this pass), which is
exact for the idioms above and conservative otherwise, because a key with any use we do not
understand stays live and nothing about it is removed.

`Carriers(module, names)` finds the keys (a fixpoint over bindings); `plan_dead_carriers`
finds the keys whose every remaining use is another carrier (an assignment, a `global`
entry, an argument to a helper's carrier parameter, an element of a returned tuple) and
returns what to remove; `DeadCarrierPruner` removes it. Rules that take away the real uses
(`with graph.as_default()`, `set_session(sess)`) run the pruner afterwards.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Union

import libcst as cst

from migrate.analysis.blocks import BlockEditor, drop_small_statements
from migrate.analysis.names import ImportNames, dotted
from migrate.analysis.statements import StatementFacts, each_statement
from migrate.analysis.walk import transform, walk



class Held(Enum):
    """What a name holds (a value kind)."""

    GRAPH = "graph"
    SESSION = "session"
    GETTER = "graph getter"  # `tf.get_default_graph` itself, not called
    MODEL = "keras model"  # (analysis.models)


@dataclass(frozen=True)
class ContainerOf:
    """A list or dict whose values are all of one kind (`GRAPHS[i]`)."""

    element: Held


# what kind_of answers: a value kind, a container of one, or None (not a carrier)
Kind = Union[Held, ContainerOf, None]

GRAPH = Held.GRAPH
SESSION = Held.SESSION
GETTER = Held.GETTER
GRAPHS = ContainerOf(GRAPH)
SESSIONS = ContainerOf(SESSION)


def element_of(kind: Kind) -> Kind:
    """Kind of an element of a container of `kind` (None if `kind` is not a container)."""
    return kind.element if isinstance(kind, ContainerOf) else None


def container_of(kind: Kind) -> Kind:
    """Kind of a list/dict holding values of `kind` (containers of containers, getters: None)."""
    return ContainerOf(kind) if isinstance(kind, Held) and kind is not GETTER else None

PLAIN = -1  # the "slot" of a returned value that is not a tuple


@dataclass(frozen=True)
class Imported:
    """What this module gets from the other modules of the app (the runner's whole-app index).

    keys: local dotted text → kind (`settings.GRAPH`, `PredictorConfig.session`, a star-imported
    `graph`); returns: local name of another module's function → {tuple slot (PLAIN: a plain
    value): kind} (`model, graph = init()`); kept_returns: this module's functions whose
    returned tuples another module unpacks and keeps unpacking, so their shape stays.

    Carriers handed across modules as arguments (`inference.top_class(model, x, graph, sess)`):
    params: this module's function or class → {parameter: kind} that every call from another
    module passes a graph or session to (those callers take part in the joint rewrite), so the
    parameter may go; callees: another module's function or class as this module calls it
    (`inference.Predictor`) → (its parameters after `self`, the ones it drops), so the
    arguments to those go with them. hot: this module's functions and methods (`top_class`,
    `Predictor.score`) that another module calls from its request handlers; arrays: for those,
    the parameters every such call passes a visible array to.
    """

    keys: Mapping[str, Held] = field(default_factory=dict)
    returns: Mapping[str, Mapping[int, Held]] = field(default_factory=dict)
    kept_returns: frozenset[str] = frozenset()
    params: Mapping[str, Mapping[str, Held]] = field(default_factory=dict)
    callees: Mapping[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)
    hot: frozenset[str] = frozenset()
    arrays: Mapping[str, frozenset[str]] = field(default_factory=dict)
    exported: frozenset[str] = frozenset()  # module-level names other modules read (records stay whole)
    # raw TF1 graphs spanning modules (whole_app.tf1_groups): "switch: <why>" when every module
    # of the graph moves to tf.compat.v1 together, "legacy: <why>" when none may
    tf1_group: str = ""

    def __bool__(self) -> bool:
        return bool(self.keys or self.returns or self.params or self.callees or self.hot or self.arrays
                    or self.exported or self.tf1_group)


# canonical callable (see names.canonical) → what its call returns
PRODUCERS: dict[str, Held] = {
    "tensorflow.get_default_graph": GRAPH,
    "tensorflow.Graph": GRAPH,
    "keras.backend.get_graph": GRAPH,
    "tensorflow.Session": SESSION,
    "tensorflow.InteractiveSession": SESSION,
    "keras.backend.get_session": SESSION,
    "tensorflow.get_default_session": SESSION,
}
# the same, referenced without a call (`graph = tf.compat.v1.get_default_graph`)
GETTERS: dict[str, Held] = {"tensorflow.get_default_graph": GETTER}
# keyword arguments a Session may be created with and still only host Keras
HOSTING_SESSION_KWARGS = frozenset({"graph"})
CONFIG_CLASSES = frozenset({"tensorflow.ConfigProto"})
SESSION_CLASSES = frozenset({"tensorflow.Session", "tensorflow.InteractiveSession"})

_EMPTY_CONTAINER_CALLS = frozenset({"list", "dict", "tuple", "set"})


@dataclass
class _Binding:
    key: str
    value: cst.CSTNode | None = None  # expression assigned
    ret: tuple[str, int] | None = None  # (function, tuple index) unpacked from a local call
    element_of: cst.BaseExpression | None = None  # `for g in GRAPHS`
    into_container: bool = False  # `X.append(v)` / `X[k] = v`: value is an element
    owner: cst.CSTNode | None = None  # small statement (or call) that performs it
    target: cst.CSTNode | None = None
    unpack_index: int | None = None  # position in a tuple target
    record: bool = False  # an entry of a dict literal (`'graph': graph`): owner is its DictElement
    fixed: "Held | None" = None  # a parameter every caller in another module passes this kind to


@dataclass
class _Call:
    func: str
    node: cst.Call
    method: bool


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.bindings: list[_Binding] = []
        self.functions: dict[str, list[cst.FunctionDef]] = {}
        # class name → its `__init__` (None when it has none or several), per class of that name
        self.classes: dict[str, list[cst.FunctionDef | None]] = {}
        self.returns: dict[str, list[cst.Return]] = {}
        self.calls: list[_Call] = []
        self.globals: list[cst.Global] = []
        self.import_aliases: list[tuple[str, cst.ImportAlias]] = []  # (local name, alias) of from-imports
        self.with_items: list[cst.WithItem] = []
        self.record_targets: list[cst.CSTNode] = []  # `X = {...}` / `X['k'] = {...}`: defines records
        # a record or record entry's text → the text of what holds it (`MODELS['basket']` → `MODELS`)
        self.record_parents: dict[str, str | None] = {}
        self.function_refs: dict[str, int] = {}
        self._stack: list[str] = []
        self._class_bodies: list[tuple[str, int] | None] = []
        self._small: list[cst.CSTNode] = []
        self._not_refs: set[int] = set()

    # functions ---------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        inits = [s for s in node.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"] \
            if isinstance(node.body, cst.IndentedBlock) else []
        self.classes.setdefault(node.name.value, []).append(inits[0] if len(inits) == 1 else None)
        # a top-level class body's names are class attributes (`PredictorConfig.graph`), which
        # other modules read as such: Django's `graph, session, model = load()` in an AppConfig
        self._class_bodies.append((node.name.value, len(self._stack)) if not self._stack and not self._class_bodies
                                  else None)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_bodies.pop()

    def _class_prefix(self) -> str:
        top = self._class_bodies[-1] if self._class_bodies else None
        return f"{top[0]}." if top is not None and len(self._stack) == top[1] else ""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.setdefault(node.name.value, []).append(node)
        self._stack.append(node.name.value)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._stack.append("<lambda>")

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._stack.pop()

    def visit_Return(self, node: cst.Return) -> None:
        if self._stack:
            self.returns.setdefault(self._stack[-1], []).append(node)

    # statements --------------------------------------------------------------------
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        pass

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value, node)

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression, owner: cst.CSTNode) -> None:
        if isinstance(value, cst.Dict):
            record = key_text(target)
            if record is not None:
                self.record_targets.append(target)
                self.record_parents.setdefault(record, key_text(target.value) if isinstance(target, cst.Subscript) else None)
                self._bind_record(record, value)
        key = dotted(target)
        if key is not None:
            self.bindings.append(_Binding(key, value=value, owner=owner, target=target))
            return
        if isinstance(target, cst.Subscript):
            key = dotted(target.value)
            if key is not None:
                self.bindings.append(
                    _Binding(key, value=value, into_container=True, owner=owner, target=target)
                )
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements):
                for i, (t, v) in enumerate(zip(elements, value.elements)):
                    k = dotted(t)
                    if k is not None:
                        self.bindings.append(
                            _Binding(k, value=v.value, owner=owner, target=t, unpack_index=i)
                        )
            elif isinstance(value, cst.Call) and dotted(value.func) is not None:
                # `init()`, or `load.init()` through a module of the app imported whole
                for i, t in enumerate(elements):
                    k = dotted(t)
                    if k is not None:
                        if "." not in k:
                            k = self._class_prefix() + k
                        self.bindings.append(
                            _Binding(k, ret=(dotted(value.func), i), owner=owner, target=t, unpack_index=i)
                        )

    def _bind_record(self, prefix: str, value: cst.Dict) -> None:
        # `MODELS['basket'] = {'model': m, 'graph': graph}`: key `MODELS['basket']['graph']`
        for element in value.elements:
            index = _literal_index(element.key) if isinstance(element, cst.DictElement) else None
            if index is None:
                continue
            self.bindings.append(_Binding(f"{prefix}[{index}]", value=element.value, owner=element, record=True))
            self.record_parents[f"{prefix}[{index}]"] = prefix
            if isinstance(element.value, cst.Dict):
                self._bind_record(f"{prefix}[{index}]", element.value)

    def visit_For(self, node: cst.For) -> None:
        key = dotted(node.target)
        if key is not None:
            self.bindings.append(_Binding(key, element_of=node.iter, owner=node, target=node.target))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self.with_items.append(node)
        if node.asname is not None:
            key = dotted(node.asname.name)
            if key is not None:
                self.bindings.append(_Binding(key, value=node.item, owner=node, target=node.asname.name))

    def visit_Global(self, node: cst.Global) -> None:
        self.globals.append(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            local = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(local, cst.Name):
                self.import_aliases.append((local.value, alias))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "add") and len(node.args) == 1:
            key = dotted(func.value)
            if key is not None:
                self.bindings.append(
                    _Binding(key, value=node.args[0].value, into_container=True, owner=node)
                )
        if isinstance(func, cst.Name):
            self.calls.append(_Call(func.value, node, method=False))
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            self.calls.append(_Call(func.attr.value, node, method=True))
        elif isinstance(func, cst.Attribute):
            text = dotted(func)  # `inference.Predictor(...)`: another module's, when the app says so
            if text is not None:
                self.calls.append(_Call(text, node, method=False))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._not_refs.add(id(node.attr))  # `app.run(...)` is no reference to a function `run`

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._not_refs.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._not_refs:
            self.function_refs[node.value] = self.function_refs.get(node.value, 0) + 1


def collect_bindings(module: cst.Module, facts: StatementFacts | None = None) -> _Collector:
    """Bindings, functions, returns, calls and globals of `module` (what `Carriers` solves
    over), collected per top-level statement (only new statements are walked with `facts`)."""
    merged = _Collector()
    for part in each_statement(module, "carriers", _collect_statement, facts):
        merged.bindings.extend(part.bindings)
        for name, defs in part.functions.items():
            merged.functions.setdefault(name, []).extend(defs)
        for name, inits in part.classes.items():
            merged.classes.setdefault(name, []).extend(inits)
        for name, rets in part.returns.items():
            merged.returns.setdefault(name, []).extend(rets)
        merged.calls.extend(part.calls)
        merged.globals.extend(part.globals)
        merged.import_aliases.extend(part.import_aliases)
        merged.with_items.extend(part.with_items)
        merged.record_targets.extend(part.record_targets)
        for key, parent in part.record_parents.items():
            merged.record_parents.setdefault(key, parent)
        for name, count in part.function_refs.items():
            merged.function_refs[name] = merged.function_refs.get(name, 0) + count
    return merged


def _collect_statement(statement: cst.CSTNode) -> _Collector:
    collector = _Collector()
    walk(statement, collector)
    return collector


@dataclass
class DeadPlan:
    """What to remove (ids of nodes in the analysed tree)."""

    small_statements: set[int] = field(default_factory=set)
    global_names: dict[int, set[str]] = field(default_factory=dict)
    params: dict[int, set[str]] = field(default_factory=dict)
    args: dict[int, set[int]] = field(default_factory=dict)
    tuple_elements: dict[int, set[int]] = field(default_factory=dict)  # Return / Assign → indices
    import_aliases: set[int] = field(default_factory=set)  # `from .apps import graph` of a dead import
    dict_elements: set[int] = field(default_factory=set)  # record entries (`'graph': graph`)
    dead_keys: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.small_statements or self.global_names or self.params or self.args or self.tuple_elements
            or self.import_aliases or self.dict_elements
        )


@dataclass(frozen=True)
class _ReturnSlot:
    """Element `index` of the tuples local function `func` returns (a liveness node of its own)."""

    func: str
    index: int


@dataclass
class _Conditions:
    """Removable carrier uses found while planning: node id → the key (or returned slot)
    whose death makes that subtree no use at all (None: never a use), plus the keys already
    known to be live."""

    roots: dict[int, "str | _ReturnSlot | None"] = field(default_factory=dict)
    root_types: set[type] = field(default_factory=set)  # the use walk stops only at these and names
    live: set = field(default_factory=set)

    def add(self, node: cst.CSTNode, condition: "str | _ReturnSlot | None") -> None:
        self.roots[id(node)] = condition
        self.root_types.add(type(node))


class Carriers:
    """Graph/session keys of one module (see the module docstring)."""

    def __init__(
        self,
        module: cst.Module,
        names: ImportNames,
        producers: dict[str, Held] | None = None,
        getters: dict[str, Held] | None = None,
        collected: "_Collector | None" = None,
        imported: "Imported | None" = None,
    ) -> None:
        self.module = module
        self.names = names
        self.producers = PRODUCERS if producers is None else producers
        self.getters = GETTERS if getters is None else getters
        self.imported = imported if imported is not None else Imported()
        self._returning: set[str] = set()
        self._c = collected if collected is not None else collect_bindings(module)
        self._callables = _callables(self._c)
        # what other modules of the app hold (`settings.GRAPH`): kinds of this analysis only
        wanted = set(self.producers.values()) | set(self.getters.values())
        self.keys: dict[str, Kind] = {key: kind for key, kind in self.imported.keys.items()
                                      if kind in wanted or element_of(kind) in wanted}
        self._param_bindings: list[_Binding] = self._bind_params()
        self._solve()

    # kinds -------------------------------------------------------------------------
    def kind_of(self, expr: cst.CSTNode | None) -> Kind:
        """GRAPH / SESSION / GETTER / GRAPHS / SESSIONS for a carrier expression, else None."""
        if expr is None:
            return None
        if isinstance(expr, cst.Call):
            qualified = self.names.qualify(expr.func)
            if qualified in self.producers:
                return self.producers[qualified]
            if isinstance(expr.func, cst.Name) and (qualified is None or expr.func.value in self.imported.returns):
                # a function of the module's own, or one another module of the app defines
                # (`from models import get_model`: whole_app hands over what it returns)
                returned = self._plain_return_kind(expr.func.value)
                if returned is not None:
                    return returned
            if (isinstance(expr.func, cst.Attribute) and isinstance(expr.func.value, cst.Name)
                    and expr.func.value.value in ("self", "cls")):
                # `self.model = self.build()`: a method of the module's own (defined once)
                returned = self._plain_return_kind(expr.func.attr.value)
                if returned is not None:
                    return returned
            if isinstance(expr.func, cst.Attribute) and dotted(expr.func) in self.imported.returns:
                # `model = load.init()`: a function of a module of the app imported whole
                returned = self._imported_return(dotted(expr.func), PLAIN)
                if returned is not None:
                    return returned
            func_kind = self.kind_of(expr.func) if isinstance(expr.func, (cst.Name, cst.Attribute)) else None
            if func_kind == GETTER:
                return GRAPH
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "as_default":
                inner = self.kind_of(expr.func.value)
                return GRAPH if inner == GETTER else inner if inner in (GRAPH, SESSION) else None
            return None
        if isinstance(expr, (cst.Name, cst.Attribute)):
            key = dotted(expr)
            if key is not None and key in self.keys:
                return self.keys[key]
            qualified = self.names.qualify(expr)
            if qualified in self.getters:
                return self.getters[qualified]
            if isinstance(expr, cst.Attribute) and expr.attr.value == "graph":
                if self.kind_of(expr.value) == SESSION:
                    return GRAPH
            return None
        if isinstance(expr, cst.Subscript):
            key = key_text(expr)
            if key is not None and key in self.keys:
                return self.keys[key]
            return element_of(self.kind_of(expr.value))
        if isinstance(expr, (cst.List, cst.Tuple)) and expr.elements:
            kinds = {self.kind_of(e.value) for e in expr.elements}
            if len(kinds) == 1:
                (kind,) = kinds
                return container_of(kind)
        return None

    def _binding_kind(self, b: _Binding) -> Kind:
        if b.fixed is not None:
            return b.fixed
        if b.ret is not None:
            return self._return_kind(*b.ret)
        if b.element_of is not None:
            return element_of(self.kind_of(b.element_of))
        kind = self.kind_of(b.value)
        if b.into_container:
            return container_of(kind)
        return kind

    def _return_kind(self, func: str, index: int) -> Kind:
        if func not in self._c.functions:
            return self._imported_return(func, index)
        for ret in self._c.returns.get(func, []):
            if isinstance(ret.value, cst.Tuple) and len(ret.value.elements) > index:
                kind = self.kind_of(ret.value.elements[index].value)
                if kind is not None:
                    return kind
        return None

    def _imported_return(self, func: str, index: int) -> Kind:
        kind = self.imported.returns.get(func, {}).get(index)
        wanted = set(self.producers.values()) | set(self.getters.values())
        return kind if kind in wanted else None

    def returned_kinds(self, func: str) -> dict[int, Held]:
        """What local function `func` returns: {tuple slot: kind}, and {PLAIN: kind} for a value
        that is not a tuple (another module unpacking `model, graph = init()` reads this)."""
        out: dict[int, Held] = {}
        for ret in self._c.returns.get(func, []):
            if isinstance(ret.value, cst.Tuple):
                for index in range(len(ret.value.elements)):
                    kind = self._return_kind(func, index)
                    if isinstance(kind, Held):
                        out[index] = kind
        plain = self._plain_return_kind(func)
        if isinstance(plain, Held):
            out[PLAIN] = plain
        return out

    def tuple_widths(self, func: str) -> set[int]:
        """The lengths of the tuples local function `func` returns."""
        return {len(ret.value.elements) for ret in self._c.returns.get(func, []) if isinstance(ret.value, cst.Tuple)}

    def _plain_return_kind(self, func: str) -> Kind:
        # `model = init()` where init() ends in `return load_model(...)` / `return loaded`
        if func not in self._c.functions:
            return self._imported_return(func, PLAIN)
        if func in self._returning or len(self._c.functions.get(func, [])) != 1:
            return None
        self._returning.add(func)
        try:
            for ret in self._c.returns.get(func, []):
                if ret.value is not None and not isinstance(ret.value, cst.Tuple):
                    kind = self.kind_of(ret.value)
                    if kind is not None:
                        return kind
            return None
        finally:
            self._returning.discard(func)

    def _bind_params(self) -> list[_Binding]:
        out = []
        # `def run(m, x, g=graph, s=sess)`: a parameter holds what its default holds
        for defs in self._c.functions.values():
            for func in defs:
                for param in (*func.params.posonly_params, *func.params.params, *func.params.kwonly_params):
                    if param.default is not None:
                        out.append(_Binding(param.name.value, value=param.default, owner=param))
        for call in self._c.calls:
            func = self._single_function(call.func)
            if func is None or _cannot_bind(func, call):  # never runs the body: binds nothing
                continue
            for arg, param in _match_args(func, call):
                if param is not None:
                    out.append(_Binding(param.name.value, value=arg.value, owner=call.node))
        # what callers in other modules of the app pass (whole_app): `def top_class(model, x, graph, sess)`
        wanted = set(self.producers.values())
        if not self.imported.params:
            return out
        # keys are file-wide: a parameter name that another function of the module also takes
        # (unless every caller passes it the same kind there too), or that the module binds, may
        # hold anything there (`classify(model, x)` given a forest)
        given = {name: (func, params) for name, params in self.imported.params.items()
                 if (func := self._single_function(name)) is not None}
        by_def = {id(func): params for func, params in given.values()}
        kinds_of: dict[str, set] = {}
        for defs in self._c.functions.values():
            for func in defs:
                for param in (*func.params.posonly_params, *func.params.params, *func.params.kwonly_params):
                    kinds_of.setdefault(param.name.value, set()).add(by_def.get(id(func), {}).get(param.name.value))
        bound = {b.key for b in self._c.bindings}
        for func, params in given.values():
            for param in func.params.params:
                kind = params.get(param.name.value)
                if kind in wanted and kinds_of.get(param.name.value) == {kind} and param.name.value not in bound:
                    out.append(_Binding(param.name.value, fixed=kind, owner=param))
        return out

    def _single_function(self, name: str) -> cst.FunctionDef | None:
        return self._callables.get(name)

    def _solve(self) -> None:
        # The keys that sweeping the bindings until a sweep adds none gives (each sweep in list
        # order; a key goes to the first binding that resolves it), without sweeping them all
        # again per key added: that was quadratic on a chain bound against list order (2,000
        # `a = b` links written backwards: ~10 s). A binding that does not resolve is tried
        # again only once a key it looked up and missed is added, at the sweep and place the
        # sweeps would next reach it: later in the same sweep when it comes after the binding
        # that added the key, else in the next one. (_binding_kind reads no state that changes
        # but self.keys, and a key once set is never changed.)
        bindings = self._c.bindings + self._param_bindings
        missed: set[str] = set()

        class Recording(dict):
            """self.keys while solving: notes every key looked up and missing."""

            def __contains__(self, key: object) -> bool:
                if dict.__contains__(self, key):
                    return True
                missed.add(key)
                return False

            def __getitem__(self, key: str) -> Kind:
                if not dict.__contains__(self, key):
                    missed.add(key)
                return dict.__getitem__(self, key)

            def get(self, key: str, default: Kind = None) -> Kind:
                if not dict.__contains__(self, key):
                    missed.add(key)
                return dict.get(self, key, default)

        keys, self.keys = self.keys, Recording(self.keys)
        waiting: dict[str, list[int]] = {}  # a missing key -> bindings to try again once it is added
        queue = [(0, i) for i in range(len(bindings))]  # (sweep, index): a heap (sorted already)
        queued = set(queue)
        try:
            while queue:
                sweep, i = heapq.heappop(queue)
                queued.discard((sweep, i))
                b = bindings[i]
                if dict.__contains__(self.keys, b.key):
                    continue
                missed.clear()
                kind = self._binding_kind(b)
                if kind is None:
                    for key in missed:
                        waiting.setdefault(key, []).append(i)
                    continue
                dict.__setitem__(self.keys, b.key, kind)
                for j in waiting.pop(b.key, ()):
                    entry = (sweep if j > i else sweep + 1, j)
                    if entry not in queued:
                        queued.add(entry)
                        heapq.heappush(queue, entry)
        finally:
            keys.update(self.keys)  # the same dict object, keys in the order they were added
            self.keys = keys

    # expressions we can drop -----------------------------------------------------
    def is_pure(self, expr: cst.CSTNode | None, allow_configured_sessions: bool = False) -> bool:
        """True when evaluating `expr` only produces or looks up a graph/session (or a
        placeholder such as None / [] before one is stored)."""
        if expr is None:
            return True
        if isinstance(expr, cst.Name) and expr.value == "None":
            return True
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return all(self.is_pure(e.value, allow_configured_sessions) for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return all(
                isinstance(e, cst.DictElement)
                and _is_literal(e.key)
                and self.is_pure(e.value, allow_configured_sessions)
                for e in expr.elements
            )
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Name) and expr.func.value in _EMPTY_CONTAINER_CALLS and not expr.args:
                return True
            qualified = self.names.qualify(expr.func)
            if qualified in self.producers:
                if qualified in SESSION_CLASSES:
                    return all(
                        a.keyword is not None
                        and (
                            (a.keyword.value in HOSTING_SESSION_KWARGS and self.is_pure(a.value))
                            or (allow_configured_sessions and a.keyword.value == "config"
                                and self._is_config(a.value))
                        )
                        for a in expr.args
                    )
                return all(self.is_pure(a.value, allow_configured_sessions) for a in expr.args)
            if self.kind_of(expr.func) == GETTER:
                return not expr.args
            return False
        if isinstance(expr, (cst.Name, cst.Attribute)):
            if self.names.qualify(expr) in self.getters:
                return True
            if self.kind_of(expr) is not None:
                return isinstance(expr, cst.Name) or dotted(expr) in self.keys or self.is_pure(
                    expr.value if isinstance(expr, cst.Attribute) else None, allow_configured_sessions
                )
            return False
        if isinstance(expr, cst.Subscript):
            return self.kind_of(expr) is not None and all(
                _is_simple_index(s) for s in expr.slice
            )
        return False

    def _is_config(self, expr: cst.BaseExpression) -> bool:
        # a config handed to a Session: a name, or a ConfigProto built in place (no side effects)
        if isinstance(expr, (cst.Name, cst.Attribute)):
            return True
        return isinstance(expr, cst.Call) and self.names.qualify(expr.func) in CONFIG_CLASSES

    # liveness --------------------------------------------------------------------
    def plan_dead_carriers(self, allow_configured_sessions: bool = False) -> DeadPlan:
        """Keys with no live use, and the statements / parameters / arguments to remove.

        Each removable carrier use (a pure binding, a `global` entry, a helper's carrier
        argument, a returned tuple element) becomes a condition: the subtree is no use of
        what it holds as long as its key dies. The module's uses are then walked once, and
        liveness flows from the unconditional uses through the conditions.
        """
        conditions = _Conditions()
        removable_bindings = self._removable_bindings(conditions, allow_configured_sessions)
        self._global_entries(conditions)
        imported = self._imported_aliases(conditions)
        removable_params, callee_args = self._removable_params(conditions, allow_configured_sessions)
        unpacked_slots = self._returned_slots(conditions, allow_configured_sessions)
        dead = self._dead(conditions, unpacked_slots)
        plan = self._removals(dead, removable_bindings, removable_params)
        plan.args.update(callee_args)  # the callees drop those parameters whatever dies here
        plan.import_aliases = {id(alias) for local, alias in imported if local in dead}
        return plan

    def _imported_aliases(self, conditions: "_Conditions") -> list[tuple[str, cst.ImportAlias]]:
        # `from .apps import graph` of a graph/session another module of the app holds: naming it
        # in the import is no use of it, and the name goes when nothing else uses it
        found = [(local, alias) for local, alias in self._c.import_aliases
                 if local in self.imported.keys and local in self.keys]
        for _local, alias in found:
            conditions.add(alias, None)
        return found

    def _removable_bindings(self, conditions: "_Conditions", allow_configured_sessions: bool) -> list[_Binding]:
        # bindings of carrier keys whose statement can go when the key dies; the others
        # (impure values, loop variables, `as` names) keep their key live
        removable: list[_Binding] = []
        for b in self._c.bindings:
            if b.key not in self.keys:
                continue
            if b.ret is not None:
                removable.append(b)
                if b.target is not None:
                    conditions.add(b.target, None)
                continue
            if isinstance(b.owner, cst.For) or isinstance(b.owner, cst.WithItem):
                conditions.live.add(b.key)  # loop variables / `as` names: their statement stays
                continue
            if not self.is_pure(b.value, allow_configured_sessions):
                conditions.live.add(b.key)
                continue
            removable.append(b)
            if b.record:
                conditions.add(b.value, b.key)  # the entry's value is no use while its key dies
            elif isinstance(b.owner, cst.Call):
                conditions.add(b.owner, b.key)  # `GRAPHS.append(g)`, receiver included
            elif b.value is not None:
                conditions.add(b.value, b.key)
            if b.target is not None:
                conditions.add(b.target, None)
        return removable

    def _global_entries(self, conditions: "_Conditions") -> None:
        for g in self._c.globals:
            conditions.add(g, None)  # naming a key in `global` is no use of it

    def _removable_params(self, conditions: "_Conditions", allow_configured_sessions: bool
                          ) -> tuple[dict[str, set[str]], dict[int, set[int]]]:
        # (function → carrier parameters every call passes a pure carrier to (and nothing else),
        #  call of another module's function → the arguments to go, as that callee drops them)
        removable: dict[str, set[str]] = {}
        callee_args: dict[int, set[int]] = {}
        calls_of: dict[str, list[_Call]] = {}  # by name, once: a scan of every call per function was quadratic
        for call in self._c.calls:
            calls_of.setdefault(call.func, []).append(call)
        for name, func in self._callables.items():
            calls = calls_of.get(name, [])
            # called from other modules too: those callers drop their arguments with it (whole_app)
            elsewhere = {p: k for p, k in self.imported.params.get(name, {}).items() if k in (GRAPH, SESSION)}
            if not (calls or elsewhere) or not self._only_called(name, calls):
                continue
            # a call that raises TypeError binding its arguments (`make_inference(model, img_path)` of a
            # 4-parameter function) whatever the carrier parameters get, runs nothing, before the
            # rewrite and after it (its arguments matched to them go too, the rest stay as they bound)
            carriers = {p.name.value for p in func.params.params if p.name.value in self.keys}
            calls = [call for call in calls if not _cannot_bind(func, call, carriers)]
            for param in func.params.params:
                p = param.name.value
                if p not in self.keys or p in ("self", "cls") or (elsewhere and p not in elsewhere):
                    continue
                matched = []
                for call in calls:
                    args = [a for a, prm in _match_args(func, call) if prm is param]
                    if len(args) > 1:
                        break
                    matched.extend(args)
                else:
                    if all(self.is_pure(a.value, allow_configured_sessions) for a in matched):
                        removable.setdefault(name, set()).add(p)
                        for a in matched:
                            conditions.add(a, p)
                        conditions.add(param, None)
        for text, (params, dropped) in self.imported.callees.items():
            signature = _signature(params)  # another module's function or class, as whole_app saw it
            for call in calls_of.get(text, []):
                if call.method:
                    continue  # `self.top_class(...)`: a method of that name, not the imported function
                for i, (arg, param) in enumerate(_match_args(signature, call)):
                    if param is not None and param.name.value in dropped and self.is_pure(arg.value, allow_configured_sessions):
                        conditions.add(arg, None)  # the callee no longer takes it (whole_app checks)
                        callee_args.setdefault(id(call.node), set()).add(i)
        return removable, callee_args

    def _returned_slots(self, conditions: "_Conditions", allow_configured_sessions: bool) -> dict["_ReturnSlot", list[str]]:
        # returned tuple elements that only feed carrier keys of the callers' unpacking;
        # answers each unpacked slot → the keys it is unpacked into
        c = self._c
        unpacked: dict[_ReturnSlot, list[str]] = {}
        # the unpacking bindings by function, then by call, built once: scans of every binding
        # per function, and of a function's unpacks per call, were quadratic
        unpacks_of: dict[str, list[_Binding]] = {}
        for b in c.bindings:
            if b.ret is not None and b.key in self.keys:
                unpacked.setdefault(_ReturnSlot(*b.ret), []).append(b.key)
            if b.ret is not None:
                unpacks_of.setdefault(b.ret[0], []).append(b)
        for func, rets in c.returns.items():
            if func in self.imported.kept_returns:
                continue  # other modules of the app unpack what it returns
            refs = c.function_refs.get(func, 0)
            unpacks = unpacks_of.get(func, [])
            # every reference to the function is a call whose result is unpacked (+ its def)
            by_call: dict[int, list[_Binding]] = {}
            for b in unpacks:
                by_call.setdefault(id(b.owner), []).append(b)
            calls_unpacked = set(by_call)
            if refs != len(calls_unpacked) + 1:
                continue
            for ret in rets:
                if not isinstance(ret.value, cst.Tuple):
                    continue
                for i, element in enumerate(ret.value.elements):
                    targets_ok = all(
                        any(b.unpack_index == i and b.key in self.keys for b in by_call[owner])
                        for owner in calls_unpacked
                    )
                    if targets_ok and self.is_pure(element.value, allow_configured_sessions):
                        conditions.add(element, _ReturnSlot(func, i))
        return unpacked

    def _dead(self, conditions: "_Conditions", unpacked: dict["_ReturnSlot", list[str]]) -> set:
        """Keys and returned slots no live use reaches."""
        for target in self._c.record_targets:
            conditions.add(target, None)  # defining a record is no use of its entries
        walker = _UseWalker(self.keys, conditions.roots, self._record_holders())
        walk(self.module, walker, only=frozenset(conditions.root_types | {cst.Name, cst.Attribute, cst.Subscript}))
        live = conditions.live | walker.live | self._exported_records()
        deps: dict[str | _ReturnSlot, set[str | _ReturnSlot]] = {}
        for use_key, cond in walker.conditional:
            deps.setdefault(cond, set()).add(use_key)
        for slot, targets in unpacked.items():
            for t in targets:
                # the returned element dies only when every unpacked target dies
                deps.setdefault(t, set()).add(slot)
        # a returned slot is live unless it was marked removable; a slot of a function another
        # module defines dies with its targets here (the whole-app check pairs the two edits)
        marked = {v for v in conditions.roots.values() if isinstance(v, _ReturnSlot)}
        marked |= {slot for slot in unpacked if slot.func not in self._c.functions and slot.func in self.imported.returns}
        live |= {slot for slot in unpacked if slot not in marked}
        frontier = list(live)
        while frontier:
            k = frontier.pop()
            for dependent in deps.get(k, ()):
                if dependent not in live:
                    live.add(dependent)
                    frontier.append(dependent)
        return {k for k in (*self.keys, *unpacked, *marked) if k not in live}

    def _record_holders(self) -> dict[str, set[str]]:
        """Each record, entry or name holding records → the carrier entries under it: any other
        use of a holder (`for m in MODELS.values()`) may read them, so they stay live; an entry
        that is no carrier (`MODELS['basket']['model']`) maps to nothing."""
        parents = self._c.record_parents
        holders: dict[str, set[str]] = {key: set() for key in parents}
        for key in parents:
            if key not in self.keys:
                continue
            parent = parents.get(key)
            while parent is not None and parent not in holders.get(key, ()):
                holders.setdefault(parent, set()).add(key)
                parent = parents.get(parent)
        return holders

    def _exported_records(self) -> set[str]:
        """Carrier record entries under a name another module reads (`from app import MODELS`):
        that module may read them, so they stay."""
        if not self.imported.exported:
            return set()
        return {key for key in self._c.record_parents if key in self.keys
                and key.split("[", 1)[0].split(".", 1)[0] in self.imported.exported}

    def _removals(self, dead: set, removable_bindings: list[_Binding], removable_params: dict[str, set[str]]) -> DeadPlan:
        c = self._c
        plan = DeadPlan(dead_keys={k for k in dead if isinstance(k, str)})
        for b in removable_bindings:
            if b.key not in dead:
                continue
            if b.ret is not None:
                if _ReturnSlot(*b.ret) in dead and b.unpack_index is not None:
                    plan.tuple_elements.setdefault(id(b.owner), set()).add(b.unpack_index)
                continue
            if b.unpack_index is not None:
                plan.tuple_elements.setdefault(id(b.owner), set()).add(b.unpack_index)
                continue
            if b.record:
                plan.dict_elements.add(id(b.owner))
                continue
            if b.owner is not None:  # (a Call owner is resolved to its Expr by the pruner)
                plan.small_statements.add(id(b.owner))
        for func, rets in c.returns.items():
            for ret in rets:
                if isinstance(ret.value, cst.Tuple):
                    for i in range(len(ret.value.elements)):
                        if _ReturnSlot(func, i) in dead:
                            plan.tuple_elements.setdefault(id(ret), set()).add(i)
        for g in c.globals:
            names = {n.name.value for n in g.names if isinstance(n.name, cst.Name) and n.name.value in dead}
            if names:
                plan.global_names[id(g)] = names
        for name, params in removable_params.items():
            params = {p for p in params if p in dead}
            if not params:
                continue
            func = self._callables[name]
            plan.params[id(func)] = params
            for call in c.calls:
                if call.func != name:
                    continue
                drop = {
                    i for i, (a, prm) in enumerate(_match_args(func, call)) if prm is not None and prm.name.value in params
                }
                if drop:
                    plan.args[id(call.node)] = drop
        return plan

    def _only_called(self, name: str, calls: list[_Call]) -> bool:
        # the def itself + each call; any other mention (a callback, a thread target) keeps it
        return self._c.function_refs.get(name, 0) == 1 + len(calls)


class _UseWalker(cst.CSTVisitor):
    def __init__(self, keys: dict[str, Kind], cond_roots: dict[int, "str | _ReturnSlot | None"],
                 holders: dict[str, set[str]]) -> None:
        self.keys = keys
        self.cond_roots = cond_roots
        self.holders = holders
        self.stack: list["str | _ReturnSlot"] = []
        self.live: set[str] = set()
        self.conditional: list[tuple[str, "str | _ReturnSlot"]] = []
        self.live_nodes: list[tuple[str, cst.CSTNode]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.cond_roots:
            self.stack.append(self.cond_roots[id(node)])
            if self.stack[-1] is None:
                self.stack.pop()
                return False
        if isinstance(node, (cst.Name, cst.Attribute, cst.Subscript)):
            key = key_text(node)
            if key is not None and key in self.keys:
                self._use(key, node)
                # `self.graph` is one use; its `self` is not another (on_leave still runs)
                return isinstance(node, cst.Name)
            if key is not None and key in self.holders:
                for entry in self.holders[key]:
                    self._use(entry, node)
                return False
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if id(original_node) in self.cond_roots and self.cond_roots[id(original_node)] is not None:
            self.stack.pop()

    def _use(self, key: str, node: cst.CSTNode) -> None:
        if self.stack:
            self.conditional.append((key, self.stack[-1]))  # type: ignore[arg-type]
        else:
            self.live.add(key)
            self.live_nodes.append((key, node))


def _callables(c: "_Collector") -> dict[str, cst.FunctionDef]:
    """What a call by name runs, for the names defined once: a function, or the `__init__` of a
    class (`Predictor(model, graph)` binds `__init__`'s parameters after `self`)."""
    out = {name: defs[0] for name, defs in c.functions.items()
           if len(defs) == 1 and name != "__init__" and name not in c.classes}
    for name, inits in c.classes.items():
        if len(inits) == 1 and inits[0] is not None and name not in c.functions:
            out[name] = inits[0]
    return out


def _signature(params: tuple[str, ...]) -> cst.FunctionDef:
    """A stand-in def with these parameters (another module's function, as whole_app saw it)."""
    return cst.FunctionDef(name=cst.Name("callee"), params=cst.Parameters(params=[cst.Param(cst.Name(p)) for p in params]),
                           body=cst.SimpleStatementSuite(body=[cst.Pass()]))


def _cannot_bind(func: cst.FunctionDef, call: _Call, relaxed: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether Python raises TypeError binding ``call``'s arguments to ``func``'s parameters even
    when the parameters named in ``relaxed`` may go unpassed: too many positional arguments, an
    unknown keyword, a parameter given twice, or a required one missing. Such a call never runs
    the body, so it says nothing about what a parameter holds; and it still fails once the relaxed
    parameters and the arguments matched to them are removed. Unpacked arguments (``*a``, ``**k``)
    and variadic parameters could bind anything: never claimed."""
    if func.params.star_kwarg is not None or isinstance(func.params.star_arg, cst.Param) or any(
            arg.star for arg in call.node.args):
        return False
    matched = _match_args(func, call)
    if any(param is None for _, param in matched):
        return True  # a positional argument past the last parameter, or an unknown keyword
    given = [param.name.value for _, param in matched]
    if len(given) != len(set(given)) and any(given.count(name) > 1 and name not in relaxed for name in given):
        return True
    params = list(func.params.posonly_params) + list(func.params.params)
    if (call.method or func.name.value == "__init__") and params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    return any(p.default is None and p.name.value not in given and p.name.value not in relaxed
               for p in (*params, *func.params.kwonly_params))


def _match_args(func: cst.FunctionDef, call: _Call) -> list[tuple[cst.Arg, cst.Param | None]]:
    """Each argument of `call` with the parameter of `func` it binds (None when unknown)."""
    params = list(func.params.posonly_params) + list(func.params.params)
    if (call.method or func.name.value == "__init__") and params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    by_name = {p.name.value: p for p in params + list(func.params.kwonly_params)}
    out: list[tuple[cst.Arg, cst.Param | None]] = []
    position = 0
    for arg in call.node.args:
        if arg.star:
            out.append((arg, None))
            position = len(params) + 1
            continue
        if arg.keyword is not None:
            out.append((arg, by_name.get(arg.keyword.value)))
            continue
        out.append((arg, params[position] if position < len(params) else None))
        position += 1
    return out


def key_text(node: cst.CSTNode | None) -> str | None:
    """The text of a place that can hold a carrier: `a.b` (dotted), or an entry of a record
    `a['k']['j']` (literal string or integer indices, normalised: `["k"]` reads as `['k']`)."""
    if isinstance(node, cst.Subscript):
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        index = _literal_index(node.slice[0].slice.value)
        base = key_text(node.value)
        return None if index is None or base is None else f"{base}[{index}]"
    return dotted(node)


def _literal_index(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return repr(value) if isinstance(value, str) else None
    if isinstance(node, cst.Integer):
        return str(node.evaluated_value)
    return None


def _is_literal(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, (cst.Integer, cst.SimpleString, cst.Float))


def _is_simple_index(element: cst.SubscriptElement) -> bool:
    s = element.slice
    return isinstance(s, cst.Index) and (isinstance(s.value, (cst.Name, cst.Integer, cst.SimpleString)))


class DeadCarrierPruner(BlockEditor):
    """Removes what a `DeadPlan` lists; statements that become empty disappear."""

    DROPS_EXPLAINING_PRINTS = True

    def __init__(self, plan: DeadPlan) -> None:
        super().__init__()
        self.plan = plan
        self._emptied_globals: set[int] = set()

    def edit_statement(self, original, updated):
        if not isinstance(original, cst.SimpleStatementLine):
            return None
        drop = set()
        for orig_small, upd_small in zip(original.body, updated.body):
            if id(orig_small) in self.plan.small_statements:
                drop.add(id(upd_small))
            elif (isinstance(orig_small, cst.ImportFrom) and not isinstance(orig_small.names, cst.ImportStar)
                  and all(id(a) in self.plan.import_aliases for a in orig_small.names)):
                drop.add(id(upd_small))
            elif isinstance(orig_small, cst.Expr) and id(orig_small.value) in self.plan.small_statements:
                drop.add(id(upd_small))
            elif isinstance(orig_small, cst.Global) and id(orig_small) in self._emptied_globals:
                drop.add(id(upd_small))
        if not drop:
            return None
        return drop_small_statements(updated, drop)

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if isinstance(original_node.names, cst.ImportStar) or not self.plan.import_aliases:
            return updated_node
        kept = [u for o, u in zip(original_node.names, updated_node.names) if id(o) not in self.plan.import_aliases]
        if not kept or len(kept) == len(updated_node.names):
            return updated_node  # all gone: the statement goes (edit_statement)
        if updated_node.lpar is None:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)

    def leave_Global(self, original_node: cst.Global, updated_node: cst.Global) -> cst.Global:
        names = self.plan.global_names.get(id(original_node))
        if not names:
            return updated_node
        kept = [n for n in updated_node.names if not (isinstance(n.name, cst.Name) and n.name.value in names)]
        if not kept:
            self._emptied_globals.add(id(original_node))  # its statement goes (a Global needs a name)
            return updated_node
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        names = self.plan.params.get(id(original_node))
        if not names:
            return updated_node
        params = updated_node.params
        kept = [p for p in params.params if p.name.value not in names]
        changes: dict = {"params": _fix_commas(kept)}
        if not kept and params.star_arg is cst.MaybeSentinel.DEFAULT and not params.kwonly_params:
            pass
        return updated_node.with_changes(params=params.with_changes(**changes))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        drop = self.plan.args.get(id(original_node))
        if not drop:
            return updated_node
        kept = [a for i, a in enumerate(updated_node.args) if i not in drop]
        return updated_node.with_changes(args=_fix_commas(kept))

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.Dict:
        if not self.plan.dict_elements:
            return updated_node
        kept = [u for o, u in zip(original_node.elements, updated_node.elements) if id(o) not in self.plan.dict_elements]
        if len(kept) == len(updated_node.elements):
            return updated_node
        if kept and updated_node.elements[-1].comma is cst.MaybeSentinel.DEFAULT:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)  # no trailing comma added
        elif kept:
            kept[-1] = kept[-1].with_changes(comma=updated_node.elements[-1].comma)  # the last entry's comma kept
        return updated_node.with_changes(elements=kept)

    def leave_Return(self, original_node: cst.Return, updated_node: cst.Return) -> cst.Return:
        drop = self.plan.tuple_elements.get(id(original_node))
        if not drop or not isinstance(updated_node.value, cst.Tuple):
            return updated_node
        if len(drop) >= len(updated_node.value.elements):
            return updated_node.with_changes(value=None, whitespace_after_return=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(value=_shrink_tuple(updated_node.value, drop))

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.BaseSmallStatement:
        drop = self.plan.tuple_elements.get(id(original_node))
        if not drop:
            return updated_node
        target = updated_node.targets[0]
        if len(updated_node.targets) != 1 or not isinstance(target.target, (cst.Tuple, cst.List)):
            return updated_node
        if len(drop) >= len(target.target.elements):
            return cst.Expr(value=updated_node.value)  # `graph, sess = init()`: the call stays
        new_target = _shrink_tuple(target.target, drop)
        value = updated_node.value
        if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(target.target.elements):
            value = _shrink_tuple(value, drop)
        return updated_node.with_changes(targets=[target.with_changes(target=new_target)], value=value)


def _fix_commas(items: list) -> list:
    if items:
        items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return items


def _shrink_tuple(node: cst.Tuple | cst.List, drop: set[int]) -> cst.BaseExpression:
    kept = [e for i, e in enumerate(node.elements) if i not in drop]
    if len(kept) == 1 and isinstance(node, cst.Tuple):
        return kept[0].value
    return node.with_changes(elements=_fix_commas(kept))


def prune_dead_carriers(
    module: cst.Module,
    names: ImportNames,
    allow_configured_sessions: bool = False,
    carriers: "Carriers | None" = None,
    facts: StatementFacts | None = None,
) -> tuple[cst.Module, bool]:
    """(module without its dead carriers, whether anything was removed).

    One pass is enough: liveness is solved transitively, so a chain (`sess` only feeding
    `graph = sess.graph`, only passed to a helper parameter) dies in one plan. `carriers`
    may be given when it was computed on this very module; `facts` lets the bindings of
    statements seen before be reused (analysis.statements).
    """
    if carriers is None or carriers.module is not module:
        imported = carriers.imported if carriers is not None else None  # the rest of the app is the same
        carriers = Carriers(module, names, collected=collect_bindings(module, facts), imported=imported)
    if not carriers.keys:
        return module, False
    plan = carriers.plan_dead_carriers(allow_configured_sessions)
    if not plan:
        return module, False
    return transform(module, DeadCarrierPruner(plan)), True


def leftover_statements(module: cst.Module, names: ImportNames, wanted: frozenset[str]) -> list[tuple[cst.CSTNode, str]]:
    """(statement, canonical name) for each call to a `wanted` callable still in `module`:
    what a rule could not remove and must report (e.g. `K.get_session()` inside a log call)."""
    found: list[tuple[cst.CSTNode, str]] = []
    stack: list[cst.CSTNode] = []

    class _Finder(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            stack.append(node)

        def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            stack.pop()

        def visit_Call(self, node: cst.Call) -> None:
            qualified = names.qualify(node.func)
            if qualified in wanted:
                found.append((stack[-1] if stack else node, qualified))

    walk(module, _Finder())
    return found


def readers_of(module: cst.Module, statement: cst.CSTNode, limit: int = 2) -> tuple[str, list[str]]:
    """(the name `statement` binds, the first `limit` statements of `module` that still read it,
    quoted): why a leftover `sess = tf.Session()` stays, in the code's own words. A compound
    statement is quoted by its first line; ("", []) when `statement` binds no single name."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 \
            or not isinstance(statement.body[0], cst.Assign) or len(statement.body[0].targets) != 1:
        return "", []
    target = statement.body[0].targets[0].target
    if not isinstance(target, (cst.Name, cst.Attribute)):
        return "", []
    blank = cst.Module(body=[])
    bound = blank.code_for_node(target)
    quoted: list[str] = []
    stack: list[cst.CSTNode] = []

    class _Readers(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is statement or len(quoted) >= limit:
                return False
            if isinstance(node, cst.AssignTarget):  # a write, not a read
                return False
            if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
                stack.append(node)
            elif isinstance(node, type(target)) and stack and blank.code_for_node(node) == bound:
                text = blank.code_for_node(stack[-1]).strip().splitlines()[0]
                text = " ".join(text.split())
                if text not in quoted:
                    quoted.append(text if len(text) <= 90 else text[:87] + "...")
                return False
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            if stack and stack[-1] is original_node:
                stack.pop()

    module.visit(_Readers())
    return bound, quoted


def still_read(module: cst.Module, statement: cst.CSTNode) -> str:
    """"; `x` is still read by `...`" for a leftover binding whose name `module` still reads
    (empty when it reads it nowhere or the statement binds no single name)."""
    bound, quoted = readers_of(module, statement)
    if not quoted:
        return ""
    return f"; `{bound}` is still read by " + " and by ".join(f"`{q}`" for q in quoted)
