"""Issue 9: what `python -m migrate` does to real public legacy serving apps, file by file.

    python benchmarks/real_apps.py                  # print the table (no TF is imported; about a minute)
    python benchmarks/real_apps.py --markdown docs/benchmarks.md   # also (re)write its section there

The apps are listed in ``benchmarks/real_apps_manifest.json``: repository, commit, the
app's root folder inside it, and the serving files studied (paths relative to that root),
each with a one-line note of the idiom it shows. Third-party code is never committed: the script reads local
copies from ``.cache/real_apps/<owner>+<name>/`` (gitignored; ``--cache`` or
``REAL_APPS_CACHE`` points elsewhere), one folder per app holding every ``.py`` file
under the app's root at the manifest's commit.

How a developer populates the cache: with the search tool, ``fetch`` each manifest repository
(``github:<owner>/<name>``); the snapshots land under ``DIR/<owner>+<name>/repo``
(a git directory). Then::

    python benchmarks/real_apps.py populate --mirror DIR

copies each app's ``.py`` files at the manifest commit out of those git directories (``git
show``; nothing is built or run). A single file can also be read with the search tool's
``read_file`` (repo, path, commit) and saved under the same relative path by hand.

Each app is migrated as a whole tree, the way users run the tool: a fresh copy,
``python -m migrate --write --report R.json --no-model-files`` in a subprocess, then a
second ``--write`` run on the result for idempotence. Every file of the app is then
classified by :mod:`benchmarks.migrate_outcomes` (cleared / kept with a reason /
half-migrated / dangling / not idempotent / broken ...). Goals (issue 9): zero files in
the bad classes. Reported, never asserted.
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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python benchmarks/real_apps.py` puts benchmarks/, not the repo, on the path
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.report import marked_section, splice_marked  # noqa: E402
from benchmarks.migrate_outcomes import BAD_CLASSES, CLASSES, AppFiles, FileOutcome, classify_app  # noqa: E402
from fixtures.catalog import all_apps, sources  # noqa: E402

import libcst as cst  # noqa: E402

from migrate import verify  # noqa: E402
from migrate.analysis.raw_tf1 import find_raw_tf1, mentions_raw_tf1  # noqa: E402
from migrate.analysis.shared import TreeAnalyses  # noqa: E402

MANIFEST = Path(__file__).resolve().parent / "real_apps_manifest.json"
DEFAULT_CACHE = REPO_ROOT / ".cache" / "real_apps"
# docs/benchmarks.md keeps this section between these markers; benchmarks/run.py carries it over
SECTION_START = "<!-- real-apps:start -->"
SECTION_END = "<!-- real-apps:end -->"


def app_folder(repo: str) -> str:
    """Cache folder name of a repository: ``owner+name``."""
    return repo.replace("/", "+")


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    """The manifest's apps: repo, commit, root, files [{path, idiom}]."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["apps"]


# ------------------------------------------------------------------------ populate


def _git_dir(mirror: Path, repo: str) -> Path:
    base = mirror / app_folder(repo) / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def populate(mirror: Path, cache: Path, apps: list[dict]) -> int:
    """Copy every ``.py`` file under each app's root, at its commit, from fetched git dirs."""
    missing = 0
    for app in apps:
        git_dir = _git_dir(mirror, app["repo"])
        if not git_dir.exists():
            print(f"{app['repo']}: no snapshot at {git_dir} (fetch it with the search tool first)", file=sys.stderr)
            missing += 1
            continue
        root = app["root"].strip("/")
        listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", app["commit"]]
                                 + ([root] if root else []), capture_output=True, text=True, check=True).stdout
        dest = cache / app_folder(app["repo"])
        for path in (p for p in listing.splitlines() if p.endswith(".py")):
            blob = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{app['commit']}:{path}"],
                                  capture_output=True, check=True).stdout
            target = dest / (path[len(root) + 1:] if root else path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        print(f"{app['repo']}: {dest}")
    return 1 if missing else 0


# ----------------------------------------------------------------------------- run


def _read_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8", errors="surrogateescape")
            for p in sorted(root.rglob("*.py"))}


def _migrate(tree: Path, report: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--quiet", "--no-model-files",
                           "--report", str(report), str(tree)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    if not report.exists():
        raise RuntimeError(f"migrate wrote no report (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(report.read_text())


def _relative(message: str, tree: Path) -> str:
    """`message` with the temporary tree's path taken out of the file names it gives (the tool
    names the app's other modules as the run names its files, here under a temporary folder)."""
    for prefix in {str(tree), str(tree.resolve())}:
        message = message.replace(prefix + os.sep, "")
    return message


def _manual_items(report: dict, tree: Path) -> dict[str, list[str]]:
    items: dict[str, list[str]] = {}
    for entry in report.get("files", []):
        try:
            rel = Path(entry["path"]).resolve().relative_to(tree.resolve()).as_posix()
        except ValueError:
            continue
        messages = [f"line {m['line']}: {_relative(m['message'], tree)}" for m in entry.get("manual", [])]
        if entry.get("status") in ("error", "skipped") and entry.get("message"):
            messages.append(f"{entry['status']}: {_relative(entry['message'], tree)}")
        if messages:
            items[rel] = messages
    return items


# the rules that act on raw TF1 graph code (migrate/rules), and what their outcome is called here
RAW_TF1_RULES = ("tf1-graph-function", "tf1-session-once", "raw-tf1-report")
BECAME_TF2 = "became TF 2"
ON_COMPAT_V1 = "on tf.compat.v1"
KEPT_LEGACY = "kept legacy"
RAW_TF1_FATES = (BECAME_TF2, ON_COMPAT_V1, KEPT_LEGACY)


@dataclass(frozen=True)
class RawTF1Fate:
    """What the run made of one file holding raw TF1 graph code (or switched with such a file)."""

    path: str
    fate: str
    reason: str


def _raw_tf1_sites(text: str) -> int:
    """How many raw TF1 graph sites migrate's own analysis finds in `text` (0 if it does not parse)."""
    if not mentions_raw_tf1(text):
        return 0
    try:
        tree = cst.parse_module(text)
    except Exception:  # noqa: BLE001 - any input the parser refuses holds no site we can count
        return 0
    analyses = TreeAnalyses(tree)
    return len(find_raw_tf1(tree, analyses.names, analyses.carriers))


def raw_tf1_fates(before: dict[str, str], after: dict[str, str], report: dict, tree: Path) -> list[RawTF1Fate]:
    """Each file of the app that held raw TF1 graph code, or that a raw-TF1 rule acted on (a helper
    switched with the module running its graph): became TF 2 (no raw TF1 left, not on
    tf.compat.v1), on tf.compat.v1 (graph mode, the v1 API), or kept legacy (unchanged raw TF1
    code on the TF 2 API: runs under legacy_shim only); with the raw-TF1 rules' own words."""
    said: dict[str, list[str]] = {}  # what the raw-TF1 rules said of each file
    first: dict[str, str] = {}  # else its first item (a file withdrawn whole to the legacy path)
    for entry in report.get("files", []):
        try:
            rel = Path(entry["path"]).resolve().relative_to(tree.resolve()).as_posix()
        except ValueError:
            continue
        words = [m["message"] for m in entry.get("manual", []) if m.get("rule") in RAW_TF1_RULES]
        words += [w.split(": ", 1)[1] for w in entry.get("warnings", []) if w.split(": ", 1)[0] in RAW_TF1_RULES]
        if words:
            said[rel] = [_relative(w, tree) for w in words]
        if entry.get("manual"):
            first[rel] = _relative(entry["manual"][0]["message"], tree)
    fates = []
    for rel in sorted(before):
        if not _raw_tf1_sites(before[rel]) and not (rel in said and after.get(rel) != before[rel]):
            continue
        text = after.get(rel, before[rel])
        try:
            api = verify.tf_api(ast.parse(text))
        except SyntaxError:
            api = None
        if api == "v1":
            fate = ON_COMPAT_V1
        elif text != before[rel] and not _raw_tf1_sites(text):
            fate = BECAME_TF2
        else:
            fate = KEPT_LEGACY
        fates.append(RawTF1Fate(rel, fate, said.get(rel, [first.get(rel, "(no item)")])[0]))
    return fates


def run_app(app: dict, cache: Path, workdir: Path) -> tuple[list[FileOutcome], list[RawTF1Fate]]:
    """Migrate one app's tree twice; classify every file of it, and say what became of its raw TF1 files."""
    source = Path(app["folder"]) if "folder" in app else cache / app_folder(app["repo"])
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is missing: populate the cache first (see the module docstring)")
    tree = workdir / app_folder(app["repo"])
    shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.json"))
    before = _read_tree(tree)
    report = _migrate(tree, workdir / f"{tree.name}.report.json")
    after = _read_tree(tree)
    _migrate(tree, workdir / f"{tree.name}.second.json")
    second = _read_tree(tree)
    outcomes = classify_app(AppFiles(before=before, after=after, second=second, manual=_manual_items(report, tree)))
    return outcomes, raw_tf1_fates(before, after, report, tree)


def fixture_apps() -> list[dict]:
    """Our own catalogue apps (fixtures/apps), in the manifest's shape: every module is studied."""
    return [{"repo": f"fixtures/{app.name}", "folder": str(app.path), "root": "",
             "files": [{"path": rel, "idiom": ""} for rel in sources(app)]} for app in all_apps()]


def run(cache: Path, apps: list[dict]) -> tuple[list[tuple[str, FileOutcome]], list[tuple[str, RawTF1Fate]]]:
    """(repo, outcome) for the manifest files of every app, plus any other file the tool changed;
    (repo, fate) for every file of every app that held raw TF1 graph code."""
    rows, raw = [], []
    with tempfile.TemporaryDirectory(prefix="real-apps-") as tmp:
        for app in apps:
            studied = {f["path"] for f in app["files"]}
            outcomes, fates = run_app(app, cache, Path(tmp))
            for outcome in outcomes:
                if outcome.path in studied or outcome.outcome not in ("nothing to migrate", "unparseable input"):
                    rows.append((app["repo"], outcome))
            raw += [(app["repo"], fate) for fate in fates]
            print(f"  {app['repo']}: done", file=sys.stderr, flush=True)
    return rows, raw


# -------------------------------------------------------------------------- output


def counts(rows: list[tuple[str, FileOutcome]]) -> Counter:
    """Files per outcome class."""
    return Counter(o.outcome for _, o in rows)


def as_text(rows: list[tuple[str, FileOutcome]]) -> str:
    """The per-file table, then the totals."""
    width = max(len(f"{repo}/{o.path}") for repo, o in rows)
    lines = [f"{'file':<{width}}  {'outcome':<18}  reason", "-" * (width + 40)]
    lines += [f"{repo + '/' + o.path:<{width}}  {o.outcome:<18}  {o.reason}" for repo, o in rows]
    total = counts(rows)
    lines += ["", "totals: " + ", ".join(f"{c} {total[c]}" for c in CLASSES if total[c]) + f" ({len(rows)} files)"]
    return "\n".join(lines)


def raw_tf1_text(raw: list[tuple[str, RawTF1Fate]]) -> str:
    """The raw-TF1 files, one line each, then the count per fate."""
    if not raw:
        return "raw TF1: no file of these apps holds raw TF1 graph code"
    total = Counter(f.fate for _, f in raw)
    lines = [f"{repo}/{f.path}: {f.fate}: {f.reason}" for repo, f in raw]
    return "\n".join(["raw TF1 files:", *lines,
                      "raw TF1: " + ", ".join(f"{fate} {total[fate]}" for fate in RAW_TF1_FATES) + f" ({len(raw)} files)"])


def raw_tf1_markdown(raw: list[tuple[str, RawTF1Fate]]) -> list[str]:
    """The docs' raw-TF1 table: count per fate, then every file with the tool's reason."""
    total = Counter(f.fate for _, f in raw)
    out = ["**raw TF1 graph code** (issue 21): every file of these apps that holds placeholders fed through "
           "`sess.run`, frozen GraphDefs, `Saver`, TF1 SavedModels or `tf.contrib` (migrate's own analysis of the "
           "input), or that a raw-TF1 rule switched with such a file. Became TF 2: no raw TF1 left and not on "
           "`tf.compat.v1`; on tf.compat.v1: switched to the whole v1 API in graph mode, TF's own recipe for TF1 code; kept legacy: left "
           "as it was, runs under legacy_shim. The reason is the tool's own item.", "",
           "| what became of the file | files |", "| --- | ---: |"]
    out += [f"| {fate} | {total[fate]} |" for fate in RAW_TF1_FATES]
    out += [f"| total | {len(raw)} |", ""]
    out += [f"- `{repo}/{f.path}`: **{f.fate}**: {f.reason}" for repo, f in raw]
    return out + [""]


def as_markdown(rows: list[tuple[str, FileOutcome]], apps: list[dict], when: datetime.datetime,
                raw: list[tuple[str, RawTF1Fate]] | None = None) -> str:
    """The docs section: date, counts per class, the files of every bad class with the reason."""
    total = counts(rows)
    commits = sum(len(a["files"]) for a in apps)
    out = [
        SECTION_START,
        "### migrate on real public apps (issue 9)",
        "",
        f"Generated by `python benchmarks/real_apps.py --markdown docs/benchmarks.md` on {when:%Y-%m-%d %H:%M} UTC: "
        f"{len(apps)} public legacy serving apps ({commits} studied files; repository, commit and idiom of each in "
        "`benchmarks/real_apps_manifest.json`), each migrated as a whole tree with `python -m migrate --write "
        "--no-model-files`, then once more for idempotence. The table counts the studied files and any other file "
        "the tool changed. Goal: 0 in every bad class.",
        "",
        "| outcome | files | bad? |",
        "| --- | ---: | --- |",
    ]
    out += [f"| {c} | {total[c]} | {'**yes**' if c in BAD_CLASSES else 'no'} |" for c in CLASSES]
    out += [f"| total | {len(rows)} | |", "", FIXTURES_NOTE, ""]
    for cls in CLASSES:
        if cls in BAD_CLASSES and total[cls]:
            out += [f"**{cls}**", ""]
            out += [f"- `{repo}/{o.path}`: {o.reason}" for repo, o in rows if o.outcome == cls]
            out.append("")
    kept = [(repo, o) for repo, o in rows if o.outcome == "kept"]
    if kept:
        out += ["**kept on the legacy path** (first manual item)", ""]
        out += [f"- `{repo}/{o.path}`: {o.reason}" for repo, o in kept]
        out.append("")
    if raw is not None:
        out += raw_tf1_markdown(raw)
    out.append(SECTION_END)
    return "\n".join(out) + "\n"


# The idioms of this sample that the fixture catalogue lacked, and the apps of ours that now cover them.
FIXTURES_NOTE = (
    "Idioms of this sample the fixture catalogue lacked are now fixture apps of our own writing, served under the "
    "shim by tests/serving and, migrated, served without it by tests/migrate/test_migrated_apps_serve.py: `django_settings_graph` (session, graph and "
    "model built in settings.py, read as `settings.GRAPH` by a view), `django_appconfig` (graph/session/model "
    "set in `AppConfig.ready()`, class-based view), `init_loader_star` (`model/load.py` `init()` returning "
    "`(model, graph)`, `from load import *`), `helper_carriers` (graph and session on `self`, on the Flask app, "
    "in a dict, as parameters of a helper module), `session_graph_mixed` (`K.get_session().graph`, carriers as "
    "default parameter values, `with s.as_default(), g.as_default():` in both orders, "
    "`disable_eager_execution()`), `tornado_handlers` (`initialize()` loading per request, `model, graph` "
    "imported from the module that loaded them). `python benchmarks/real_apps.py --fixtures` classifies them "
    "the same way: every file of these apps is cleared. Of all fixture apps, only raw-TF1 ones whose graph is "
    "built in code are kept, each with its reason: `tf1_helper_graph` (both modules) and `tf1_saver_per_request` "
    "on tf.compat.v1, `raw_tf_preprocessing` (next to a Keras model) on the legacy path; the frozen-graph and "
    "SavedModel apps became TF 2 functions and are cleared.")


def splice(document: str, section: str) -> str:
    """``document`` with its real-apps section replaced by ``section`` (appended if absent)."""
    return splice_marked(document, section, SECTION_START, SECTION_END)


def kept_section(path: Path) -> str:
    """The real-apps section of the Markdown file at ``path`` ("" if none), for a writer that regenerates the rest."""
    return marked_section(path, SECTION_START, SECTION_END)


def main(argv: list[str] | None = None) -> int:
    """Run (default) or populate the cache; 0 unless an app could not be run."""
    parser = argparse.ArgumentParser(prog="python benchmarks/real_apps.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("run", "populate"), default="run")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("REAL_APPS_CACHE", DEFAULT_CACHE)),
                        help=f"local copies of the apps (default {DEFAULT_CACHE.relative_to(REPO_ROOT)})")
    parser.add_argument("--mirror", type=Path,
                        help="populate (required there): the folder holding the git snapshots, <owner>+<name>/repo")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--apps", help="comma-separated repositories (default: all in the manifest)")
    parser.add_argument("--markdown", type=Path, help="(re)write the real-apps section of this Markdown file")
    parser.add_argument("--fixtures", action="store_true",
                        help="classify our own catalogue apps (fixtures/apps) instead of the real ones")
    args = parser.parse_args(argv)
    apps = fixture_apps() if args.fixtures else load_manifest(args.manifest)
    if args.apps:
        wanted = set(args.apps.split(","))
        apps = [a for a in apps if a["repo"] in wanted]
    if args.command == "populate":
        if args.mirror is None:
            parser.error("populate needs --mirror DIR: the folder holding the git snapshots")
        return populate(args.mirror, args.cache, apps)
    when = datetime.datetime.now(datetime.timezone.utc)
    rows, raw = run(args.cache, apps)
    print(as_text(rows))
    print()
    print(raw_tf1_text(raw))
    if args.markdown:
        document = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        args.markdown.write_text(splice(document, as_markdown(rows, apps, when, raw)), encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
