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
from entrypoints.settings import (
    Settings,
    SettingsError,
    is_secret,
    own_fields,
    provider_variables,
)


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    variable: str
    value: Any
    source: str  # "env" or "default"


def rows(settings: Settings, env: Mapping[str, str]) -> list[Row]:
    """One row per environment variable Settings reads, in the order it declares them."""
    table = []
    derived = _derived_defaults(settings)
    for f in own_fields():
        name = f.metadata["env"]
        value = getattr(settings, f.name)
        if value is None:
            value = derived.get(name, value)
        elif is_secret(f):
            value = MASK if value else ""
        elif isinstance(value, str):
            value = redact(value)
        elif isinstance(value, tuple):  # host:port addresses, as they are written
            value = ",".join(f"{host}:{port}" for host, port in value)
        table.append(Row(name, value, _source(name, env)))
    for variable in provider_variables():
        value = settings.provider_options[variable.env]
        if variable.kind == "secret":
            value = MASK if value else ""
        table.append(Row(variable.env, redact(value), _source(variable.env, env)))
    return table


def _source(name: str, env: Mapping[str, str]) -> str:
    # Each reader treats a blank variable as unset, and so does this.
    return "env" if env.get(name, "").strip() else "default"


def _derived_defaults(settings: Settings) -> dict[str, str]:
    """What an unset variable means in force: each provider's free tier, the miss budget
    the providers call for, and the waiters' deadline (docs/TIMING.md)."""
    # Imported here: the container imports prometheus_client, whose first import decides
    # multiprocess mode, and the CLI must not import it before its workers start.
    from entrypoints.wiring.upstream import budget_limits, miss_limit

    limits = budget_limits(settings)
    shown = {}
    for label in ("minute", "hour", "day", "month"):
        tiers = [
            f"{provider} {next((x.calls for x in own if x.label == label), 'unlimited')}"
            for provider, own in limits.items()
        ]
        shown[f"UPSTREAM_MAX_PER_{label.upper()}"] = ", ".join(tiers) + " (free tier)"
    misses = miss_limit(settings)
    shown["UPSTREAM_MISSES_PER_CLIENT"] = (
        f"{misses.calls}/{misses.label}" if misses else "unlimited (simulated only)"
    )
    shown["LOCK_WAIT_TIMEOUT"] = f"{settings.deadlines.waiter_s:g} (derived)"
    return shown


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):  # host and port pairs, as REDIS_CLUSTER_NODES is written
        return ",".join(f"{host}:{port}" for host, port in value) or "(none)"
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
