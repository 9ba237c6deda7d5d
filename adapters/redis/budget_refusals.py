"""What the shared windows last refused, for this process to go on refusing alone.

A refusal from Redis says the shared window has no room for those ceilings until its
`wait_s` has passed, whoever spent it. A worker whose next call then times out decides
alone, against its share, which counts only its own spend: without this, each worker the
shared window had refused could admit up to its whole share again (one client's flood of
invented names, under CPU load: the limit overshot by what the timed-out worker had not
spent itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.redis.budget_windows import Ceiling

Asked = tuple[str, tuple[Ceiling, ...]]


@dataclass(slots=True)
class Refusals:
    """Per name and ceilings (a priority's refusal says nothing of a higher one's room)."""

    _until: dict[Asked, float] = field(default_factory=dict)
    _next_sweep: float = 0.0

    def refused(self, asked: Asked, until: float) -> None:
        self._until[asked] = max(until, self._until.get(asked, 0.0))

    def wait_s(self, asked: Asked, now: float) -> float:
        """Seconds until the shared window, as last heard, may have room (0: it may now)."""
        self._sweep(now)
        return max(self._until.get(asked, 0.0) - now, 0.0)

    def _sweep(self, now: float) -> None:
        """Once a minute, forget the refusals that have ended: clients come and go."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60.0
        self._until = {asked: until for asked, until in self._until.items() if until > now}
