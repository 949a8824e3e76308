"""SourceFile.code_of must give exactly `tree.code` while reusing the text of statements it has seen."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.analysis.walk import transform
from migrate.rules.base import SourceFile
from tests.migrate.test_walk import SOURCES, _Remover, _Renamer

ODD = [
    "x = 1",  # no trailing newline: libcst trims the last token
    "",
    "\n\n",
    "# only a comment\n",
    "if x:\r\n    y = 1\r\nz = 2\r\n",  # CRLF
    "def f():\n\tif x:\n\t\treturn 1\n",  # tabs
    "a = 1\r\nb = 2\n",  # mixed newlines
    "class A:\n    def f(self):\n        return self.x  # trailing\n\n\n# footer comment\n",
    "#!/usr/bin/env python\n# coding: utf-8\n\nimport os\n\n\ndef f(self):\n    return os.sep\n",  # a header
    'x = """a\rb"""\ny = g(1)\n',  # a lone CR is a line break to libcst and Python
    "# c\r\nimport os\ry = os.sep\n",
    "import tensorflow as tf\r\r\nx = tf.placeholder(tf.float32)\r\r\n",
]


@pytest.mark.parametrize("source", ODD + [p.read_text(encoding="utf-8") for p in SOURCES[:12]])
def test_code_of_is_libcst_code_before_and_after_changes(source: str) -> None:
    module = cst.parse_module(source)
    file = SourceFile()
    assert file.code_of(module) == module.code
    for transformer in (_Renamer(), _Remover()):
        changed = transform(module, transformer)
        assert file.code_of(changed) == changed.code
        module = changed


def test_code_of_reuses_unchanged_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    module = cst.parse_module("import os\n\ndef f(self):\n    return self\n\nx = os.sep\n")
    file = SourceFile()
    file.code_of(module)
    renamed = transform(module, _Renamer())
    expected = renamed.code
    generated: list[type] = []
    original = cst.Module.code_for_node

    def counting(self, node):
        generated.append(type(node))
        return original(self, node)

    monkeypatch.setattr(cst.Module, "code_for_node", counting)
    assert file.code_of(renamed) == expected
    assert "def f(this):" in expected
    assert generated == [cst.FunctionDef]  # only the statement that changed


class _Every(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return True


@pytest.mark.parametrize("source", ODD + [p.read_text(encoding="utf-8") for p in SOURCES[:12]])
def test_positions_are_libcst_positions_over_the_whole_module(source: str) -> None:
    """Manual items are placed by SourceFile.positions, statement by statement: every node of a
    top-level statement must get the start and end PositionProvider gives over the whole module,
    before and after a change, and a node outside the statements (the module) must fall back."""
    module = cst.parse_module(source)
    file = SourceFile()
    for transformer in (None, _Renamer(), _Remover()):
        if transformer is not None:
            module = transform(module, transformer)
        whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        inside = [node for statement in module.body for node in _walked(statement)]
        found = file.positions(module, inside)
        if not module.has_trailing_newline:
            assert found is None
            continue
        assert found is not None and len(found) == len(inside)
        assert {node: found[node] for node in inside} == {node: whole[node] for node in inside}
        assert file.positions(module, [module]) is None


def _walked(statement: cst.CSTNode) -> list[cst.CSTNode]:
    every = _Every()
    statement.visit(every)
    return every.nodes


def test_a_node_placed_twice_has_its_last_place_as_with_position_provider() -> None:
    """A rule may put one node object in two statements; PositionProvider keeps the last place."""
    module = cst.parse_module("x = a\n\ny = b\nz = 1\n")
    name = module.body[0].body[0].value
    second = module.body[1].with_changes(body=[module.body[1].body[0].with_changes(value=name)])
    module = module.with_changes(body=[module.body[0], second, module.body[2]])
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = SourceFile().positions(module, [name])
    assert found is not None and found[name] == whole[name]
    assert whole[name].start.line == 3
