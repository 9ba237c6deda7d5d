"""Credentials never survive redaction: URL passwords, secret parameters, known secret values."""

from __future__ import annotations

import io
import json
import logging

import pytest

from adapters.observability.redaction import redact
from entrypoints.logging_setup import JsonFormatter, RedactingFilter
from entrypoints.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("rediss://alice:s3cret@cache:6380/2", "rediss://alice:***@cache:6380/2"),
        ("redis://:s3cret@/0", "redis://:***@/0"),
        ("redis://:not/encoded@h:1/0", "redis://:***@h:1/0"),
        ("https://tok3n@example.org/x", "https://***@example.org/x"),
        (
            "GET https://api.openweathermap.org/data/2.5/weather?q=Boise&appid=k3y&units=metric",
            "GET https://api.openweathermap.org/data/2.5/weather?q=Boise&appid=***&units=metric",
        ),
        (
            "http://h/x?API_KEY=a&token=b&password=c",
            "http://h/x?API_KEY=***&token=***&password=***",
        ),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("no url here: a key to the city", "no url here: a key to the city"),
    ],
)
def test_urls_lose_their_passwords_and_secret_parameters(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_known_secrets_are_masked_anywhere_also_url_encoded() -> None:
    secret = "k/ey+with space"
    text = f"raw {secret}, quoted k%2Fey%2Bwith%20space, plus k%2Fey%2Bwith+space"
    shown = redact(text, [secret])
    assert "k/ey" not in shown and "k%2Fey" not in shown
    assert shown.count("***") == 3


def test_a_very_short_secret_is_not_masked_in_every_word() -> None:
    assert redact("on and on", ["on"]) == "on and on"


def test_a_bad_redis_url_is_refused_without_echoing_its_password() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"REDIS_URL": "redis://:s3cret@/0"})
    assert "s3cret" not in str(refused.value)
    assert "REDIS_URL='redis://:***@/0'" in str(refused.value)


def test_the_settings_know_their_secrets_the_api_key_and_the_redis_password() -> None:
    settings = Settings.from_env(
        {
            "WEATHER_PROVIDER": "openweathermap",
            "OPENWEATHER_API_KEY": "owm-key-123",
            "REDIS_URL": "redis://user:p%40ss@h:1/0",
        }
    )
    assert set(settings.secrets()) == {"owm-key-123", "p%40ss", "p@ss"}
    assert "owm-key-123" not in repr(settings)


def _logged(secrets: list[str], emit: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        assert callable(emit)
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_every_part_of_a_log_record_is_redacted_message_args_extras_and_traceback() -> None:
    def emit(logger: logging.Logger) -> None:
        logger.warning("HTTP Request: %s", "GET http://h/w?appid=sekrit-key&q=x")
        logger.warning("to %s", "redis://:pa55word@h/0", extra={"url": "x?token=sekrit-key"})
        try:
            raise RuntimeError("failed with sekrit-key")
        except RuntimeError:
            logger.exception("boom")

    out = _logged(["sekrit-key", "pa55word"], emit)
    assert "sekrit-key" not in out and "pa55word" not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["msg"] == "HTTP Request: GET http://h/w?appid=***&q=x"
    assert lines[1]["msg"] == "to redis://:***@h/0" and lines[1]["url"] == "x?token=***"
    assert "RuntimeError: failed with ***" in lines[2]["exc"]
