"""The retrain/label_image snippet: a frozen GraphDef read, imported and run in a new session per request.

fixtures/apps/tf1_frozen_graph_per_request is driven in its own interpreter, 1,000 requests
through Flask's test client on one thread (the shape of a gunicorn sync worker, where every
request shares the thread's default graph), and sampled every 100 requests: operations in
that default graph, resident memory, and latency of the last 100 requests. Variants:

- legacy app under the shim, with the shim's graphdef-once row turned off (the app as written:
  each request imports the graph again into the default graph);
- legacy app under the shim (default): a re-import of the same GraphDef into the same graph
  reuses the first import;
- the app migrated by `python -m migrate` (tf1-graph-function): a TF 2 function made once, no shim.

    python benchmarks/graphdef_per_request.py [--requests 1000] [--every 100] [--legacy-requests 300]
    python benchmarks/graphdef_per_request.py --markdown docs/benchmarks.md   # also (re)write its section there

The app as written gets fewer requests (--legacy-requests): it grows by ~1.8 MB and a few ms of
latency per request per request, so 1,000 would take ~20 minutes and ~2 GB on a shared 2-core box.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.report import marked_section, splice_marked  # noqa: E402
from fixtures import catalog  # noqa: E402

APP = "tf1_frozen_graph_per_request"
# docs/benchmarks.md keeps this section between these markers; benchmarks/run.py carries it over
SECTION_START = "<!-- graphdef-per-request:start -->"
SECTION_END = "<!-- graphdef-per-request:end -->"

_CHILD = textwrap.dedent("""\
    import json, os, sys, time
    if os.environ.get("WITH_SHIM") == "1":
        import legacy_shim  # noqa: F401
    import tensorflow as tf
    sys.path.insert(0, os.getcwd())
    import app as served

    def rss_mb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0

    def ops():
        graph = tf.compat.v1.get_default_graph()
        return len(graph.get_operations())

    client = served.app.test_client()
    body = json.loads(os.environ["BODY"])
    n, every = int(os.environ["REQUESTS"]), int(os.environ["EVERY"])
    rows, answers, start = [], set(), time.perf_counter()
    for i in range(1, n + 1):
        response = client.post("/predict", json=body)
        assert response.status_code == 200, response.data[:500]
        answers.add(response.data)
        if i % every == 0:
            now = time.perf_counter()
            rows.append([i, ops(), round(rss_mb(), 1), round((now - start) / every * 1000, 2)])
            start = time.perf_counter()
    print(json.dumps({"rows": rows, "answers": len(answers), "answer": sorted(answers)[0].decode()}))
    """)


def _migrated_copy(app, dest: Path) -> Path:
    folder = catalog.prepare(app, dest)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--quiet", "--no-model-files", str(folder)],
                          env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr[-3000:])
    return folder


def _drive(folder: Path, with_shim: bool, requests: int, every: int, body: dict, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LEGACY_SHIM_DISABLE", "TF_USE_LEGACY_KERAS")}
    env.update({"PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "WITH_SHIM": "1" if with_shim else "0",
                "REQUESTS": str(requests), "EVERY": str(every), "BODY": json.dumps(body), **extra})
    proc = subprocess.run([sys.executable, "-c", _CHILD], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(workdir: Path, requests: int = 1000, every: int = 100, legacy_requests: int = 300) -> str:
    """Drive the three variants and return the table."""
    app = catalog.get_app(APP)
    body = catalog.payloads(app, 1, seed=3)[0]
    variants = {
        "shim, graphdef-once off (as written)": (catalog.prepare(app, workdir / "legacy"), True,
                                                 {"LEGACY_SHIM_DISABLE": "graphdef-once"}, legacy_requests),
        "shim (default)": (catalog.prepare(app, workdir / "shim"), True, {}, requests),
        "migrated, no shim": (_migrated_copy(app, workdir / "migrated"), False, {}, requests),
    }
    results = {name: _drive(folder, shim, n, every, body, extra)
               for name, (folder, shim, extra, n) in variants.items()}
    lines = [f"{APP}: requests on one thread, sampled every {every} (the app as written: {legacy_requests})",
             f"{'variant':38} {'after':>6} {'graph ops':>10} {'RSS MB':>8} {'ms/request':>11}"]
    for name, result in results.items():
        for i, graph_ops, rss, ms in result["rows"]:
            lines.append(f"{name:38} {i:>6} {graph_ops:>10} {rss:>8} {ms:>11}")
    answers = {result["answer"] for result in results.values()}
    lines.append(f"distinct answers per variant: {[r['answers'] for r in results.values()]}; "
                 f"same answer across variants: {len(answers) == 1}")
    return "\n".join(lines)


def as_markdown(table: str, when: datetime.datetime, argv: list[str]) -> str:
    """The docs section: how it was made, then the printed table as it is."""
    return "\n".join([
        SECTION_START,
        "### A frozen GraphDef imported per request (issue 21)",
        "",
        f"Generated by `python benchmarks/graphdef_per_request.py {' '.join(argv)}` on {when:%Y-%m-%d %H:%M} UTC. "
        "The retrain/label_image snippet (fixtures/apps/tf1_frozen_graph_per_request: read the `.pb`, import it "
        "into the default graph, open a `tf.Session`, in every request), driven on one thread through Flask's test "
        "client: operations in that thread's default graph, resident memory, and mean latency of the last 100 "
        "requests. The machine is shared: compare rows of one run, not absolute times.",
        "",
        "```",
        table,
        "```",
        SECTION_END,
    ]) + "\n"


def kept_section(path: Path) -> str:
    """This benchmark's section of the Markdown file at ``path`` ("" if none), for a writer that regenerates the rest."""
    return marked_section(path, SECTION_START, SECTION_END)


def main(argv: list[str] | None = None) -> int:
    """CLI: print the table (and write its docs section with --markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--legacy-requests", type=int, default=300)
    parser.add_argument("--markdown", type=Path, help="(re)write this benchmark's section of this Markdown file")
    args = parser.parse_args(argv)
    when = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.TemporaryDirectory(prefix="graphdef-per-request-") as tmp:
        table = run(Path(tmp), args.requests, args.every, args.legacy_requests)
    print(table)
    if args.markdown:
        document = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        shown_argv = sys.argv[1:] if argv is None else argv
        args.markdown.write_text(splice_marked(document, as_markdown(table, when, shown_argv), SECTION_START,
                                               SECTION_END), encoding="utf-8")
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
