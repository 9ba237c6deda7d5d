"""`skycache edge-config`: print the edge tier's nginx configuration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from entrypoints.edge.nginx_config import parse_address, parse_state_dir, render, state_dirs


def _address(text: str) -> object:
    try:
        return parse_address(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _state_dir(text: str) -> Path:
    try:
        return parse_state_dir(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", type=_address, required=True, metavar="HOST:PORT", help="where nginx listens"
    )
    parser.add_argument(
        "--instance",
        type=_address,
        action="append",
        required=True,
        metavar="HOST:PORT",
        help="a Skycache instance (repeat for each; least-connections between them)",
    )
    parser.add_argument(
        "--dir",
        type=_state_dir,
        required=True,
        help="writable state directory: cache, temp files, pid, logs (made if missing)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        for path in state_dirs(args.dir):
            path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"skycache: cannot prepare {args.dir}: {error.strerror}", file=sys.stderr)
        return 2
    sys.stdout.write(render(args.listen, args.instance, args.dir))
    return 0
