"""What Keras 3 and TF 2 removed or renamed from the Keras 2 / TF 1 surface legacy apps use.

The data is generated from the real APIs (`python -m migrate.surface.build`, see
`generated.py`); this module answers the questions rules and checks ask of it, in the
canonical `keras.…` spelling of `migrate.analysis.names`. Standard library only.
"""

from __future__ import annotations

from migrate.surface.generated import ARGUMENTS, MISSING, TF1_MISSING, VALUE_MAPS, VERSIONS

# Keras 2 submodules that moved: old suffix (after "keras.") → public module in tf.keras / Keras 3
MOVED_MODULES = {
    "layers.core": "layers", "layers.convolutional": "layers", "layers.convolutional_recurrent": "layers",
    "layers.recurrent": "layers", "layers.cudnn_recurrent": "layers", "layers.pooling": "layers",
    "layers.normalization": "layers", "layers.merge": "layers", "layers.embeddings": "layers",
    "layers.advanced_activations": "layers", "layers.noise": "layers", "layers.local": "layers",
    "layers.wrappers": "layers", "utils.np_utils": "utils", "utils.generic_utils": "utils",
    "utils.data_utils": "utils", "utils.vis_utils": "utils", "utils.io_utils": "utils",
    "utils.layer_utils": "utils", "engine.topology": "layers", "engine.base_layer": "layers",
    "engine.input_layer": "layers", "engine.training": "models", "engine.sequential": "models",
}
TARGET_PREFIX = {"tf-keras": "tensorflow.keras", "keras3": "keras"}


def moved(canonical_module: str) -> str:
    """'keras.layers.core' → 'keras.layers': where a Keras 2 submodule's names live now."""
    suffix = canonical_module[len("keras."):] if canonical_module.startswith("keras.") else ""
    return "keras." + MOVED_MODULES[suffix] if suffix in MOVED_MODULES else canonical_module


def keras_missing(canonical: str, target: str = "tf-keras") -> str | None:
    """For 'keras.backend.image_dim_ordering': the Keras 2 releases that had it, if `target`
    (tf-keras: TF's Keras on today's stack; keras3: plain keras) lacks it; else None."""
    if not canonical.startswith("keras."):
        return None
    module, _, name = canonical.rpartition(".")
    prefix = TARGET_PREFIX[target]
    home = prefix + moved(module)[len("keras"):]
    return MISSING[prefix].get(home, {}).get(name)


def missing_in_module(module: str, name: str) -> bool:
    """True when today's `module` (a real dotted module: 'tensorflow.keras.backend',
    'keras.utils', 'tensorflow.train') lacks `name` that Keras 2 / TF 1 had."""
    for table in MISSING.values():
        if name in table.get(module, ()):
            return True
    return name in TF1_MISSING.get(module, ())


def checked_modules() -> frozenset[str]:
    """Every module `missing_in_module` knows something about."""
    return frozenset(m for table in MISSING.values() for m in table) | frozenset(TF1_MISSING)


def renamed_arguments(canonical_callable: str) -> dict[str, str]:
    """{old keyword: new keyword} Keras 2 accepted for this callable and Keras 3 takes as new."""
    return ARGUMENTS.get(canonical_callable, {})


def value_map(canonical_callable: str, argument: str) -> dict[str, str] | None:
    """Keras 2's own value conversion for a legacy argument ({'th': 'channels_first', ...})."""
    return VALUE_MAPS.get(canonical_callable, {}).get(argument)


__all__ = ["MOVED_MODULES", "VERSIONS", "keras_missing", "missing_in_module", "checked_modules", "moved", "renamed_arguments",
           "value_map"]
