"""TF1 on the ``tensorflow`` namespace: graph mode and the v1 API, as TF's own recipe does.

TF's documented way to run TF1 code on TF2 is ``import tensorflow.compat.v1 as tf`` plus
``tf.disable_v2_behavior()``. Legacy apps say ``import tensorflow as tf``; these helpers
give that module the v1 API instead (missing names added, and names whose meaning
changed — ``tf.nn.moments(keep_dims=)``, ``tf.train.AdamOptimizer``, ``tf.layers`` —
pointed at their v1 versions). TF's internals and tf_keras import ``tensorflow.compat.v2``
or ``tensorflow.python``, separate module objects, so they are unaffected.
"""

from __future__ import annotations

import types

# Names that must stay TF2's own on the top-level module: the compat bridge itself,
# and tf.keras, which the Keras alias patch points at Keras 2's v1 API explicitly.
_KEEP = frozenset({"compat", "keras", "estimator"})


def v1_only_names(tf: types.ModuleType) -> dict[str, object]:
    """Public ``tf.compat.v1`` names that ``tf`` lacks (``Session``, ``placeholder``...)."""
    v1 = tf.compat.v1
    return {name: getattr(v1, name) for name in _public(v1) if name not in _KEEP and not hasattr(tf, name)}


def changed_names(tf: types.ModuleType) -> dict[str, object]:
    """Names ``tf`` has whose v1 object differs (``nn``, ``train``, ``losses``, ``Variable``...)."""
    v1 = tf.compat.v1
    out = {}
    for name in _public(v1):
        if name in _KEEP or not hasattr(tf, name):
            continue
        old = getattr(v1, name)
        if getattr(tf, name) is not old:
            out[name] = old
    return out


def _public(module: types.ModuleType) -> list[str]:
    return [name for name in dir(module) if not name.startswith("_")]


def graph_mode_on(tf: types.ModuleType) -> None:
    """TF1 behaviour: graph mode, ref variables, v1 shapes and control flow."""
    tf.compat.v1.disable_v2_behavior()


def graph_mode_off(tf: types.ModuleType) -> str | None:
    """Back to TF2 behaviour; returns a note if TF refuses to turn eager back on."""
    try:
        tf.compat.v1.enable_v2_behavior()
    except ValueError as exc:  # "must be called at program startup" once graphs ran
        from tensorflow.python import tf2
        from tensorflow.python.framework import tensor_shape
        from tensorflow.python.ops import control_flow_v2_toggles, resource_variables_toggle

        tf2.enable()
        tensor_shape.enable_v2_tensorshape()
        resource_variables_toggle.enable_resource_variables()
        control_flow_v2_toggles.enable_control_flow_v2()
        return f"tf1-graph-mode: TF2 behaviours restored except eager execution ({exc})"
    return None
