"""Generated source trees for the migrate-speed benchmark (written under a temp dir only).

``legacy_tree``: N legacy serving files, cycling through every module of the fixture apps
that uses TF or Keras (entry modules, and the settings.py / apps.py / views.py / load.py /
helpers of multi-module apps; ~10-50 lines each) with a per-file route, model file and
header so no two files are the same text.
``mixed_tree``: N Python files of which 1% are such legacy files and the rest modern,
TF-free code using syntax from Python 3.8-3.10 (walrus, ``match``, ``/`` parameters,
``f"{x=}"``), the kind of file tf_upgrade_v2's parser stops on.
"""

from __future__ import annotations

import re
from pathlib import Path

from fixtures import catalog

# Modern application code that has nothing to do with TF: the 99% of a real repository.
MODERN_TEMPLATE = '''"""Order pipeline step {i}: validation and pricing."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

_SKU = re.compile(r"^[A-Z]{{3}}-\\d{{4}}$")


@dataclasses.dataclass(frozen=True, slots=True)
class Line{i}:
    sku: str
    quantity: int
    unit_price: float


def parse(raw: dict, /, *, strict: bool = True) -> Line{i} | None:
    if (sku := raw.get("sku")) is None or not _SKU.match(sku):
        return None
    return Line{i}(sku, int(raw.get("qty", 1)), float(raw["price"]))


def classify(line: Line{i}) -> str:
    match line:
        case Line{i}(quantity=0):
            return "empty"
        case Line{i}(quantity=q) if q > {big}:
            return "bulk"
        case _:
            return "regular"


def total(lines: Iterable[Line{i}], discount: float = 0.{d}) -> float:
    amount = sum(l.quantity * l.unit_price for l in lines)
    print(f"{{amount=:.2f}} {{discount=}}")
    return round(amount * (1 - discount), 2)
'''


def legacy_sources() -> list[tuple[str, str]]:
    # every module of an app that touches TF or Keras: multi-module apps keep the juggling in
    # settings.py, apps.py, load.py or a helper, not in their entry module
    return [(f"{a.name}/{rel}", text) for a in catalog.all_apps() for rel, text in catalog.sources(a).items()
            if re.search(r"keras|tensorflow", text)]


def legacy_file(i: int, sources: list[tuple[str, str]]) -> str:
    """The i-th generated legacy serving file."""
    name, text = sources[i % len(sources)]
    text = text.replace("'/predict'", f"'/predict_{i}'").replace('"/predict"', f'"/predict_{i}"')
    text = text.replace(".h5'", f"_{i}.h5'").replace('.h5"', f'_{i}.h5"')
    return f"# service {i:05d}, generated from fixtures/apps/{name}\n" + text


# apps whose code keeps a file on the legacy path (a raw TF1 graph; juggling spread over modules
# that the never-worse checks keep whole): a large file built with one of them would not change
_STAYS_LEGACY = {"raw_tf_preprocessing", "django_settings_graph", "django_appconfig", "init_loader_star",
                 "helper_carriers", "session_graph_mixed", "tornado_handlers", "syspath_module_loader",
                 "django_appconfig_classbody"}


def _raw_tf1_apps() -> set[str]:
    # a raw TF1 graph next to Keras code in one module keeps that module on the legacy path
    # (Keras 3 never runs in a TF1 graph): these apps' meta.json say how they migrate on their own
    return {a.name for a in catalog.all_apps() if "migrated_as" in catalog.meta(a)}


def large_legacy_file(size: int) -> str:
    """One legacy module of about ``size`` characters: the generated serving files one after another.

    Left out: the app whose raw TF1 graph keeps a whole file on the legacy path, and apps with a
    module-level ``global`` (after an earlier app used the name, it does not compile).
    """
    stays = _STAYS_LEGACY | _raw_tf1_apps()
    sources = [(name, text) for name, text in legacy_sources()
               # a session or ConfigProto rebound under one name hundreds of times in one module is
               # only partly rewritten, and the never-worse checks then keep the whole file as it is
               if name.split("/")[0] not in stays and not re.search(r"Session\(|ConfigProto", text) and not re.search(r"^global ", text, re.M)]
    parts, total, i = [], 0, 0
    while total < size:
        parts.append(legacy_file(i, sources))
        total += len(parts[-1])
        i += 1
    return "".join(parts)


def legacy_tree(root: Path, n: int) -> Path:
    """Write ``n`` legacy serving files under ``root`` (100 per folder); return ``root``."""
    sources = legacy_sources()
    for i in range(n):
        folder = root / f"svc{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"app_{i:05d}.py").write_text(legacy_file(i, sources))
    return root


def mixed_tree(root: Path, n: int, tf_share: int = 100) -> tuple[Path, int]:
    """Write ``n`` files, every ``tf_share``-th one legacy TF code; return (root, TF files)."""
    sources = legacy_sources()
    tf_files = 0
    for i in range(n):
        folder = root / f"pkg{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % tf_share == 0:
            (folder / f"serve_{i:05d}.py").write_text(legacy_file(i, sources))
            tf_files += 1
        else:
            (folder / f"step_{i:05d}.py").write_text(MODERN_TEMPLATE.format(i=i, big=10 + i % 90, d=i % 9 + 1))
    return root, tf_files


def count_lines(root: Path) -> int:
    """Total lines of the .py files under ``root``."""
    return sum(p.read_text().count("\n") for p in root.rglob("*.py"))
