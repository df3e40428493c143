"""An in-memory store: the whole contract in plain Python, for tests and notebooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, StoreError
from ..models import Article, Membership, Quarantined
from .base import Store
from .locking import GroupingLock
from .memory_groups import MemoryGroups

if TYPE_CHECKING:
    from ..clean.boilerplate import Count, CountsUpdate


class MemoryStore(MemoryGroups, Store):
    """The whole store contract in plain Python dicts: nothing on disk, nothing to install.

    It behaves as :class:`~storyline.store.SQLiteStore` does (the golden suite in
    ``tests/test_store_contract.py`` runs against both), down to the orders of what it lists.
    Every table is a dict in insertion order (SQLite's rowid order: a row written again moves
    to the end, as ``INSERT OR REPLACE`` does); evidence and details are kept as JSON text, as
    SQLite keeps them, so what is read back is a copy that equals what SQLite gives. A new
    store method is one short method here over these tables. One lock serialises writes and
    the reads that look at the tables (iterators read under it, then yield).
    """

    def __init__(self, *, read_only: bool = False) -> None:
        self.path = ":memory:"
        self.read_only = read_only
        self._lock = threading.RLock()
        self._closed = False
        self._grouping = GroupingLock(None)
        self._seq = 0
        self._articles: dict[str, tuple[Article, int]] = {}  # id → (article, storing number)
        self._quarantine: dict[tuple[str, str, str], None] = {}  # (origin, position, reason)
        self._boilerplate: dict[tuple[str, int], Count] = {}  # (scope, key) → count (never handed out)
        self._firsts: dict[int, tuple[int, bytes, bytes]] = {}  # chunks of first sightings
        self._stories: dict[str, str | None] = {}  # story id → the story it was merged into
        self._members: dict[str, tuple[str, float, str]] = {}  # article → (story, score, evidence)
        self._events: list[tuple[str, str, str, str, float]] = []  # (story, kind, article, detail, at)
        self._profiles: dict[str, tuple[int | None, bytes]] = {}  # article → (published ordinal, data)
        self._copies: dict[tuple[str, str], tuple[str, float, str]] = {}  # (copy, original) → ...
        self._copy_checks: dict[str, None] = {}
        self._threads: dict[str, str | None] = {}  # thread id → the thread it was merged into
        self._thread_members: dict[str, tuple[str, float, str]] = {}  # story → (thread, score, evidence)

    # ------------------------------------------------------------------ plumbing
    def _write(self) -> threading.RLock:
        if self._closed:
            raise StoreError("the store ':memory:' is closed")
        if self.read_only:
            raise StoreError("the store ':memory:' is open read-only: nothing can be written")
        return self._lock

    def _read(self) -> None:
        if self._closed:
            raise StoreError("the store ':memory:' is closed")

    def _reading(self) -> threading.RLock:
        """The lock, held while a read looks at the tables (writes of other threads wait)."""
        self._read()
        return self._lock

    def grouping(self, on_wait: Callable[[], object] | None = None) -> AbstractContextManager[None]:
        """Hold the grouping lock (of this store object: nothing else reaches its tables)."""
        return self._grouping.hold(on_wait)

    def close(self) -> None:
        """Forget everything (further calls fail)."""
        self._closed = True

    # ------------------------------------------------------------------ articles and quarantine
    def write_batch(
        self,
        articles: Sequence[Article],
        quarantined: Sequence[Quarantined] = (),
        *,
        counts: CountsUpdate | None = None,
    ) -> list[str]:
        """Store a batch (and what it taught the boilerplate learner); returns the ids that were new."""
        with self._write():
            if counts is not None:
                self._apply_counts(counts)
            new: list[str] = []
            for article in articles:
                if article.id not in self._articles:
                    self._seq = self.max_seq() + 1
                    self._articles[article.id] = (article, self._seq)
                    new.append(article.id)
            for q in quarantined:
                key = (q.origin, q.position, q.reason)
                self._quarantine.pop(key, None)
                self._quarantine[key] = None
            return new

    def replace_cleaned(self, articles: Sequence[Article]) -> None:
        """Re-cleaned text in, story and copy decisions on the old text out."""
        with self._write():
            for a in articles:
                if a.id not in self._articles:
                    continue
                old, seq = self._articles[a.id]
                self._articles[a.id] = (
                    replace(old, text=a.text, sentences=a.sentences, removed=a.removed),
                    seq,
                )
                self._members.pop(a.id, None)
                self._profiles.pop(a.id, None)
                for pair in [p for p in self._copies if a.id in p]:
                    del self._copies[pair]
                self._copy_checks.pop(a.id, None)
                last = [e for e in self._events if e[2] == a.id and e[1] in ("opened", "joined")]
                if last:
                    self._events.append((last[-1][0], "recleaned", a.id, "{}", time.time()))

    def has_article(self, article_id: str) -> bool:
        """Whether an article with this id is stored."""
        with self._reading():
            return article_id in self._articles

    def get_article(self, article_id: str) -> Article:
        """The article with this id (a unique prefix of it, or its record's own id, also works)."""
        with self._reading():
            if article_id in self._articles:
                return self._articles[article_id][0]
            prefix = article_id.replace("%", "").lower()  # SQLite's LIKE: ASCII case folded
            found = [
                a
                for a, _ in self._articles.values()
                if prefix and (a.id.lower().startswith(prefix) or a.external_id == article_id)
            ][:2]
            if len(found) > 1:
                raise NotFoundError(f"article id {article_id!r} is ambiguous: give more of it")
            if not found:
                raise NotFoundError(f"no article {article_id!r} in the store {self.path!r}")
            return found[0]

    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]:
        """All stored articles in storing order (or those of ``ids``, in that order)."""
        if ids is not None:
            for article_id in ids:
                yield self.get_article(article_id)
            return
        with self._reading():
            articles = [a for a, _ in self._articles.values()]
        yield from articles

    def count_articles(self) -> int:
        """How many articles are stored."""
        with self._reading():
            return len(self._articles)

    def stored_ids(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` that are stored."""
        with self._reading():
            return {i for i in ids if i in self._articles}

    def max_seq(self) -> int:
        """The storing number of the latest article (0 for an empty store)."""
        with self._reading():
            return next(reversed(self._articles.values()))[1] if self._articles else 0

    def iter_quarantine(self) -> Iterator[Quarantined]:
        """Rejected records, oldest first."""
        with self._reading():
            entries = [Quarantined(*key) for key in self._quarantine]
        yield from entries

    def find_articles(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        language: str | None = None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Article], int]:
        """One page of the articles that pass the filters, and how many pass in all."""
        found = self._found(since, until, language, source)
        return found[offset : None if limit is None else offset + limit], len(found)

    def iter_found(
        self,
        since: str | None = None,
        until: str | None = None,
        language: str | None = None,
        source: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Article]:
        """The articles :meth:`find_articles` gives."""
        yield from self.find_articles(
            since=since, until=until, language=language, source=source, limit=limit, offset=offset
        )[0]

    def _found(
        self, since: str | None, until: str | None, language: str | None, source: str | None
    ) -> list[Article]:
        def keep(a: Article) -> bool:
            day = a.published[:10] if a.published else None
            return (
                (not since or (day is not None and day >= since))
                and (not until or (day is not None and day <= until))
                and (not language or a.language.lower() == language.lower())
                and (not source or a.source.lower() == source.lower())
            )

        with self._reading():
            return [a for a, _ in self._articles.values() if keep(a)]

    def find_quarantine(
        self, *, origin: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Quarantined], int]:
        """Rejected records (oldest first) whose file contains ``origin``: one page and the total."""
        with self._reading():
            found = [Quarantined(*key) for key in self._quarantine if not origin or origin in key[0]]
        return found[offset : None if limit is None else offset + limit], len(found)

    # ------------------------------------------------------------------ maintenance
    def clear_quarantine(self, *, origin: str | None = None) -> int:
        """Forget rejected records (those whose file contains ``origin``, or all); returns how many."""
        with self._write():
            gone = [key for key in self._quarantine if not origin or origin in key[0]]
            for key in gone:
                del self._quarantine[key]
            return len(gone)

    def delete_sources(self, sources: Sequence[str]) -> int:
        """Delete the articles of these outlets with everything derived from them."""
        wanted = {s.lower() for s in sources}
        with self._write():
            doomed = {i for i, (a, _) in self._articles.items() if a.source.lower() in wanted}
            for pair in [p for p in self._copies if p[0] in doomed or p[1] in doomed]:
                del self._copies[pair]
            for table in (self._copy_checks, self._profiles, self._members, self._articles):
                for article_id in doomed & set(table):
                    del table[article_id]
            return len(doomed)

    def reset_stories(self) -> int:
        """Forget every story and what was derived for it; returns how many stories there were."""
        with self._write():
            n = len({story for story, _, _ in self._members.values()})
            for table in (
                self._copies,
                self._copy_checks,
                self._members,
                self._profiles,
                self._stories,
                self._threads,
                self._thread_members,
            ):
                table.clear()
            self._events.clear()
            return n

    def iter_memberships(self) -> Iterator[Membership]:
        """Every membership, in joining order."""
        with self._reading():
            rows = [
                Membership(article_id, story, score, json.loads(evidence))
                for article_id, (story, score, evidence) in self._members.items()
            ]
        yield from rows

    # ------------------------------------------------------------------ learned boilerplate
    def boilerplate_counts(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Count]:
        """The stored counts of the given (scope, key) pairs, fresh objects."""
        with self._reading():
            return {k: _count(self._boilerplate[k]) for k in keys if k in self._boilerplate}

    def write_boilerplate_counts(self, update: CountsUpdate) -> None:
        """Store what a batch taught: new rows in, changed counts of stored keys, pruning."""
        with self._write():
            self._apply_counts(update)

    def _apply_counts(self, update: CountsUpdate) -> None:
        from ..clean.boilerplate import Count

        for row in update.new:  # rows as the SQLite table holds them (lists joined by spaces)
            r: Any = row
            self._boilerplate[(r[0], r[1])] = Count(
                r[0], r[1], r[2], r[3], r[4], str(r[5]).split(), str(r[6]).split(), r[7], r[8]
            )
        for c in update.updated:  # an UPDATE: a key not stored stays absent; its kind stays
            if (old := self._boilerplate.get((c.scope, c.key))) is not None:
                self._boilerplate[(c.scope, c.key)] = replace(_count(c), kind=old.kind)
        if update.prune_before is not None and update.prune_before > 0:
            for key in [
                k
                for k, c in self._boilerplate.items()
                if c.articles == 1 and c.last_seq < update.prune_before
            ]:
                del self._boilerplate[key]
            self._firsts = {i: chunk for i, chunk in self._firsts.items() if chunk[0] >= update.prune_before}
        for i in update.firsts_drop:
            self._firsts.pop(i, None)
        for chunk in update.firsts:
            self._firsts[max(self._firsts, default=0) + 1] = chunk

    def boilerplate_keys(self, scope: str) -> list[int]:
        """The keys the store holds counts of in one scope (``""``: the corpus)."""
        with self._reading():
            return [k for s, k in self._boilerplate if s == scope]

    def boilerplate_firsts(self) -> list[tuple[int, int, bytes, bytes]]:
        """The stored chunks of first sightings (number, last storing number, keys, holders)."""
        with self._reading():
            return [(i, *chunk) for i, chunk in sorted(self._firsts.items())]

    def iter_boilerplate(
        self, *, site: str | None = None, min_unrelated: int = 2, limit: int = 200
    ) -> list[Count]:
        """Recurring keys, by scope, most widespread first."""
        with self._reading():
            counts = [_count(r) for r in self._boilerplate.values()]
            kept = [c for c in counts if c.unrelated >= min_unrelated and (site is None or c.scope == site)]
            kept.sort(key=lambda c: (c.scope, -c.unrelated, -c.articles, c.sample, c.key))
            return kept[:limit]


def _count(count: Count) -> Count:
    """A copy of a count that shares nothing with it (the learner changes what it is given)."""
    return replace(count, reps=list(count.reps), holders=list(count.holders))
