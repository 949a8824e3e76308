"""The analyses of one tree, computed once and shared by every rule that reads that tree.

Rules do not build analyses themselves: they read `self.analyses.names` (imports),
`.carriers` (graph/session holders), `.models` (Keras model holders) and `.requests`
(per-request functions), each computed on first use. A rule that changes the file hands
the next rule a new tree, whose analyses are new too; a rule that changes nothing hands on
the same tree, and the next rule reuses every answer already computed. The new tree's
analyses walk only the top-level statements the change created (analysis.statements): the
facts of every statement object the file's trees already had are kept.
"""

from __future__ import annotations

from functools import cached_property

import libcst as cst

from migrate.analysis.carriers import Carriers, Imported, collect_bindings
from migrate.analysis.handlers import RequestFunctions, request_functions
from migrate.analysis.models import keras_models
from migrate.analysis.names import ImportNames
from migrate.analysis.statements import StatementFacts


class TreeAnalyses:
    """Lazily computed analyses of `tree` (see the module docstring)."""

    def __init__(self, tree: cst.Module, facts: StatementFacts | None = None, imported: Imported | None = None) -> None:
        self.tree = tree
        self.facts = facts
        self.imported = imported  # what other modules of the app hold (the runner's whole-app index)

    @cached_property
    def names(self) -> ImportNames:
        """What each imported local name means."""
        return ImportNames.from_module(self.tree, self.facts)

    @cached_property
    def _bindings(self):
        # carriers and models solve over the same bindings, with different producers
        return collect_bindings(self.tree, self.facts)

    @cached_property
    def carriers(self) -> Carriers:
        """Which names hold a TF graph or session."""
        return Carriers(self.tree, self.names, collected=self._bindings, imported=self.imported)

    @cached_property
    def models(self) -> Carriers:
        """Which names hold a Keras model."""
        return keras_models(self.tree, self.names, collected=self._bindings, imported=self.imported)

    @cached_property
    def requests(self) -> RequestFunctions:
        """Which functions run per request."""
        return request_functions(self.tree, self.facts, self.imported.hot if self.imported else frozenset())
