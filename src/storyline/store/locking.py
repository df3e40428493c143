"""The grouping lock: one story stage at a time on a store, across threads and processes.

The story stage reads which articles are in no story yet, rebuilds its index from the stored
profiles and writes assignments batch by batch. Two stages running at once on one store would
both place every ungrouped article (each event stored twice), and one that started from an index
missing the other's stories would open duplicates of them. So the stage holds this lock from
reading the ungrouped articles to writing the last batch; a second stage waits, then finds only
what is still ungrouped.

Across processes the lock is an advisory lock (``flock``, ``msvcrt.locking`` on Windows) on a
file beside the store (``<store>-lock``): the operating system drops it when its holder dies, so
a killed run never leaves a store locked. It is not SQLite's write lock, which a stage cannot hold
for minutes without making every other writer (an ingest) time out. The lock file is left in
place (removing it while another process waits on it would let a third one in beside them)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

from ..errors import StoreError


class GroupingLock:
    """A reentrant lock shared by the threads of one store object and, with ``path`` (the lock
    file), by every process that opens the same store."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def hold(self, on_wait: Callable[[], object] | None = None) -> Iterator[None]:
        """Hold the lock for the ``with`` block; ``on_wait`` is called once if another holder
        makes this one wait."""
        waited = False
        if not self._threads.acquire(blocking=False):
            if on_wait is not None:
                on_wait()
            waited = True
            self._threads.acquire()
        try:
            if self._depth == 0 and self.path is not None:
                self._fd = _lock_file(self.path, None if waited else on_wait)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fd, self._fd = self._fd, None
                    _unlock_file(fd)
        finally:
            self._threads.release()


def _lock_file(path: str, on_wait: Callable[[], object] | None) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot take the grouping lock {path!r}: {exc.strerror or exc}") from exc
    pause = 0.05
    try:
        while not _try_lock(fd):
            if on_wait is not None:
                on_wait()
                on_wait = None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
    except BaseException:
        os.close(fd)
        raise
    return fd


if sys.platform == "win32":  # pragma: no cover - the lock of Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock_file(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:  # a file system without locks: nothing to serialise with
            raise StoreError(f"cannot take the grouping lock: {exc.strerror or exc}") from exc
        return True

    def _unlock_file(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
