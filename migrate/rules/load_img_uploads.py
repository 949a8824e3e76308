"""Give `load_img` an upload's bytes, not the upload: Keras 3 (and tf_keras) refuse a file object.

Keras 2.2.4 and 2.3.1 took their `load_img` from keras-preprocessing 1.0.5-1.1.0, which handed
the argument to `PIL.Image.open`: a Flask upload (`request.files['image']`, a file object)
loaded as well as a path. Keras 3's `load_img` takes a path or an `io.BytesIO` and raises
`TypeError: path should be path-like or io.BytesIO` for anything else, on every request.
`io.BytesIO(upload.read())` gives PIL the same bytes, so the same pixels.

    -im = image.load_img(request.files['image'], target_size=(150, 150))
    +im = image.load_img(io.BytesIO(request.files['image'].read()), target_size=(150, 150))

Only an upload read straight from Flask's `request.files` (`[...]` or `.get(...)`) in a
function that reads no other upload, or a name bound to one there and used by nothing else:
an upload saved or read before is at its end, where PIL seeked back and `.read()` does not.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor

from migrate.analysis.names import dotted
from migrate.analysis.walk import calls_in, transform, walk
from migrate.rules.base import Example, Rule

_LOAD_IMG = frozenset({"keras.preprocessing.image.load_img", "keras.utils.load_img", "keras.utils.image_utils.load_img",
                       "keras_preprocessing.image.load_img", "keras_preprocessing.image.utils.load_img"})


def _upload(node: cst.BaseExpression) -> bool:
    """`request.files[...]` / `request.files.get(...)` (Flask's uploads: file objects)."""
    if isinstance(node, cst.Subscript):
        return dotted(node.value) == "request.files"
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get"
            and dotted(node.func.value) == "request.files")


class _Uses(cst.CSTVisitor):
    """Per function: each name bound once, to an upload, and how often it is read."""

    def __init__(self) -> None:
        self.bound: dict[str, list[cst.BaseExpression]] = {}
        self.reads: dict[str, int] = {}

    def visit_Assign(self, node: cst.Assign) -> bool:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.bound.setdefault(target.target.value, []).append(node.value)
            else:
                walk(target.target, self)
        walk(node.value, self)
        return False  # its targets are bindings, not reads

    def visit_Name(self, node: cst.Name) -> None:
        self.reads[node.value] = self.reads.get(node.value, 0) + 1


class LoadImgUploads(Rule):
    """Wrap a Flask upload handed to `load_img` in `io.BytesIO(upload.read())`."""

    NAME = "load-img-uploads"
    DESCRIPTION = ("Hand `load_img` an upload's bytes (`io.BytesIO(request.files[...].read())`): Keras 2 took the "
                   "file object, Keras 3 raises TypeError on every request.")
    SAFE = True
    ORDER = 60
    TRIGGERS = ("load_img",)
    FIXES = [
        Example(
            """
            from flask import request
            from keras.preprocessing import image

            @app.route("/predict", methods=["POST"])
            def predict():
                im = image.load_img(request.files['image'], target_size=(150, 150))
                return str(model.predict(image.img_to_array(im)[None]))
            """,
            """
            from flask import request
            from keras.preprocessing import image
            import io

            @app.route("/predict", methods=["POST"])
            def predict():
                im = image.load_img(io.BytesIO(request.files['image'].read()), target_size=(150, 150))
                return str(model.predict(image.img_to_array(im)[None]))
            """,
            id="a Flask upload straight into load_img",
        ),
        Example(
            """
            import io
            from flask import request
            from keras.preprocessing.image import load_img

            def predict():
                upload = request.files.get("file")
                img = load_img(upload, target_size=(224, 224))
            """,
            """
            import io
            from flask import request
            from keras.preprocessing.image import load_img

            def predict():
                upload = request.files.get("file")
                img = load_img(io.BytesIO(upload.read()), target_size=(224, 224))
            """,
            id="a name bound to the upload, used by nothing else",
        ),
    ]
    NOOPS = [
        Example(
            """
            from flask import request
            from keras.preprocessing.image import load_img

            def predict():
                upload = request.files["file"]
                upload.save("/tmp/x.png")
                img = load_img(upload, target_size=(224, 224))
            """,
            id="the upload is used before (saved: its stream read): left as it is",
        ),
        Example(
            """
            from flask import request
            from keras.preprocessing import image

            def predict():
                request.files["image"].save("/tmp/upload.png")
                return image.load_img(request.files["image"], target_size=(150, 150))
            """,
            id="the same upload saved first, read from request.files again: left as it is",
        ),
        Example(
            """
            from keras.preprocessing.image import load_img

            def predict(path):
                return load_img(path, target_size=(224, 224))
            """,
            id="a path",
        ),
    ]

    def rewrite(self, tree: cst.Module) -> cst.Module:
        names = self.analyses.names
        wrapped: dict[int, cst.BaseExpression] = {}

        class _Find(cst.CSTVisitor):
            def visit_FunctionDef(self, func: cst.FunctionDef) -> bool:
                uses = _Uses()
                walk(func.body, uses)
                # a name bound once, to an upload, read once (by the load_img call)
                single = {n for n, values in uses.bound.items()
                          if len(values) == 1 and _upload(values[0]) and uses.reads.get(n) == 1}
                # read straight from request.files: only where nothing else in the function reads an
                # upload (one saved or read before is at its end; PIL seeks back, `.read()` does not)
                alone = _request_files_reads(func) == 1
                for call in calls_in(func):
                    if names.qualify(call.func) not in _LOAD_IMG or not call.args or call.args[0].keyword is not None:
                        continue
                    arg = call.args[0].value
                    if _upload(arg) and alone or isinstance(arg, cst.Name) and arg.value in single:
                        wrapped[id(arg)] = arg
                return True

        walk(tree, _Find())
        if not wrapped:
            return tree

        class _Wrap(cst.CSTTransformer):
            def leave_Arg(self, original_node, updated_node):
                if id(original_node.value) not in wrapped:
                    return updated_node
                read = cst.Call(func=cst.Attribute(value=updated_node.value, attr=cst.Name("read")))
                return updated_node.with_changes(value=cst.Call(
                    func=cst.Attribute(value=cst.Name("io"), attr=cst.Name("BytesIO")), args=[cst.Arg(read)]))

        AddImportsVisitor.add_needed_import(self.context, "io")
        return transform(tree, _Wrap())


def _request_files_reads(func: cst.FunctionDef) -> int:
    found = 0

    class _Visitor(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            nonlocal found
            found += dotted(node) == "request.files"

    walk(func, _Visitor())
    return found
