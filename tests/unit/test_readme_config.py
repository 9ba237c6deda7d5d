"""The README's configuration table and the code agree: every variable, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from entrypoints.settings import documented_variables

README = Path(__file__).resolve().parents[2] / "README.md"
# Read outside Settings: by prometheus_client in each worker, by uvicorn.
EXTRAS = {"PROMETHEUS_MULTIPROC_DIR", "FORWARDED_ALLOW_IPS"}
_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def configuration_rows() -> list[list[str]]:
    """The cells of each table row under "## Configuration" (up to the next "## ")."""
    text = README.read_text(encoding="utf-8")
    start = re.search(r"^## Configuration\s*$", text, re.MULTILINE)
    assert start, 'README.md has no "## Configuration" section'
    following = re.search(r"^## ", text[start.end() :], re.MULTILINE)
    section = text[start.end() : start.end() + following.start() if following else None]
    rows = []
    for line in section.splitlines():
        if line.lstrip().startswith("|"):
            # An escaped pipe (\|) inside a cell is text, not a column border.
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            rows.append([cell.strip() for cell in cells])
    return rows


def table_variables() -> list[str]:
    found = [_NAME.fullmatch(cells[0]) for cells in configuration_rows()]
    return [match.group(1) for match in found if match]


def test_the_readme_lists_every_setting_and_no_other_variable() -> None:
    listed = table_variables()
    expected = set(documented_variables()) | EXTRAS
    assert sorted(expected - set(listed)) == [], "in the code, missing from the README"
    assert sorted(set(listed) - expected) == [], "in the README, unknown to the code"
    assert len(listed) == len(set(listed)), "a variable is listed twice"


def test_every_listed_variable_has_a_default_and_a_meaning() -> None:
    for cells in configuration_rows():
        if _NAME.fullmatch(cells[0]):
            assert len(cells) >= 3 and all(cells[1:3]), f"incomplete row: {cells}"
