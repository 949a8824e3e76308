"""The diff holds only what the migration needs: whole-file cases, shaped after real apps, where
an earlier version also changed lines the migration had no business with."""

from __future__ import annotations

import textwrap

from migrate.engine import Config, migrate_source

LEGACY_HANDLER = textwrap.dedent("""\
    import numpy as np
    from flask import Flask
    from keras.models import load_model
    import tensorflow as tf
    app = Flask(__name__)
    if True:
    \tpass
    model = load_model("m.h5")
    graph = tf.get_default_graph()
    @app.route("/")
    def predict():
        x = np.zeros((1, 3))
        with graph.as_default():
            y = model.predict(x)
        return str(y)
    """)


def test_a_new_block_is_indented_as_its_enclosing_block_not_by_the_module_default():
    # the first indented line of the file is a TAB (libcst's module default), the handler uses spaces
    out = migrate_source(LEGACY_HANDLER, Config()).code
    assert "with PREDICT_LOCK:\n        y = model.predict_on_batch(x)\n" in out
    assert out.count("\t") == 1  # only the file's own


def test_an_already_modern_file_is_left_alone():
    # imfing/keras-flask-deploy-webapp: unused imports, a load_model only in a comment, and a
    # commented-out _make_predict_function: nothing there is the migration's
    source = textwrap.dedent("""\
        # TensorFlow and tf.keras
        import tensorflow as tf
        from tensorflow import keras

        from tensorflow.keras.models import load_model
        from tensorflow.keras.applications.mobilenet_v2 import MobileNetV2
        model = MobileNetV2(weights='imagenet')

        # Load your own trained model
        # model = load_model(MODEL_PATH)
        # model._make_predict_function()          # Necessary
        """)
    assert migrate_source(source, Config()).code == source


def test_imports_the_input_did_not_use_stay_when_others_go():
    # MLFYM/RECODUO face_functions.py: duplicated numpy/settings imports, a load_model named only
    # in a comment; the graph/session imports the rewrite left unused go
    source = textwrap.dedent("""\
        from django.conf import settings
        import numpy as np
        import time
        import numpy as np
        from keras.models import load_model
        from django.conf import settings
        import tensorflow as tf
        from tensorflow.python.keras.backend import set_session
        from .apps import Lmodel

        sess = tf.Session()
        set_session(sess)
        Lgraph = tf.get_default_graph()

        def deep_face(image_data):
            # model = load_model(settings.MODEL_ROOT + '/m.h5')
            with Lgraph.as_default():
                set_session(sess)
                return Lmodel.predict(image_data)
        """)
    out = migrate_source(source, Config()).code
    assert out.count("import numpy as np\n") == 2 and out.count("from django.conf import settings\n") == 2
    assert "from keras.models import load_model\n" in out and "import time\n" in out
    assert "set_session" not in out and "import tensorflow" not in out


def test_commented_out_code_above_a_removed_statement_stays():
    # vihar/flask-keras-mnist-model model/load.py: the user's commented-out evaluation sat right
    # above the graph capture the rewrite removes; it was not about that line
    source = textwrap.dedent("""\
        import tensorflow as tf
        from keras.models import model_from_json

        def init():
        \tloaded_model = model_from_json("{}")
        \t#loss,accuracy = model.evaluate(X_test,y_test)
        \t#print('loss:', loss)
        \tgraph = tf.get_default_graph()

        \treturn loaded_model,graph
        """)
    out = migrate_source(source, Config()).code
    assert "get_default_graph" not in out
    assert "\t#loss,accuracy = model.evaluate(X_test,y_test)\n\t#print('loss:', loss)\n" in out


def test_only_a_print_that_reported_on_removed_machinery_goes():
    # MLFYM/RECODUO: print("**set_session 성공**") outlived the set_session it reported on. A
    # print right after a load the migration moves (not removes) is the app's own, and stays.
    source = textwrap.dedent("""\
        from flask import Flask
        import tensorflow as tf
        from keras.models import load_model
        from tensorflow.python.keras.backend import set_session
        app = Flask(__name__)
        sess = tf.Session()
        set_session(sess)
        print("**set_session 성공**")
        Lgraph = tf.get_default_graph()
        print("**get_default_graph 성공**")
        print("graph ready")
        @app.route("/p")
        def p():
            model = load_model("m.h5")
            print("model loaded")
            return str(model.predict(x))
        """)
    out = migrate_source(source, Config()).code
    assert "성공" not in out
    assert 'print("graph ready")' in out  # not right after a removed call: kept
    assert 'print("model loaded")' in out
