"""`skycache config`: every setting's effective value and where it came from, secrets masked."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from adapters.observability.redaction import MASK, redact
from entrypoints.settings import Settings, SettingsError, is_secret


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    variable: str
    value: Any
    source: str  # "env" or "default"


def rows(settings: Settings, env: Mapping[str, str]) -> list[Row]:
    """One row per environment variable Settings reads, in the order it declares them."""
    table = []
    for f in dataclasses.fields(Settings):
        name = f.metadata["env"]
        value = getattr(settings, f.name)
        # Each reader treats a blank variable as unset, and so does this.
        source = "env" if env.get(name, "").strip() else "default"
        if is_secret(f):
            value = MASK if value else ""
        elif isinstance(value, str):
            value = redact(value)
        table.append(Row(name, value, source))
    return table


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "(none)"


def table(config: list[Row]) -> str:
    width = max(len(row.variable) for row in config)
    value_width = max(len(_shown(row.value)) for row in config)
    lines = [f"{'VARIABLE':<{width}}  {'VALUE':<{value_width}}  SOURCE"]
    lines += [
        f"{row.variable:<{width}}  {_shown(row.value):<{value_width}}  {row.source}"
        for row in config
    ]
    return "\n".join(lines)


def as_json(config: list[Row]) -> str:
    return json.dumps(
        {row.variable: {"value": row.value, "source": row.source} for row in config}, indent=2
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"skycache: configuration error: {error}", file=sys.stderr)
        return 2
    config = rows(settings, os.environ)
    print(as_json(config) if args.json else table(config))
    return 0
