"""First sightings: the corpus sentence keys seen once, with the article that holds each, kept in memory
(an open dict, then sorted closed chunks the store keeps) until a second sighting makes them a count."""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Set
from typing import TYPE_CHECKING, Any

from .boilerplate import (
    CountsUpdate,
)

if TYPE_CHECKING:
    pass
#: first sightings per chunk (see FirstSightings): the open one a dict (about 100 bytes a key), closed
#: ones 16 bytes a key
FIRST_CHUNK = 65_536


_MASK64 = (1 << 64) - 1
#: closed chunks kept as plain arrays (bisected key by key) before numpy takes over: one covers an
#: ingest of about 7,000 articles; more would cost a bisection per key and chunk at every batch
_PURE_CHUNKS = 1


def _little_endian(values: array[int]) -> bytes:
    """The bytes of an int64 array as the store keeps them (little-endian)."""
    if sys.byteorder == "little":
        return values.tobytes()
    swapped = array("q", values)
    swapped.byteswap()
    return swapped.tobytes()


def holder_code(article_id: str) -> int | None:
    """An article id (16 hex digits, see :func:`storyline.records.article_id`) as a signed 64-bit int
    (None for an id of another form)."""
    if len(article_id) != 16:
        return None
    try:
        value = int(article_id, 16)
    except ValueError:
        return None
    if format(value, "016x") != article_id:
        return None
    return value - (1 << 64) if value >= 1 << 63 else value


def holder_id(code: int) -> str:
    """The article id :func:`holder_code` encoded."""
    return format(code & _MASK64, "016x")


class FirstSightings:
    """The corpus keys seen once, in memory: key -> the article holding it (its id as an int, see
    :func:`holder_code`).

    Almost every key of a crawl is seen once, so these are never rows of the ``boilerplate`` table
    (random keys there cost a B-tree page each, at every batch). They sit in chunks: the open one a dict,
    closed ones two sorted int64 arrays of ``FIRST_CHUNK`` keys (16 bytes a key; the first a plain
    ``array`` searched by bisection, numpy from the second on), stored as one
    row each (table ``boilerplate_firsts``) when they close, so a later ingest starts from them. Chunks
    are in storing order, so pruning beyond the horizon drops whole closed chunks (a key is forgotten
    between ``horizon`` and ``horizon`` + one chunk's span of articles after its sighting). A key seen
    again becomes a row of the ``boilerplate`` table and is dropped here (a stored chunk may still
    hold it: the table's row wins). An ingest that dies loses the open chunk: that only delays
    learning those keys by one sighting."""

    def __init__(self) -> None:
        #: the open chunk: key -> index into ``holders`` (one int object for an article's keys)
        self.open: dict[int, int] = {}
        #: (holder code, storing number) of the open chunk's holders
        self.holders: list[tuple[int, int]] = []
        #: (sorted keys, their holder codes, the chunk's last storing number); a key seen again is
        #: marked by holder code 0
        self.closed: list[tuple[Any, Any, int]] = []
        #: stored chunks too small to stay one (taken into the open chunk; dropped when it is stored)
        self.absorbed: list[int] = []

    @classmethod
    def load(cls, rows: Iterable[tuple[int, int, bytes, bytes]]) -> FirstSightings:
        """From the store's chunks (see :meth:`Store.boilerplate_firsts`)."""
        out = cls()
        for number, last, keys, codes in rows:
            import numpy as np

            k = np.frombuffer(keys, dtype="<i8").astype(np.int64)
            c = np.frombuffer(codes, dtype="<i8").astype(np.int64)
            if len(k) >= FIRST_CHUNK // 2:
                order = np.argsort(k, kind="stable")
                out.closed.append((k[order], c[order], last))
            else:
                for key, code in zip(k.tolist(), c.tolist(), strict=True):
                    if code:
                        out.add([key], code, last)
                out.absorbed.append(number)
        return out

    def __len__(self) -> int:
        return len(self.open) + sum(len(k) for k, _, _ in self.closed)

    def find(self, keys: Set[int]) -> dict[int, str]:
        """key -> holder id, for those of ``keys`` seen once (and not forgotten)."""
        holders = self.holders
        hits = {k: holder_id(holders[self.open[k]][0]) for k in keys & self.open.keys()}
        if self.closed and keys and isinstance(self.closed[0][0], array):
            ordered = sorted(keys)
            for ks, cs, _ in self.closed:
                n = len(ks)
                for k in ordered:
                    i = bisect_left(ks, k)
                    if i < n and ks[i] == k and cs[i]:
                        hits[k] = holder_id(cs[i])
        elif self.closed and keys:
            import numpy as np

            query = np.fromiter(keys, dtype=np.int64, count=len(keys))
            query.sort()
            for ks, cs, _ in self.closed:
                at = np.searchsorted(ks, query)
                at[at == len(ks)] = 0
                hit = (ks[at] == query) & (cs[at] != 0)
                if hit.any():
                    hits.update(zip(query[hit].tolist(), map(holder_id, cs[at[hit]].tolist()), strict=True))
        return hits

    def add(self, keys: Iterable[int], code: int, when: int) -> None:
        """Record first sightings: ``keys`` held by the article of holder code ``code``, stored ``when``."""
        slot = len(self.holders)
        self.holders.append((code, when))
        self.open.update(dict.fromkeys(keys, slot))

    def drop(self, keys: Set[int]) -> None:
        """Forget keys seen again (they have a row in the ``boilerplate`` table now)."""
        for k in keys & self.open.keys():
            del self.open[k]
        if self.closed and keys and isinstance(self.closed[0][0], array):
            for ks, cs, _ in self.closed:
                n = len(ks)
                for k in keys:
                    i = bisect_left(ks, k)
                    if i < n and ks[i] == k:
                        cs[i] = 0
        elif self.closed and keys:
            import numpy as np

            query = np.fromiter(keys, dtype=np.int64, count=len(keys))
            for ks, cs, _ in self.closed:
                at = np.searchsorted(ks, query)
                at[at == len(ks)] = 0
                cs[at[ks[at] == query]] = 0

    def prune(self, before: int) -> None:
        """Forget sightings older than ``before`` (closed chunks whole, the open one key by key)."""
        self.closed = [c for c in self.closed if c[2] >= before]
        holders = self.holders
        self.open = {k: i for k, i in self.open.items() if holders[i][1] >= before}

    def take_full(self, *, force: bool = False) -> CountsUpdate | None:
        """Close the open chunk when it is full (or ``force``d and not empty): what the store writes."""
        if not self.open or (len(self.open) < FIRST_CHUNK and not force):
            return None
        holders = self.holders
        plain = not self.closed or isinstance(self.closed[0][0], array)
        if plain and (len(self.closed) < _PURE_CHUNKS or force):
            # the first chunks as plain sorted arrays, looked up by bisection: an ingest of a few
            # thousand articles never imports numpy (about 12 MB and 0.1 s)
            open_ = self.open
            keys_a = array("q", sorted(open_))
            codes_a = array("q", [holders[open_[k]][0] for k in keys_a])
            last = max(holders[i][1] for i in set(self.open.values()))
            self.closed.append((keys_a, codes_a, last))
            keys_b, codes_b = _little_endian(keys_a), _little_endian(codes_a)
        else:
            import numpy as np

            # from here on numpy (one vectorised search per chunk); plain chunks are converted
            self.closed = [
                (np.array(k, dtype=np.int64), np.array(c, dtype=np.int64), t)
                if isinstance(k, array)
                else (k, c, t)
                for k, c, t in self.closed
            ]
            keys = np.fromiter(self.open.keys(), dtype=np.int64, count=len(self.open))
            slots = np.fromiter(self.open.values(), dtype=np.int64, count=len(self.open))
            codes = np.array([code for code, _ in holders], dtype=np.int64)[slots]
            last = max(holders[i][1] for i in set(self.open.values()))
            order = np.argsort(keys, kind="stable")
            keys, codes = keys[order], codes[order]
            self.closed.append((keys, codes, last))
            keys_b, codes_b = keys.astype("<i8").tobytes(), codes.astype("<i8").tobytes()
        update = CountsUpdate(
            [],
            [],
            firsts=[(last, keys_b, codes_b)],
            firsts_drop=self.absorbed,
        )
        self.open, self.holders, self.absorbed = {}, [], []
        return update
