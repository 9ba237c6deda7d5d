"""Which process the soak's worker kill picks: the youngest, so its sibling lives on."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench.servers import youngest


@pytest.fixture
def two_sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started = []
    for _ in range(2):
        started.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]))
        time.sleep(0.05)  # more than a clock tick of /proc's start time (10 ms)
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_the_youngest_is_the_one_started_last_in_whatever_order_asked(
    two_sleepers: list[subprocess.Popen[bytes]],
) -> None:
    older, newer = (p.pid for p in two_sleepers)
    assert youngest([older, newer]) == newer
    assert youngest([newer, older]) == newer
