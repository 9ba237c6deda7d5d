"""Credential redaction: what every message, log line and label that may name a URL goes through."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"

# Query parameters that carry a credential (OpenWeatherMap's is `appid`).
SECRET_PARAMS = ("appid", "api_key", "apikey", "key", "token", "access_token", "password",
                 "passwd", "secret", "client_secret", "auth", "signature")  # fmt: skip

# scheme://user:password@ or scheme://:password@ or scheme://token@: everything before the `@`
# of an authority, kept out of the text whatever it is. A `/` may be part of it: a password
# that was not percent-encoded makes a URL that fails to parse, and its error shows it.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^\s@'\"<>]+)@")
_PARAM = re.compile(
    r"(?P<name>[?&;](?:" + "|".join(SECRET_PARAMS) + r"))=(?P<value>[^&#\s'\"<>]*)",
    re.IGNORECASE,
)
# Shorter values would mask ordinary words ("on", "0") wherever they appear.
_MIN_SECRET = 4


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every URL's credentials masked and every known secret value replaced.

    Known secrets are also found URL-encoded (a key with `+` or `/` in a query string)."""
    text = _USERINFO.sub(_masked_userinfo, text)
    text = _PARAM.sub(lambda m: f"{m['name']}={MASK}", text)
    for secret in secrets:
        for form in _forms(secret):
            text = text.replace(form, MASK)
    return text


def _masked_userinfo(match: re.Match[str]) -> str:
    user, has_password, _ = match["userinfo"].partition(":")
    if has_password:
        return f"{match['scheme']}{user}:{MASK}@" if user else f"{match['scheme']}:{MASK}@"
    return f"{match['scheme']}{MASK}@"  # a lone userinfo may itself be a token


def _forms(secret: str) -> set[str]:
    if len(secret) < _MIN_SECRET:
        return set()
    return {secret, quote(secret, safe=""), quote_plus(secret)}
