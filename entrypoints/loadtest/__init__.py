"""`skycache loadtest`: a bounded headless Locust run, by default against a local simulated service.

Locust patches the standard library with gevent when imported, so it only ever runs in its own
process: this package needs nothing beyond the standard library, httpx and the settings.
"""

from entrypoints.loadtest.command import add_arguments, run

__all__ = ["add_arguments", "run"]
