"""The in-memory store's grouping tables: stories (assignments, profiles, merges, events), threads
and copy links. A mixin of :class:`~storyline.store.memory.MemoryStore`, which owns the tables and
the lock."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..models import Article, Assignment, CopyLink, CopyType, Membership, Story, to_dict
from .rows import story_from_rows


class MemoryGroups:
    """Stories, threads and copies over the in-memory tables (see :class:`~storyline.store.base.Store`)."""

    if TYPE_CHECKING:
        path: str
        _articles: dict[str, tuple[Article, int]]
        _stories: dict[str, str | None]
        _members: dict[str, tuple[str, float, str]]
        _events: list[tuple[str, str, str, str, float]]
        _profiles: dict[str, tuple[int | None, bytes]]
        _copies: dict[tuple[str, str], tuple[str, float, str]]
        _copy_checks: dict[str, None]
        _threads: dict[str, str | None]
        _thread_members: dict[str, tuple[str, float, str]]

        def _write(self) -> threading.RLock: ...

        def _reading(self) -> threading.RLock: ...

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
            found = [s for s in self._stories if prefix and s.lower().startswith(prefix)][:2]
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
                        "doubted": bool(
                            a.published
                            and article_id in self._profiles
                            and self._profiles[article_id][0] is None
                        ),
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
