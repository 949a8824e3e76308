"""Keras 2 names and arguments Keras 3 removed or renamed: rewritten where exact, else reported.

The table (`migrate.surface`, generated from the real Keras 2.2.4 / 2.3.1 and Keras 3 APIs)
says what is gone. Exact rewrites: the keyword aliases Keras 2 itself accepted (`output_dim=`
→ `units=`, `nb_epoch=` → `epochs=`, `lr=` → `learning_rate=`, `dim_ordering='th'` →
`data_format='channels_first'`), `image_dim_ordering()` compared with a literal, names reached
through a submodule that moved (`np_utils.to_categorical`), `tensorflow.contrib.keras`
spellings, `tf.enable_eager_execution()` (TF 2 is eager) and a `KERAS_BACKEND` of theano or
cntk, which Keras 3 refuses to import with (dropped, with a note). Any other use of a name the
target lacks is a manual item at its line.

    -from keras.utils import np_utils
    -model.add(Dense(output_dim=10, init='uniform'))
    -if K.image_dim_ordering() == 'th':
    +from keras import utils as np_utils
    +model.add(Dense(units=10, kernel_initializer='uniform'))
    +if K.image_data_format() == 'channels_first':
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from migrate import surface
from migrate.analysis.names import canonical, dotted
from migrate.rules.base import Example, Rule, drop_small_statements

# Gone names other rules rewrite or report (graph/session, learning phase, predict_classes,
# tensorflow_backend, scikit-learn wrappers): not reported twice
OWNED_ELSEWHERE = frozenset({
    "set_session", "get_session", "tensorflow_backend", "set_learning_phase", "learning_phase",
    "_make_predict_function", "predict_classes", "predict_proba", "get_default_graph", "scikit_learn",
    "image_dim_ordering", "set_image_dim_ordering",
})
# Keras 2 `K.image_dim_ordering()` answered 'th' / 'tf'; Keras 2's own conversion of those values
# (its legacy `dim_ordering` argument) gives what `image_data_format()` answers instead
DIM_ORDERING = {k: v for k, v in surface.value_map("keras.layers.Conv2D", "dim_ordering").items() if v}
BACKENDS_KERAS3_REFUSES = frozenset({"theano", "cntk"})
GENERATOR_METHODS = {"fit_generator": "fit", "predict_generator": "predict", "evaluate_generator": "evaluate"}
_CONTRIB = re.compile(r"^(\w+)\.contrib\.keras(?:\.api\.keras|\.python\.keras)?$")


def _string(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _with_string(node: cst.SimpleString, value: str) -> cst.SimpleString:
    quote = node.value[-1]
    return node.with_changes(value=f"{quote}{value}{quote}")


class KerasSurface(Rule):
    """Keras 2 spellings Keras 3 dropped: exact renames rewritten, other removed names reported."""

    NAME = "keras-surface"
    DESCRIPTION = ("Rename Keras 2 arguments and names Keras 3 dropped where Keras 2 itself treated them as "
                   "aliases (output_dim=, nb_epoch=, lr=, image_dim_ordering, np_utils, tensorflow.contrib.keras); "
                   "drop a theano/cntk KERAS_BACKEND; report every other name the target lacks.")
    SAFE = True
    ORDER = 85
    TRIGGERS = ("keras", "KERAS_BACKEND", "enable_eager_execution", ".train.")
    FIXES = [
        Example(
            """
            from keras.layers import Dense, Dropout
            from keras.models import Sequential
            model = Sequential()
            model.add(Dense(output_dim=10, init="uniform", input_dim=4))
            model.add(Dropout(p=0.5))
            model.fit(x, y, nb_epoch=5)
            """,
            """
            from keras.layers import Dense, Dropout
            from keras.models import Sequential
            model = Sequential()
            model.add(Dense(units=10, kernel_initializer="uniform", input_dim=4))
            model.add(Dropout(rate=0.5))
            model.fit(x, y, epochs=5)
            """,
            id="Keras 1 argument names Keras 2 still accepted",
        ),
        Example(
            """
            from keras import optimizers
            from keras.optimizers import Adam
            opt = Adam(lr=0.001)
            sgd = optimizers.SGD(lr=0.01, momentum=0.9)
            """,
            """
            from keras import optimizers
            from keras.optimizers import Adam
            opt = Adam(learning_rate=0.001)
            sgd = optimizers.SGD(learning_rate=0.01, momentum=0.9)
            """,
            id="lr= is learning_rate= (Keras 2.3 took both)",
        ),
        Example(
            """
            from keras.layers import Conv2D
            layer = Conv2D(32, (3, 3), dim_ordering="th", border_mode="same")
            """,
            """
            from keras.layers import Conv2D
            layer = Conv2D(32, (3, 3), data_format="channels_first", padding="same")
            """,
            id="dim_ordering value mapped as Keras 2 mapped it",
        ),
        Example(
            """
            from keras import backend as K
            if K.image_dim_ordering() == 'th':
                shape = (3, 224, 224)
            channels_last = "tf" == K.image_dim_ordering()
            K.set_image_dim_ordering('th')
            """,
            """
            from keras import backend as K
            if K.image_data_format() == 'channels_first':
                shape = (3, 224, 224)
            channels_last = "channels_last" == K.image_data_format()
            K.set_image_data_format('channels_first')
            """,
            id="image_dim_ordering compared with a literal",
        ),
        Example(
            """
            def encode(y):
                from keras.utils import np_utils
                return np_utils.to_categorical(y)
            """,
            """
            def encode(y):
                from keras import utils as np_utils
                return np_utils.to_categorical(y)
            """,
            id="np_utils imported inside a function",
        ),
        Example(
            """
            import keras
            y = keras.utils.np_utils.to_categorical(labels)
            layer = keras.layers.core.Dense(3)
            """,
            """
            import keras
            y = keras.utils.to_categorical(labels)
            layer = keras.layers.Dense(3)
            """,
            id="a moved submodule in an attribute chain",
        ),
        Example(
            """
            import tensorflow as tf
            model = tf.contrib.keras.models.Sequential()
            layer = tf.contrib.keras.api.keras.layers.Dense(3)
            """,
            """
            import tensorflow as tf
            model = tf.keras.models.Sequential()
            layer = tf.keras.layers.Dense(3)
            """,
            id="tensorflow.contrib.keras attribute chains",
        ),
        Example(
            """
            import os
            os.environ['KERAS_BACKEND'] = 'theano'
            import keras
            """,
            """
            import os
            import keras
            """,
            id="theano backend dropped: Keras 3 refuses to import with it",
        ),
        Example(
            """
            import tensorflow as tf
            tf.enable_eager_execution()
            from keras.models import load_model
            """,
            """
            import tensorflow as tf
            from keras.models import load_model
            """,
            id="enable_eager_execution: TF 2 is eager already",
        ),
    ]
    NOOPS = [
        Example(
            """
            from keras import backend as K
            ordering = K.image_dim_ordering()
            """,
            id="image_dim_ordering value used otherwise: reported",
            manual=(2,),
        ),
        Example(
            """
            from keras import backend as K
            x = K.get_variable_shape(w)
            """,
            id="a backend function Keras 3 lacks: reported",
            manual=(2,),
        ),
        Example(
            """
            from keras.utils import multi_gpu_model
            """,
            id="an import of a name Keras 3 lacks: reported",
            manual=(1,),
        ),
        Example(
            """
            import tensorflow as tf
            from keras.models import Sequential
            model.compile(optimizer=tf.train.AdamOptimizer(0.001), loss="mse")
            """,
            id="a TF 1 optimizer given to Keras: reported",
            manual=(3,),
        ),
        Example(
            """
            from keras.models import load_model
            model.fit_generator(batches, steps_per_epoch=10)
            """,
            id="generator methods Keras 3 folded into fit: reported",
            manual=(2,),
        ),
        Example(
            """
            from keras.layers import Conv2D
            layer = Conv2D(32, (3, 3), dim_ordering=ordering)
            """,
            id="dim_ordering from a variable: reported",
            manual=(2,),
        ),
        Example("import os\nos.environ['KERAS_BACKEND'] = 'tensorflow'\nimport keras\n", id="tensorflow backend kept"),
        Example("import os\nos.environ['KERAS_BACKEND'] = backend\nimport keras\n", id="backend from a variable",
                manual=(2,)),
        Example("from keras.layers import Dense\nlayer = Dense(units=3)\n", id="already Keras 2 names"),
        Example("clf.fit(x, y, nb_epoch=3)\n", id="no keras in the file"),
        Example("# K.image_dim_ordering() == 'th'\nimport keras\n", id="comment"),
    ]

    def begin(self, tree: cst.Module) -> None:
        super().begin(tree)
        self._comparisons: set[int] = set()  # image_dim_ordering() calls a comparison rewrites

    # -- what a name is -------------------------------------------------------------------

    def _raw(self, node: cst.CSTNode) -> str | None:
        """The imported dotted name of `node` as written in the imports (not canonicalised)."""
        text = dotted(node)
        if text is None:
            return None
        head, _, rest = text.partition(".")
        base = self.analyses.names.aliases.get(head)
        return None if base is None else (f"{base}.{rest}" if rest else base)

    def _qualified(self, node: cst.CSTNode) -> str | None:
        raw = self._raw(node)
        if raw is None:
            return None
        name = canonical(raw)
        module, _, last = name.rpartition(".")
        return f"{surface.moved(module)}.{last}" if module.startswith("keras.") else name

    def _gone(self, node: cst.CSTNode, name: str) -> None:
        last = name.rpartition(".")[2]
        if last in OWNED_ELSEWHERE or last in {k.rpartition(".")[2] for k in surface.MOVED_MODULES}:
            return
        versions = surface.keras_missing(name, self.options.target)
        if versions is not None:
            self.manual(node, f"`{name}` (Keras {versions}) does not exist in {surface.TARGET_PREFIX[self.options.target]} "
                              f"on today's stack: replace it by hand")
        elif name.startswith("tensorflow.train.") and "Optimizer" in last and last in surface.TF1_MISSING.get(
                "tensorflow.train", ()):
            self.manual(node, f"`tf.train.{last}` is TF 1 only; give Keras a keras.optimizers optimizer "
                              f"(mind the defaults: Keras' epsilon is 1e-7, TF 1's Adam used 1e-8)")

    # -- imports ----------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = dotted(node.module) if node.module is not None and not node.relative else None
        if module is not None and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = canonical(f"{module}.{alias.evaluated_name}")
                if name.startswith("keras."):
                    owner, _, last = name.rpartition(".")
                    self._gone(alias, f"{surface.moved(owner)}.{last}")
        return False

    def leave_ImportFrom(self, original_node, updated_node):
        """`from keras.utils import np_utils` → `from keras import utils as np_utils`: the
        submodule's names live in its parent now."""
        module = dotted(updated_node.module) if updated_node.module is not None and not updated_node.relative else None
        if module is None or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        parent = canonical(module)
        moved, kept = [], []
        for alias in updated_node.names:
            suffix = f"{parent}.{alias.evaluated_name}"[len("keras."):]
            if parent.startswith("keras.") and surface.MOVED_MODULES.get(suffix) == parent[len("keras."):]:
                moved.append(alias)
            else:
                kept.append(alias)
        if not moved:
            return updated_node
        head, _, last = module.rpartition(".")
        statements = [updated_node.with_changes(
            module=cst.parse_expression(head),
            names=[cst.ImportAlias(cst.Name(last), asname=cst.AsName(cst.Name(a.evaluated_alias or a.evaluated_name)))])
            for a in moved]
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            statements.insert(0, updated_node.with_changes(names=kept))
        return statements[0] if len(statements) == 1 else cst.FlattenSentinel(statements)

    # -- attribute chains ---------------------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = self._qualified(node)
        if name is not None:
            self._gone(node, name)

    def leave_Attribute(self, original_node, updated_node):
        text = dotted(original_node)
        raw = self._raw(original_node)
        if text is None or raw is None:
            return updated_node
        contrib = _CONTRIB.match(raw)
        if contrib and contrib.group(1) == "tensorflow":
            return cst.parse_expression(f"{text.split('.')[0]}.keras")
        name = canonical(raw)
        suffix = name[len("keras."):] if name.startswith("keras.") else ""
        if surface.MOVED_MODULES.get(suffix) == suffix.rpartition(".")[0]:
            return updated_node.value  # `keras.utils.np_utils` → `keras.utils`
        return updated_node

    # -- calls ----------------------------------------------------------------------------

    def _is_dim_ordering_call(self, node: cst.CSTNode) -> bool:
        return (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)
                and self._qualified(node.func) == "keras.backend.image_dim_ordering")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
            return
        left, right = node.left, node.comparisons[0].comparator
        for call, literal in ((left, right), (right, left)):
            if self._is_dim_ordering_call(call) and _string(literal) in DIM_ORDERING:
                self._comparisons.add(id(call))

    def leave_Comparison(self, original_node, updated_node):
        if not any(id(n) in self._comparisons for n in (original_node.left, original_node.comparisons[0].comparator)):
            return updated_node

        def convert(node):
            if isinstance(node, cst.Call):
                return node.with_changes(func=node.func.with_changes(attr=cst.Name("image_data_format")))
            return _with_string(node, DIM_ORDERING[_string(node)])

        target = updated_node.comparisons[0]
        return updated_node.with_changes(left=convert(updated_node.left),
                                         comparisons=[target.with_changes(comparator=convert(target.comparator))])

    def visit_Call(self, node: cst.Call) -> None:
        name = self._qualified(node.func)
        if name == "keras.backend.image_dim_ordering" and id(node) not in self._comparisons:
            self.manual(node, "K.image_dim_ordering() is gone: use K.image_data_format(), which answers "
                              f"{DIM_ORDERING.get('th')!r} for 'th' and {DIM_ORDERING.get('tf')!r} for 'tf'")
        elif name == "keras.backend.set_image_dim_ordering" and not self._set_ordering_literal(node):
            self.manual(node, "K.set_image_dim_ordering is gone: use K.set_image_data_format "
                              f"({DIM_ORDERING.get('th')!r} for 'th', {DIM_ORDERING.get('tf')!r} for 'tf')")
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in GENERATOR_METHODS and name is None:
            method = node.func.attr.value
            self.manual(node, f"`{method}` is gone in Keras 3: `{GENERATOR_METHODS[method]}` takes the generator "
                              "(its workers / use_multiprocessing / max_queue_size arguments are gone too)")
        callable_name = name if name is not None else self._method_table(node)
        if callable_name is None:
            return
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword and surface.value_map(callable_name, keyword) is not None and _string(arg.value) not in \
                    {k for k, v in surface.value_map(callable_name, keyword).items() if v}:
                self.manual(arg, f"`{keyword}=` is gone: {surface.renamed_arguments(callable_name).get(keyword)}= "
                                 f"takes {surface.value_map(callable_name, keyword)} in its place")

    def _set_ordering_literal(self, node: cst.Call) -> bool:
        return (isinstance(node.func, cst.Attribute) and len(node.args) == 1 and node.args[0].keyword is None
                and _string(node.args[0].value) in DIM_ORDERING)

    @staticmethod
    def _method_table(node: cst.Call) -> str | None:
        # a method of some model: Keras 2's Model.fit took nb_epoch whatever the receiver is called
        if isinstance(node.func, cst.Attribute) and surface.renamed_arguments(f"keras.models.Model.{node.func.attr.value}"):
            return f"keras.models.Model.{node.func.attr.value}"
        return None

    def leave_Call(self, original_node, updated_node):
        name = self._qualified(original_node.func)
        if name == "keras.backend.set_image_dim_ordering" and self._set_ordering_literal(original_node):
            literal = updated_node.args[0].value
            return updated_node.with_changes(
                func=updated_node.func.with_changes(attr=cst.Name("set_image_data_format")),
                args=[updated_node.args[0].with_changes(value=_with_string(literal, DIM_ORDERING[_string(literal)]))])
        callable_name = name if name is not None else self._method_table(original_node)
        renames = surface.renamed_arguments(callable_name) if callable_name else {}
        if not renames:
            return updated_node
        args, changed = [], False
        for arg in updated_node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword in renames:
                values = surface.value_map(callable_name, keyword)
                value = arg.value
                if values is not None:
                    mapped = values.get(_string(value)) if _string(value) is not None else None
                    if not mapped:
                        args.append(arg)  # reported by visit_Call
                        continue
                    value = _with_string(value, mapped)
                arg = arg.with_changes(keyword=cst.Name(renames[keyword]), value=value)
                changed = True
            args.append(arg)
        return updated_node.with_changes(args=args) if changed else updated_node

    # -- statements -------------------------------------------------------------------------

    def _dropped(self, statement: cst.BaseSmallStatement) -> bool:
        if m.matches(statement, m.Expr(value=m.Call(args=[]))) and \
                self._qualified(statement.value.func) == "tensorflow.enable_eager_execution":
            return True
        backend = _keras_backend_assignment(statement)
        if backend is None:
            return False
        value = _string(backend)
        if value in BACKENDS_KERAS3_REFUSES:
            self.warn(f"KERAS_BACKEND={value!r} dropped: Keras 3 refuses to import with it, and the migrated "
                      "code runs on TensorFlow")
            return True
        if value is None:
            self.manual(statement, "KERAS_BACKEND set from a value migrate cannot read: Keras 3 refuses to import "
                                   "with 'theano' or 'cntk'")
        return False

    def leave_SimpleStatementLine(self, original_node, updated_node):
        return drop_small_statements(updated_node, self._dropped)

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        return drop_small_statements(updated_node, self._dropped)


def _keras_backend_assignment(statement: cst.BaseSmallStatement) -> cst.BaseExpression | None:
    """The value of `os.environ['KERAS_BACKEND'] = v` / `os.environ.setdefault('KERAS_BACKEND', v)`."""
    environ = m.Attribute(value=m.Name("os"), attr=m.Name("environ")) | m.Name("environ")
    key = m.SimpleString(value=m.MatchIfTrue(lambda v: v[1:-1] == "KERAS_BACKEND"))
    if m.matches(statement, m.Assign(targets=[m.AssignTarget(m.Subscript(value=environ, slice=[
            m.SubscriptElement(m.Index(key))]))])):
        return statement.value
    if m.matches(statement, m.Expr(m.Call(func=m.Attribute(value=environ, attr=m.Name("setdefault")),
                                          args=[m.Arg(key), m.Arg()]))):
        return statement.value.args[1].value
    return None
