"""A TF1 graph built in code, restored into a new session per request → one session, restored once.

A graph built at import with a `tf.train.Saver`, and a handler that opens a session and
restores the checkpoint on every request, pays a checkpoint read per request. The graph is
the same for every request, and `Session.run` is safe from any thread: the session is made
and restored once, next to the graph, and the handler runs it:

    +sess = tf.Session(graph=graph)
    +saver.restore(sess, CHECKPOINT)
     def predict(instances):
    -    with tf.Session(graph=graph) as sess:
    -        saver.restore(sess, CHECKPOINT)
    -        probs = sess.run(y, feed_dict={x: instances})
    +    probs = sess.run(y, feed_dict={x: instances})
         return probs

The file then stays on tf.compat.v1 (raw-tf1-report), each raw site a manual item for the
eager port. Only the plain shape is rewritten: the saver and the session's arguments bound at
module level before the handler, the session used for `restore` then `run` only, one such
block in the file, and its name free at module level.
"""

from __future__ import annotations

import re

import libcst as cst

from migrate.analysis.raw_tf1 import assigned_in, module_bound, names_in
from migrate.rules.base import Example, Rule

_SESSIONS = ("tensorflow.Session", "tensorflow.InteractiveSession")
_KERAS = ("keras", "tensorflow.keras", "tf_keras")


class TF1SessionOnce(Rule):
    """A per-request session + Saver.restore of a graph built at import → one session restored at import."""

    NAME = "tf1-session-once"
    DESCRIPTION = ("Per-request `with tf.Session() as s: saver.restore(s, ckpt)` of a graph built at import → "
                   "one session, restored once at import (Session.run is safe from any thread).")
    SAFE = True
    ORDER = 3
    TRIGGERS = (".restore(",)
    FIXES = [
        Example(
            """
            import tensorflow as tf

            CHECKPOINT = 'ckpt/model.ckpt'
            x = tf.placeholder(tf.float32, [None, 4])
            y = tf.matmul(x, tf.get_variable('w', [4, 2]))
            saver = tf.train.Saver()
            graph = tf.get_default_graph()


            def predict(instances):
                with tf.Session(graph=graph) as sess:
                    saver.restore(sess, CHECKPOINT)
                    probs = sess.run(y, feed_dict={x: instances})
                return probs
            """,
            """
            import tensorflow as tf

            CHECKPOINT = 'ckpt/model.ckpt'
            x = tf.placeholder(tf.float32, [None, 4])
            y = tf.matmul(x, tf.get_variable('w', [4, 2]))
            saver = tf.train.Saver()
            graph = tf.get_default_graph()
            # one session, restored once: Session.run is safe from any thread
            sess = tf.Session(graph=graph)
            saver.restore(sess, CHECKPOINT)


            def predict(instances):
                probs = sess.run(y, feed_dict={x: instances})
                return probs
            """,
            id="session and restore per request → once at import",
        ),
    ]
    NOOPS = [
        Example(
            """
            import tensorflow as tf

            saver = tf.train.Saver()

            def predict(path, instances):
                with tf.Session() as sess:
                    saver.restore(sess, path)
                    return sess.run('y:0', feed_dict={'x:0': instances})
            """,
            id="checkpoint chosen per request",
        ),
        Example(
            """
            import tensorflow as tf

            saver = tf.train.Saver()

            def train(batches):
                with tf.Session() as sess:
                    saver.restore(sess, 'ckpt')
                    for batch in batches:
                        sess.run('train_op', feed_dict={'x:0': batch})
                    saver.save(sess, 'ckpt')
            """,
            id="the session is used for more than restore and run (training, saving)",
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        imported = self.file.imported
        if imported is not None and imported.tf1_group.startswith("legacy"):
            return tree
        names = self.analyses.names
        if any(q == k or q.startswith(k + ".") for q in names.aliases.values() for k in _KERAS):
            return tree
        bound = module_bound(tree, names)
        found = []
        for index, statement in enumerate(tree.body):
            if isinstance(statement, cst.FunctionDef):
                for block in _session_blocks(statement, names):
                    found.append((index, statement, block))
        if len(found) != 1:
            return tree
        index, function, block = found[0]
        session = block.items[0].asname.name.value
        restore = block.body.body[0].body[0].value
        saver = restore.func.value.value
        setup_names = names_in(block.items[0].item) | names_in(restore.args[1].value) | {saver}
        earlier = module_bound(tree.with_changes(body=tree.body[:index]), names)
        if not setup_names <= earlier or setup_names & (assigned_in(function) | _params(function)):
            return tree
        if session in bound:
            return tree
        text = cst.Module([]).code_for_node(block.body)
        uses = len(re.findall(rf"(?<![.\w]){re.escape(session)}\b", text))
        runs = len(re.findall(rf"(?<![.\w]){re.escape(session)}\.run\(", text))
        if uses != runs + 1:  # restore + runs, nothing else
            return tree
        code = cst.Module([]).code_for_node
        setup = cst.parse_module(
            f"{session} = {code(block.items[0].item)}\n{code(restore)}\n").body
        comment = cst.EmptyLine(comment=cst.Comment("# one session, restored once: Session.run is safe from any thread"))
        setup = [setup[0].with_changes(leading_lines=[comment]), setup[1]]
        rest = list(block.body.body[1:])
        rest[0] = rest[0].with_changes(leading_lines=[*block.leading_lines, *rest[0].leading_lines])
        new_function = function.deep_replace(block, cst.FlattenSentinel(rest)) if rest else None
        if new_function is None or not isinstance(new_function, cst.FunctionDef):
            return tree
        new_function = new_function.with_changes(
            leading_lines=function.leading_lines or [cst.EmptyLine(), cst.EmptyLine()])
        body = list(tree.body)
        body[index:index + 1] = [*setup, new_function]
        return tree.with_changes(body=body)


def _params(function: cst.FunctionDef) -> set[str]:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return {p.name.value for p in every}


def _session_blocks(function: cst.FunctionDef, names) -> list[cst.With]:
    """`with tf.Session(...) as s:` blocks of `function` whose first statement is `saver.restore(s, path)`."""
    found = []

    class _Finder(cst.CSTVisitor):
        def visit_With(self, node: cst.With) -> None:
            if len(node.items) != 1 or node.items[0].asname is None:
                return
            item = node.items[0]
            if not (isinstance(item.item, cst.Call) and names.qualify(item.item.func) in _SESSIONS
                    and isinstance(item.asname.name, cst.Name)):
                return
            first = node.body.body[0] if node.body.body else None
            if not (isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1
                    and isinstance(first.body[0], cst.Expr) and isinstance(first.body[0].value, cst.Call)):
                return
            call = first.body[0].value
            if (isinstance(call.func, cst.Attribute) and call.func.attr.value == "restore"
                    and isinstance(call.func.value, cst.Name) and len(call.args) == 2
                    and all(a.keyword is None for a in call.args)
                    and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == item.asname.name.value):
                found.append(node)

    function.body.visit(_Finder())
    return found
