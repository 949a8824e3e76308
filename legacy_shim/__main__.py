"""Zero-change runner: ``python -m legacy_shim app.py [args]`` / ``python -m legacy_shim -m module [args]``.

Applies the shim, then runs the script or module exactly as ``python`` would
(``__name__ == "__main__"``, ``sys.argv`` as the app expects). ``--list`` prints the
patch table and what applied here; ``--report PATH`` writes the JSON report (patches
and the legacy call sites hit) when the process exits (``{pid}`` in PATH is replaced,
for multi-process servers). Under ``-m gunicorn`` the shim is re-applied in every
worker, since workers import the app after fork.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

from legacy_shim import app_style


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m legacy_shim",
        description="Run a legacy TF1/Keras-2 app unmodified with legacy_shim applied first.",
    )
    parser.add_argument("--list", action="store_true", help="print each patch, applied or skipped and why, and exit")
    parser.add_argument("--report", metavar="PATH", help="write the JSON report at exit ({pid} is replaced)")
    parser.add_argument("-m", dest="module", metavar="MODULE", help="run a library module as a script (like python -m)")
    parser.add_argument("script", nargs="?", help="the app's script")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the app")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the script / -m MODULE belongs to the app, flags included.
    split = app_style.runner_app_start(argv)
    options = _parser().parse_args(argv[:split])
    rest = argv[split:]
    if options.report:
        os.environ["LEGACY_SHIM_REPORT"] = options.report

    import legacy_shim
    from legacy_shim import settings

    settings.current.report_path = options.report or settings.current.report_path
    if options.list:
        from legacy_shim.patches import PATCHES

        report = legacy_shim.report()
        outcomes = report.patches
        print(f"mode: {report.mode}")
        status = {o.id: o for o in outcomes}
        for patch in PATCHES:
            o = status.get(patch.id)
            print(f"{patch.id}: {o.status if o else 'not applied'}")
            print(f"    target:      {patch.target}")
            print(f"    replacement: {patch.replacement}")
            print(f"    why:         {patch.why}")
            if o and o.status != "applied":
                print(f"    detail:      {o.detail}")
        return 0
    if options.module:
        sys.argv = [options.module] + rest
        runpy.run_module(options.module, run_name="__main__", alter_sys=True)
        return 0
    if not rest:
        _parser().print_usage(sys.stderr)
        print("python -m legacy_shim: give a script or -m MODULE", file=sys.stderr)
        return 2
    script = rest[0]
    sys.argv = rest
    # As `python script.py` does: the script's folder first on the path.
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
