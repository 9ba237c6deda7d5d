"""HostLock beyond the Lock contract: shared by the workers of one host, bounded on disk."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from adapters.host.lease_files import LeaseFiles
from adapters.host.lock import IDLE_FILE_S, SWEEP_EVERY_S, HostLock
from adapters.system_clock import SystemClock
from ports.lock import Held, Signal
from tests.support.locks import heard, lease_of
from tests.unit.fakes import FakeClock


def files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def hold_and_die(path: Path) -> None:
    """A process that takes the file's flock, then is killed holding it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(path)!r}, os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
    finally:
        holder.kill()
        holder.wait()


async def test_sibling_workers_share_one_lease_per_key(tmp_path: Path) -> None:
    first, second = HostLock(tmp_path, clock=SystemClock()), HostLock(tmp_path, clock=SystemClock())
    lease = await lease_of(first, "san jose")
    assert isinstance(await second.acquire("san jose", 5.0), Held)
    await lease.release(Signal.DONE)
    await lease_of(second, "san jose")


async def test_a_watch_hears_a_sibling_workers_release(tmp_path: Path) -> None:
    first, second = HostLock(tmp_path, clock=SystemClock()), HostLock(tmp_path, clock=SystemClock())
    assert await heard(second, first, "san jose", Signal.FAILED) is Signal.FAILED


async def test_any_key_gets_a_safe_file_name_in_the_directory(tmp_path: Path) -> None:
    lock = HostLock(tmp_path / "locks", clock=SystemClock())
    for key in ("../../etc/passwd", "são paulo", "a" * 5000, ""):
        await lease_of(lock, key)
    names = [path.name for path in files(tmp_path / "locks")]
    assert len(names) == 4
    assert all(name.endswith(".lease") and len(name) == 38 for name in names)
    assert [path.name for path in files(tmp_path)] == ["locks"]


async def test_files_of_idle_keys_are_swept_and_those_of_held_keys_kept(tmp_path: Path) -> None:
    clock = FakeClock()
    lock = HostLock(tmp_path, clock=clock)
    await (await lease_of(lock, "boise")).release(Signal.DONE)
    await lease_of(lock, "denver", ttl_s=3600.0)
    long_ago = time.time() - IDLE_FILE_S - 1
    for path in files(tmp_path):
        os.utime(path, (long_ago, long_ago))
    clock.advance(SWEEP_EVERY_S + 1)
    await lease_of(lock, "austin")  # an acquire sweeps, now and then
    await lock.sweep_done()
    assert len(files(tmp_path)) == 2  # denver's, still held, and austin's
    assert isinstance(await lock.acquire("denver", 5.0), Held)


async def test_a_worker_killed_while_it_holds_a_keys_file_blocks_nobody(tmp_path: Path) -> None:
    lock = HostLock(tmp_path, clock=SystemClock())
    await (await lease_of(lock, "boise")).release(Signal.DONE)
    (path,) = files(tmp_path)
    hold_and_die(path)
    await lease_of(lock, "boise")  # the kernel dropped the dead worker's flock


async def test_a_sweep_runs_beside_the_requests_never_in_their_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    lock = HostLock(tmp_path, clock=clock)
    walking, release = threading.Event(), threading.Event()
    walks: list[int] = []
    listed = LeaseFiles.paths

    def slow_paths(files: LeaseFiles) -> list[Path]:
        walks.append(threading.get_ident())
        walking.set()
        release.wait(timeout=10)  # a directory of many thousand files, walked slowly
        return listed(files)

    monkeypatch.setattr(LeaseFiles, "paths", slow_paths)
    clock.advance(SWEEP_EVERY_S + 1)
    await lease_of(lock, "austin")  # starts the sweep
    assert await asyncio.to_thread(walking.wait, 10)

    for i in range(200):  # answered while the sweep is stuck in its walk
        await (await lease_of(lock, f"city {i}")).release(Signal.DONE)
    clock.advance(SWEEP_EVERY_S + 1)
    await lease_of(lock, "boise")  # due again, but one sweep at a time
    release.set()
    await lock.sweep_done()

    assert len(walks) == 1
    assert walks[0] != threading.get_ident()  # not the event loop's thread
