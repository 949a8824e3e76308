"""Rewrite Keras 2.x import spellings to the chosen target and drop imports the rewrite left unused.

Standalone `keras` now means Keras 3, so `from keras.models import load_model` in a legacy
app silently changes framework; the default target pins it to `tensorflow.keras`
(`--target keras3` keeps plain `keras`). Modules that moved (`keras.layers.core`,
`keras.utils.np_utils`, `tensorflow.python.keras`) get their public home, and
`keras.backend.tensorflow_backend` (gone from every modern Keras) is dropped once the
other rules removed its uses.

    -import keras.backend.tensorflow_backend as tb
    -from keras.models import load_model
    -from keras.layers.core import Dense
    +from tensorflow.keras.models import load_model
    +from tensorflow.keras.layers import Dense
"""

from __future__ import annotations

import re
import libcst as cst
import libcst.matchers as m

from migrate.analysis.blocks import is_import_line, without_dropped
from migrate.rules.base import Example, Rule
from migrate.analysis.walk import walk
from migrate.surface import MOVED_MODULES

# Submodules with no home in the target: the import stays and is reported.
NO_EQUIVALENT = {
    "tf-keras": {"wrappers.scikit_learn": "moved out of Keras (use the scikeras package)"},
    "keras3": {
        "wrappers.scikit_learn": "moved out of Keras (use the scikeras package)",
        "preprocessing.text": "removed in Keras 3 (use keras.layers.TextVectorization)",
    },
}
TF_BACKEND = "backend.tensorflow_backend"

# TF 1.x shipped Keras as tensorflow.contrib.keras (its modules under .api.keras or .python.keras)
_KERAS_PREFIX = re.compile(r"^(?:tensorflow\.contrib\.keras(?:\.api\.keras|\.python\.keras)?"
                           r"|tensorflow\.(?:compat\.v[12]\.)?(?:python\.)?keras|tf_keras|keras)(?=\.|$)")


def canonical_keras(dotted: str | None) -> str | None:
    """'tensorflow.keras.backend.clear_session' → 'keras.backend.clear_session'; None if not Keras.

    Every spelling of a Keras name (standalone, tf.keras, tf.compat.v1.keras, tf.python.keras,
    tf_keras, keras.backend.tensorflow_backend) maps to one canonical `keras.…` form.
    """
    if not dotted:
        return None
    match = _KERAS_PREFIX.match(dotted)
    if not match:
        return None
    rest = dotted[match.end():]
    rest = rest.replace("." + TF_BACKEND, ".backend", 1) if rest.startswith("." + TF_BACKEND) else rest
    return "keras" + rest


def dotted_name(node: cst.BaseExpression) -> str | None:
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_name(node: cst.BaseExpression | None) -> str | None:
    """Dotted text of an import's module node."""
    return None if node is None else dotted_name(node)


def _names_in(node: cst.CSTNode) -> set[str]:
    collector = _NameCollector()
    walk(node, collector)
    return collector.names


class _NameCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def _code_names(node: cst.CSTNode) -> set[str]:
    """The names `node`'s code reads or binds outside imports (not `x.name` attributes, not
    comments or strings): what an import of the input could have been there for."""
    collector = _CodeNameCollector()
    walk(node, collector)
    return collector.names


class _CodeNameCollector(_NameCollector):
    def __init__(self) -> None:
        super().__init__()
        self._attributes: set[int] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._attributes.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._attributes:
            self.names.add(node.value)


class KerasImports(Rule):
    """Keras 2.x import spellings → target spelling; imports the migration left unused removed."""

    NAME = "keras-imports"
    DESCRIPTION = "Point Keras 2.x imports at the target (tensorflow.keras, or keras with --target keras3); drop imports left unused and keras.backend.tensorflow_backend."
    SAFE = True
    ORDER = 90
    TRIGGERS = ("keras", "tensorflow")
    FIXES = [
        Example(
            """
            from keras.models import load_model
            from keras import backend as K
            import keras
            model = keras.Sequential() if K.floatx() else load_model("m.h5")
            """,
            """
            from tensorflow.keras.models import load_model
            from tensorflow.keras import backend as K
            from tensorflow import keras
            model = keras.Sequential() if K.floatx() else load_model("m.h5")
            """,
            id="standalone keras pinned to tensorflow.keras",
        ),
        Example(
            """
            from keras.layers.core import Dense, Dropout
            from keras.utils.np_utils import to_categorical
            from tensorflow.python.keras.models import Sequential
            model = Sequential([Dense(2), Dropout(0.5)])
            y = to_categorical([0, 1])
            """,
            """
            from tensorflow.keras.layers import Dense, Dropout
            from tensorflow.keras.utils import to_categorical
            from tensorflow.keras.models import Sequential
            model = Sequential([Dense(2), Dropout(0.5)])
            y = to_categorical([0, 1])
            """,
            id="moved and private modules get their public home",
        ),
        Example(
            """
            from tensorflow.contrib.keras.api.keras.models import Sequential
            from tensorflow.contrib.keras.python.keras.layers import Dense
            import tensorflow.contrib.keras as K
            """,
            """
            from tensorflow.keras.models import Sequential
            from tensorflow.keras.layers import Dense
            import tensorflow.keras as K
            """,
            id="TF 1.x tensorflow.contrib.keras spellings",
        ),
        Example(
            """
            import keras.backend as K
            import keras.models
            model = keras.models.load_model("m.h5", custom_objects={"floatx": K.floatx})
            """,
            """
            import tensorflow.keras.backend as K
            from tensorflow import keras
            model = keras.models.load_model("m.h5", custom_objects={"floatx": K.floatx})
            """,
            id="import of a submodule, with and without alias",
        ),
        Example(
            """
            from tensorflow.keras.models import load_model
            from tensorflow import keras
            import tensorflow.keras.backend as K
            model = keras.Sequential() if K.floatx() else load_model("m.h5")
            """,
            """
            from keras.models import load_model
            import keras
            import keras.backend as K
            model = keras.Sequential() if K.floatx() else load_model("m.h5")
            """,
            id="keras3 target: tensorflow.keras spellings become plain keras",
            target="keras3",
        ),
        Example(
            """
            from keras.layers.core import Dense
            """,
            """
            from keras.layers import Dense
            """,
            id="keras3 target: moved module still fixed",
            target="keras3",
        ),
        Example(
            """
            import keras.backend.tensorflow_backend as tb
            from keras.backend.tensorflow_backend import set_session
            from keras.models import load_model
            model = load_model("m.h5")
            """,
            """
            from tensorflow.keras.models import load_model
            model = load_model("m.h5")
            """,
            id="unused tensorflow_backend imports dropped",
        ),
        Example(
            """
            import os

            import keras.backend.tensorflow_backend as tb
            from keras.models import load_model

            model = load_model("m.h5")
            """,
            """
            import os

            from tensorflow.keras.models import load_model

            model = load_model("m.h5")
            """,
            id="a dropped import line leaves the blank line between import groups",
        ),
        Example(
            """
            import keras
            from keras.models import Sequential, load_model
            from keras.layers.core import Dense
            model = load_model("m.h5")
            """,
            """
            import keras
            from tensorflow.keras.models import Sequential, load_model
            from tensorflow.keras.layers import Dense
            model = load_model("m.h5")
            """,
            id="an import the input never used is left as it is, unless its module is gone",
        ),
        Example(
            """
            import numpy as np
            import numpy as np
            import keras
            from tensorflow import keras
            model = keras.models.load_model("m.h5")
            """,
            """
            import numpy as np
            import numpy as np
            from tensorflow import keras
            model = keras.models.load_model("m.h5")
            """,
            id="only the repeat the rewrite made is dropped, not one the input had",
        ),
    ]
    NOOPS = [
        Example("from tensorflow.keras.models import load_model\n", id="already the target"),
        Example("import keras\n", id="keras3 target: plain keras already right", target="keras3"),
        Example("from mypkg.keras import helpers\nimport keras_contrib\n", id="other packages named like keras"),
        Example("from . import keras\n", id="relative import is the project's own module"),
        Example(
            "from keras.wrappers.scikit_learn import KerasClassifier\n",
            id="no modern home: left as is and reported",
            manual=(1,),
        ),
        Example(
            "import keras.backend.tensorflow_backend as tb\ntb._SYMBOLIC_SCOPE.value = True\n",
            id="tensorflow_backend still used: left for the symbolic-scope rule, reported",
            manual=(1,),
        ),
        Example("# from keras.models import load_model\n", id="comment"),
        Example(
            """
            \"""Serves a Sequential model.\"""
            import tensorflow as tf
            from keras.models import Sequential
            from keras.layers import (Dense,
                                      Dropout)
            # tf.Session() was needed once; load_model(path) too
            x = "Dropout"
            """,
            id="an import named only in a docstring, comment, string or continuation line stays",
        ),
    ]

    # which imports are left unused is read from the whole tree the earlier rules left
    SHARES_TRAVERSAL = False

    def rewrite(self, tree: cst.Module) -> cst.Module:
        self._top_lines = {id(s) for s in tree.body if isinstance(s, cst.SimpleStatementLine)}
        self._emptied: set[int] = set()  # top-level import lines all of whose imports went
        self._used_now = _names_in(tree)
        # names, not text: a name only in a comment, a string or a docstring never made an
        # import used, so the import is the user's own unused one and is left to them
        self._in_original = _code_names(self.original_tree(tree))
        self._original_imports = _import_line_counts(self.original_tree(tree))
        return super().rewrite(tree)

    # -- decisions ------------------------------------------------------------------

    def _left_unused(self, local: str) -> bool:
        # only imports the rewrite made unused: the user's own unused imports are theirs
        return local not in self._used_now and local in self._in_original

    def _untouched(self, dotted: str, locals_: list[str]) -> bool:
        """An import the input already did not use, from a module Keras 3 still has: not the
        migration's business (respelling it would only be changed again or removed by a later run)."""
        if any(local in self._used_now or local in self._in_original for local in locals_):
            return False
        if dotted.startswith("tensorflow.contrib."):
            return False  # gone with TF 1: even an unused import of it stops the module at import
        canonical = canonical_keras(dotted) or ""
        suffix = canonical[len("keras."):]
        gone = (*MOVED_MODULES, TF_BACKEND, *NO_EQUIVALENT[self.options.target])
        return not any(suffix == old or suffix.startswith(old + ".") for old in gone)

    def _target_module(self, dotted: str, node: cst.CSTNode) -> str | None:
        """New module for an import of `dotted` (a Keras module), or None to leave it."""
        canonical = canonical_keras(dotted)
        rewritable = dotted.startswith(("keras", "tensorflow.python.keras", "tensorflow.contrib.keras")) or (
            self.options.target == "keras3" and dotted.startswith("tensorflow.keras")
        )
        if canonical is None or not rewritable or dotted.startswith("keras_"):
            return None
        suffix = canonical[len("keras."):] if canonical != "keras" else ""
        for old, reason in NO_EQUIVALENT[self.options.target].items():
            if suffix == old or suffix.startswith(old + "."):
                self.manual(node, f"`{dotted}` {reason}")
                return None
        if dotted.startswith("keras.backend.tensorflow_backend") or dotted.startswith("tensorflow.python.keras.backend.tensorflow_backend"):
            self.manual(node, f"`{dotted}` is gone from modern Keras; remove what still uses it")
            return None
        suffix = MOVED_MODULES.get(suffix, suffix)
        prefix = self.options.keras_module
        return prefix + ("." + suffix if suffix else "")

    # -- rewrites ---------------------------------------------------------------------

    def _removable(self, dotted: str, local: str) -> bool:
        if TF_BACKEND in dotted:
            # gone from every modern Keras: an unused import of it would only crash
            return local not in self._used_now
        return (canonical_keras(dotted) is not None or dotted.split(".")[0] == "tensorflow") and self._left_unused(local)

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.BaseSmallStatement | cst.RemovalSentinel:
        if updated_node.relative or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        dotted = module_name(updated_node.module)
        if dotted is None:
            return updated_node
        kept = [a for a in updated_node.names if not self._removable(f"{dotted}.{dotted_name(a.name)}", _local_name(a))]
        if not kept:
            return cst.RemoveFromParent()
        if len(kept) == len(updated_node.names) and self._untouched(dotted, [_local_name(a) for a in kept]):
            return updated_node
        changes = {}
        if len(kept) != len(updated_node.names):
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            changes["names"] = kept
        if self.options.target == "keras3" and dotted == "tensorflow" and len(kept) == 1 \
                and m.matches(kept[0], m.ImportAlias(name=m.Name("keras"))):
            return cst.Import(names=[kept[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
        if canonical_keras(dotted) is not None:
            target = self._target_module(dotted, original_node)
            if target is not None and target != dotted:
                changes["module"] = cst.parse_expression(target)
        return updated_node.with_changes(**changes) if changes else updated_node

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import):
        new_names: list[cst.ImportAlias] = []
        from_imports: list[cst.ImportFrom] = []
        changed = False
        for alias in updated_node.names:
            dotted = dotted_name(alias.name) or ""
            if self._removable(dotted, _local_name(alias)):
                changed = True
                continue
            untouched = self._untouched(dotted, [_local_name(alias)])
            target = self._target_module(dotted, original_node) if canonical_keras(dotted) and not untouched else None
            if target is None or target == dotted:
                new_names.append(alias)
                continue
            if alias.asname is None:
                if target.startswith("tensorflow."):
                    # `import keras` / `import keras.models` bind the name `keras`: keep that binding
                    from_imports.append(
                        cst.ImportFrom(module=cst.Name("tensorflow"), names=[cst.ImportAlias(cst.Name("keras"))])
                    )
                    changed = True
                    continue
                if dotted.startswith("tensorflow.contrib."):
                    # binds `tensorflow` as before; the keras_surface rule rewrote the uses
                    new_names.append(alias.with_changes(name=cst.parse_expression("tensorflow.keras")))
                    changed = True
                    continue
                if dotted.startswith("tensorflow."):
                    new_names.append(alias)  # binds `tensorflow`, not `keras`: leave it
                    continue
            new_names.append(alias.with_changes(name=cst.parse_expression(target)))
            changed = True
        if not changed:
            return updated_node
        statements: list[cst.BaseSmallStatement] = []
        if new_names:
            new_names[-1] = new_names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            statements.append(updated_node.with_changes(names=new_names))
        statements.extend(from_imports)
        if not statements:
            return cst.RemoveFromParent()
        if len(statements) == 1:
            return statements[0]
        return cst.FlattenSentinel(statements)

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if not updated_node.body and id(original_node) in self._top_lines:
            # kept as a marker for leave_Module, which hands its blank lines to the next line
            marker = updated_node.with_changes(body=[cst.Pass()])
            self._emptied.add(id(marker))
            return marker
        # an import statement may have become several small statements: one line each
        if len(updated_node.body) > len(original_node.body) and any(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in updated_node.body
        ):
            lines = []
            for index, statement in enumerate(updated_node.body):
                line = updated_node.with_changes(body=[statement.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
                if index:
                    line = line.with_changes(leading_lines=[])
                lines.append(line)
            return cst.FlattenSentinel(lines)
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return _dedupe_imports(updated_node, self._emptied, self._original_imports)


def _local_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    dotted = dotted_name(alias.name) or ""
    return dotted.split(".")[0]


def _import_line_counts(module: cst.Module) -> dict[str, int]:
    """How often each top-level import line's text occurs in `module`."""
    counts: dict[str, int] = {}
    for statement in module.body:
        if is_import_line(statement):
            key = module.code_for_node(statement.body[0]).strip()
            counts[key] = counts.get(key, 0) + 1
    return counts


def _dedupe_imports(module: cst.Module, emptied: set[int], original: dict[str, int]) -> cst.Module:
    """Drop the top-level import lines emptied by the rewrite, and each one that repeats an
    earlier one exactly because of the rewrite (e.g. two `from tensorflow import keras`); a
    repeat the input already had (`original`: line text → count) is the user's and stays. A
    dropped line's blank lines go to the next line, so that import groups stay apart."""
    seen: dict[str, int] = {}
    statements = []
    for statement in module.body:
        drop = id(statement) in emptied
        if not drop and is_import_line(statement):
            key = module.code_for_node(statement.body[0]).strip()
            seen[key] = seen.get(key, 0) + 1
            drop = seen[key] > max(1, original.get(key, 0))
        statements.append((statement, drop))
    if not any(drop for _statement, drop in statements):
        return module
    return without_dropped(module, statements)
