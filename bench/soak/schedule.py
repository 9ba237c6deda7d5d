"""The fault schedule: a calm start, then each fault in turn, a calm gap after each (its
aftermath passes), round and round until the run's time is nearly up."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from bench.soak.faults import Fault, Parts
from bench.soak.stack import LINGER_S
from bench.soak.verdict import Phase

CALM_S = LINGER_S + 4  # the aftermath, then a few seconds of calm


def _applied(fault: Fault, parts: Parts, began: float) -> bool:
    """Acts, lasts its time, undoes; False (reported on stderr) if any of it failed."""
    try:
        fault.act(parts)
        time.sleep(max(began + fault.seconds - time.monotonic(), 0.0))
    except Exception as error:  # the soak goes on; the report says so
        print(f"soak: fault {fault.id} failed: {error!r}", file=sys.stderr, flush=True)
        _undone(fault, parts)
        return False
    return _undone(fault, parts)


def _undone(fault: Fault, parts: Parts) -> bool:
    try:
        fault.undo(parts)
    except Exception as error:  # reported; the next fault may find it still on
        print(f"soak: undoing {fault.id} failed: {error!r}", file=sys.stderr, flush=True)
        return False
    return True


def run_schedule(parts: Parts, faults: Sequence[Fault], seconds: float, phases: list[Phase]) -> int:
    """Appends each fault's phase to `phases` as it ends; the number of faults that failed
    to apply (each reported on stderr, the soak going on)."""
    deadline = time.monotonic() + seconds
    failed = 0
    time.sleep(min(CALM_S, seconds))
    skipped = 0
    for turn in range(10_000):
        if not faults or skipped >= len(faults):
            break  # none fits in the time left
        fault = faults[turn % len(faults)]
        if time.monotonic() + fault.seconds + fault.aftermath_s > deadline:
            skipped += 1
            continue
        skipped = 0
        start, began = time.time(), time.monotonic()
        failed += not _applied(fault, parts, began)
        phases.append(Phase(fault.id, fault.kind, start, time.time(), fault.aftermath_s))
        gap_s = max(CALM_S, fault.aftermath_s + CALM_S - LINGER_S)  # its aftermath, then calm
        time.sleep(max(min(gap_s, deadline - time.monotonic()), 0.0))
    return failed
