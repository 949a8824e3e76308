"""Shared, cheap analyses several rules need (one module per thing computed).

- `names`: what a dotted expression such as `K.set_session` means, through every import
  spelling of TensorFlow and Keras (`keras`, `tensorflow.keras`, `tf_keras`, `tf.compat.v1`...).
- `carriers`: which names, attributes and containers hold a TF graph or session, where each is
  used, and which of those uses exist only to carry it (so a rule can drop them).
- `handlers`: which functions run per request (Flask/Sanic/FastAPI routes, Django and
  flask_restful views, Tornado handlers) and what in them depends on the request.
- `raw_tf1`: raw TF1 graph code (placeholders, `sess.run`, GraphDef, training in a graph) that
  the Keras rewrites must leave alone.

- `walk`: how every pass runs: `walk` (read-only) and `transform` (rebuilds only what
  changed), both skipping subtrees that cannot hold a node type the visitor handles.

None of them resolves libcst scope metadata: they walk the module once with plain visitors,
which is far cheaper: on the files of fixtures/apps, resolving libcst's `ScopeProvider` alone
takes ~17-27 ms a file, `ImportNames` and `Carriers` together ~0.5 ms.
"""
