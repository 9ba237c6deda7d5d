"""Logging: one JSON object per line on stderr, for the CLI, uvicorn and every worker."""

from __future__ import annotations

import logging
import logging.config
import time
from collections.abc import Iterable
from typing import Any

import msgspec

from adapters.observability.redaction import redact

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged
# (but uvicorn's `color_message`, the same message with terminal colour codes).
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_ENCODER = msgspec.json.Encoder(enc_hook=str)


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "pid", "msg", ...extras, "exc"?}: one line, even for tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which worker
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                line[key] = value
        if record.exc_text:
            line["exc"] = record.exc_text
        elif record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line).decode()


class RedactingFilter(logging.Filter):
    """Masks credentials in every record: URLs' passwords and secret query parameters, and
    the configured secret values, wherever they appear (the message, its arguments, extras,
    a traceback). Installed on the one handler, it covers every library's records too:
    httpx logs each request's full URL, `appid=<key>` included."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg = redact(record.getMessage(), self._secrets)
            record.args = None
        except Exception:  # a bad format string: the handler reports it, unformatted
            record.msg = redact(str(record.msg), self._secrets)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value, self._secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


_last_second: list[Any] = [None, ""]  # strftime once a second, not once a line


def timestamp(created: float) -> str:
    second = int(created)
    if _last_second[0] != second:
        _last_second[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))]
    return f"{_last_second[1]}.{int(created % 1 * 1000):03d}Z"


def log_config(level: str, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A dictConfig for uvicorn's `log_config`, which it applies again in each worker.

    `secrets` are masked in every line (see RedactingFilter)."""
    level = level.upper()
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["redact"],
        "stream": "ext://sys.stderr",
    }
    own = {"handlers": ["default"], "level": level, "propagate": False}
    # httpx's "HTTP Request: GET <url>" line for every upstream call repeats what the metrics
    # and the failure warnings say; kept (redacted) for debugging only.
    quiet = {"level": level if level == "DEBUG" else "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"redact": {"()": RedactingFilter, "secrets": list(secrets)}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": own,
            "uvicorn.error": {"level": level},
            "uvicorn.access": own,
            "httpx": quiet,
            "httpcore": quiet,
        },
    }


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    logging.config.dictConfig(log_config(level, secrets))
