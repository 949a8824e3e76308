"""load-once on handler shapes beyond the rule's own examples."""

from __future__ import annotations

import textwrap

import pytest

from migrate.engine import Config, apply_rules
from migrate.rules.load_once import LoadOnce


def _source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _run(source: str):
    outcome = apply_rules(_source(source), Config(select=frozenset({LoadOnce.NAME})), rules=[LoadOnce])
    assert outcome.error is None, outcome.error
    return outcome


def test_same_load_in_two_routes_is_hoisted_once():
    outcome = _run(
        """
        from keras.models import load_model

        @app.route("/a")
        def a():
            model = load_model("m.h5")
            return model.predict(x_a())

        @app.route("/b")
        def b():
            model = load_model("m.h5")
            return model.predict(x_b())
        """
    )
    assert outcome.code.count('load_model("m.h5")') == 1
    assert outcome.code.index('model = load_model("m.h5")') < outcome.code.index("def a")
    assert not outcome.manual


def test_different_loads_into_one_name_are_reported():
    outcome = _run(
        """
        from keras.models import load_model

        @app.route("/a")
        def a():
            model = load_model("a.h5")
            return model.predict(x_a())

        @app.route("/b")
        def b():
            model = load_model("b.h5")
            return model.predict(x_b())
        """
    )
    assert outcome.code.count("load_model(") == 2
    # b's load, which stays: line 10 of the input, line 11 of the new text (a's load moved above it)
    assert [(m.line, m.original_line) for m in outcome.manual] == [(11, 10)]
    assert outcome.code.splitlines()[10].strip() == 'model = load_model("b.h5")'


def test_name_defined_after_the_handler_is_reported():
    source = """
        from keras.models import load_model

        @app.route("/a")
        def a():
            model = load_model(PATH)
            return model.predict(x_a())

        PATH = "m.h5"
        """
    outcome = _run(source)
    assert outcome.code == _source(source)
    assert [m.line for m in outcome.manual] == [5]


@pytest.mark.parametrize(
    "handler",
    [
        # Django function view
        "def view(request):\n    model = load_model('m.h5')\n    return model.predict(x)\n",
        # Tornado handler method
        "class H(tornado.web.RequestHandler):\n    def post(self):\n        model = load_model('m.h5')\n"
        "        self.write(model.predict(x))\n",
        # Sanic async route
        "@app.route('/p')\nasync def p(request):\n    model = load_model('m.h5')\n    return model.predict(x)\n",
        # work item handed to a thread pool
        "def score(item):\n    model = load_model('m.h5')\n    return model.predict(item)\n"
        "results = list(pool.map(score, items))\n",
    ],
    ids=["django-view", "tornado-handler", "sanic-async", "pool-work-item"],
)
def test_handler_kinds(handler):
    outcome = _run("from keras.models import load_model\n" + handler)
    lines = outcome.code.splitlines()
    assert lines[1] == "model = load_model('m.h5')", outcome.code
    assert outcome.code.count("load_model('m.h5')") == 1


def test_second_run_is_a_noop():
    first = _run(
        """
        from keras.models import load_model
        MODEL_FILE = "m.h5"

        @app.route("/p")
        def p():
            global model
            model = load_model(MODEL_FILE)
            model.compile(loss="mse", optimizer="sgd")
            return model.predict(x())
        """
    )
    assert "global" not in first.code
    assert _run(first.code).code == first.code


def test_a_comment_above_the_handler_is_not_copied_above_the_hoisted_load():
    # Verdagio/Tensorflow-keras-flask-app shape: the comment above `def init()` stays there once
    route = """
        @app.route("/predict", methods=["POST"])
        def predict():
            model = init()
            return str(model.predict(parse(request.data)))
        """
    outcome = _run(
        """
        import keras as kr
        app = Flask(__name__)

        #load up our previously trained model
        def init():
            model = kr.models.load_model("./data/mnist_nn.h5")
            return model
        """ + route
    )
    assert outcome.code == _source(
        """
        import keras as kr
        app = Flask(__name__)

        model = kr.models.load_model("./data/mnist_nn.h5")

        #load up our previously trained model
        def init():
            return model
        """ + route
    )
