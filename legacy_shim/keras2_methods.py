"""Keras 2.x ``Sequential.predict_classes`` / ``predict_proba``, as Keras 2.3 shipped them.

Removed from tf.keras in TF 2.6; legacy apps still call them. The bodies follow
Keras 2's own code, so the answers are what the app always got.
"""

import warnings

from legacy_shim import worklist


def predict_classes(self, x, batch_size=32, verbose=0):
    """Class predictions: argmax for multi-unit outputs, ``> 0.5`` for a single unit."""
    worklist.hit("model.predict_classes()")
    proba = self.predict(x, batch_size=batch_size, verbose=verbose)
    if proba.shape[-1] > 1:
        return proba.argmax(axis=-1)
    return (proba > 0.5).astype("int32")


def predict_proba(self, x, batch_size=32, verbose=0):
    """``predict``, with Keras 2's warning when outputs are not probabilities."""
    worklist.hit("model.predict_proba()")
    preds = self.predict(x, batch_size=batch_size, verbose=verbose)
    if preds.min() < 0.0 or preds.max() > 1.0:
        warnings.warn(
            "Network returning invalid probability values. The last layer might not normalize "
            "predictions into probabilities (like softmax or sigmoid would).",
            stacklevel=2,
        )
    return preds
