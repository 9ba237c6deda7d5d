"""Fixtures shared by the unit tests: a fake clock, and the provider guard's pauses."""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeClock
from tests.unit.scripted_provider import Pauses


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()
