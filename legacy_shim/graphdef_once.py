"""Graphdef-once: importing the same GraphDef into the same graph again reuses the first import.

The most copied TF1 serving snippet (retrain.py's label_image) reads the frozen `.pb`, calls
`tf.import_graph_def(graph_def, name='')` into the default graph and opens a `tf.Session` in
every request. Where requests share a default graph (one thread per worker: gunicorn's sync
workers, `threaded=False`), every request adds the whole graph again: measured on the fixture
app, +23 operations and +1.8 MB per request, latency growing without bound.

A second import of a GraphDef with the same bytes, under the same `name`, into the same graph,
without `input_map`, adds nothing any later lookup can tell apart from the first import (the
user's names resolve to the first copy in both cases), so the first import is reused:
`return_elements` are looked up in it. The shim warns once with the real fix.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
import weakref

from legacy_shim.settings import LegacyShimWarning

_lock = threading.Lock()
# graph → {(GraphDef digest, name): prefix the first import used ("" for name="")}
_imported: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
stats = {"imports": 0, "reused": 0}
_warned = False

FIX = ("legacy_shim: the same GraphDef is imported into the same graph again (the retrain/label_image "
       "per-request snippet); the shim reuses the first import. Fix: read and import the graph once at start-up; "
       "`python -m migrate` rewrites it as a TF 2 function loaded once (rule tf1-graph-function)")


def reusing_import_graph_def(original, get_default_graph):
    """Wrap `import_graph_def` (signature of TF's) with the reuse described in the module docstring."""

    def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                         producer_op_list=None):
        if input_map or op_dict is not None or producer_op_list is not None or not hasattr(graph_def, "node"):
            return original(graph_def, input_map, return_elements, name, op_dict, producer_op_list)
        graph = get_default_graph()
        key = (hashlib.sha256(graph_def.SerializeToString(deterministic=True)).digest(), name)
        with _lock:
            seen = _imported.setdefault(graph, {})
            prefix = seen.get(key)
            if prefix is not None and _still_there(graph, prefix, graph_def):
                stats["reused"] += 1
                _warn_once()
                if return_elements is None:
                    return None
                return [_lookup(graph, prefix, element) for element in return_elements]
            before = len(graph.get_operations())
            result = original(graph_def, input_map, return_elements, name, op_dict, producer_op_list)
            stats["imports"] += 1
            found = _prefix(graph, before, graph_def)
            if found is not None:
                seen[key] = found
            return result

    import_graph_def.__wrapped__ = original
    import_graph_def.__doc__ = original.__doc__
    return import_graph_def


def _prefix(graph, before: int, graph_def) -> str | None:
    """The scope the import just put its operations under ("" for none), from the first node."""
    if not graph_def.node:
        return None
    first = graph_def.node[0].name
    for op in graph.get_operations()[before:]:
        if op.name == first:
            return ""
        if op.name.endswith("/" + first):
            return op.name[: -len(first) - 1]
    return None


def _still_there(graph, prefix: str, graph_def) -> bool:
    name = graph_def.node[0].name
    try:
        graph.get_operation_by_name(f"{prefix}/{name}" if prefix else name)
    except KeyError:
        return False
    return True


def _lookup(graph, prefix: str, element: str):
    full = f"{prefix}/{element}" if prefix else element
    return graph.as_graph_element(full)


def _warn_once() -> None:
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(FIX, LegacyShimWarning, stacklevel=3)
