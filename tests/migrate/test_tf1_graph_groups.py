"""One raw TF1 graph, one decision: the modules that build or run it move to tf.compat.v1
together, or none does; and the never-worse stage refuses a module put on tf.compat.v1 that
imports a helper left on the TF 2 API (where `tf.nn.dropout(h, keep_prob)` means `rate`)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from migrate import project_index, verify, whole_app

REPO_ROOT = Path(__file__).resolve().parents[2]

APP = textwrap.dedent("""\
    import tensorflow as tf
    from model import build

    x = tf.placeholder(tf.float32, [None, 4])
    keep_prob = tf.placeholder(tf.float32)
    y = build(x, keep_prob)
    sess = tf.Session()

    def predict(v):
        return sess.run(y, feed_dict={x: v, keep_prob: 1.0})
    """)
HELPER = textwrap.dedent("""\
    import tensorflow as tf

    def build(x, keep_prob):
        return tf.nn.dropout(tf.nn.relu(x), keep_prob)
    """)


def _groups(files: dict[str, str], targets=None):
    sources = {f"/app/{name}": text for name, text in files.items()}
    resolver = project_index.Resolver(sources)
    chosen = set(sources) if targets is None else {f"/app/{t}" for t in targets}
    return whole_app.tf1_groups(sources, chosen, resolver, shown=lambda p: os.path.basename(p))


def test_a_helper_building_part_of_the_graph_is_in_its_group_and_switches_with_it():
    groups = _groups({"app.py": APP, "model.py": HELPER, "other.py": "import tensorflow as tf\n"})
    assert set(groups) == {"/app/app.py", "/app/model.py"}
    members, decision = groups["/app/model.py"]
    assert members == {"/app/app.py", "/app/model.py"}
    assert decision == "switch: app.py (the same graph)"


def test_a_module_that_only_imports_tensorflow_is_not_part_of_the_graph():
    # ricardojdb/face-api shape: the app imports tensorflow, never uses it, and calls the helper
    # class that builds and runs the graph: switching it would only change its import (and the
    # second run would call the inserted disable_v2_behavior() TF1 machinery left on the legacy path)
    app = textwrap.dedent("""\
        import tensorflow as tf
        import numpy as np
        import detector

        found = detector.Detector("models/")

        def predict(data):
            return found.run(np.asarray(data))
        """)
    graph = textwrap.dedent("""\
        import tensorflow as tf

        class Detector:
            def __init__(self, path):
                self.graph = tf.Graph()
                with self.graph.as_default():
                    self.x = tf.placeholder(tf.float32, [None, 4])
                    self.y = tf.nn.relu(self.x)
                self.sess = tf.Session(graph=self.graph)

            def run(self, v):
                return self.sess.run(self.y, feed_dict={self.x: v})
        """)
    assert _groups({"app.py": app, "detector.py": graph}) == {}
    used = app.replace("np.asarray(data)", "tf.constant(data).numpy()")
    assert set(_groups({"app.py": used, "detector.py": graph})) == {"/app/app.py", "/app/detector.py"}


def test_a_graph_module_using_keras_keeps_the_whole_group_on_the_legacy_path():
    keras_helper = HELPER.replace("import tensorflow as tf\n", "import tensorflow as tf\nfrom keras import layers\n")
    groups = _groups({"app.py": APP, "model.py": keras_helper})
    for _members, decision in groups.values():
        assert decision.startswith("legacy: model.py uses Keras"), decision


def test_a_module_of_the_graph_outside_the_run_keeps_the_group_on_the_legacy_path():
    groups = _groups({"app.py": APP, "model.py": HELPER}, targets=["app.py"])
    assert groups["/app/app.py"][1] == "legacy: model.py is not being migrated"


def test_v1_boundary_flags_only_a_switch_the_rewrite_made():
    v1 = ast.parse("import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n")
    v2 = ast.parse(HELPER)
    before = {"app": ast.parse(APP), "model": v2}
    problems = verify.v1_boundary("app", before, {"app": v1, "model": v2}, [("model", 2)])
    assert [p.check for p in problems] == ["v1-boundary"] and "model" in problems[0].message
    assert not verify.v1_boundary("app", before, {"app": v1, "model": v1}, [("model", 2)])
    assert not verify.v1_boundary("app", {"app": v1, "model": v2}, {"app": v1, "model": v2}, [("model", 2)])


def _migrate(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrate", "--write", "--no-model-files", str(root)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def test_the_app_and_its_graph_helper_move_to_compat_v1_together(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "model.py").write_text(HELPER)
    proc = _migrate(tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    for name in ("app.py", "model.py"):
        assert "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n" in (tmp_path / name).read_text(), name
    assert "model.py:1: manual" in proc.stdout + proc.stderr


def test_a_helper_the_rule_cannot_switch_keeps_the_whole_graph_on_the_legacy_path(tmp_path):
    # `import tensorflow` without an alias: no switch is written for it, so the app module's switch
    # would leave the graph half v1, half v2; the boundary check sends both back, unchanged
    helper = HELPER.replace("import tensorflow as tf\n", "import tensorflow\n").replace("tf.nn", "tensorflow.nn")
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "model.py").write_text(helper)
    proc = _migrate(tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert (tmp_path / "app.py").read_text() == APP
    assert (tmp_path / "model.py").read_text() == helper
    assert "v1-boundary" in proc.stdout + proc.stderr or "legacy path" in proc.stdout + proc.stderr


def test_a_script_given_alone_outside_any_project_keeps_its_graph_helper_beside_it_in_the_group(tmp_path):
    # `python -m migrate app.py` in a folder with no pyproject/setup/.git: the helper beside it is
    # what `from model import build` imports; switching app.py alone would leave the helper's
    # dropout reading keep_prob as rate (every answer the same uniform vector)
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    (app_dir / "model.py").write_text(HELPER)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run([sys.executable, "-m", "migrate", "--write", "--no-model-files", "../app/app.py"],
                          cwd=elsewhere, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert (app_dir / "app.py").read_text() == APP
    assert (app_dir / "model.py").read_text() == HELPER
    # the helper, outside the run, is named the way the run names the file it was given
    assert "../app/model.py is not being migrated" in proc.stderr, proc.stderr
    assert str(tmp_path) not in proc.stdout + proc.stderr


def _raw_items(source: str) -> list[str]:
    from migrate.engine import Config, migrate_source

    outcome = migrate_source(textwrap.dedent(source), Config())
    assert outcome.error is None
    return [item.message for item in outcome.manual if "raw TF1 graph code" in item.message]


def test_a_frozen_graph_left_on_compat_v1_says_what_kept_it_from_a_tf2_function():
    # face-api shape: the GraphDef is imported and run in a class's methods, which the rewrite
    # does not follow; the item says so instead of only "port to TF 2 by hand"
    (item,) = _raw_items("""\
        import tensorflow as tf

        class Detector:
            def __init__(self, path):
                with tf.gfile.GFile(path, 'rb') as f:
                    graph_def = tf.GraphDef()
                    graph_def.ParseFromString(f.read())
                self.graph = tf.Graph()
                with self.graph.as_default():
                    tf.import_graph_def(graph_def, name='')
                self.sess = tf.Session(graph=self.graph)

            def predict(self, x):
                return self.sess.run('y:0', {'x:0': x})
        """)
    assert "not made a TF 2 function: the graph is loaded in a class" in item, item
    # a graph built in code has no GraphDef to make a function of: nothing said about one
    (built,) = _raw_items("""\
        import tensorflow as tf
        x = tf.placeholder(tf.float32, [None, 3])
        sess = tf.Session()
        print(sess.run(x, feed_dict={x: [[1, 2, 3]]}))
        """)
    assert "TF 2 function" not in built, built
