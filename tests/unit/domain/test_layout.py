"""The domain's unit tests mirror its tree: each one is named after the module it tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = ROOT / "domain"
TESTS = ROOT / "tests" / "unit" / "domain"


def test_every_domain_unit_test_is_named_after_a_module_at_the_same_path() -> None:
    orphans = []
    for test in sorted(TESTS.rglob("test_*.py")):
        if test.name == "test_layout.py":  # of the folder itself, not of one module
            continue
        folder = DOMAIN / test.parent.relative_to(TESTS)
        if not (folder / test.name.removeprefix("test_")).is_file():
            orphans.append(str(test.relative_to(ROOT)))
    assert orphans == []
