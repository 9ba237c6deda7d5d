"""For the layout tests: the unit tests not named after a module at the same path."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def orphan_tests(source: Path, tests: Path) -> list[str]:
    """Each test_X.py under `tests` must test X.py at the same place under `source`
    (test_layout.py is of its folder itself, not of one module)."""
    orphans = []
    for test in sorted(tests.rglob("test_*.py")):
        if test.name == "test_layout.py":
            continue
        folder = source / test.parent.relative_to(tests)
        if not (folder / test.name.removeprefix("test_")).is_file():
            orphans.append(str(test.relative_to(ROOT)))
    return orphans
