"""Keep benchmarks/ from rotting: the quick run of the smallest benchmark, and the
generated trees the migrate-speed benchmark relies on. No timing is asserted."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import real_apps, trees
from benchmarks.report import Section, as_markdown, check

REPO_ROOT = Path(__file__).resolve().parent.parent


def _quick_run(tmp_path: Path, benchmark: str, timeout: float) -> str:
    """The Markdown of `benchmarks/run.py --quick --only BENCHMARK` (the run must succeed)."""
    out = tmp_path / "bench.md"
    proc = subprocess.run([sys.executable, "benchmarks/run.py", "--quick", "--only", benchmark, "--markdown", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out.read_text()


def test_quick_overhead_run_writes_a_table_with_both_variants(tmp_path):
    text = _quick_run(tmp_path, "overhead", timeout=600)
    assert "(a) legacy app under the shim" in text and "(b) no shim" in text and "(b') control" in text
    # every variant (shim, by hand, control) produced a figure for both methods, and the same predictions
    assert len(re.findall(r"\| [\d,]+ µs \| [\d,]+ µs \|", text)) == 3, text
    assert "are equal" in text, text


@pytest.mark.slow(reason="the quick predictor benchmark migrates and serves three apps on two stacks: minutes")
def test_quick_predictor_run_serves_both_apps_migrated_with_the_same_answers(tmp_path):
    text = _quick_run(tmp_path, "predictor", timeout=900)
    for app in ("predictor_class", "graph_through_helpers", "helper_carriers"):
        (row,) = [line for line in text.splitlines() if line.startswith(f"| {app} |")]
        assert row.endswith("| yes |"), row  # the migrated app answers like the legacy one


def test_legacy_tree_files_parse_and_differ(tmp_path):
    root = trees.legacy_tree(tmp_path / "legacy", 30)
    files = sorted(root.rglob("*.py"))
    assert len(files) == 30
    texts = [f.read_text() for f in files]
    assert len(set(texts)) == 30
    for text in texts:
        ast.parse(text)
        assert re.search(r"keras|tensorflow", text)


def test_mixed_tree_is_one_percent_tf_and_the_rest_escapes_the_prefilter(tmp_path):
    root, tf_files = trees.mixed_tree(tmp_path / "mixed", 300)
    files = list(root.rglob("*.py"))
    assert (len(files), tf_files) == (300, 3)
    tf = [f for f in files if re.search(r"keras|tensorflow", f.read_text())]
    assert len(tf) == 3
    modern = next(f for f in files if f not in tf).read_text()
    tree = ast.parse(modern)
    # the syntax tf_upgrade_v2's parser stops on must really be there
    assert any(isinstance(n, ast.NamedExpr) for n in ast.walk(tree))
    assert any(isinstance(n, ast.Match) for n in ast.walk(tree))


def test_goal_and_markdown_rendering():
    goal = check("x", 1.2, "<=", 1.05)
    assert not goal.met and check("y", 60, ">=", 50).met
    md = as_markdown(Section("T", ["a", "b"], [["1", "2"]], ["cap"], [goal]))
    assert "| a | b |" in md and "| 1 | 2 |" in md and "**not met**" in md


def test_real_apps_section_is_replaced_in_place_and_survives_a_full_run_rewrite(tmp_path):
    first = real_apps.SECTION_START + "\nold table\n" + real_apps.SECTION_END + "\n"
    doc = real_apps.splice("# Benchmarks\n\nother tables\n", first)
    assert doc.endswith(first) and "other tables" in doc
    second = real_apps.SECTION_START + "\nnew table\n" + real_apps.SECTION_END + "\n"
    replaced = real_apps.splice(doc + "\ntrailer\n", second)
    assert "old table" not in replaced and "new table" in replaced and replaced.endswith("trailer\n")
    path = tmp_path / "b.md"
    path.write_text(replaced)
    assert real_apps.kept_section(path) == second
    assert real_apps.kept_section(tmp_path / "missing.md") == ""


def test_large_file_section_is_replaced_in_place_and_kept_by_full_runs(tmp_path):
    import datetime

    from benchmarks import migrate_large

    doc = tmp_path / "bench.md"
    doc.write_text(f"# Benchmarks\n\n{real_apps.SECTION_START}\nreal apps\n{real_apps.SECTION_END}\n")
    when = datetime.datetime(2026, 1, 1)
    for value in ("first", "second"):
        migrate_large.write_section(doc, Section("Large", ["mode"], [[value]]), "cmd", when, "here")
    text = doc.read_text()
    assert text.count(migrate_large.SECTION_START) == 1 and "| second |" in text and "| first |" not in text
    assert text.index(migrate_large.SECTION_END) < text.index(real_apps.SECTION_START)  # where run.py puts it
    assert "| second |" in migrate_large.kept_section(doc) and "real apps" in real_apps.kept_section(doc)


@pytest.mark.parametrize("visit", [False, True])
def test_libcst_floor_round_trips_every_file(tmp_path, visit):
    """The floor rows of the migrate-speed table: every file parsed (and with --visit passed
    through libcst's own traversal) and printed back byte for byte."""
    root = trees.legacy_tree(tmp_path / "legacy", 20)
    before = {p: p.read_bytes() for p in root.rglob("*.py")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.libcst_floor", *(["--visit"] if visit else []), str(root)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == f"20 files parsed{', visited' if visit else ''} and printed"
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == before


def test_real_apps_says_what_became_of_each_raw_tf1_file_naming_files_as_the_docs_do(tmp_path):
    # the real-apps run migrates each app under a temporary folder given as an absolute path: the
    # tool names an app's other modules under it, the docs name them relative to the app
    apps = {a["repo"]: a for a in real_apps.fixture_apps()}
    fates = {}
    for name in ("tf1_helper_graph", "tf1_frozen_graph_per_request", "raw_tf_preprocessing"):
        _outcomes, found = real_apps.run_app(apps[f"fixtures/{name}"], tmp_path / "cache", tmp_path)
        fates.update({f"{name}/{f.path}": f for f in found})
    assert {path: f.fate for path, f in fates.items()} == {
        "tf1_helper_graph/app.py": real_apps.ON_COMPAT_V1,
        "tf1_helper_graph/model.py": real_apps.ON_COMPAT_V1,
        "tf1_frozen_graph_per_request/app.py": real_apps.BECAME_TF2,
        "raw_tf_preprocessing/app.py": real_apps.KEPT_LEGACY,
    }
    assert "with app.py (the same graph)" in fates["tf1_helper_graph/model.py"].reason
    assert "next to a Keras model" in fates["raw_tf_preprocessing/app.py"].reason
    assert not any(str(tmp_path) in f.reason for f in fates.values())


def test_graphdef_per_request_section_is_replaced_in_place_and_kept_by_full_runs(tmp_path):
    import datetime

    from benchmarks import graphdef_per_request as gpr
    from benchmarks.report import splice_marked

    doc = tmp_path / "bench.md"
    doc.write_text(f"# Benchmarks\n\n{real_apps.SECTION_START}\nreal apps\n{real_apps.SECTION_END}\n")
    when = datetime.datetime(2026, 1, 1)
    for table in ("first table", "second table"):
        doc.write_text(splice_marked(doc.read_text(), gpr.as_markdown(table, when, ["--markdown", "x.md"]),
                                     gpr.SECTION_START, gpr.SECTION_END))
    text = doc.read_text()
    assert text.count(gpr.SECTION_START) == 1 and "second table" in text and "first table" not in text
    assert "second table" in gpr.kept_section(doc) and "real apps" in real_apps.kept_section(doc)
