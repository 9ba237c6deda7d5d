"""`skycache k8s-manifests`: print the Kubernetes manifests for Skycache."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable

from entrypoints.kubernetes.checks import OptionError, check
from entrypoints.kubernetes.environment import secret_variables
from entrypoints.kubernetes.manifests import render
from entrypoints.kubernetes.options import Options
from entrypoints.settings import documented_variables
from entrypoints.settings_help import EXTERNAL

DEFAULTS = Options()
# Set by the manifests themselves, or by their own option.
_MANAGED = {"REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_CLUSTER_NODES",
            "SKYCACHE_RUN_DIR", "SKYCACHE_WORKERS"}  # fmt: skip


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    if name in secret_variables():
        raise argparse.ArgumentTypeError(f"{name} is a secret: put it in the Secret")
    if name in _MANAGED:
        raise argparse.ArgumentTypeError(f"{name} is set by its own option")
    if name not in [*documented_variables(), *EXTERNAL]:
        raise argparse.ArgumentTypeError(f"{name} is not a Skycache setting")
    return name, value


def _count(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number {low} to {high}")
        return int(text)

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--namespace", default=DEFAULTS.namespace, help="namespace of every object")
    add("--image", default=DEFAULTS.image, help="Skycache's image (pin a tag or digest)")
    add("--replicas", type=_count(1, 1000), default=DEFAULTS.replicas,
        help="fewest pods (the HPA's minimum)")  # fmt: skip
    add("--max-replicas", type=_count(1, 1000), default=DEFAULTS.max_replicas,
        help="the HPA's maximum")  # fmt: skip
    add("--workers", type=_count(1, 32), default=DEFAULTS.workers,
        help="uvicorn workers per pod (SKYCACHE_WORKERS; 500m of CPU requested each)")  # fmt: skip
    add("--redis-url", default=DEFAULTS.redis_url, help="REDIS_URL without its password")
    add("--redis-auth", action=argparse.BooleanOptionalAction, default=True,
        help="take REDIS_URL's password from the Secret's REDIS_PASSWORD")  # fmt: skip
    add("--redis-sentinels", default="", metavar="HOST:PORT,...", help="REDIS_SENTINELS")
    add("--redis-sentinel-master", default="", help="REDIS_SENTINEL_MASTER")
    add("--redis-cluster-nodes", default="", metavar="HOST:PORT,...", help="REDIS_CLUSTER_NODES")
    add("--secret", dest="secret_name", default=DEFAULTS.secret_name,
        help="the Secret holding REDIS_PASSWORD and the API keys")  # fmt: skip
    add("--edge", action="store_true", help="add the nginx edge tier (edge-config's file)")
    add("--env", type=_setting, action="append", default=[], metavar="NAME=VALUE",
        help="another setting for the ConfigMap (repeat)")  # fmt: skip


def options_of(args: argparse.Namespace) -> Options:
    fields = {f.name for f in dataclasses.fields(Options)}
    given = {k: v for k, v in vars(args).items() if k in fields}
    return Options(**(given | {"env": tuple(args.env)}))


def command_line(options: Options) -> str:
    """The command that prints these manifests: the options that differ from the defaults."""
    words = ["skycache k8s-manifests"]
    for f in dataclasses.fields(Options):
        value, flag = getattr(options, f.name), "--" + f.name.replace("_", "-")
        if value == getattr(DEFAULTS, f.name):
            continue
        if f.name == "env":
            words += [f"--env {name}={setting}" for name, setting in value]
        elif isinstance(value, bool):
            words.append(flag if value else flag.replace("--", "--no-", 1))
        else:
            words.append(f"{'--secret' if f.name == 'secret_name' else flag} {value}")
    return " ".join(words)


def run(args: argparse.Namespace) -> int:
    try:
        options = check(options_of(args))
    except OptionError as error:
        print(f"skycache: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(render(options, command_line(options)))
    return 0
