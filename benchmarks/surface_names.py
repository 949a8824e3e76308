"""Do files migrate reports as migrated still use names today's stack lacks? Checked by importing.

    python benchmarks/surface_names.py            # the real apps of real_apps_manifest.json + fixtures/apps
    python benchmarks/surface_names.py --markdown docs/benchmarks.md   # and (re)write its section there

Each app is migrated as users run it (benchmarks/real_apps.py: a fresh copy, `--write`). For
every file migrate reports as migrated (changed, no manual item, no error), every name the
output takes from a `tensorflow` / `keras` module (`from m import n` at any depth, `alias.n`,
`alias.sub.n`) is looked up in a child process with today's TensorFlow and Keras 3: the
module imported, then the attribute. A name that is not there would stop the migrated app.
Goal: zero. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.real_apps import (DEFAULT_CACHE, _migrate, _read_tree, app_folder, fixture_apps,  # noqa: E402
                                  load_manifest)
from benchmarks.report import marked_section, splice_marked  # noqa: E402

ROOTS = ("tensorflow", "keras")
CHECK_CHILD = r'''
import importlib, json, sys
found = {}
for module, name in json.loads(sys.argv[1]):
    try:
        value = importlib.import_module(module)
    except Exception as exc:
        found[f"{module}.{name}"] = f"module: {type(exc).__name__}"
        continue
    found[f"{module}.{name}"] = None if hasattr(value, name) else "missing"
print(json.dumps(found))
'''


def taken_names(code: str) -> set[tuple[str, str, int]]:
    """(module, name, line) the code takes from TensorFlow / Keras, at any depth."""
    tree = ast.parse(code)
    aliases: dict[str, str] = {}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in ROOTS:
            for alias in node.names:
                if alias.name != "*":
                    found.add((node.module, alias.name, node.lineno))
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ROOTS:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            parts, inner = [], node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                found.add((".".join([aliases[inner.id], *reversed(parts)]), node.attr, node.lineno))
    return found


def check(pairs: set[tuple[str, str]]) -> dict[str, str | None]:
    """{module.name: None if today's stack has it, else why not}, in one child process."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    proc = subprocess.run([sys.executable, "-c", CHECK_CHILD, json.dumps(sorted(pairs))], capture_output=True,
                          text=True, env=env, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


SECTION_START = "<!-- surface-names:start -->"
SECTION_END = "<!-- surface-names:end -->"
HEADERS = ("sample", "apps", "files reported migrated", "names checked", "distinct names", "missing on today's stack")


def run(apps: list[dict]) -> list[tuple[str, str, list[tuple[str, str, int]]]]:
    """(app, file, [(module, name, line)]) for every file migrate reports as migrated."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="surface-names-") as tmp:
        for app in apps:
            tree = Path(tmp) / app_folder(app["repo"])
            shutil.copytree(app["folder"], tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            before = _read_tree(tree)
            report = _migrate(tree, Path(tmp) / f"{tree.name}.json")
            after = _read_tree(tree)
            for entry in report.get("files", []):
                rel = Path(entry["path"]).resolve().relative_to(tree.resolve()).as_posix()
                if entry.get("manual") or entry.get("status") in ("error", "skipped") or before.get(rel) == after.get(rel):
                    continue
                try:
                    rows.append((app["repo"], rel, sorted(taken_names(after[rel]))))
                except SyntaxError:
                    continue
            print(f"  {app['repo']}: done", file=sys.stderr, flush=True)
    return rows


def table(samples: list[tuple[str, int, list]], answers: dict) -> tuple[list[list[str]], list[str]]:
    """One row per sample (label, app count, its rows), and every missing name ``app/file:line: name (why)``."""
    out, bad = [], []
    for label, count, rows in samples:
        names = [(m, n, line) for _, _, taken in rows for m, n, line in taken]
        missing = [(app, rel, f"{m}.{n}", line) for app, rel, taken in rows for m, n, line in taken
                   if answers.get(f"{m}.{n}")]
        out.append([label, str(count), str(len(rows)), str(len(names)), str(len({(m, n) for m, n, _ in names})),
                    str(len(missing))])
        bad += [f"{app}/{rel}:{line}: {name} ({answers[name]})" for app, rel, name, line in missing]
    return out, bad


def as_markdown(rows: list[list[str]], bad: list[str], when: datetime.datetime) -> str:
    """The docs section."""
    out = [SECTION_START, "### names Keras 3 lacks in files migrate reports as migrated (issue 23)", "",
           f"Generated by `python benchmarks/surface_names.py --markdown docs/benchmarks.md` on {when:%Y-%m-%d %H:%M} "
           "UTC. Each app is migrated as users run it (a fresh copy, `python -m migrate --write --no-model-files`); for every file "
           "migrate reports as migrated (changed, no manual item, no error), every name the output takes from a "
           "`tensorflow` / `keras` module (`from m import n` at any depth, `alias.n`, `alias.sub.n`) is looked up by "
           "importing it with today's TensorFlow and Keras 3 (the module imported, then the attribute). "
           "Goal: 0 missing.", "",
           "| " + " | ".join(HEADERS) + " |", "| --- |" + " ---: |" * (len(HEADERS) - 1)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    if bad:
        out += ["", "Missing:", ""] + [f"- `{b}`" for b in bad]
    out.append(SECTION_END)
    return "\n".join(out) + "\n"


def kept_section(path: Path) -> str:
    """This benchmark's section of the Markdown file at ``path`` ("" if none), for a writer that regenerates the rest."""
    return marked_section(path, SECTION_START, SECTION_END)


def main(argv: list[str] | None = None) -> int:
    """Run, print the table (and the missing names); 0, a benchmark reports and never asserts."""
    parser = argparse.ArgumentParser(prog="python benchmarks/surface_names.py", description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", type=Path, help="(re)write this benchmark's section of this Markdown file")
    parser.add_argument("--no-fixtures", action="store_true", help="only the real-app sample")
    args = parser.parse_args(argv)
    when = datetime.datetime.now(datetime.timezone.utc)
    real = [dict(app, folder=str(DEFAULT_CACHE / app_folder(app["repo"]))) for app in load_manifest()]
    real = [a for a in real if Path(a["folder"]).is_dir()]
    fixtures = [] if args.no_fixtures else fixture_apps()
    real_rows, fixture_rows = run(real), run(fixtures)
    answers = check({(m, n) for _, _, names in real_rows + fixture_rows for m, n, _ in names})
    samples = [("real-app sample (benchmarks/real_apps_manifest.json)", len(real), real_rows)]
    if fixtures:
        samples.append(("our fixture apps (fixtures/apps)", len(fixtures), fixture_rows))
    rows, bad = table(samples, answers)
    widths = [max(len(r[i]) for r in [list(HEADERS), *rows]) for i in range(len(HEADERS))]
    for r in [list(HEADERS), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    for b in bad:
        print(f"  missing: {b}")
    if args.markdown:
        document = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        args.markdown.write_text(splice_marked(document, as_markdown(rows, bad, when), SECTION_START, SECTION_END),
                                 encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
