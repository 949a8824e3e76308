"""graphdef-once: the retrain/label_image per-request import of the same GraphDef does not grow
the graph under the shim, answers stay those of the first import, and the shim warns once."""

SCENARIO = """
import warnings
warnings.simplefilter("always")
import legacy_shim
import numpy as np
import tensorflow as tf

with tf.Graph().as_default() as source:
    x = tf.placeholder(tf.float32, [None, 3], name="input")
    tf.identity(tf.reduce_sum(x * 2.0, axis=1), name="output")
frozen = source.as_graph_def().SerializeToString()

def request(name=""):
    graph_def = tf.GraphDef()
    graph_def.ParseFromString(frozen)  # a new object every request, as the snippet reads the file
    out = tf.import_graph_def(graph_def, name=name, return_elements=["output:0"])
    with tf.Session() as sess:
        return out[0].name, sess.run("output:0" if name == "" else out[0], {"input:0" if name == "" else
               tf.get_default_graph().get_tensor_by_name(out[0].name.split("/")[0] + "/input:0"): [[1, 2, 3]]}).tolist()

with warnings.catch_warnings(record=True) as caught:
    first = [request() for _ in range(20)]
    ops_plain = len(tf.get_default_graph().get_operations())
    scoped = [request(None) for _ in range(5)]
    ops_scoped = len(tf.get_default_graph().get_operations())
with tf.Graph().as_default():
    request()
    ops_other = len(tf.get_default_graph().get_operations())
emit(dict(size=len(source.get_operations()), answers=sorted({str(v) for _, v in first + scoped}), names=sorted({n for n, _ in first + scoped}),
          ops_plain=ops_plain, ops_scoped=ops_scoped, ops_other=ops_other,
          warnings=[str(w.message) for w in caught if "GraphDef" in str(w.message)]))
"""


def test_reimporting_the_same_graphdef_reuses_the_first_import(run):
    _, result = run(SCENARIO)
    assert result["answers"] == ["[12.0]"]
    assert result["names"] == ["import/output:0", "output:0"]
    size = result["size"]
    assert result["ops_plain"] == size  # one copy of the graph after 20 requests
    assert result["ops_scoped"] == 2 * size  # plus one copy under "import/", however many requests
    assert result["ops_other"] == size  # another graph gets its own import
    assert len(result["warnings"]) == 1 and "tf1-graph-function" in result["warnings"][0]


def test_without_the_row_every_request_adds_the_graph_again(run):
    _, result = run(SCENARIO, env={"LEGACY_SHIM_DISABLE": "graphdef-once"})
    assert result["ops_plain"] == 20 * result["size"] and result["warnings"] == []
