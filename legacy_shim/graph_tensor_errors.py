"""Errors that name the fix when TF 2 eager code meets a graph tensor under the shim's graph mode.

In graph mode ``model(x)`` builds ops and returns a symbolic tensor; eager code then fails
on it with ``AttributeError: 'SymbolicTensor' object has no attribute 'numpy'`` or, in
``np.argmax(model(x))``, ``NotImplementedError: Cannot convert a symbolic tf.Tensor ...``,
which say nothing of the mode the shim chose or how to change it. The same exceptions
are raised (same types, so ``hasattr(t, "numpy")`` stays False and ``except`` clauses
still match), with the reason for graph mode and the fix added. A call that works is
not touched: these run only where TensorFlow was about to raise.
"""

from __future__ import annotations

import functools

from legacy_shim import app_style


def _fix(tensor, call: str) -> str:
    decision = app_style.current
    why = decision.reason if decision is not None else "graph mode"
    return (
        f"legacy_shim: {call} on a graph tensor ({getattr(tensor, 'name', '?')}): this app runs in TF 1 graph mode "
        f"({why}), where model(x) builds a graph op instead of computing a value. Fix: if the app was written "
        "for TF 2 (eager tf.keras), drop its TF 1 code (graph.as_default(), sess.run, get_session, "
        "get_default_graph) and run it with LEGACY_SHIM_MODE=eager; if it was written for TF 1, call "
        "model.predict(x), which returns a NumPy array, instead of model(x)."
    )


def naming_getattr(original):
    """``__getattr__`` that explains a missing ``.numpy`` on a graph tensor."""

    @functools.wraps(original)
    def __getattr__(self, name):
        if name == "numpy":
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'numpy'. " + _fix(self, ".numpy()"))
        return original(self, name)

    return __getattr__


def naming_array(original):
    """``__array__`` whose refusal of a graph tensor (``np.argmax(model(x))``) names the fix."""

    @functools.wraps(original)
    def __array__(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except NotImplementedError as exc:
            raise NotImplementedError(f"{exc} {_fix(self, 'a NumPy call')}") from exc

    return __array__
