"""`python -m conclab`: the same entry point as the `conclab` launcher."""

from __future__ import annotations

if __name__ == "__main__":
    import sys

    from conclab.app import main

    sys.exit(main())
