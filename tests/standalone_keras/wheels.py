"""Real Keras 2.2.4 / 2.3.1 wheels, installed once into a cache directory and reused.

``pip install --no-deps --target DIR`` of Keras and its two small pure-Python
companions; the directory is then put first on ``PYTHONPATH`` of the child processes
that run the apps, so ``import keras`` gives that Keras and nothing is installed into
the test interpreter. Cached under ``$LEGACY_KERAS_WHEELS``, else
``$XDG_CACHE_HOME/legacy-keras-rescue``, else the repo's gitignored ``.cache/``; one
directory per version, made complete before it gets its final name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixtures import build_cache

REPO_ROOT = Path(__file__).resolve().parents[2]

# What each Keras needs besides what the project already installs (numpy, h5py, six,
# pyyaml, scipy): the two packages Keras 2.2/2.3 split off, at their last releases.
REQUIREMENTS = {
    "2.2.4": ("keras==2.2.4", "keras_applications==1.0.8", "keras_preprocessing==1.1.2"),
    "2.3.1": ("keras==2.3.1", "keras_applications==1.0.8", "keras_preprocessing==1.1.2"),
}


def cache_root() -> Path:
    """Where the per-version directories live."""
    explicit = os.environ.get("LEGACY_KERAS_WHEELS")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "legacy-keras-rescue" / "standalone-keras"
    return REPO_ROOT / ".cache" / "standalone-keras"


def _complete(directory: Path, version: str) -> bool:
    return (directory / "keras" / "__init__.py").is_file() and (directory / f"Keras-{version}.dist-info").is_dir()


def keras_dir(version: str) -> Path:
    """A directory whose ``keras`` package is the real Keras ``version``; installs it once.

    Safe under pytest-xdist (see fixtures/build_cache.py). Raises with pip's output if
    the install fails (a test must not silently skip).
    """
    if version not in REQUIREMENTS:
        raise KeyError(f"unsupported Keras {version}; supported: {sorted(REQUIREMENTS)}")

    def install(staging: Path) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps", "--no-compile",
             "--target", str(staging), *REQUIREMENTS[version]],
            capture_output=True, text=True, timeout=600,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pip could not install Keras {version}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")

    return build_cache.build_once(cache_root() / f"keras-{version}", lambda d: _complete(d, version), install)


def main(argv: list[str] | None = None) -> int:
    """``python tests/standalone_keras/wheels.py [VERSION...]``: install and print the directories."""
    for version in (argv if argv is not None else sys.argv[1:]) or sorted(REQUIREMENTS):
        print(keras_dir(version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
