"""An in-memory store: the whole contract in plain Python, for tests and notebooks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, StoreError
from ..models import Article, Assignment, CopyLink, CopyType, Membership, Quarantined, Story, to_dict
from .base import Store
from .sqlite import story_from_rows

if TYPE_CHECKING:
    from ..clean.boilerplate import Count, CountsUpdate


class MemoryStore(Store):
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
                if a.id.lower().startswith(prefix) or a.external_id == article_id
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

    # ------------------------------------------------------------------ stories
    def write_assignments(
        self, assignments: Sequence[Assignment], profiles: Sequence[tuple[str, int | None, bytes]] = ()
    ) -> None:
        """Record where articles went (and the profiles the story stage keeps)."""
        now = time.time()
        with self._write():
            for article_id, published, data in profiles:
                self._profiles.pop(article_id, None)
                self._profiles[article_id] = (published, data)
            for a in assignments:
                if a.opened and a.story_id not in self._stories:
                    self._stories[a.story_id] = None
                for dropped in a.merged:
                    for article_id, (story, score, evidence) in self._members.items():
                        if story == dropped:
                            self._members[article_id] = (a.story_id, score, evidence)
                    for story, into in self._stories.items():
                        if story == dropped or into == dropped:
                            self._stories[story] = a.story_id
                    self._events.append(
                        (a.story_id, "merged", a.article_id, json.dumps({"absorbed": dropped}), now)
                    )
                    self._events.append(
                        (dropped, "merged-into", a.article_id, json.dumps({"into": a.story_id}), now)
                    )
                self._members.pop(a.article_id, None)
                self._members[a.article_id] = (
                    a.story_id,
                    a.score,
                    json.dumps(a.evidence, ensure_ascii=False),
                )
                kind = "opened" if a.opened else "joined"
                self._events.append((a.story_id, kind, a.article_id, json.dumps({"score": a.score}), now))

    def unassigned_ids(self) -> list[str]:
        """Articles not yet in a story, in publication order (undated ones first), then storing order."""
        from ..clean.boilerplate import is_boilerplate_only

        with self._reading():
            todo = [
                (a.published or "", seq, a.id)
                for a, seq in self._articles.values()
                if a.id not in self._members and not is_boilerplate_only(a)
            ]
            return [article_id for *_, article_id in sorted(todo)]

    def iter_profiles(self, since: int | None = None) -> Iterator[tuple[str, str, bytes]]:
        """(article id, story id, profile bytes) of assigned articles published since ``since``."""
        floor = since if since is not None else -(10**9)
        rows = []
        with self._reading():
            for article_id, (published, data) in self._profiles.items():
                if article_id in self._members and (published is None or published >= floor):
                    article, seq = self._articles[article_id]
                    rows.append(
                        ((article.published or "", seq), article_id, self._members[article_id][0], data)
                    )
        for _, article_id, story_id, data in sorted(rows, key=lambda r: r[0]):
            yield article_id, story_id, data

    def newest_published_ordinal(self) -> int | None:
        """The latest publication ordinal among the kept profiles."""
        with self._reading():
            return max((p for p, _ in self._profiles.values() if p is not None), default=None)

    def merged_stories(self) -> dict[str, str]:
        """Story id → the story it was merged into."""
        with self._reading():
            return {story: into for story, into in self._stories.items() if into is not None}

    def thread_memberships(self) -> dict[str, tuple[str, float, dict[str, Any]]]:
        """Story id → (thread id, score, evidence)."""
        with self._reading():
            return {s: (t, score, json.loads(ev)) for s, (t, score, ev) in self._thread_members.items()}

    def merged_threads(self) -> dict[str, str]:
        """Thread id → the thread it was merged into."""
        with self._reading():
            return {t: into for t, into in self._threads.items() if into is not None}

    def write_thread_links(self, links: Sequence[Any], dropped_stories: Iterable[str] = ()) -> None:
        """Record where stories went and forget the rows of ``dropped_stories``, atomically."""
        with self._write():
            for story in dropped_stories:
                self._thread_members.pop(story, None)
            for link in links:
                if link.opened:
                    self._threads.setdefault(link.thread_id, None)
                for drop in link.merged:
                    for story, (thread, score, ev) in list(self._thread_members.items()):
                        if thread == drop:
                            self._thread_members[story] = (link.thread_id, score, ev)
                    for thread, into in list(self._threads.items()):
                        if thread == drop or into == drop:
                            self._threads[thread] = link.thread_id
                self._thread_members.pop(link.story_id, None)  # INSERT OR REPLACE moves it to the end
                self._thread_members[link.story_id] = (
                    link.thread_id,
                    float(link.score),
                    json.dumps(link.evidence, ensure_ascii=False),
                )

    def members_of(self, story_ids: Iterable[str]) -> dict[str, list[str]]:
        """Story id → its member article ids in joining order."""
        with self._reading():
            out: dict[str, list[str]] = {s: [] for s in dict.fromkeys(story_ids)}
            for article_id, (story, _, _) in self._members.items():
                if story in out:
                    out[story].append(article_id)
            return out

    def story_ids_of(self, article_ids: Iterable[str] | None) -> dict[str, str]:
        """Article id → story id."""
        with self._reading():
            if article_ids is None:
                return {a: m[0] for a, m in self._members.items()}
            return {a: self._members[a][0] for a in dict.fromkeys(article_ids) if a in self._members}

    def current_story_id(self, story_id: str) -> str:
        """The id a story goes by now."""
        with self._reading():
            if story_id in self._stories:
                return self._stories[story_id] or story_id
            prefix = story_id.replace("%", "").lower()
            found = [s for s in self._stories if s.lower().startswith(prefix)][:2]
            if len(found) != 1:
                raise NotFoundError(
                    f"no story {story_id!r} in the store {self.path!r}"
                    if not found
                    else f"story id {story_id!r} is ambiguous: give more of it"
                )
            return self.current_story_id(found[0])

    def _member_rows(self, story_id: str) -> list[dict[str, Any]]:
        rows = []
        for article_id, (story, _, _) in self._members.items():
            if story == story_id:
                a, seq = self._articles[article_id]
                rows.append(
                    {
                        "id": a.id,
                        "title": a.title,
                        "lead": a.text[:160],
                        "published": a.published,
                        "source": a.source,
                        "language": a.language,
                        "seq": seq,
                    }
                )
        return sorted(rows, key=lambda r: (r["published"] or "9999", r["seq"]))

    def _merged_from(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for story, into in sorted(self._stories.items()):
            if into is not None:
                out.setdefault(into, []).append(story)
        return {k: tuple(v) for k, v in out.items()}

    def list_stories(self) -> list[Story]:
        """Every current story, largest first."""
        with self._reading():
            merged = self._merged_from()
            ids = dict.fromkeys(story for story, _, _ in self._members.values() if story in self._stories)
            stories = [story_from_rows(s, self._member_rows(s), merged.get(s, ())) for s in ids]
            return sorted(stories, key=lambda s: (-len(s.article_ids), s.first_published or "", s.id))

    def get_story(self, story_id: str) -> Story:
        """One story (by id, unique id prefix, or the id of a story it absorbed)."""
        current = self.current_story_id(story_id)
        rows = self._member_rows(current)
        if not rows:
            raise NotFoundError(f"story {story_id!r} has no articles in the store {self.path!r}")
        return story_from_rows(current, rows, self._merged_from().get(current, ()))

    def memberships(self, story_id: str) -> list[Membership]:
        """Why each member is in the story, in joining order."""
        current = self.current_story_id(story_id)
        return [
            Membership(article_id, story, score, json.loads(evidence))
            for article_id, (story, score, evidence) in list(self._members.items())
            if story == current
        ]

    def story_events(self, story_id: str) -> list[dict[str, Any]]:
        """The history of a story, in order."""
        with self._reading():
            return [
                {"kind": kind, "article": article, "detail": json.loads(detail), "at": at}
                for story, kind, article, detail, at in list(self._events)
                if story == story_id
            ]

    # ------------------------------------------------------------------ copies
    def articles_without_copy_check(self) -> list[str]:
        """Articles in a story that the copy stage has not looked at yet."""
        with self._reading():
            return [a for a in self._members if a not in self._copy_checks]

    def write_copies(self, links: Sequence[CopyLink], checked: Iterable[str] = ()) -> None:
        """Store copy links (a link found again replaces the old one) and mark ``checked`` articles."""
        rows = [
            ((c.copy, c.original), (str(c.type), c.score, json.dumps(to_dict(c.evidence)))) for c in links
        ]
        with self._write():
            for article_id in checked:
                self._copy_checks[article_id] = None
            for key, row in rows:
                self._copies.pop(key, None)
                self._copies[key] = row

    def copies(self, article_ids: Iterable[str] | None = None) -> list[CopyLink]:
        """Copy links that involve any of ``article_ids`` (all links when None)."""
        with self._reading():
            wanted = set(article_ids) if article_ids is not None else None
            return [
                CopyLink(copy, original, CopyType(kind), score, json.loads(evidence))
                for (copy, original), (kind, score, evidence) in list(self._copies.items())
                if wanted is None or copy in wanted or original in wanted
            ]


def _count(count: Count) -> Count:
    """A copy of a count that shares nothing with it (the learner changes what it is given)."""
    return replace(count, reps=list(count.reps), holders=list(count.holders))
