"""Which TensorFlow execution model an app was written for: TF 1 graph mode or TF 2 eager.

Legacy Keras-2 apps come in two styles. TF 1-era apps build graphs and run them in
sessions (``tf.get_default_graph()``, ``with graph.as_default():``, ``sess.run``); they
need graph mode, which the shim switches on for the whole process. TF 2-era apps
(tf.keras 2019-2023) run eagerly: ``model(x).numpy()``, ``np.argmax(model(x))``. In
graph mode their ``model(x)`` is a symbolic tensor and every request fails; they run
as ``TF_USE_LEGACY_KERAS=1`` runs them, in eager mode with Keras 2 (tf_keras).

Graph mode cannot start lazily, at the first TF 1 call: legacy apps load their model
before they first touch a graph or session (``model = load_model(...)`` then
``graph = tf.get_default_graph()``), so the model would be an eager one that their
``with graph.as_default(): model.predict(x)`` then refuses (measured on every fixture
app: ``benchmarks/app_style_modes.py``). So the style is chosen once, before TF
builds anything, from the app's source: the idioms in ``IDIOMS`` below, found in the
``.py`` files of the app's folder. ``LEGACY_SHIM_MODE=graph|eager`` overrides the
choice. Some TF 2-era apps show no idiom of either execution model
(``tf.keras.utils.load_img`` then ``model.predict(tf.expand_dims(x, 0))``, a tensor that
graph mode's predict refuses) but use Keras API that only TF 2 has: with no graph idiom,
that picks eager mode too. An app with idioms of both styles cannot run whole in either
mode: it runs in graph mode, as every earlier version of the shim ran it (a folder scan
can also see files the server never imports: a training script, a launcher's
neighbours), and is warned at start with both sets of call sites and the fix.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

GRAPH, EAGER = "graph", "eager"
MODES = (GRAPH, EAGER)
# Evidence of the TF 2 era that works in either mode: it picks eager mode only when the app
# shows no idiom of either execution model.
TF2_API = "tf2-api"


@dataclasses.dataclass(frozen=True)
class Idiom:
    """A source pattern that only works in one execution model (GRAPH, EAGER), or that
    names API only TF 2 has and that works in both (TF2_API)."""

    style: str  # GRAPH, EAGER or TF2_API
    pattern: re.Pattern
    what: str


def _tf2_only_keras_names(**names_by_module: tuple[str, ...]):
    """``(pattern, what)`` for ``keras.<module>.<name>`` written out or imported by name.

    Only the Keras path counts: ``utils.load_img`` alone may be the app's own ``utils.py``,
    ``RandomCrop`` alone albumentations' or torchvision's.
    """
    for module, names in names_by_module.items():
        alternatives = "|".join(names)
        dotted = re.compile(rf"\bkeras\s*\.\s*{module}\s*\.\s*(?:{alternatives})\b")
        imported = re.compile(rf"\bkeras\.{module}\s+import\b.*\b(?:{alternatives})\b")
        yield dotted, f"keras.{module}.<TF 2-only name>"
        yield imported, f"from keras.{module} import <TF 2-only name>"


IDIOMS: tuple[Idiom, ...] = (
    # TF 1 graph mode: graphs, sessions that run tensors, placeholders, Keras 2's graph-mode helpers.
    Idiom(GRAPH, re.compile(r"\bget_default_graph\b"), "tf.get_default_graph()"),
    Idiom(GRAPH, re.compile(r"\bgraph\w*\s*\.\s*as_default\s*\(", re.IGNORECASE), "with graph.as_default():"),
    Idiom(GRAPH, re.compile(r"\b(?:sess|session)\w*\s*\.\s*run\s*\(", re.IGNORECASE), "sess.run(...)"),
    Idiom(GRAPH, re.compile(r"\bplaceholder\s*\("), "tf.placeholder()"),
    Idiom(GRAPH, re.compile(r"\b_make_predict_function\s*\("), "model._make_predict_function()"),
    Idiom(GRAPH, re.compile(r"\bget_session\s*\("), "K.get_session()"),
    Idiom(GRAPH, re.compile(r"\bdisable_(?:eager_execution|v2_behavior)\s*\("), "tf.compat.v1.disable_eager_execution()"),
    Idiom(GRAPH, re.compile(r"\b_SYMBOLIC_SCOPE\b"), "tensorflow_backend._SYMBOLIC_SCOPE"),
    Idiom(GRAPH, re.compile(r"\bimport_graph_def\s*\("), "tf.import_graph_def()"),
    Idiom(GRAPH, re.compile(r"\bglobal_variables_initializer\s*\("), "tf.global_variables_initializer()"),
    Idiom(GRAPH, re.compile(r"\btf\.Session\s*\("), "tf.Session() (TF 1.x only)"),
    # TF 2 eager: values out of a model call, functions, tapes.
    Idiom(EAGER, re.compile(r"\.numpy\s*\(\s*\)"), "tensor.numpy()"),
    Idiom(EAGER, re.compile(r"\btf\.function\b"), "@tf.function"),
    Idiom(EAGER, re.compile(r"\bGradientTape\b"), "tf.GradientTape"),
    Idiom(EAGER, re.compile(r"\bexecuting_eagerly\s*\("), "tf.executing_eagerly()"),
    Idiom(EAGER, re.compile(r"\brun_eagerly\b"), "run_eagerly"),
    *(Idiom(TF2_API, pattern, what) for pattern, what in _tf2_only_keras_names(
        # Each name is absent from TF 1.15.0's tf.keras API (the generated API modules of its
        # wheel) and from the public modules of Keras 2.2.4 and 2.3.1 (the real wheels), and is
        # in TF 2.21's tf.keras: an app that uses one was written for TF 2.
        utils=("load_img", "img_to_array", "array_to_img", "save_img", "pad_sequences", "set_random_seed",
               "image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"),
        preprocessing=("image_dataset_from_directory", "text_dataset_from_directory",
                       "timeseries_dataset_from_array"),
        layers=("Rescaling", "Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom",
                "RandomContrast", "RandomTranslation", "RandomCrop", "TextVectorization", "StringLookup",
                "IntegerLookup", "Normalization"),
    )),
    Idiom(TF2_API, re.compile(r"\blayers\s*\.\s*experimental\s*\.\s*preprocessing\b"),
          "tf.keras.layers.experimental.preprocessing (TF 2.x only)"),
)
# Neither style: ConfigProto + compat.v1.Session + set_session (GPU options) work in both.

# Folders and files never part of the app's serving code (tests hold idioms of both styles
# as strings, and do not run in the server).
_SKIP_DIRS = frozenset({"__pycache__", "site-packages", "dist-packages", "node_modules", "venv", "env", "build", "dist",
                        "tests", "test"})


def _is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
MAX_FILES = 400
MAX_BYTES = 1_000_000


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One idiom found at one place in the app."""

    style: str
    what: str
    where: str  # "path:line"

    def __str__(self) -> str:
        return f"{self.what} at {self.where}"


@dataclasses.dataclass(frozen=True)
class Decision:
    """The execution model the shim runs the app in, and why."""

    mode: str  # GRAPH or EAGER
    reason: str
    graph: tuple[Evidence, ...] = ()
    eager: tuple[Evidence, ...] = ()
    tf2_api: tuple[Evidence, ...] = ()

    @property
    def mixed(self) -> bool:
        """Idioms of both styles were found (not when a mode was forced)."""
        return bool(self.graph and self.eager)


def _code_lines(text: str):
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]  # a commented-out idiom is not used (crude: ignores '#' in strings)
        if code.strip():
            yield number, code


def scan(root: Path) -> tuple[list[Evidence], list[Evidence], list[Evidence]]:
    """Evidence of each style in the ``.py`` files under ``root`` (first hit per idiom and file):
    graph idioms, eager idioms, TF 2-only API names."""
    found: dict[str, list[Evidence]] = {GRAPH: [], EAGER: [], TF2_API: []}
    files = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(names):
            if not name.endswith(".py") or _is_test_file(name):
                continue
            path = Path(folder) / name
            files += 1
            if files > MAX_FILES:
                return found[GRAPH], found[EAGER], found[TF2_API]
            try:
                if path.stat().st_size > MAX_BYTES:
                    continue
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            seen = set()
            for number, code in _code_lines(text):
                for idiom in IDIOMS:
                    match = idiom.pattern.search(code) if idiom.what not in seen else None
                    if match:
                        seen.add(idiom.what)
                        where = f"{os.path.relpath(path, root)}:{number}"
                        # a TF 2-only name says which name: the idiom covers several
                        what = f"{' '.join(match.group(0).split())} (TF 2.x only)" if idiom.style == TF2_API else idiom.what
                        found[idiom.style].append(Evidence(idiom.style, what, where))
    return found[GRAPH], found[EAGER], found[TF2_API]


def decide(root: str | Path | None, forced: str | None = None) -> Decision:
    """The mode for the app in ``root``: ``forced`` if given, else from its source.

    No source to read (``python -c``, an interactive session) or no idiom of either
    style: graph mode, which every Keras 2 predict also runs in.
    """
    if forced:
        if forced not in MODES:
            raise ValueError(f"LEGACY_SHIM_MODE={forced!r}: use one of {', '.join(MODES)} (or leave it unset)")
        return Decision(forced, f"LEGACY_SHIM_MODE={forced}")
    if root is None or not Path(root).is_dir():
        return Decision(GRAPH, "no app source to read: graph mode, as TF 1 ran Keras 2")
    graph, eager, tf2_api = scan(Path(root))
    if graph and eager:
        return Decision(GRAPH, "idioms of both TF 1 graph mode and TF 2 eager mode: graph mode, as earlier "
                        "versions ran every app (warned at start)", tuple(graph), tuple(eager))
    if eager:
        return Decision(EAGER, f"TF 2 eager idioms ({eager[0]}), none of TF 1 graph mode: run as "
                        "TF_USE_LEGACY_KERAS=1 runs it", (), tuple(eager))
    if graph:
        # TF 2-only names next to graph idioms work in graph mode too: not a mixed app
        return Decision(GRAPH, f"TF 1 graph idioms ({graph[0]})", tuple(graph), (), tuple(tf2_api))
    if tf2_api:
        return Decision(EAGER, f"TF 2-only Keras API ({tf2_api[0]}), no idiom of TF 1 graph mode: run as "
                        "TF_USE_LEGACY_KERAS=1 runs it", (), (), tuple(tf2_api))
    return Decision(GRAPH, "no idiom of either style: graph mode, as TF 1 ran Keras 2")


def mixed_message(decision: Decision) -> str:
    """What a mixed app is warned at start: both sides, with call sites, and how to fix it."""
    def listed(evidence):
        return "; ".join(str(e) for e in evidence[:4])

    return (
        "legacy_shim: this app mixes TF 1 graph-mode code ("
        + listed(decision.graph)
        + ") with TF 2 eager code ("
        + listed(decision.eager)
        + "). It runs in TF 1 graph mode, where the eager code fails (model(x) is a symbolic tensor "
        "with no .numpy()); no single mode runs both: in eager mode a model refuses to predict inside "
        "`with graph.as_default()`. "
        "Fix: if the app was written for TF 2, drop the leftover TF 1 code (graph.as_default(), "
        "sess.run, get_session: eager tf.keras needs none) and run with LEGACY_SHIM_MODE=eager; if it "
        "was written for TF 1, call model.predict(x) instead of model(x).numpy() and run with "
        "LEGACY_SHIM_MODE=graph."
    )


def runner_app_start(argv: list[str]) -> int:
    """Index in the runner's arguments where the app's own command line starts."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-m":
            return i + 2 if i + 1 < len(argv) else len(argv)
        if arg == "--report":
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return i
    return len(argv)


def runner_app_folder(argv: list[str]) -> str | None:
    """The app folder of ``python -m legacy_shim ARGV``: the script's; the cwd under
    ``-m MODULE`` (gunicorn / waitress import ``app:app`` from there); None for ``--list``."""
    start = runner_app_start(argv)
    options, rest = argv[:start], argv[start:]
    if "--list" in options:
        return None
    if "-m" in options:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(rest[0])) if rest else None


# The decision for this process, made once by ``legacy_shim.install()``.
current: Decision | None = None


def importing_file_folder() -> str | None:
    """The folder of the file whose ``import legacy_shim`` is running (the app), if any.

    Frames of the shim, of the standard library (runpy, importlib) and of installed
    packages (a server importing the app) are passed over: their folders are not the app.
    """
    import sys
    import sysconfig

    here = os.path.dirname(os.path.abspath(__file__))
    paths = sysconfig.get_paths()
    library = tuple(os.path.abspath(paths[k]) + os.sep for k in ("stdlib", "platstdlib", "purelib", "platlib"))
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<"):
            folder = os.path.dirname(os.path.abspath(filename))
            if folder != here and not (folder + os.sep).startswith(library):
                return folder
        frame = frame.f_back
    return None
