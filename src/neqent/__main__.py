"""``python -m neqent``: same as the ``neqent`` console script."""

import sys

from neqent.interface.cli import main

if __name__ == "__main__":
    sys.exit(main())
