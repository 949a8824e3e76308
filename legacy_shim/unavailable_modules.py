"""Imports the shim cannot serve, answered with an ImportError that says what to do instead.

``tensorflow.contrib`` was deleted in TF 2.0; no compat module holds it, and its pieces
went to different places (or nowhere). ``UNAVAILABLE`` maps each module (longest
prefix first) to that advice; the ``unavailable-imports`` row of ``legacy_shim.patches``
puts :class:`UnavailableFinder` first on ``sys.meta_path``, and each attempt is
recorded as a legacy call site for ``legacy_shim.report()``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys

from legacy_shim import worklist

_CONTRIB = ("tf.contrib was removed in TF 2.0 and legacy_shim cannot bring it back; the code that uses it "
            "must change. ")

UNAVAILABLE: dict[str, str] = {
    "tensorflow.contrib.slim": _CONTRIB + "tf.contrib.slim lives on as the tf-slim package: "
    "`pip install tf-slim`, then `import tf_slim as slim` (it runs on tf.compat.v1, in graph mode).",
    "tensorflow.contrib.layers": _CONTRIB + "use tf.compat.v1.layers / tf.keras.layers (e.g. "
    "xavier_initializer -> tf.compat.v1.glorot_uniform_initializer, l2_regularizer -> tf.keras.regularizers.l2).",
    "tensorflow.contrib.rnn": _CONTRIB + "use tf.compat.v1.nn.rnn_cell (LSTMCell, GRUCell, MultiRNNCell, "
    "DropoutWrapper) or tf.keras.layers.LSTM / GRU.",
    "tensorflow.contrib.learn": _CONTRIB + "tf.contrib.learn (and tf.estimator after it) are gone: rewrite the "
    "model with Keras (tf.keras / tf_keras); learn.preprocessing.VocabularyProcessor -> "
    "tf.keras.layers.TextVectorization.",
    "tensorflow.contrib.lite": _CONTRIB + "use tf.lite (tf.lite.TFLiteConverter, tf.lite.Interpreter).",
    "tensorflow.contrib.seq2seq": _CONTRIB + "use the tensorflow-addons package's tfa.seq2seq, or rewrite with "
    "Keras layers.",
    "tensorflow.contrib.crf": _CONTRIB + "use the tensorflow-addons package's tfa.text.crf_*.",
    "tensorflow.contrib.training": _CONTRIB + "HParams -> a dict or dataclass; bucketing -> "
    "tf.data.Dataset.bucket_by_sequence_length.",
    "tensorflow.contrib": _CONTRIB + "Find the replacement of each tf.contrib.X in TF's migration guide "
    "(https://www.tensorflow.org/guide/migrate); `tf_upgrade_v2` reports each use.",
}


def advice(fullname: str) -> str | None:
    """The message for ``fullname`` (its longest listed prefix), or None if it is not listed."""
    for prefix in sorted(UNAVAILABLE, key=len, reverse=True):
        if fullname == prefix or fullname.startswith(prefix + "."):
            return UNAVAILABLE[prefix]
    return None


class UnavailableImportError(ImportError):
    """An import of a module that no longer exists and the shim cannot serve."""


# The top of each unavailable tree: served as an empty package, so that
# `from tensorflow.contrib import slim` reaches the submodule's own advice.
PACKAGES = ("tensorflow.contrib",)


class UnavailableFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Raises :class:`UnavailableImportError` with advice for the modules of ``UNAVAILABLE``."""

    def find_spec(self, fullname, path=None, target=None):
        message = advice(fullname)
        if message is None:
            return None
        if fullname in PACKAGES:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        _record(f"import {fullname} (unavailable)")
        raise UnavailableImportError(f"No module named {fullname!r}: {message}", name=fullname)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        fullname = module.__name__

        def __getattr__(name):
            if name.startswith("__"):
                raise AttributeError(name)
            child = f"{fullname}.{name}"
            _record(f"{child} (unavailable)")
            raise UnavailableImportError(f"No module named {child!r}: {advice(child)}", name=child)

        module.__getattr__ = __getattr__
        module.__path__ = []
        module.__legacy_shim_unavailable__ = True

    @staticmethod
    def forget() -> None:
        """Drop the empty packages this finder created (uninstall)."""
        for name in PACKAGES:
            module = sys.modules.get(name)
            if module is not None and vars(module).get("__legacy_shim_unavailable__"):
                del sys.modules[name]
                parent, _, child = name.rpartition(".")
                owner = sys.modules.get(parent)
                if owner is not None and vars(owner).get(child) is module:
                    delattr(owner, child)


def _record(idiom: str) -> None:
    # The app's frame is the first one outside importlib's frozen frames and the shim.
    here = os.path.dirname(os.path.abspath(__file__))
    frame, depth = sys._getframe(1), 1
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and os.path.dirname(os.path.abspath(filename)) != here:
            worklist.hit(idiom, depth=depth + 1)
            return
        frame, depth = frame.f_back, depth + 1
