"""Do files migrate reports as migrated still use names today's stack lacks? Checked by importing.

    python benchmarks/surface_names.py            # the real apps of real_apps_manifest.json + fixtures/apps

Each app is migrated as users run it (benchmarks/real_apps.py: a fresh copy, `--write`). For
every file migrate reports as migrated (changed, no manual item, no error), every name the
output takes from a `tensorflow` / `keras` module (`from m import n` at any depth, `alias.n`,
`alias.sub.n`) is looked up in a child process with today's TensorFlow and Keras 3: the
module imported, then the attribute. A name that is not there would stop the migrated app.
Goal: zero. Reported, never asserted.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.real_apps import (DEFAULT_CACHE, _migrate, _read_tree, app_folder, fixture_apps,  # noqa: E402
                                  load_manifest)

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


def main(argv: list[str] | None = None) -> int:
    apps = [dict(app, folder=str(DEFAULT_CACHE / app_folder(app["repo"]))) for app in load_manifest()]
    apps = [a for a in apps if Path(a["folder"]).is_dir()] + fixture_apps()
    rows = []  # (app, file, [(module, name, line)])
    with tempfile.TemporaryDirectory(prefix="surface-names-") as tmp:
        for app in apps:
            tree = Path(tmp) / app_folder(app["repo"])
            import shutil

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
    answers = check({(m, n) for _, _, names in rows for m, n, _ in names})
    bad = [(app, rel, f"{m}.{n}", line, answers[f"{m}.{n}"]) for app, rel, names in rows for m, n, line in names
           if answers.get(f"{m}.{n}")]
    print(f"apps {len(apps)} | files reported migrated {len(rows)} | names checked "
          f"{sum(len(n) for *_, n in rows)} ({len(answers)} distinct) | missing on today's stack {len(bad)}")
    for app, rel, name, line, why in bad:
        print(f"  {app}/{rel}:{line}: {name} ({why})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
