"""``keras.backend.tensorflow_backend`` for Keras-2 apps served by tf_keras.

Standalone Keras 2 exposed its TF backend under this name, and apps import it for
``get_session``/``set_session`` and for the ``_SYMBOLIC_SCOPE.value = True`` per-request
hack. Everything is read through from tf_keras's backend (so the shim's patched
``get_session``/``set_session`` are what callers get); ``_SYMBOLIC_SCOPE`` is a
thread-local whose ``value`` is True in every thread, which makes the hack harmless.
"""

import threading

from tf_keras.src import backend as _backend


class _SymbolicScope(threading.local):
    value = True


_SYMBOLIC_SCOPE = _SymbolicScope()


def __getattr__(name):
    return getattr(_backend, name)


def __dir__():
    return sorted(set(dir(_backend)) | {"_SYMBOLIC_SCOPE"})
