"""The domain's unit tests mirror its tree: each one is named after the module it tests."""

from __future__ import annotations

from tests.unit.layout import ROOT, orphan_tests


def test_every_domain_unit_test_is_named_after_a_module_at_the_same_path() -> None:
    assert orphan_tests(ROOT / "domain", ROOT / "tests" / "unit" / "domain") == []
