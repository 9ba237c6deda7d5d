"""`python -m skycache`: the `skycache` command, for subprocesses and where no script is on PATH."""

import sys

from skycache import main

sys.exit(main())
