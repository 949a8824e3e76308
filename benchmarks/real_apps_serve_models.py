"""Model files for the served real apps, saved the way a TF1-era user saved them.

    python -m benchmarks.real_apps_serve_models SPECS.json APP_DIR HOME_DIR

Runs in its own process: tf_keras in TF1 graph mode (``tf.compat.v1.disable_v2_behavior()``),
as Keras 2 wrote these files in 2017-2020. Each entry of SPECS.json (a list) is one model:

- ``"layers": [[LayerClass, {kwargs}], ...]`` a Sequential model (the first layer's kwargs
  carry ``input_shape``), compiled with ``"loss"`` (default categorical_crossentropy, adam);
- ``"application": "ResNet50"`` a ``keras.applications`` architecture with ``"kwargs"``
  (``weights=None`` is forced: weights are never downloaded);
- ``"catalogue": NAME`` a model of our own fixture catalogue (:mod:`fixtures.models`), copied;
- ``"code": "model = ..."`` the app's own architecture code, run with APP_DIR on ``sys.path``
  under ``legacy_shim`` (its ``import keras`` / TF1 names resolve as in the served app); the
  statements must bind ``model``.

and ``"files"``: where to save it. Keys: ``"model"`` (``model.save``, HDF5), ``"json"``
(``model.to_json()``), ``"weights"`` (``save_weights``, HDF5). A path starting with ``~/`` is
under HOME_DIR, where Keras looks for ``keras.applications`` weights
(``~/.keras/models/<file>``); any other path is relative to APP_DIR.
``"imagenet_class_index": true`` writes a stand-in ``~/.keras/models/imagenet_class_index.json``
(1000 classes named ``class_<i>``) for ``decode_predictions``.

Weights come from ``numpy.random.RandomState(seed)``: kernels He-uniform (keeps activations
alive through deep random networks), biases uniform in ±0.1 (non-zero, so a model whose biases
failed to load would answer differently), batch-norm statistics and other constant
initial values kept.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path


def _target(path: str, app_dir: Path, home: Path) -> Path:
    target = home / path[2:] if path.startswith("~/") else app_dir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _seeded_weights(model, seed: int) -> list:
    import numpy as np

    rng = np.random.RandomState(seed)
    values = []
    for variable, current in zip(model.weights, model.get_weights()):
        name = variable.name.split("/")[-1]
        if current.size > 1 and np.all(current == current.flat[0]) and "bias" not in name:
            values.append(current)  # ones/zeros: batch-norm gamma, beta, moving statistics
        elif "bias" in name:
            values.append(rng.uniform(-0.1, 0.1, size=current.shape).astype(current.dtype))
        else:
            fan_in = int(np.prod(current.shape[:-1])) if current.ndim > 1 else current.shape[0]
            limit = np.sqrt(6.0 / max(fan_in, 1))
            values.append(rng.uniform(-limit, limit, size=current.shape).astype(current.dtype))
    return values


def build(specs: list[dict], app_dir: Path, home: Path) -> list[Path]:
    """Build every model of ``specs``; return the files written."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # read when tensorflow is imported
    import tensorflow as tf

    tf.compat.v1.disable_v2_behavior()
    import tf_keras

    written = []
    for spec in specs:
        if spec.get("imagenet_class_index"):
            target = _target("~/.keras/models/imagenet_class_index.json", app_dir, home)
            target.write_text(json.dumps({str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}))
            written.append(target)
        if "catalogue" in spec:
            from fixtures import models as catalogue

            built = catalogue.built_models_dir() / catalogue.BY_NAME[spec["catalogue"]].filename
            for path in spec["files"].values():
                written.append(Path(shutil.copyfile(built, _target(path, app_dir, home))))
            continue
        if not {"layers", "application", "code"} & spec.keys():
            continue
        # a fresh graph per model: layer names as in a one-model training script
        tf_keras.backend.clear_session()
        if "code" in spec:
            import legacy_shim  # noqa: F401 - the app's code imports keras / TF1 names as it did then

            if str(app_dir) not in sys.path:
                sys.path.insert(0, str(app_dir))
            namespace: dict = {}
            exec(spec["code"], namespace)  # noqa: S102 - a statement from the harness's own spec
            model = namespace["model"]
        elif "application" in spec:
            kwargs = dict(spec.get("kwargs", {}), weights=None)
            model = getattr(tf_keras.applications, spec["application"])(**kwargs)
        else:
            model = tf_keras.Sequential([getattr(tf_keras.layers, cls)(**kwargs) for cls, kwargs in spec["layers"]])
            model.compile(optimizer="adam", loss=spec.get("loss", "categorical_crossentropy"), metrics=["accuracy"])
        model.set_weights(_seeded_weights(model, spec.get("seed", 0)))
        for kind, path in spec["files"].items():
            target = _target(path, app_dir, home)
            if kind == "model":
                model.save(str(target), save_format="h5")
            elif kind == "weights":
                model.save_weights(str(target), save_format="h5")
            elif kind == "json":
                target.write_text(model.to_json())
            else:
                raise ValueError(f"unknown file kind {kind!r} (model, weights, json)")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """CLI: build SPECS.json's models into APP_DIR and HOME_DIR."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    specs = json.loads(Path(args[0]).read_text())
    for path in build(specs, Path(args[1]), Path(args[2])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
