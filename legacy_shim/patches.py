"""Every runtime patch the shim makes, in one table: ``PATCHES`` at the bottom of this file.

Read the table to know everything ``import legacy_shim`` does. Each row says what it
targets, what it puts there, the failure it exists for, and when it applies; the small
functions above it do the work through a ``Patcher`` (which records the originals so
``legacy_shim.uninstall()`` can put them back). Rows apply in order.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from legacy_shim import app_style, graphdef_once, keras_aliases, load_once, standalone_keras, tf1_surface, worklist
from legacy_shim.registry import Patch, Patcher

# --- when: conditions ----------------------------------------------------------------


def _always():
    return None


def _need(module_name: str, why: str):
    def when():
        return None if importlib.util.find_spec(module_name) is not None else f"{module_name} is not installed: {why}"

    return when


def _graph_style():
    decision = app_style.current
    if decision is not None and decision.mode == app_style.EAGER:
        return f"the app runs in TF 2 eager mode: {decision.reason}"
    return None


def _tf_keras_serves_keras():
    if importlib.util.find_spec("tf_keras") is None:
        return "tf_keras is not installed: `pip install tf-keras` to serve Keras 2 apps"
    # The distribution, not sys.modules["keras"]: once the keras2-imports row applied,
    # `keras` there is tf_keras's Keras 2 API under the alias.
    version = standalone_keras.installed_keras_version()
    if version is not None and not version.startswith("3"):
        return f"standalone Keras {version} is on the path; it is used as is"
    return None


# --- apply: the changes ---------------------------------------------------------------


def _tf():
    import tensorflow

    return tensorflow


def _backend():
    from tf_keras.src import backend

    return backend


def _thread_context():
    # Imported late: it imports tensorflow, which must come after the env row.
    from legacy_shim import thread_context

    return thread_context


def _import_keras2_api() -> None:
    # Import the public API trees so replace_everywhere sees every re-export.
    import tf_keras  # noqa: F401
    import tf_keras.api._v1.keras  # noqa: F401
    from tf_keras.src.engine import sequential, training_v1  # noqa: F401


def apply_legacy_keras_env(p: Patcher) -> None:
    p.set_item(os.environ, "TF_USE_LEGACY_KERAS", "1")


def apply_graph_mode(p: Patcher) -> None:
    tf = _tf()
    tf1_surface.graph_mode_on(tf)
    p.on_undo(lambda: tf1_surface.graph_mode_off(tf))  # returns a note if eager stays off


def apply_graph_tensor_errors(p: Patcher) -> None:
    _tf()
    from tensorflow.python.framework import ops

    from legacy_shim import graph_tensor_errors

    cls = ops.SymbolicTensor  # graph tensors only: an EagerTensor keeps its own methods
    p.set_attr(cls, "__getattr__", graph_tensor_errors.naming_getattr(cls.__getattr__))
    p.set_attr(cls, "__array__", graph_tensor_errors.naming_array(cls.__array__))


def apply_tf1_names(p: Patcher) -> None:
    tf = _tf()
    for name, value in tf1_surface.v1_only_names(tf).items():
        p.set_attr(tf, name, value)


def apply_tf1_changed_names(p: Patcher) -> None:
    tf = _tf()
    for name, value in tf1_surface.changed_names(tf).items():
        p.set_attr(tf, name, value)


def apply_keras2_imports(p: Patcher) -> None:
    tf = _tf()
    _import_keras2_api()
    for name in keras_aliases.aliased_module_names():
        p.del_item(sys.modules, name)
    finder = keras_aliases.KerasAliasFinder()
    sys.meta_path.insert(0, finder)
    p.on_undo(lambda: sys.meta_path.remove(finder) if finder in sys.meta_path else None)
    p.on_undo(keras_aliases.purge_aliases)  # runs first on uninstall, so the originals above go back
    # An eager (TF 2-era) app gets the tf.keras that TF_USE_LEGACY_KERAS=1 gives: the v2 API.
    eager = app_style.current is not None and app_style.current.mode == app_style.EAGER
    p.set_attr(keras_aliases, "api_root", keras_aliases.V2_API if eager else keras_aliases.V1_API)
    keras2 = keras_aliases.resolve("")
    p.set_attr(tf, "keras", keras2)
    if "__version__" not in vars(keras2):  # apps log keras.__version__; the v1 API tree lacks it
        import tf_keras

        p.set_attr(keras2, "__version__", tf_keras.__version__)


def apply_keras2_import_surface(p: Patcher) -> None:
    from legacy_shim import keras2_surface

    keras_aliases.install_import_surface(p, keras2_surface.MOVED, keras2_surface.REMOVED)


def apply_unavailable_imports(p: Patcher) -> None:
    from legacy_shim import unavailable_modules

    finder = unavailable_modules.UnavailableFinder()
    sys.meta_path.insert(0, finder)
    p.on_undo(lambda: sys.meta_path.remove(finder) if finder in sys.meta_path else None)
    p.on_undo(finder.forget)  # runs first


def apply_session_sharing(p: Patcher) -> None:
    thread_context = _thread_context()
    _import_keras2_api()
    backend = _backend()
    get_session = thread_context.sharing_get_session(backend.get_session)
    p.replace_everywhere(backend.get_session, get_session, ("tf_keras",))
    p.replace_everywhere(backend.set_session, thread_context.registering_set_session(backend.set_session), ("tf_keras",))
    # tf.compat.v1.keras resolves lazily to the same tf_keras functions, covered above.


def apply_thread_context(p: Patcher) -> None:
    thread_context = _thread_context()
    _import_keras2_api()
    from tf_keras.src.engine import training_v1
    from tf_keras.src.saving import saving_api

    backend = _backend()
    # Resolved at call time through the module, so it is the session-sharing get_session.
    session = lambda: backend.get_session()  # noqa: E731
    Model = training_v1.Model
    thread_context.patch_model_class(p, Model, session, thread_context.INFERENCE_METHODS + ("__call__",))
    # The predict loop sets model.stop_training on every call; Keras' __setattr__ deletes the
    # attribute before setting it again, so a concurrent predict could find it missing. With a
    # class attribute of that name, __setattr__ takes its plain path.
    p.set_attr(Model, "stop_training", False)
    function_cls = backend.GraphExecutionFunction
    p.set_attr(function_cls, "__call__", thread_context.backend_function_call(function_cls.__call__, session))

    loader = saving_api.load_model
    p.replace_everywhere(loader, thread_context.capturing_load(loader, session), ("tf_keras",))


def apply_clear_session_guard(p: Patcher) -> None:
    thread_context = _thread_context()
    _import_keras2_api()
    backend = _backend()
    p.replace_everywhere(backend.clear_session, thread_context.guarded_clear_session(backend.clear_session), ("tf_keras",))


def apply_load_once(p: Patcher) -> None:
    thread_context = _thread_context()
    _import_keras2_api()
    from tf_keras.src import models

    current = models.load_model  # the thread-context wrapper when that row applied
    p.replace_everywhere(current, load_once.caching_load_model(current, thread_context.unusable_reason), ("tf_keras",))


def apply_predict_classes(p: Patcher) -> None:
    _import_keras2_api()
    from tf_keras.src.engine import sequential

    from legacy_shim import keras2_methods

    p.set_attr(sequential.Sequential, "predict_classes", keras2_methods.predict_classes)
    p.set_attr(sequential.Sequential, "predict_proba", keras2_methods.predict_proba)


def apply_load_img_file_objects(p: Patcher) -> None:
    _import_keras2_api()
    from tf_keras.src.utils import image_utils

    from legacy_shim import keras2_image

    original = image_utils.load_img
    p.replace_everywhere(original, keras2_image.file_object_load_img(original), ("tf_keras",))


def apply_graphdef_once(p: Patcher) -> None:
    tf = _tf()
    v1 = tf.compat.v1
    wrapped = graphdef_once.reusing_import_graph_def(v1.import_graph_def, v1.get_default_graph)
    for owner in (tf, v1, tf.graph_util, v1.graph_util):
        if getattr(owner, "import_graph_def", None) is wrapped.__wrapped__:
            p.set_attr(owner, "import_graph_def", wrapped)


def apply_worklist(p: Patcher) -> None:
    tf = _tf()
    for name, idiom in (
        ("get_default_graph", "tf.get_default_graph()"),
        ("placeholder", "tf.placeholder()"),
        ("global_variables_initializer", "tf.global_variables_initializer()"),
        ("import_graph_def", "tf.import_graph_def()"),
    ):
        if hasattr(tf, name):
            p.set_attr(tf, name, worklist.recording(getattr(tf, name), idiom))
    session_cls = tf.compat.v1.Session
    p.set_attr(session_cls, "__init__", worklist.recording(session_cls.__init__, "tf.Session()"))


# --- the table --------------------------------------------------------------------------

PATCHES: tuple[Patch, ...] = (
    Patch(
        id="legacy-keras-env",
        target="os.environ['TF_USE_LEGACY_KERAS']",
        replacement="'1'",
        why="tf.keras must be Keras 2 (tf_keras); TF reads this when tf.keras is first touched",
        when=_need("tf_keras", "tf.keras would be Keras 3, which has no graph mode or sessions"),
        apply=apply_legacy_keras_env,
    ),
    Patch(
        id="tf1-graph-mode",
        target="tf.compat.v1.disable_v2_behavior()",
        replacement="graph mode, as in TF 1.x",
        why="legacy apps build graphs and run them in sessions; Keras 2's predict needs graph mode for that",
        when=_graph_style,
        apply=apply_graph_mode,
    ),
    Patch(
        id="graph-tensor-errors",
        target="SymbolicTensor.numpy (missing) and SymbolicTensor.__array__ (graph tensors only)",
        replacement="the same AttributeError / NotImplementedError, saying why the app runs in graph mode and the "
        "fix (LEGACY_SHIM_MODE=eager and no TF 1 code, or model.predict(x) instead of model(x))",
        why="AttributeError: 'SymbolicTensor' object has no attribute 'numpy' / NotImplementedError: Cannot convert "
        "a symbolic tf.Tensor: TF 2 eager code (model(x).numpy(), np.argmax(model(x))) in an app run in graph mode",
        when=_graph_style,
        apply=apply_graph_tensor_errors,
    ),
    Patch(
        id="tf1-names",
        target="tensorflow.<each public tf.compat.v1 name tf lacks>",
        replacement="the tf.compat.v1 object (tf.Session, tf.get_default_graph, tf.ConfigProto, tf.placeholder, ...)",
        why="AttributeError: module 'tensorflow' has no attribute 'Session' (and ~200 more)",
        when=_graph_style,
        apply=apply_tf1_names,
    ),
    Patch(
        id="tf1-changed-names",
        target="tensorflow.<each name whose v1 object differs: nn, train, losses, layers, Variable, ...>",
        replacement="the tf.compat.v1 object, as `import tensorflow.compat.v1 as tf` gives",
        why="same names, changed meaning: tf.train.AdamOptimizer, tf.nn.moments(keep_dims=...), tf.losses.*",
        when=_graph_style,
        apply=apply_tf1_changed_names,
    ),
    # --- standalone Keras 2.2.4 / 2.3.1 (a real Keras 2.x first on sys.path) ---
    # Environment bridges first (Keras 2 needs them while it is imported), then the rows
    # that import Keras eagerly and patch its own modules. All skip unless a real
    # Keras 2.2/2.3 is what `import keras` gives, so tf_keras apps never see them.
    Patch(
        id="py310-collections-abcs",
        target="collections.Iterable, Mapping, Sequence, Container, ... (the ABCs missing from collections)",
        replacement="the same classes from collections.abc",
        why="ImportError: cannot import name 'Iterable' from 'collections' (Keras 2 callbacks; removed in Python 3.10)",
        when=standalone_keras.when_collections_abcs_missing,
        apply=standalone_keras.apply_collections_abcs,
    ),
    Patch(
        id="numpy1-aliases",
        target="numpy.float, int, object, str, string_, unicode_, float_, Inf, NaN, ... (each one missing)",
        replacement="what each alias meant in NumPy 1.x (float, numpy.bytes_, numpy.str_, numpy.inf, ...)",
        why="AttributeError: `np.string_` was removed in the NumPy 2.0 release (Keras 2 saving, callbacks)",
        when=standalone_keras.when_numpy_aliases_missing,
        apply=standalone_keras.apply_numpy_aliases,
    ),
    Patch(
        id="tf-tensorlike",
        target="tensorflow.python.framework.ops._TensorLike / is_dense_tensor_like (when missing)",
        replacement="a class whose isinstance() is tf.is_tensor(); TF < 2.4's is_dense_tensor_like",
        why="AttributeError: module 'tensorflow.python.framework.ops' has no attribute '_TensorLike' (K.is_tensor)",
        when=standalone_keras.when_tf_tensorlike_missing,
        apply=standalone_keras.apply_tf_tensorlike,
    ),
    Patch(
        id="h5py3-attr-strings",
        target="h5py AttributeManager.__getitem__",
        replacement="the same, str values returned as a str subclass that also has .decode()",
        why="AttributeError: 'str' object has no attribute 'decode' (Keras 2 load_model on h5py 3)",
        when=standalone_keras.when_h5py_returns_str,
        apply=standalone_keras.apply_h5py_attr_strings,
    ),
    Patch(
        id="tf-keras-h5-configs",
        target="keras InputLayer.from_config, Optimizer.from_config, keras.initializers.GlorotUniform & co. "
        "(keras imported here)",
        replacement="the same, without the config keys tf.keras added (ragged=False, optional=False, optimizer "
        "name; learning_rate as lr for Keras 2.2); tf.keras's initializer classes as VarianceScaling",
        why="ValueError: Unknown initializer: GlorotUniform; TypeError: InputLayer.__init__() got an unexpected "
        "keyword argument 'ragged' (a .h5 saved by tf.keras / tf_keras, loaded by Keras 2.2/2.3)",
        when=standalone_keras.when_standalone,
        apply=standalone_keras.apply_tf_keras_configs,
    ),
    Patch(
        id="keras23-tf1-code-paths",
        target="keras.backend.tensorflow_backend._is_tf_1 (Keras 2.3; keras imported here)",
        replacement="True while TF is in graph mode (as the tf1-graph-mode row makes it)",
        why="NotImplementedError: numpy() is only available when eager execution is enabled (K.get_value, "
        "model.save), and get_session/set_session refusing 'when using TensorFlow 2.0'",
        when=standalone_keras.when_standalone_23,
        apply=standalone_keras.apply_tf1_code_paths,
    ),
    Patch(
        id="keras23-symbolic-scope",
        target="keras.backend.tensorflow_backend._SYMBOLIC_SCOPE (Keras 2.3; keras imported here)",
        replacement="a thread-local whose value is True in every thread",
        why="AttributeError: '_thread._local' object has no attribute 'value' (any @symbolic call off the importing thread)",
        when=standalone_keras.when_standalone_23,
        apply=standalone_keras.apply_symbolic_scope,
    ),
    Patch(
        id="standalone-keras-sessions",
        target="keras K.get_session / K.set_session (every re-export)",
        replacement="Keras 2.3: TF's own v1 Keras session API; Keras 2.2: its own; both remembering each "
        "graph's session for every thread",
        why="RuntimeError: `set_session` is not available when using TensorFlow 2.0; fresh uninitialised "
        "sessions in request threads",
        when=standalone_keras.when_standalone,
        apply=standalone_keras.apply_sessions,
    ),
    Patch(
        id="standalone-keras-thread-context",
        target="keras.engine.training.Model predict/predict_on_batch/evaluate/test_on_batch/*_generator/"
        "_make_predict_function/compile, K.function calls, load_model",
        replacement="the thread-context wrappers: capture graph+session at load/compile/first use, build the "
        "predict function once, re-enter graph+session in the calling thread",
        why="ValueError: Tensor ... is not an element of this graph; FailedPreconditionError ... uninitialized",
        when=standalone_keras.when_standalone,
        apply=standalone_keras.apply_thread_context,
    ),
    Patch(
        id="standalone-keras-clear-session-guard",
        target="keras K.clear_session (every re-export)",
        replacement="a no-op while another thread is inside a load/compile/predict, and from non-main threads while "
        "captured models are alive; never closes their sessions",
        why="per-request K.clear_session() resets Keras 2.2's global session under a concurrent request's load "
        "(FailedPreconditionError: Attempting to use uninitialized value ...)",
        when=standalone_keras.when_standalone,
        apply=standalone_keras.apply_clear_session_guard,
    ),
    Patch(
        id="standalone-keras-load-once",
        target="keras load_model (every re-export)",
        replacement="the load-once cache (path, mtime, size, custom objects, arguments)",
        why="load_model per request: a new copy of the model in each thread's graph, every request, never freed",
        when=standalone_keras.when_standalone,
        apply=standalone_keras.apply_load_once,
    ),
    Patch(
        id="keras2-imports",
        target="import keras / keras.* / tensorflow.keras.* / tensorflow.python.keras.*; tf.keras",
        replacement="tf_keras's v1 API modules (keras.backend.tensorflow_backend: legacy_shim.keras_legacy_backend); "
        "its v2 API, as TF_USE_LEGACY_KERAS=1 gives, for an app in TF 2 eager mode",
        why="`import keras` is Keras 3: no get_session/set_session, cannot load TF1-era .h5 files",
        when=_tf_keras_serves_keras,
        apply=apply_keras2_imports,
    ),
    Patch(
        id="keras2-import-surface",
        target="keras.<module>.<name> for the Keras 2.2.4 / 2.3.1 names tf_keras lacks there "
        "(legacy_shim.keras2_surface, generated from the real wheels)",
        replacement="MOVED: the tf_keras equivalent (keras.layers.merge.concatenate, keras.optimizers.adam, "
        "keras.engine.topology.Layer...); REMOVED: an ImportError saying what replaced the name "
        "(multi_gpu_model: tf.distribute.MirroredStrategy)",
        why="ModuleNotFoundError: No module named 'keras.layers.merge' / ImportError: cannot import name "
        "'BatchNormalization' from 'keras.layers.normalization' (a quarter of Keras 2's import surface)",
        when=_tf_keras_serves_keras,
        apply=apply_keras2_import_surface,
    ),
    Patch(
        id="unavailable-imports",
        target="import tensorflow.contrib[.slim/.layers/.rnn/.learn/...] (legacy_shim.unavailable_modules)",
        replacement="an ImportError naming the module and what replaces it (tf-slim, tf.compat.v1.layers, "
        "tf.compat.v1.nn.rnn_cell, ...); the shim cannot serve these, the app's code must change",
        why="ModuleNotFoundError: No module named 'tensorflow.contrib' (removed in TF 2.0), with no hint",
        when=_always,
        apply=apply_unavailable_imports,
    ),
    Patch(
        id="session-sharing",
        target="tf_keras K.get_session / K.set_session (every re-export)",
        replacement="the same, remembering each graph's session for every thread",
        why="FailedPreconditionError: Could not find variable ... uninitialized (a fresh session per thread)",
        when=_tf_keras_serves_keras,
        apply=apply_session_sharing,
    ),
    Patch(
        id="thread-context",
        target="tf_keras training_v1.Model predict/predict_on_batch/evaluate/test_on_batch/__call__/"
        "_make_predict_function/compile, K.function calls, load_model",
        replacement="wrappers that capture the model's graph+session at load/compile/first use, build the predict "
        "function once under a lock, and re-enter graph+session in the calling thread; in a process forked "
        "after sessions existed (gunicorn --preload) they raise ForkedSessionError saying what to do",
        why="Tensor ... not found in the Graph / not an element of this graph, from request threads; first-call races",
        when=_tf_keras_serves_keras,
        apply=apply_thread_context,
    ),
    Patch(
        id="clear-session-guard",
        target="tf_keras K.clear_session (every re-export)",
        replacement="a no-op while another thread is inside a load/compile/predict, and from a non-main thread while "
        "captured models are alive",
        why="per-request K.clear_session() resets Keras state under concurrent requests",
        when=_tf_keras_serves_keras,
        apply=apply_clear_session_guard,
    ),
    Patch(
        id="load-once",
        target="tf_keras load_model (every re-export)",
        replacement="a cache keyed by path, mtime, size, custom objects and arguments; a model that cannot run "
        "(uninitialised variables) or a file that changed while read is never cached",
        why="load_model per request rebuilds the model each time: ~100x slower, racy under threads",
        when=_tf_keras_serves_keras,
        apply=apply_load_once,
    ),
    Patch(
        id="keras2-predict-classes",
        target="tf_keras Sequential.predict_classes / predict_proba",
        replacement="Keras 2.x's own implementations",
        why="AttributeError: 'Sequential' object has no attribute 'predict_classes' (removed in TF 2.6)",
        when=_tf_keras_serves_keras,
        apply=apply_predict_classes,
    ),
    Patch(
        id="load-img-file-objects",
        target="tf_keras load_img (keras.preprocessing.image, keras.utils; every re-export)",
        replacement="the same, also taking a readable file object (a Flask/Werkzeug upload), read as the "
        "io.BytesIO of the bytes PIL reads, as keras-preprocessing <= 1.1.0 (Keras 2.2.4 / 2.3.1's) did",
        why="TypeError: path should be path-like or io.BytesIO, not <class '...FileStorage'> "
        "(image.load_img(request.files['image'], target_size=...))",
        when=_tf_keras_serves_keras,
        apply=apply_load_img_file_objects,
    ),
    Patch(
        id="graphdef-once",
        target="tf.import_graph_def (tf, tf.compat.v1, tf.graph_util)",
        replacement="the same, reusing the first import of a GraphDef with the same bytes and name into the same "
        "graph (no input_map); warns once with the fix",
        why="the retrain/label_image snippet imports the .pb per request: +23 ops and +1.8 MB per request on the "
        "fixture app, latency growing without bound where requests share a default graph",
        when=_always,
        apply=apply_graphdef_once,
    ),
    Patch(
        id="worklist",
        target="tf.get_default_graph, tf.placeholder, tf.global_variables_initializer, tf.import_graph_def, "
        "tf.Session.__init__",
        replacement="the same, recording the app's call site for legacy_shim.report()",
        why="the runtime worklist: which legacy idioms this app really uses, file:line",
        when=_always,
        apply=apply_worklist,
    ),
)
