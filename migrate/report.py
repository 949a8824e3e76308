"""Run results: per-file outcomes, the summary line, the exit code and the JSON report."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

# black's convention: 0 clean, 1 --check found changes, 123 a file could not be processed
EXIT_OK = 0
EXIT_WOULD_CHANGE = 1
EXIT_ERROR = 123


class Status(str, Enum):
    """What happened to one input. A str: it equals, prints and serialises to JSON as its value."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    SKIPPED = "skipped"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass
class FileResult:
    """What happened to one input."""

    path: str
    status: Status = Status.UNCHANGED
    message: str = ""
    diff: str = ""
    rules: list[str] = field(default_factory=list)
    manual: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    model_files: list[dict] = field(default_factory=list)
    written: bool = False
    # per hunk of `diff`: line ranges, the rules behind it and their catalogue entries (migrate.hunks)
    hunks: list[dict] = field(default_factory=list)


@dataclass
class Report:
    """Counts over a run; owns the summary line and the exit code."""

    check: bool = False
    write: bool = False
    files: list[FileResult] = field(default_factory=list)
    # set by migrate.worklist.annotate when shim reports were given (--worklist)
    worklist: dict | None = None

    def add(self, result: FileResult) -> None:
        """Record one file's outcome."""
        self.files.append(result)

    def count(self, status: Status) -> int:
        """How many files ended with `status`."""
        return sum(1 for f in self.files if f.status == status)

    @property
    def manual_count(self) -> int:
        """Manual-work items over all files."""
        return sum(len(f.manual) for f in self.files)

    @property
    def exit_code(self) -> int:
        """123 if any file failed, else 1 under --check when something would change, else 0."""
        if self.count(Status.ERROR):
            return EXIT_ERROR
        if self.check and (self.count(Status.CHANGED) or any(m.get("action") == "upgrade" for f in self.files for m in f.model_files)):
            return EXIT_WOULD_CHANGE
        return EXIT_OK

    def summary(self) -> str:
        """One line, black style: what changed, what was left, what failed."""
        changed = self.count(Status.CHANGED)
        verb = "migrated" if self.write else "would be migrated"
        parts = [f"{changed} file{'s' if changed != 1 else ''} {verb}"]
        parts.append(f"{self.count(Status.UNCHANGED)} unchanged")
        if self.count(Status.SKIPPED):
            parts.append(f"{self.count(Status.SKIPPED)} skipped")
        if self.manual_count:
            parts.append(f"{self.manual_count} manual item{'s' if self.manual_count != 1 else ''} to review")
        actions = [m.get("action") for m, _ in self.distinct_model_files()]
        upgraded, pending = actions.count("upgraded"), actions.count("upgrade")
        if upgraded:
            parts.append(f"{upgraded} model file{'s' if upgraded != 1 else ''} upgraded")
        if pending:
            # a written run leaves one only where its source file was not written (--interactive)
            parts.append(f"{pending} model file{'s' if pending != 1 else ''} {'left ' if self.write else ''}to upgrade")
        if self.count(Status.ERROR):
            parts.append(f"{self.count(Status.ERROR)} failed")
        return ", ".join(parts) + "."

    def details(self) -> list[str]:
        """Per-file lines for stderr: failures, skips, manual work as path:line: message."""
        lines = []
        for f in sorted(self.files, key=lambda f: f.path):
            if f.status in (Status.ERROR, Status.SKIPPED) and f.message:
                lines.append(f"{f.path}: {f.status}: {f.message}")
            for item in f.manual:
                lines.append(f"{f.path}:{item['line']}: manual [{item['rule']}]: {item['message']}")
            for warning in f.warnings:
                lines.append(f"{f.path}: note: {warning}")
        for model, sources in self.distinct_model_files():
            by = f" (named in {', '.join(sources)})" if len(sources) > 1 else ""
            lines.append(f"{model['path']}: model file{by}: {model['message']}")
        return lines

    def distinct_model_files(self) -> list[tuple[dict, list[str]]]:
        """Each model file once, with the source files that name it (to load it, or to write it): a
        file several sources name is one file to upgrade. Where a copy carries an outcome (upgraded, error) it speaks for the file:
        --interactive upgrades through the sources written, leaving the others' copies pending."""
        found: dict[tuple, tuple[dict, list[str]]] = {}
        for f in sorted(self.files, key=lambda f: f.path):
            for model in f.model_files:
                key = (os.path.realpath(model["path"]), model.get("line"))
                kept, sources = found.setdefault(key, (model, []))
                if f.path not in sources:
                    sources.append(f.path)
                if kept.get("action") == "upgrade" and model.get("action") in ("upgraded", "error"):
                    found[key] = (model, sources)
        return list(found.values())

    def as_json(self) -> dict:
        """The --report document: per file, per rule, manual items with lines."""
        per_rule: dict[str, int] = {}
        for f in self.files:
            for name in f.rules:
                per_rule[name] = per_rule.get(name, 0) + 1
        return {
            "summary": self.summary(),
            "exit_code": self.exit_code,
            "counts": {s.value: self.count(s) for s in (Status.CHANGED, Status.UNCHANGED, Status.SKIPPED, Status.ERROR)},
            "rules": per_rule,
            **({"worklist": self.worklist} if self.worklist else {}),
            "files": [
                {k: v for k, v in asdict(f).items() if k != "diff"}
                for f in sorted(self.files, key=lambda f: f.path)
            ],
        }

    def write_json(self, path: Path) -> None:
        """Write the JSON report to `path`."""
        Path(path).write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
