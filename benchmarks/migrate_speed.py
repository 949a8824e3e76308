"""Issue 5, migrate: wall time of ``python -m migrate`` against ``tf_upgrade_v2 --intree``.

Both tools run as their users run them (a fresh process, the whole tree, writing their
output: migrate ``--write`` in place on a fresh copy, tf_upgrade_v2 into ``--outtree``),
alternating in rounds on the same generated trees (benchmarks/trees.py, under a temp
dir). Wall time includes each tool's start-up (imports): that is what a user waits for.

1. 1,000 legacy serving files: migrate vs tf_upgrade_v2 (goal: migrate <= 0.33x).
2. 10,000 files, 1% TF, the rest modern TF-free code: the whole tree with both tools
   (tf_upgrade_v2 aborts on the first walrus), and migrate's prefilter rate on the TF-free
   part alone, start-up subtracted (an empty folder timed the same way).
3. Scaling: files/s at 1 and 2 jobs and at 100, 1,000, 10,000 legacy files.
4. Where migrate's time goes: a per-stage CPU profile (cProfile, one process) of the
   rule engine on the legacy files of the first table.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand

from benchmarks import rounds, trees
from benchmarks.report import Section, check, fmt, ratio
from migrate import engine, verify
from migrate.analysis import carriers, cst_adapter, handlers, names
from migrate.engine import Config, migrate_source
from migrate.rules import all_rules, base, driver
from migrate.rules.base import Rule

REPO_ROOT = Path(__file__).resolve().parent.parent
# scaling runs projected to take longer than this (at the measured rate) are left out
SCALING_BUDGET_S = 150.0
# no new round of a head-to-head table starts after this long (the first round always runs)
ROUNDS_BUDGET_S = 150.0


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["NO_COLOR"] = "1"
    return env


def _tf_upgrade_argv() -> list[str]:
    script = shutil.which("tf_upgrade_v2")
    return [script] if script else [sys.executable, "-m", "tensorflow.tools.compatibility.tf_upgrade_v2_main"]


def _timed(argv: list[str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=str(cwd), env=_env(), capture_output=True, text=True)
    took = time.perf_counter() - start
    return took, proc.returncode, proc.stdout[-4000:] + proc.stderr[-4000:]


def run_migrate(tree: Path, scratch: Path, jobs: int) -> tuple[float, int, str]:
    """migrate --write on a fresh copy of ``tree`` (the copy is not timed)."""
    work = scratch / "migrate-copy"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(tree, work)
    return _timed([sys.executable, "-m", "migrate", "--write", "--quiet", "--jobs", str(jobs), str(work)], scratch)


def run_floor(tree: Path, scratch: Path, visit: bool = False) -> tuple[float, int, str]:
    """benchmarks/libcst_floor.py (parse + print only; `visit`: and one no-op libcst pass)
    on a fresh copy of ``tree``."""
    work = scratch / "floor-copy"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(tree, work)
    return _timed([sys.executable, "-m", "benchmarks.libcst_floor", *(["--visit"] if visit else []), str(work)],
                  scratch)


def run_tf_upgrade(tree: Path, scratch: Path) -> tuple[float, int, str]:
    """tf_upgrade_v2 --intree ``tree`` into a fresh --outtree."""
    out = scratch / "tf-upgrade-out"
    shutil.rmtree(out, ignore_errors=True)
    return _timed(_tf_upgrade_argv() + ["--intree", str(tree), "--outtree", str(out),
                                        "--reportfile", str(scratch / "tf_upgrade_report.txt")], scratch)


def _migrate_summary(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r"\d+ files?\b", line)]
    if lines:
        return lines[-1].strip()
    rest = output.strip().splitlines()
    return rest[-1] if rest else "no output"


def _tf_upgrade_outcome(code: int, output: str) -> str:
    if code == 0:
        converted = re.search(r"Converted (\d+) files", output)
        return f"ok, converted {converted.group(1)} files" if converted else "ok"
    last = [line for line in output.splitlines() if re.match(r"\w*(Error|Exception)\b", line)]
    return f"ABORTED (exit {code}): {last[-1][:120] if last else 'see its output'}"


def run(workdir: Path, quick: bool = False) -> list[Section]:
    """All three migrate-speed tables."""
    n_legacy, n_mixed, n_rounds = (50, 1000, 1) if quick else (1000, 10000, 3)
    scratch = workdir / "migrate-speed"
    scratch.mkdir(parents=True, exist_ok=True)
    legacy = trees.legacy_tree(workdir / "trees" / f"legacy-{n_legacy}", n_legacy)
    head_to_head, per_file = _head_to_head(legacy, scratch, n_rounds, n_legacy)
    mixed = _mixed(workdir, scratch, n_mixed, n_rounds)
    sizes = (50,) if quick else (100, 1000, 10000)
    scaling = _scaling(workdir, scratch, sizes, per_file)
    profile = stage_profile(legacy, 50 if quick else 300)
    return [head_to_head, mixed, scaling, profile]


def _head_to_head(tree: Path, scratch: Path, n_rounds: int, n_files: int) -> tuple[Section, float]:
    outcome: dict[str, str] = {}

    def measure(tool: str, _round: int) -> dict[str, float]:
        if tool == "migrate":
            took, code, out = run_migrate(tree, scratch, jobs=2)
            outcome[tool] = f"exit {code}: {_migrate_summary(out)}"
        elif tool in ("floor", "floor+visit"):
            took, code, out = run_floor(tree, scratch, visit=tool == "floor+visit")
            outcome[tool] = f"exit {code}: {out.strip().splitlines()[-1] if out.strip() else 'no output'}"
        else:
            took, code, out = run_tf_upgrade(tree, scratch)
            outcome[tool] = _tf_upgrade_outcome(code, out)
        return {"seconds": took}

    res = rounds.interleave(["migrate", "tf_upgrade_v2", "floor", "floor+visit"], n_rounds, measure,
                            budget_s=ROUNDS_BUDGET_S)
    n_rounds = rounds.rounds_done(res)
    lines = trees.count_lines(tree)
    m, t, f = res["migrate"]["seconds"], res["tf_upgrade_v2"]["seconds"], res["floor"]["seconds"]
    v = res["floor+visit"]["seconds"]
    rel = rounds.paired_ratio(m, t)
    rows = [["python -m migrate --write (2 jobs)", fmt(m.median, 1), fmt(n_files / m.median), ratio(rel),
             outcome["migrate"]],
            ["tf_upgrade_v2 --intree", fmt(t.median, 1), fmt(n_files / t.median), "1.00x", outcome["tf_upgrade_v2"]],
            ["floor: LibCST parse + print only (2 jobs)", fmt(f.median, 1), fmt(n_files / f.median),
             ratio(rounds.paired_ratio(f, t)), outcome["floor"]],
            ["floor + one no-op libcst traversal (2 jobs)", fmt(v.median, 1), fmt(n_files / v.median),
             ratio(rounds.paired_ratio(v, t)), outcome["floor+visit"]]]
    caption = [f"{n_files:,} generated legacy serving files ({lines:,} lines) cycling through the fixture apps; median "
               f"of {n_rounds} alternating rounds; wall time of the whole command including start-up; "
               "ratio = median of per-round ratios. The floor row (benchmarks/libcst_floor.py) has migrate's start-up "
               "and worker pool and only parses and prints each file: what any LibCST-based tool pays before its "
               "first rule. The next row adds one pass of libcst's own traversal with a transformer that changes "
               "nothing (`module.visit(cst.CSTTransformer())`): what a codemod that looks at every node once pays."]
    section = Section(f"migrate vs tf_upgrade_v2: {n_files:,} legacy serving files",
                      ["tool", "wall s", "files/s", "vs tf_upgrade_v2", "outcome"], rows, caption,
                      [check("migrate / tf_upgrade_v2 wall time", rel, "<=", 0.33)])
    return section, m.median / n_files


def _mixed(workdir: Path, scratch: Path, n_files: int, n_rounds: int) -> Section:
    mixed, tf_files = trees.mixed_tree(workdir / "trees" / f"mixed-{n_files}", n_files)
    tf_free = workdir / "trees" / f"tf-free-{n_files}"
    shutil.copytree(mixed, tf_free, ignore=shutil.ignore_patterns("serve_*.py"))
    empty = workdir / "trees" / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    n_free = n_files - tf_files
    outcome: dict[str, str] = {}

    def measure(what: str, _round: int) -> dict[str, float]:
        if what == "tf_upgrade_v2":
            took, code, out = run_tf_upgrade(mixed, scratch)
            outcome[what] = _tf_upgrade_outcome(code, out)
        elif what == "migrate":
            took, code, out = run_migrate(mixed, scratch, jobs=2)
            outcome[what] = f"exit {code}: {_migrate_summary(out)}"
        else:  # the prefilter alone, one job, and the same command on nothing
            took, code, out = _timed([sys.executable, "-m", "migrate", "--quiet", "--jobs", "1",
                                      str(tf_free if what == "tf-free" else empty)], scratch)
            outcome[what] = f"exit {code}: {_migrate_summary(out)}"
        return {"seconds": took}

    res = rounds.interleave(["migrate", "tf_upgrade_v2", "tf-free", "empty"], n_rounds, measure,
                            budget_s=ROUNDS_BUDGET_S)
    n_rounds = rounds.rounds_done(res)
    skip_rate = n_free / rounds.Samples([a - b for a, b in zip(res["tf-free"]["seconds"].values,
                                                                 res["empty"]["seconds"].values)]).median
    m, t = res["migrate"]["seconds"].median, res["tf_upgrade_v2"]["seconds"].median
    rows = [
        [f"python -m migrate --write, whole tree (2 jobs)", fmt(m, 1), fmt(n_files / m), outcome["migrate"]],
        ["tf_upgrade_v2 --intree, whole tree", fmt(t, 1), "-", outcome["tf_upgrade_v2"]],
        [f"python -m migrate, the {n_free:,} TF-free files only (1 job)", fmt(res["tf-free"]["seconds"].median, 2),
         fmt(skip_rate), "prefilter rate, start-up subtracted"],
        ["python -m migrate on an empty folder (start-up)", fmt(res["empty"]["seconds"].median, 2), "-",
         outcome["empty"]],
    ]
    caption = [f"{n_files:,} files: {tf_files} legacy serving files (1%) and {n_free:,} modern TF-free modules using "
               "walrus, `match`, `/` parameters and `f\"{x=}\"`; median of "
               f"{n_rounds} alternating rounds. The prefilter rate is (TF-free files) / (time on the TF-free files "
               "- time on an empty folder), per round."]
    whole_ok = outcome["tf_upgrade_v2"].startswith("ok")
    goals = [check("prefilter, files/s on the TF-free part", skip_rate, ">=", 20000)]
    goals.append(check("whole tree, migrate / tf_upgrade_v2 wall time", m / t, "<=", 1.0,
                       "" if whole_ok else "tf_upgrade_v2 did not finish the tree: it aborted, see the outcome"))
    return Section(f"A {n_files:,}-file tree with 1% TF (modern syntax elsewhere)",
                   ["run", "wall s", "files/s", "outcome"], rows, caption, goals)


def _scaling(workdir: Path, scratch: Path, sizes: tuple[int, ...], seconds_per_file: float) -> Section:
    rows, skipped = [], []
    rates: dict[tuple[int, int], float] = {}
    for n in sizes:
        tree = trees.legacy_tree(workdir / "trees" / f"legacy-{n}", n) \
            if not (workdir / "trees" / f"legacy-{n}").exists() else workdir / "trees" / f"legacy-{n}"
        cells = [f"{n:,}"]
        for jobs in (1, 2):
            projected = n * seconds_per_file * (2 / jobs)
            if projected > SCALING_BUDGET_S:
                skipped.append(f"{n:,} files at {jobs} job(s) (projected {projected:.0f} s)")
                cells += ["-", "-"]
                continue
            took, code, _ = run_migrate(tree, scratch, jobs)
            rates[(n, jobs)] = n / took
            cells += [fmt(took, 1), fmt(n / took)]
        speedup = rates.get((n, 2), float("nan")) / rates.get((n, 1), float("nan"))
        cells.append(ratio(speedup))
        rows.append(cells)
    caption = ["Legacy serving files (as in the first table), `python -m migrate --write --jobs J`, one run each, "
               "wall time including start-up (which weighs on the small trees)."]
    if skipped:
        caption.append(f"Left out to keep the run to a few minutes, at the rate measured above: {', '.join(skipped)}.")
    return Section("migrate scaling: files/s by tree size and jobs",
                   ["files", "1 job: s", "1 job: files/s", "2 jobs: s", "2 jobs: files/s", "2 jobs / 1 job"],
                   rows, caption)


def _stages() -> list[tuple[str, object]]:
    """(label, function) of each stage worth a row, outermost first."""
    stages: list[tuple[str, object]] = [("migrate_source (everything below)", engine.migrate_source),
                                        ("  parser-limit guard (CPython ast)", engine._beyond_parser_limits),
                                        ("  rules (everything below but the checks)", driver.run_rules),
                                        ("  parse (libcst)", cst.parse_module)]
    for rule in all_rules():
        if rule.rewrite is not Rule.rewrite:
            stages.append((f"rule {rule.NAME}", rule.rewrite))
    stages += [
        ("hook-only rules, one at a time", Rule.rewrite),
        ("hook-only rules sharing a traversal", driver._SharedTraversal.transform_module_impl),
        ("  analysis: imports", names.ImportNames.from_module),
        ("  analysis: bindings walk (carriers, models)", carriers._collect_statement),
        ("  analysis: carrier liveness plan", carriers.Carriers.plan_dead_carriers),
        ("  analysis: handlers", handlers.request_functions),
        ("codegen (module text, per changed statement)", base.SourceFile.code_of),
        ("import removal (metadata-free)", base._TextuallyUnusedImports.remove),
        ("import addition (walk-free)", cst_adapter.add_imports),
        ("libcst's own import visitors (scope metadata, walk)", VisitorBasedCodemodCommand.transform_module_impl),
        ("manual items: positions", Rule.flush_manual),
        ("compile check", driver.syntax_error),
        ("never-worse checks (migrate.verify)", verify.check),
        ("legacy-path report (ast)", engine._report_legacy_path),
    ]
    return stages


def stage_profile(tree: Path, n_files: int) -> Section:
    """CPU per file of each stage of the rule engine, from one cProfile run in this process."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(tree.rglob("*.py"))[:n_files]]
    for text in texts[:10]:  # warm: node-type tables, visitor plans
        migrate_source(text, Config())
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        migrate_source(text, Config())
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, name) → (calls, _, own, cumulative, _)
    by_code = {(f, line, name): row for (f, line, name), row in stats.items()}
    stages = _stages()
    total = None
    rows = []
    for label, func in stages:
        code = getattr(func, "__code__", None)
        row = by_code.get((code.co_filename, code.co_firstlineno, code.co_name)) if code else None
        if row is None:
            continue
        calls, seconds = row[1], row[3]
        total = total if total is not None else seconds
        rows.append([label, fmt(1000 * seconds / len(texts), 2), f"{100 * seconds / total:.0f}%", fmt(calls)])
    caption = [f"The first {len(texts):,} files of the first table's tree, migrated in one process under cProfile "
               "(which inflates every row by a similar factor: read the shares). Cumulative CPU: a rule's row includes "
               "the analyses and codegen it asks for; the indented analysis rows are inside the rule rows."]
    return Section("Where migrate's time goes (per-stage profile)", ["stage", "ms/file", "share", "calls"], rows, caption)

