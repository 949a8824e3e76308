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
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

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
