"""PyInstaller's entry script: the frozen app starts here (a package's __main__ cannot)."""

import sys

from desktop_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
