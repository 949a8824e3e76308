"""Report raw TF1 graph code (placeholders, `sess.run`, GraphDef, `saved_model.loader`) and keep it runnable.

Raw graphs are not Keras juggling: they need graph mode and a session, which Keras 3 never
has. Each site becomes a manual item (file:line). A file with no Keras in it is made to run
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

from migrate.analysis.raw_tf1 import find_raw_tf1, mentions_raw_tf1
from migrate.rules.base import Example, Rule

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
            id="pure TF1 graph: whole v1 API (keep_dims and all), each site reported",
            manual=(2, 5),
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
            id="raw graph mixed with Keras: stays on the legacy path, reported",
            manual=(4, 9),
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
        for site in sites:
            if uses_keras:
                message = (f"raw TF1 graph code ({site.what}) next to a Keras model: the file stays on the legacy "
                           "path (run it under legacy_shim); rewrite the graph as eager code to migrate it")
            else:
                message = f"raw TF1 graph code ({site.what}): runs on tf.compat.v1 in graph mode; port to TF 2 by hand"
            self.manual(site.node, message)
        if uses_keras:
            self.stop_other_rules("raw TF1 graph mixed with Keras: file left on the legacy path")
            return tree
        result = _switch_to_v1(tree)
        self.stop_other_rules("raw TF1 graph: file runs on tf.compat.v1; other rules skipped")
        return result


    def _with_group(self, tree: cst.Module, sites, group: str) -> cst.Module:
        """One decision for every module of a graph (whole_app.tf1_groups): all switch, or none."""
        decision, _, why = group.partition(": ")
        if decision == "legacy":
            for site in sites:
                self.manual(site.node, f"raw TF1 graph code ({site.what}): the file stays on the legacy path "
                                       f"(run it under legacy_shim) with the modules sharing its graph: {why}")
            if not sites:
                self.warn(f"left on the legacy path with the modules sharing its graph: {why}")
            self.stop_other_rules(f"raw TF1 graph across modules left on the legacy path: {why}")
            return tree
        for site in sites:
            self.manual(site.node, f"raw TF1 graph code ({site.what}): runs on tf.compat.v1 in graph mode, "
                                   f"with {why}; port to TF 2 by hand")
        result = _switch_to_v1(tree)
        if not sites and result is not tree:
            switched = next(old for old, new in zip(tree.body, result.body) if old is not new)
            self.manual(switched, f"builds part of a raw TF1 graph: switched to tf.compat.v1 with {why}, so its "
                                  "calls keep their TF1 meaning (tf.nn.dropout's keep_prob, keep_dims...); "
                                  "port to TF 2 by hand with them")
        self.stop_other_rules(f"raw TF1 graph: file runs on tf.compat.v1 with {why}; other rules skipped")
        return result


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
