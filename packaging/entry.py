"""Entry script of the frozen bundle: the same start-up as the `conclab` launcher.

`freeze_support()` must run first: worker processes of a frozen app are started by re-running this
executable, and it turns those runs into workers before any Qt code is imported.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from conclab.app import main

    sys.exit(main())
