"""The HTTP edge keeps its shape: features in folders, and each unit test beside the
module it is named after."""

from __future__ import annotations

from tests.unit.layout import ROOT, orphan_tests

HTTP = ROOT / "entrypoints" / "http"
TESTS = ROOT / "tests" / "unit" / "entrypoints" / "http"
MAX_TOP_LEVEL_MODULES = 8


def test_the_http_edge_keeps_at_most_eight_modules_at_its_top() -> None:
    modules = sorted(path.name for path in HTTP.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_every_http_unit_test_is_named_after_a_module_at_the_same_path() -> None:
    assert orphan_tests(HTTP, TESTS) == []
