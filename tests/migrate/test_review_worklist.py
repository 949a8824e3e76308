"""`--worklist`: the shim's runtime report, taken from real servers serving real requests, says how
often the code behind each hunk and manual item ran, and which rewrites nothing exercised."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.catalog import all_apps, payloads, prepare
from migrate import worklist
from tests.serving import harness

APPS = {a.name: a for a in all_apps()}
REPO = Path(__file__).resolve().parents[2]

# a second route of the same app that no request in the test ever calls
UNUSED_ROUTE = '''@app.route('/predict_batch', methods=['POST'])
def predict_batch():
    x = np.array(request.get_json(force=True)['batch'])
    with graph.as_default():
        return jsonify({'predictions': model.predict(x).tolist()})


'''


SPACER = '''def healthy():
    """Liveness probe for the load balancer."""
    status = "ok"
    return status


'''


def _served(app_dir: Path, server: str, app, clients: int, per_client: int) -> list[Path]:
    """Serve `app_dir` under `python -m legacy_shim` with a report per process, send real requests,
    stop the server the way an operator does (SIGINT: the report is written at exit)."""
    env = harness.shim_env({"LEGACY_SHIM_REPORT": str(app_dir / "shim-report-{pid}.json")})
    with harness.serve(app_dir, server, env=env) as running:
        result = harness.hammer(running.base_url, app.route, payloads(app, 4), clients=clients, per_client=per_client)
        assert result.ok, result.summary() + harness.interesting_stderr(running.stderr())
        running.proc.send_signal(signal.SIGINT)
        running.proc.wait(timeout=120)
    return sorted(app_dir.glob("shim-report-*.json"))


def _migrate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def gunicorn_run(tmp_path_factory):
    """global_graph plus a route nobody calls, served by two gunicorn workers: 3 x 4 requests."""
    app = APPS["global_graph"]
    app_dir = prepare(app, tmp_path_factory.mktemp("worklist") / app.name)
    source = (app_dir / "app.py").read_text()
    source = source.replace("if __name__ == '__main__':", UNUSED_ROUTE + "if __name__ == '__main__':")
    # lines the migration leaves alone between the module-level rewrites and the handler, so that
    # the handler's rewrite is a hunk of its own (the test counts runs per function's hunk)
    route = source.index("@app.route(")
    (app_dir / "app.py").write_text(source[:route] + SPACER + source[route:])
    # the kernel may hand every connection to one worker; the test is about two workers' reports
    # adding up, so the run is repeated (reports of a lopsided run removed) until both answered
    for _attempt in range(4):
        reports = _served(app_dir, "gunicorn-gthread", app, clients=3, per_client=4)
        if len([r for r in reports if json.loads(r.read_text())["call_sites"]]) == 2:
            break
        for report in reports:
            report.unlink()
    return app_dir, reports, 12


@pytest.mark.slow(reason="a real gunicorn run of two workers under the shim makes the reports; the default tier "
                         "feeds the worklist reports written by hand")
def test_hunks_count_the_requests_that_ran_them_and_flag_the_route_nobody_called(gunicorn_run):
    app_dir, reports, requests = gunicorn_run
    # the master and two workers each wrote one; the workers saw the requests
    assert len([r for r in reports if json.loads(r.read_text())["call_sites"]]) == 2, [r.read_text() for r in reports]
    run = _migrate("app.py", "-j", "1", "--report", "report.json", "--html", "review.html",
                   *[arg for r in reports for arg in ("--worklist", str(r))], cwd=app_dir)
    assert run.returncode == 0, run.stderr
    entry = json.loads((app_dir / "report.json").read_text())["files"][0]
    source = (app_dir / "app.py").read_text().splitlines()
    handler = _hunk_of_function(entry["hunks"], source, "def predict():")
    unused = _hunk_of_function(entry["hunks"], source, "def predict_batch():")
    # every request called `model.predict(x)` once (the shim records it), in one of the two workers
    assert (handler["runs"], handler["exercised"], handler["runs_from"]) == (requests, True, "line")
    assert (unused["runs"], unused["exercised"]) == (0, False)
    module_level = next(h for h in entry["hunks"] if h["function"] is None)
    assert module_level["runs"] == 2 and module_level["exercised"]  # imported once in each worker
    summary = json.loads((app_dir / "report.json").read_text())["worklist"]
    assert summary["hunks_not_exercised"] == 1 and summary["files"] == {"app.py": str(app_dir / "app.py")}
    cold = re.search(r"rewrites not exercised at run time.*\n  app\.py:(\d+)-(\d+): graph-reentry", run.stderr)
    assert cold and [int(cold.group(1)), int(cold.group(2))] == unused["changed"], run.stderr
    assert f"app.py:{handler['changed'][0]}-{handler['changed'][1]}: ran {requests}x: graph-reentry, predict-speed" in run.stderr
    page = (app_dir / "review.html").read_text()
    assert page.count("not exercised at run time</span>") == 1 and f'<span class="ran">ran {requests}x</span>' in page


def _hunk_of_function(hunks: list[dict], source: list[str], definition: str) -> dict:
    line = next(i for i, text in enumerate(source, 1) if text.strip() == definition)
    (hunk,) = [h for h in hunks if h["function"] and h["function"][0] <= line <= h["function"][1]]
    return hunk


@pytest.mark.slow(reason="a real server run under the shim makes the reports; the default tier feeds the worklist "
                         "reports written by hand")
def test_a_manual_item_runs_as_often_as_its_busiest_line(tmp_path):
    app = APPS["raw_tf_preprocessing"]
    app_dir = prepare(app, tmp_path / app.name)
    reports = _served(app_dir, "flask-runner", app, clients=2, per_client=3)
    run = _migrate(".", "-j", "1", "--report", "report.json", *[a for r in reports for a in ("--worklist", str(r))],
                   cwd=app_dir)
    assert run.returncode == 0, run.stderr
    entry = next(f for f in json.loads((app_dir / "report.json").read_text())["files"] if f["path"].endswith("app.py"))
    source = (app_dir / "app.py").read_text().splitlines()
    # the run did not write: the file on disk is the legacy one the server ran, whose lines are original_line
    # one item for the raw graph, at its first site (the placeholder, run once at import), naming
    # every site: the handler holding sess.run ran once per request (6), and so did the item
    (item,) = entry["manual"]
    assert source[item["original_line"] - 1].strip().startswith("raw_features = tf.p"), item
    assert any(source[n - 1].strip().startswith("feats = sess.run") for n in item["original_lines_named"]), item
    assert (item["runs"], item["runs_from"]) == (6, "function"), item
    listed = run.stderr.split("manual items, busiest first:")[1].splitlines()[1:2]
    assert "ran 6x" in listed[0], run.stderr


def _report(path: Path, sites: list[tuple[str, int, int]]) -> str:
    path.write_text(json.dumps({"patches": [], "notes": [], "load_once": {}, "call_sites": [
        {"file": f, "line": line, "idiom": "model.predict()", "count": n} for f, line, n in sites]}))
    return str(path)


def test_reports_add_up_and_count_processes(tmp_path):
    a = _report(tmp_path / "a.json", [("/srv/app/app.py", 23, 5), ("/srv/app/app.py", 13, 1)])
    b = _report(tmp_path / "b.json", [("/srv/app/app.py", 23, 7), ("/srv/app/app.py", 13, 1)])
    merged = worklist.load([a, b])
    assert merged.hits == {"/srv/app/app.py": {23: 12, 13: 2}} and merged.processes == {"/srv/app/app.py": 2}


@pytest.mark.parametrize(("migrated", "reported", "expected"), [
    pytest.param(["fixtures/apps/a/app.py", "fixtures/apps/b/app.py"], ["/srv/prod/apps/b/app.py"],
                 {"fixtures/apps/b/app.py": "/srv/prod/apps/b/app.py"}, id="another machine: the longest shared tail"),
    pytest.param(["x/app.py", "y/app.py"], ["/srv/app.py"], {}, id="only the file name shared by two: no guess"),
    pytest.param(["app.py"], ["/srv/one/app.py", "/srv/two/app.py"], {}, id="two reported files fit one: no guess"),
])
def test_files_are_matched_only_when_unambiguous(migrated, reported, expected):
    assert worklist.match_files(migrated, reported) == expected


def test_same_real_path_matches_whatever_the_spelling(tmp_path, monkeypatch):
    (tmp_path / "app.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert worklist.match_files(["./app.py"], [str(tmp_path / "app.py")]) == {"./app.py": str(tmp_path / "app.py")}


@pytest.mark.parametrize("content", ["not json", json.dumps({"patches": []}), json.dumps({"call_sites": [{"file": "x"}]})],
                         ids=["not JSON", "no call_sites", "site without line"])
def test_a_file_that_is_no_shim_report_is_refused_with_a_reason(tmp_path, content):
    (tmp_path / "r.json").write_text(content)
    run = _migrate(".", "--worklist", str(tmp_path / "r.json"), cwd=tmp_path)
    assert run.returncode == 2 and "r.json" in run.stderr
