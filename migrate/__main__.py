"""Entry point: `python -m migrate PATH...`."""

import signal
import sys

# A Ctrl-C while libcst's classes are being built breaks the import half-way (a RuntimeError,
# not a KeyboardInterrupt): remember it, let the imports finish, then stop cleanly.
_ctrl_c: list[int] = []
signal.signal(signal.SIGINT, lambda signum, frame: _ctrl_c.append(signum))
from migrate.cli import main  # noqa: E402

signal.signal(signal.SIGINT, signal.default_int_handler)
if _ctrl_c:
    print("interrupted: 0 files written, before any file was read", file=sys.stderr)
    raise SystemExit(130)

if __name__ == "__main__":
    raise SystemExit(main())
