"""The generated Keras 2 → Keras 3 surface table, checked against today's stack by importing."""

from __future__ import annotations

import importlib

import pytest

from migrate import surface
from migrate.surface import generated


def _lookup(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            value = getattr(value, part)
        return value
    raise ImportError(dotted)


@pytest.mark.parametrize("target", sorted(generated.MISSING))
def test_every_missing_name_is_really_missing(target):
    for module, names in generated.MISSING[target].items():
        try:
            owner = _lookup(module)
        except (ImportError, AttributeError):
            continue  # the whole module is gone: each of its names is too
        present = [name for name in names if hasattr(owner, name)]
        assert not present, f"{module} has {present}: regenerate with `python -m migrate.surface.build`"


def test_names_real_apps_use_are_in_the_table():
    # the names the surveyed apps failed on, each looked up as the migrated code spells it
    for name in ("keras.backend.image_dim_ordering", "keras.utils.np_utils", "keras.backend.set_image_dim_ordering"):
        assert surface.keras_missing(name, "tf-keras") and surface.keras_missing(name, "keras3"), name
    assert surface.missing_in_module("tensorflow.train", "AdamOptimizer")
    assert surface.missing_in_module("tensorflow", "enable_eager_execution")
    assert not surface.missing_in_module("tensorflow.keras.utils", "to_categorical")


@pytest.mark.parametrize("callable_name, old, new, value, others", [
    ("keras.layers.Dense", "output_dim", "units", 2, {}),
    ("keras.layers.Dropout", "p", "rate", 0.5, {}),
    ("keras.optimizers.Adam", "lr", "learning_rate", 0.1, {}),
    ("keras.layers.Conv2D", "nb_filter", "filters", 2, {"kernel_size": (3, 3)}),
])
def test_renamed_arguments_are_refused_old_and_taken_new_by_keras3(callable_name, old, new, value, others):
    assert surface.renamed_arguments(callable_name)[old] == new
    target = _lookup(callable_name)
    target(**others, **{new: value})
    with pytest.raises((TypeError, ValueError)):
        target(**others, **{old: value})


@pytest.mark.slow(reason='imports Keras 2.2.4 and 2.3.1 under the shim and Keras 3: ~40 s, needs the wheels')
def test_committed_table_is_what_the_real_apis_give():
    from migrate.surface import build

    table = build.build()
    assert table["missing"] == generated.MISSING
    assert table["arguments"] == generated.ARGUMENTS
    assert table["value_maps"] == generated.VALUE_MAPS


def test_the_benchmark_reads_names_at_any_depth_and_checks_them_by_importing():
    from benchmarks.surface_names import check, taken_names

    code = ("import tensorflow as tf\nfrom tensorflow.keras import backend as K\n"
            "def f():\n    from tensorflow.keras.utils import to_categorical\n"
            "    return K.image_dim_ordering(), tf.train.AdamOptimizer, tf.keras.layers.Dense\n")
    taken = {(m, n) for m, n, _ in taken_names(code)}
    assert {("tensorflow.keras.utils", "to_categorical"), ("tensorflow.keras.backend", "image_dim_ordering"),
            ("tensorflow.train", "AdamOptimizer"), ("tensorflow.keras.layers", "Dense")} <= taken
    answers = check({("tensorflow.keras.utils", "to_categorical"), ("tensorflow.keras.backend", "image_dim_ordering"),
                     ("tensorflow.train", "AdamOptimizer")})
    assert answers == {"tensorflow.keras.utils.to_categorical": None,
                       "tensorflow.keras.backend.image_dim_ordering": "missing",
                       "tensorflow.train.AdamOptimizer": "missing"}
