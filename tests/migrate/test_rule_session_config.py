"""session-config's option table: each mapped ConfigProto option becomes TF 2 code that runs on
TF 2.21 and has the effect the option had; options without an equivalent are reported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from migrate.engine import Config, apply_rules
from migrate.rules.session_config import OPTION_MAPPINGS, SessionConfig, map_option
from tests.serving.harness import REPO_ROOT, shim_env

# option, value, expression read back after running the mapped code, expected value
EFFECTS = [
    ("intra_op_parallelism_threads", "3", "tf.config.threading.get_intra_op_parallelism_threads()", 3),
    ("inter_op_parallelism_threads", "2", "tf.config.threading.get_inter_op_parallelism_threads()", 2),
    ("allow_soft_placement", "False", "tf.config.get_soft_device_placement()", False),
    ("log_device_placement", "True", "tf.debugging.get_log_device_placement()", True),
    ("device_count.GPU", "0", "len(tf.config.get_visible_devices('GPU'))", 0),
    ("gpu_options.allow_growth", "True", "[tf.config.experimental.get_memory_growth(g) for g in "
                                        "tf.config.list_physical_devices('GPU')] == "
                                        "[True] * len(tf.config.list_physical_devices('GPU'))", True),
]


def test_every_mapping_with_code_has_an_effect_check():
    with_code = {m.option for m in OPTION_MAPPINGS if m.template}
    assert with_code == {option for option, *_ in EFFECTS}


def test_mapped_options_run_on_tf2_and_take_effect():
    checks = []
    code = ["import json", "import tensorflow as tf"]
    for option, value, readback, _expected in EFFECTS:
        lines, problem = map_option(option, value)
        assert problem is None and lines, option
        code.extend(line.replace("{tf}", "tf") for line in lines)
        checks.append(readback)
    # read back only after every setter ran: they must all come before TF initialises
    code.append("print(json.dumps([" + ", ".join(checks) + "]))")
    proc = subprocess.run([sys.executable, "-c", "\n".join(code)], cwd=REPO_ROOT, env=shim_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [expected for *_, expected in EFFECTS]


@pytest.mark.parametrize(
    "option, value",
    [
        ("gpu_options.per_process_gpu_memory_fraction", "0.4"),
        ("gpu_options.visible_device_list", "'0'"),
        ("device_count.GPU", "1"),
        ("device_count.CPU", "4"),
        ("graph_options.optimizer_options.global_jit_level", "1"),
        ("operation_timeout_in_ms", "1000"),
    ],
)
def test_options_without_equivalent_are_reported(option, value):
    lines, problem = map_option(option, value)
    assert lines == [] and problem and option in problem


@pytest.mark.parametrize("option, value", [("device_count.CPU", "1"), ("gpu_options.allow_growth", "False"),
                                           ("log_device_placement", "False")])
def test_tf2_defaults_need_no_code(option, value):
    assert map_option(option, value) == ([], None)


def test_reported_option_has_the_config_line():
    source = (
        "import tensorflow as tf\nfrom keras import backend as K\n"
        "config = tf.ConfigProto(intra_op_parallelism_threads=4)\n"
        "config.gpu_options.per_process_gpu_memory_fraction = 0.5\n"
        "K.set_session(tf.Session(config=config))\n"
    )
    outcome = apply_rules(source, Config(select=frozenset({SessionConfig.NAME})), rules=[SessionConfig])
    assert outcome.code == (
        "import tensorflow as tf\nfrom keras import backend as K\n"
        "tf.config.threading.set_intra_op_parallelism_threads(4)\n"
    )
    assert [(m.line, "per_process_gpu_memory_fraction" in m.message) for m in outcome.manual] == [(3, True)]


def test_config_still_used_elsewhere_stays():
    source = (
        "import tensorflow as tf\nfrom keras import backend as K\n"
        "config = tf.ConfigProto(intra_op_parallelism_threads=4)\n"
        "K.set_session(tf.Session(config=config))\n"
        "estimator = make_estimator(session_config=config)\n"
    )
    outcome = apply_rules(source, Config(select=frozenset({SessionConfig.NAME})), rules=[SessionConfig])
    # dropping set_session while the ConfigProto stays for the estimator would half-migrate the
    # file: it stays as it was (on the legacy path) and the reason is a manual item
    assert outcome.code == source
    assert any("half-migration" in m.message and "ConfigProto()" in m.message for m in outcome.manual)
