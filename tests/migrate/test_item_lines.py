"""A manual item's line is a line of the file migrate writes: the reader goes from the diff to
the written file (or to the review page) and finds there the code the item is about. An item
about a line the change removes points at the nearest line that survived and says which line
of the original it was about."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.diffs import line_placer
from migrate.engine import Config, migrate_source
from migrate.rules.base import REMOVED_NOTE

REPO_ROOT = Path(__file__).resolve().parents[2]

# ricardojdb/face-api shape: raw TF1 code switched to tf.compat.v1, which inserts
# `tf.disable_v2_behavior()` under the import: every item below it moves down one line
RAW_TF1 = textwrap.dedent("""\
    from flask import Flask, request
    import numpy as np
    import tensorflow as tf
    graph = tf.Graph()
    with graph.as_default():
        graph_def = tf.GraphDef()
        with tf.gfile.GFile("frozen.pb", "rb") as f:
            graph_def.ParseFromString(f.read())
        tf.import_graph_def(graph_def, name="")
    sess = tf.Session(graph=graph)
    app = Flask(__name__)


    @app.route("/detect", methods=["POST"])
    def detect():
        x = np.frombuffer(request.get_data(), dtype=np.float32)[None]
        scores = graph.get_tensor_by_name("scores:0")
        out = sess.run(scores, feed_dict={"input:0": x})
        return str(out.tolist())
    """)
# what each item quotes → the code it is about, as it starts at the item's column
QUOTED = {"a frozen GraphDef": "tf.GraphDef()", "tf.import_graph_def": "tf.import_graph_def(",
          "graph.get_tensor_by_name(...)": "graph.get_tensor_by_name(", "session.run(...)": "sess.run("}

# RingSho/docker-flask-keras shape: the session block goes, and with it a ConfigProto option
# that has no tf.config equivalent: the item is about a line the diff deletes
SESSION_BLOCK = textwrap.dedent("""\
    from flask import Flask, jsonify
    import tensorflow as tf
    from keras.models import load_model
    from keras import backend as K

    config = tf.ConfigProto()
    config.gpu_options.per_process_gpu_memory_fraction = 0.4
    sess = tf.Session(config=config)
    K.set_session(sess)

    app = Flask(__name__)
    model = load_model("m.h5")


    @app.route("/predict")
    def predict():
        return jsonify(model.predict([[1.0, 2.0]]).tolist())
    """)


def _migrate(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "migrate", "--no-model-files", "-j", "1", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


_SITE = re.compile(r"(" + "|".join(map(re.escape, QUOTED)) + r") \(lines? ([\d, ]+?)( of code cell \d+)?\)")


def _sites(message: str) -> list[tuple[str, int, int | None]]:
    """(code, line, other cell or None) for each site the raw-graph item names."""
    sites = []
    for what, numbers, cell in _SITE.findall(message):
        for number in numbers.split(", "):
            sites.append((QUOTED[what], int(number), int(cell.split()[-1]) if cell else None))
    return sites


def test_an_item_below_an_inserted_line_is_at_its_line_in_the_written_file(tmp_path):
    (tmp_path / "detect.py").write_text(RAW_TF1)
    run = _migrate(tmp_path, "--write", "--report", "report.json", "--sarif", "report.sarif", ".")
    assert run.returncode == 0, run.stderr
    written = (tmp_path / "detect.py").read_text().splitlines()
    assert written[3] == "tf.disable_v2_behavior()", "the fixture must insert a line above the items"
    (entry,) = json.loads((tmp_path / "report.json").read_text())["files"]
    items = entry["manual"]
    (item,) = items  # one raw graph, one item, at its first site, naming every site
    assert {code for code, _, _ in _sites(item["message"])} == set(QUOTED.values())
    assert written[item["line"] - 1][item["column"]:].startswith("tf.GraphDef()"), item
    assert RAW_TF1.splitlines()[item["original_line"] - 1][item["column"]:].startswith("tf.GraphDef()"), item
    # the lines the message names are lines of the written file too; the input's in original_message
    for code, line, _ in _sites(item["message"]):
        assert code in written[line - 1], (code, line, item["message"])
    for code, line, _ in _sites(item["original_message"]):
        assert code in RAW_TF1.splitlines()[line - 1], (code, line, item["original_message"])
    # the --write summary and SARIF say the same lines and columns
    said = {int(n) for n in re.findall(r"^\./detect\.py:(\d+): manual", run.stderr, re.M)}
    assert said == {m["line"] for m in items}, run.stderr
    regions = [r["locations"][0]["physicalLocation"]["region"]
               for r in json.loads((tmp_path / "report.sarif").read_text())["runs"][0]["results"]
               if r["level"] == "warning"]
    assert sorted((r["startLine"], r["startColumn"] - 1) for r in regions) == \
        sorted((m["line"], m["column"]) for m in items)


def test_an_item_about_a_removed_line_points_at_a_surviving_line_and_names_the_removed_one():
    outcome = migrate_source(SESSION_BLOCK, Config())
    assert outcome.error is None
    (item,) = [m for m in outcome.manual if "per_process_gpu_memory_fraction" in m.message]
    old, new = SESSION_BLOCK.splitlines(), outcome.code.splitlines()
    assert "tf.ConfigProto()" not in outcome.code, "the fixture must remove the line the item is about"
    assert item.message.endswith(REMOVED_NOTE.format(line=item.original_line))
    assert old[item.original_line - 1] == "config = tf.ConfigProto()"
    # the nearest line that survived: the keras import three lines above (rewritten), not
    # `app = Flask(__name__)` five lines below
    assert new[item.line - 1] == "from tensorflow.keras.models import load_model"
    assert item.column == 0


@pytest.mark.parametrize(("old", "new", "line", "expected"), [
    pytest.param("a\nb\nc\n", "a\ninserted\nb\nc\n", 3, (4, False, 0), id="unchanged line below an insertion"),
    pytest.param("def f():\n    x = 1\n    with g.as_default():\n        y = m(x)\n        return y\n",
                 "def f():\n    x = 1\n    y = m(x)\n    return y\n", 4, (3, False, -4), id="dedented out of a with"),
    pytest.param("def f():\n    x = 1\n    with g.as_default():\n        y = m(x)\n        return y\n",
                 "def f():\n    x = 1\n    y = m(x)\n    return y\n", 3, (3, True, 0),
                 id="the removed with line: at the body it held"),
    pytest.param("def f():\n    m = load()\n    m._make_predict_function()\n\ndef g():\n    pass\n",
                 "def f():\n    m = load()\n\ndef g():\n    pass\n", 3, (2, True, 0),
                 id="a removed last statement: at the line before, not at the next function"),
    pytest.param("x = 1\nsess = make()\nset_session(sess)\ny = 2\n", "x = 1\ny = 2\n", 3, (2, True, 0),
                 id="a removed call: at the statement after it"),
    pytest.param("model.predict_classes(x)\n", "np.argmax(model.predict(x), axis=-1)\n", 1, (1, False, 0),
                 id="a rewritten line is the line it became"),
    pytest.param("a = 1\nm = load_model('m.h5')\nb = 2\nc = 3\nd = 4\n",
                 "a = 1\nb = 2\nc = 3\nm = load_model('m.h5')\nd = 4\n", 2, (4, False, 0), id="a moved line"),
])
def test_line_placer(old, new, line, expected):
    placed = line_placer(old, new)(line)
    assert (placed.line, placed.removed, placed.indent) == expected


_ROW = re.compile(r'<tr>(?:<td class="n">(\d*)</td><td class="c [^"]*">((?:[^<]|</?em>)*)</td>){1,2}</tr>'
                  r'(?=<tr class="manual">)')


def test_the_review_page_shows_each_item_under_its_line_of_the_new_text(tmp_path):
    (tmp_path / "detect.py").write_text(RAW_TF1)
    run = _migrate(tmp_path, "--report", "report.json", "--html", "review.html", ".")
    assert run.returncode == 0, run.stderr
    (entry,) = json.loads((tmp_path / "report.json").read_text())["files"]
    page = (tmp_path / "review.html").read_text()
    # the row right above each item row: in a hunk, its new side is the last cell pair;
    # in a snippet of unchanged code, the only one
    above = [(int(m.group(1)), html.unescape(re.sub(r"</?em>", "", m.group(2)))) for m in _ROW.finditer(page)]
    (item,) = entry["manual"]
    assert len(above) == 1
    assert any(number == item["line"] and "tf.GraphDef()" in text for number, text in above), (item, above)
    # the item is inside the hunk that inserts the line (the GraphDef, three lines below it)
    hunk = page.index('<table class="sbs">')
    assert page.index("raw TF1 graph code (a frozen GraphDef") < page.index("</table>", hunk)


def test_a_notebook_item_is_at_its_line_of_the_migrated_cell():
    from migrate import notebooks

    cells = ["import numpy as np\nimport tensorflow as tf\ngraph = tf.Graph()\nwith graph.as_default():\n"
             "    graph_def = tf.GraphDef()\n    tf.import_graph_def(graph_def, name='')\nsess = tf.Session(graph=graph)\n",
             "x = np.zeros((1, 3))\nout = sess.run('scores:0', feed_dict={'input:0': x})\n"]
    notebook = {"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
                          for source in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    data, outcome, _ = notebooks.migrate_notebook(json.dumps(notebook).encode(), Config(), "n.ipynb")
    migrated = ["".join(cell["source"]) for cell in json.loads(data)["cells"]]
    assert "tf.disable_v2_behavior()" in migrated[0], "the fixture must insert a line in the first cell"
    (item,) = outcome.manual
    cell = int(re.match(r"\[code cell (\d+)\]", item.message).group(1)) - 1
    assert migrated[cell].splitlines()[item.line - 1][item.column:].startswith("tf.GraphDef()"), item
    assert cells[cell].splitlines()[item.original_line - 1][item.column:].startswith("tf.GraphDef()"), item
    # the sites it names: lines of their own migrated cell, another cell named as such
    sites = _sites(item.message)
    assert {code for code, _, _ in sites} == {"tf.GraphDef()", "tf.import_graph_def(", "sess.run("}
    for code, line, other in sites:
        assert code in migrated[cell if other is None else other - 1].splitlines()[line - 1], (code, line, item)


def test_a_file_not_accepted_interactively_reports_its_items_at_its_own_lines(tmp_path):
    from migrate import interactive, runner

    (tmp_path / "app.py").write_text(SESSION_BLOCK)
    result, _ = runner.migrate_path(str(tmp_path / "app.py"), runner.RunConfig(model_files=False))
    assert result.status == "changed" and any("removed by this change" in m["message"] for m in result.manual)
    kept = interactive._left_alone(result)
    old = SESSION_BLOCK.splitlines()
    (item,) = [m for m in kept.manual if "per_process_gpu_memory_fraction" in m["message"]]
    assert old[item["line"] - 1] == "config = tf.ConfigProto()"
    assert "removed by this change" not in item["message"]
