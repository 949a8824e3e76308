# fixtures/apps/global_graph migrated NAIVELY: graph and session gone, tensorflow.keras
# (Keras 3) imports, but `model.predict(x)` kept in the request handler. On Keras 3 each
# predict call builds a tf.data pipeline and a progress bar: the cost the real migration
# removes by calling `predict_on_batch` (benchmark variant (d)).
import os

import numpy as np
from flask import Flask, jsonify, request
from tensorflow.keras.models import load_model

app = Flask(__name__)

model = load_model('mlp_softmax.h5')


@app.route('/predict', methods=['POST'])
def predict():
    data = request.get_json(force=True)
    x = np.array(data['instances'])
    preds = model.predict(x)
    labels = np.argmax(preds, axis=1)
    return jsonify({'predictions': preds.tolist(),
                    'labels': labels.tolist()})


@app.route('/health')
def health():
    return 'ok'


if __name__ == '__main__':
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
