"""Entry point of `python -m automation`."""

import sys

from automation.cli import main

sys.exit(main())
