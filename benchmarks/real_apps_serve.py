"""Issue 20: real public apps served end to end, legacy under the shim against migrated on Keras 3.

    python benchmarks/real_apps_serve.py populate --mirror DIR   # copy the apps into .cache/
    python benchmarks/real_apps_serve.py                                   # serve them all, print the table
    python benchmarks/real_apps_serve.py --apps NAME,NAME --markdown docs/benchmarks.md
    python benchmarks/real_apps_serve.py --migrate-src DIR                 # migrate from another checkout

The apps are listed in ``benchmarks/real_apps_serve.json``, one small spec each: repository,
commit and root (as in ``benchmarks/real_apps_manifest.json``), how to serve it
(:mod:`benchmarks.real_apps_serve_launcher`), the model files its code loads (built by
:mod:`benchmarks.real_apps_serve_models` the way a TF1-era user saved them, fixed seeds,
never downloaded), the requests its preprocessing expects, and the edits applied identically to
both copies (a missing upload folder, a Windows path, a stand-in for an absent non-ML service;
never model, graph or session code), each with why.

A spec's keys: ``name``; ``repo``/``commit``/``root`` (or ``folder``: an app of this repository);
``serve`` (``{"wsgi": "module:attr", "setup": "stmt"}`` or ``{"django": "settings.module"}``);
``ready`` (a route polled until it answers, default ``/``); ``models`` (recipes of
:mod:`benchmarks.real_apps_serve_models`); ``requests``: ``route``, ``method`` (POST),
one of ``json`` / ``body`` (raw data) / ``form`` / ``files``, ``variants`` (how many seeds, 3),
where a string ``@image:WxH[:MODE[:FMT]]`` becomes image bytes (an uploaded file under ``files``),
``@dataurl:...`` / ``@b64:...`` its base64 text and ``@array:D1xD2`` a nested list of floats;
``edits``, each with its ``why``: ``path`` + ``old`` -> ``new`` (every occurrence), ``mkdir``,
``standin`` (a module of :data:`STANDINS`), ``image`` (a fixed input file), ``pickle`` (a pickled
lookup table); ``ignore``: regexes removed from answers before comparing (per-response tokens);
``racy``: why the app's own code races under concurrent requests (every request writes the same
file), so its concurrent answers are not compared.

Third-party code is never committed: ``populate`` copies every file under each app's root at the
manifest commit out of git snapshots of the repositories (``--mirror DIR``, required: a folder
holding ``<owner>+<name>/repo``, a git directory per repository) into ``.cache/real_apps_serve/<name>/``
(``--cache`` elsewhere). Model-like files of the repository (.h5, .hdf5, .pb ...) are left out:
the spec's files replace them.

Per app, side by side in one run:
(a) a copy served unmodified under the shim: ``python -m legacy_shim launcher ...``;
(b) a copy run through ``python -m migrate --write`` (model files upgraded as a user would get
    them; ``migrate`` is imported from ``--migrate-src`` if given, else from this checkout) and
    served WITHOUT the shim on Keras 3; but where migrate kept a file (or part of one) on the
    legacy path (a manual item saying it is kept on, or stays on, the legacy path), the migrated copy is served as its
    user runs it, migrated and kept files together under the shim, and the row says so
    ("kept legacy at FILE:LINE, served under the shim"): such an app is not claimed to run on Keras 3.
Both get the same fixed requests one by one, then 8 at once; every answer of (b) and every
concurrent answer must equal (a)'s sequential one (numbers to 1e-5, everything else exactly).
Then 50 single-client requests per server after a warm-up, alternating between (a) and (b) so
that the box's noise hits both alike; p50 of each and the ratio. "per-request predicts left"
counts ``.predict(`` calls of the migrated code in functions that migrate's own analysis says
run per request (a per-request Keras 3 ``predict`` is ~90x slower than ``predict_on_batch`` at
batch 1); "other predicts" those in functions that do not (training, evaluation, test
scripts): a static count, the lines are printed.

Extra packages the apps import (not needed by the test suite; ``pip install``): pillow, gevent,
opencv-python-headless<5 (5.x dropped CascadeClassifier), Keras-Preprocessing, flask-cors.
A benchmark, not a test: it reports, never asserts.
"""

from __future__ import annotations

import argparse
import ast
import base64
import concurrent.futures
import datetime
import io
import json
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python benchmarks/x.py` puts benchmarks/, not the repo, on the path
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import servers  # noqa: E402
from benchmarks.real_apps import _git_dir  # noqa: E402
from benchmarks.report import marked_section, splice_marked  # noqa: E402

SPECS = Path(__file__).resolve().parent / "real_apps_serve.json"
DEFAULT_CACHE = REPO_ROOT / ".cache" / "real_apps_serve"
LAUNCHER = Path(__file__).resolve().parent / "real_apps_serve_launcher.py"
SECTION_START = "<!-- real-apps-serve:start -->"
SECTION_END = "<!-- real-apps-serve:end -->"
# files of the repositories that the spec's own model files replace
MODEL_SUFFIXES = (".h5", ".hdf5", ".keras", ".pb", ".pbtxt", ".ckpt", ".tflite", ".pt", ".pth", ".onnx")
TOLERANCE = 1e-5
CONCURRENT = 8
LATENCY_REQUESTS = 50
WARM_UP = 5


def load_specs(path: Path = SPECS) -> list[dict]:
    """The served apps: name, repo, commit, root, serve, models, requests, edits."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["apps"]


# ------------------------------------------------------------------------ populate


def populate(mirror: Path, cache: Path, apps: list[dict]) -> int:
    """Copy every file under each app's root at its commit (model files excepted) into the cache."""
    missing = 0
    for app in apps:
        if "folder" in app:
            continue
        git_dir = _git_dir(mirror, app["repo"])
        if not git_dir.exists():
            print(f"{app['name']}: no snapshot at {git_dir} (fetch github:{app['repo']} first)", file=sys.stderr)
            missing += 1
            continue
        root = app["root"].strip("/")
        listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "--name-only", app["commit"]]
                                 + ([root] if root else []), capture_output=True, text=True, check=True).stdout
        dest = cache / app["name"]
        shutil.rmtree(dest, ignore_errors=True)
        for path in listing.splitlines():
            if path.lower().endswith(MODEL_SUFFIXES) or "/.git" in path:
                continue
            shown = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{app['commit']}:{path}"],
                                   capture_output=True)
            if shown.returncode != 0:  # a submodule, or a file the snapshot lacks (>= 4 MiB)
                continue
            target = dest / (path[len(root) + 1:] if root else path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(shown.stdout)
        print(f"{app['name']}: {dest}")
    return 1 if missing else 0


# -------------------------------------------------------------------- requests


def _image_bytes(width: int, height: int, seed: int, mode: str = "RGB", fmt: str = "PNG") -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.RandomState(seed)
    channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
    pixels = rng.randint(0, 256, size=(height, width, channels), dtype=np.uint8)
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def _materialize(value, seed: int, as_file: bool = False):
    """A spec value with its ``@image:WxH[:MODE[:FMT]]``, ``@dataurl:...``, ``@b64:...`` and
    ``@array:D1xD2...`` placeholders replaced by seeded data."""
    import numpy as np

    if isinstance(value, dict):
        return {k: _materialize(v, seed + i, as_file) for i, (k, v) in enumerate(sorted(value.items()))}
    if isinstance(value, list):
        return [_materialize(v, seed + i, as_file) for i, v in enumerate(value)]
    if not isinstance(value, str) or not value.startswith("@"):
        return value
    kind, _, rest = value[1:].partition(":")
    parts = rest.split(":")
    if kind == "array":
        shape = [int(d) for d in parts[0].split("x")]
        return np.round(np.random.RandomState(seed).uniform(0.0, 1.0, size=shape), 4).tolist()
    width, height = (int(d) for d in parts[0].split("x"))
    mode = parts[1] if len(parts) > 1 else "RGB"
    fmt = parts[2] if len(parts) > 2 else "PNG"
    data = _image_bytes(width, height, seed, mode, fmt)
    if kind == "image":
        return (f"image{seed}.{fmt.lower()}", data, f"image/{fmt.lower()}") if as_file else data
    encoded = base64.b64encode(data).decode("ascii")
    if kind == "dataurl":
        return f"data:image/{fmt.lower()};base64,{encoded}"
    if kind == "b64":
        return encoded
    raise ValueError(f"unknown placeholder {value!r}")


@dataclass(frozen=True)
class Request:
    """One concrete HTTP request."""

    method: str
    route: str
    json_body: object = None
    body: str | None = None  # raw request data (``request.get_data()`` apps)
    form: dict | None = None
    files: dict | None = None


def requests_of(app: dict) -> list[Request]:
    """The app's fixed requests: each template of the spec with ``variants`` seeds."""
    out = []
    for template in app["requests"]:
        for seed in range(template.get("variants", 3)):
            out.append(Request(
                method=template.get("method", "POST"), route=template["route"],
                json_body=_materialize(template["json"], seed) if "json" in template else None,
                body=_materialize(template["body"], seed) if "body" in template else None,
                form=_materialize(template["form"], seed) if "form" in template else None,
                files=_materialize(template["files"], seed, as_file=True) if "files" in template else None,
            ))
    return out


def send(port: int, request: Request, timeout: float = 120.0) -> tuple[int, str]:
    """Send one request; (status, body text)."""
    import requests as http

    kwargs = {"timeout": timeout}
    if request.json_body is not None:
        kwargs["json"] = request.json_body
    if request.form is not None:
        kwargs["data"] = request.form
    if request.body is not None:
        kwargs["data"] = request.body.encode()
    if request.files is not None:
        kwargs["files"] = request.files
    response = http.request(request.method, f"http://127.0.0.1:{port}{request.route}", **kwargs)
    return response.status_code, response.text


# ------------------------------------------------------------------ comparing

_NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def same_answer(a: str, b: str) -> bool:
    """Equal answers: JSON compared as values, floats to 1e-5 (relative above 1); other text
    compared exactly outside its decimal numbers, those to 1e-5."""
    try:
        return _same_value(json.loads(a), json.loads(b))
    except ValueError:
        pass
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(_close(float(x), float(y)) for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b)))


def _same_value(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return _close(float(a), float(b))
    if isinstance(a, str) and isinstance(b, str):
        return same_answer(a, b) if a != b and (_NUMBER.search(a) or a[:1] in "[{") else a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    return a == b


# ------------------------------------------------------------------- one app


@dataclass
class Side:
    """What one copy (legacy or migrated) did."""

    ok: bool = False
    answers: list = field(default_factory=list)  # sequential answers, by request
    concurrent: list = field(default_factory=list)  # (request index, answer)
    latencies: list = field(default_factory=list)
    error: str = ""
    concurrent_errors: list = field(default_factory=list)

    @property
    def p50_ms(self) -> float | None:
        return statistics.median(self.latencies) * 1000 if self.latencies else None


@dataclass
class Row:
    """One app's line of the table."""

    app: str
    legacy: Side
    migrated: Side
    same: bool | None = None
    predicts_left: list = field(default_factory=list)  # per-request ones, "file:line: code"
    predicts_other: list = field(default_factory=list)  # in code that does not run per request
    manual: list = field(default_factory=list)  # migrate's manual items "file:line: message"
    kept: list = field(default_factory=list)  # "file:line" migrate kept on the legacy path
    notes: list = field(default_factory=list)
    reason: str = ""

    @property
    def ratio(self) -> float | None:
        if self.legacy.p50_ms and self.migrated.p50_ms:
            return self.migrated.p50_ms / self.legacy.p50_ms
        return None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def _apply_edits(tree: Path, edits: list[dict]) -> None:
    for edit in edits:
        target = tree / edit.get("path", "")
        if "mkdir" in edit:
            (tree / edit["mkdir"]).mkdir(parents=True, exist_ok=True)
            continue
        if "standin" in edit:  # a whole stand-in module, kept in STANDINS below
            (tree / edit["standin"]).write_text(STANDINS[edit["standin"]], encoding="utf-8")
            continue
        if "pickle" in edit:  # a pickled lookup table (class indices ...) the app loads
            target.write_bytes(pickle.dumps(edit["pickle"]))
            continue
        if "image" in edit:  # a fixed input file the app reads from disk
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_materialize(edit["image"], 0))
            continue
        if "write" in edit:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(edit["write"], encoding="utf-8")
            continue
        text = target.read_text(encoding="utf-8")
        if edit["old"] not in text:
            raise ValueError(f"edit for {edit['path']} does not apply: {edit['old']!r} not found")
        target.write_text(text.replace(edit["old"], edit["new"]), encoding="utf-8")


# Stand-ins for non-ML library functions that no longer exist; written into both copies.
STANDINS = {
    "scipy_misc_standin.py": '''"""Stand-in for scipy.misc.imread / imresize / imsave (removed in SciPy 1.2-1.3), on PIL as SciPy did."""
import numpy as np
from PIL import Image


def imread(path, mode=None):
    image = Image.open(path)
    return np.array(image.convert(mode) if mode else image)


def imresize(arr, size, interp="bilinear"):
    image = Image.fromarray(np.asarray(arr))
    return np.array(image.resize((size[1], size[0]), {"bilinear": Image.BILINEAR, "nearest": Image.NEAREST}[interp]))


def imsave(path, arr):
    Image.fromarray(np.asarray(arr)).save(path)
''',
}


def _env(home: Path, migrate_src: Path | None) -> dict:
    env = servers.bench_env(HOME=str(home), KERAS_HOME=str(home / ".keras"), PYTHONUNBUFFERED="1", NO_COLOR="1")
    if migrate_src:
        env["PYTHONPATH"] = os.pathsep.join([str(migrate_src), env["PYTHONPATH"]])
    return env


def _build_models(app: dict, tree: Path, home: Path, env: dict) -> None:
    specs = tree.parent / f"{app['name']}.models.json"
    specs.write_text(json.dumps(app.get("models", [])))
    # this checkout's builder, whatever --migrate-src put first on the path
    env = dict(env, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), env["PYTHONPATH"]]))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.real_apps_serve_models", str(specs), str(tree),
                           str(home)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"model build failed: {_first_line(proc.stderr)}\n{proc.stderr[-2000:]}")


def _migrate(tree: Path, report: Path, env: dict) -> tuple[dict, str]:
    # `python -m` puts its cwd first on sys.path: the tree's folder, so PYTHONPATH decides which migrate runs
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--quiet", "--report", str(report), str(tree)],
                          cwd=tree.parent, env=env, capture_output=True, text=True, timeout=1800)
    if not report.exists():
        raise RuntimeError(f"migrate wrote no report (exit {proc.returncode}): {_first_line(proc.stderr)}")
    return json.loads(report.read_text()), proc.stderr


# rules whose items name per-request work left in the migrated code: first in the reason column
PER_REQUEST_RULES = ("load-once", "predict-speed")


def manual_items(report: dict, tree: Path) -> list[str]:
    """migrate's manual items for ``tree``: ``file:line: message``; first those about model files
    Keras 3 cannot load as the code names them (what stops a migrated app at start), then those
    about per-request work (what can keep a migrated app slower than the legacy one)."""
    items, first, models = [], [], []
    for entry in report.get("files", []):
        try:
            rel = Path(entry["path"]).resolve().relative_to(tree.resolve()).as_posix()
        except ValueError:
            continue
        for m in entry.get("model_files", []):
            if m.get("action") == "manual":
                # the copy's folder is this run's temporary one: paths relative to the app
                message = m["message"].replace(f"{tree.resolve().as_posix()}/", "").replace(f"{tree.as_posix()}/", "")
                models.append(f"{rel}: model file: {message}")
        for m in entry.get("manual", []):
            (first if m.get("rule") in PER_REQUEST_RULES else items).append(f"{rel}:{m['line']}: {m['message']}")
        if entry.get("status") in ("error", "skipped") and entry.get("message"):
            items.append(f"{rel}: {entry['status']}: {entry['message']}")
    return models + first + items


# how migrate's report says a file (or part of one) stays on the legacy path, to run under the shim
# (graph-reentry's "kept on ...", raw-tf1-report's "the file stays on ...", the summary's "left on ...")
KEPT_LEGACY = re.compile(r"\b(kept|stays|left) on the legacy path")


def kept_legacy(report: dict, tree: Path) -> list[str]:
    """``file:line`` of each place migrate kept on the legacy path: such an app runs as the user
    runs it after ``migrate --write``, migrated files and kept ones together under the shim."""
    kept = []
    for entry in report.get("files", []):
        try:
            rel = Path(entry["path"]).resolve().relative_to(tree.resolve()).as_posix()
        except ValueError:
            continue
        for m in entry.get("manual", []):
            if m.get("rule") == "legacy-path" or KEPT_LEGACY.search(m.get("message", "")):
                kept.append(f"{rel}:{m['line']}")
        if not any(k.startswith(f"{rel}:") for k in kept) and any(
                KEPT_LEGACY.search(w) for w in entry.get("warnings", [])):
            kept.append(rel)
    return kept


def predicts_left(tree: Path) -> tuple[list[str], list[str]]:
    """``.predict(`` calls inside function bodies of ``tree``'s Python files: (those in functions
    migrate's own analysis says run per request, the others: training, evaluation and test
    scripts), each ``file:line: code``; but for the one in migrate's ``fast_predict(model, x)``
    helper (its fallback for inputs that are not arrays: the calls of the helper are the fast path).

    Per request means what migrate's rules act on (migrate.analysis.handlers): routes, views,
    worker items, the functions they call, and the functions and methods other modules call
    from theirs (the whole-app index, as ``python -m migrate`` builds it over the tree).

    Static and approximate: calls on an imported module (``import model; model.predict(f)``) and
    on instances of the app's own classes that define ``predict`` (a wrapper's method, which the
    count reaches through the Keras call inside it) are not Keras calls and are left out."""
    parsed = {}
    for path in sorted(tree.rglob("*.py")):
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
            parsed[path] = (source, ast.parse(source))
        except (SyntaxError, ValueError):
            continue
    wrappers = {node.name for _, module in parsed.values() for node in ast.walk(module)
                if isinstance(node, ast.ClassDef)
                and any(isinstance(f, ast.FunctionDef) and f.name == "predict" for f in node.body)}
    hot = per_request_lines(parsed)
    per_request, other = [], []
    for path, (source, module) in parsed.items():
        lines = source.splitlines()
        not_keras = {alias.asname or alias.name.split(".")[0] for node in ast.walk(module)
                     if isinstance(node, ast.Import) for alias in node.names}
        not_keras |= {target.id for node in ast.walk(module) if isinstance(node, ast.Assign)
                      and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                      and node.value.func.id in wrappers
                      for target in node.targets if isinstance(target, ast.Name)}
        for function in ast.walk(module):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if function.name == "fast_predict" and [a.arg for a in function.args.args[:2]] == ["model", "x"]:
                continue  # migrate's helper: its predict is the exact path for inputs that are not arrays
            for node in ast.walk(function):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "predict"
                        and not (isinstance(node.func.value, ast.Name) and node.func.value.id in not_keras)):
                    entry = f"{path.relative_to(tree).as_posix()}:{node.lineno}: {lines[node.lineno - 1].strip()}"
                    hit = any(start <= node.lineno <= end for start, end in hot.get(path, ()))
                    bucket = per_request if hit else other
                    if entry not in per_request + other:
                        bucket.append(entry)
    return per_request, other


def per_request_lines(parsed: dict) -> dict[Path, list[tuple[int, int]]]:
    """Per file, the (first, last) lines of each function migrate's analysis says runs per request,
    with the whole-app index over every file of ``parsed`` (``{path: (source, ast)}``)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from migrate import whole_app
    from migrate.analysis.shared import TreeAnalyses

    sources = {str(path): source for path, (source, _module) in parsed.items()}
    plan = whole_app.plan(sources, set(sources))
    out: dict[Path, list[tuple[int, int]]] = {}
    for path, (source, _module) in parsed.items():
        if ".predict(" not in source:
            continue
        context = plan.joint.get(str(path)) or plan.safe.get(str(path))
        try:
            wrapper = MetadataWrapper(cst.parse_module(source))
        except cst.ParserSyntaxError:
            continue
        positions = wrapper.resolve(PositionProvider)
        requests = TreeAnalyses(wrapper.module, imported=context.imported if context else None).requests
        out[path] = [(positions[f].start.line, positions[f].end.line) for f in requests.per_request]
    return out


def _start(name: str, tree: Path, app: dict, env: dict, legacy: bool) -> servers.Server:
    port = servers.free_port()
    if legacy:
        # the shim picks graph or eager mode from the app's source: the app's folder, not the
        # launcher's (benchmarks/, whose own scripts mix both styles)
        env = dict(env, LEGACY_SHIM_APP=str(tree))
    argv = [sys.executable] + (["-m", "legacy_shim"] if legacy else []) + [
        str(LAUNCHER), str(tree), str(port), json.dumps(app["serve"])]
    return servers.Server(name, argv, tree, port, env)


def _answers(server: servers.Server, side: Side, requests: list[Request]) -> None:
    for request in requests:
        status, text = send(server.port, request)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {server.last_exception() or _first_line(text)}")
        side.answers.append(text)
    with concurrent.futures.ThreadPoolExecutor(CONCURRENT) as pool:
        picks = [i % len(requests) for i in range(CONCURRENT)]
        for i, (status, text) in zip(picks, pool.map(lambda i: send(server.port, requests[i]), picks)):
            if status != 200:
                side.concurrent_errors.append(f"HTTP {status}: {server.last_exception() or _first_line(text)}")
            else:
                side.concurrent.append((i, text))


def run_app(app: dict, cache: Path, workdir: Path, migrate_src: Path | None) -> Row:
    """Serve one app legacy and migrated; never raises, failures land in the row."""
    row = Row(app["name"], Side(), Side())
    source = (REPO_ROOT / app["folder"]) if "folder" in app else cache / app["name"]
    home = workdir / app["name"] / "home"
    legacy_tree, migrated_tree = workdir / app["name"] / "legacy", workdir / app["name"] / "migrated"
    env = _env(home, migrate_src)
    started: dict[str, servers.Server] = {}
    try:
        if not source.is_dir():
            raise FileNotFoundError(f"{source} is missing: populate the cache first")
        shutil.copytree(source, legacy_tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".git"))
        _apply_edits(legacy_tree, app.get("edits", []))
        _build_models(app, legacy_tree, home, env)
        shutil.copytree(legacy_tree, migrated_tree)
        report, _ = _migrate(migrated_tree, workdir / app["name"] / "report.json", env)
        row.manual = manual_items(report, migrated_tree)
        row.kept = kept_legacy(report, migrated_tree)
        row.predicts_left, row.predicts_other = predicts_left(migrated_tree)
    except Exception as exc:  # noqa: BLE001 - a benchmark row, not a crash
        row.reason = f"setup: {type(exc).__name__}: {_first_line(str(exc))}"
        return row
    requests = requests_of(app)
    # an app with files kept on the legacy path is served the way its user runs it: under the shim
    for label, tree, legacy in (("legacy", legacy_tree, True), ("migrated", migrated_tree, bool(row.kept))):
        side = getattr(row, label)
        try:
            server = started[label] = _start(f"{app['name']} {label}", tree, app, env, legacy)
            server.wait_ready(app.get("ready", "/"))
            _answers(server, side, requests)
            side.ok = True
        except Exception as exc:  # noqa: BLE001
            side.error = _first_line(str(exc)) or type(exc).__name__
            if label in started:
                side.error = started[label].last_exception() or side.error
    try:
        _latency(row, started, requests[0])
    except OSError as exc:  # a server that died under load: what it answered so far stays in the row
        row.notes.append(f"latency run stopped: {type(exc).__name__}: {_first_line(str(exc))}")
    finally:
        for server in started.values():
            server.stop()
    if row.legacy.ok and row.migrated.ok:
        for side in (row.legacy, row.migrated):  # what differs on every response by design (CSRF tokens ...)
            for pattern in app.get("ignore", []):
                side.answers = [re.sub(pattern, "", a) for a in side.answers]
                side.concurrent = [(i, re.sub(pattern, "", a)) for i, a in side.concurrent]
        reference = row.legacy.answers

        def steady(side: Side) -> bool:
            return all(same_answer(reference[i], a) for i, a in side.concurrent)

        row.same = all(same_answer(r, a) for r, a in zip(reference, row.migrated.answers))
        if app.get("racy"):  # the app's own shared file: whichever copy the race hits is no finding
            row.notes.append(f"racy by design ({app['racy']}); concurrent answers not compared")
        elif steady(row.legacy) and not row.legacy.concurrent_errors:
            row.same = row.same and steady(row.migrated)
            if row.migrated.concurrent_errors:
                row.same = False
                row.notes.append(f"migrated fails under {CONCURRENT} concurrent requests: "
                                 f"{row.migrated.concurrent_errors[0]}")
        else:  # e.g. every request writes the same output.png: (b) cannot be asked to do better than (a)
            row.notes.append(f"the legacy app itself fails or answers differently under {CONCURRENT} concurrent "
                             f"requests ({(row.legacy.concurrent_errors or ['different answers'])[0]})")
    row.reason = _reason(row)
    (workdir / app["name"] / "answers.json").write_text(json.dumps(
        {label: {"sequential": getattr(row, label).answers, "concurrent": getattr(row, label).concurrent}
         for label in ("legacy", "migrated")}, indent=1))
    return row


def _latency(row: Row, started: dict, request: Request) -> None:
    live = [(getattr(row, label), server) for label, server in started.items() if getattr(row, label).ok]
    for _ in range(WARM_UP):
        for _side, server in live:
            send(server.port, request)
    for _ in range(LATENCY_REQUESTS):
        for side, server in live:  # alternating: the box's noise hits both copies alike
            t0 = time.perf_counter()
            status, _ = send(server.port, request)
            if status == 200:
                side.latencies.append(time.perf_counter() - t0)


def _kept_note(row: Row) -> str:
    return f"kept legacy at {', '.join(row.kept)}, served under the shim" if row.kept else ""


def _reason(row: Row) -> str:
    if not row.legacy.ok:
        return f"legacy: {row.legacy.error}"
    if not row.migrated.ok:
        why = f"migrated{' (' + _kept_note(row) + ')' if row.kept else ''}: {row.migrated.error}"
        return why + (f" | manual: {row.manual[0]}" if row.manual else "")
    reasons = list(row.notes)
    if row.kept:
        reasons.insert(0, _kept_note(row) + (": same answers" if row.same else ""))
    if row.same is False and not row.notes:
        pairs = list(zip(row.legacy.answers, row.migrated.answers))
        pairs += [(row.legacy.answers[i], a) for i, a in row.legacy.concurrent + row.migrated.concurrent]
        first = next(((a, b) for a, b in pairs if not same_answer(a, b)), ("", ""))
        reasons.append(f"answers differ: legacy {first[0][:80]!r} migrated {first[1][:80]!r}")
    if row.predicts_left:
        reasons.append(f"per-request predict left: {row.predicts_left[0]}")
    elif row.manual and not row.kept:  # the kept note already names the item that decides how it runs
        reasons.append(f"manual: {row.manual[0]}")
    return "; ".join(reasons)


def run(apps: list[dict], cache: Path, migrate_src: Path | None, keep: Path | None = None) -> list[Row]:
    """One row per app, in spec order."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="real-apps-serve-") as tmp:
        workdir = keep or Path(tmp)
        for app in apps:
            t0 = time.monotonic()
            try:
                rows.append(run_app(app, cache, workdir, migrate_src))
            except Exception:  # noqa: BLE001 - the harness's own bug: say so, go on with the next app
                rows.append(Row(app["name"], Side(), Side(), reason="harness: " + _first_line(traceback.format_exc())))
            print(f"  {app['name']}: {rows[-1].reason or 'ok'} ({time.monotonic() - t0:.0f} s)",
                  file=sys.stderr, flush=True)
    return rows


# -------------------------------------------------------------------- output

COLUMNS = ("app", "legacy ok", "migrated ok", "same answers", "p50 legacy ms", "p50 migrated ms", "ratio",
           "per-request predicts left", "other predicts", "reason")


def _cells(row: Row) -> list[str]:
    def yes(v):
        return "-" if v is None else ("yes" if v else "NO")

    def ms(v):
        return "-" if v is None else f"{v:.1f}"

    return [row.app, yes(row.legacy.ok), yes(row.migrated.ok if row.legacy.ok else None), yes(row.same),
            ms(row.legacy.p50_ms), ms(row.migrated.p50_ms), "-" if row.ratio is None else f"{row.ratio:.2f}x",
            str(len(row.predicts_left)), str(len(row.predicts_other)), row.reason]


def as_text(rows: list[Row]) -> str:
    """The table, then every predict left and manual item per app."""
    cells = [list(COLUMNS)] + [_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS) - 1)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(widths))) + "  " + c[-1] for c in cells]
    lines.insert(1, "-" * (sum(widths) + 2 * len(widths) + 20))
    for row in rows:
        for entry in row.predicts_left:
            lines.append(f"{row.app}: per-request predict left: {entry}")
        for entry in row.predicts_other:
            lines.append(f"{row.app}: predict outside per-request code: {entry}")
        for entry in row.manual:
            lines.append(f"{row.app}: manual: {entry}")
    return "\n".join(lines)


def as_markdown(rows: list[Row], apps: list[dict], when: datetime.datetime) -> str:
    """The docs section."""
    real = [a for a in apps if "repo" in a]
    ours = len(apps) - len(real)
    out = [SECTION_START, "### real apps served end to end: legacy under the shim vs migrated on Keras 3 (issue 20)", "",
           f"Generated by `python benchmarks/real_apps_serve.py --markdown docs/benchmarks.md` on {when:%Y-%m-%d %H:%M} "
           f"UTC: {len(real)} real public apps from {len({a['repo'] for a in real})} repositories"
           + (f" and {ours} of our fixture apps" if ours else "") + " (specs in `benchmarks/real_apps_serve.json`). "
           "Each app is served (a) unmodified under `python -m legacy_shim` and (b) after `python -m migrate --write`, "
           "without the shim, on Keras 3 (where migrate kept a file on the legacy path: migrated and kept files "
           "together under the shim, as the user runs them; the reason column says \"kept legacy at FILE:LINE, served "
           "under the shim\"); same requests one by one and 8 at once, answers compared to 1e-5; p50 over "
           f"{LATENCY_REQUESTS} single-client requests after a warm-up, alternating between (a) and (b). "
           "\"per-request predicts left\": `.predict(` calls of the migrated code in functions migrate's own analysis "
           "says run per request (routes, views, worker items, what they call, across modules); \"other predicts\": "
           "those in functions that do not (training, evaluation, test scripts).", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |" for r in rows]
    for title, attr in (("Per-request `predict` left in the migrated code:", "predicts_left"),
                        ("`predict` in migrated code that does not run per request:", "predicts_other")):
        left = [(r.app, e) for r in rows for e in getattr(r, attr)]
        if left:
            out += ["", title, ""]
            out += [f"- {app}: `{entry}`" for app, entry in left]
    out.append(SECTION_END)
    return "\n".join(out) + "\n"


def _splice(document: str, section: str) -> str:
    return splice_marked(document, section, SECTION_START, SECTION_END)


def kept_section(path: Path) -> str:
    """This benchmark's section of the Markdown file at ``path`` ("" if none), for a writer that regenerates the rest."""
    return marked_section(path, SECTION_START, SECTION_END)


def main(argv: list[str] | None = None) -> int:
    """Run (default) or populate; 0 unless an app could not be populated."""
    parser = argparse.ArgumentParser(prog="python benchmarks/real_apps_serve.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("run", "populate"), default="run")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("REAL_APPS_SERVE_CACHE", DEFAULT_CACHE)))
    parser.add_argument("--mirror", type=Path,
                        help="populate (required there): the folder holding the git snapshots, <owner>+<name>/repo")
    parser.add_argument("--specs", type=Path, default=SPECS)
    parser.add_argument("--apps", help="comma-separated app names (default: all)")
    parser.add_argument("--migrate-src", type=Path,
                        help="a checkout whose migrate/ (and legacy_shim/) are run, first on PYTHONPATH; "
                             "default: this one")
    parser.add_argument("--keep", type=Path, help="keep the copies, models and server logs in this folder")
    parser.add_argument("--markdown", type=Path, help="(re)write this benchmark's section of this Markdown file")
    args = parser.parse_args(argv)
    apps = load_specs(args.specs)
    if args.apps:
        wanted = args.apps.split(",")
        unknown = set(wanted) - {a["name"] for a in apps}
        if unknown:
            parser.error(f"unknown apps {sorted(unknown)}; known: {[a['name'] for a in apps]}")
        apps = [a for a in apps if a["name"] in wanted]
    if args.command == "populate":
        if args.mirror is None:
            parser.error("populate needs --mirror DIR: the folder holding the git snapshots")
        return populate(args.mirror, args.cache, apps)
    when = datetime.datetime.now(datetime.timezone.utc)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    rows = run(apps, args.cache, args.migrate_src.resolve() if args.migrate_src else None,
               args.keep.resolve() if args.keep else None)
    print(as_text(rows))
    if args.markdown:
        document = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        args.markdown.write_text(_splice(document, as_markdown(rows, apps, when)), encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
