"""The Cache-Control of answers that hold only for their moment: /stats, /healthz, /metrics,
/weather/batch."""

from __future__ import annotations

from litestar.datastructures import CacheControlHeader

NO_STORE = CacheControlHeader(no_store=True)
