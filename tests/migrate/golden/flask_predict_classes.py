# Sentiment service (2018) -- Keras 2.1.6 / TF 1.8
import os

import numpy as np
import tensorflow as tf
from flask import Flask, jsonify, request
from keras import backend as K
from keras.models import load_model

K.set_learning_phase(0)

app = Flask(__name__)
model = load_model('sentiment.h5')
model._make_predict_function()  # see keras#6462
graph = tf.get_default_graph()


@app.route('/predict', methods=['POST'])
def predict():
    x = np.array(request.get_json(force=True)['instances'])
    with graph.as_default():
        labels = model.predict_classes(x)
        probs = model.predict_proba(x)
    return jsonify({'labels': labels.tolist(), 'probs': probs.tolist()})


if __name__ == '__main__':
    # threaded=False because of "Tensor is not an element of this graph"
    app.run(host='0.0.0.0', port=int(os.environ.get('PORT', 5000)), threaded=False)

# output

# Sentiment service (2018) -- Keras 2.1.6 / TF 1.8
import os

import numpy as np
from flask import Flask, jsonify, request
from tensorflow.keras.models import load_model
import threading

# tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
PREDICT_LOCK = threading.RLock()


def keras2_predict_classes(proba):
    """Keras 2's Sequential.predict_classes, from the probabilities predict() returned."""
    if proba.shape[-1] > 1:
        return proba.argmax(axis=-1)
    return (proba > 0.5).astype("int32")


app = Flask(__name__)
model = load_model('sentiment.h5')


@app.route('/predict', methods=['POST'])
def predict():
    x = np.array(request.get_json(force=True)['instances'])
    with PREDICT_LOCK:
        labels = keras2_predict_classes(model.predict_on_batch(x))
        probs = model.predict_on_batch(x)
    return jsonify({'labels': labels.tolist(), 'probs': probs.tolist()})


if __name__ == '__main__':
    app.run(host='0.0.0.0', port=int(os.environ.get('PORT', 5000)))
