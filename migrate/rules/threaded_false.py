"""Remove the `threaded=False` workaround from `app.run(...)`.

Apps served one request at a time because Keras broke in Flask's request threads
("is not an element of this graph", `_SYMBOLIC_SCOPE`). The migrated code loads the model
once and predicts from any thread, so Flask's default (threaded) comes back, together with
the comment that explained the workaround.

     if __name__ == "__main__":
    -    # threaded=False: keras fails in threads
    -    app.run(host="0.0.0.0", threaded=False)
    +    app.run(host="0.0.0.0")
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from migrate.rules.base import Example, Rule

_THREADED_FALSE = m.Arg(keyword=m.Name("threaded"), value=m.Name("False"))
_RUN_WITH_WORKAROUND = m.Call(func=m.Attribute(attr=m.Name("run")), args=[m.ZeroOrMore(), _THREADED_FALSE, m.ZeroOrMore()])


class ThreadedFalse(Rule):
    """Drop `threaded=False` from `<app>.run(...)` calls and the comment above that explains it."""

    NAME = "threaded-false"
    DESCRIPTION = "Remove `app.run(threaded=False)` workarounds: the migrated model predicts from any thread."
    SAFE = True
    ORDER = 60
    TRIGGERS = ("threaded",)
    FIXES = [
        Example(
            """
            if __name__ == "__main__":
                # threaded=False: with threads keras fails with "not an element of this graph"
                app.run(host="0.0.0.0", port=5000, threaded=False)
            """,
            """
            if __name__ == "__main__":
                app.run(host="0.0.0.0", port=5000)
            """,
            id="keyword last, explaining comment removed",
        ),
        Example(
            """
            app.run(threaded=False)
            """,
            """
            app.run()
            """,
            id="only argument",
        ),
        Example(
            """
            # start the server
            app.run(
                threaded=False,
                debug=False,
            )
            """,
            """
            # start the server
            app.run(
                debug=False,
            )
            """,
            id="multi-line call, unrelated comment kept",
        ),
    ]
    NOOPS = [
        Example("app.run(threaded=True)\n", id="already threaded"),
        Example("app.run(host='0.0.0.0')\n", id="default is threaded"),
        Example("# app.run(threaded=False)\n", id="commented out"),
        Example("server.start(threaded=False)\n", id="not a run() call"),
        Example("app.run(threaded=flag)\n", id="not a literal: the author's choice"),
    ]

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if not m.matches(updated_node, _RUN_WITH_WORKAROUND):
            return updated_node
        args = list(updated_node.args)
        index = next(i for i, a in enumerate(args) if m.matches(a, _THREADED_FALSE))
        removed = args.pop(index)
        if args and index == len(args):
            # the new last argument takes the removed one's trailing comma style
            args[-1] = args[-1].with_changes(comma=removed.comma)
        return updated_node.with_changes(args=args)

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if updated_node.deep_equals(original_node) or not m.findall(original_node, _RUN_WITH_WORKAROUND):
            return updated_node
        lines = [
            line for line in updated_node.leading_lines
            if not (line.comment is not None and "thread" in line.comment.value.lower())
        ]
        return updated_node.with_changes(leading_lines=lines)
