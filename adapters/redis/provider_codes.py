"""Provider names as the cache's envelope stores them: a one-byte code for each known one."""

from __future__ import annotations

import msgspec

# Append-only: a code, once written, names the same provider for as long as Redis keeps it
# (tests/unit/test_envelope_versions.py holds every code given so far). A name without a
# code (a chain, a provider added later) is stored as text; a code this version does not
# know (a later version's) makes the envelope another version's, never a guess. Kept here,
# not in each provider's SPEC: a provider removed from the registry keeps its code.
PROVIDER_CODES = {"open-meteo": 1, "openweathermap": 2, "simulated": 3}
_PROVIDER_OF = {code: name for name, code in PROVIDER_CODES.items()}


def provider_code(name: str) -> int | str:
    """Ten bytes fewer per city than "open-meteo" in full."""
    return PROVIDER_CODES.get(name, name)


def provider_name(stored: int | str) -> str:
    """Raises msgspec.DecodeError for a code this version does not know."""
    if isinstance(stored, str):
        return stored
    name = _PROVIDER_OF.get(stored)
    if name is None:
        raise msgspec.DecodeError(f"provider code {stored} is a later version's")
    return name
