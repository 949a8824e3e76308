"""A run's manual work as SARIF 2.1.0, the format code-scanning UIs show inline in a pull request.

Each manual item is a `warning` result at its line, under the rule that found it; a file migrate
could not process is an `error` result under `migrate-error`; a file migrate would rewrite is a
`note` result at line 1 under `migrate-rewrite`, naming the rules, so a reviewer sees on the
pull request which files still carry legacy graph/session code.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from migrate.report import FileResult, Report, Status
from migrate.rules import all_rules
from migrate.verify import LEGACY_PATH

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "keras-migrate"
ERROR_RULE = "migrate-error"
REWRITE_RULE = "migrate-rewrite"
_EXTRA_RULES = {
    LEGACY_PATH: "TF1 graph/session code no rule rewrites: the file stays on the legacy path (runs under legacy_shim)",
    ERROR_RULE: "migrate could not process this file; it was left untouched",
    REWRITE_RULE: "migrate has a rewrite for this file: run `python -m migrate PATH` to see the diff",
}


def _rule_descriptors() -> list[dict]:
    descriptors = [
        {
            "id": rule.NAME,
            "shortDescription": {"text": rule.DESCRIPTION},
            "help": {"text": f"{rule.DESCRIPTION} See MIGRATION.md, section '{rule.NAME}' of the rule catalogue."},
            "properties": {"catalogue": f"MIGRATION.md#{rule.NAME}", "safe": rule.SAFE},
        }
        for rule in all_rules()
    ]
    descriptors += [{"id": rule_id, "shortDescription": {"text": text}} for rule_id, text in _EXTRA_RULES.items()]
    return descriptors


def _artifact(path: str) -> dict:
    """Relative to the folder migrate ran in (%SRCROOT%), else an absolute file URI."""
    resolved = Path(path).resolve()
    try:
        return {"uri": quote(resolved.relative_to(Path.cwd().resolve()).as_posix()), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": resolved.as_uri()}


def _location(path: str, line: int, column: int = 0) -> dict:
    region = {"startLine": max(line, 1)}
    if column >= 0:
        region["startColumn"] = column + 1  # migrate's columns are 0-based, SARIF's 1-based
    return {"physicalLocation": {"artifactLocation": _artifact(path), "region": region}}


def _results(result: FileResult, index: dict[str, int]) -> list[dict]:
    out = []
    for item in result.manual:
        out.append({"ruleId": item["rule"], "ruleIndex": index[item["rule"]], "level": "warning",
                    "message": {"text": item["message"]},
                    "locations": [_location(result.path, item["line"], item["column"])]})
    if result.status == Status.ERROR:
        out.append({"ruleId": ERROR_RULE, "ruleIndex": index[ERROR_RULE], "level": "error",
                    "message": {"text": result.message or "could not be processed"},
                    "locations": [_location(result.path, 1, -1)]})
    elif result.status == Status.CHANGED:
        out.append({"ruleId": REWRITE_RULE, "ruleIndex": index[REWRITE_RULE], "level": "note",
                    "message": {"text": "migrate rewrites this file (rules: " + ", ".join(result.rules) + ")"
                                + ("; written" if result.written else "")},
                    "locations": [_location(result.path, 1, -1)]})
    return out


def as_sarif(report: Report) -> dict:
    """The SARIF 2.1.0 log of one run."""
    rules = _rule_descriptors()
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = [r for f in sorted(report.files, key=lambda f: f.path) for r in _results(f, index)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "results": results,
            "invocations": [{"executionSuccessful": report.count(Status.ERROR) == 0}],
        }],
    }


def write_sarif(report: Report, path: str | Path) -> None:
    """Write the SARIF log of `report` to `path`."""
    Path(path).write_text(json.dumps(as_sarif(report), indent=2) + "\n", encoding="utf-8")
