"""Bridges that let a real standalone Keras 2.2.4 / 2.3.1 run on today's Python, NumPy, h5py and TF.

Apps that pin ``keras==2.2.4`` or ``keras==2.3.1`` keep that Keras: when such a
distribution is first on ``sys.path`` the tf_keras alias rows step aside and the rows
built from this module apply instead (see the block in ``legacy_shim.patches``).

Two kinds of bridge, in the order the table applies them:

* before Keras is imported, things Keras 2.x needs from its environment that are gone:
  ``collections.Iterable`` & co. (Python 3.10), NumPy 1.x aliases (NumPy 2),
  ``tensorflow.python.framework.ops._TensorLike`` (TF 2.4), and h5py 2's ``bytes``
  attributes (h5py 3 returns ``str`` where Keras calls ``.decode('utf8')``);
* on Keras's own modules, imported eagerly at install so every change is made, reported
  and undone through the registry like any other row (an import hook would patch later,
  out of sight of ``report()``): Keras 2.3's ``_SYMBOLIC_SCOPE`` (set in the importing
  thread only), its ``get_session``/``set_session`` (which refuse to run on TF 2), and
  every model's graph and session re-entered from request threads (``thread_context``).
"""

from __future__ import annotations

import collections
import collections.abc
import functools
import importlib
import importlib.metadata
import importlib.util
import sys
import threading
from typing import Callable

from legacy_shim.registry import Patcher

# Keras 2.4+ is a thin wrapper over tf.keras (served by the tf_keras rows), and
# versions before 2.2 were never tried here.
SUPPORTED_SERIES = ("2.2.", "2.3.")

# The ABCs Python 3.3-3.9 still re-exported from `collections` (removed in 3.10).
COLLECTIONS_ABCS = (
    "Awaitable", "Coroutine", "AsyncIterable", "AsyncIterator", "AsyncGenerator", "Hashable",
    "Iterable", "Iterator", "Generator", "Reversible", "Sized", "Container", "Callable",
    "Collection", "Set", "MutableSet", "Mapping", "MutableMapping", "MappingView", "KeysView",
    "ItemsView", "ValuesView", "Sequence", "MutableSequence", "ByteString",
)

# NumPy 1.x names removed by NumPy 1.24 / 2.0, with what they meant. Strings name a
# NumPy attribute that still exists.
NUMPY_ALIASES = {
    "float": float, "int": int, "object": object, "str": str, "complex": complex, "unicode": str,
    "string_": "bytes_", "unicode_": "str_", "float_": "float64", "complex_": "complex128",
    "Inf": "inf", "Infinity": "inf", "PINF": "inf", "NINF": -float("inf"), "NaN": "nan",
}


# --- when: is a real Keras 2.x what `import keras` will give? ---------------------------


def installed_keras_version() -> str | None:
    """Version of the first ``keras`` distribution on ``sys.path`` (what ``import keras`` finds), or None."""
    try:
        return importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        return None


def keras_version() -> str | None:
    """Version of the ``keras`` that ``import keras`` gives: the imported one, else the installed one."""
    module = sys.modules.get("keras")
    if module is not None and getattr(module, "__version__", None):
        return module.__version__
    return installed_keras_version()


def is_keras23() -> bool:
    """True when that Keras is a 2.3.x (TF-2 code paths, ``_SYMBOLIC_SCOPE``, TF-side sessions)."""
    return (keras_version() or "").startswith("2.3.")


def when_standalone() -> str | None:
    """None when a real Keras 2.2.x / 2.3.x is first on the path, else why not."""
    version = keras_version()
    if version is None:
        return "no keras distribution is installed"
    if not version.startswith(SUPPORTED_SERIES):
        return f"keras {version} is not standalone Keras 2.2/2.3 (tf_keras rows serve Keras 2 apps)"
    return None


def when_standalone_23() -> str | None:
    """None for a real Keras 2.3.x (the series with ``_SYMBOLIC_SCOPE``), else why not."""
    reason = when_standalone()
    if reason is None and not is_keras23():
        return f"keras {keras_version()} is not Keras 2.3 (its TF-2 code paths and _SYMBOLIC_SCOPE are 2.3-only)"
    return reason


def _and_missing(reason_if_present: str, missing: Callable[[], object]) -> Callable[[], str | None]:
    def when():
        reason = when_standalone()
        if reason is not None:
            return reason
        return None if missing() else reason_if_present

    return when


when_collections_abcs_missing = _and_missing(
    "collections still has Iterable & co. (Python < 3.10)", lambda: not hasattr(collections, "Iterable")
)


def _missing_numpy_aliases() -> list[str]:
    import numpy

    return [name for name in NUMPY_ALIASES if name not in vars(numpy)]


when_numpy_aliases_missing = _and_missing("this NumPy still has its 1.x aliases", _missing_numpy_aliases)


def _tf_ops_lacks_tensorlike() -> bool:
    from tensorflow.python.framework import ops

    return not hasattr(ops, "_TensorLike") or not hasattr(ops, "is_dense_tensor_like")


when_tf_tensorlike_missing = _and_missing("TF still has ops._TensorLike (TF < 2.4)", _tf_ops_lacks_tensorlike)


def _h5py_returns_str() -> bool:
    if importlib.util.find_spec("h5py") is None:
        return False
    import h5py

    return int(h5py.__version__.split(".")[0]) >= 3


when_h5py_returns_str = _and_missing("h5py < 3 returns bytes attributes, as Keras 2 expects", _h5py_returns_str)


# --- environment bridges (before Keras is imported) ----------------------------------------


def apply_collections_abcs(p: Patcher) -> None:
    for name in COLLECTIONS_ABCS:
        if not hasattr(collections, name) and hasattr(collections.abc, name):
            p.set_attr(collections, name, getattr(collections.abc, name))


def apply_numpy_aliases(p: Patcher) -> None:
    import numpy

    for name in _missing_numpy_aliases():
        value = NUMPY_ALIASES[name]
        p.set_attr(numpy, name, getattr(numpy, value) if isinstance(value, str) else value)


class _TensorLikeMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        import tensorflow as tf

        return tf.is_tensor(instance)


class TensorLike(metaclass=_TensorLikeMeta):
    """Stands in for TF's removed ``ops._TensorLike`` base class: ``isinstance`` asks
    ``tf.is_tensor``, which covers every tensor-like TF type the old base class did."""


def is_dense_tensor_like(value) -> bool:
    """TF < 2.4's ``ops.is_dense_tensor_like``: a Tensor or a Variable."""
    import tensorflow as tf

    return isinstance(value, (tf.Tensor, tf.Variable)) or tf.is_tensor(value)


def apply_tf_tensorlike(p: Patcher) -> None:
    from tensorflow.python.framework import ops

    if not hasattr(ops, "_TensorLike"):
        p.set_attr(ops, "_TensorLike", TensorLike)
    if not hasattr(ops, "is_dense_tensor_like"):
        p.set_attr(ops, "is_dense_tensor_like", is_dense_tensor_like)


class DecodableStr(str):
    """A ``str`` from an HDF5 attribute that also answers h5py 2's ``.decode()``.

    Keras 2 wrote strings as bytes and read them back with ``.decode('utf8')``; h5py 3
    hands back ``str``. This subclass is equal to, hashes like and formats as the plain
    string, so only code that calls ``.decode`` can tell the difference.
    """

    __slots__ = ()

    def decode(self, encoding="utf-8", errors="strict") -> str:
        return str(self)


def decoding_attr_getitem(original):
    """Wrap ``h5py.AttributeManager.__getitem__`` to hand back what h5py 2 did for the
    strings Keras 2 wrote: ``str`` values as ``DecodableStr``, and arrays of names
    (``layer_names``, ``weight_names``) as NumPy byte-string arrays, which Keras 2
    turns into lists (h5py 3 gives object arrays of ``str``: ``if weight_names:`` then
    raises "The truth value of an array ... is ambiguous")."""
    import numpy

    @functools.wraps(original)
    def __getitem__(self, name):
        value = original(self, name)
        if type(value) is str:
            return DecodableStr(value)
        if isinstance(value, numpy.ndarray) and value.dtype == object and value.size:
            items = value.ravel().tolist()
            if all(type(item) is str for item in items):
                return numpy.array([item.encode("utf-8") for item in items]).reshape(value.shape)
        return value

    return __getitem__


def apply_h5py_attr_strings(p: Patcher) -> None:
    from h5py._hl.attrs import AttributeManager

    p.set_attr(AttributeManager, "__getitem__", decoding_attr_getitem(AttributeManager.__getitem__))


# --- Keras's own modules (imported eagerly at install) -----------------------------------

# Config keys that tf.keras / tf_keras write into .h5 files and Keras 2.2/2.3
# constructors refuse: (module, class, key, action). "drop-if-false" drops the key only
# at its default (a ragged input cannot be served by Keras 2 at all, so that still fails
# loudly); "rename-if-unknown:NEW" renames it when the class's __init__ lacks it.
TF_KERAS_CONFIG_KEYS = (
    ("keras.engine.input_layer", "InputLayer", "ragged", "drop-if-false"),
    ("keras.engine.input_layer", "InputLayer", "optional", "drop-if-false"),
    ("keras.optimizers", "Optimizer", "name", "drop"),
    ("keras.optimizers", "Optimizer", "learning_rate", "rename-if-unknown:lr"),
)


def adapt_config(cls, config: dict, rules) -> dict:
    """``config`` without the tf.keras-only keys that ``rules`` name, for ``cls``."""
    import inspect

    config = dict(config)
    for key, action in rules:
        if key not in config:
            continue
        if action == "drop" or (action == "drop-if-false" and not config[key]):
            del config[key]
        elif action.startswith("rename-if-unknown:"):
            if key not in inspect.signature(cls.__init__).parameters:
                config[action.split(":", 1)[1]] = config.pop(key)
    return config


def adapting_from_config(func, rules):
    """A ``from_config`` classmethod that adapts the config, then runs ``func`` (the
    original classmethod's function) for the class it is called on."""

    @functools.wraps(func)
    def from_config(cls, config, *args, **kwargs):
        return func(cls, adapt_config(cls, config, rules), *args, **kwargs)

    return classmethod(from_config)


# tf.keras names its initializers as classes; Keras 2 has them as functions over
# VarianceScaling: class name -> (scale, mode, distribution).
TF_KERAS_INITIALIZERS = {
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "HeNormal": (2.0, "fan_in", "normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "normal"),
}


def initializer_class(variance_scaling, name: str, scale: float, mode: str, distribution: str):
    """A Keras 2 class named like tf.keras's ``name`` initializer, doing what it did."""

    def __init__(self, seed=None):
        variance_scaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (variance_scaling,), {"__init__": __init__, "get_config": get_config, "__module__": __name__})


def apply_tf_keras_configs(p: Patcher) -> None:
    import_keras()
    initializers = importlib.import_module("keras.initializers")
    for name, (scale, mode, distribution) in TF_KERAS_INITIALIZERS.items():
        if not hasattr(initializers, name):
            p.set_attr(initializers, name, initializer_class(initializers.VarianceScaling, name, scale, mode, distribution))
    by_class: dict[tuple[str, str], list] = {}
    for module_name, class_name, key, action in TF_KERAS_CONFIG_KEYS:
        by_class.setdefault((module_name, class_name), []).append((key, action))
    for (module_name, class_name), rules in by_class.items():
        cls = getattr(importlib.import_module(module_name), class_name)
        p.set_attr(cls, "from_config", adapting_from_config(cls.from_config.__func__, tuple(rules)))


def import_keras():
    """Import the standalone Keras and its TF backend module; returns (keras, backend module)."""
    keras = importlib.import_module("keras")
    backend = importlib.import_module("keras.backend.tensorflow_backend")
    importlib.import_module("keras.models")
    return keras, backend


class SymbolicScope(threading.local):
    """Keras 2.3's ``_SYMBOLIC_SCOPE``, with ``value`` True in every thread.

    Keras set ``.value = True`` once, in the importing thread; every ``@symbolic``
    function (``load_model``'s compile, layer calls...) read it from any thread and met
    ``AttributeError: '_thread._local' object has no attribute 'value'``. Keras's own
    ``@eager`` still flips it per thread, and the ``.value = True`` per-request hack
    just sets what is already there.
    """

    value = True


def in_graph_mode() -> bool:
    """Keras 2.3's ``_is_tf_1()``, asked the question it meant: is TF building graphs?"""
    import tensorflow as tf

    return not tf.executing_eagerly()


def apply_tf1_code_paths(p: Patcher) -> None:
    _, backend = import_keras()
    p.set_attr(backend, "_is_tf_1", in_graph_mode)


def apply_symbolic_scope(p: Patcher) -> None:
    _, backend = import_keras()
    p.set_attr(backend, "_SYMBOLIC_SCOPE", SymbolicScope())


def _tf_side_backend():
    # Keras 2.3 builds on TF's internal copy of tf.keras's backend: its variables,
    # K.function and sessions all live there, so that is the session API to use.
    from tensorflow.python.keras import backend

    return backend


def keras_get_session(backend):
    """The ``get_session`` that the app's Keras should use, registered with ``thread_context``."""
    from legacy_shim import thread_context

    if is_keras23():
        tf_backend = _tf_side_backend()
        return thread_context.sharing_get_session(tf_backend.get_session, backend=tf_backend)
    return _graph_aware_get_session(backend)


def _graph_aware_get_session(backend):
    # Keras 2.2 keeps one module-global session whatever the graph: a model loaded in a
    # request thread (that thread's own default graph) got the main graph's session and
    # "Tensor ... is not an element of this graph". Per graph, this gives the session
    # registered for it, or Keras's global one when it matches, or a new one.
    from legacy_shim import thread_context, worklist

    original = backend.get_session

    @functools.wraps(original)
    def get_session():
        worklist.hit("K.get_session()")
        # Keras initialises unmarked variables by adding ops to the graph: one thread at a time.
        with thread_context.graph_lock:
            return _get_session()

    def _get_session():
        import tensorflow as tf

        if tf.compat.v1.get_default_session() is None:
            graph = tf.compat.v1.get_default_graph()
            session = thread_context.registered_session(graph)
            current = backend._SESSION  # noqa: SLF001
            if session is None and current is not None and current.graph is not graph:
                session = tf.compat.v1.Session(graph=graph, config=tf.compat.v1.ConfigProto(allow_soft_placement=True))
                # The registry holds sessions weakly; the graph keeps its own alive, as
                # Keras's global keeps the main one (a cycle the GC frees with the graph).
                graph._legacy_shim_keras22_session = session  # noqa: SLF001
                thread_context.remember_session(session, override=False)
            if session is not None:
                with session.as_default():
                    return original()  # initialises the graph's new variables, as Keras does
        session = original()
        thread_context.remember_session(session, override=False)
        return session

    return get_session


def apply_sessions(p: Patcher) -> None:
    from legacy_shim import thread_context

    _, backend = import_keras()
    original_get, original_set = backend.get_session, backend.set_session
    if is_keras23():
        tf_backend = _tf_side_backend()
        set_session = thread_context.registering_set_session(tf_backend.set_session)
    else:
        set_session = thread_context.registering_set_session(original_set)
    get_session = keras_get_session(backend)
    p.replace_everywhere(original_get, get_session, ("keras",))
    p.replace_everywhere(original_set, set_session, ("keras",))


def apply_thread_context(p: Patcher) -> None:
    from legacy_shim import thread_context

    _, backend = import_keras()
    from keras.engine import saving, training

    # Resolved at call time, so it is the session row's get_session when that applied.
    session = lambda: backend.get_session()  # noqa: E731
    thread_context.patch_model_class(p, training.Model, session)

    # K.function results, called from a request thread by apps that build their own.
    if is_keras23():
        function_cls = _tf_side_backend().GraphExecutionFunction
    else:
        function_cls = backend.Function
    p.set_attr(function_cls, "__call__", thread_context.backend_function_call(function_cls.__call__, session))

    loader = saving.load_model
    p.replace_everywhere(loader, thread_context.capturing_load(loader, session), ("keras",))


def apply_clear_session_guard(p: Patcher) -> None:
    from legacy_shim import thread_context

    _, backend = import_keras()
    # Keras 2.3 on TF 2 clears TF's internal tf.keras backend, whose per-thread session it closes.
    session_owner = _tf_side_backend() if is_keras23() else backend
    original = backend.clear_session
    p.replace_everywhere(original, thread_context.guarded_clear_session(original, backend=session_owner), ("keras",))


def apply_load_once(p: Patcher) -> None:
    from legacy_shim import load_once, thread_context

    import_keras()
    from keras import models

    current = models.load_model  # the thread-context wrapper when that row applied
    p.replace_everywhere(current, load_once.caching_load_model(current, thread_context.unusable_reason), ("keras",))
