"""Which engine should answer "is the input of this `model.predict(x)` an array?" for predict-speed.

Three candidates, asked the same question about the same calls, side by side in one run:

- migrate's own oracle (migrate/analysis/arrays.py: flow-sensitive bindings, callers of
  local functions and methods, returns of local helpers);
- astroid (pylint's inference engine; `node.infer()` through assignments, calls, returns and
  imports, with a numpy "brain"): an array when every inferred value is an ndarray instance;
- libcst's ScopeProvider: the assignments a name's access refers to (all of them in the
  scope, without flow), an array when every assigned value is a numpy call.

Each case is a small app whose expected answer is known (the input at the call is, or is
not, an ndarray whatever the request holds). The table gives each engine's answers and its
time per file (parse + question). Needs `pip install astroid` (not a dependency of migrate).
Run: `python -m benchmarks.inference_engines`.
"""

from __future__ import annotations

import sys
import textwrap
import time

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from migrate.analysis.arrays import ArrayOracle
from migrate.analysis.handlers import request_functions
from migrate.analysis.models import MODEL, keras_models
from migrate.analysis.names import ImportNames

HEAD = "import numpy as np\nfrom PIL import Image\nfrom keras.models import load_model\nmodel = load_model('m.h5')\n"
# (label, body after HEAD, is the input of the one model.predict an array?)
CASES = [
    ("np.array in the handler", """
        @app.route('/p')
        def p():
            x = np.array(request.json['x'])
            return model.predict(x)
        """, True),
    ("request -> PIL -> np.asarray, one name", """
        @app.route('/p')
        def p():
            img = request.files['f']
            img = Image.open(img)
            img = np.expand_dims(np.asarray(img), 0)
            return model.predict(img)
        """, True),
    ("array on one branch only", """
        @app.route('/p')
        def p():
            x = request.json['x']
            if request.json.get('scale'):
                x = np.asarray(x) / 255.0
            return model.predict(x)
        """, False),
    ("list of two arrays (two inputs)", """
        @app.route('/p')
        def p():
            a = np.array(request.json['a'])
            b = np.array(request.json['b'])
            return model.predict([a, b])
        """, True),
    ("method gets np.asarray from the route", """
        class Predictor:
            def __init__(self):
                self.model = load_model('m.h5')
            def predict(self, x):
                return self.model.predict(x)
        predictor = Predictor()
        @app.route('/p')
        def predict():
            return predictor.predict(np.asarray(request.json['x']))
        """, True),
    ("local helper returns an array", """
        def prep(v):
            return np.array(v)[None] / 255.0
        @app.route('/p')
        def p():
            return model.predict(prep(request.json['x']))
        """, True),
    ("raw request list", """
        @app.route('/p')
        def p():
            return model.predict(request.json['x'])
        """, False),
    ("reassigned after the call in a loop", """
        @app.route('/p')
        def p():
            x = np.asarray(request.json['x'])
            for i in range(3):
                y = model.predict(x)
                x = request.json['y']
            return y
        """, False),
]


def _predict_call(module: cst.Module) -> tuple[cst.Call, cst.FunctionDef]:
    found: list = []

    class _Finder(cst.CSTVisitor):
        stack: list = []

        def visit_FunctionDef(self, node):
            self.stack.append(node)

        def leave_FunctionDef(self, node):
            self.stack.pop()

        def visit_Call(self, node):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "predict" and \
                    cst.Module([]).code_for_node(node.func.value) in ("model", "self.model"):
                found.append((node, self.stack[-1]))

    module.visit(_Finder())
    return found[0]


def hand_written(source: str) -> bool:
    module = cst.parse_module(source)
    names = ImportNames.from_module(module)
    models = keras_models(module, names)
    request_functions(module)
    call, func = _predict_call(module)
    oracle = ArrayOracle(module, names, other_receiver=lambda r: models.kind_of(r) == MODEL)
    return oracle.is_array(call.args[0].value, func)


def libcst_scopes(source: str) -> bool:
    wrapper = MetadataWrapper(cst.parse_module(source))
    scopes = wrapper.resolve(ScopeProvider)
    module = wrapper.module
    call, func = _predict_call(module)
    arg = call.args[0].value

    def numpy_call(expr) -> bool:
        return isinstance(expr, cst.Call) and cst.Module([]).code_for_node(expr.func).startswith("np.")

    def is_array(expr) -> bool:
        if numpy_call(expr):
            return True
        if isinstance(expr, cst.List):
            return all(is_array(e.value) for e in expr.elements)
        if isinstance(expr, cst.Name):
            scope = scopes.get(expr)
            accesses = [a for a in scope.accesses if a.node is expr] if scope else []
            if not accesses:
                return False
            referents = accesses[0].referents
            values = []
            for assignment in referents:
                node = getattr(assignment, "node", None)
                parent = _assign_values(module).get(id(node))
                values.append(parent)
            return bool(values) and all(v is not None and is_array(v) for v in values)
        return False

    return is_array(arg)


def _assign_values(module: cst.Module) -> dict[int, cst.BaseExpression]:
    out: dict[int, cst.BaseExpression] = {}

    class _V(cst.CSTVisitor):
        def visit_Assign(self, node):
            for t in node.targets:
                out[id(t.target)] = node.value

    module.visit(_V())
    return out


def astroid_engine(source: str) -> bool | None:
    import astroid

    tree = astroid.parse(source)
    calls = [c for c in tree.nodes_of_class(astroid.nodes.Call)
             if isinstance(c.func, astroid.nodes.Attribute) and c.func.attrname == "predict"
             and c.func.expr.as_string() in ("model", "self.model")]
    arg = calls[0].args[0]
    try:
        values = list(arg.infer())
    except astroid.InferenceError:
        return False
    if not values or any(v is astroid.Uninferable for v in values):
        return False

    def ndarray(v) -> bool:
        if isinstance(v, astroid.nodes.List):
            return bool(v.elts) and all(ndarray(i) for e in v.elts for i in _inferred(e))
        # the numpy brain's ndarray is a stub class: its pytype is ".ndarray"
        return getattr(v, "pytype", lambda: "")().endswith("ndarray")

    def _inferred(node):
        try:
            return list(node.infer())
        except astroid.InferenceError:
            return [astroid.Uninferable]

    return all(ndarray(v) for v in values)


def main() -> int:
    try:
        import astroid  # noqa: F401
    except ImportError:
        print("needs astroid: pip install astroid", file=sys.stderr)
        return 1
    engines = {"hand-written": hand_written, "astroid": astroid_engine, "libcst scopes": libcst_scopes}
    rows, seconds = [], {k: 0.0 for k in engines}
    repeat = 5
    for label, body, expected in CASES:
        source = HEAD + textwrap.dedent(body)
        row = [label, "array" if expected else "not"]
        for name, engine in engines.items():
            start = time.perf_counter()
            for _ in range(repeat):
                try:
                    answer = engine(source)
                except Exception as exc:  # an engine that cannot answer is a finding
                    answer = f"error {type(exc).__name__}"
            seconds[name] += (time.perf_counter() - start) / repeat
            mark = answer if isinstance(answer, str) else ("array" if answer else "not")
            sound = isinstance(answer, bool) and (answer == expected or not answer)
            row.append(mark + ("" if answer == expected else (" (missed)" if sound else " (WRONG)")))
        rows.append(row)
    headers = ["case", "truth", *engines]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for r in [headers, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print("ms per file (parse + one question): " + ", ".join(
        f"{k} {v / len(CASES) * 1000:.1f}" for k, v in seconds.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
