"""Frozen GraphDefs and TF1 SavedModels fed through `sess.run` → a TF 2 function, loaded once.

The most copied TF1 serving snippet (retrain.py's label_image) reads the `.pb`, imports the
GraphDef and opens a `tf.Session` in every request; TF1 SavedModels are loaded into a session
with `tf.saved_model.loader.load`. Neither needs a session on TF 2: the graph becomes a function
of the tensors the code feeds and fetches, made once at import, callable from any thread:

     @app.route('/predict', methods=['POST'])
     def predict():
         x = np.array(request.get_json(force=True)['instances'], dtype=np.float32)
    -    with tf.gfile.FastGFile(GRAPH_PATH, 'rb') as f:
    -        graph_def = tf.GraphDef()
    -        graph_def.ParseFromString(f.read())
    -        _ = tf.import_graph_def(graph_def, name='')
    -    with tf.Session() as sess:
    -        softmax_tensor = sess.graph.get_tensor_by_name('output:0')
    -        predictions = sess.run(softmax_tensor, {'input:0': x})
    +    predictions = frozen_graph(tf.constant(x, frozen_graph.inputs[0].dtype)).numpy()

with `frozen_graph = _load_frozen_graph(GRAPH_PATH).prune(['input:0'], 'output:0')` written
once above the handler (`tf.compat.v1.wrap_function` of `import_graph_def`, TF's documented way
to call a GraphDef from TF 2). The feed is cast to the placeholder's dtype, as `sess.run` did,
and the answer is NumPy, as `sess.run`'s was. A SavedModel becomes `tf.saved_model.load(dir)`
pruned the same way.

The rewrite is all or nothing per file: one graph source, every `sess.run` of it feeding and
fetching tensors named by strings (or looked up by name), the file path reachable at import,
and nothing else using the session, the graph or the looked-up tensors. Anything else leaves
the file to raw-tf1-report (it stays on tf.compat.v1 and is reported).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from migrate.analysis.names import ImportNames
from migrate.analysis.raw_tf1 import assigned_in, module_bound, names_in
from migrate.rules.base import Example, Rule

_OPENERS = frozenset({"tensorflow.gfile.FastGFile", "tensorflow.gfile.GFile", "tensorflow.io.gfile.GFile",
                      "tensorflow.gfile.Open"})
_KERAS = ("keras", "tensorflow.keras", "tf_keras")
FROZEN_FN = "frozen_graph"
_SOURCES = ("import_graph_def", "loader.load")
SAVED_FN = "saved_model_fn"


class _Unsupported(Exception):
    """The file is not the shape this rule rewrites; raw-tf1-report reports its graph, with this
    reason when the file has a graph source (an empty reason: it has none)."""


@dataclass
class _Plan:
    tf: str = ""  # local name of `import tensorflow as tf`
    kind: str = ""  # "graphdef" / "saved_model"
    source_path: cst.BaseExpression | None = None  # the .pb path or the SavedModel folder
    import_name: str = "'import'"  # import_graph_def's name= as written (its prefix of every tensor name)
    tags: cst.BaseExpression | None = None
    source_scope: cst.FunctionDef | None = None  # None: module level
    sessions: set[str] = field(default_factory=set)
    lookups: dict[str, cst.BaseExpression] = field(default_factory=dict)  # tensor variable → name expression
    graph_names: set[str] = field(default_factory=set)  # GraphDef and file handle names
    graphs: set[str] = field(default_factory=set)  # `graph = tf.Graph()` the GraphDef is imported into
    removed: set[int] = field(default_factory=set)  # ids of statements to drop
    unwrapped: set[int] = field(default_factory=set)  # ids of `with tf.Session() as s:` to unwrap
    runs: dict[int, tuple[list[cst.BaseExpression], cst.BaseExpression]] = field(default_factory=dict)
    signature: str | None = None  # the feeds/fetch text every run shares
    feeds: list[cst.BaseExpression] = field(default_factory=list)
    fetch: cst.BaseExpression | None = None


class TF1GraphFunction(Rule):
    """Frozen GraphDef / TF1 SavedModel run through sess.run → a pruned TF 2 function loaded once."""

    NAME = "tf1-graph-function"
    DESCRIPTION = ("Frozen GraphDef or TF1 SavedModel inference through sess.run → a TF 2 function "
                   "(wrap_function/saved_model.load + prune) loaded once at import, no session.")
    SAFE = True
    ORDER = 4
    TRIGGERS = ("import_graph_def", "loader.load")
    FIXES = [
        Example(
            """
            import numpy as np
            import tensorflow as tf

            GRAPH_PATH = 'output_graph.pb'

            def predict(x):
                with tf.gfile.FastGFile(GRAPH_PATH, 'rb') as f:
                    graph_def = tf.GraphDef()
                    graph_def.ParseFromString(f.read())
                    _ = tf.import_graph_def(graph_def, name='')
                with tf.Session() as sess:
                    softmax_tensor = sess.graph.get_tensor_by_name('final_result:0')
                    predictions = sess.run(softmax_tensor, {'input:0': x})
                return predictions
            """,
            """
            import numpy as np
            import tensorflow as tf

            GRAPH_PATH = 'output_graph.pb'

            def _load_frozen_graph(path):
                # the GraphDef as a TF 2 function: read and imported once, no session, any thread
                with tf.io.gfile.GFile(path, 'rb') as f:
                    graph_def = tf.compat.v1.GraphDef()
                    graph_def.ParseFromString(f.read())
                return tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, name=''), [])


            frozen_graph = _load_frozen_graph(GRAPH_PATH).prune(['input:0'], 'final_result:0')


            def predict(x):
                predictions = frozen_graph(tf.constant(x, frozen_graph.inputs[0].dtype)).numpy()
                return predictions
            """,
            id="retrain/label_image per request: read, import and session once, as a function",
        ),
        Example(
            """
            import tensorflow as tf

            sess = tf.Session()
            tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING], 'export')
            x_tensor = sess.graph.get_tensor_by_name('input:0')
            y_tensor = sess.graph.get_tensor_by_name('output:0')

            def predict(x):
                return sess.run(y_tensor, feed_dict={x_tensor: x})
            """,
            """
            import tensorflow as tf

            # the TF1 SavedModel as a TF 2 function of the tensors fed and fetched: no session, any thread
            saved_model = tf.saved_model.load('export', tags=[tf.saved_model.SERVING])
            saved_model_fn = saved_model.prune(['input:0'], 'output:0')

            def predict(x):
                return saved_model_fn(tf.constant(x, saved_model_fn.inputs[0].dtype)).numpy()
            """,
            id="TF1 SavedModel in a session → tf.saved_model.load + prune",
        ),
        Example(
            """
            import tensorflow as tf

            sess = tf.Session(graph=tf.Graph())
            tf.saved_model.loader.load(sess, ['serve'], 'exported-model')
            print(sess.run(['prediction:0', 'probability:0'], feed_dict={'image:0': img}))
            sess.close()
            """,
            """
            import tensorflow as tf

            # the TF1 SavedModel as a TF 2 function of the tensors fed and fetched: no session, any thread
            saved_model = tf.saved_model.load('exported-model', tags=['serve'])
            saved_model_fn = saved_model.prune(['image:0'], ['prediction:0', 'probability:0'])
            print([t.numpy() for t in saved_model_fn(tf.constant(img, saved_model_fn.inputs[0].dtype))])
            """,
            id="session on a new graph, several fetches (a list out, as sess.run gave), close() dropped",
        ),
        Example(
            """
            import tensorflow as tf

            with tf.gfile.GFile('model.pb', 'rb') as f:
                graph_def = tf.GraphDef()
                graph_def.ParseFromString(f.read())
            with tf.Graph().as_default() as graph:
                tf.import_graph_def(graph_def, input_map=None, return_elements=None, name='')
            sess = tf.Session(graph=graph)
            x_t = graph.get_tensor_by_name('x:0')
            y_t = graph.get_tensor_by_name('y:0')

            def predict(x):
                return sess.run(y_t, feed_dict={x_t: x})
            """,
            """
            import tensorflow as tf


            def _load_frozen_graph(path):
                # the GraphDef as a TF 2 function: read and imported once, no session, any thread
                with tf.io.gfile.GFile(path, 'rb') as f:
                    graph_def = tf.compat.v1.GraphDef()
                    graph_def.ParseFromString(f.read())
                return tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, name=''), [])


            frozen_graph = _load_frozen_graph('model.pb').prune(['x:0'], 'y:0')

            def predict(x):
                return frozen_graph(tf.constant(x, frozen_graph.inputs[0].dtype)).numpy()
            """,
            id="imported once at module level into its own graph, input_map/return_elements spelt as their defaults",
        ),
    ]
    NOOPS = [
        Example(
            """
            import tensorflow as tf

            def predict(x, path):
                with tf.gfile.FastGFile(path, 'rb') as f:
                    graph_def = tf.GraphDef()
                    graph_def.ParseFromString(f.read())
                    tf.import_graph_def(graph_def, name='')
                with tf.Session() as sess:
                    return sess.run('output:0', {'input:0': x})
            """,
            id="graph path only known per request: not loadable at import",
        ),
        Example(
            """
            import tensorflow as tf

            with tf.gfile.GFile('g.pb', 'rb') as f:
                graph_def = tf.GraphDef()
                graph_def.ParseFromString(f.read())
                tf.import_graph_def(graph_def, name='')
            sess = tf.Session()

            def predict(x):
                logits = sess.run('logits:0', {'input:0': x})
                return sess.run('probs:0', {'logits:0': logits})
            """,
            id="two different feeds/fetches of one graph: left to raw-tf1-report",
        ),
        Example(
            """
            import tensorflow as tf

            with tf.gfile.GFile('g.pb', 'rb') as f:
                graph_def = tf.GraphDef()
                graph_def.ParseFromString(f.read())
                tf.import_graph_def(graph_def, name='')
            sess = tf.Session()
            tf.summary.FileWriter('logs', sess.graph)

            def predict(x):
                return sess.run('output:0', {'input:0': x})
            """,
            id="the session used for something else too",
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        if self.file.imported is not None and self.file.imported.tf1_group:
            return tree  # a graph other modules build or run: one decision for all (raw-tf1-report)
        names = self.analyses.names
        if any(q == k or q.startswith(k + ".") for q in names.aliases.values() for k in _KERAS):
            return tree  # mixed with Keras: raw-tf1-report keeps the file on the legacy path
        try:
            plan = _plan(tree, names)
            result = _apply(tree, plan)
        except _Unsupported as exc:
            self.file.graph_function_declined = str(exc)
            return tree
        # nothing of TF1 is left for the other rules (raw-tf1-report would see the loader's GraphDef)
        self.stop_other_rules("the graph is a TF 2 function now; no session left")
        return result


# --- planning ----------------------------------------------------------------------------------


def _plan(tree: cst.Module, names: ImportNames) -> _Plan:
    plan = _Plan()
    locals_ = [local for local, q in names.aliases.items() if q == "tensorflow"]
    if not locals_:
        raise _Unsupported("no `import tensorflow as tf`")
    plan.tf = locals_[0]
    in_class = False  # a class holds a graph source
    for statement in tree.body:
        scope = statement if isinstance(statement, cst.FunctionDef) else None
        if isinstance(statement, cst.FunctionDef):
            _scan_block(statement.body.body, plan, names, scope)
        elif isinstance(statement, cst.ClassDef):
            # (methods: sessions on self are not followed)
            in_class = in_class or any(word in cst.Module([]).code_for_node(statement) for word in _SOURCES)
        else:
            _scan_block([statement], plan, names, None)
    if not plan.kind and in_class:
        raise _Unsupported("the graph is loaded in a class, whose methods and attributes this rewrite does not follow")
    if not plan.kind:
        raise _Unsupported("")  # a graph built in code, not loaded: nothing for this rule to say
    if not plan.runs:
        raise _Unsupported("no sess.run of the graph in this file")
    bound = module_bound(tree, names)
    for expr in (plan.source_path, plan.fetch, *plan.feeds):
        _check_module_level(expr, plan.source_scope, bound)
    return plan


def _check_module_level(expr: cst.BaseExpression | None, scope: cst.FunctionDef | None, bound: set[str]) -> None:
    """`expr` must be computable at import: literals, and names the module binds that the
    function holding the graph source does not rebind."""
    if expr is None:
        raise _Unsupported("no expression")
    used = names_in(expr)
    if not used <= bound:
        raise _Unsupported("a path or tensor name known only inside a function")
    if scope is not None:
        params = {p.name.value for p in scope.params.params}
        if used & (params | assigned_in(scope)):
            raise _Unsupported("graph path known only inside the function")


def _scan_block(statements, plan: _Plan, names: ImportNames, scope) -> None:
    for statement in statements:
        if isinstance(statement, cst.With):
            _scan_with(statement, plan, names, scope)
        elif isinstance(statement, cst.SimpleStatementLine):
            _scan_line(statement, plan, names, scope)
        elif isinstance(statement, (cst.If, cst.For, cst.While, cst.Try)):
            for child in _blocks_of(statement):
                _scan_block(child, plan, names, scope)
        # nested defs and classes: their runs are found by the text check below


def _blocks_of(statement):
    blocks = [statement.body.body]
    orelse = getattr(statement, "orelse", None)
    while orelse is not None:
        blocks.append(orelse.body.body)
        orelse = getattr(orelse, "orelse", None)
    for handler in getattr(statement, "handlers", ()):
        blocks.append(handler.body.body)
    final = getattr(statement, "finalbody", None)
    if final is not None:
        blocks.append(final.body.body)
    return blocks


def _scan_with(statement: cst.With, plan: _Plan, names: ImportNames, scope) -> None:
    if _enters_graph(statement, plan, names):
        # `with graph.as_default(): tf.import_graph_def(...)`: goes with the import
        before = len(plan.removed)
        _scan_block(statement.body.body, plan, names, scope)
        if len(plan.removed) - before != len(statement.body.body):
            raise _Unsupported("the graph is entered for more than the import")
        plan.removed.add(id(statement))
        return
    if len(statement.items) != 1 or statement.items[0].asname is None:
        _scan_block(statement.body.body, plan, names, scope)
        return
    item = statement.items[0]
    target = item.asname.name
    call = item.item
    if not isinstance(target, cst.Name) or not isinstance(call, cst.Call):
        _scan_block(statement.body.body, plan, names, scope)
        return
    qualified = names.qualify(call.func)
    if qualified in ("tensorflow.Session", "tensorflow.InteractiveSession"):
        _check_session_args(call, plan, names)
        plan.sessions.add(target.value)
        plan.unwrapped.add(id(statement))
        _scan_block(statement.body.body, plan, names, scope)
        return
    if qualified in _OPENERS or (isinstance(call.func, cst.Name) and call.func.value == "open"
                                 and "open" not in names.aliases):
        before = len(plan.removed)
        plan.graph_names.add(target.value)
        _scan_block(statement.body.body, plan, names, scope)
        if len(plan.removed) - before != len(statement.body.body) or plan.source_path is not None:
            raise _Unsupported("the file read does more than load the graph")
        if not call.args:
            raise _Unsupported("no path")
        plan.source_path = call.args[0].value
        plan.removed.add(id(statement))
        return
    _scan_block(statement.body.body, plan, names, scope)


def _scan_line(line: cst.SimpleStatementLine, plan: _Plan, names: ImportNames, scope) -> None:
    if len(line.body) != 1:
        _find_runs(line, plan)
        return
    small = line.body[0]
    value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
    target = None
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        target = small.targets[0].target.value
    if isinstance(value, cst.Call):
        qualified = names.qualify(value.func)
        if qualified == "tensorflow.GraphDef" and target and not value.args:
            plan.graph_names.add(target)
            plan.removed.add(id(line))
            return
        if (isinstance(small, cst.Expr) and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == "ParseFromString" and isinstance(value.func.value, cst.Name)
                and value.func.value.value in plan.graph_names):
            plan.removed.add(id(line))
            return
        if qualified == "tensorflow.import_graph_def" and (target in (None, "_")):
            if plan.kind or not value.args or not isinstance(value.args[0].value, cst.Name) \
                    or value.args[0].value.value not in plan.graph_names:
                raise _Unsupported("a second graph source, or an unknown GraphDef")
            for arg in value.args[1:]:
                if arg.keyword is not None and arg.keyword.value == "name" and isinstance(arg.value, cst.SimpleString):
                    plan.import_name = arg.value.value
                elif (arg.keyword is not None and arg.keyword.value in ("input_map", "return_elements")
                      and isinstance(arg.value, cst.Name) and arg.value.value == "None"):
                    continue  # their defaults, spelt out (TF's own freeze/serve snippet does)
                else:
                    raise _Unsupported("import_graph_def with input_map or return_elements")
            plan.kind, plan.source_scope = "graphdef", scope
            plan.removed.add(id(line))
            return
        if qualified == "tensorflow.saved_model.loader.load" and target is None:
            args = [a for a in value.args if a.keyword is None]
            if plan.kind or len(args) != 3 or len(value.args) != 3 or not isinstance(args[0].value, cst.Name) \
                    or args[0].value.value not in plan.sessions:
                raise _Unsupported("a second graph source, or loader.load on an unknown session")
            plan.kind, plan.source_scope = "saved_model", scope
            plan.tags, plan.source_path = args[1].value, args[2].value
            plan.removed.add(id(line))
            return
        if qualified == "tensorflow.Graph" and target and not value.args:
            plan.graphs.add(target)
            plan.removed.add(id(line))
            return
        if qualified in ("tensorflow.Session", "tensorflow.InteractiveSession") and target and scope is None:
            _check_session_args(value, plan, names)
            plan.sessions.add(target)
            plan.removed.add(id(line))
            return
        if (isinstance(small, cst.Expr) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "close"
                and isinstance(value.func.value, cst.Name) and value.func.value.value in plan.sessions
                and not value.args):
            plan.removed.add(id(line))  # `sess.close()`: no session any more
            return
        lookup = _tensor_lookup(value, plan, names)
        if lookup is not None and target:
            plan.lookups[target] = lookup
            plan.removed.add(id(line))
            return
    _find_runs(line, plan)


def _tensor_lookup(call: cst.Call, plan: _Plan, names: ImportNames) -> cst.BaseExpression | None:
    """The name expression of `sess.graph.get_tensor_by_name(E)` / `tf.get_default_graph()...`."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "get_tensor_by_name" and len(call.args) == 1):
        return None
    owner = func.value
    on_session = (isinstance(owner, cst.Attribute) and owner.attr.value == "graph"
                  and isinstance(owner.value, cst.Name) and owner.value.value in plan.sessions)
    on_default = isinstance(owner, cst.Call) and names.qualify(owner.func) == "tensorflow.get_default_graph"
    on_graph = isinstance(owner, cst.Name) and owner.value in plan.graphs
    return call.args[0].value if on_session or on_default or on_graph else None


def _check_session_args(call: cst.Call, plan: _Plan, names: ImportNames) -> None:
    """A session on the default graph, on the graph the GraphDef went into, or on a new empty
    graph a SavedModel is loaded into (its config is moot)."""
    for arg in call.args:
        if arg.keyword is None:
            raise _Unsupported("a session with positional arguments")
        if arg.keyword.value == "graph" and isinstance(arg.value, cst.Name) and arg.value.value in plan.graphs:
            continue
        if (arg.keyword.value == "graph" and isinstance(arg.value, cst.Call) and not arg.value.args
                and names.qualify(arg.value.func) == "tensorflow.Graph"):
            continue
        if arg.keyword.value != "config":
            raise _Unsupported("a session on another graph")


def _enters_graph(statement: cst.With, plan: _Plan, names: ImportNames) -> bool:
    """`with graph.as_default():` on a `tf.Graph()` of the plan, or `with tf.Graph().as_default() as g:`."""
    if len(statement.items) != 1:
        return False
    item = statement.items[0]
    call = item.item
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "as_default"
            and not call.args):
        return False
    owner = call.func.value
    if isinstance(owner, cst.Name) and owner.value in plan.graphs and item.asname is None:
        return True
    if (isinstance(owner, cst.Call) and names.qualify(owner.func) == "tensorflow.Graph" and not owner.args
            and item.asname is not None and isinstance(item.asname.name, cst.Name)):
        plan.graphs.add(item.asname.name.value)
        return True
    return False


class _RunFinder(cst.CSTVisitor):
    def __init__(self, plan: _Plan) -> None:
        self.plan = plan

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "run" and isinstance(func.value, cst.Name)
                and func.value.value in self.plan.sessions):
            return
        args = list(node.args)
        if len(args) != 2 or args[0].keyword is not None or (
                args[1].keyword is not None and args[1].keyword.value != "feed_dict"):
            raise _Unsupported("sess.run without exactly a fetch and a feed dict")
        feed = args[1].value
        if not isinstance(feed, cst.Dict) or not feed.elements or any(
                not isinstance(e, cst.DictElement) for e in feed.elements):
            raise _Unsupported("feed_dict not a literal dict")
        plan = self.plan
        fetch = _tensor_name(args[0].value, plan)
        keys = [_tensor_name(e.key, plan) for e in feed.elements]
        empty = cst.Module([])
        signature = repr(([empty.code_for_node(k) for k in keys], empty.code_for_node(fetch)))
        if plan.signature is not None and plan.signature != signature:
            raise _Unsupported("runs with different feeds or fetches")
        plan.signature, plan.feeds, plan.fetch = signature, keys, fetch
        plan.runs[id(node)] = ([e.value for e in feed.elements], fetch)


def _tensor_name(expr: cst.BaseExpression, plan: _Plan) -> cst.BaseExpression:
    if isinstance(expr, cst.Name) and expr.value in plan.lookups:
        return plan.lookups[expr.value]
    if isinstance(expr, (cst.SimpleString, cst.Name)):
        return expr  # a literal, or a module-level constant (checked by _check_module_level)
    if isinstance(expr, cst.List) and expr.elements:  # several fetches: a list of names
        return expr.with_changes(elements=[e.with_changes(value=_tensor_name(e.value, plan)) for e in expr.elements])
    raise _Unsupported("a fetch or feed that is not a tensor name")


def _find_runs(node: cst.CSTNode, plan: _Plan) -> None:
    node.visit(_RunFinder(plan))


# --- rewriting ---------------------------------------------------------------------------------


class _Rewriter(cst.CSTTransformer):
    def __init__(self, plan: _Plan, fn: str) -> None:
        self.plan = plan
        self.fn = fn

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if id(original_node) in self.plan.removed:
            return cst.RemoveFromParent()
        return updated_node

    def leave_With(self, original_node, updated_node):
        if id(original_node) in self.plan.removed:
            return cst.RemoveFromParent()
        if id(original_node) in self.plan.unwrapped:
            body = list(updated_node.body.body)
            if not body:
                return cst.RemoveFromParent()
            body[0] = body[0].with_changes(leading_lines=[*updated_node.leading_lines, *body[0].leading_lines])
            return cst.FlattenSentinel(body)
        return updated_node

    def leave_Call(self, original_node, updated_node):
        run = self.plan.runs.get(id(original_node))
        if run is None:
            return updated_node
        values, fetch = run
        fn, tf = self.fn, self.plan.tf
        args = ", ".join(f"{tf}.constant({_code(v)}, {fn}.inputs[{i}].dtype)" for i, v in enumerate(values))
        if isinstance(fetch, cst.List):
            return cst.parse_expression(f"[t.numpy() for t in {fn}({args})]")
        return cst.parse_expression(f"{fn}({args}).numpy()")


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _apply(tree: cst.Module, plan: _Plan) -> cst.Module:
    tf = plan.tf
    feeds = "[" + ", ".join(_code(f) for f in plan.feeds) + "]"
    fetch = _code(plan.fetch)
    path = _code(plan.source_path)
    if plan.kind == "graphdef":
        fn = FROZEN_FN
        loader = (
            "def _load_frozen_graph(path):\n"
            "    # the GraphDef as a TF 2 function: read and imported once, no session, any thread\n"
            f"    with {tf}.io.gfile.GFile(path, 'rb') as f:\n"
            f"        graph_def = {tf}.compat.v1.GraphDef()\n"
            "        graph_def.ParseFromString(f.read())\n"
            f"    return {tf}.compat.v1.wrap_function(lambda: {tf}.graph_util.import_graph_def(graph_def, "
            f"name={plan.import_name}), [])\n"
            "\n\n"
            f"{fn} = _load_frozen_graph({path}).prune({feeds}, {fetch})\n"
        )
        taken = ("_load_frozen_graph", fn)
    else:
        fn = SAVED_FN
        tags = re.sub(r"\.saved_model\.tag_constants\.", ".saved_model.", _code(plan.tags))
        loader = (
            f"saved_model = {tf}.saved_model.load({path}, tags={tags})\n"
            f"{fn} = saved_model.prune({feeds}, {fetch})\n"
        )
        taken = ("saved_model", fn)
    original = tree.code
    if any(re.search(rf"(?<![.\w]){re.escape(name)}\b", original) for name in taken):
        raise _Unsupported("the names the rewrite would bind are taken")
    new_statements = list(cst.parse_module(loader).body)
    if plan.kind == "saved_model":
        why = cst.EmptyLine(comment=cst.Comment(
            "# the TF1 SavedModel as a TF 2 function of the tensors fed and fetched: no session, any thread"))
        new_statements[0] = new_statements[0].with_changes(leading_lines=[why])
    rewriter = _Rewriter(plan, fn)
    body: list[cst.BaseStatement] = []
    anchor = plan.source_scope  # the loader goes where the source was, or above its function
    inserted = False
    placed: list[cst.BaseStatement] = []
    for statement in tree.body:
        if statement is anchor and not inserted:
            new = list(new_statements)
            new[0] = new[0].with_changes(leading_lines=statement.leading_lines)
            body.extend(new)
            placed = new
            statement = statement.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
            inserted = True
        before = len(body)
        updated = statement.visit(rewriter)
        if isinstance(updated, cst.FlattenSentinel):
            body.extend(updated.nodes)
        elif not isinstance(updated, cst.RemovalSentinel):
            body.append(updated)
        if anchor is None and not inserted and _holds_source(statement, plan):
            new = list(new_statements)
            spacing = [cst.EmptyLine(), cst.EmptyLine()] if isinstance(new[0], cst.FunctionDef) else [cst.EmptyLine()]
            new[0] = new[0].with_changes(leading_lines=[*spacing, *new[0].leading_lines])
            body[before:before] = new
            placed = new
            inserted = True
    if not inserted:
        raise _Unsupported("no place for the loader")
    result = tree.with_changes(body=body)
    leftover = plan.sessions | set(plan.lookups) | plan.graphs | plan.graph_names
    loader_ids = {id(statement) for statement in placed}
    still = set()
    for statement in body:
        if id(statement) not in loader_ids:
            still |= names_in(statement)
    if still & leftover:
        raise _Unsupported("the session, the graph or a looked-up tensor is still used")
    return result


def _holds_source(statement: cst.BaseStatement, plan: _Plan) -> bool:
    """True for the module-level statement that loaded the graph (removed, so the loader takes its place)."""
    if id(statement) in plan.removed and plan.kind == "graphdef" and isinstance(statement, cst.With):
        return True
    if plan.kind == "saved_model" and isinstance(statement, cst.SimpleStatementLine) and id(statement) in plan.removed:
        value = statement.body[0]
        return isinstance(value, cst.Expr) and isinstance(value.value, cst.Call) and \
            _code(value.value.func).endswith("loader.load")
    if plan.kind == "graphdef" and isinstance(statement, cst.SimpleStatementLine) and id(statement) in plan.removed:
        return "import_graph_def" in _code(statement)
    return False
