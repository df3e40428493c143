"""First sightings: the corpus sentence keys seen once, with the article that holds each, kept in memory
(an open dict, then sorted closed chunks the store keeps) until a second sighting makes them a count."""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from .boilerplate import CountsUpdate

#: first sightings per chunk (see FirstSightings): the open one a dict (about 100 bytes a key), closed
#: ones 12 bytes a key
FIRST_CHUNK = 65_536
#: closed chunks merged into one segment (searched with one call): fewer searches per batch, while a
#: merge copies one segment only (a few MB), never the whole horizon
SEGMENT_CHUNKS = 4

_MASK64 = (1 << 64) - 1
#: the holder index of a key seen again (forgotten here)
_GONE = 0xFFFFFFFF


def _little_endian(values: array[int]) -> bytes:
    """The bytes of an int64 array as the store keeps them (little-endian)."""
    if sys.byteorder == "little":
        return values.tobytes()
    swapped = array("q", values)
    swapped.byteswap()
    return swapped.tobytes()


def _from_little_endian(data: bytes) -> array[int]:
    values = array("q")
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


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


@dataclass(slots=True)
class _Segment:
    """Closed chunks merged: sorted keys, each key's holder (an index into ``codes``, ``_GONE`` once
    seen again), the holders' codes, and per chunk (its first holder index, its last storing number).
    Plain arrays (bisected) for the first chunk of an ingest, numpy from the second on."""

    keys: Any
    holders: Any
    codes: Any
    parts: list[tuple[int, int]] = field(default_factory=list)

    @property
    def plain(self) -> bool:
        return isinstance(self.keys, array)

    def __len__(self) -> int:
        return len(self.keys)


class FirstSightings:
    """The corpus keys seen once, in memory: key -> the article holding it (its id as an int, see
    :func:`holder_code`).

    Almost every key of a crawl is seen once, so these are never rows of the ``boilerplate`` table
    (random keys there cost a B-tree page each, at every batch). They sit in chunks: the open one a
    dict; closed ones sorted, merged ``SEGMENT_CHUNKS`` at a time into segments of two arrays (the
    keys, 8 bytes each, and an index into the segment's holders, 4 bytes; the first chunk of an
    ingest plain ``array``\\ s searched by bisection, numpy from the second on), each stored as one row
    (table ``boilerplate_firsts``: keys and holder codes) when it closes, so a later ingest starts from
    them. Chunks are in storing order, and pruning beyond the horizon drops whole chunks (a key is
    forgotten between ``horizon`` and ``horizon`` + one chunk's span of articles after its sighting).
    A key seen again becomes a row of the ``boilerplate`` table and is dropped here (a stored chunk may
    still hold it: the table's row wins). An ingest that dies loses the open chunk: that only delays
    learning those keys by one sighting."""

    def __init__(self) -> None:
        #: the open chunk: key -> index into ``holders`` (one int object for an article's keys)
        self.open: dict[int, int] = {}
        #: (holder code, storing number) of the open chunk's holders
        self.holders: list[tuple[int, int]] = []
        #: the closed chunks, merged into segments (oldest first)
        self.closed: list[_Segment] = []
        #: stored chunks too small to stay one (taken into the open chunk; dropped when it is stored)
        self.absorbed: list[int] = []

    @classmethod
    def load(cls, rows: Iterable[tuple[int, int, bytes, bytes]]) -> FirstSightings:
        """From the store's chunks (see :meth:`Store.boilerplate_firsts`)."""
        out = cls()
        for number, last, keys, codes in rows:
            k, c = _from_little_endian(keys), _from_little_endian(codes)
            if len(k) >= FIRST_CHUNK // 2:
                import numpy as np

                kn, cn = np.array(k, dtype=np.int64), np.array(c, dtype=np.int64)
                order = np.argsort(kn, kind="stable")
                kn, cn = kn[order], cn[order]
                uniq, inverse = np.unique(cn, return_inverse=True)
                slots = inverse.astype(np.uint32)
                slots[cn == 0] = _GONE  # a key seen again before the chunk was stored
                out._close(kn, slots, uniq.astype(np.int64), last)
            else:
                for key, code in zip(k, c, strict=True):
                    if code:
                        out.add([key], code, last)
                out.absorbed.append(number)
        return out

    def __len__(self) -> int:
        return len(self.open) + sum(len(s) for s in self.closed)

    def _numpy(self) -> None:
        """Closed segments as numpy arrays from here on (the first chunk was plain)."""
        import numpy as np

        for s in self.closed:
            if s.plain:
                s.keys = np.array(s.keys, dtype=np.int64)
                s.holders = np.array(s.holders, dtype=np.uint32)
                s.codes = np.array(s.codes, dtype=np.int64)

    def _close(self, keys: Any, slots: Any, codes: Any, last: int) -> None:
        """Add a closed chunk (sorted keys, holder slots into ``codes``): merged into the newest
        segment unless that one is full. Equal keys (a chunk stored before a key was seen again) keep
        the newest chunk's first."""
        if isinstance(keys, array):
            self.closed.append(_Segment(keys, slots, codes, [(0, last)]))
            return
        import numpy as np

        self._numpy()
        top = self.closed[-1] if self.closed else None
        if top is None or len(top.parts) >= SEGMENT_CHUNKS:
            self.closed.append(_Segment(keys, slots, codes, [(0, last)]))
            return
        base = len(top.codes)
        live = slots != _GONE
        slots = np.where(live, slots + np.uint32(base), np.uint32(_GONE)).astype(np.uint32)
        at = np.searchsorted(top.keys, keys, side="left") + np.arange(len(keys))
        n = len(top.keys) + len(keys)
        rest = np.ones(n, dtype=bool)
        rest[at] = False
        merged_keys = np.empty(n, dtype=np.int64)
        merged_keys[at] = keys
        merged_keys[rest] = top.keys
        merged_holders = np.empty(n, dtype=np.uint32)
        merged_holders[at] = slots
        merged_holders[rest] = top.holders
        top.keys, top.holders = merged_keys, merged_holders
        top.codes = np.concatenate([top.codes, codes])
        top.parts.append((base, last))

    def find(self, keys: Set[int]) -> dict[int, str]:
        """key -> holder id, for those of ``keys`` seen once (and not forgotten)."""
        holders = self.holders
        hits = {k: holder_id(holders[self.open[k]][0]) for k in keys & self.open.keys()}
        if not self.closed or not keys:
            return hits
        found: dict[int, int] = {}
        if self.closed[0].plain:
            ordered = sorted(keys)
            for s in self.closed:  # one plain segment
                ks, hs, cs = s.keys, s.holders, s.codes
                n = len(ks)
                for k in ordered:
                    i = bisect_left(ks, k)
                    if i < n and ks[i] == k and hs[i] != _GONE:
                        found[k] = cs[hs[i]]
        else:
            import numpy as np

            query = np.fromiter(keys, dtype=np.int64, count=len(keys))
            query.sort()
            for s in self.closed:
                at = np.searchsorted(s.keys, query)
                at[at == len(s.keys)] = 0
                hit = s.keys[at] == query
                if not hit.any():
                    continue
                slots = s.holders[at[hit]]
                live = slots != _GONE
                if live.any():
                    found.update(zip(query[hit][live].tolist(), s.codes[slots[live]].tolist(), strict=True))
        for k, code in found.items():
            hits[k] = holder_id(code)
        return hits

    def add(self, keys: Iterable[int], code: int, when: int) -> None:
        """Record first sightings: ``keys`` held by the article of holder code ``code``, stored ``when``."""
        slot = len(self.holders)
        self.holders.append((code, when))
        self.open.update(dict.fromkeys(keys, slot))

    def add_many(self, items: Sequence[tuple[Sequence[int], int, int]]) -> None:
        """:meth:`add` for each (keys, code, when), in order (one call for a batch)."""
        first = len(self.holders)
        self.holders.extend((code, when) for _, code, when in items)
        open_ = self.open
        for slot, (keys, _, _) in enumerate(items, first):
            open_.update(dict.fromkeys(keys, slot))

    def drop(self, keys: Set[int]) -> None:
        """Forget keys seen again (they have a row in the ``boilerplate`` table now)."""
        for k in keys & self.open.keys():
            del self.open[k]
        if not self.closed or not keys:
            return
        if self.closed[0].plain:
            for s in self.closed:
                ks, hs = s.keys, s.holders
                for k in keys:
                    for i in range(bisect_left(ks, k), bisect_right(ks, k)):
                        hs[i] = _GONE
        else:
            import numpy as np

            query = np.fromiter(keys, dtype=np.int64, count=len(keys))
            for s in self.closed:
                lo = np.searchsorted(s.keys, query, side="left")
                hi = np.searchsorted(s.keys, query, side="right")
                for a, b in zip(lo[hi > lo].tolist(), hi[hi > lo].tolist(), strict=True):
                    s.holders[a:b] = _GONE

    def prune(self, before: int) -> None:
        """Forget sightings older than ``before`` (closed chunks whole, the open one key by key)."""
        kept: list[_Segment] = []
        for s in self.closed:
            keep = [last >= before for _, last in s.parts]
            if all(keep):
                kept.append(s)
            elif any(keep):
                import numpy as np

                self._numpy()
                starts = np.array([start for start, _ in s.parts], dtype=np.int64)
                part = np.searchsorted(starts, s.holders.astype(np.int64), side="right") - 1
                # keys of the chunks kept (those seen again are no answer: they go too)
                alive = np.array(keep)[part] & (s.holders != _GONE)
                s.keys, s.holders = s.keys[alive], s.holders[alive]
                s.parts = [p for p, k in zip(s.parts, keep, strict=True) if k]
                kept.append(s)
        self.closed = kept
        holders = self.holders
        self.open = {k: i for k, i in self.open.items() if holders[i][1] >= before}

    def take_full(self, *, force: bool = False) -> CountsUpdate | None:
        """Close the open chunk when it is full (or ``force``d and not empty): what the store writes."""
        if not self.open or (len(self.open) < FIRST_CHUNK and not force):
            return None
        open_, holders = self.open, self.holders
        last = max(holders[i][1] for i in set(open_.values()))
        codes_a = array("q", [code for code, _ in holders])
        # the open chunk's dict and holders (about 100 bytes a key) are let go as soon as they are read,
        # before the sort and the merge allocate theirs: at a chunk's close they were the peak's top
        self.open, self.holders = {}, []
        del holders
        if not self.closed or (self.closed[0].plain and force):
            # the first chunk (and the one stored at the end of a short ingest) as plain sorted arrays,
            # looked up by bisection: an ingest of a few thousand articles never imports numpy
            keys_a = array("q", sorted(open_))
            slots_a = array("I", map(open_.__getitem__, keys_a))
            stored = array("q", map(codes_a.__getitem__, slots_a))
            keys_b, codes_b = _little_endian(keys_a), _little_endian(stored)
            if not self.closed:
                self._close(keys_a, slots_a, codes_a, last)
            else:
                self.closed.append(_Segment(keys_a, slots_a, codes_a, [(0, last)]))
        else:
            import numpy as np

            keys = np.fromiter(open_.keys(), dtype=np.int64, count=len(open_))
            slots = np.fromiter(open_.values(), dtype=np.uint32, count=len(open_))
            del open_
            order = np.argsort(keys, kind="stable")
            keys, slots = keys[order], slots[order]
            codes = np.frombuffer(codes_a, dtype=np.int64)
            keys_b, codes_b = keys.astype("<i8").tobytes(), codes[slots].astype("<i8").tobytes()
            self._close(keys, slots, codes.copy(), last)
        update = CountsUpdate([], [], firsts=[(last, keys_b, codes_b)], firsts_drop=self.absorbed)
        self.absorbed = []
        return update
