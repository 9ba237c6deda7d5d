"""TracedBudget: an UpstreamBudget decorator whose spans show each admission decision."""

from __future__ import annotations

from opentelemetry import trace

from adapters.observability.tracing import server_span
from domain.model.admission import Priority
from domain.model.errors import UpstreamBudgetSpent
from ports.budget import UpstreamBudget

SPAN = "skycache.budget"
ADMISSION = "skycache.admission"


class TracedBudget(UpstreamBudget):
    """spend: "admitted", "probe" (the one call let through to a closed upstream) or
    "refused", also set on the request's server span when one is running."""

    def __init__(self, inner: UpstreamBudget, tracer: trace.Tracer) -> None:
        self._inner = inner
        self._tracer = tracer

    async def spend(self, upstream: str, priority: Priority, weight: float = 1.0) -> bool:
        attributes = {
            "skycache.budget.upstream": upstream,
            "skycache.admission.priority": priority.value,
        }
        with self._tracer.start_as_current_span(SPAN, attributes=attributes) as span:
            try:
                probe = await self._inner.spend(upstream, priority, weight)
            except UpstreamBudgetSpent as refused:
                _decided(span, "refused")
                if refused.retry_after_s is not None:
                    span.set_attribute("skycache.budget.retry_after_s", refused.retry_after_s)
                raise
            _decided(span, "probe" if probe else "admitted")
            return probe

    async def close(self, upstream: str, until: float) -> None:
        await self._inner.close(upstream, until)

    async def reopen(self, upstream: str) -> None:
        await self._inner.reopen(upstream)


def _decided(span: trace.Span, decision: str) -> None:
    span.set_attribute(ADMISSION, decision)
    request = server_span()
    if request is not None:
        request.set_attribute(ADMISSION, decision)
