"""``python -m sim`` is the ``casim`` command."""

import sys

from sim.cli import main

sys.exit(main())
