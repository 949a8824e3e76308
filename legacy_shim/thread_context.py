"""Each model's graph and session, captured once and re-entered from any thread.

In graph-mode Keras 2 the default graph, the default session and the Keras session
are all per thread (tf_keras ``SessionLocal(threading.local)``, TF's default stacks).
A model built in the main thread and called from a request thread therefore meets an
empty graph ("Tensor ... not found in the Graph") or a fresh session whose variables
were never initialised ("Could not find variable ... uninitialized").

The shim remembers, per graph, the session that Keras used or was told to use
(``set_session``), captures a model's graph and session when it is loaded, compiled
or first used (building its predict function right then, under a lock, so two first
requests cannot race), and wraps the model's inference entry points so that they run
inside ``with graph.as_default(), session.as_default():`` in whatever thread calls.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import weakref

import tensorflow as tf

from legacy_shim import settings, worklist

CTX_ATTR = "_legacy_shim_ctx"

# graph -> weakref(session): the session Keras used or was given for that graph.
_graph_sessions: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# id(model) -> model, for every model whose context was captured (clear_session guard).
live_models: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()
# Graph construction is not thread-safe: building predict functions and the ops Keras adds
# to initialise variables happen under this lock, one thread at a time.
graph_lock = threading.RLock()

# The methods through which a Keras 2 model runs inference, wrapped to re-enter its graph.
INFERENCE_METHODS = (
    "predict", "predict_on_batch", "evaluate", "test_on_batch", "predict_generator", "evaluate_generator",
)


class KerasStateUse:
    """Which threads are inside a load, compile or inference call right now.

    ``K.clear_session()`` resets state other threads may be using mid-call: Keras 2.2's
    module-global session (whose only reference holds the weights a concurrent
    ``load_model`` just wrote), the learning-phase table, layer-name counters. A reset
    runs only while no other thread is in such a call, and calls that start meanwhile
    wait for it to finish.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._depth: dict[int, int] = {}  # thread id -> nesting depth of its calls
        self._resetting: int | None = None  # thread id running a reset

    @contextlib.contextmanager
    def using(self):
        me = threading.get_ident()
        with self._cond:
            while self._resetting is not None and self._resetting != me:
                self._cond.wait()
            self._depth[me] = self._depth.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                if self._depth[me] == 1:
                    del self._depth[me]
                else:
                    self._depth[me] -= 1

    def reset_unless_in_use(self, reset) -> bool:
        """Run ``reset()`` unless another thread is mid-call; True if it ran."""
        me = threading.get_ident()
        with self._cond:
            if self._resetting is not None or any(thread != me for thread in self._depth):
                return False
            self._resetting = me
        try:
            reset()
        finally:
            with self._cond:
                self._resetting = None
                self._cond.notify_all()
        return True


keras_state = KerasStateUse()


FORK_MESSAGE = (
    "legacy_shim: this process forked after TensorFlow sessions were created (gunicorn --preload, uWSGI "
    "without lazy-apps, a prefork worker pool...). TF sessions are not fork-safe: models loaded before the "
    "fork hang or crash in the child (tensorflow#2448, #8220, #51832). Load models in the worker instead: "
    "drop --preload (or use uWSGI lazy-apps), or load them in gunicorn's post_fork hook or on first request."
)
_forked_with_sessions = False


def _sessions_exist() -> bool:
    return bool(len(live_models)) or any(registered_session(g) is not None for g in list(_graph_sessions.keys()))


def _before_fork() -> None:
    if _sessions_exist():
        print(FORK_MESSAGE, file=sys.stderr, flush=True)


def _after_fork_in_child() -> None:
    global _forked_with_sessions
    _forked_with_sessions = _sessions_exist()


class ForkedSessionError(RuntimeError):
    """A model whose session was created before this process forked was used in the child."""


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def remember_session(session, *, override: bool) -> None:
    """Record ``session`` as the one to use for its graph from any thread."""
    if session is None:
        return
    graph = session.graph
    if override or registered_session(graph) is None:
        _graph_sessions[graph] = weakref.ref(session)


def registered_session(graph):
    """The live session remembered for ``graph`` (``remember_session``), or None."""
    ref = _graph_sessions.get(graph)
    session = ref() if ref is not None else None
    if session is None or session._closed:  # noqa: SLF001 - closed sessions are useless to re-enter
        return None
    return session


def session_for(graph, get_session):
    """The session to run ``graph`` in: the default one if it matches, the registered
    one, or a new Keras session (which initialises the variables) as a last resort."""
    default = tf.compat.v1.get_default_session()
    if default is not None and default.graph is graph:
        return default
    session = registered_session(graph)
    if session is not None:
        return session
    with graph.as_default():
        session = get_session()
    remember_session(session, override=False)
    return session


class ModelContext:
    """The graph and session a model lives in, and its optional predict lock."""

    __slots__ = ("graph", "session", "lock")

    def __init__(self, graph, session, lock):
        self.graph = graph
        self.session = session
        self.lock = lock

    def is_current(self) -> bool:
        return tf.compat.v1.get_default_graph() is self.graph and tf.compat.v1.get_default_session() is self.session


def model_graph(model):
    """The graph a graph-mode model's tensors live in, or None (eager or not built)."""
    for attr in ("outputs", "inputs"):
        tensors = getattr(model, attr, None) or []
        for tensor in tensors:
            graph = getattr(tensor, "graph", None)
            if graph is not None:
                return graph
    for weight in getattr(model, "weights", None) or []:
        graph = getattr(weight, "graph", None)
        if graph is not None:
            return graph
    return None


def capture(model, get_session):
    """Capture ``model``'s graph and session and build its predict function; idempotent.

    Returns the context, or None for a model that is not a graph-mode model yet.
    """
    ctx = model.__dict__.get(CTX_ATTR)
    if ctx is not None:
        return ctx
    if tf.executing_eagerly():
        return None
    with graph_lock:
        ctx = model.__dict__.get(CTX_ATTR)
        if ctx is not None:
            return ctx
        graph = model_graph(model)
        if graph is None:
            return None
        session = session_for(graph, get_session)
        # RLock: predict() calls other wrapped methods (_make_predict_function) of the same model.
        lock = threading.RLock() if settings.current.predict_lock else None
        ctx = ModelContext(graph, session, lock)
        prepare_for_threads(model, ctx, get_session)
        # object.__setattr__: Keras' own __setattr__ would try to track the context.
        object.__setattr__(model, CTX_ATTR, ctx)
        live_models[id(model)] = model
        return ctx


def unusable_reason(model) -> str | None:
    """Why a captured graph-mode model cannot run, or None: variables its session has
    not initialised (Keras state reset while it was being loaded)."""
    ctx = model.__dict__.get(CTX_ATTR)
    weights = list(getattr(model, "weights", None) or [])
    if ctx is None or not weights:
        return None
    with graph_lock, ctx.graph.as_default(), ctx.session.as_default():
        names = ctx.session.run(tf.compat.v1.report_uninitialized_variables(weights))
    if not len(names):
        return None
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    return "uninitialized variables: " + ", ".join(names[:5])


def prepare_for_threads(model, ctx, get_session) -> None:
    """Do now, under the graph lock, the graph construction Keras would do lazily on the
    first predicts: build the predict function, and let ``get_session`` initialise (and
    mark) the model's variables — a freshly loaded model's metric variables are not yet
    marked, and each first predict would add ``is_variable_initialized`` ops to the
    shared graph, concurrently. Graph construction is not thread-safe."""
    make_predict = getattr(type(model), "_make_predict_function", None)
    with graph_lock, ctx.graph.as_default(), ctx.session.as_default():
        if make_predict is not None and getattr(model, "predict_function", None) is None:
            _original(make_predict)(model)
        get_session()


def _original(func):
    # One level of __wrapped__ (set by functools.wraps): the exact function the shim
    # wrapped. inspect.unwrap would go on through Keras's own decorators.
    return getattr(func, "__wrapped__", func)


def reentering(method, get_session, idiom: str | None = None, builds_graph: bool = False):
    """Wrap a model method so that it runs in the model's own graph and session.

    ``builds_graph``: the method adds ops to the graph on every call (``model(x)`` in
    graph mode); such calls run one at a time under ``graph_lock``. A TF1-mode graph
    shares its colocation/device/control-dependency stacks and its control-flow context
    between threads, so two threads building a ``tf.cond`` (Dropout, BatchNormalization)
    at once pop each other's entries: ``IndexError: pop from empty list``.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if idiom is not None:
            worklist.hit(idiom)
        if _forked_with_sessions:
            raise ForkedSessionError(FORK_MESSAGE)
        # Taken inside keras_state.using(), in the order every other graph_lock user takes them.
        building = graph_lock if builds_graph and not tf.executing_eagerly() else contextlib.nullcontext()
        with keras_state.using(), building:
            ctx = self.__dict__.get(CTX_ATTR) or capture(self, get_session)
            if ctx is None or ctx.is_current():
                if ctx is not None and ctx.lock is not None:
                    with ctx.lock:
                        return method(self, *args, **kwargs)
                return method(self, *args, **kwargs)
            with ctx.graph.as_default(), ctx.session.as_default():
                if ctx.lock is not None:
                    with ctx.lock:
                        return method(self, *args, **kwargs)
                return method(self, *args, **kwargs)

    return wrapper


def patch_model_class(patcher, model_class, get_session, inference_methods=INFERENCE_METHODS) -> None:
    """Wrap a Keras 2 Model class: its inference methods and ``_make_predict_function``
    re-enter the model's graph and session; ``compile`` captures the model right after."""
    for method in inference_methods:
        # a predict call from app code is recorded in the worklist: it is what request handlers do
        # (one hit per request, so it says how often a handler ran; predict-speed rewrites it)
        idiom = f"model.{method}()" if method.startswith("predict") else None
        patcher.set_attr(model_class, method, reentering(getattr(model_class, method), get_session, idiom=idiom,
                                                         builds_graph=method == "__call__"))
    make_predict = model_class._make_predict_function  # noqa: SLF001
    patcher.set_attr(
        model_class,
        "_make_predict_function",
        reentering(make_predict, get_session, idiom="model._make_predict_function()"),
    )
    patcher.set_attr(model_class, "compile", capturing_after(model_class.compile, get_session))


def capturing_load(loader, get_session):
    """Wrap ``load_model`` so each loaded model is captured (and made thread-ready) at once."""

    @functools.wraps(loader)
    def load_model(filepath, *args, **kwargs):
        # In use from the first read to the capture: a reset in between would drop the
        # session holding the weights just written (Keras 2.2's global one).
        with keras_state.using():
            model = loader(filepath, *args, **kwargs)
            capture(model, get_session)
            return model

    return load_model


def capturing_after(method, get_session):
    """Wrap a method (compile, _make_predict_function) so the model is captured right after."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with keras_state.using():
            result = method(self, *args, **kwargs)
            ctx = capture(self, get_session)
            if ctx is not None:  # compile() drops the predict function and adds metric variables
                prepare_for_threads(self, ctx, get_session)
            return result

    return wrapper


def backend_function_call(call, get_session):
    """Wrap ``GraphExecutionFunction.__call__`` (``K.function``) to enter its graph."""

    @functools.wraps(call)
    def wrapper(self, inputs):
        graph = None
        for tensor in list(getattr(self, "outputs", None) or []) + list(getattr(self, "inputs", None) or []):
            graph = getattr(tensor, "graph", None)
            if graph is not None:
                break
        with keras_state.using():
            if graph is None or tf.compat.v1.get_default_graph() is graph:
                return call(self, inputs)
            session = session_for(graph, get_session)
            with graph.as_default(), session.as_default():
                return call(self, inputs)

    return wrapper


def sharing_get_session(original, backend=None):
    """``K.get_session`` that, in a thread with no session for the current graph, returns
    the session already used for that graph elsewhere instead of a fresh uninitialised one.

    ``backend`` is the Keras backend module whose per-thread ``_SESSION`` and
    ``_current_graph`` ``original`` uses: tf_keras's by default, TF's own
    ``tensorflow.python.keras.backend`` for standalone Keras 2.3.
    """

    @functools.wraps(original)
    def get_session(op_input_list=()):
        worklist.hit("K.get_session()")
        if tf.compat.v1.get_default_session() is None:
            if backend is None:
                from tf_keras.src import backend as keras_backend
            else:
                keras_backend = backend
            graph = keras_backend._current_graph(op_input_list)  # noqa: SLF001 - same lookup Keras does
            local = getattr(keras_backend._SESSION, "session", None)  # noqa: SLF001
            if local is None or local.graph is not graph:
                shared = registered_session(graph)
                if shared is not None:
                    keras_backend._SESSION.session = shared  # noqa: SLF001
        # Keras' get_session initialises unmarked variables by adding ops to the graph:
        # one thread at a time (cheap when there is nothing left to initialise).
        with graph_lock:
            session = original(op_input_list)
        remember_session(session, override=False)
        return session

    return get_session


def registering_set_session(original):
    """``K.set_session(sess)`` that also makes ``sess`` the session of its graph for every thread."""

    @functools.wraps(original)
    def set_session(session):
        worklist.hit("K.set_session(sess)")
        original(session)
        remember_session(session, override=True)

    return set_session


def guarded_clear_session(original, backend=None):
    """``K.clear_session()`` that leaves live models and other threads' calls working.

    Legacy per-request handlers call it before ``load_model``; in a threaded server it
    would reset Keras state under the feet of concurrent requests. So it is a no-op
    while another thread is inside a load, compile or predict (``keras_state``), and,
    from a non-main thread, while captured models are alive. In the main thread it
    runs, but does not close a session a live model still uses (tf_keras closes it; the
    Keras 2.x these apps were written for did not). ``backend`` is the module holding
    the per-thread ``_SESSION`` that ``original`` closes: tf_keras's by default.
    """

    @functools.wraps(original)
    def clear_session():
        worklist.hit("K.clear_session()")
        models = list(live_models.values())
        if models and threading.current_thread() is not threading.main_thread():
            return None

        def reset():
            if models:
                if backend is None:
                    from tf_keras.src import backend as keras_backend
                else:
                    keras_backend = backend
                slot = keras_backend._SESSION  # noqa: SLF001
                in_use = {id(m.__dict__[CTX_ATTR].session) for m in models}
                if id(getattr(slot, "session", None)) in in_use:
                    slot.session = None  # detach, so clear_session does not close it
            original()

        keras_state.reset_unless_in_use(reset)
        return None

    return clear_session
