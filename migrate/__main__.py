"""Entry point: `python -m migrate PATH...`."""

import sys

try:
    from migrate.cli import main
except KeyboardInterrupt:  # Ctrl-C while the imports load: nothing was touched yet
    print("interrupted: 0 files written, 0 not processed", file=sys.stderr)
    raise SystemExit(130) from None

if __name__ == "__main__":
    raise SystemExit(main())
