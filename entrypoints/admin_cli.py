"""`skycache purge CITY` and `skycache warm CITY...`: cache admin from the command line.

They open the same services as the HTTP app (entrypoints/container.py) against the shared
Redis, so a purge reaches every instance (their near caches within a second) and a warm
goes through the stampede guard and the upstream budget every instance shares."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from domain.model.errors import CacheUnavailable, InvalidCity
from domain.model.query import WeatherQuery
from entrypoints import logging_setup
from entrypoints.settings import Settings, SettingsError

if TYPE_CHECKING:  # the container imports prometheus_client: only when a command runs
    from entrypoints.http.services import HttpServices

Action = Callable[["HttpServices"], Awaitable[int]]
# cli.add_command bound to the `skycache` command's subparsers: (name, handler, help=...).
AddCommand = Callable[..., argparse.ArgumentParser]


def add_commands(add_command: AddCommand) -> None:
    purge = add_command(
        "purge",
        run_purge,
        help="forget one city's cached weather on every instance",
        description="Delete CITY's entry from the shared cache (Redis): every instance "
        "misses on its next request for it, once its near cache (NEAR_CACHE_TTL) lets go.",
    )
    purge.add_argument("city", help="the city, as in /weather?city=")
    warm = add_command(
        "warm",
        run_warm,
        help="fetch cities into the cache now",
        description="Fetch each CITY not already fresh in the shared cache, through the "
        "stampede guard (one fetch per city, cluster-wide) and the upstream budget.",
    )
    warm.add_argument("cities", nargs="+", metavar="CITY")


def run_purge(args: argparse.Namespace) -> int:
    queries = _parse([args.city])
    if queries is None:
        return 2

    async def purge(services: HttpServices) -> int:
        if not (await services.purge_city(queries[0])).shared:
            print("skycache: the shared cache did not answer: nothing purged there",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"purged {queries[0].city}")
        return 0

    return _run(purge)


def run_warm(args: argparse.Namespace) -> int:
    queries = _parse(args.cities)
    if queries is None:
        return 2

    async def warm(services: HttpServices) -> int:
        warmed = await services.warm_cities(queries)
        for each in warmed:
            print(f"{each.city}: {each.outcome}" + (f" ({each.detail})" if each.detail else ""))
        return 0 if all(each.stored for each in warmed) else 1

    return _run(warm)


def _parse(cities: list[str]) -> list[WeatherQuery] | None:
    try:
        return [WeatherQuery.parse(city) for city in cities]
    except InvalidCity as error:
        print(f"skycache: {error}", file=sys.stderr)
        return None


def _run(action: Action) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"skycache: configuration error: {error}", file=sys.stderr)
        return 2
    logging_setup.configure(settings.log_level, settings.secrets())
    try:
        return asyncio.run(_on_shared_cache(settings, action))
    except CacheUnavailable as error:
        print(f"skycache: the shared cache does not answer: {error}", file=sys.stderr)
        return 1


async def _on_shared_cache(settings: Settings, action: Action) -> int:
    from dependency_injector import providers

    from entrypoints.container import Container, opened_services

    container = Container()
    container.settings.override(providers.Object(settings))
    async with opened_services(container) as services:
        health = await services.check_health()
        if not health.shared_cache_ok:
            # A purge or warm of this process's own memory would reach no server.
            print("skycache: Redis does not answer (REDIS_URL): nothing shared to act on",
                  file=sys.stderr)  # fmt: skip
            return 1
        return await action(services)
