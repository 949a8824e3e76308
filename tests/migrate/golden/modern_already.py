import numpy as np
from tensorflow.keras.models import load_model

model = load_model("model.h5")


def predict(x):
    return model.predict_on_batch(np.asarray(x))

# output

import numpy as np
from tensorflow.keras.models import load_model

model = load_model("model.h5")


def predict(x):
    return model.predict_on_batch(np.asarray(x))
