"""Raw TF1 graph code: what the Keras rewrites must not touch.

Placeholders fed through `sess.run`, frozen GraphDefs, `saved_model.loader`, variable
initialisers: these need graph mode and a session, which Keras 3 never has. A file with any
of them cannot move to Keras 3 piecemeal (the Keras rewrites would take its model out of the
graph and session its raw code still runs in): it stays on the legacy path (runnable under
the shim) and each site is reported as manual work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from migrate.analysis.carriers import GRAPH, SESSION, Carriers
from migrate.analysis.names import ImportNames
from migrate.analysis.walk import walk

# canonical name → what to tell the user
RAW_TF1_CALLS: dict[str, str] = {
    "tensorflow.placeholder": "tf.placeholder (fed through a session)",
    "tensorflow.placeholder_with_default": "tf.placeholder_with_default",
    "tensorflow.GraphDef": "a frozen GraphDef",
    "tensorflow.import_graph_def": "tf.import_graph_def",
    "tensorflow.saved_model.loader.load": "tf.saved_model.loader.load (TF1 SavedModel in a session)",
    "tensorflow.train.import_meta_graph": "tf.train.import_meta_graph",
    "tensorflow.train.Saver": "tf.train.Saver",
    "tensorflow.global_variables_initializer": "global_variables_initializer()",
    "tensorflow.local_variables_initializer": "local_variables_initializer()",
    "tensorflow.variables_initializer": "variables_initializer()",
    "tensorflow.initialize_all_variables": "initialize_all_variables()",
    "tensorflow.get_variable": "tf.get_variable",
    "tensorflow.variable_scope": "tf.variable_scope",
    "tensorflow.graph_util.convert_variables_to_constants": "convert_variables_to_constants",
}
# initialisers of every variable: run after weights were loaded, they overwrite them
RESETTING_INITIALIZERS = frozenset({"tensorflow.global_variables_initializer", "tensorflow.initialize_all_variables"})
# what loads weights into variables: a Saver's restore, Keras' loaders, a TF1 SavedModel / meta graph
WEIGHT_LOADS = frozenset({"tensorflow.train.import_meta_graph", "tensorflow.saved_model.loader.load"})
WEIGHT_LOAD_METHODS = frozenset({"restore", "load_weights", "load_model"})
# methods that only make sense on a graph / session object
GRAPH_METHODS = frozenset({"get_tensor_by_name", "get_operation_by_name", "finalize", "as_graph_def"})
SESSION_METHODS = frozenset({"run", "partial_run", "make_callable"})


@dataclass(frozen=True)
class RawSite:
    """One piece of raw TF1 graph code."""

    node: cst.CSTNode
    what: str
    contrib: str | None = None  # the canonical tf.contrib name, for a tf.contrib call


# tf.contrib names with an exact equivalent in the v1 API (the API a switched file runs on) →
# (that name, what it needs on today's stack or ""). tf.contrib.rnn re-exported the core cells
# (the same classes, the same variable names), which TF 2.21 serves from tf_keras only;
# xavier_initializer() is Glorot uniform (limit sqrt(6/(fan_in+fan_out))). contrib's flatten
# has no such twin: tf.compat.v1.layers is tf_keras code too, and not a pure-TF op.
LEGACY_KERAS = "tf_keras: set TF_USE_LEGACY_KERAS=1 before tensorflow is imported"
CONTRIB_EQUIVALENTS: dict[str, tuple[str, str]] = {
    "tensorflow.contrib.layers.xavier_initializer": ("glorot_uniform_initializer", ""),
    "tensorflow.contrib.rnn.static_rnn": ("nn.static_rnn", ""),
    "tensorflow.contrib.rnn.static_bidirectional_rnn": ("nn.static_bidirectional_rnn", ""),
    "tensorflow.contrib.rnn.BasicLSTMCell": ("nn.rnn_cell.BasicLSTMCell", LEGACY_KERAS),
    "tensorflow.contrib.rnn.LSTMCell": ("nn.rnn_cell.LSTMCell", LEGACY_KERAS),
    "tensorflow.contrib.rnn.GRUCell": ("nn.rnn_cell.GRUCell", LEGACY_KERAS),
    "tensorflow.contrib.rnn.BasicRNNCell": ("nn.rnn_cell.BasicRNNCell", LEGACY_KERAS),
    "tensorflow.contrib.rnn.MultiRNNCell": ("nn.rnn_cell.MultiRNNCell", LEGACY_KERAS),
    "tensorflow.contrib.rnn.DropoutWrapper": ("nn.rnn_cell.DropoutWrapper", LEGACY_KERAS),
    "tensorflow.contrib.rnn.LSTMStateTuple": ("nn.rnn_cell.LSTMStateTuple", LEGACY_KERAS),
}


class _Finder(cst.CSTVisitor):
    def __init__(self, names: ImportNames, carriers: Carriers) -> None:
        self.names = names
        self.carriers = carriers
        self.sites: list[RawSite] = []
        self.wraps = False
        self.loaded_before = False  # a weight load seen earlier in the source

    def visit_Call(self, node: cst.Call) -> bool | None:
        qualified = self.names.qualify(node.func)
        if qualified == "tensorflow.wrap_function":
            # TF 2's way to call a GraphDef (tf1-graph-function's output): no session, no graph mode
            self.wraps = True
            return False
        if qualified in RAW_TF1_CALLS:
            what = RAW_TF1_CALLS[qualified]
            if qualified in RESETTING_INITIALIZERS and self.loaded_before:
                # said only where the source shows weights loaded before it
                what += " (it overwrites the weights loaded above it)"
            self.sites.append(RawSite(node, what))
            if qualified in WEIGHT_LOADS:
                self.loaded_before = True
            return
        if qualified in WEIGHT_LOADS or (
                isinstance(node.func, (cst.Attribute, cst.Name))
                and (node.func.attr if isinstance(node.func, cst.Attribute) else node.func).value in WEIGHT_LOAD_METHODS):
            self.loaded_before = True
        if qualified is not None and qualified.startswith("tensorflow.contrib."):
            self.sites.append(RawSite(node, "tf." + qualified[len("tensorflow."):], contrib=qualified))
            return
        func = node.func
        if isinstance(func, cst.Attribute):
            kind = self.carriers.kind_of(func.value)
            if kind == SESSION and func.attr.value in SESSION_METHODS:
                self.sites.append(RawSite(node, f"session.{func.attr.value}(...)"))
            elif kind == GRAPH and func.attr.value in GRAPH_METHODS:
                self.sites.append(RawSite(node, f"graph.{func.attr.value}(...)"))


def find_raw_tf1(module: cst.Module, names: ImportNames, carriers: Carriers) -> list[RawSite]:
    """Every raw TF1 graph construct in `module`, in source order."""
    finder = _Finder(names, carriers)
    walk(module, finder)
    if finder.wraps:  # the GraphDef read for wrap_function is no graph-mode code either
        return [site for site in finder.sites if site.what != RAW_TF1_CALLS["tensorflow.GraphDef"]]
    return finder.sites


_RAW_WORDS = ("placeholder", "GraphDef", "import_graph_def", "loader.load", "initializer", "import_meta_graph",
              "Saver", "get_variable", "variable_scope", "contrib", "get_tensor_by_name",
              "get_operation_by_name", "make_callable", "initialize_all")
# `x.run(` but not Flask's `app.run(`
_SESSION_RUN = re.compile(r"(?<!\bapp)\.(?:partial_)?run\(")


def mentions_raw_tf1(code: str) -> bool:
    """Cheap text test before parsing for `find_raw_tf1` (false positives only cost time)."""
    return any(word in code for word in _RAW_WORDS) or bool(_SESSION_RUN.search(code))


def names_in(expr: cst.CSTNode) -> set[str]:
    """The plain names `expr` reads (`os.path.join(HERE, x)` → {"os", "HERE", "x"})."""
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)  # `os.path.join`: only `os` is a name
            return False

    expr.visit(_Names())
    return found


def assigned_in(function: cst.FunctionDef) -> set[str]:
    """Names `function`'s body binds (assignments, `with ... as`, `except ... as`)."""
    found: set[str] = set()

    class _Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            found.update(names_in(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            found.update(names_in(node.target))

        def visit_AsName(self, node: cst.AsName) -> None:
            found.update(names_in(node.name))

    function.body.visit(_Targets())
    return found


def module_bound(tree: cst.Module, names: ImportNames) -> set[str]:
    """Names bound by module-level assignments and imports (and builtins used in paths)."""
    bound = set(names.aliases) | {"open", "str", "__file__"}
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        bound |= names_in(target.target)
                elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        bound.add(cst.Module([]).code_for_node(alias.asname.name if alias.asname else alias.name).split(".")[0])
    return bound
