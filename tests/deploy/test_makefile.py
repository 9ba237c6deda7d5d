"""`make run` installs what serving needs; the test tools come with `make test` only."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def recipe(target: str) -> tuple[str, list[str]]:
    """A Makefile rule's prerequisites and its recipe lines."""
    text = (ROOT / "Makefile").read_text()
    rule = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", text, re.MULTILINE)
    assert rule is not None, f"no rule for {target}"
    return rule[1].strip(), [line.strip() for line in rule[2].splitlines()]


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line and "--upgrade pip" not in line]


def test_make_run_installs_the_project_without_extras_within_the_lock() -> None:
    prerequisites, _ = recipe("run")
    assert prerequisites == "$(BIN)/skycache"
    _, lines = recipe("$(BIN)/skycache")
    assert installs(lines) == ["$(BIN)/pip install --quiet -c requirements.lock -e ."]


def test_make_test_adds_the_test_extras_to_the_same_venv() -> None:
    prerequisites, _ = recipe("test")
    assert "$(VENV)/.test-extras" in prerequisites.split()
    extras_prerequisites, lines = recipe("$(VENV)/.test-extras")
    assert extras_prerequisites == "$(BIN)/skycache"
    assert installs(lines) == ["$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'"]
