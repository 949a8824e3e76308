"""Entry point: `python -m migrate PATH...`."""

from migrate.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
