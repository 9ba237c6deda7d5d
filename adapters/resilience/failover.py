"""FailoverProvider: an ordered list of providers; the first one that answers serves."""

from __future__ import annotations

from collections.abc import Sequence

from domain.model.admission import UpstreamCall
from domain.model.errors import (
    CityNotFound,
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamBudgetSpent,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from ports.provider import WeatherProvider


class FailoverProvider(WeatherProvider):
    """Rules:
    - providers are asked in their configured order; one that raises UpstreamUnavailable
      (5xx, 429, timeouts, a bad body or key, its breaker open) hands over to the next;
    - the answer keeps the name of the provider that gave it (Weather.provider);
    - the first provider's CityNotFound is final: asking the next one too would double
      the upstream calls for every typo and every junk name a client sends, and the
      negative answer is cached for NEGATIVE_TTL anyway;
    - a later provider's CityNotFound, heard only because those before it failed, ends
      the search too but is not final (CityNotFound.final False): that provider may not
      know a city the first one does, so it must neither be cached nor replace a copy;
    - each provider is expected to fail fast by itself while it is known to be down (the
      ProtectedProvider around it does, without I/O, while its breaker is open), so no
      provider is skipped here on healthy(): a breaker that is half-open reports
      unhealthy, and skipping it would never send the one probe call through which
      traffic returns to the first provider once it has recovered;
    - when every provider fails, the error names each one's reason.
    """

    def __init__(self, providers: Sequence[WeatherProvider]) -> None:
        if not providers:
            raise ValueError("a failover needs at least one provider")
        self.providers = tuple(providers)
        self.name = ",".join(p.name for p in self.providers)

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        errors: list[tuple[str, UpstreamUnavailable]] = []
        for provider in self.providers:
            try:
                return await provider.current(query, call)
            except UpstreamUnavailable as error:
                errors.append((provider.name, error))
            except CityNotFound as error:
                if not errors:
                    raise
                raise _unconfirmed(provider.name, errors) from error
        raise _every_one_failed(errors) from errors[-1][1]

    def healthy(self) -> bool:
        """Whether some provider can answer: one sick provider is what failover is for."""
        return any(p.healthy() for p in self.providers)


def _unconfirmed(name: str, errors: list[tuple[str, UpstreamUnavailable]]) -> CityNotFound:
    failed = "; ".join(f"{failed}: {e.reason}" for failed, e in errors)
    return CityNotFound(f"{name} knows no such city ({failed})", final=False)


def _every_one_failed(errors: list[tuple[str, UpstreamUnavailable]]) -> UpstreamUnavailable:
    reason = "every provider failed: " + "; ".join(f"{name}: {e.reason}" for name, e in errors)
    waits = [e.retry_after_s for _, e in errors if e.retry_after_s is not None]
    # When the first of them may be back; unknown if any one of them did not say.
    retry_after_s = min(waits) if len(waits) == len(errors) else None
    # An upstream call was made if any provider's protection let one out.
    attempted = any(e.attempted for _, e in errors)
    kinds = {type(e) for _, e in errors}
    # A shared, more precise kind is kept, so that the HTTP status stays precise too.
    # (UnusableAnswer from every provider: the city's answer is unusable everywhere, and
    # is remembered as such.)
    for kind in (UpstreamBudgetSpent, UpstreamRateLimited, UnusableAnswer, UpstreamBadResponse):
        if all(issubclass(k, kind) for k in kinds):
            return kind(reason, retry_after_s=retry_after_s, attempted=attempted)
    return UpstreamUnavailable(reason, retry_after_s=retry_after_s, attempted=attempted)
