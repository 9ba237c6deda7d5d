"""`python -m bench.soak.memtrace DIR [TOP]`: per process, what grew between its snapshots.

Reads the snapshots `--trace-memory DIR` left (<pid>-<seconds>.snap) and prints, for each
process with two or more, its traced total at each and the lines whose memory grew most
from the first snapshot to the last (the allocating line: the traceback's newest frame)."""

from __future__ import annotations

import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path


def _by_pid(directory: Path) -> dict[str, list[tuple[int, Path]]]:
    found: dict[str, list[tuple[int, Path]]] = defaultdict(list)
    for path in directory.glob("*.snap"):
        pid, seconds = path.stem.split("-")
        found[pid].append((int(seconds), path))
    return {pid: sorted(snaps) for pid, snaps in found.items() if len(snaps) > 1}


def report(directory: Path, top: int) -> str:
    lines = []
    for pid, snaps in sorted(_by_pid(directory).items()):
        loaded = [(s, tracemalloc.Snapshot.load(str(p))) for s, p in snaps]
        totals = ", ".join(
            f"{s} s: {sum(t.size for t in snap.traces) / 2**20:.2f} MB" for s, snap in loaded
        )
        lines.append(f"pid {pid}: {totals}")
        first, last = loaded[0][1], loaded[-1][1]
        for stat in last.compare_to(first, "lineno")[:top]:
            frame = stat.traceback[0]
            lines.append(
                f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks"
                f"  {frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 15))
