"""The one place migrate touches libcst's private internals.

A libcst upgrade that changes them breaks this module and nothing else. What it reaches:

- `child_fields`: the order in which libcst visits a node type's children (a Call's `lpar`
  before its `func`) and how (one node, an optional one, a sequence, a statement body), read
  from the node's own `_visit_and_replace_children` source. `analysis.walk` needs it to call
  hooks in libcst's order without rebuilding the tree.
- `is_removable`: `CSTNode._is_removable()`, libcst's rule for which statements a body drops
  when a transformer empties them.
- `FastCodemod`: a `VisitorBasedCodemodCommand` without libcst's per-command deep copy of the
  tree (`_handle_metadata_reference`), without its matcher-decorator set-up for commands that
  use no decorators (writes `_MatcherDecoratableTransformer__matchers`), and with a hook
  (`remove_imports_without_metadata`) in front of `RemoveImportsVisitor` (`_instantiate_and_run`),
  and, in front of `AddImportsVisitor`, `add_imports`: the same result for `import x` requests
  from the module's top-level statements, relying on which statements that visitor reads and
  edits and how (its `_get_imports_from_context` too), not only on its documented behaviour.
- `_instantiate_and_run`, where libcst's command runs its import visitors: both commands
  (and so both switch settings) hand the blank lines of a removed import line to the next
  statement (`blocks.keep_lines_of_removed_imports`), which RemoveImportsVisitor drops.
- `ImportAliasRemoval` / `requested_import_removals`: `RemoveImportsVisitor`'s own removal
  code (`leave_Import`, `leave_ImportFrom`, `_process_importfrom_aliases`) and its context reader.

`MIGRATE_PLAIN_LIBCST=1` (read at import) shuts the door: `analysis.walk` then runs libcst's
public `node.visit`, and rules run as plain `VisitorBasedCodemodCommand`s (tree copy, matcher
set-up, RemoveImportsVisitor with its scope metadata). The output is the same either way
(the rule examples and golden files are tested both ways); only the time differs.
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from contextlib import contextmanager
from dataclasses import replace
from typing import Generator, Sequence

import libcst as cst
from libcst.codemod import Codemod, CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import MetadataWrapper

from migrate.analysis.blocks import is_import_line, keep_lines_of_removed_imports

PLAIN = os.environ.get("MIGRATE_PLAIN_LIBCST", "") not in ("", "0")

# how libcst's visiting helpers treat a field: "required", "optional", "sentinel" (a single
# node), "sequence", "body" (a statement body, whose emptied statements are dropped)
_KIND_OF_HELPER = {"visit_required": "required", "visit_optional": "optional", "visit_sentinel": "sentinel",
                   "visit_sequence": "sequence", "visit_iterable": "sequence",
                   "visit_body_sequence": "body", "visit_body_iterable": "body"}


def child_fields(cls: type) -> tuple[tuple[str, str], ...] | None:
    """((field, kind), ...) of node type `cls` in libcst's visiting order; None when libcst
    is installed without its sources (callers then ask each node for `node.children`)."""
    # each child field is one `visit_*(self, "field", ...)` call, in visiting order
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls._visit_and_replace_children)))
    except (OSError, TypeError, SyntaxError):
        return None
    found: dict[str, str] = {}

    class _Calls(ast.NodeVisitor):
        def visit_Call(self, call: ast.Call) -> None:
            self.generic_visit(call)  # arguments are evaluated before the call itself
            if isinstance(call.func, ast.Name) and call.func.id in _KIND_OF_HELPER and len(call.args) > 1:
                field = call.args[1]
                if isinstance(field, ast.Constant) and isinstance(field.value, str):
                    # ImportFrom.names is visited as a node (`*`) or a sequence: the
                    # value decides at run time; the single-node kind is kept here
                    kind = _KIND_OF_HELPER[call.func.id]
                    if field.value not in found or kind not in ("sequence", "body"):
                        found[field.value] = kind

    _Calls().visit(tree)
    return tuple(found.items())


def is_removable(node: cst.CSTNode) -> bool:
    """libcst's answer to "may a body drop this statement once it is empty?"."""
    return node._is_removable()


class FastCodemod(VisitorBasedCodemodCommand):
    """`VisitorBasedCodemodCommand` without the costs migrate's pipeline does not need.

    - no deep copy of the tree per command: the pipeline hands each command a tree nobody
      else changes (the copy is the most expensive step for a small file);
    - no matcher-decorator set-up for a class that uses no decorators (walking every
      attribute of the instance costs ~35 ms per class; matchers are then checked per node);
    - `remove_imports_without_metadata(tree)` is tried before libcst's RemoveImportsVisitor,
      which resolves scope metadata on a copy of the tree;
    - `add_imports(context, tree)` stands in for AddImportsVisitor.

    `uses_libcst_dispatch` is False for such a plain command: its hooks may then be called
    by `analysis.walk.transform` instead of libcst's traversal.
    """

    # per class: does it use libcst's matcher decorators (@m.visit, @m.call_if_inside...)?
    _plain_classes: dict[type, bool] = {}

    def __init__(self, context: CodemodContext) -> None:
        cls = type(self)
        if FastCodemod._plain_classes.get(cls):
            Codemod.__init__(self, context)
            cst.CSTTransformer.__init__(self)
            self._MatcherDecoratableTransformer__matchers = {}
            self._extra_visit_funcs = {}
            self._extra_leave_funcs = {}
            self._plain = True
        else:
            super().__init__(context)
            self._plain = not (self._extra_visit_funcs or self._extra_leave_funcs or self._matchers)
            FastCodemod._plain_classes[cls] = self._plain

    @property
    def uses_libcst_dispatch(self) -> bool:
        """True when only libcst's own traversal can call this command's hooks (matchers)."""
        return not self._plain

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._plain:
            return cst.CSTTransformer.on_visit(self, node)
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        if self._plain:
            return cst.CSTTransformer.on_leave(self, original_node, updated_node)
        return super().on_leave(original_node, updated_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if self._plain:
            return cst.CSTTransformer.on_visit_attribute(self, node, attribute)
        return super().on_visit_attribute(node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if self._plain:
            return cst.CSTTransformer.on_leave_attribute(self, original_node, attribute)
        return super().on_leave_attribute(original_node, attribute)

    def remove_imports_without_metadata(self, tree: cst.Module) -> cst.Module | None:
        """`tree` with the scheduled import removals done, or None to let libcst do them."""
        return None

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Generator[cst.Module, None, None]:
        oldwrapper = self.context.wrapper
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        with self.resolve(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=oldwrapper)

    def _instantiate_and_run(self, transform, tree: cst.Module) -> cst.Module:
        if transform is RemoveImportsVisitor:
            removed = self.remove_imports_without_metadata(tree)
            if removed is None:
                removed = super()._instantiate_and_run(transform, tree)
            return keep_lines_of_removed_imports(tree, removed)
        if transform is AddImportsVisitor:
            return add_imports(self.context, tree)
        return super()._instantiate_and_run(transform, tree)


def add_imports(context: CodemodContext, tree: cst.Module) -> cst.Module:
    """What libcst's AddImportsVisitor makes of `tree`, without its walk when the scheduled
    imports are all `import x` / `import x as y` (the ones migrate's rules add).

    AddImportsVisitor copies and walks the whole tree (most of migrate's time on a file that
    gains an import) to read and edit the module's leading block of import lines. For
    module imports it only inserts the missing ones after that block and makes sure a blank
    line follows: done here on the top-level statements, in its order and with its text.
    Any other request (`from x import y`, relative imports) runs the visitor itself.
    """
    items = AddImportsVisitor._get_imports_from_context(context)
    if any(item.obj_name is not None or item.relative for item in items):
        return AddImportsVisitor(context).transform_module(tree)
    wanted = {item.module for item in items if item.alias is None}
    aliases = {item.module: item.alias for item in items if item.alias is not None}
    body = tree.body
    end = start = 1 if _starts_with_docstring_or_strict(body) else 0
    while end < len(body) and is_import_line(body[end]):
        end += 1
    for statement in body[start:end]:
        node = statement.body[0]
        if isinstance(node, cst.Import):
            for name in node.names:
                if name.evaluated_alias is None:
                    wanted.discard(name.evaluated_name)
                elif aliases.get(name.evaluated_name) == name.evaluated_alias:
                    del aliases[name.evaluated_name]
    if not wanted and not aliases:
        return tree
    config = tree.config_for_parsing
    added = [cst.parse_statement(f"import {module}", config=config) for module in sorted(wanted)]
    added += [cst.parse_statement(f"import {module} as {alias}", config=config) for module, alias in aliases.items()]
    after = list(body[end:])
    if after and not after[0].leading_lines:  # a blank line before the first non-import
        after[0] = after[0].with_changes(leading_lines=(cst.EmptyLine(),))
    elif after and after[0].leading_lines[0].comment is not None:
        after[0] = after[0].with_changes(leading_lines=(cst.EmptyLine(), *after[0].leading_lines))
    return tree.with_changes(body=(*body[:end], *added, *after))


def _starts_with_docstring_or_strict(body: Sequence[cst.BaseStatement]) -> bool:
    """AddImportsVisitor never inserts before a docstring or a `__strict__ = ...` line."""
    if not body or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return False
    first = body[0].body[0]
    if isinstance(first, cst.Expr):
        return isinstance(first.value, cst.SimpleString)
    return (isinstance(first, cst.Assign) and len(first.targets) == 1
            and isinstance(first.targets[0].target, cst.Name) and first.targets[0].target.value == "__strict__")


class _PlainCodemod(VisitorBasedCodemodCommand):
    """libcst's command as is (MIGRATE_PLAIN_LIBCST=1), but for the blank lines of removed imports."""

    def _instantiate_and_run(self, transform, tree: cst.Module) -> cst.Module:
        done = super()._instantiate_and_run(transform, tree)
        return keep_lines_of_removed_imports(tree, done) if transform is RemoveImportsVisitor else done

    uses_libcst_dispatch = True


# what rules derive from; classes whose on_visit / on_leave only forward to libcst's typed
# dispatch (analysis.walk.transform does not treat them as generic visitors)
CodemodBase: type[VisitorBasedCodemodCommand] = _PlainCodemod if PLAIN else FastCodemod
FORWARDING_BASES = frozenset({FastCodemod})


class ImportAliasRemoval(cst.CSTTransformer):
    """RemoveImportsVisitor's own `import x` / `from x import a, b` removal code, borrowed as is.

    It reads `self.context`, `self.unused_module_imports` ({module: alias}),
    `self.unused_obj_imports` ({module: {(name, alias)}}) and `self._unused_imports` (the alias
    nodes to remove → their statement); a subclass sets them.
    """

    leave_Import = RemoveImportsVisitor.leave_Import
    leave_ImportFrom = RemoveImportsVisitor.leave_ImportFrom
    _process_importfrom_aliases = RemoveImportsVisitor._process_importfrom_aliases

    def __init__(self, context: CodemodContext, unused_module_imports: dict, unused_obj_imports: dict,
                 unused: dict) -> None:
        super().__init__()
        self.context = context
        self.unused_module_imports = unused_module_imports
        self.unused_obj_imports = unused_obj_imports
        self._unused_imports = unused


def requested_import_removals(context: CodemodContext) -> list[tuple[str, str | None, str | None]]:
    """(module, name, alias) of each removal scheduled with `remove_unused_import`."""
    return RemoveImportsVisitor._get_imports_from_context(context)
