"""Storage: the store contract (:mod:`.base`), its schema (:mod:`.schema`), the SQLite store (:mod:`.sqlite`)
and the in-memory one (:mod:`.memory`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import StoreError
from .base import Store
from .sqlite import SQLiteStore

#: backend name → its class
_BACKENDS: dict[str, type[SQLiteStore]] = {"sqlite": SQLiteStore}


def open_store(path: str | Path, *, backend: str = "sqlite", read_only: bool = False) -> Store:
    """Open (creating and migrating as needed) a store of the named backend.

    ``"sqlite"``: the SQLite file at ``path`` (``":memory:"`` for one in memory). ``read_only``
    opens it for reading only: every write raises :class:`~storyline.errors.StoreError`. (The
    plain-Python :class:`~storyline.testing.MemoryStore` is made directly.)
    """
    try:
        opener = _BACKENDS[backend]
    except KeyError:
        raise StoreError(
            f"unknown store backend {backend!r}; known: {', '.join(sorted(_BACKENDS))}"
        ) from None
    return opener(path, read_only=read_only)


__all__ = ["SQLiteStore", "Store", "open_store"]
