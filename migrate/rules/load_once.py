"""Hoist a model load out of a request handler to module level, so it runs once.

`load_model(...)` (or `model_from_json(...)` + `load_weights(...)`) inside a handler reads and
builds the model on every request; apps did it after `K.clear_session()` to dodge graph
growth. When nothing the load reads comes from the request, the same statements run once
at import instead, right before the handler, and the handler uses the module-level model.

     MODEL_FILE = "model.h5"
    +model = load_model(MODEL_FILE)

     @app.route("/predict", methods=["POST"])
     def predict():
    -    model = load_model(MODEL_FILE)
         x = np.array(request.get_json()["instances"])

A handler is anything that runs per request (handlers.py): a route, a view method, and the
set-up hooks frameworks call on a fresh view per request (Tornado's `initialize()` and
`prepare()`, Django's `View.setup()`). A load into `self.model` there becomes a module-level
model (named `model`, or `<class>_model` when that name is taken) and `self.model = model`.

A helper the handler calls for its model (`def get_model(): return load_model(PATH)`) keeps
its name and returns the model loaded once: `loaded_model = load_model(PATH)` before it,
`return loaded_model` in it. A service-class method the route calls (`service.score(rows)`)
counts as per request like the route itself.

A `keras.applications` network built with its weights (`ResNet50(weights="imagenet")`, the
default, or a weights file) is a load too: it is built and its weights read once, the same way.

A load whose arguments depend on the request (a model name in the URL...) is reported, as is
one reading an attribute of self (its value is not known before an instance exists), one
nested in an `if`/`try` of the handler, one inside an expression that no plain name holds
(`InceptionV3(...).predict(x)`, `MODELS[k] = load_model(p)`) or one reading names defined
after the handler.

`model.load_weights(path)` on its own in per-request code (a model built once, its weights
read again on every request) is reported on its line, with why it stays: reading the file
once changes the answers whenever the file or the model's weights change between requests,
so the item names what in the file can change them (a path given by the caller or the
request, a `save` / `save_weights` / `fit` of a model) or, when nothing here does, says that
only the whole app can tell. In the served real apps that do it (RingSho/docker-flask-keras)
the read is most of a request's time and costs more on Keras 3 than in the legacy app, which
keeps the migrated app 1.1-1.4x behind (benchmarks/real_apps_serve.py).
"""

from __future__ import annotations

import builtins
import re

import libcst as cst

from migrate.analysis.blocks import BlockEditor
from migrate.analysis.models import APPLICATION_CONSTRUCTORS, LOADERS, MODEL
from migrate.analysis.names import ImportNames, dotted
from migrate.rules.base import Example, Rule, line_refs, quoted
from migrate.analysis.walk import calls_in, transform, walk

# methods of the loaded model that belong to loading it (they follow it out of the handler)
LOAD_FOLLOWERS = frozenset({"load_weights", "compile", "_make_predict_function", "summary"})
# calls on a model that change the weights a per-request `load_weights` would read or reset
WEIGHT_WRITERS = frozenset({"save", "save_weights"})
WEIGHT_TRAINERS = frozenset({"fit", "fit_generator", "train_on_batch", "set_weights"})
SAVE_FUNCTIONS = frozenset({"keras.models.save_model", "keras.saving.save_model"})
# a request that opens a session of its own and loads the model into it
SESSION_MAKERS = frozenset({"tensorflow.Session", "tensorflow.compat.v1.Session", "tensorflow.InteractiveSession",
                            "tensorflow.compat.v1.InteractiveSession", "keras.backend.set_session",
                            "tensorflow.compat.v1.keras.backend.set_session"})
BUILTIN_NAMES = frozenset(dir(builtins))


def _is_load(call: cst.Call, names: ImportNames) -> bool:
    """A call that reads a model from disk: a loader, or a keras.applications network built with
    its weights, ImageNet's by default or a file (`weights=None` builds fresh random weights:
    not a load, and not the same on every call)."""
    qualified = names.qualify(call.func)
    if qualified in LOADERS:
        return True
    if qualified not in APPLICATION_CONSTRUCTORS:
        return False
    if sum(a.keyword is None for a in call.args) > 1 or any(a.star for a in call.args):
        return False  # the second positional argument is weights= for some networks, alpha= for others
    weights = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "weights"), None)
    return weights is None or isinstance(weights, cst.SimpleString)  # ImageNet's (the default) or a file


def _names_in(node: cst.CSTNode) -> tuple[set[str], set[str]]:
    """(names read, names bound) in a statement, ignoring attribute and keyword names."""
    read: set[str] = set()
    bound: set[str] = set()

    class _Visitor(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            walk(node.value, self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            walk(node.value, self)
            return False

        def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
            _bind(node.target)
            return False

        def visit_AsName(self, node: cst.AsName) -> bool:
            _bind(node.name)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            read.add(node.value)

    def _bind(target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            bound.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                _bind(element.value)
        else:
            walk(target, _Visitor())

    walk(node, _Visitor())
    return read, bound


def _module_bindings(module: cst.Module) -> dict[str, int]:
    """Each name bound at module level → index of the first top-level statement binding it."""
    first: dict[str, int] = {}

    def walk(stmt: cst.CSTNode, index: int) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            first.setdefault(stmt.name.value, index)
            return
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        local = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                        first.setdefault(local, index)
                elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        first.setdefault(alias.evaluated_alias or alias.evaluated_name, index)
                else:
                    _read, bound = _names_in(small)
                    if isinstance(small, (cst.AnnAssign, cst.AugAssign)) and isinstance(small.target, cst.Name):
                        bound.add(small.target.value)
                    for name in bound:
                        first.setdefault(name, index)
            return
        if isinstance(stmt, (cst.For,)):
            _read, bound = _names_in(stmt.target)
            for name in _read | bound:
                first.setdefault(name, index)
        for child in stmt.children:
            if isinstance(child, (cst.BaseSuite, cst.BaseStatement, cst.Else, cst.ExceptHandler, cst.Finally)):
                walk(child, index)
            elif isinstance(child, cst.WithItem) and child.asname is not None:
                _r, bound = _names_in(child.asname)
                for name in bound:
                    first.setdefault(name, index)

    for i, stmt in enumerate(module.body):
        walk(stmt, i)
    return first


class _Hoist:
    def __init__(
        self, func: cst.FunctionDef, statements: list[cst.BaseStatement], bound: set[str], at: int, insert: bool,
        removed: list[cst.BaseStatement] | None = None, kept: dict[int, cst.BaseStatement] | None = None,
    ) -> None:
        self.func = func
        self.statements = statements  # what runs at module level
        self.removed = statements if removed is None else removed  # the handler's statements they replace
        self.kept = kept or {}  # id(removed statement) → what stays in its place (`self.model = model`)
        self.bound = bound
        self.at = at  # module statement index to insert before
        self.insert = insert  # False when another handler's identical load is already hoisted


class _Remover(BlockEditor):
    def __init__(self, drop: set[int], globals_drop: dict[int, set[str]],
                 kept: dict[int, cst.BaseStatement] | None = None) -> None:
        super().__init__()
        self.drop = drop
        self.globals_drop = globals_drop
        self.kept = kept or {}

    def edit_statement(self, original, updated):
        if id(original) in self.kept:
            return [self.kept[id(original)]]
        if id(original) in self.drop:
            return []
        if isinstance(original, cst.SimpleStatementLine):
            for small in original.body:
                if isinstance(small, cst.Global) and id(small) in self.globals_drop:
                    names = self.globals_drop[id(small)]
                    kept = [n for n in small.names if n.name.value not in names]
                    if not kept:
                        return [] if len(original.body) == 1 else None
                    kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    return [updated.with_changes(body=[small.with_changes(names=kept)])] if len(original.body) == 1 else None
        return None


class LoadOnce(Rule):
    """Hoist per-request model loads that do not depend on the request to module level."""

    NAME = "load-once"
    DESCRIPTION = (
        "Move `load_model(...)` / `model_from_json(...)` + `load_weights(...)` / a `keras.applications` "
        "network built with its weights out of request handlers "
        "(and per-request hooks: Tornado `initialize()`, Django `setup()`) to module level when the "
        "request does not feed them; report the ones it does, and a `load_weights` that re-reads a "
        "model's weights on every request."
    )
    SAFE = True
    ORDER = 50
    TRIGGERS = ("load_model", "model_from_json", "model_from_yaml", "load_weights", "applications")
    FIXES = [
        Example(
            """
            from keras.models import load_model

            MODEL_FILE = "m.h5"


            @app.route("/predict", methods=["POST"])
            def predict():
                model = load_model(MODEL_FILE)
                x = np.array(request.get_json()["instances"])
                return jsonify(model.predict(x).tolist())
            """,
            """
            from keras.models import load_model

            MODEL_FILE = "m.h5"


            model = load_model(MODEL_FILE)


            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array(request.get_json()["instances"])
                return jsonify(model.predict(x).tolist())
            """,
            id="load_model in a flask route",
        ),
        Example(
            """
            from keras.models import model_from_json

            @app.route("/predict")
            def predict():
                global loaded_model
                json_file = open("model.json", "r")
                loaded_model_json = json_file.read()
                json_file.close()
                loaded_model = model_from_json(loaded_model_json)
                loaded_model.load_weights("model.h5")
                loaded_model.compile(loss="categorical_crossentropy", optimizer="adam")
                x = np.array(request.json["x"])
                return str(loaded_model.predict(x))
            """,
            """
            from keras.models import model_from_json

            json_file = open("model.json", "r")
            loaded_model_json = json_file.read()
            json_file.close()
            loaded_model = model_from_json(loaded_model_json)
            loaded_model.load_weights("model.h5")
            loaded_model.compile(loss="categorical_crossentropy", optimizer="adam")

            @app.route("/predict")
            def predict():
                x = np.array(request.json["x"])
                return str(loaded_model.predict(x))
            """,
            id="the tutorial model_from_json + load_weights chain, global dropped",
        ),
        Example(
            """
            from tensorflow.keras.models import model_from_json
            from flask_restful import Resource

            class Score(Resource):
                def post(self):
                    with open("arch.json") as f:
                        model = model_from_json(f.read())
                    model.load_weights("w.h5")
                    return model.predict(np.array(request.json["x"])).tolist()
            """,
            """
            from tensorflow.keras.models import model_from_json
            from flask_restful import Resource

            with open("arch.json") as f:
                model = model_from_json(f.read())
            model.load_weights("w.h5")

            class Score(Resource):
                def post(self):
                    return model.predict(np.array(request.json["x"])).tolist()
            """,
            id="flask_restful Resource method, with open(...) as f",
        ),
        Example(
            """
            from keras.models import load_model
            from tornado.web import RequestHandler


            class LabelHandler(RequestHandler):
                def initialize(self):
                    self.model = load_model("m.h5")
                    self.model.compile(loss="mse", optimizer="sgd")

                def post(self):
                    x = np.array(json.loads(self.request.body)["x"])
                    self.write(json.dumps(self.model.predict(x).tolist()))
            """,
            """
            from keras.models import load_model
            from tornado.web import RequestHandler


            model = load_model("m.h5")
            model.compile(loss="mse", optimizer="sgd")


            class LabelHandler(RequestHandler):
                def initialize(self):
                    self.model = model

                def post(self):
                    x = np.array(json.loads(self.request.body)["x"])
                    self.write(json.dumps(self.model.predict(x).tolist()))
            """,
            id="Tornado builds a handler per request: a load into self in initialize()",
        ),
        Example(
            """
            from keras.models import load_model
            from django.views import View
            from .store import model


            class Score(View):
                def setup(self, request, *args, **kwargs):
                    super().setup(request, *args, **kwargs)
                    self.model = load_model("m.h5")
            """,
            """
            from keras.models import load_model
            from django.views import View
            from .store import model


            score_model = load_model("m.h5")


            class Score(View):
                def setup(self, request, *args, **kwargs):
                    super().setup(request, *args, **kwargs)
                    self.model = score_model
            """,
            id="Django View.setup() runs per request; `model` taken: the class names the module-level model",
        ),
        Example(
            """
            from keras import backend as K
            from keras.models import load_model

            MODEL_PATH = "models/sentiment.h5"


            def get_model():
                return load_model(MODEL_PATH)


            @app.route("/predict", methods=["POST"])
            def predict():
                model = get_model()
                return jsonify(model.predict(np.array(request.json["x"])).tolist())
            """,
            """
            from keras import backend as K
            from keras.models import load_model

            MODEL_PATH = "models/sentiment.h5"


            loaded_model = load_model(MODEL_PATH)


            def get_model():
                return loaded_model


            @app.route("/predict", methods=["POST"])
            def predict():
                model = get_model()
                return jsonify(model.predict(np.array(request.json["x"])).tolist())
            """,
            id="a per-request helper that returns a fresh load: loaded once, the helper returns it",
        ),
        Example(
            """
            from keras.models import load_model


            class SentimentService(object):
                def score(self, rows):
                    model = load_model("models/sentiment.h5")
                    return model.predict(np.asarray(rows))


            service = SentimentService()


            @app.route("/predict", methods=["POST"])
            def predict():
                return jsonify(service.score(request.json["x"]).tolist())
            """,
            """
            from keras.models import load_model


            model = load_model("models/sentiment.h5")


            class SentimentService(object):
                def score(self, rows):
                    return model.predict(np.asarray(rows))


            service = SentimentService()


            @app.route("/predict", methods=["POST"])
            def predict():
                return jsonify(service.score(request.json["x"]).tolist())
            """,
            id="a service-class method called per request loads a constant path",
        ),
        Example(
            """
            from keras.applications.resnet50 import ResNet50


            @app.route("/predict", methods=["POST"])
            def predict():
                net = ResNet50(weights="imagenet")
                x = np.array(request.json["x"])
                return jsonify(net.predict(x).tolist())
            """,
            """
            from keras.applications.resnet50 import ResNet50


            net = ResNet50(weights="imagenet")


            @app.route("/predict", methods=["POST"])
            def predict():
                x = np.array(request.json["x"])
                return jsonify(net.predict(x).tolist())
            """,
            id="a keras.applications network built with its weights per request is built once",
        ),
    ]
    NOOPS = [
        Example(
            """
            from keras.models import load_model

            @app.route("/predict/<name>")
            def predict(name):
                model = load_model(name + ".h5")
                return jsonify(model.predict(np.array(request.json["x"])).tolist())
            """,
            id="path depends on the request: reported",
            manual=(5,),
        ),
        Example(
            """
            def load_model(path):
                return open(path).read()

            @app.route("/predict")
            def predict():
                model = load_model("m.txt")
                return model
            """,
            id="local load_model shadowing Keras'",
        ),
        Example(
            """
            from keras.applications.inception_v3 import InceptionV3, preprocess_input

            @app.route("/features", methods=["POST"])
            def features():
                x = np.array(request.json["x"])
                return str(InceptionV3(weights="imagenet", include_top=False).predict(preprocess_input(x)))
            """,
            id="a network loaded per request inside an expression, no name to hoist: reported",
            manual=(6,),
        ),
        Example(
            """
            from keras.applications.resnet50 import ResNet50

            @app.route("/random")
            def random_features():
                net = ResNet50(weights=None)
                return str(net.predict(np.array(request.json["x"])))
            """,
            id="weights=None builds fresh random weights per request: not a load",
        ),
        Example(
            """
            from keras.applications.mobilenet import MobileNet

            @app.route("/random")
            def random_features():
                net = MobileNet((128, 128, 3), 0.25, 1, 1e-3, True, None)
                return str(net.predict(np.array(request.json["x"])))
            """,
            id="weights given by position (MobileNet's sixth argument): not known to be a load",
        ),
        Example(
            """
            from keras.models import load_model

            @app.route("/tune", methods=["POST"])
            def tune():
                model = load_model("m.h5")
                model.fit(np.array(request.json["x"]), np.array(request.json["y"]), epochs=1)
                return str(model.predict(np.array(request.json["x"])))
            """,
            id="the request trains the model it loads: loaded once, requests would pile up training: reported",
            manual=(5,),
        ),
        Example(
            """
            import tensorflow as tf
            from keras import backend as K
            from keras.applications.mobilenet import MobileNet

            @app.route("/predict", methods=["POST"])
            def predict():
                sess = tf.Session()
                K.set_session(sess)
                net = MobileNet(weights="w.h5")
                out = net.predict(np.array(request.json["x"]))
                sess.close()
                return str(out)
            """,
            id="built in a session the request opens and closes: its variables live there: reported",
            manual=(9,),
        ),
        Example(
            """
            from keras.models import load_model
            model = load_model("m.h5")

            def retrain():
                fresh = load_model("m.h5")
                fresh.fit(x, y)
            """,
            id="load outside any request handler",
        ),
        Example(
            """
            from keras.models import load_model

            @app.route("/predict")
            def predict():
                # load_model("m.h5") each time was slow
                return MODEL.predict(np.array(request.json["x"])).tolist()
            """,
            id="comment mention",
        ),
        Example(
            """
            from keras.models import load_model

            @app.route("/predict")
            def predict():
                if request.args.get("fresh"):
                    model = load_model("m.h5")
                return "ok"
            """,
            id="conditional load in a handler: reported",
            manual=(6,),
        ),
        Example(
            """
            from keras.models import load_model


            class SentimentService(object):
                def __init__(self, path):
                    self.path = path

                def score(self, rows):
                    model = load_model(self.path)
                    return model.predict(np.asarray(rows))


            service = SentimentService("models/sentiment.h5")


            @app.route("/predict", methods=["POST"])
            def predict():
                return jsonify(service.score(request.json["x"]).tolist())
            """,
            id="path from an attribute of self: reported",
            manual=(9,),
        ),
        Example(
            """
            from keras.models import Sequential
            from keras.layers import Dense


            class MnistModel:
                def __init__(self):
                    self.model = Sequential([Dense(10, input_shape=(784,))])

                def train(self, x, y, save_dir=""):
                    self.model.fit(x, y)
                    self.model.save(save_dir + "model.h5")

                def predict(self, weight_path, x):
                    self.model.load_weights(weight_path)
                    return self.model.predict(x)


            mnist_model = MnistModel()


            @app.route("/predict")
            def predict():
                return jsonify(mnist_model.predict("model.h5", np.zeros((1, 784))).tolist())
            """,
            id="weights re-read per request from a parameter, in a file that trains and saves: reported",
            manual=(14,),
        ),
        Example(
            """
            from keras.models import Sequential
            from keras.layers import Dense

            model = Sequential([Dense(10, input_shape=(784,))])


            @app.route("/predict")
            def predict():
                model.load_weights("model.h5")
                return jsonify(model.predict(np.array(request.json["x"])).tolist())
            """,
            id="weights re-read per request from a constant path: reported (only the whole app knows who writes it)",
            manual=(9,),
        ),
        Example(
            """
            from keras.models import Sequential
            from keras.layers import Dense

            model = Sequential([Dense(10, input_shape=(784,))])
            model.load_weights("model.h5")


            def retrain(path):
                model.load_weights(path)
                model.fit(x, y)
            """,
            id="load_weights outside any request handler",
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        names = self.analyses.names
        requests = self.analyses.requests
        if not requests.per_request:
            return tree
        module_names = _module_bindings(tree)
        top_index = _top_level_index(tree)
        hoists: list[_Hoist] = []
        hoisted_text: dict[str, str] = {}
        reloads_possible = "load_weights" in self.code_of(tree)
        for func in requests.per_request:
            if id(func) not in top_index:
                continue
            for hoist in self._plan(func, names, module_names, top_index[id(func)], tree, hoisted_text):
                hoists.append(hoist)
            if reloads_possible:
                self._report_weight_reloads(func, tree, tree.body[top_index[id(func)]], module_names)
        if not hoists:
            return tree
        drop: set[int] = set()
        kept: dict[int, cst.BaseStatement] = {}
        globals_drop: dict[int, set[str]] = {}
        inserts: dict[int, list[cst.BaseStatement]] = {}
        for hoist in hoists:
            kept.update(hoist.kept)
            for stmt in hoist.removed:
                drop.add(id(stmt))
            for stmt in hoist.func.body.body:
                if isinstance(stmt, cst.SimpleStatementLine):
                    for small in stmt.body:
                        if isinstance(small, cst.Global):
                            hit = {n.name.value for n in small.names} & hoist.bound
                            if hit:
                                globals_drop.setdefault(id(small), set()).update(hit)
            if hoist.insert:
                inserts.setdefault(hoist.at, []).extend(s.with_changes(leading_lines=()) for s in hoist.statements)
        result = transform(tree, _Remover(drop, globals_drop, kept))
        body = list(result.body)
        for at in sorted(inserts, reverse=True):
            new = inserts[at]
            if not new:
                continue
            anchor = body[at]
            # the blank lines before the anchor separate the load too; a comment there stays the
            # anchor's alone (given to both, it would appear twice)
            blank = []
            for line in anchor.leading_lines:
                if line.comment is not None:
                    break
                blank.append(line)
            new[0] = new[0].with_changes(leading_lines=blank)
            body[at:at] = new
        return result.with_changes(body=body)

    def _plan(self, func, names, module_names, at, tree, hoisted_text):
        body = func.body.body if isinstance(func.body, cst.IndentedBlock) else []
        holder = tree.body[at]
        classname = holder.name.value if isinstance(holder, cst.ClassDef) else None
        params = {p.name.value for p in (*func.params.posonly_params, *func.params.params, *func.params.kwonly_params)}
        for extra in (func.params.star_arg, func.params.star_kwarg):
            if isinstance(extra, cst.Param):
                params.add(extra.name.value)
        top_ids = {id(s) for s in body}
        loading: dict[int, cst.Call] = {}  # id(top-level statement) → the first load in it
        for load in _loads_in(func, names):
            if id(load.statement) not in top_ids:
                self.manual(load.node, "model loaded inside an `if`/`try`/loop of a request handler: "
                                       "load it once at module level by hand")
            else:
                loading.setdefault(id(load.statement), load.node)
        plans = []
        original_body = body
        for j, stmt in enumerate(original_body):
            body = original_body
            returned = _returned_load(stmt, names)
            if returned is not None:  # `return load_model(...)`: hoisted as `<name> = ...`, `return <name>`
                name = next((n for n in ("model", "loaded_model", f"{func.name.value}_model")
                             if _free_name(n, None, set(module_names) | params, self.code_of(tree))), None)
                if name is None:
                    self.manual(stmt, "model loaded and returned on every request: hoist it by hand")
                    continue
                loaded = cst.SimpleStatementLine(body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(name))],
                                                                  value=returned)])
                body = [*original_body[:j], loaded, *original_body[j + 1:]]
                model_name = name
                block, start = self._block(body, j, model_name)
                kept_return = cst.parse_statement(f"return {name}\n").with_changes(leading_lines=stmt.leading_lines)
                plan = self._checked(func, tree, body, block, stmt, params, module_names, at, hoisted_text)
                if plan is not None:
                    plan.removed = [original_body[i] for i in block]
                    plan.kept = {id(stmt): kept_return}
                    plans.append(plan)
                continue
            attribute = _loaded_attribute(stmt, func, names)
            if attribute is not None:  # `self.model = load_model(...)`: hoisted as `<name> = ...`
                name = _free_name(attribute, classname, set(module_names) | params, self.code_of(tree))
                if name is None:
                    self.manual(stmt, f"model loaded on every request into self.{attribute}: hoist it by hand")
                    continue
                body = _as_module_name(original_body, j, attribute, name)
                stmt = body[j]
            model_name = _loaded_name(stmt, names)
            if model_name is None:
                if id(original_body[j]) in loading:  # `load_model(p).predict(x)`, `MODELS[k] = load_model(p)`
                    call = loading[id(original_body[j])]
                    self.manual(call, f"`{quoted(tree, call, 80)}` loads a model on every request "
                                      "and no plain name holds it: load it once at module level, into a name, "
                                      "and use that name here")
                continue
            block, _start = self._block(body, j, model_name)
            plan = self._checked(func, tree, body, block, stmt, params, module_names, at, hoisted_text)
            if plan is None:
                continue
            if body is not original_body and plan.insert:
                assign = cst.parse_statement(f"self.{attribute} = {model_name}\n")
                plan.removed = [original_body[i] for i in block]
                plan.kept = {id(original_body[j]): assign.with_changes(leading_lines=original_body[j].leading_lines)}
            plans.append(plan)
        return plans

    def _report_weight_reloads(self, func, tree, holder, module_names) -> None:
        """An item on each `model.load_weights(...)` that runs per request without a load before it
        (a load's own hoist or item covers the weights it reads), saying why it stays."""
        names = self.analyses.names
        if _loads_in(func, names):
            return
        models = self.analyses.models
        reloads = [call for call in calls_in(func) if isinstance(call.func, cst.Attribute)
                   and call.func.attr.value == "load_weights" and models.kind_of(call.func.value) == MODEL]
        if not reloads:
            return
        qualname = f"{holder.name.value}.{func.name.value}" if isinstance(holder, cst.ClassDef) else func.name.value
        imported = self.analyses.imported
        if imported is not None and qualname in imported.hot:
            where = f"another module of the app calls `{qualname}` from its request handlers"
        elif self.analyses.requests.is_handler(func):
            where = f"`{qualname}` is a request handler"
        else:
            where = f"a request handler of this file calls `{qualname}`"
        changes = self._weight_changes(tree)
        params = {p.name.value for p in (*func.params.posonly_params, *func.params.params, *func.params.kwonly_params)}
        for call in reloads:
            reasons = []
            path = next((a.value for a in call.args if a.keyword is None or a.keyword.value == "filepath"), None)
            read = _names_in(path)[0] if path is not None else set()
            if read & params - {"self"}:
                reasons.append(f"its path is the parameter `{sorted(read & params - {'self'})[0]}`, which each call may change")
            elif "self" in read:
                reasons.append("its path is read from self, which may change between requests")
            elif "request" in read or not read <= set(module_names) | BUILTIN_NAMES:
                reasons.append(f"its path `{quoted(tree, path)}` is computed per request")
            reasons += changes
            why = ("; ".join(reasons) if reasons else
                   "nothing in this file writes the weights or trains the model, but another module may: "
                   "if nothing does, load them once where the model is built")
            self.manual(call, f"`{quoted(tree, call)}` reads the weights file again on every request "
                              f"({where}): reading the file and assigning every weight is most of such a request's "
                              f"time, more on Keras 3 than in the legacy app, enough to keep the migrated app "
                              f"slower; not loaded once because {why}")

    def _weight_changes(self, tree: cst.Module) -> list[str]:
        """`this file saves model files at line N (...)`, `... trains a model at line N (...)`:
        what makes reading the weights once differ from reading them per request."""
        models = self.analyses.models
        names = self.analyses.names
        saves, trains = [], []
        for call in calls_in(tree):
            method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
            if method in WEIGHT_WRITERS | WEIGHT_TRAINERS and models.kind_of(call.func.value) == MODEL:
                (saves if method in WEIGHT_WRITERS else trains).append(call)
            elif names.qualify(call.func) in SAVE_FUNCTIONS:
                saves.append(call)
        out = []
        for found, what in ((saves, "writes model files"), (trains, "trains a model")):
            if found:
                out.append(f"this file {what} ({self._where(tree, found[0])}"
                           + (f" and {len(found) - 1} more" if len(found) > 1 else "") + ")")
        return out

    def _where(self, tree: cst.Module, call: cst.Call) -> str:
        """`line N: code` of `call` (N named with line_refs: the engine gives it as a line of the
        written file); a call spanning lines is shown as `receiver.method(...)`."""
        code = tree.code_for_node(call).strip()
        first = code.splitlines()[0]
        if first != code:
            code = f"{quoted(tree, call.func)}(...)"
        original = self.original_code(tree)
        line = self.input_lines(tree, [call]).get(call)
        if line is None and original.find(first) >= 0:  # an updated node: its text in the input
            line = original.count("\n", 0, original.find(first)) + 1
        return f"`{code}`" if line is None else f"{line_refs([line])}: `{code}`"


    def _block(self, body, j: int, model_name: str) -> tuple[list[int], int]:
        """Indexes of the statements that load the model bound at body[j]: its load followers
        (`load_weights`, `compile`), and the plain statements before it that compute what it reads."""
        block = [j]
        k = j + 1
        while k < len(body) and _follows_load(body[k], model_name):
            block.append(k)
            k += 1
        # statements before it that compute what it reads (json text, paths), and calls
        # that only use those (`json_file.close()`), taken from the run of plain statements
        start = j
        while start > 0 and _hoistable(body[start - 1]):
            start -= 1
        chosen = set(block)
        for i in range(j - 1, start - 1, -1):
            read, bound = _block_names(body, sorted(chosen))
            if _names_in(body[i])[1] & (read - bound):
                chosen.add(i)
        _read, bound = _block_names(body, sorted(chosen))
        for i in range(min(chosen), j):
            r, b = _names_in(body[i])
            if i not in chosen and not b and r & bound:
                chosen.add(i)
        return sorted(chosen), start

    def _checked(self, func, tree, body, block, stmt, params, module_names, at, hoisted_text) -> "_Hoist | None":
        """The hoist of `block` when nothing it reads comes from the request or is defined
        later, and the request neither trains the model nor runs it in a session of its own;
        else None with a manual item saying why."""
        read, bound = _block_names(body, block)
        outside = [c for i in range(len(body)) if i not in block for c in calls_in(body[i])]
        trained = sorted({c.func.attr.value for c in outside
                          if isinstance(c.func, cst.Attribute) and c.func.attr.value in WEIGHT_TRAINERS
                          and dotted(c.func.value) in bound})
        if trained:
            self.manual(stmt, f"model loaded on every request and changed by `{trained[0]}` in the same request: "
                              "loaded once, every request would see the training of the ones before; "
                              "keep the fresh load, or load once and stop training per request, by hand")
            return None
        if any(self.analyses.names.qualify(c.func) in SESSION_MAKERS for c in outside):
            self.manual(stmt, "model loaded on every request inside a session the request opens: its variables "
                              "live in that session; load it once with the session by hand")
            return None
        free = read - bound
        outside_reads, outside_binds = _names_outside(body, block)
        request_names = (params | outside_binds | {"request"}) & free
        if request_names == {"self"}:
            self.manual(stmt, "model loaded on every call from attributes of self: load it once (in __init__, "
                              "or at module level) by hand")
            return None
        if request_names:
            self.manual(stmt, f"model loaded on every request from {_origins(request_names, params, func.name.value)}, "
                              "not known before a request: cache loaded models by those values by hand")
            return None
        late = {n for n in free if n not in BUILTIN_NAMES and module_names.get(n, at) >= at}
        if late:
            self.manual(stmt, f"model loaded on every request; it reads {', '.join(sorted(late))} defined "
                              "after the handler: hoist it by hand")
            return None
        clash = {n for n in bound if n in module_names or n in params or n in outside_binds}
        statements = [body[i] for i in block]
        text = "".join(tree.code_for_node(s) for s in statements)
        if clash:
            if all(hoisted_text.get(n) == text for n in clash):
                return _Hoist(func, statements, bound, at, insert=False)
            self.manual(stmt, f"model loaded on every request into {', '.join(sorted(clash))}, a name also "
                              "used elsewhere: hoist it by hand")
            return None
        for n in bound:
            hoisted_text[n] = text
            module_names[n] = at
        return _Hoist(func, statements, bound, at, insert=True)


def _origins(names: set[str], params: set[str], function: str) -> str:
    """Where the names a load reads per request come from, as the analysis found them: the
    framework's `request`, the function's parameters, names the function sets elsewhere."""
    said = []
    if "request" in names and "request" not in params:
        said.append("`request`")
    args = sorted(names & params - {"self"})
    if args:
        said.append(f"{function}()'s argument{'s' if len(args) > 1 else ''} {', '.join(args)}")
    if "self" in names:
        said.append("attributes of self")
    local = sorted(names - params - {"request"})
    if local:
        said.append(f"{', '.join(local)} set in {function}()")
    return " and ".join(said)


class _Load:
    def __init__(self, node: cst.Call, statement: cst.CSTNode) -> None:
        self.node = node
        self.statement = statement


def _loads_in(func: cst.FunctionDef, names: ImportNames) -> list[_Load]:
    found: list[_Load] = []
    statements: list[cst.CSTNode] = []

    class _Visitor(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is func

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            statements.append(node)

        def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            statements.pop()

        def visit_With(self, node: cst.With) -> None:
            statements.append(node)

        def leave_With(self, node: cst.With) -> None:
            statements.pop()

        def visit_Call(self, node: cst.Call) -> None:
            if _is_load(node, names) and statements:
                # a load inside `with open(...)` counts as the `with` statement's
                outer = next((s for s in statements if isinstance(s, cst.With)), statements[-1])
                found.append(_Load(node, outer))

    walk(func, _Visitor())
    return found


def _loaded_name(stmt: cst.BaseStatement, names: ImportNames) -> str | None:
    """Name a statement binds to a loaded model (`m = load_model(...)`, or inside `with open`)."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
        assign = stmt.body[0]
        if (
            len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(assign.value, cst.Call)
            and _is_load(assign.value, names)
        ):
            return assign.targets[0].target.value
        return None
    if isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock) and _hoistable(stmt):
        loaded = [_loaded_name(s, names) for s in stmt.body.body]
        found = [n for n in loaded if n]
        return found[0] if len(found) == 1 else None
    return None


def _returned_load(stmt: cst.BaseStatement, names: ImportNames) -> cst.Call | None:
    """The load call of `return load_model(...)`."""
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Return):
        value = stmt.body[0].value
        if isinstance(value, cst.Call) and _is_load(value, names):
            return value
    return None


def _loaded_attribute(stmt: cst.BaseStatement, func: cst.FunctionDef, names: ImportNames) -> str | None:
    """`model` for `self.model = load_model(...)` in a method (its first parameter is `self`)."""
    params = func.params.params
    if not (params and params[0].name.value == "self" and isinstance(stmt, cst.SimpleStatementLine)
            and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)):
        return None
    assign = stmt.body[0]
    target = assign.targets[0].target if len(assign.targets) == 1 else None
    if (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self"
            and isinstance(assign.value, cst.Call) and _is_load(assign.value, names)):
        return target.attr.value
    return None


def _free_name(attribute: str, classname: str | None, taken: set[str], code: str) -> str | None:
    """A module-level name for a model hoisted out of `self.<attribute>`: the attribute's own
    name, else prefixed with the class's, when the module's text (`code`) never spells it."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in classname or "").lstrip("_")
    for name in (attribute, f"{snake}_{attribute}" if snake else None):
        if (name and name not in taken and name not in BUILTIN_NAMES
                and not re.search(rf"(?<![\w.]){re.escape(name)}\b", code)):
            return name
    return None


def _as_module_name(body, j: int, attribute: str, name: str) -> list:
    """`body` with `self.<attribute>` read as `name` in statement j and the load followers after
    it (`self.model.load_weights(...)`): what the hoisted statements say at module level."""
    class _Rename(cst.CSTTransformer):
        def leave_Attribute(self, original_node, updated_node):
            if (isinstance(updated_node.value, cst.Name) and updated_node.value.value == "self"
                    and updated_node.attr.value == attribute):
                return cst.Name(name)
            return updated_node

    out = list(body)
    out[j] = body[j].visit(_Rename())
    k = j + 1
    while k < len(body) and _follows_load(body[k], f"self.{attribute}"):
        out[k] = body[k].visit(_Rename())
        k += 1
    return out


def _follows_load(stmt: cst.BaseStatement, model_name: str) -> bool:
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    return (
        isinstance(small, cst.Expr)
        and isinstance(small.value, cst.Call)
        and isinstance(small.value.func, cst.Attribute)
        and dotted(small.value.func.value) == model_name
        and small.value.func.attr.value in LOAD_FOLLOWERS
    )


def _hoistable(stmt: cst.BaseStatement) -> bool:
    """Plain assignments / calls, or `with open(...)` around them: nothing that leaves the function."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return all(isinstance(s, (cst.Assign, cst.AnnAssign, cst.Expr)) for s in stmt.body)
    if isinstance(stmt, cst.With) and isinstance(stmt.body, cst.IndentedBlock):
        opens = all(
            isinstance(item.item, cst.Call) and isinstance(item.item.func, cst.Name) and item.item.func.value == "open"
            for item in stmt.items
        )
        return opens and all(_hoistable(s) for s in stmt.body.body)
    return False


def _block_names(body, block: list[int]) -> tuple[set[str], set[str]]:
    read: set[str] = set()
    bound: set[str] = set()
    for i in block:
        r, b = _names_in(body[i])
        read |= r - bound
        bound |= b
    return read, bound


def _names_outside(body, block: list[int]) -> tuple[set[str], set[str]]:
    read: set[str] = set()
    bound: set[str] = set()
    for i, stmt in enumerate(body):
        if i in block:
            continue
        if isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, cst.Global) for s in stmt.body):
            continue
        r, b = _names_in(stmt)
        read |= r
        bound |= b
    return read, bound


def _top_level_index(tree: cst.Module) -> dict[int, int]:
    """id(function) → index of the module statement holding it (the def, or its class)."""
    out: dict[int, int] = {}
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, cst.FunctionDef):
            out[id(stmt)] = i
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for inner in stmt.body.body:
                if isinstance(inner, cst.FunctionDef):
                    out[id(inner)] = i
    return out
