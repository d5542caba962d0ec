"""`python -m conclab`: the same entry point as the `conclab` launcher."""

from __future__ import annotations

import sys

from conclab.app import main

if __name__ == "__main__":
    sys.exit(main())
