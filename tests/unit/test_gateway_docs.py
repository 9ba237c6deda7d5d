"""docs/GATEWAY.md says what the gateway does: its parameter table is the parser's own, and
each refusal it shows is the parser's answer to that query."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl

import pytest

from domain.model.gateway import Api, GatewayBadRequest, parse_request
from tests.support.gateway_reference import PAGE, render, rewrite

_REFUSAL = re.compile(r"^\| `(?P<query>latitude=[^`]*)` \| `(?P<reason>[^`]*)` \|$", re.MULTILINE)


def test_the_parameter_table_is_rendered_from_the_parsers_tables() -> None:
    page = PAGE.read_text()
    assert render() in page, "regenerate it: python -m tests.support.gateway_reference"
    assert rewrite(page) == page


REFUSALS = _REFUSAL.findall(PAGE.read_text())


def test_the_page_shows_refusals() -> None:
    assert len(REFUSALS) >= 10


@pytest.mark.parametrize(("query", "reason"), REFUSALS)
def test_each_refusal_on_the_page_is_the_parsers(query: str, reason: str) -> None:
    pairs = parse_qsl(query, keep_blank_values=True)
    with pytest.raises(GatewayBadRequest) as refused:
        parse_request(Api.FORECAST, pairs, coord_grid=0.01, today=date(2026, 12, 6))
    assert refused.value.reason == reason
