# fixtures/apps/global_graph migrated BY HAND into what `python -m migrate --write` is
# specified to produce (MIGRATION.md target style): tensorflow.keras (Keras 3 on TF 2.21),
# the model loaded once at import, no graph or session, and `predict_on_batch` in the
# handler instead of `predict` (same outputs, none of predict's per-call tf.data set-up).
# The benchmark uses the tool's own output instead whenever that output serves correctly.
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
    preds = model.predict_on_batch(x)
    labels = np.argmax(preds, axis=1)
    return jsonify({'predictions': preds.tolist(),
                    'labels': labels.tolist()})


@app.route('/health')
def health():
    return 'ok'


if __name__ == '__main__':
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
