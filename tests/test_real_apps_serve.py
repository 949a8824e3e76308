"""The served-real-apps harness (benchmarks/real_apps_serve.py), end to end on one of our own apps.

No third-party code: the spec ``fixture-global_graph`` points at fixtures/apps/global_graph.
The harness builds its model file, serves it under the shim and migrated without it, and
compares answers; the comparison and the static predict counts are also checked on their own
so that a harness that accepts anything fails here.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from benchmarks import real_apps_serve as harness


def test_answers_compare_numbers_to_tolerance_and_everything_else_exactly():
    assert harness.same_answer('{"p": [0.1234567, 2]}', '{"p": [0.1234568, 2]}')
    assert not harness.same_answer('{"p": [0.1234, 2]}', '{"p": [0.1235, 2]}')
    assert not harness.same_answer('{"label": "cat"}', '{"label": "dog"}')
    assert not harness.same_answer('{"p": [1, 2]}', '{"p": [1, 2, 3]}')
    assert harness.same_answer("<p>Prediction: 0.5000001 cat</p>", "<p>Prediction: 0.5000002 cat</p>")
    assert not harness.same_answer("<p>Prediction: 0.5 cat</p>", "<p>Prediction: 0.5 dog</p>")


def test_predicts_left_counts_predict_calls_in_functions_per_request_apart(tmp_path: Path):
    (tmp_path / "app.py").write_text(
        "from flask import Flask, request\n"
        "from keras.models import load_model\n"
        "from scorer import score\n"
        "app = Flask(__name__)\n"
        "model = load_model('m.h5')\n"
        "warm = model.predict(x)\n"
        "@app.route('/p', methods=['POST'])\n"
        "def handler():\n"
        "    # model.predict(x) in a comment does not count\n"
        "    return str(model.predict(request.json, verbose=0)) + str(score(request.json))\n"
        "def evaluate(x):\n"
        "    return model.predict(x)\n"
        "def fast(x):\n"
        "    return model.predict_on_batch(x)\n"
        "def fast_predict(model, x, batch_size=None):\n"
        "    return model.predict(x, batch_size=batch_size, verbose=0)\n")
    (tmp_path / "scorer.py").write_text(
        "from keras.models import load_model\n"
        "model = load_model('s.h5')\n"
        "def score(rows):\n"
        "    return model.predict(rows)\n")
    (tmp_path / "wrapper.py").write_text(
        "import helper\n"
        "class Wrapper:\n"
        "    def predict(self, x):\n"
        "        return self.model.predict(x)\n"
        "wrapped = Wrapper()\n"
        "def view(x):\n"
        "    return wrapped.predict(x), helper.predict(x)\n")
    per_request, other = harness.predicts_left(tmp_path)
    # a route's own call, and a function another module's route calls (migrate's whole-app index)
    assert per_request == ["app.py:10: return str(model.predict(request.json, verbose=0)) + str(score(request.json))",
                           "scorer.py:4: return model.predict(rows)"]
    assert other == ["app.py:12: return model.predict(x)", "wrapper.py:4: return self.model.predict(x)"]


def test_requests_are_fixed_and_differ_between_variants():
    app = next(a for a in harness.load_specs() if a["name"] == "fixture-global_graph")
    first, second = harness.requests_of(app), harness.requests_of(app)
    assert first == second
    assert len({str(r.json_body) for r in first}) == len(first) > 1


@pytest.mark.slow(reason="builds a model, runs migrate and starts four TF servers: about 100 s on a 2-core box")
def test_harness_serves_a_fixture_app_legacy_and_migrated(tmp_path: Path):
    app = next(a for a in harness.load_specs() if a["name"] == "fixture-global_graph")
    row = harness.run_app(app, harness.DEFAULT_CACHE, tmp_path, migrate_src=None)
    assert row.legacy.ok and row.migrated.ok, row.reason
    assert row.same is True
    n = len(harness.requests_of(app))
    assert len(row.legacy.answers) == len(row.migrated.answers) == n
    assert len(row.migrated.concurrent) == harness.CONCURRENT
    assert len(set(row.legacy.answers)) == n  # different inputs, different answers: the comparison means something
    assert len(row.legacy.latencies) == len(row.migrated.latencies) == harness.LATENCY_REQUESTS
    assert row.predicts_left == []
    # the migrated copy really is migrated and really runs without the shim
    migrated = (tmp_path / app["name"] / "migrated" / "app.py").read_text()
    assert "as_default" not in migrated and "legacy_shim" not in migrated
    assert row.app in harness.as_markdown([row], [app], datetime.datetime(2026, 1, 1))


def test_kept_files_and_model_file_items_are_read_from_the_report(tmp_path: Path):
    tree = tmp_path / "migrated"
    report = {"files": [
        {"path": str(tree / "app.py"), "status": "changed", "manual": [
            {"rule": "predict-speed", "line": 9, "message": "per request"},
            {"rule": "keras-surface", "line": 3, "message": "`fit_generator` is gone"}],
         "model_files": [{"path": str(tree / "m.model"), "action": "manual",
                          "message": f"line 4: write a copy with `python -m migrate.model_files {tree}/m.model`"},
                         {"path": str(tree / "w.h5"), "action": "upgrade", "message": "--write upgrades it"}]},
        {"path": str(tree / "predictor.py"), "status": "changed", "manual": [
            {"rule": "graph-reentry", "line": 27, "message": "kept on the legacy path (it runs under legacy_shim): ..."}]},
        {"path": str(tree / "raw.py"), "status": "unchanged", "manual": [
            {"rule": "legacy-path", "line": 5, "message": "raw TF1 graph code"}]},
        {"path": str(tree / "graph.py"), "status": "unchanged", "manual": [
            {"rule": "raw-tf1-report", "line": 15, "message": "raw TF1 graph code: the file stays on the legacy path"}]},
        {"path": str(tree / "whole.py"), "status": "unchanged", "manual": [],
         "warnings": ["left on the legacy path: too deeply nested"]},
        {"path": str(tmp_path / "elsewhere.py"), "manual": [{"rule": "legacy-path", "line": 1, "message": "x"}]},
    ]}
    assert harness.kept_legacy(report, tree) == ["predictor.py:27", "raw.py:5", "graph.py:15", "whole.py"]
    items = harness.manual_items(report, tree)
    # what stops the app at start first, with paths relative to the app; then per-request work
    assert items[0] == "app.py: model file: line 4: write a copy with `python -m migrate.model_files m.model`"
    assert items[1] == "app.py:9: per request"
    row = harness.Row("app", harness.Side(ok=True), harness.Side(ok=True), same=True,
                      kept=["predictor.py:27"], manual=items)
    assert harness._reason(row) == "kept legacy at predictor.py:27, served under the shim: same answers"


@pytest.mark.slow(reason="builds a model, runs migrate and starts four TF servers: about 100 s on a 2-core box")
def test_an_app_with_a_file_kept_on_the_legacy_path_is_served_under_the_shim_and_says_so(tmp_path: Path):
    app = next(a for a in harness.load_specs() if a["name"] == "fixture-raw_tf_preprocessing")
    row = harness.run_app(app, harness.DEFAULT_CACHE, tmp_path, migrate_src=None)
    assert row.kept and all(k.startswith("app.py:") for k in row.kept), row.manual
    # served without the shim, the kept raw TF1 file stops at import (tf.placeholder): the row would say NO
    assert row.legacy.ok and row.migrated.ok, row.reason
    assert row.same is True
    assert row.reason.startswith(f"kept legacy at {', '.join(row.kept)}, served under the shim: same answers"), row.reason


def test_markdown_section_is_replaced_in_place_and_kept_for_run_py(tmp_path: Path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nbefore\n")
    first = f"{harness.SECTION_START}\nold\n{harness.SECTION_END}\n"
    doc.write_text(harness._splice(doc.read_text(), first) + "\nafter\n")
    second = f"{harness.SECTION_START}\nnew\n{harness.SECTION_END}\n"
    doc.write_text(harness._splice(doc.read_text(), second))
    text = doc.read_text()
    assert "old" not in text and text.count(harness.SECTION_START) == 1
    assert text.index("before") < text.index("new") < text.index("after")
    assert "new" in harness.kept_section(doc)
