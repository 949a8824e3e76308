"""Which TensorFlow mode serves which legacy app: graph from the start, eager, or graph
started lazily at the first TF 1 graph/session call. Prints a table.

Every fixture app (TF 1-era ones from fixtures/apps, TF 2-era ones from
fixtures/tf2_era) is imported in a fresh interpreter under the shim in each mode and
sent the same requests through Werkzeug's test client (a Tornado app: one event loop);
its answers are compared with the app's reference: for a TF 1-era app, the shim in
graph mode (what the serving suite checks against concurrent clients); for a TF 2-era
app, plain ``TF_USE_LEGACY_KERAS=1`` without the shim, as it ran before TF 2.16.

"lazy" starts eager (the graph-mode rows held back) and switches graph mode on the
first time the app calls ``tf.get_default_graph``, creates a ``tf.Session``, calls
``tf.placeholder`` or Keras' ``get_session``/``set_session``. It answers the question
of issue 25 (2): can graph mode wait until an app shows it needs it?

    python -m benchmarks.app_style_modes [APP ...]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fixtures import catalog, tf2_era

REPO_ROOT = Path(__file__).resolve().parent.parent
N_PAYLOADS = 6
MODES = ("graph", "eager", "lazy", "auto")

_CHILD = r"""
import base64, io, json, os, sys
mode, app_dir, route, module, payload_file, result_file = sys.argv[1:7]
os.chdir(app_dir)
sys.path.insert(0, app_dir)
if mode == "reference":
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
else:
    os.environ["LEGACY_SHIM_APP"] = app_dir
    if mode in ("graph", "eager"):
        os.environ["LEGACY_SHIM_MODE"] = mode
    if mode == "lazy":
        os.environ["LEGACY_SHIM_MODE"] = "graph"
        os.environ["LEGACY_SHIM_DISABLE"] = "tf1-graph-mode,tf1-changed-names"
    import legacy_shim
    if mode == "lazy":
        import functools
        import tensorflow as tf
        from tf_keras.src import backend as K
        from legacy_shim.patches import PATCHES
        held = [p for p in PATCHES if p.id in ("tf1-graph-mode", "tf1-changed-names")]
        def switch():
            if tf.executing_eagerly():
                for patch in held:
                    legacy_shim._registry.apply(patch)
        def switching(fn):
            @functools.wraps(fn)
            def wrapper(*a, **k):
                switch()
                return fn(*a, **k)
            return wrapper
        for owner in (tf, tf.compat.v1):
            for name in ("get_default_graph", "placeholder"):
                setattr(owner, name, switching(getattr(owner, name)))
        tf.compat.v1.Session.__init__ = switching(tf.compat.v1.Session.__init__)
        for mod in list(sys.modules.values()):
            if mod is not None and getattr(mod, "__name__", "").startswith("tf_keras"):
                for name in ("get_session", "set_session"):
                    if callable(vars(mod).get(name)):
                        setattr(mod, name, switching(vars(mod)[name]))
payloads = json.load(open(payload_file))
out = []
try:
    mod = __import__(module)
except BaseException as exc:
    out = {"start": f"{type(exc).__name__}: {exc}"[:300]}
else:
    if hasattr(mod, "app"):
        from werkzeug.test import Client
        client = Client(mod.app)
        for p in payloads:
            if "upload" in p:  # a multipart file upload: [field, file name, base64 bytes]
                field, name, data = p["upload"]
                r = client.post(route, data={field: (io.BytesIO(base64.b64decode(data)), name)})
            else:
                r = client.post(route, json=p)
            out.append([r.status_code, base64.b64encode(r.get_data()).decode()])
    else:
        from fixtures import tornado_client
        with tornado_client.served(mod.make_app()) as port:
            for p in payloads:
                status, body = tornado_client.post(port, route, p)
                out.append([status, base64.b64encode(body).decode()])
with open(result_file, "w") as f:
    json.dump(out, f)
"""


def _run(mode: str, app_dir: Path, app: catalog.FixtureApp, bodies: list[dict]) -> object:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGACY_SHIM_") and k != "TF_USE_LEGACY_KERAS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with tempfile.TemporaryDirectory(prefix="modes-") as tmp:
        payload_file, result_file = Path(tmp) / "payloads.json", Path(tmp) / "answers.json"
        payload_file.write_text(json.dumps(bodies))
        proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(app_dir), app.route, app.entry[:-3],
                               str(payload_file), str(result_file)], cwd=app_dir, env=env, capture_output=True,
                              text=True, timeout=600, stdin=subprocess.DEVNULL)
        if not result_file.exists():
            return {"start": (proc.stderr.strip().splitlines() or ["no output"])[-1][:300]}
        return json.loads(result_file.read_text())


def _outcome(answers: object, reference: list) -> str:
    if isinstance(answers, dict):
        return "start fails: " + answers["start"][:70]
    bad = [i for i, (a, r) in enumerate(zip(answers, reference)) if a != r]
    errors = [a for a in answers if a[0] != 200]
    if not bad:
        return "ok"
    if errors:
        first = base64.b64decode(errors[0][1])[:60].decode("utf-8", "replace").replace("\n", " ")
        return f"{len(errors)}/{len(answers)} HTTP {errors[0][0]} ({first})"
    return f"{len(bad)}/{len(answers)} wrong answers"


def _apps(names: list[str]) -> list[tuple[str, catalog.FixtureApp]]:
    apps = [("TF 1", a) for a in catalog.all_apps() if a.kind != "worker"]
    apps += [("TF 2", a) for a in tf2_era.all_apps()]
    return [(era, a) for era, a in apps if not names or a.name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="*", help="app names (default: all)")
    options = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="app-style-") as tmp:
        for era, app in _apps(options.apps):
            app_dir = catalog.prepare(app, Path(tmp) / app.name)
            bodies = catalog.payloads(app, N_PAYLOADS)
            upload = catalog.meta(app).get("upload")
            if upload:
                bodies = [{"upload": [upload["field"], name, base64.b64encode(data).decode()]}
                          for name, data in tf2_era.upload_images(app, N_PAYLOADS)]
            reference = _run("graph" if era == "TF 1" else "reference", app_dir, app, bodies)
            row = [app.name, era]
            for mode in MODES:
                answers = reference if (mode == "graph" and era == "TF 1") else _run(mode, app_dir, app, bodies)
                row.append("ok (reference)" if answers is reference else _outcome(answers, reference))
            rows.append(row)
            print(" | ".join(row), flush=True, file=sys.stderr)
    header = ["app", "era", *MODES]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for mode in MODES:
        ok = sum(1 for r in rows if r[2 + MODES.index(mode)].startswith("ok"))
        print(f"{mode}: {ok}/{len(rows)} apps answer as their reference")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
