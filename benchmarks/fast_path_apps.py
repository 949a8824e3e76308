"""Issue 20, the shapes that kept `predict` (or a per-request load) in migrated handlers.

Each fixture app below is served (a) legacy under the shim and (c) migrated by
`python -m migrate --write`, no shim, Keras 3, side by side (benchmarks/predictor_apps.py
does the serving, the rounds and the answer check). Goal: (c)/(a) p50 latency <= 1.1x.

    python -m benchmarks.fast_path_apps
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import predictor_apps
from benchmarks.report import Section, as_text

APPS = {
    "upload_pil_reassigned": "request body -> PIL image -> np.asarray through one reassigned name",
    "predictor_asarray": "class-wrapped predictor; its predict method gets np.asarray(...) from the route",
    "service_load_per_request": "K.clear_session() + load_model(CONSTANT) in a service-class method per request",
    "model_getter_per_request": ("get_model() returns a fresh load per request; input an array only through "
                                 "a conditional expression (the fast_predict helper)"),
    "keras_applications": "MobileNet(alpha=0.25) built by its keras.applications constructor, weights loaded",
    "multi_input_list": "a two-input model fed [text, meta], two arrays sliced from the request",
}


def run(workdir: Path, quick: bool = False) -> list[Section]:
    """Serve each app legacy and migrated side by side; one table."""
    return predictor_apps.run(workdir, quick, apps=APPS,
                              title="Migrated apps stay fast: inputs through reassigned names, class wrappers, "
                                    "per-request loads (issue 20)")


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir:
        for section in run(Path(workdir), quick="--quick" in sys.argv[1:]):
            print(as_text(section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
