# fixtures/apps/global_graph as a careful user makes it run on TF 2.21 WITHOUT the shim:
# tf_keras (TF_USE_LEGACY_KERAS=1) in TF1 graph mode through tf.compat.v1, the graph and
# the session captured at load and both re-entered by hand in every request thread.
# Benchmark baseline (b): the shim's automatic re-entry must cost no more than this.
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # read when tensorflow is imported

import numpy as np
import tensorflow.compat.v1 as tf
from flask import Flask, jsonify, request

tf.disable_v2_behavior()

from tf_keras.models import load_model  # noqa: E402  (after the mode switch)

app = Flask(__name__)

graph = tf.get_default_graph()
model = load_model('mlp_softmax.h5')
sess = tf.keras.backend.get_session()
# built at load, in the main thread, so that two first requests cannot race to build it
with graph.as_default(), sess.as_default():
    model._make_predict_function()


@app.route('/predict', methods=['POST'])
def predict():
    data = request.get_json(force=True)
    x = np.array(data['instances'])
    with graph.as_default(), sess.as_default():
        preds = model.predict(x)
    labels = np.argmax(preds, axis=1)
    return jsonify({'predictions': preds.tolist(),
                    'labels': labels.tolist()})


@app.route('/health')
def health():
    return 'ok'


if __name__ == '__main__':
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
