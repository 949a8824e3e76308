"""The contract every rule module follows.

A rule is a `libcst.codemod.VisitorBasedCodemodCommand` with a few class attributes that
the pipeline, the generic example test and the generated catalogue read:

    class MakePredictFunction(Rule):
        NAME = "make-predict-function"
        DESCRIPTION = "Drop model._make_predict_function(): ..."
        SAFE = True
        ORDER = 50
        TRIGGERS = ("_make_predict_function",)
        FIXES = [Example("model._make_predict_function()\\n", "", id="statement removed")]
        NOOPS = [Example("# model._make_predict_function()\\n", id="comment left alone")]

Rules see one file at a time and never discover files. A rule is made for one file with
the run's options (`self.options`: target flavour, unsafe fixes) and the file's shared state
(`self.file`, a `SourceFile`). It reads the shared analyses of the tree it is given through
`self.analyses` (imports, graph/session carriers, Keras models, request handlers: computed
once per tree for all rules), records work it cannot do through
`self.manual(original_node, message)` (the base class turns those into positioned items),
notes through `self.warn(message)`, and refuses a whole file with
`raise libcst.codemod.SkipFile(reason)`.

A rule either only defines visit_/leave_ hooks, or overrides `rewrite(tree)` to return the
new tree itself (a rule that plans over the whole file first). Hook-only rules whose hooks
look at nothing but the node they are given (and `self.analyses`) share one traversal with
their neighbours in ORDER (rules.driver); a rule whose hooks need the whole tree as the
previous rules left it sets `SHARES_TRAVERSAL = False`.

A rule's visit_/leave_ hooks are called by `analysis.walk.transform`, with libcst's order
and rules, but an untouched subtree comes back as the same object and a subtree holding no
node type the rule has a hook for is not entered. So: `updated_node is original_node`
when nothing below changed, and a rule that must see every node overrides on_visit
(libcst's own traversal then runs it, as it does for matcher decorators and attribute hooks).
Inner transformers a rule runs should go through `transform(tree, visitor)` too.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.helpers import get_absolute_module_from_package_for_import
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from migrate.analysis.cst_adapter import (FORWARDING_BASES, CodemodBase, ImportAliasRemoval,
                                          requested_import_removals)
from migrate.analysis.carriers import Imported
from migrate.analysis.shared import TreeAnalyses
from migrate.analysis.statements import StatementFacts
from migrate.analysis.walk import transform, walk
from migrate.diffs import line_mapper

TARGETS = ("tf-keras", "keras3")

@dataclass(frozen=True)
class Options:
    """Run-wide choices a rule may need to read.

    target: "tf-keras" writes `tensorflow.keras` spellings, "keras3" writes plain `keras`.
    unsafe_fixes: True when the user asked for rules whose output depends on facts the
    source does not show; the pipeline sets it per rule (--unsafe-fixes or --select NAME).
    """

    target: str = "tf-keras"
    unsafe_fixes: bool = False
    # True when the run also handles the model files the code loads (not --no-model-files):
    # a rewrite that points the code at an upgraded copy of one relies on it being written
    model_files: bool = False

    @property
    def keras_module(self) -> str:
        """Dotted module the migrated code imports Keras from."""
        return "tensorflow.keras" if self.target == "tf-keras" else "keras"


@dataclass(frozen=True)
class ManualItem:
    """Work a rule found and did not (or could not) do.

    Rules, the rule loop and the never-worse search position items in the input file
    (`original_line` None: `line` is the input's). migrate.engine then moves them onto the
    file migrate writes, once, at the end: `line` (1-based; `column` is 0-based) is a line
    of the new text, `original_line` the input's line it is about; an item about
    a line the change removes sits at the nearest line that survived and its message says so
    (REMOVED_NOTE). For a file left unchanged the two lines coincide.
    """

    rule: str
    line: int
    column: int
    message: str
    original_line: int | None = None
    # the message with the lines it names (line_refs) as lines of the input, set with original_line
    original_message: str | None = None
    # the message with those lines still marked, as lines of the new text: for a caller that
    # numbers lines its own way (a notebook's cells)
    template: str | None = None
    # the input lines the message names (line_refs), set with original_line
    original_lines_named: tuple[int, ...] = ()

    def as_dict(self) -> dict:
        """JSON-ready form for the report."""
        return {"rule": self.rule, "line": self.line, "column": self.column, "message": self.message,
                "original_line": self.line if self.original_line is None else self.original_line,
                "original_message": self.message if self.original_message is None else self.original_message,
                "original_lines_named": list(self.original_lines_named)}


# appended to the message of an item whose input line the change removes
REMOVED_NOTE = " (about line {line} of the original, removed by this change)"

# An input line named inside a message: migrate.engine renders it as a line of the written
# file, as it does the item's own line ("{n} of the original" for a line the change removes).
_LINE_REF = re.compile("\x1e(\\d+)\x1f")


def line_refs(numbers: Sequence[int]) -> str:
    """``line N`` / ``lines N, M`` naming input lines inside a message."""
    refs = ", ".join(map(line_ref, numbers))
    return ("line " if len(numbers) == 1 else "lines ") + refs


def lines_named(message: str) -> tuple[int, ...]:
    """The lines a message names with line_refs, in order."""
    return tuple(int(n) for n in _LINE_REF.findall(message))


def quoted(module: cst.Module, node: cst.CSTNode, width: int | None = None) -> str:
    """`node`'s code on one line (white space folded), shortened past `width` characters: what
    a message quotes."""
    text = " ".join(module.code_for_node(node).split())
    return text if width is None or len(text) <= width else text[:width - 3] + "..."


def render_line_refs(message: str, where: Callable[[int], str]) -> str:
    """`message` with each line_refs line written by `where` (line -> text)."""
    return _LINE_REF.sub(lambda m: where(int(m.group(1))), message)


def line_ref(line: int) -> str:
    """One line named inside a message, still marked (see line_refs)."""
    return f"\x1e{line}\x1f"


@dataclass(frozen=True)
class Example:
    """One documented case: `before` becomes `after`; with `after=None` it must stay unchanged.

    Sources are dedented, so examples can be written as indented triple-quoted strings.
    `target` runs the example with that target; `manual` (if given) lists the 1-based lines
    of `before` where the rule must report manual work; `unsafe` runs it with unsafe fixes on;
    `model_files` names HDF5 model files (paths relative to the source) that exist when the
    example runs, in a run that handles model files.
    """

    before: str
    after: str | None = None
    id: str = ""
    target: str = "tf-keras"
    manual: tuple[int, ...] | None = None
    unsafe: bool = True
    model_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "before", _dedent(self.before))
        if self.after is not None:
            object.__setattr__(self, "after", _dedent(self.after))
        if self.manual is not None:
            object.__setattr__(self, "manual", tuple(self.manual))

    @property
    def expected(self) -> str:
        """The source the rule must produce."""
        return self.before if self.after is None else self.after


def _dedent(source: str) -> str:
    text = textwrap.dedent(source)
    if text.startswith("\n"):
        text = text[1:]
    return text


@dataclass
class _PendingItem:
    node: cst.CSTNode
    message: str


class Rule(CodemodBase):
    """Base class of every migrate rule (see the module docstring for the contract)."""

    NAME: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    SAFE: ClassVar[bool] = True
    ORDER: ClassVar[int] = 50
    TRIGGERS: ClassVar[tuple[str, ...]] = ()
    FIXES: ClassVar[Sequence[Example]] = ()
    NOOPS: ClassVar[Sequence[Example]] = ()

    # False: the hooks need the whole tree as the previous rules left it (rules.driver)
    SHARES_TRAVERSAL: ClassVar[bool] = True

    def __init__(self, context: CodemodContext, options: Options | None = None,
                 file: "SourceFile | None" = None) -> None:
        super().__init__(context)
        self.options = options if options is not None else Options()
        self.file = file if file is not None else SourceFile()
        self._pending: list[_PendingItem] = []
        self._tree: cst.Module | None = None

    # -- what rules call -------------------------------------------------------------

    @property
    def analyses(self) -> TreeAnalyses:
        """Imports, carriers, models and handlers of the tree this rule is transforming."""
        return self.file.analyses(self._tree)

    def manual(self, node: cst.CSTNode, message: str) -> None:
        """Record manual work at `node` (pass the ORIGINAL node: positions come from the input)."""
        self._pending.append(_PendingItem(node, message))

    def stop_other_rules(self, reason: str) -> None:
        """Keep this rule's result but run no later rule on this file (reason goes to the report)."""
        self.file.stop = f"{self.NAME}: {reason}"

    def code_of(self, tree: cst.Module) -> str:
        """`tree.code`, generated at most once per tree for all the rules of one file."""
        return self.file.code_of(tree)

    def original_code(self, tree: cst.Module) -> str:
        """The file's text before any rule ran (`tree`'s text outside a pipeline)."""
        return self.file.original if self.file.original is not None else self.code_of(tree)

    def input_lines(self, tree: cst.Module, nodes: Sequence[cst.CSTNode]) -> dict[cst.CSTNode, int]:
        """The input file's line of each of `nodes` that has one, for a message that names it
        (line_refs): positioned as flush_manual positions items, then mapped back through what
        earlier rules changed."""
        positions = self.file.positions(tree, nodes)
        if positions is None:
            wrapper = self.context.wrapper
            positions = wrapper.resolve(PositionProvider) if wrapper is not None and wrapper.module is tree else {}
        seen, original = self.code_of(tree), self.original_code(tree)
        to_input = (lambda n: n) if seen == original else line_mapper(seen, original)
        return {node: to_input(positions[node].start.line) for node in nodes if node in positions}

    def original_tree(self, tree: cst.Module) -> cst.Module:
        """The file's tree before any rule ran (`tree` outside a pipeline)."""
        return self.file.original_tree if self.file.original_tree is not None else tree

    @classmethod
    def triggered_by(cls, text: str) -> bool:
        """True when the file text contains one of the rule's trigger substrings."""
        return any(t in text for t in cls.TRIGGERS)

    @classmethod
    def wanted_for(cls, imported: "Imported | None") -> bool:
        """True when what other modules hold makes the rule run whatever the text contains."""
        return False

    # -- plumbing ----------------------------------------------------------------------

    def rewrite(self, tree: cst.Module) -> cst.Module:
        """The new tree; by default the rule's visit_/leave_ hooks run over `tree`."""
        if self.uses_libcst_dispatch:
            return super().transform_module_impl(tree)
        return transform(tree, self, base_classes=FORWARDING_BASES)  # only what changed is rebuilt

    # -- plumbing ----------------------------------------------------------------------

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self.begin(tree)
        result = self.rewrite(tree)
        self.flush_manual(tree)
        return result

    def begin(self, tree: cst.Module) -> None:
        """Start a pass over `tree` (the driver calls it for rules sharing a traversal)."""
        self._pending = []
        self._tree = tree

    def remove_imports_without_metadata(self, tree: cst.Module) -> cst.Module | None:
        return _TextuallyUnusedImports.remove(self.context, tree, self.code_of(tree))

    def flush_manual(self, tree: cst.Module) -> None:
        """Turn the items recorded on nodes of `tree` into positioned items of the file."""
        if not self._pending:
            return
        # positions are resolved only for files that have items, and only over the
        # top-level statements holding them (a whole module's cost a full codegen pass)
        wrapper = self.context.wrapper
        positions: Mapping[cst.CSTNode, CodeRange] = {}
        if wrapper is not None:
            nodes = [pending.node for pending in self._pending]
            found = self.file.positions(tree, nodes) if wrapper.module is tree else None
            positions = found if found is not None else wrapper.resolve(PositionProvider)
        items = self.file.manual
        code = None
        for pending in self._pending:
            pos = positions.get(pending.node)
            if pos is None:
                # an updated node: find its text in the input as a fallback
                code = code if code is not None else tree.code
                snippet = tree.code_for_node(pending.node).strip().splitlines()
                idx = code.find(snippet[0]) if snippet else -1
                line = code.count("\n", 0, idx) + 1 if idx >= 0 else 0
                items.append(_RawItem(self.NAME, line, 0, pending.message, tree))
            else:
                items.append(
                    _RawItem(self.NAME, pos.start.line, pos.start.column, pending.message, tree)
                )
        self._pending = []


class SourceFile:
    """What the rules run on one file share; the driver makes one per file.

    original: the file's text before any rule ran (rules that clean up after others
    compare against it), original_tree its tree (set by the driver); manual: the items
    rules recorded, with the tree each saw;
    stop: set by Rule.stop_other_rules, no later rule runs on this file.
    """

    def __init__(self, original: str | None = None, imported: Imported | None = None) -> None:
        self.original = original
        self.original_tree: cst.Module | None = None
        self.imported = imported  # what other modules of the app hold (analysis.carriers.Imported)
        self.manual: list[_RawItem] = []
        self.stop: str | None = None
        # why tf1-graph-function left a frozen GraphDef / TF1 SavedModel to raw-tf1-report
        self.graph_function_declined: str = ""
        self._analyses: TreeAnalyses | None = None
        self.facts = StatementFacts()  # per top-level statement, for every tree of this file
        # (tree, its text) for the last tree whose text is known: several rules in a row
        # read the text of the same tree
        self._known: tuple[cst.Module, str] | None = None
        # id(top-level statement) → (statement, its text), for the trees of this file
        self._statements: dict[int, tuple[cst.CSTNode, str]] = {}
        self._style: tuple[str, str] | None = None
        # id(top-level statement) → (statement, positions in it, from its first line)
        self._positions: dict[int, tuple[cst.CSTNode, Mapping[cst.CSTNode, CodeRange]]] = {}

    def analyses(self, tree: cst.Module) -> TreeAnalyses:
        """The shared analyses of `tree` (the same object while rules hand on the same tree)."""
        if self._analyses is None or self._analyses.tree is not tree:
            self._analyses = TreeAnalyses(tree, self.facts, self.imported)
        return self._analyses

    def know_code(self, tree: cst.Module, text: str) -> None:
        """Remember that `tree.code` is `text` (the driver already generated it)."""
        self._known = (tree, text)

    def code_of(self, tree: cst.Module) -> str:
        """`tree.code` for a tree of this file, generating only what is new.

        A module's text is its top-level statements' texts in a row (each is generated from
        an empty indentation, whatever precedes it), and rules rebuild only the statements
        they change (analysis.walk.transform): the text of every statement object already
        seen in this file is reused. Modules without a trailing newline (libcst trims the
        last token) and empty ones take libcst's own path.
        """
        known = self._known
        if known is not None and known[0] is tree:
            return known[1]
        if not tree.has_trailing_newline or not (tree.body or tree.header or tree.footer):
            text = tree.code
        else:
            text = "".join(self._text_of(tree, node) for part in (tree.header, tree.body, tree.footer)
                           for node in part)
        self._known = (tree, text)
        return text

    def _text_of(self, tree: cst.Module, node: cst.CSTNode) -> str:
        """The text of `node`, a top-level statement (or header/footer line) of `tree`."""
        self._restyle(tree)
        seen = self._statements.get(id(node))
        if seen is None or seen[0] is not node:  # (the node is kept: its id stays its own)
            seen = self._statements[id(node)] = (node, tree.code_for_node(node))
        return seen[1]

    def _restyle(self, tree: cst.Module) -> None:
        # a statement's text and positions depend on the module's indent and newline only
        style = (tree.default_indent, tree.default_newline)
        if style != self._style:
            self._style, self._statements, self._positions = style, {}, {}

    def positions(self, tree: cst.Module, nodes: Sequence[cst.CSTNode]) -> dict[cst.CSTNode, CodeRange] | None:
        """Where each of `nodes` is in `tree`'s text, as libcst's PositionProvider places it
        over the whole module, but computed only over the top-level statements holding them
        (a statement's text does not depend on what precedes it, as in `code_of`); None when
        some node is not inside a top-level statement, or the module is one `code_of` leaves
        to libcst.

        Statements are searched from the last: a node object a rule placed twice has, as with
        PositionProvider (which records every place and keeps the last for expressions and
        statements, the kinds rules report on), its last place.
        """
        if not tree.has_trailing_newline:
            return None
        self._restyle(tree)
        wanted = {id(node): node for node in nodes}
        types_ = frozenset(type(node) for node in nodes)
        found: dict[cst.CSTNode, CodeRange] = {}
        before = []  # lines before each statement
        lines = sum(_line_breaks(self._text_of(tree, line)) for line in tree.header)
        for statement in tree.body:
            before.append(lines)
            lines += _line_breaks(self._text_of(tree, statement))
        for statement, lines in zip(reversed(tree.body), reversed(before)):
            if not wanted:
                break
            finder = _Finder(wanted)
            walk(statement, finder, only=types_)
            if finder.found:
                inside = self._positions_in(tree, statement)
                for node in finder.found:
                    pos = inside.get(node)
                    if pos is None:  # a node libcst writes no text for (whitespace in a pattern)
                        return None
                    found[node] = CodeRange((pos.start.line + lines, pos.start.column),
                                            (pos.end.line + lines, pos.end.column))
        return None if wanted else found

    def _positions_in(self, tree: cst.Module, statement: cst.CSTNode) -> Mapping[cst.CSTNode, CodeRange]:
        known = self._positions.get(id(statement))
        if known is None or known[0] is not statement:
            alone = cst.Module(body=[statement], header=(), footer=(), encoding=tree.encoding,
                               default_indent=tree.default_indent, default_newline=tree.default_newline,
                               has_trailing_newline=True)
            known = self._positions[id(statement)] = (
                statement, MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider))
        return known[1]


def _line_breaks(text: str) -> int:
    """Line breaks in `text` as libcst (and Python) count them: `\r\n`, `\n` and a lone `\r`."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class _Finder(cst.CSTVisitor):
    """Takes out of `wanted` (id → node) the nodes of the subtree it walks."""

    def __init__(self, wanted: dict[int, cst.CSTNode]) -> None:
        self.wanted = wanted
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.wanted.get(id(node)) is node:
            self.found.append(self.wanted.pop(id(node)))
        return bool(self.wanted)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass


class _TextuallyUnusedImports(ImportAliasRemoval):
    """libcst's RemoveImportsVisitor for the common case where its scope analysis is moot.

    RemoveImportsVisitor resolves scope and qualified-name metadata on a deep copy of the
    tree (~100 ms for a 35-line file) to learn whether each scheduled import is still
    referenced. When the name an import binds occurs nowhere in the file but in import
    statements, no reference, `__all__` entry or string annotation can exist, so that
    analysis can only answer "unused": this class then removes the same aliases with
    RemoveImportsVisitor's own removal code, and no metadata. In any other case
    `remove` returns None and the caller runs the real thing.
    """

    @classmethod
    def remove(cls, context: CodemodContext, tree: cst.Module, code: str) -> cst.Module | None:
        """`tree` (whose text is `code`) with the scheduled imports removed, or None when
        text cannot decide."""
        requested = requested_import_removals(context)
        if any(module == "__future__" for module, _obj, _alias in requested):
            return None  # left to libcst
        modules = {module: alias for module, obj, alias in requested if obj is None}
        wanted_by_module: dict[str, set] = {}
        for module, obj, alias in requested:
            if obj is not None:
                wanted_by_module.setdefault(module, set()).add((obj, alias))
        imports: list[cst.ImportFrom | cst.Import] = []
        _collect_imports(tree, imports)
        scheduled: dict[cst.ImportAlias, cst.ImportFrom | cst.Import] = {}
        for node in imports:
            if isinstance(node, cst.Import):
                for alias in node.names:
                    name = alias.evaluated_name
                    if name in modules and modules[name] == alias.evaluated_alias:
                        scheduled[alias] = node
                continue
            if isinstance(node.names, cst.ImportStar):
                continue
            module_name = get_absolute_module_from_package_for_import(context.full_package_name, node)
            wanted = wanted_by_module.get(module_name) if module_name is not None else None
            if not wanted:
                continue
            for alias in node.names:
                if (alias.evaluated_name, alias.evaluated_alias) in wanted:
                    scheduled[alias] = node
        if not scheduled:
            return None
        import_text = "\n".join(tree.code_for_node(node) for node in imports)
        # the name each requested import binds (`import a.b` binds `a`), found or not: an
        # import this search missed still holds it
        for module, obj, alias in requested:
            bound = alias or (obj if obj is not None else module.split(".")[0])
            word = re.compile(rf"(?<!\w){re.escape(bound)}(?!\w)")
            if len(word.findall(code)) != len(word.findall(import_text)):
                return None
        return transform(tree, cls(context, modules, wanted_by_module, scheduled))


def _collect_imports(node: cst.CSTNode, out: list) -> None:
    # imports are statements: only statement bodies need searching, not expressions
    if isinstance(node, (cst.Import, cst.ImportFrom)):
        out.append(node)
        return
    if isinstance(node, cst.SimpleStatementLine):
        for small in node.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                out.append(small)
        return
    body = getattr(node, "body", None)
    if isinstance(body, (list, tuple)):
        for child in body:
            _collect_imports(child, out)
    elif isinstance(body, cst.CSTNode):
        _collect_imports(body, out)
    for attr in ("orelse", "finalbody", "handlers"):
        extra = getattr(node, attr, None)
        if isinstance(extra, (list, tuple)):
            for child in extra:
                _collect_imports(child, out)
        elif isinstance(extra, cst.CSTNode):
            _collect_imports(extra, out)


@dataclass
class _RawItem:
    """A manual item with its line in the code the rule saw (the pipeline maps it to the input)."""

    rule: str
    line: int
    column: int
    message: str
    tree: cst.Module = field(repr=False)


def drop_small_statements(node, is_dropped):
    """`node` (a SimpleStatementLine or SimpleStatementSuite) without the small statements
    for which `is_dropped(statement)` is true.

    Returns the node unchanged when nothing matches; a line left empty is removed from its
    block (libcst writes `pass` if the block ends up empty); a one-line suite keeps `pass`.
    """
    kept = [s for s in node.body if not is_dropped(s)]
    if len(kept) == len(node.body):
        return node
    if not kept:
        if isinstance(node, cst.SimpleStatementSuite):
            return node.with_changes(body=[cst.Pass()])
        return cst.RemoveFromParent()
    kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(body=kept)
