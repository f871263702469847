"""python -m hiili.footprint: see hiili.footprint.cli."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
