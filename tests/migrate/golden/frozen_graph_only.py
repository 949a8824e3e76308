"""Serve a frozen TF1 graph (no Keras)."""
import numpy as np
import tensorflow as tf

with tf.gfile.GFile("frozen.pb", "rb") as f:
    graph_def = tf.GraphDef()
    graph_def.ParseFromString(f.read())

graph = tf.Graph()
with graph.as_default():
    tf.import_graph_def(graph_def, name="")
sess = tf.Session(graph=graph)
inp = graph.get_tensor_by_name("input:0")
out = graph.get_tensor_by_name("output:0")


def predict(x):
    return sess.run(out, feed_dict={inp: np.asarray(x)})

# output

"""Serve a frozen TF1 graph (no Keras)."""
import numpy as np
import tensorflow as tf


def _load_frozen_graph(path):
    # the GraphDef as a TF 2 function: read and imported once, no session, any thread
    with tf.io.gfile.GFile(path, 'rb') as f:
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(f.read())
    return tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, name=""), [])


frozen_graph = _load_frozen_graph("frozen.pb").prune(["input:0"], "output:0")


def predict(x):
    return frozen_graph(tf.constant(np.asarray(x), frozen_graph.inputs[0].dtype)).numpy()
