"""Every manual item is true and useful: it points at a line the reader finds in the new file,
quotes the real code, names other modules the way the run names them, and gives reasons the
analysis found. One test per message class, each shaped after a real app where an earlier
wording was wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixtures.catalog import get_app, prepare
from migrate import runner
from migrate.engine import Config, migrate_source

REPO_ROOT = Path(__file__).resolve().parents[2]


def _items(source: str) -> list:
    outcome = migrate_source(textwrap.dedent(source), Config())
    assert outcome.error is None
    return outcome.manual


def test_a_predict_item_quotes_the_real_call():
    # kisna72/django-keras-catdogs shape: a model under another name, an input from a helper,
    # here with a second positional argument (batch_size), which keeps `predict` with an item
    (item,) = _items("""\
        from flask import Flask, request
        from keras.models import load_model
        from helpers import prepare
        app = Flask(__name__)
        classifier = load_model("m.h5")

        @app.route("/predict", methods=["POST"])
        def predict():
            image = prepare(request.files["image"])
            predictions = classifier.predict(image, 4)
            return str(predictions)
        """)
    assert item.line == 10
    assert "`classifier.predict(image, 4)`" in item.message
    assert "model.predict(x)" not in item.message


def test_an_option_item_quotes_the_call_and_names_the_option():
    # jyotipba-zz/Keras-Flask-REST-API shape, with an option predict_on_batch does not take
    # (its own batch_size=1 now goes through fast_predict, with no item)
    (item,) = _items("""\
        from flask import Flask, request
        import numpy as np
        import tensorflow as tf
        app = Flask(__name__)
        model = tf.keras.models.load_model("cat_vs_dog.h5")

        @app.route("/predict", methods=["POST"])
        def predict():
            img = np.expand_dims(np.asarray(request.json["img"], dtype="float32"), axis=0)
            prediction_result = model.predict(img, steps=1)
            return str(prediction_result)
        """)
    assert "`model.predict(img, steps=1)`" in item.message
    assert "predict_on_batch has no `steps` option" in item.message


def test_an_item_about_an_unwrapped_statement_points_at_it_not_at_the_deleted_with_line():
    # jaeoh2/keras-flask-api: the predict call sat in `with graph.as_default():`, which the diff deletes
    source = """\
        from flask import Flask, request
        from keras.models import load_model
        import tensorflow as tf
        app = Flask(__name__)
        model = load_model("m.h5")
        graph = tf.get_default_graph()

        @app.route("/predict", methods=["POST"])
        def predict():
            x = parse(request.get_data())
            with graph.as_default():
                out = model.predict(x, steps=1)
                return str(out)
        """
    outcome = migrate_source(textwrap.dedent(source), Config())
    (item,) = outcome.manual
    assert outcome.code.splitlines()[item.line - 1].strip() == "out = model.predict(x, steps=1, verbose=0)"
    assert textwrap.dedent(source).splitlines()[item.original_line - 1].strip() == "out = model.predict(x, steps=1)"


def test_an_as_default_on_an_imported_receiver_names_it_and_its_module():
    # ritiksingh8/Health-Care views.py: the graph is a class attribute of .apps' AppConfig, whose
    # own item names it; this file's item must not call it "not known"
    (item,) = _items("""\
        import numpy as np
        from keras import backend as K
        from .apps import MalariadiseaseConfig

        def form_handler(request):
            arr = np.zeros((1, 224, 224, 3))
            with MalariadiseaseConfig.model_graph.as_default():
                y_pred = MalariadiseaseConfig.mdl.predict(arr)
            return K.floatx(), y_pred
        """)
    assert item.line == 7
    assert "`MalariadiseaseConfig.model_graph` comes from `.apps`" in item.message
    assert "not known" not in item.message


def test_a_reader_is_named_as_the_run_names_its_file(tmp_path):
    # an app given by absolute path: the reader named in settings.py's item is spelled as the
    # reader's own entry in the report, not relative to the working directory
    app = tmp_path / "app"
    (app / "site").mkdir(parents=True)
    (app / "scoring").mkdir()
    (app / "site/settings.py").write_text(textwrap.dedent("""\
        import tensorflow as tf
        from keras.models import load_model

        MODEL = load_model("m.h5")
        GRAPH = tf.get_default_graph()
        """), encoding="utf-8")
    (app / "scoring/views.py").write_text(textwrap.dedent("""\
        from django.conf import settings

        def predict(request):
            with settings.GRAPH.as_default():
                return settings.MODEL.predict(request)

        def ops(request):
            return len(settings.GRAPH.get_operations())
        """), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "migrate", str(app), "--no-model-files", "--report", "r.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert proc.returncode == 0, proc.stderr
    files = {f["path"]: f for f in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["files"]}
    views = str(app / "scoring" / "views.py")
    assert views in files
    (item,) = [m for m in files[str(app / "site" / "settings.py")]["manual"] if "exported-name" in m["message"]]
    assert f"and {views} reads it" in item["message"]


@pytest.mark.slow(reason="imports TensorFlow under the shim and builds the fixture's model (~20-40 s)")
def test_a_file_the_items_send_to_legacy_shim_is_imported_by_it(tmp_path):
    # the advice is only worth giving if it works: every file of the app whose items say it
    # stays on the legacy path under legacy_shim imports there, its model loaded
    app = prepare(get_app("raw_tf_preprocessing"), tmp_path / "app")
    report = runner.run([str(app)], runner.RunConfig(model_files=False, diffs=False), jobs=1)
    advised = sorted({Path(f.path) for f in report.files for m in f.manual if "legacy_shim" in m["message"]})
    assert advised, "the fixture must get such an item for this test to mean anything"
    for path in advised:
        module = ".".join(path.relative_to(app).with_suffix("").parts)
        proc = subprocess.run([sys.executable, "-c", f"import legacy_shim; legacy_shim.install(); import {module}"],
                              cwd=app, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(app)])})
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_one_item_per_cause_on_a_line():
    # the session stays because graph-reentry is withdrawn: one item says so, not a second one
    # from session-config telling to port the same Session by hand
    items = _items("""\
        import tensorflow as tf
        from keras.models import load_model
        sess = tf.Session()
        graph = tf.get_default_graph()
        model = load_model("m.h5")
        def f(x):
            with graph.as_default():
                return model.predict(x)
        def g():
            return sess.list_devices()
        """)
    on_session_line = [m for m in items if m.line == 3]
    assert len(on_session_line) == 1 and "kept on the legacy path" in on_session_line[0].message


def test_a_keras_name_missing_today_is_one_item_on_its_import_line():
    # NoobNovice/flask-keras shape: keras-imports is withdrawn because the name is missing from
    # tensorflow.keras, and keras-surface reports that same name at that same line: one item
    # says it once (that the file keeps its Keras 2 imports, and what to do)
    items = _items("""\
        import keras.models
        from keras.models import model_from_yaml, load_model
        def load(text):
            return model_from_yaml(text)
        """)
    on_line = [m for m in items if m.line == 2]
    assert len(on_line) == 1, [m.message for m in on_line]
    (item,) = on_line
    assert "`model_from_yaml`" in item.message and "kept on the legacy path" in item.message
    assert "by hand" in item.message
    # tf_keras, which the shim serves as `keras`, raises on model_from_yaml(): no such claim
    assert "runs under legacy_shim" not in item.message


@pytest.mark.slow(reason="imports TensorFlow and tf_keras under the shim (~15 s)")
def test_why_that_item_does_not_say_the_file_runs_under_the_shim(tmp_path):
    # the shim serves `keras` as tf_keras, whose model_from_yaml imports but raises when called:
    # a file loading its model that way does not run under the shim, so the item above says only
    # that the file keeps its Keras 2 imports
    proc = subprocess.run(
        [sys.executable, "-c", "import legacy_shim; legacy_shim.install()\n"
                               "from keras.models import model_from_yaml\n"
                               "try:\n    model_from_yaml('class_name: Sequential')\n"
                               "except RuntimeError as exc:\n    print('RAISES', exc)\n"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RAISES" in proc.stdout


def test_a_half_migration_is_one_item_naming_what_blocks_it():
    # StaveWu/RamanSpectrometer-Flasky shape: predict could leave the graph, fit cannot; the one
    # item names the lines that keep the graph and session and why, not one item per line that
    # each says "<.as_default()> here while removing .as_default() elsewhere"
    source = textwrap.dedent("""\
        import tensorflow as tf
        class Model:
            def __init__(self, model):
                self.sess = tf.Session()
                self.graph = tf.get_default_graph()
                tf.keras.backend.set_session(self.sess)
                self.model = model
            def fit(self, xs, ys):
                with self.graph.as_default():
                    tf.keras.backend.set_session(self.sess)
                    self.model.fit(xs, ys)
            def predict(self, xs):
                with self.graph.as_default():
                    tf.keras.backend.set_session(self.sess)
                    return self.model.predict(xs)
        """)
    items = [m for m in migrate_source(source, Config()).manual if "half-migration" in m.message]
    assert len(items) == 1, [m.message for m in items]
    (item,) = items
    assert item.line == 5  # the first line that keeps machinery (the Session goes with set_session)
    assert "line 5: the TF1 default graph is still used" in item.message
    assert "line 9: graph/session re-entered around `fit`" in item.message
    # why line 5 stays, in the code's words: what still reads what it binds
    assert "`self.graph` is still read by `with self.graph.as_default():`" in item.message
    assert "here while removing" not in item.message


def test_a_raw_tf1_graph_is_one_item_naming_its_sites_and_lines():
    # ricardojdb/face-api shape: a graph built, its tensors looked up and run from handlers;
    # one cause (the graph runs on tf.compat.v1 and is ported as a whole), not one item per call
    items = _items("""\
        import tensorflow as tf
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.get_variable("w", [3, 2])
        y = tf.matmul(x, w)
        graph = tf.get_default_graph()
        scores = graph.get_tensor_by_name("MatMul:0")
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        def predict(v):
            return sess.run(y, feed_dict={x: v})
        def score(v):
            return sess.run(scores, feed_dict={x: v})
        """)
    raw = [m for m in items if m.rule == "raw-tf1-report"]
    assert len(raw) == 1, [m.message for m in raw]
    (item,) = raw
    # lines of the written file, which gains `tf.disable_v2_behavior()` under the import
    assert item.line == 3
    for what in ("tf.placeholder (fed through a session) (line 3)", "tf.get_variable (line 4)",
                 "graph.get_tensor_by_name(...) (line 7)", "session.run(...) (lines 9, 11, 13)"):
        assert what in item.message
    for what in ("tf.placeholder (fed through a session) (line 2)", "session.run(...) (lines 8, 10, 12)"):
        assert what in item.original_message
    assert "port to TF 2 by hand" in item.message


@pytest.mark.parametrize(("handler", "said"), [
    pytest.param("""\
        @app.route("/predict/<name>")
        def predict(name):
            model = load_model(name + ".h5")
            return str(model.predict(x))
        """, "predict()'s argument name", id="the route's argument"),
    pytest.param("""\
        @app.route("/predict", methods=["POST"])
        def predict():
            if os.environ.get("DEBUG"):
                path = "debug.h5"
            else:
                path = os.path.join(BASE, "m.h5")
            model = load_model(path)
            return str(model.predict(x))
        """, "path set in predict()", id="a name the handler sets"),
    pytest.param("""\
        @app.route("/predict", methods=["POST"])
        def predict():
            model = load_model(request.args["model"])
            return str(model.predict(x))
        """, "from `request`", id="the request itself"),
])
def test_a_per_request_load_item_says_where_its_arguments_come_from(handler, said):
    # "from request data" was said of any name the load reads from the handler, a constant
    # path the handler builds included: the item names what the analysis found
    items = _items("import os\nimport numpy as np\nfrom flask import Flask, request\n"
                   "from keras.models import load_model\napp = Flask(__name__)\nBASE = 'models'\nx = None\n"
                   + textwrap.dedent(handler))
    (item,) = [m for m in items if m.rule == "load-once"]
    assert said in item.message
    assert "request data" not in item.message


@pytest.mark.parametrize(("source", "overwrites"), [
    pytest.param("""\
        import tensorflow as tf
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.get_variable("w", [3, 2])
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        saver = tf.train.Saver()
        saver.restore(sess, "model.ckpt")
        """, False, id="initialised before the weights are restored: nothing lost"),
    pytest.param("""\
        import tensorflow as tf
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.get_variable("w", [3, 2])
        sess = tf.Session()
        saver = tf.train.Saver()
        saver.restore(sess, "model.ckpt")
        sess.run(tf.global_variables_initializer())
        """, True, id="initialised after the restore: the weights are overwritten"),
])
def test_an_initializer_is_said_to_reset_weights_only_after_a_load(source, overwrites):
    (item,) = [m for m in _items(source) if m.rule == "raw-tf1-report"]
    assert "global_variables_initializer()" in item.message
    assert ("overwrites the weights" in item.message) is overwrites
    assert "resets the weights" not in item.message
