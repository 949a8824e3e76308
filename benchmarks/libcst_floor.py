"""The floor of any LibCST-based tool on a tree: parse and print every file, nothing else.

    python -m benchmarks.libcst_floor [--visit] DIR

Same start-up as ``python -m migrate`` (it imports migrate.runner, hence libcst.codemod),
same discovery, chunks of 16 files over 2 worker processes, each file parsed with
``libcst.parse_module`` and its ``.code`` written back. migrate's rules, analyses,
diffs and reports all come on top of this; migrate_speed.py times it beside migrate and
tf_upgrade_v2 to show how much of migrate's time is LibCST itself.

--visit adds one pass of a transformer that changes nothing (libcst's own traversal,
``module.visit(cst.CSTTransformer())``) between parse and print: the least a codemod that
looks at every node once pays on top of the floor.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import libcst as cst

from migrate import runner

CHUNK = 16


def _round_trip(paths: list[str], visit: bool = False) -> int:
    for path in paths:
        with open(path, encoding="utf-8", newline="") as handle:
            text = handle.read()
        module = cst.parse_module(text)
        if visit:
            module = module.visit(cst.CSTTransformer())
        code = module.code
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(code)
    return len(paths)


def main(argv: list[str]) -> int:
    visit = "--visit" in argv
    files = [path for path, problem in runner.discover([a for a in argv if a != "--visit"]) if problem is None]
    chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        done = sum(pool.map(_round_trip, chunks, [visit] * len(chunks)))
    print(f"{done} files parsed{', visited' if visit else ''} and printed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
