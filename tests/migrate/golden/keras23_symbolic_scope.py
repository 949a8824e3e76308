import keras.backend.tensorflow_backend as tb
from flask import Flask, request, jsonify
from keras import backend as K
from keras.models import load_model
import numpy as np

app = Flask(__name__)
model = load_model("model.h5")


@app.route("/predict", methods=["POST"])
def predict():
    # keras 2.3.1 + flask threads: '_thread._local' object has no attribute 'value'
    tb._SYMBOLIC_SCOPE.value = True
    x = np.array(request.json["instances"])
    return jsonify(predictions=model.predict(x).tolist())


@app.route("/reload", methods=["POST"])
def reload():
    global model
    K.clear_session()
    model = load_model(request.json["path"])
    return "ok"

# output

from flask import Flask, request, jsonify
from tensorflow.keras.models import load_model
import numpy as np
import threading

# tf_keras re-assigns model.predict_function on every predict_on_batch: one thread at a time
PREDICT_LOCK = threading.RLock()

app = Flask(__name__)
model = load_model("model.h5")


@app.route("/predict", methods=["POST"])
def predict():
    x = np.array(request.json["instances"])
    with PREDICT_LOCK:
        return jsonify(predictions=model.predict_on_batch(x).tolist())


@app.route("/reload", methods=["POST"])
def reload():
    global model
    model = load_model(request.json["path"])
    return "ok"
