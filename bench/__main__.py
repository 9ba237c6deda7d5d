"""`python -m bench` runs the HTTP benchmark (bench/http.py)."""

import sys

from bench.http import main

sys.exit(main())
