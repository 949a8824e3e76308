"""The command line as a user meets it: exit codes, --check, --write, bad inputs, stdin, reports."""

from __future__ import annotations

import codecs
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from migrate.cli import main
from migrate.fileio import decode_source

REPO = Path(__file__).resolve().parents[2]

LEGACY = (
    "import tensorflow as tf\n"
    "from keras.models import load_model\n"
    "\n"
    "model = load_model('model.h5')\n"
    "model._make_predict_function()\n"
    "\n"
    "def predict(x):\n"
    "    return model.predict(x)\n"
)
NOT_KERAS = "import os\n\ndef f():\n    return os.getcwd()\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(LEGACY)
    (tmp_path / "plain.py").write_text(NOT_KERAS)
    return tmp_path


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_on_stdout_summary_on_stderr_nothing_written(tree, capsys):
    code, out, err = run_cli([tree], capsys)
    assert code == 0
    assert "-model._make_predict_function()" in out
    assert "+from tensorflow.keras.models import load_model" in out
    assert out.startswith("--- a/")
    assert "\033[" not in out  # not a terminal: no colour
    assert "1 file would be migrated" in err and "would be migrated" not in out
    assert (tree / "app.py").read_text() == LEGACY


def test_check_exits_1_and_writes_nothing(tree, capsys):
    code, out, _ = run_cli(["--check", tree], capsys)
    assert code == 1
    assert out == ""
    assert (tree / "app.py").read_text() == LEGACY


def test_write_then_second_run_proposes_nothing(tree, capsys):
    assert run_cli(["--write", tree], capsys)[0] == 0
    migrated = (tree / "app.py").read_text()
    assert "_make_predict_function" not in migrated
    assert (tree / "plain.py").read_text() == NOT_KERAS
    code, out, _ = run_cli(["--check", tree], capsys)
    assert (code, out) == (0, "")


def test_file_without_tf_or_keras_is_never_changed(tmp_path, capsys):
    # mentions a trigger but imports neither keras nor tensorflow
    source = "class M:\n    def _make_predict_function(self):\n        pass\nM()._make_predict_function()\n"
    (tmp_path / "other.py").write_text(source)
    code, out, _ = run_cli(["--write", tmp_path], capsys)
    assert code == 0 and out == ""
    assert (tmp_path / "other.py").read_text() == source


@pytest.mark.parametrize(
    "transform, label",
    [
        (lambda s: s.replace("\n", "\r\n"), "crlf"),
        (lambda s: s.replace("    ", "\t"), "tabs"),
        (lambda s: "# -*- coding: latin-1 -*-\n# caf\xe9\n" + s, "latin-1 cookie"),
    ],
)
def test_write_keeps_newlines_indentation_and_encoding(tmp_path, capsys, transform, label):
    source = transform(LEGACY)
    encoding = "latin-1" if "latin-1" in source else "utf-8"
    path = tmp_path / "app.py"
    path.write_bytes(source.encode(encoding))
    assert run_cli(["--write", path], capsys)[0] == 0
    data = path.read_bytes()
    text = data.decode(encoding)
    assert "_make_predict_function" not in text
    expected = source.replace(
        "model._make_predict_function()" + ("\r\n" if "\r\n" in source else "\n"), ""
    ).replace("from keras.models", "from tensorflow.keras.models")
    assert text == expected, label


def test_write_keeps_bom_and_file_mode(tmp_path, capsys):
    path = tmp_path / "app.py"
    path.write_bytes(codecs.BOM_UTF8 + LEGACY.encode())
    os.chmod(path, 0o751)
    assert run_cli(["--write", path], capsys)[0] == 0
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and data.count(codecs.BOM_UTF8) == 1
    assert "_make_predict_function" not in decode_source(data).text
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["app.py"]  # no temp file left behind


def test_bad_inputs_are_named_left_untouched_and_the_run_goes_on(tmp_path, capsys):
    files = {
        "broken.py": b"import keras\ndef f(:\n",
        "py2.py": b"import keras\nprint 'hello'\n",
        "latin.py": b"import keras\nx = '\xe9'\n",  # no cookie: not UTF-8
        "binary.py": b"keras\x00\x01\x02",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "app.py").write_text(LEGACY)
    (tmp_path / "link.py").symlink_to(tmp_path / "app.py")
    code, out, err = run_cli(["--write", tmp_path / "broken.py", tmp_path / "py2.py", tmp_path / "latin.py",
                              tmp_path / "binary.py", tmp_path / "link.py", tmp_path / "app.py"], capsys)
    assert code == 123
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data
        assert name in err
    assert "Python 2" in err
    assert "symlink" in err
    assert "_make_predict_function" not in (tmp_path / "app.py").read_text()  # the good file was still migrated
    assert (tmp_path / "link.py").is_symlink()


def test_a_rule_producing_broken_code_fails_the_file_only(tmp_path, capsys, monkeypatch):
    import libcst as cst

    from migrate.rules.make_predict_function import MakePredictFunction

    def breaks(self, original_node, updated_node):
        # parses, but `return` outside a function does not compile
        return cst.parse_statement("return 1\n")

    monkeypatch.setattr(MakePredictFunction, "leave_SimpleStatementLine", breaks)
    bad = "import keras\nif x:\n    model._make_predict_function()\n"
    (tmp_path / "bad.py").write_text(bad)
    (tmp_path / "app.py").write_text(LEGACY.replace("model._make_predict_function()\n", ""))
    code, _, err = run_cli(["--write", "--jobs", "1", tmp_path], capsys)
    assert code == 123
    assert "bad.py: error: rule make-predict-function produced code that does not compile" in err
    assert (tmp_path / "bad.py").read_text() == bad
    assert "tensorflow.keras" in (tmp_path / "app.py").read_text()  # the other file still migrated


def _stdin(text: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(text.encode()))


def test_stdin_to_stdout(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", _stdin(LEGACY))
    code, out, err = run_cli(["-"], capsys)
    assert code == 0
    assert "_make_predict_function" not in out and out.startswith("import tensorflow as tf\n")
    monkeypatch.setattr(sys, "stdin", _stdin(LEGACY))
    code, out, _ = run_cli(["--check", "-"], capsys)
    assert code == 1 and out == ""


def test_skips_vcs_venv_site_packages_and_build_dirs(tmp_path, capsys):
    for folder in (".git", "venv", "lib/python3.11/site-packages/pkg", "build", "dist", "__pycache__", "env2"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "x.py").write_text(LEGACY)
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(LEGACY)
    report = tmp_path / "report.json"
    code, out, _ = run_cli(["--report", report, tmp_path], capsys)
    data = json.loads(report.read_text())
    assert [Path(f["path"]).relative_to(tmp_path).as_posix() for f in data["files"]] == ["src/app.py"]
    assert out.count("+++ ") == 1


def test_json_report_per_file_per_rule_with_manual_lines(tmp_path, capsys):
    (tmp_path / "app.py").write_text(LEGACY)
    (tmp_path / "lp.py").write_text("from keras import backend as K\n\nK.set_learning_phase(1)\n")
    report = tmp_path / "r.json"
    code, _, err = run_cli(["--report", report, tmp_path], capsys)
    data = json.loads(report.read_text())
    assert code == 0
    # lp.py stays as it is: tensorflow.keras.backend has no set_learning_phase, so moving its
    # import would break the line that standalone Keras 2 runs
    assert data["counts"]["changed"] == 1
    assert data["rules"]["make-predict-function"] == 1
    by_name = {Path(f["path"]).name: f for f in data["files"]}
    assert by_name["app.py"]["status"] == "changed"
    assert "make-predict-function" in by_name["app.py"]["rules"]
    items = by_name["lp.py"]["manual"]
    # one cause, one item: the withdrawn import and set-learning-phase's advice for that same name
    (item,) = items
    assert (item["line"], item["rule"]) == (3, "keras-imports")
    assert "`set_learning_phase` does not exist in `tensorflow.keras.backend`" in item["message"]
    assert "pass training=True" in item["message"]
    assert f"{tmp_path / 'lp.py'}:3: manual [keras-imports]" in err


def test_select_ignore_and_unknown_rules(tree, capsys):
    code, out, _ = run_cli(["--select", "make-predict-function", tree / "app.py"], capsys)
    assert "-model._make_predict_function()" in out and "tensorflow.keras" not in out
    code, out, _ = run_cli(["--ignore", "make-predict-function", tree / "app.py"], capsys)
    assert "-model._make_predict_function()" not in out and "+from tensorflow.keras" in out
    with pytest.raises(SystemExit) as exc:
        main(["--select", "no-such-rule", str(tree)])
    assert exc.value.code == 2


def test_target_keras3(tree, capsys):
    code, out, _ = run_cli(["--target", "keras3", tree / "app.py"], capsys)
    assert "tensorflow.keras" not in out and "-model._make_predict_function()" in out


def test_parallel_jobs_match_serial(tmp_path, capsys):
    for i in range(12):
        (tmp_path / f"app{i:02}.py").write_text(LEGACY.replace("model.h5", f"m{i}.h5"))
    serial = run_cli(["--jobs", "1", tmp_path], capsys)[1]
    parallel = run_cli(["--jobs", "2", tmp_path], capsys)[1]
    assert serial == parallel and serial.count("+++ ") == 12


def test_notebook_cells_migrated_json_otherwise_identical(tmp_path, capsys):
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Caf\u00e9 model\n"]},
            {"cell_type": "code", "execution_count": 1, "metadata": {"tags": []}, "outputs": [],
             "source": ["%matplotlib inline\n", "import tensorflow as tf\n", "from keras.models import load_model\n",
                        "model = load_model('m.h5')\n", "model._make_predict_function()"]},
            {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
             "source": ["!ls\n", "y = model.predict(x)"]},
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    path = tmp_path / "n.ipynb"
    original = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    path.write_text(original, encoding="utf-8")
    code, out, _ = run_cli([path], capsys)
    assert "-model._make_predict_function()" in out
    assert run_cli(["--write", path], capsys)[0] == 0
    new = json.loads(path.read_text(encoding="utf-8"))
    cell = "".join(new["cells"][1]["source"])
    assert cell.startswith("%matplotlib inline\n") and "_make_predict_function" not in cell
    assert "tensorflow.keras" in cell
    # everything but that cell's source is byte-identical
    expected = dict(notebook)
    expected["cells"] = [dict(c) for c in notebook["cells"]]
    expected["cells"][1]["source"] = new["cells"][1]["source"]
    assert path.read_text(encoding="utf-8") == json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
    assert new["cells"][2] == notebook["cells"][2]
    assert run_cli(["--check", path], capsys)[0] == 0


def test_python_dash_m_entry_point(tree):
    proc = subprocess.run([sys.executable, "-m", "migrate", "--check", str(tree)], capture_output=True,
                          text=True, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    assert "would be migrated" in proc.stderr


def test_list_rules(capsys):
    code, out, _ = run_cli(["--list-rules"], capsys)
    assert code == 0 and "make-predict-function" in out and "keras-imports" in out
