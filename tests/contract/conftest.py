"""Time for the contract suites: one fake clock a test, and the way to let time pass."""

from __future__ import annotations

import pytest

from tests.contract.elapse import Elapse, elapse_for
from tests.unit.fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def elapse(request: pytest.FixtureRequest, clock: FakeClock) -> Elapse:
    return elapse_for(request, clock)
