"""Unwrap `with graph.as_default():` / `with sess.as_default():` and drop the captures.

TF1 Keras apps captured the graph (and session) the model was loaded into and re-entered it
in every request thread. Eager TF 2 has no per-thread default graph to get wrong: the
re-entry is dead weight, and on Keras 3 or eager tf.keras a leftover `graph.as_default()`
around `predict` fails. The captures (`graph = tf.get_default_graph()`, `self.graph = ...`,
`GRAPHS.append(g)`), the `global` entries, helper parameters, arguments and returned tuple
elements that only carried the graph or session go too. Comments stay.

    -graph = tf.get_default_graph()
     model = load_model("model.h5")

     @app.route("/predict", methods=["POST"])
     def predict():
    -    with graph.as_default():
    -        preds = model.predict(x)
    -        return jsonify(preds.tolist())
    +    preds = model.predict(x)
    +    return jsonify(preds.tolist())

Left alone and reported: files with raw TF1 graph code (placeholders, `sess.run`, GraphDef),
and a re-entry whose body trains (`fit`) or runs initialisers, which needs a human.
"""

from __future__ import annotations

import re

import libcst as cst

from migrate.analysis.blocks import BlockEditor, drop_small_statements, unwrap_with
from migrate.analysis.carriers import GRAPH, SESSION, Carriers, leftover_statements, prune_dead_carriers, still_read
from libcst.codemod.visitors import RemoveImportsVisitor

from migrate.analysis.names import dotted, from_imports_of
from migrate.analysis.raw_tf1 import find_raw_tf1, mentions_raw_tf1
from migrate.rules.base import Example, Rule
from migrate.analysis.walk import transform, walk

# calls that mean the TF1 default graph is still relied on after the rewrite (reported)
LEFTOVERS = frozenset({"tensorflow.get_default_graph", "keras.backend.get_graph"})
# switches to TF1 graph mode at import: they go when the file leaves the TF1 path (and come
# back with the rest when the verification stage keeps the file on it)
GRAPH_MODE_SWITCHES = frozenset({"tensorflow.disable_eager_execution", "tensorflow.disable_v2_behavior"})
# from-imports this rule can leave unused
REMOVABLE_IMPORTS = frozenset(
    {"tensorflow.get_default_graph", "keras.backend.get_session", "tensorflow.get_default_session",
     "keras.backend.get_graph", *GRAPH_MODE_SWITCHES}
)
# a comment about the graph/session re-entry itself, which goes with it
WORKAROUND_COMMENT = re.compile(r"graph|session|thread|not an element|as_default", re.I)
# calls inside a re-entered graph that mean the graph is used for more than inference
TRAINING_METHODS = frozenset(
    {"fit", "fit_generator", "train_on_batch", "evaluate", "evaluate_generator", "test_on_batch"}
)


class _Unwrapper(BlockEditor):
    def __init__(self, rule: "GraphReentry", carriers: Carriers) -> None:
        super().__init__()
        self.rule = rule
        self.carriers = carriers
        self.changed = False
        self.uses_tf = any(
            q.split(".")[0] in ("tensorflow", "keras", "tf_keras") for q in carriers.names.aliases.values()
        )

    def _reentry(self, item: cst.WithItem) -> bool:
        call = item.item
        return (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "as_default"
            and not call.args
            and self.carriers.kind_of(call) in (GRAPH, SESSION)
        )

    def edit_statement(self, original, updated):
        if not isinstance(original, cst.With) or original.asynchronous is not None:
            return None
        drop = {i for i, item in enumerate(original.items) if self._reentry(item)}
        if not drop:
            unknown = [item for item in original.items if _unknown_as_default(item)]
            if self.uses_tf and unknown:
                self.rule.manual(original, _unknown_message(unknown[0].item.func.value, self.rule.analyses.tree))
            return None
        trains = _training_call(original.body)
        if trains is not None:
            self.rule.manual(
                original,
                f"graph/session re-entered around `{trains}`: training or initialising in a "
                "captured graph is not inference, migrate it by hand",
            )
            return None
        for i in sorted(drop):
            asname = original.items[i].asname
            if asname is not None and _mentions(original.body, dotted(asname.name)):
                self.rule.manual(original, "`as` name of a graph/session re-entry is used in the body; left as is")
                return None
        self.changed = True
        if len(drop) == len(original.items):
            return unwrap_with(_without_workaround_comments(updated))
        kept = [item for i, item in enumerate(updated.items) if i not in drop]
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return [updated.with_changes(items=kept)]


class _GraphModeSwitches(BlockEditor):
    """Drops module-level `tf.compat.v1.disable_eager_execution()` / `disable_v2_behavior()`."""

    DROPS_EXPLAINING_PRINTS = True

    def __init__(self, names) -> None:
        super().__init__()
        self.names = names

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def edit_statement(self, original, updated):
        if not isinstance(original, cst.SimpleStatementLine):
            return None
        drop = {id(u) for o, u in zip(original.body, updated.body)
                if isinstance(o, cst.Expr) and isinstance(o.value, cst.Call) and not o.value.args
                and self.names.qualify(o.value.func) in GRAPH_MODE_SWITCHES}
        return drop_small_statements(updated, drop) if drop else None


def _without_workaround_comments(node: cst.With) -> cst.With:
    """`node` without the comment block right above it, and its header comment, when they only
    explain the re-entry ("needed to avoid 'not an element of this graph'"): they go with it."""
    lines = list(node.leading_lines)
    block = []
    while lines and lines[-1].comment is not None:
        block.insert(0, lines.pop())
    if block and all(WORKAROUND_COMMENT.search(line.comment.value) for line in block):
        node = node.with_changes(leading_lines=lines)
    body = node.body
    if isinstance(body, cst.IndentedBlock) and body.header.comment is not None \
            and WORKAROUND_COMMENT.search(body.header.comment.value):
        node = node.with_changes(body=body.with_changes(header=cst.TrailingWhitespace()))
    return node


def _unknown_as_default(item: cst.WithItem) -> bool:
    call = item.item
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "as_default"
        and not call.args
    )


def _unknown_message(receiver: cst.BaseExpression, tree: cst.Module) -> str:
    """What the analysis found about a receiver of `.as_default()` it does not follow: where it
    comes from when another module binds it (whose own items may name it), else that nothing it
    follows is assigned to it. Never "not known" as a fact about the app."""
    text = " ".join(cst.Module(body=[]).code_for_node(receiver).split())
    root = receiver
    while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
        root = root.value if not isinstance(root, cst.Call) else root.func
    source = _imported_from(tree, root.value) if isinstance(root, cst.Name) else None
    if source is not None:
        return (f"`{text}.as_default()` left: `{text}` comes from `{source}`, which this file's rewrite does not "
                "follow; unwrap it by hand if it holds a graph or session")
    return (f"`{text}.as_default()` left: no graph or session migrate follows is assigned to `{text}` in this "
            "file; unwrap it by hand if it holds one")


def _imported_from(tree: cst.Module, local: str) -> str | None:
    """The module a top-level `import` / `from ... import` binding `local` names, or None."""
    for statement in tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = "." * len(small.relative) + ((dotted(small.module) or "") if small.module else "")
                for alias in small.names:
                    bound = alias.evaluated_alias or alias.evaluated_name
                    if bound == local:
                        return module
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if (alias.evaluated_alias or alias.evaluated_name.split(".")[0]) == local:
                        return alias.evaluated_name
    return None


def _training_call(body: cst.CSTNode) -> str | None:
    found: list[str] = []

    class _Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in TRAINING_METHODS:
                found.append(func.attr.value)
            elif isinstance(func, cst.Attribute) and "initializer" in func.attr.value:
                found.append(func.attr.value)

    walk(body, _Finder())
    return found[0] if found else None


def _mentions(body: cst.CSTNode, name: str | None) -> bool:
    hits: list[bool] = []

    class _Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                hits.append(True)

    walk(body, _Finder())
    return bool(hits)


class GraphReentry(Rule):
    """Unwrap graph/session re-entry and remove what only carried the graph or session."""

    NAME = "graph-reentry"
    DESCRIPTION = (
        "Unwrap `with graph.as_default()` / `with sess.as_default()` and drop the graph/session "
        "captures, globals, parameters and arguments that only carried them."
    )
    SAFE = True
    ORDER = 20
    TRIGGERS = ("as_default", "get_default_graph", "get_session", ".graph")
    FIXES = [
        Example(
            """
            import tensorflow as tf
            from keras import backend as K

            tf.compat.v1.disable_eager_execution()
            model = load_model("m.h5")
            graph = K.get_session().graph


            def run(m, x, g=graph):
                with g.as_default():
                    return m.predict(x)


            def predict():
                return run(model, request.json)


            app.run(port=5000)
            """,
            """
            import tensorflow as tf
            from keras import backend as K

            model = load_model("m.h5")


            def run(m, x):
                return m.predict(x)


            def predict():
                return run(model, request.json)


            app.run(port=5000)
            """,
            id="graph of the session as a default parameter value; graph mode switch at import goes too",
        ),
        Example(
            """
            import tensorflow as tf
            from keras.models import load_model

            # keep the graph for the request threads
            graph = tf.get_default_graph()
            model = load_model("model.h5")


            def predict(x):
                # needed to avoid 'not an element of this graph'
                with graph.as_default():
                    preds = model.predict(x)
                    return preds.tolist()  # all of it inside
            """,
            """
            import tensorflow as tf
            from keras.models import load_model

            model = load_model("model.h5")


            def predict(x):
                preds = model.predict(x)
                return preds.tolist()  # all of it inside
            """,
            id="module graph, whole response inside the with; comments about the re-entry go, others stay",
        ),
        Example(
            """
            import tensorflow as tf
            from keras import backend as K
            model = None
            graph = None
            session = None

            def load():
                global model, graph, session
                session = K.get_session()
                model = load_model("m.h5")
                graph = tf.get_default_graph()

            def predict(x):
                with session.as_default():
                    with graph.as_default():
                        preds = model.predict(x)
                return preds
            """,
            """
            import tensorflow as tf
            from keras import backend as K
            model = None

            def load():
                global model
                model = load_model("m.h5")

            def predict(x):
                preds = model.predict(x)
                return preds
            """,
            id="loader globals, session then graph nested",
        ),
        Example(
            """
            import tensorflow as tf
            g = tf.compat.v1.get_default_graph()
            sess = tf.compat.v1.Session()
            def predict(x):
                with g.as_default(), sess.as_default():
                    return model.predict(x)
            """,
            """
            import tensorflow as tf
            def predict(x):
                return model.predict(x)
            """,
            id="graph and session combined in one with, v1 spellings",
        ),
        Example(
            """
            from keras import backend as K
            class Predictor(object):
                def __init__(self, path):
                    self.session = K.get_session()
                    self.graph = self.session.graph
                    self.model = load_model(path)

                def predict(self, x):
                    with self.graph.as_default():
                        with self.session.as_default():
                            probs = self.model.predict(x)
                    return probs
            """,
            """
            from keras import backend as K
            class Predictor(object):
                def __init__(self, path):
                    self.model = load_model(path)

                def predict(self, x):
                    probs = self.model.predict(x)
                    return probs
            """,
            id="graph reached through the session, all on self",
        ),
        Example(
            """
            import tensorflow as tf
            GRAPHS = []
            MODELS = []
            for name in FILES:
                g = tf.Graph()
                with g.as_default():
                    s = tf.Session(graph=g)
                    with s.as_default():
                        MODELS.append(load_model(name))
                GRAPHS.append(g)

            def run_model(i, x):
                with GRAPHS[i].as_default():
                    return MODELS[i].predict(x)
            """,
            """
            import tensorflow as tf
            MODELS = []
            for name in FILES:
                MODELS.append(load_model(name))

            def run_model(i, x):
                return MODELS[i].predict(x)
            """,
            id="a graph and session per model, looked up by index",
        ),
        Example(
            """
            import tensorflow as tf
            import settings

            settings.GRAPH = tf.get_default_graph()

            def helper(x, model_graph):
                with model_graph.as_default():
                    return model.predict(x)

            def handler(x):
                return helper(x, settings.GRAPH)
            """,
            """
            import tensorflow as tf
            import settings

            def helper(x):
                return model.predict(x)

            def handler(x):
                return helper(x)
            """,
            id="graph on a settings module, passed through a helper parameter",
        ),
        Example(
            """
            import tensorflow as tf

            class Predictor(object):
                def __init__(self, model, graph):
                    self.model = model
                    self.graph = graph

                def score(self, x):
                    with self.graph.as_default():
                        return self.model.predict(x)

            graph = tf.get_default_graph()
            predictor = Predictor(load_model("m.h5"), graph)
            """,
            """
            import tensorflow as tf

            class Predictor(object):
                def __init__(self, model):
                    self.model = model

                def score(self, x):
                    return self.model.predict(x)

            predictor = Predictor(load_model("m.h5"))
            """,
            id="graph handed to a class of the module: the constructor parameter goes with it",
        ),
        Example(
            """
            import tensorflow as tf

            def make_inference(graph, models, x, size):
                with graph.as_default():
                    return [m.predict(x) for m in models]

            class Predictor:
                def __init__(self):
                    self.graph = tf.get_default_graph()
                    self.model = load_model("m.h5")

                def predict(self, x):
                    return make_inference(self.graph, [self.model], x, size=(150, 150))

            if __name__ == "__main__":
                make_inference(get_model(), "elephant.jpg")
            """,
            """
            import tensorflow as tf

            def make_inference(models, x, size):
                return [m.predict(x) for m in models]

            class Predictor:
                def __init__(self):
                    self.model = load_model("m.h5")

                def predict(self, x):
                    return make_inference([self.model], x, size=(150, 150))

            if __name__ == "__main__":
                make_inference("elephant.jpg")
            """,
            id="a call that cannot bind its arguments (too few: TypeError before and after) passes no graph",
        ),
        Example(
            """
            import tensorflow as tf

            graph = tf.get_default_graph()
            MODELS = {}
            MODELS['basket'] = {
                'model': load_model("m.h5"),
                'graph': graph,
            }

            def predict(x):
                with MODELS["basket"]["graph"].as_default():
                    return MODELS['basket']['model'].predict(x)
            """,
            """
            import tensorflow as tf

            MODELS = {}
            MODELS['basket'] = {
                'model': load_model("m.h5"),
            }

            def predict(x):
                return MODELS['basket']['model'].predict(x)
            """,
            id="graph kept in a record (a dict literal's entry): the entry goes with it",
        ),
        Example(
            """
            import tensorflow as tf

            def init():
                loaded = load_model("m.h5")
                graph = tf.get_default_graph()
                return loaded, graph

            global model, graph
            model, graph = init()

            def predict(x):
                with graph.as_default():
                    return model.predict(x)
            """,
            """
            import tensorflow as tf

            def init():
                loaded = load_model("m.h5")
                return loaded

            global model
            model = init()

            def predict(x):
                return model.predict(x)
            """,
            id="init returns (model, graph); module-level global",
        ),
        Example(
            """
            from keras import backend as K

            def predict(items):
                with K.get_session().graph.as_default() as g:
                    for x in items:
                        try:
                            out = model.predict(x)
                        except ValueError:
                            break
                    else:
                        return None
                return out
            """,
            """
            from keras import backend as K

            def predict(items):
                for x in items:
                    try:
                        out = model.predict(x)
                    except ValueError:
                        break
                else:
                    return None
                return out
            """,
            id="K.get_session().graph as g with loops, try and break inside",
        ),
        Example(
            """
            import tensorflow as tf
            graph = tf.compat.v1.get_default_graph
            def predict(x, path):
                with graph().as_default(), open(path) as fh:
                    return model.predict(x), fh.read()
            """,
            """
            import tensorflow as tf
            def predict(x, path):
                with open(path) as fh:
                    return model.predict(x), fh.read()
            """,
            id="getter without (), with also opening a file keeps that part",
        ),
        Example(
            """
            import tensorflow as tf
            graph = tf.get_default_graph()
            def predict(x):
                with graph.as_default(): return model.predict(x)  # one-liner
            """,
            """
            import tensorflow as tf
            def predict(x):
                return model.predict(x)  # one-liner
            """,
            id="with on one line",
        ),
    ]
    NOOPS = [
        Example(
            """
            import tensorflow as tf
            graph = tf.get_default_graph()
            def predict(x):
                with graph.as_default():
                    return model.predict(x)
            def debug():
                print(graph)
            """,
            id="capture used for something else: the file keeps its graph (never half-migrated)",
            manual=(2,),
        ),
        Example(
            """
            import tensorflow as tf

            class Scorer:
                def __init__(self, graph):
                    self.graph = graph

                def score(self, x):
                    with self.graph.as_default():
                        return MODEL.predict(x)

            scorer = Scorer(tf.get_default_graph())
            FACTORIES = [Scorer]
            """,
            id="a class also used as a value keeps its constructor, and so the graph",
            manual=(11,),
        ),
        Example(
            """
            import tensorflow as tf
            graph = tf.get_default_graph()
            x = tf.placeholder(tf.float32, [None, 3])
            y = x * 2
            sess = tf.Session()
            def handler(v):
                with graph.as_default():
                    return sess.run(y, feed_dict={x: v})
            """,
            id="raw TF1 graph code: reported, file left alone",
            manual=(3, 8),
        ),
        Example(
            """
            import tensorflow as tf
            graph = tf.get_default_graph()
            def retrain(x, y):
                with graph.as_default():
                    model.fit(x, y)
            """,
            id="graph used for training: reported",
            manual=(2, 4),
        ),
        Example(
            """
            import tensorflow as tf

            def make_inference(graph, models, x, size):
                with graph.as_default():
                    return [m.predict(x) for m in models]

            class Predictor:
                def __init__(self):
                    self.graph = tf.get_default_graph()
                    self.model = load_model("m.h5")

                def predict(self, x):
                    return make_inference(self.graph, [self.model], x, size=(150, 150))

            if __name__ == "__main__":
                make_inference(get_model(), ["m"], "elephant.jpg", (1, 1))
            """,
            id="a call that binds passes something else as the graph: the parameter may hold anything",
            manual=(9,),
        ),
        Example(
            """
            # with graph.as_default():
            #     model.predict(x)
            graph = build_graph()
            with graph.as_default():
                run()
            """,
            id="comments and a graph that is not TF's",
            manual=(),
        ),
        Example(
            """
            import tensorflow as tf
            with strategy.scope():
                model = build()
            """,
            id="other context managers untouched",
        ),
        Example(
            """
            import tensorflow as tf
            global model
            model = load()
            """,
            id="module-level global of a model is not a carrier",
        ),
        Example(
            """
            import tensorflow as tf

            graph = tf.get_default_graph()
            MODELS = {'basket': {'model': load_model("m.h5"), 'graph': graph}}

            def predict(x):
                for entry in MODELS.values():
                    with entry['graph'].as_default():
                        entry['model'].predict(x)
                with MODELS['basket']['graph'].as_default():
                    return MODELS['basket']['model'].predict(x)
            """,
            id="a record read whole (a loop over its entries) keeps its graph: reported",
            manual=(3,),  # one item (the half-migration) naming line 8 too
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        names = self.analyses.names
        carriers = self.analyses.carriers
        code = self.code_of(tree)
        if mentions_raw_tf1(code):
            sites = find_raw_tf1(tree, names, carriers)
            if sites:
                for site in sites:
                    self.manual(
                        site.node,
                        f"raw TF1 graph code ({site.what}): graph/session juggling in this file left "
                        "in place; it runs under legacy_shim, migrate it to eager by hand",
                    )
                return tree
        if not carriers.keys and "as_default" not in code:
            return tree
        unwrapper = _Unwrapper(self, carriers)
        unwrapped = transform(tree, unwrapper) if "as_default" in code else tree
        result, pruned = prune_dead_carriers(unwrapped, names, carriers=carriers, facts=self.file.facts)
        for statement, _qualified in leftover_statements(result, names, LEFTOVERS):
            self.manual(statement, f"the TF1 default graph is still used here (no such thing in eager TF 2)"
                                   f"{still_read(result, statement)}: port this use by hand")
        if not (pruned or unwrapper.changed):
            return tree
        if "disable_" in code:
            result = transform(result, _GraphModeSwitches(names))
        for module, name, asname in from_imports_of(tree, REMOVABLE_IMPORTS):
            RemoveImportsVisitor.remove_unused_import(self.context, module, name, asname)
        return result
