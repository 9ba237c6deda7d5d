"""Logging: one JSON object per line on stderr, for the CLI, uvicorn and every worker."""

from __future__ import annotations

import logging
import logging.config
import time
from typing import Any

import msgspec

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
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line).decode()


_last_second: list[Any] = [None, ""]  # strftime costs ~1 µs; one call per second will do


def timestamp(created: float) -> str:
    second = int(created)
    if _last_second[0] != second:
        _last_second[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))]
    return f"{_last_second[1]}.{int(created % 1 * 1000):03d}Z"


def log_config(level: str) -> dict[str, Any]:
    """A dictConfig for uvicorn's `log_config`, which it applies again in each worker."""
    level = level.upper()
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    own = {"handlers": ["default"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {"uvicorn": own, "uvicorn.error": {"level": level}, "uvicorn.access": own},
    }


def configure(level: str) -> None:
    logging.config.dictConfig(log_config(level))
