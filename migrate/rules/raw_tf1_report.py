"""Report raw TF1 graph code (placeholders, `sess.run`, GraphDef, `saved_model.loader`) and keep it runnable.

Raw graphs are not Keras juggling: they need graph mode and a session, which Keras 3 never
has. A file's raw graph is one manual item, at its first site, naming every site and its
lines (the graph is ported as a whole, not call by call). A file with no Keras in it is made to run
on TF 2 the way TF documents for TF1 code, with the whole v1 API (signatures included):

    -import tensorflow as tf
    +import tensorflow.compat.v1 as tf
    +tf.disable_v2_behavior()
     x = tf.placeholder(tf.float32, [None, 3])

A file that mixes a raw graph with a Keras model cannot move to Keras 3 piecemeal: it is left
exactly as it is (it runs under legacy_shim) and no other rule touches it.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.analysis.raw_tf1 import CONTRIB_EQUIVALENTS, find_raw_tf1, mentions_raw_tf1
from migrate.rules.base import Example, Rule, line_refs

_V1_SWITCHES = ("disable_v2_behavior", "disable_eager_execution")


class RawTF1Report(Rule):
    """Raw TF1 graph sites → manual items; pure-TF files switched to the v1 API, mixed files frozen."""

    NAME = "raw-tf1-report"
    DESCRIPTION = "Report raw TF1 graph code as manual work; run TF-only files on tf.compat.v1 with v2 behaviour off, leave files mixing it with Keras untouched."
    SAFE = True
    ORDER = 5
    TRIGGERS = ("placeholder", "GraphDef", "import_graph_def", "loader.load", ".run(", "initializer",
                "import_meta_graph", "Saver", "get_variable", "variable_scope", "contrib",
                "get_tensor_by_name", "get_operation_by_name", "make_callable", "initialize_all")
    FIXES = [
        Example(
            """
            import tensorflow as tf
            x = tf.placeholder(tf.float32, [None, 3])
            y = tf.reduce_sum(x, axis=1, keep_dims=True)
            with tf.Session() as sess:
                print(sess.run(y, feed_dict={x: [[1, 2, 3]]}))
            """,
            """
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()
            x = tf.placeholder(tf.float32, [None, 3])
            y = tf.reduce_sum(x, axis=1, keep_dims=True)
            with tf.Session() as sess:
                print(sess.run(y, feed_dict={x: [[1, 2, 3]]}))
            """,
            id="pure TF1 graph: whole v1 API (keep_dims and all), one item naming each site",
            manual=(2,),
        ),
        Example(
            """
            import numpy as np
            import tensorflow.compat.v1 as tf

            graph_def = tf.GraphDef()
            """,
            """
            import numpy as np
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()

            graph_def = tf.GraphDef()
            """,
            id="already on compat.v1 but eager still on",
            manual=(4,),
        ),
    ]
    FIXES = [*FIXES,
        Example(
            """
            import tensorflow as tf
            x = tf.placeholder(tf.float32, [None, 5, 3])
            cell = tf.contrib.rnn.LSTMCell(8)
            init = tf.contrib.layers.xavier_initializer()
            """,
            """
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()
            x = tf.placeholder(tf.float32, [None, 5, 3])
            cell = tf.nn.rnn_cell.LSTMCell(8)
            init = tf.glorot_uniform_initializer()
            """,
            id="tf.contrib names with an exact v1 equivalent (the same class, the same distribution) are renamed",
            manual=(2, 3),
        ),
        Example(
            """
            import tensorflow as tf
            x = tf.placeholder(tf.float32, [None, 3])
            h = tf.contrib.layers.fully_connected(x, 4)
            """,
            """
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()
            x = tf.placeholder(tf.float32, [None, 3])
            h = tf.contrib.layers.fully_connected(x, 4)
            """,
            id="tf.contrib without an equivalent: named, not claimed to run",
            manual=(2, 3),
        ),
    ]
    NOOPS = [
        Example(
            """
            import tensorflow as tf
            from keras import backend as K
            from keras.models import load_model
            x = tf.placeholder(tf.float32, [None, 64])
            sess = tf.Session()
            K.set_session(sess)
            model = load_model("m.h5")
            def predict(v):
                feats = sess.run(x, feed_dict={x: v})
                K.set_session(sess)
                return model.predict(feats)
            """,
            id="raw graph mixed with Keras: stays on the legacy path, reported once",
            manual=(4,),
        ),
        Example(
            """
            import tensorflow.compat.v1 as tf
            tf.disable_v2_behavior()
            x = tf.placeholder(tf.float32)
            """,
            id="already runnable: only reported",
            manual=(3,),
        ),
        Example("import tensorflow as tf\nrunner.run(task)\n", id="a run() that is not a session"),
        Example("import tensorflow as tf\n# x = tf.placeholder(tf.float32)\n", id="comment"),
    ]

    @classmethod
    def wanted_for(cls, imported) -> bool:
        # a helper that builds part of a raw graph another module runs goes with that module,
        # even when it holds no raw TF1 construct of its own (`tf.nn.dropout(h, keep_prob)`)
        return bool(imported is not None and imported.tf1_group)

    @classmethod
    def triggered_by(cls, text: str) -> bool:
        # `.run(` alone is every Flask app's `app.run(`: only a session makes it raw TF1
        if any(t in text for t in cls.TRIGGERS if t != ".run("):
            return True
        return ".run(" in text and ("Session" in text or "session" in text or "sess" in text)

    def rewrite(self, tree: cst.Module) -> cst.Module:
        imported = self.file.imported
        group = imported.tf1_group if imported is not None else ""
        if not group and not mentions_raw_tf1(self.original_code(tree)):
            return tree
        names = self.analyses.names
        sites = find_raw_tf1(tree, names, self.analyses.carriers)
        if group:
            return self._with_group(tree, sites, group)
        if not sites:
            return tree
        uses_keras = any(q == "keras" or q.startswith("keras.") for q in names.aliases.values()) or any(
            (q or "").startswith(("tensorflow.keras", "tensorflow.compat.v1.keras", "tf_keras")) for q in names.aliases.values()
        )
        renamed = {} if uses_keras else _contrib_renames(sites, names)
        contrib_left = [site for site in sites if site.contrib and site.node not in renamed]
        graph_sites = []  # the graph's own code: one cause, one item
        for site in sites:
            if site.node in renamed:
                target, needs = CONTRIB_EQUIVALENTS[site.contrib]
                if needs:
                    self.manual(site.node, f"{site.what} → tf.compat.v1.{target} (the same class), which needs {needs}")
            elif site.contrib:
                self.manual(site.node, _contrib_message(site))
            else:
                graph_sites.append(site)
        if uses_keras:
            cause = ("next to a Keras model: the file stays on the legacy path (run it under legacy_shim); "
                     "rewrite the graph as eager code to migrate it")
        elif contrib_left:
            cause = ("switched to tf.compat.v1, but the file does not run until its tf.contrib calls are replaced; "
                     "port to TF 2 by hand")
        else:
            cause = "runs on tf.compat.v1 in graph mode; port to TF 2 by hand"
        declined = self.file.graph_function_declined
        if declined and not uses_keras:
            # the frozen graph or SavedModel stays a session's: say what kept it from a TF 2 function
            cause = cause.replace("; port", f" (not made a TF 2 function: {declined}); port", 1)
        self._report_graph(tree, graph_sites, cause)
        if uses_keras:
            self.stop_other_rules("raw TF1 graph mixed with Keras: file left on the legacy path")
            return tree
        result = _switch_to_v1(_rename(tree, renamed))
        if contrib_left:
            self.stop_other_rules("raw TF1 graph with tf.contrib calls nothing on TF 2 provides: the file does not "
                                  "run until they are replaced; other rules skipped")
        else:
            self.stop_other_rules("raw TF1 graph: file runs on tf.compat.v1; other rules skipped")
        return result


    def _with_group(self, tree: cst.Module, sites, group: str) -> cst.Module:
        """One decision for every module of a graph (whole_app.tf1_groups): all switch, or none."""
        decision, _, why = group.partition(": ")
        if decision == "legacy":
            for site in sites:
                if site.contrib:
                    self.manual(site.node, _contrib_message(site))
            self._report_graph(tree, [site for site in sites if not site.contrib],
                               f"the file stays on the legacy path (run it under legacy_shim) with the modules "
                               f"sharing its graph: {why}")
            if not sites:
                self.warn(f"left on the legacy path with the modules sharing its graph: {why}")
            self.stop_other_rules(f"raw TF1 graph across modules left on the legacy path: {why}")
            return tree
        for site in sites:
            if site.contrib:
                self.manual(site.node, _contrib_message(site))
        self._report_graph(tree, [site for site in sites if not site.contrib],
                           f"runs on tf.compat.v1 in graph mode, with {why}; port to TF 2 by hand")
        result = _switch_to_v1(tree)
        if not sites and result is not tree:
            switched = next(old for old, new in zip(tree.body, result.body) if old is not new)
            self.manual(switched, f"builds, runs or is handed a raw TF1 graph: switched to tf.compat.v1 with {why}, "
                                  "so its calls keep their TF1 meaning (tf.nn.dropout's keep_prob, keep_dims...); "
                                  "port to TF 2 by hand with them")
        self.stop_other_rules(f"raw TF1 graph: file runs on tf.compat.v1 with {why}; other rules skipped")
        return result

    def _report_graph(self, tree: cst.Module, sites, cause: str) -> None:
        """One item for a file's raw graph code, at its first site, naming every site and its lines:
        the graph is ported as a whole, not call by call."""
        if not sites:
            return
        found = self.input_lines(tree, [site.node for site in sites])
        lines: dict[str, list[int]] = {}  # what → its lines, in source order
        for site in sites:
            at = lines.setdefault(site.what, [])
            if site.node in found and found[site.node] not in at:
                at.append(found[site.node])
        if len(sites) == 1:
            whats = sites[0].what
        else:
            whats = ", ".join(f"{what} ({line_refs(at)})" if at else what for what, at in lines.items())
        self.manual(sites[0].node, f"raw TF1 graph code ({whats}): {cause}")


def _contrib_message(site) -> str:
    return (f"{site.what}: tf.contrib is gone from TF 2 and nothing on TF 2 provides this (legacy_shim "
            "neither): the file does not run until it is replaced by hand")


def _contrib_renames(sites, names) -> dict[cst.CSTNode, cst.BaseExpression]:
    """Call node → its new callee, for the tf.contrib calls with an exact v1 equivalent."""
    renamed = {}
    for site in sites:
        target, _needs = CONTRIB_EQUIVALENTS.get(site.contrib or "", (None, ""))
        func = getattr(site.node, "func", None)
        if target is None or not isinstance(func, cst.Attribute):
            continue
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name) or names.aliases.get(root.value) not in ("tensorflow", "tensorflow.compat.v1"):
            continue
        if target == "glorot_uniform_initializer" and site.node.args:
            continue  # xavier_initializer(uniform=False, ...) is not Glorot uniform
        renamed[site.node] = cst.parse_expression(f"{root.value}.{target}")
    return renamed


def _rename(tree: cst.Module, renamed: dict[cst.CSTNode, cst.BaseExpression]) -> cst.Module:
    if not renamed:
        return tree

    class _Renamer(cst.CSTTransformer):
        def leave_Call(self, original_node, updated_node):
            new = renamed.get(original_node)
            return updated_node.with_changes(func=new) if new is not None else updated_node

    return tree.visit(_Renamer())


def _switch_to_v1(tree: cst.Module) -> cst.Module:
    """`import tensorflow as X` → `import tensorflow.compat.v1 as X` + `X.disable_v2_behavior()`."""
    if any(word in tree.code for word in _V1_SWITCHES):
        return tree
    body = list(tree.body)
    for index, statement in enumerate(body):
        if not m.matches(statement, m.SimpleStatementLine(body=[m.Import(names=[m.ImportAlias()])])):
            continue
        alias = statement.body[0].names[0]
        name = alias.evaluated_name
        if name not in ("tensorflow", "tensorflow.compat.v1") or alias.asname is None:
            continue
        local = alias.evaluated_alias
        new_import = statement.body[0].with_changes(
            names=[alias.with_changes(name=cst.parse_expression("tensorflow.compat.v1"))]
        )
        body[index] = statement.with_changes(body=[new_import])
        switch = cst.parse_statement(f"{local}.disable_v2_behavior()\n", config=tree.config_for_parsing)
        body.insert(index + 1, switch)
        return tree.with_changes(body=body)
    return tree
