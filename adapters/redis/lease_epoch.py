"""After Redis comes back empty, new leases wait a short quiet period.

A restart without persistence drops every lease while its holders go on fetching. Each
holder re-asserts its lease at its next extend (the extend script re-creates a missing
lease for its own token), tried again every REASSERT_S after a failed one
(domain/use_cases/keepalive.py). So that no other process takes one of those keys first,
new leases wait QUIET_S after Redis came back, as Redis' advice on restarting without
persistence says ("delayed restarts"). The dataset is told by a marker key
(keys.LEASE_EPOCH_KEY) that the acquire script sets, with Redis' time, when it is missing:
a process that first saw another marker is refused new leases until QUIET_S after it was
set. Comparing with the first marker seen, not the last, keeps every process quiet for
the whole period, however early in it it looked.
"""

from __future__ import annotations

import secrets

from domain.model.deadlines import RESTART_QUIET_S

# At least the re-assert delay (REASSERT_S, plus a failed attempt's connect timeout); a
# waiter's deadline allows for it (domain/model/deadlines.py).
QUIET_S = RESTART_QUIET_S


class LeaseEpoch:
    """The dataset this process saw first; the acquire script compares it with Redis'."""

    def __init__(self, quiet_s: float = QUIET_S) -> None:
        self._quiet_ms = max(round(quiet_s * 1000), 1)
        self._first = ""  # none yet: a process that never saw an older dataset has no holders

    def args(self) -> list[str | int]:
        """The first dataset seen, an id should the script set a marker, the quiet period."""
        return [self._first, secrets.token_hex(8), self._quiet_ms]

    def saw(self, epoch: bytes | str) -> None:
        if not self._first:
            self._first = epoch.decode() if isinstance(epoch, bytes) else epoch
