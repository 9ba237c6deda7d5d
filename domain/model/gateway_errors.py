"""The gateway's refusal: a 400 whose reason is worded as Open-Meteo words its own."""

from __future__ import annotations

from domain.model.errors import InvalidQuery


class GatewayBadRequest(InvalidQuery):
    """An Open-Meteo request Skycache will not forward; `reason` goes to the client as
    Open-Meteo's `{"error": true, "reason": ...}`."""
