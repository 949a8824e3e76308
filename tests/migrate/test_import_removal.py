"""The metadata-free import removal (rules.base) must remove exactly what libcst's
RemoveImportsVisitor removes, whenever it answers at all; the walk-free import addition
(analysis.cst_adapter.add_imports) must add exactly what AddImportsVisitor adds."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from migrate.analysis.blocks import keep_lines_of_removed_imports
from migrate.analysis.cst_adapter import add_imports
from migrate.rules.base import _TextuallyUnusedImports

REPO = Path(__file__).resolve().parents[2]

CASES = [
    pytest.param("from keras.backend import set_session\nimport tensorflow as tf\nx = 1\n", True, id="lone import"),
    pytest.param("from keras.backend import set_session, clear_session\nclear_session()\n", True, id="one of two"),
    pytest.param("from keras.backend import (\n    clear_session,  # c1\n    set_session,  # c2\n)\nclear_session()\n",
                 True, id="last in parentheses, comments"),
    pytest.param("from keras.backend import (\n    set_session,  # c2\n    clear_session,\n)\nclear_session()\n",
                 True, id="first in parentheses, its comment moves"),
    pytest.param("from keras.backend import set_session as ss\nimport os\n", True, id="alias"),
    pytest.param("def f():\n    from keras.backend import set_session\n    return 1\n", True, id="inside a function"),
    pytest.param("try:\n    from keras.backend import set_session\nexcept ImportError:\n"
                 "    from tensorflow.keras.backend import set_session\n", True, id="try/except spellings"),
    pytest.param("from keras.backend import set_session\n__all__ = ['set_session']\n", False, id="exported: libcst"),
    pytest.param("from keras.backend import set_session\nset_session(1)\n", False, id="used: libcst"),
    pytest.param("from keras.backend import set_session\n# set_session(sess)\n", False, id="in a comment: libcst"),
    pytest.param("match x:\n    case 1:\n        from keras.backend import set_session\n", False,
                 id="import where the search does not look: libcst"),
]
REQUESTS = [("keras.backend", "set_session", None), ("keras.backend", "set_session", "ss"),
            ("tensorflow.keras.backend", "set_session", None)]


def _both(source: str, requests) -> tuple[str, cst.Module | None]:
    ctx = CodemodContext()
    for request in requests:
        RemoveImportsVisitor.remove_unused_import(ctx, *request)
    reference = RemoveImportsVisitor(ctx).transform_module(cst.parse_module(source)).code
    ctx = CodemodContext()
    for request in requests:
        RemoveImportsVisitor.remove_unused_import(ctx, *request)
    module = cst.parse_module(source)
    return reference, _TextuallyUnusedImports.remove(ctx, module, module.code)


MODULE_CASES = [
    pytest.param("import tensorflow as tf\nimport os\nx = 1\n", True, id="lone aliased module"),
    pytest.param("import os, tensorflow as tf\nos.getcwd()\n", True, id="one of two"),
    pytest.param("import threading\nimport tensorflow.compat.v1\nx = 1\n", True, id="dotted, binds its first name"),
    pytest.param("def f():\n    import tensorflow as tf\n    return 1\n", True, id="inside a function"),
    pytest.param("import tensorflow as tf\ntf.constant(1)\n", False, id="used: libcst"),
    pytest.param("import tensorflow.compat.v1\nimport tensorflow.keras\ntensorflow.keras.Model\n", False,
                 id="first name used by a sibling import: libcst"),
    pytest.param("import tensorflow as tf\nprint('tf')\n", False, id="in a string: libcst"),
]
MODULE_REQUESTS = [("tensorflow", None, "tf"), ("tensorflow.compat.v1", None, None)]


@pytest.mark.parametrize("source,fast,requests", [
    *(pytest.param(*case.values, REQUESTS, id=f"from-import: {case.id}") for case in CASES),
    *(pytest.param(*case.values, MODULE_REQUESTS, id=f"module: {case.id}") for case in MODULE_CASES)])
def test_same_removal_as_libcst(source: str, fast: bool, requests) -> None:
    reference, result = _both(source, requests)
    assert (result is not None) == fast
    if result is not None:
        assert result.code == reference


HEADS = [
    "",
    "x = 1\n",
    '"""Doc."""\nimport os\n\nx = 1\n',
    '"""Doc."""\nx = 1\n',
    "__strict__ = True\nimport os\nx = 1\n",
    "import os\nimport threading\nx = 1\n",
    "import os\nimport threading as th\nx = 1\n",
    "import tensorflow as tf\nfrom keras.models import load_model\n# a comment\nmodel = load_model('m.h5')\n",
    "#!/usr/bin/env python\n# header\nimport os\n\n\ndef f():\n    import threading\n    return 1\n",
    "import os; import sys\nx = 1\n",
    "from __future__ import annotations\nimport os\nclass A:\n    pass\n",
    "import os\nif True:\n    import threading\n",
    "'Doc.' 'more'\nimport os\r\nx = 1\r\n",
    "import os\n",
]
ADDS = [[("threading", None)], [("tensorflow", "tf")], [("threading", None), ("os", None), ("tensorflow", "tf")],
        [("tensorflow", "tf"), ("tensorflow", "tf"), ("threading", None)]]


@pytest.mark.parametrize("adds", ADDS, ids=lambda adds: ",".join(f"{m} as {a}" if a else m for m, a in adds))
@pytest.mark.parametrize("source", HEADS)
def test_same_module_import_addition_as_libcst(source: str, adds) -> None:
    def context() -> CodemodContext:
        ctx = CodemodContext()
        for module, alias in adds:
            AddImportsVisitor.add_needed_import(ctx, module, asname=alias)
        return ctx

    reference = AddImportsVisitor(context()).transform_module(cst.parse_module(source)).code
    assert add_imports(context(), cst.parse_module(source)).code == reference


def _from_imports(module: cst.Module):
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar) \
                        and small.module is not None and not small.relative:
                    for alias in small.names:
                        yield cst.Module(body=[]).code_for_node(small.module), alias.evaluated_name, alias.evaluated_alias
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        yield alias.evaluated_name, None, alias.evaluated_alias


@pytest.mark.parametrize("path", sorted((REPO / "fixtures" / "apps").glob("*/app.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_fixture_imports_removed_as_libcst_does(path: Path) -> None:
    try:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
    except Exception:
        pytest.skip("not parseable")
    for request in _from_imports(module):
        reference, result = _both(module.code, [request])
        if result is not None:
            assert result.code == reference, request


@pytest.mark.parametrize("source,expected", [
    pytest.param("import os\n\nimport tensorflow as tf\nfrom keras import backend as K\n\nx = K\n",
                 "import os\n\nfrom keras import backend as K\n\nx = K\n", id="first of a group"),
    pytest.param("import os\n\nimport tensorflow as tf\n\nx = 1\n", "import os\n\nx = 1\n", id="a whole group"),
    pytest.param("import os\n# tensorflow, for the session\nimport tensorflow as tf\nx = 1\n", "import os\nx = 1\n",
                 id="its own comment goes with it"),
    pytest.param("import os\n# === nlp ===\nimport tensorflow as tf\nfrom nlp import token\n\nx = token\n",
                 "import os\n# === nlp ===\nfrom nlp import token\n\nx = token\n",
                 id="the banner of an import group stays with the group's next import"),
    pytest.param("import os\n\n# third party\n\nimport tensorflow as tf\nx = 1\n", "import os\n\n# third party\n\nx = 1\n",
                 id="a detached comment stays"),
    pytest.param("import tensorflow as tf, os\n\nos.getcwd()\n", "import os\n\nos.getcwd()\n", id="one name of a line"),
])
def test_a_removed_import_line_hands_its_blank_lines_on(source: str, expected: str) -> None:
    ctx = CodemodContext()
    RemoveImportsVisitor.remove_unused_import(ctx, "tensorflow", None, "tf")
    tree = cst.parse_module(source)
    assert keep_lines_of_removed_imports(tree, RemoveImportsVisitor(ctx).transform_module(tree)).code == expected
    module = cst.parse_module(source)
    fast = _TextuallyUnusedImports.remove(ctx, module, module.code)
    assert fast is not None and keep_lines_of_removed_imports(module, fast).code == expected
