"""Which names hold a Keras model (and which calls load one).

`predict` on an sklearn estimator or a home-made class must not be rewritten, so rules ask
`keras_models(module, names)` whether a receiver holds a Keras model: a name, attribute
(`self.model`) or container (`MODELS[i]`) bound to `load_model(...)`, `model_from_json(...)`,
`Sequential(...)` / `Model(...)`, or to a local function that returns one. It is the same
fixpoint over bindings as for graphs and sessions (`carriers.Carriers`), with other producers.
"""

from __future__ import annotations

import libcst as cst

from migrate.analysis.carriers import Carriers, Held, Imported
from migrate.analysis.names import ImportNames

MODEL = Held.MODEL

# canonical callables that return a Keras model
MODEL_PRODUCERS: dict[str, Held] = {
    "keras.models.load_model": MODEL,
    "keras.models.model_from_json": MODEL,
    "keras.models.model_from_yaml": MODEL,
    "keras.models.model_from_config": MODEL,
    "keras.models.clone_model": MODEL,
    "keras.models.Sequential": MODEL,
    "keras.models.Model": MODEL,
    "keras.Sequential": MODEL,
    "keras.Model": MODEL,
    "keras.engine.sequential.Sequential": MODEL,
    "keras.engine.training.Model": MODEL,
}
# keras.applications constructors (module → classes): each builds a Keras model
APPLICATIONS: dict[str, tuple[str, ...]] = {
    "resnet50": ("ResNet50",),
    "resnet": ("ResNet50", "ResNet101", "ResNet152"),
    "resnet_v2": ("ResNet50V2", "ResNet101V2", "ResNet152V2"),
    "vgg16": ("VGG16",),
    "vgg19": ("VGG19",),
    "inception_v3": ("InceptionV3",),
    "inception_resnet_v2": ("InceptionResNetV2",),
    "mobilenet": ("MobileNet",),
    "mobilenet_v2": ("MobileNetV2",),
    "mobilenet_v3": ("MobileNetV3Small", "MobileNetV3Large"),
    "xception": ("Xception",),
    "densenet": ("DenseNet121", "DenseNet169", "DenseNet201"),
    "nasnet": ("NASNetMobile", "NASNetLarge"),
    "efficientnet": tuple(f"EfficientNetB{i}" for i in range(8)),
    "efficientnet_v2": ("EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
                        "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L"),
}
# their canonical names, `keras.applications.ResNet50` and `keras.applications.resnet50.ResNet50`
APPLICATION_CONSTRUCTORS = frozenset(f"keras.applications.{where}" for module, classes in APPLICATIONS.items()
                                     for cls in classes for where in (cls, f"{module}.{cls}"))
MODEL_PRODUCERS.update(dict.fromkeys(APPLICATION_CONSTRUCTORS, MODEL))
# loaders whose result is a fully usable model read from disk (candidates for load-once)
LOADERS = frozenset(
    {"keras.models.load_model", "keras.models.model_from_json", "keras.models.model_from_yaml"}
)


def keras_models(module: cst.Module, names: ImportNames, collected=None, imported: Imported | None = None) -> Carriers:
    """Keys holding Keras models; `.kind_of(expr) == MODEL` for a model expression.
    `collected`: `carriers.collect_bindings(module)` when already at hand; `imported`: the models
    other modules of the app hold (`settings.MODEL`)."""
    return Carriers(module, names, producers=MODEL_PRODUCERS, getters={}, collected=collected, imported=imported)
