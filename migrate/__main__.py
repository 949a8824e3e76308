"""Entry point: `python -m migrate PATH...`."""

import os
import signal
import sys

# A Ctrl-C while libcst's classes are being built breaks the import half-way (a RuntimeError,
# not a KeyboardInterrupt): remember it, let the imports finish, then stop cleanly.
_ctrl_c: list[int] = []
signal.signal(signal.SIGINT, lambda signum, frame: _ctrl_c.append(signum))
from migrate.cli import EXIT_INTERRUPTED, main  # noqa: E402

signal.signal(signal.SIGINT, signal.default_int_handler)
if _ctrl_c:
    print("interrupted: 0 files written, before any file was read", file=sys.stderr)
    raise SystemExit(130)

if __name__ == "__main__":
    code = main()
    if code == EXIT_INTERRUPTED:
        # Every file is original or fully written and the workers are stopped: leave now, not
        # through the interpreter's shutdown, where concurrent.futures' exit hook can race its
        # own manager thread over a pipe a Ctrl-C left half closed (CPython 3.11 printed
        # "Exception ignored ... OSError: Bad file descriptor" after the "interrupted:" line).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)
