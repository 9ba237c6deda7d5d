"""One small file per key under a directory, read and rewritten under an flock.

Every change is a read-modify-write done under `flock(LOCK_EX)` with no await inside, so
it lasts microseconds and a blocking lock is fine on the event loop; the kernel drops the
flock of a process that dies. A file may be unlinked (by the sweep) while another process
waits for its flock: whoever gets it checks that the file is still the one at its path,
and starts again if not.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path


class LeaseFiles:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        # Hashed: any key (spaces, slashes, unicode) is a safe name of fixed length.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return self._directory / f"{digest}.lease"

    def paths(self) -> list[Path]:
        return list(self._directory.glob("*.lease"))

    def read(self, path: Path) -> str:
        """The file's text, "" when there is none."""
        try:
            with self.locked(path, create=False) as fd:
                return _text_of(fd)
        except FileNotFoundError:
            return ""

    @contextlib.contextmanager
    def locked(self, path: Path, *, create: bool = True) -> Iterator[int]:
        """An fd of the file at `path`, under an exclusive flock."""
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        while True:
            fd = os.open(path, flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_nlink > 0:
                    yield fd
                    return
            finally:
                os.close(fd)  # closing drops the flock
            # Unlinked while we waited for it: that file is gone, open the path again.

    @staticmethod
    def text(fd: int) -> str:
        return _text_of(fd)

    @staticmethod
    def write(fd: int, text: str) -> None:
        data = text.encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)


def _text_of(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode(errors="replace")
