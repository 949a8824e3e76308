"""Point `load_model("name")` at `name.h5` when `name` is an HDF5 model file without a suffix.

Keras 2 loaded an HDF5 model whatever its file was called (`load_model("category.model")`);
Keras 3's `load_model` decides by the name alone and refuses one without `.h5` / `.hdf5` /
`.keras` ("File format not supported"), whatever the file holds. The file is found as the app
finds it (beside the source, or from the folder above it: model_files' search) and recognised
by its HDF5 signature. The literal gains `.h5`, and the run writes that file: an upgraded
copy that Keras 3 loads, verified to predict what the original does (the original is left as
it is, for any other app that loads it). Only when the run handles model files (not
`--no-model-files`) and the file lies in the source's own folder tree, where the run may
write: otherwise the model-files report names the file and the command that writes the copy.

    -category_model = load_model("category.model")
    +category_model = load_model("category.model.h5")
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from migrate import model_files
from migrate.analysis.walk import transform, walk
from migrate.rules.base import Example, Rule

_LOADS = frozenset({"keras.models.load_model", "keras.saving.load_model"})


class ModelFileSuffix(Rule):
    """Add `.h5` to a loaded HDF5 model file's name that Keras 3 refuses for lack of a suffix."""

    NAME = "model-file-suffix"
    DESCRIPTION = ("Point `load_model(\"name\")` at `name.h5` when `name` is an HDF5 model file without a "
                   "suffix (Keras 3 refuses it by its name); the run writes `name.h5`, an upgraded copy.")
    SAFE = True
    ORDER = 60
    TRIGGERS = ("load_model",)
    FIXES = [
        Example(
            """
            import keras

            category_model = keras.models.load_model("category.model")
            color_model = keras.models.load_model('models/color')
            """,
            """
            import keras

            category_model = keras.models.load_model("category.model.h5")
            color_model = keras.models.load_model('models/color.h5')
            """,
            id="HDF5 model files without a suffix beside the source",
            model_files=("category.model", "models/color"),
        ),
    ]
    NOOPS = [
        Example(
            """
            from keras.models import load_model

            category_model = load_model("category.model")
            """,
            id="no such file beside the source: left to the model-files report",
        ),
        Example(
            """
            from keras.models import load_model

            model = load_model("model.h5")
            """,
            id="a name Keras 3 takes",
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        filename = self.context.filename
        if not (self.options.model_files and filename and Path(filename).is_file()):
            return tree
        names = self.analyses.names
        folder = Path(filename).resolve().parent
        renames: dict[int, cst.SimpleString] = {}

        class _Find(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                if names.qualify(node.func) not in _LOADS or not node.args or node.args[0].keyword is not None:
                    return
                literal = node.args[0].value
                if not isinstance(literal, cst.SimpleString) or literal.prefix.lower() not in ("", "r"):
                    return
                name = literal.evaluated_value
                if not isinstance(name, str):
                    return
                found = model_files.unsuffixed_model(filename, name)
                if found is None or folder not in found.resolve().parents:
                    return
                quote = literal.quote
                renames[id(literal)] = literal.with_changes(
                    value=f"{literal.prefix}{quote}{literal.raw_value}.h5{quote}")

        walk(tree, _Find())
        if not renames:
            return tree

        class _Rename(cst.CSTTransformer):
            def leave_SimpleString(self, original_node, updated_node):
                return renames.get(id(original_node), updated_node)

        return transform(tree, _Rename())
