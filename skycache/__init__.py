"""The one top-level name an installed Skycache claims in site-packages.

The code lives in the card's layers, `domain`, `ports`, `adapters` and `entrypoints`, and
imports them by those names. Installed as top-level packages they would collide with
unrelated distributions of the same names on the package index (`entrypoints` is a
well-known one, `adapters` another): whichever was installed last would overwrite the
other's files. So the wheel puts the layers under `skycache/_layers/` (not on sys.path), and
every way into Skycache (the `skycache` command, `python -m skycache`, uvicorn's worker
processes, which inherit sys.path) first puts that folder on sys.path for this process
only. In a source checkout (tests, an editable install) the layers are the checkout's
top-level folders, and the checkout's root is the folder put on the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def layers_root() -> Path:
    """Where `domain/`, `ports/`, `adapters/` and `entrypoints/` are: inside the installed
    package, or the source checkout this file belongs to."""
    installed = _HERE / "_layers"
    return installed if installed.is_dir() else _HERE.parent


def use_layers() -> None:
    root = str(layers_root())
    if root not in sys.path:
        sys.path.insert(0, root)


def main() -> int:
    use_layers()
    from entrypoints.cli import main as cli_main

    return cli_main()
