"""benchmarks/migrate_outcomes: each outcome class on a small app of our own, before and after.

The pairs are written by hand to look like what the migrator does (or fails to do) to real
apps; the classifier must put each file in the one class the issue defines for it.
"""

from __future__ import annotations

import pytest

from benchmarks import migrate_outcomes as mo

LOAD_BEFORE = """\
import tensorflow as tf
from keras.models import load_model

def init():
    model = load_model('m.h5')
    graph = tf.get_default_graph()
    return model, graph
"""
APP_STAR = """\
from load import *

model, graph = init()

def predict(x):
    with graph.as_default():
        return model.predict(x)
"""
APP_STAR_CLEARED = """\
from load import *

model = init()

def predict(x):
    return model.predict(x)
"""
APPS_BEFORE = """\
import tensorflow as tf
from keras.backend import set_session
from keras.models import load_model

sess = tf.Session()
set_session(sess)
graph = tf.get_default_graph()
model = load_model('m.h5')
"""
APPS_AFTER = """\
from tensorflow.keras.models import load_model

model = load_model('m.h5')
"""
VIEWS = """\
from keras.backend import set_session
from .apps import model, graph, sess

def predict(request):
    with graph.as_default():
        set_session(sess)
        return model.predict(request)
"""
SETTINGS_BEFORE = "import tensorflow as tf\nGRAPH = tf.get_default_graph()\nDEBUG = True\n"
SETTINGS_AFTER = "DEBUG = True\n"
DJANGO_VIEW = """\
from django.conf import settings

def predict(request):
    with settings.GRAPH.as_default():
        return request
"""
PREDICTOR_BEFORE = """\
import tensorflow as tf
from keras.backend import set_session

class Predictor:
    def __init__(self, model):
        self.sess = tf.Session()
        self.graph = tf.get_default_graph()
        self.model = model

    def predict(self, x):
        with self.graph.as_default():
            set_session(self.sess)
            return self.model.predict(x)

    def train(self, x, y):
        with self.graph.as_default():
            self.model.fit(x, y)
"""
# set_session and the `with` of predict() gone; the session, the graph and the training `with` left
PREDICTOR_HALF = PREDICTOR_BEFORE.replace("from keras.backend import set_session\n", "").replace(
    "        with self.graph.as_default():\n            set_session(self.sess)\n            return self.model.predict(x)",
    "        return self.model.predict(x)")
PREDICTOR_CLEARED = """\
class Predictor:
    def __init__(self, model):
        self.model = model

    def predict(self, x):
        return self.model.predict_on_batch(x)

    def train(self, x, y):
        self.model.fit(x, y)
"""
RAW_TF1 = """\
import tensorflow as tf
x = tf.placeholder(tf.float32)
sess = tf.Session()
"""
FROZEN_BEFORE = """\
import tensorflow as tf
with tf.gfile.GFile('m.pb', 'rb') as f:
    graph_def = tf.GraphDef()
    graph_def.ParseFromString(f.read())
with tf.Graph().as_default() as graph:
    tf.import_graph_def(graph_def, name='')
sess = tf.Session(graph=graph)

def predict(x):
    return sess.run('y:0', {'x:0': x})
"""
FROZEN_AS_FUNCTION = """\
import tensorflow as tf

def _load_frozen_graph(path):
    with tf.io.gfile.GFile(path, 'rb') as f:
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(f.read())
    return tf.compat.v1.wrap_function(lambda: tf.graph_util.import_graph_def(graph_def, name=''), [])

frozen_graph = _load_frozen_graph('m.pb').prune(['x:0'], 'y:0')

def predict(x):
    return frozen_graph(tf.constant(x, frozen_graph.inputs[0].dtype)).numpy()
"""
DJANGO_SESSION = """\
from django.contrib.sessions.models import Session

def count():
    return Session.objects.count()
"""


def _one(before: str, after: str, second: str | None = None, manual: list[str] | None = None) -> mo.FileOutcome:
    app = mo.AppFiles(before={"f.py": before}, after={"f.py": after},
                      second={"f.py": second if second is not None else after},
                      manual={"f.py": manual} if manual else {})
    [outcome] = mo.classify_app(app)
    return outcome


@pytest.mark.parametrize(("before", "after", "second", "manual", "expected"), [
    pytest.param(PREDICTOR_BEFORE, PREDICTOR_CLEARED, None, None, mo.CLEARED,
                 id="every graph and session use gone: cleared"),
    pytest.param(PREDICTOR_BEFORE, PREDICTOR_HALF, None, None, mo.HALF_MIGRATED,
                 id="set_session and one with gone, Session/get_default_graph/as_default left: half"),
    pytest.param(PREDICTOR_BEFORE, PREDICTOR_HALF, None, ["line 13: training in the graph"], mo.HALF_MIGRATED,
                 id="a manual item does not excuse a half-migration"),
    pytest.param(RAW_TF1, RAW_TF1, None, ["line 2: raw TF1 graph code"], mo.KEPT,
                 id="unchanged raw TF1 with a manual item: kept"),
    pytest.param(RAW_TF1, RAW_TF1, None, None, mo.KEPT_UNREPORTED,
                 id="unchanged raw TF1 without a manual item: kept, unreported"),
    pytest.param(PREDICTOR_BEFORE, PREDICTOR_CLEARED, PREDICTOR_CLEARED + "\n", None, mo.NOT_IDEMPOTENT,
                 id="a second run still changes the file"),
    pytest.param(PREDICTOR_BEFORE, PREDICTOR_CLEARED.replace("    def train", "  def train"), None, None,
                 mo.BROKEN, id="output does not compile"),
    pytest.param(LOAD_BEFORE, LOAD_BEFORE.replace("    graph = tf.get_default_graph()\n", ""), None, None,
                 mo.DANGLING, id="graph assignment removed but still returned: undefined name"),
    pytest.param(FROZEN_BEFORE, FROZEN_AS_FUNCTION, None, None, mo.CLEARED,
                 id="a GraphDef imported inside wrap_function is TF 2's way to call it: cleared, not half"),
    pytest.param(FROZEN_BEFORE, FROZEN_BEFORE.replace("with tf.Graph().as_default() as graph:\n    ",
                                                      "graph = tf.Graph()\n"),
                 None, None, mo.HALF_MIGRATED, id="the same GraphDef outside wrap_function still counts"),
    pytest.param(DJANGO_SESSION, DJANGO_SESSION, None, None, mo.NOTHING,
                 id="Django's Session is not TensorFlow's"),
    pytest.param("print 'hello'\n", "print 'hello'\n", None, None, mo.UNPARSEABLE,
                 id="Python 2 file left alone"),
])
def test_single_file_classes(before, after, second, manual, expected):
    assert _one(before, after, second, manual).outcome == expected


def test_dangling_names_across_modules():
    app = mo.AppFiles(
        before={"pkg/apps.py": APPS_BEFORE, "pkg/views.py": VIEWS, "pkg/__init__.py": ""},
        after={"pkg/apps.py": APPS_AFTER, "pkg/views.py": VIEWS, "pkg/__init__.py": ""},
    )
    outcomes = {o.path: o for o in mo.classify_app(app)}
    assert outcomes["pkg/apps.py"].outcome == mo.DANGLING
    assert "`graph` (read by pkg/views.py)" in outcomes["pkg/apps.py"].reason
    assert "`sess` (read by pkg/views.py)" in outcomes["pkg/apps.py"].reason
    assert outcomes["pkg/views.py"].outcome == mo.KEPT_UNREPORTED
    assert outcomes["pkg/__init__.py"].outcome == mo.NOTHING


def test_django_settings_attribute_counts_as_a_use():
    app = mo.AppFiles(
        before={"site/settings.py": SETTINGS_BEFORE, "shop/views.py": DJANGO_VIEW},
        after={"site/settings.py": SETTINGS_AFTER, "shop/views.py": DJANGO_VIEW},
    )
    outcomes = {o.path: o for o in mo.classify_app(app)}
    assert outcomes["site/settings.py"].outcome == mo.DANGLING
    assert "`GRAPH` (read by shop/views.py)" in outcomes["site/settings.py"].reason


def test_star_import_follows_the_providing_module():
    # load.py loses its module-level `graph`; app.py, unchanged, reads it through `import *`
    load_before = "import tensorflow as tf\nmodel = object()\ngraph = tf.get_default_graph()\n"
    app_source = "from load import *\n\ndef predict(x):\n    with graph.as_default():\n        return model(x)\n"
    app = mo.AppFiles(before={"load.py": load_before, "app.py": app_source},
                      after={"load.py": "model = object()\n", "app.py": app_source})
    outcomes = {o.path: o for o in mo.classify_app(app)}
    assert outcomes["load.py"].outcome == mo.DANGLING and "`graph` (read by app.py)" in outcomes["load.py"].reason
    assert outcomes["app.py"].outcome == mo.DANGLING and "`graph`" in outcomes["app.py"].reason
    # the consistent rewrite of an init() loader and its caller is clean
    load_after = "from tensorflow.keras.models import load_model\n\ndef init():\n    return load_model('m.h5')\n"
    app = mo.AppFiles(before={"load.py": LOAD_BEFORE, "app.py": APP_STAR},
                      after={"load.py": load_after, "app.py": APP_STAR_CLEARED})
    assert {o.path: o.outcome for o in mo.classify_app(app)} == {"load.py": mo.CLEARED, "app.py": mo.CLEARED}


def test_comment_mentions_are_not_machinery():
    source = "# model._make_predict_function()\n# graph.as_default()\nimport os\n"
    assert not mo.tf1_machinery(source)
    assert mo.tf1_machinery("import tensorflow as tf\ng = tf.get_default_graph()\n") == {"get_default_graph": 1}


def test_undefined_names_use_scopes_not_text():
    source = "import os\ndef f(a):\n    b = a\n    return [c for c in b] + [os, missing]\nclass K:\n    x = 1\n"
    assert mo.undefined_names(source) == {"missing"}
    assert mo.undefined_names("from somewhere import *\nprint(x)\n") is None


def test_appconfig_class_attribute_read_by_a_view():
    apps_before = ("from django.apps import AppConfig\nimport tensorflow as tf\n\n"
                   "class PredictConfig(AppConfig):\n    graph = tf.get_default_graph()\n    model = object()\n")
    apps_after = "from django.apps import AppConfig\n\nclass PredictConfig(AppConfig):\n    model = object()\n"
    view = ("from .apps import PredictConfig\n\ndef predict(request):\n"
            "    with PredictConfig.graph.as_default():\n        return PredictConfig.model(request)\n")
    app = mo.AppFiles(before={"shop/apps.py": apps_before, "shop/views.py": view},
                      after={"shop/apps.py": apps_after, "shop/views.py": view})
    outcomes = {o.path: o for o in mo.classify_app(app)}
    assert outcomes["shop/apps.py"].outcome == mo.DANGLING
    assert "`PredictConfig.graph` (read by shop/views.py)" in outcomes["shop/apps.py"].reason
