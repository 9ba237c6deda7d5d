"""docs/CONFIGURATION.md is what Settings renders, and every setting has its help text."""

from __future__ import annotations

import pytest

from entrypoints.config_docs import DOC, render
from entrypoints.settings import documented_variables, own_fields
from entrypoints.settings_help import EXTERNAL, HELP, SHOWN_DEFAULTS


def test_the_configuration_reference_is_generated_from_settings() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/CONFIGURATION.md is stale: run `.venv/bin/python -m entrypoints.config_docs`"
    )


def test_every_setting_has_help_and_every_help_names_a_setting() -> None:
    variables = {f.metadata["env"] for f in own_fields()}
    assert sorted(variables - HELP.keys()) == [], "settings without help text"
    assert sorted(HELP.keys() - variables) == [], "help text for variables Settings lacks"
    assert sorted(SHOWN_DEFAULTS.keys() - variables) == []
    assert not EXTERNAL.keys() & set(documented_variables()), "listed as read elsewhere"


def test_each_variable_is_one_row_with_a_default_and_a_meaning() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows]
    assert len(names) == len(set(names)) == len(documented_variables()) + len(EXTERNAL)
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert len(cells) == 3 and all(cells), row


def test_a_stale_reference_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check compares whole texts: one changed help line makes them differ."""
    monkeypatch.setitem(HELP, "WEATHER_TTL", "something else")
    assert render() != DOC.read_text(encoding="utf-8")
