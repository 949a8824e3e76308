"""What the clear-session rule's reason says of Keras 3, checked on the installed Keras 3: if an
upgrade makes it false, this fails and the rule's description must change with it."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = r"""
import threading
import keras

seen = {}
ready, cleared = threading.Event(), threading.Event()

def other_request():
    keras.config.set_dtype_policy("mixed_float16")  # a Keras setting, made in this thread
    keras.layers.Dense(1)
    seen["before"] = (keras.config.dtype_policy().name, keras.layers.Dense(1).name)
    ready.set()
    cleared.wait()
    seen["after"] = (keras.config.dtype_policy().name, keras.layers.Dense(1).name)

thread = threading.Thread(target=other_request)
thread.start()
ready.wait()
keras.backend.clear_session()  # from another request thread
cleared.set()
thread.join()
print(seen["before"], seen["after"])
"""


def test_clear_session_in_one_thread_resets_keras_state_in_every_thread():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_USE_LEGACY_KERAS", None)
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = proc.stdout.strip().splitlines()[-1]
    # the other thread's setting and its layer-name counter are both gone after the clear
    assert line == "('mixed_float16', 'dense_1') ('float32', 'dense')", line
