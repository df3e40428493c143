"""The SQLite store's grouping tables: stories (assignments, profiles, merges, events),
threads and copy links. A mixin of :class:`~storyline.store.sqlite.SQLiteStore`, which gives it
its connection and transactions."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..models import (
    Assignment,
    CopyLink,
    CopyType,
    Membership,
    Story,
    to_dict,
)
from .rows import story_from_rows

if TYPE_CHECKING:
    from .sqlite import _Transaction

#: a member the story stage placed as undated although it has a date (its profile, joined as ``p``,
#: holds no publication day): the date was not believed
_DOUBTED = "(p.article_id IS NOT NULL AND p.published IS NULL AND a.published IS NOT NULL) AS doubted"


class GroupTables:
    """Stories, threads and copies on the store's connection (see :class:`~storyline.store.base.Store`)."""

    if TYPE_CHECKING:
        path: str

        @property
        def _db(self) -> sqlite3.Connection: ...

        def transaction(self) -> _Transaction: ...

    # ------------------------------------------------------------------ stories
    def write_assignments(
        self, assignments: Sequence[Assignment], profiles: Sequence[tuple[str, int | None, bytes]] = ()
    ) -> None:
        """Record where articles went (and the profiles the story stage keeps), in one transaction."""
        now = time.time()
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO profiles (article_id, published, data) VALUES (?, ?, ?)", profiles
            )
            for a in assignments:
                if a.opened:
                    self._db.execute(
                        "INSERT OR IGNORE INTO stories (id, opened_by, opened_at) VALUES (?, ?, ?)",
                        (a.story_id, a.article_id, now),
                    )
                for dropped in a.merged:
                    self._db.execute(
                        "UPDATE memberships SET story_id = ? WHERE story_id = ?", (a.story_id, dropped)
                    )
                    self._db.execute(
                        "UPDATE stories SET merged_into = ? WHERE id = ? OR merged_into = ?",
                        (a.story_id, dropped, dropped),
                    )
                    self._event(a.story_id, "merged", a.article_id, {"absorbed": dropped}, now)
                    self._event(dropped, "merged-into", a.article_id, {"into": a.story_id}, now)
                self._db.execute(
                    "INSERT OR REPLACE INTO memberships (article_id, story_id, score, evidence, joined_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (a.article_id, a.story_id, a.score, json.dumps(a.evidence, ensure_ascii=False), now),
                )
                self._event(
                    a.story_id, "opened" if a.opened else "joined", a.article_id, {"score": a.score}, now
                )

    def _event(self, story: str, kind: str, article: str, detail: dict[str, Any], at: float) -> None:
        self._db.execute(
            "INSERT INTO story_events (story_id, kind, article_id, detail, at) VALUES (?, ?, ?, ?, ?)",
            (story, kind, article, json.dumps(detail), at),
        )

    def unassigned_ids(self) -> list[str]:
        """Articles not yet in a story, in publication order (undated ones in storing order, first)."""
        rows = self._db.execute(
            "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM memberships) "
            "AND removed NOT LIKE '%\"boilerplate-only\"%' ORDER BY COALESCE(published, ''), seq"
        )
        return [r[0] for r in rows]

    def iter_profiles(self, since: int | None = None) -> Iterator[tuple[str, str, bytes]]:
        """(article id, story id, profile bytes) of assigned articles published since the ordinal
        ``since`` (and of undated ones), in publication order."""
        rows = self._db.execute(
            "SELECT p.article_id, m.story_id, p.data FROM profiles p JOIN memberships m USING (article_id) "
            "JOIN articles a ON a.id = p.article_id WHERE p.published IS NULL OR p.published >= ? "
            "ORDER BY COALESCE(a.published, ''), a.seq",
            (since if since is not None else -(10**9),),
        )
        for row in rows:
            yield row[0], row[1], row[2]

    def merged_stories(self) -> dict[str, str]:
        """Story id → the story it was merged into, for every merged story (ids never reused)."""
        rows = self._db.execute("SELECT id, merged_into FROM stories WHERE merged_into IS NOT NULL")
        return {r[0]: r[1] for r in rows}

    def members_of(self, story_ids: Iterable[str]) -> dict[str, list[str]]:
        """Story id → all its member article ids (in joining order), for the given stories."""
        ids = list(dict.fromkeys(story_ids))
        out: dict[str, list[str]] = {s: [] for s in ids}
        for start in range(0, len(ids), 800):  # SQLite caps the number of parameters
            chunk = ids[start : start + 800]
            rows = self._db.execute(
                f"SELECT article_id, story_id FROM memberships WHERE story_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY joined_at, rowid",
                chunk,
            )
            for r in rows:
                out[r[1]].append(r[0])
        return out

    def story_ids_of(self, article_ids: Iterable[str] | None) -> dict[str, str]:
        """Article id → story id, for the given articles (all assigned ones when None)."""
        if article_ids is None:
            return {r[0]: r[1] for r in self._db.execute("SELECT article_id, story_id FROM memberships")}
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, str] = {}
        for start in range(0, len(ids), 800):  # SQLite caps the number of parameters
            chunk = ids[start : start + 800]
            rows = self._db.execute(
                f"SELECT article_id, story_id FROM memberships WHERE article_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: r[1] for r in rows})
        return out

    def current_story_id(self, story_id: str) -> str:
        """The id a story goes by now (a merged story's id leads to the story that absorbed it)."""
        row = self._db.execute("SELECT merged_into FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None:
            prefix = story_id.replace("%", "").replace("_", r"\_")
            rows = (  # an empty prefix is no id (it matched every story)
                self._db.execute(
                    "SELECT id FROM stories WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (prefix + "%",)
                ).fetchall()
                if prefix
                else []
            )
            if len(rows) != 1:
                raise NotFoundError(
                    f"no story {story_id!r} in the store {self.path!r}"
                    if not rows
                    else f"story id {story_id!r} is ambiguous: give more of it"
                )
            return self.current_story_id(rows[0][0])
        return str(row[0]) if row[0] else story_id

    def count_stories(self) -> int:
        """How many current stories there are: those with members (an absorbed story has none)."""
        return int(self._db.execute("SELECT COUNT(DISTINCT story_id) FROM memberships").fetchone()[0])

    def list_stories(self) -> list[Story]:
        """Every current story with its members in publication order, largest stories first."""
        rows = self._db.execute(
            f"SELECT m.story_id, a.id, a.title, substr(a.text, 1, 160) AS lead, a.published, a.source, "
            f"a.language, s.merged_into, {_DOUBTED} FROM memberships m JOIN articles a ON a.id = m.article_id "
            "JOIN stories s ON s.id = m.story_id LEFT JOIN profiles p ON p.article_id = a.id "
            "ORDER BY m.story_id, COALESCE(a.published, '9999'), a.seq"
        )
        groups: dict[str, list[sqlite3.Row]] = {}
        for row in rows:
            groups.setdefault(row["story_id"], []).append(row)
        merged = self._merged_from()
        stories = [
            self._story(story_id, members, merged.get(story_id, ())) for story_id, members in groups.items()
        ]
        return sorted(stories, key=lambda s: (-len(s.article_ids), s.first_published or "", s.id))

    def get_story(self, story_id: str) -> Story:
        """One story (by id, unique id prefix, or the id of a story it absorbed)."""
        current = self.current_story_id(story_id)
        rows = self._db.execute(
            "SELECT m.story_id, a.id, a.title, substr(a.text, 1, 160) AS lead, a.published, a.source, a.language, "
            f"{_DOUBTED} FROM memberships m JOIN articles a ON a.id = m.article_id "
            "LEFT JOIN profiles p ON p.article_id = a.id WHERE m.story_id = ? "
            "ORDER BY COALESCE(a.published, '9999'), a.seq",
            (current,),
        ).fetchall()
        if not rows:
            raise NotFoundError(f"story {story_id!r} has no articles in the store {self.path!r}")
        return self._story(current, rows, self._merged_from().get(current, ()))

    def _merged_from(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for row in self._db.execute(
            "SELECT id, merged_into FROM stories WHERE merged_into IS NOT NULL ORDER BY id"
        ):
            out.setdefault(row[1], []).append(row[0])
        return {k: tuple(v) for k, v in out.items()}

    @staticmethod
    def _story(story_id: str, rows: Sequence[sqlite3.Row], merged_from: tuple[str, ...]) -> Story:
        return story_from_rows(story_id, rows, merged_from)

    def memberships(self, story_id: str) -> list[Membership]:
        """Why each member is in the story."""
        rows = self._db.execute(
            "SELECT article_id, story_id, score, evidence FROM memberships WHERE story_id = ? ORDER BY joined_at, rowid",
            (self.current_story_id(story_id),),
        )
        return [Membership(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def story_events(self, story_id: str) -> list[dict[str, Any]]:
        """The history of a story: opened, joined, merged, in order."""
        rows = self._db.execute(
            "SELECT kind, article_id, detail, at FROM story_events WHERE story_id = ? ORDER BY rowid",
            (story_id,),
        )
        return [{"kind": r[0], "article": r[1], "detail": json.loads(r[2]), "at": r[3]} for r in rows]

    # ------------------------------------------------------------------ threads
    def thread_memberships(self) -> dict[str, tuple[str, float, dict[str, Any]]]:
        """Story id → (thread id, score, evidence) for every threaded story (merged ones too)."""
        rows = self._db.execute("SELECT story_id, thread_id, score, evidence FROM thread_members")
        return {r[0]: (r[1], r[2], json.loads(r[3])) for r in rows}

    def merged_threads(self) -> dict[str, str]:
        """Thread id → the thread it was merged into, for every merged thread."""
        rows = self._db.execute("SELECT id, merged_into FROM threads WHERE merged_into IS NOT NULL")
        return {r[0]: r[1] for r in rows}

    def write_thread_links(self, links: Sequence[Any], dropped_stories: Iterable[str] = ()) -> None:
        """Record where stories went (:class:`~storyline.stories.threads.ThreadLink`), and forget the
        thread rows of stories merged away, in one transaction."""
        now = time.time()
        with self.transaction():
            self._db.executemany(
                "DELETE FROM thread_members WHERE story_id = ?", [(s,) for s in dropped_stories]
            )
            for link in links:
                if link.opened:
                    self._db.execute(
                        "INSERT OR IGNORE INTO threads (id, opened_by, opened_at) VALUES (?, ?, ?)",
                        (link.thread_id, link.story_id, now),
                    )
                for drop in link.merged:
                    self._db.execute(
                        "UPDATE thread_members SET thread_id = ? WHERE thread_id = ?", (link.thread_id, drop)
                    )
                    self._db.execute(
                        "UPDATE threads SET merged_into = ? WHERE id = ? OR merged_into = ?",
                        (link.thread_id, drop, drop),
                    )
                self._db.execute(
                    "INSERT OR REPLACE INTO thread_members (story_id, thread_id, score, evidence, joined_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        link.story_id,
                        link.thread_id,
                        link.score,
                        json.dumps(link.evidence, ensure_ascii=False),
                        now,
                    ),
                )

    # ------------------------------------------------------------------ copies
    def articles_without_copy_check(self) -> list[str]:
        """Articles in a story that the copy stage has not looked at yet."""
        rows = self._db.execute(
            "SELECT article_id FROM memberships WHERE article_id NOT IN (SELECT article_id FROM copy_checks)"
        )
        return [r[0] for r in rows]

    def write_copies(self, links: Sequence[CopyLink], checked: Iterable[str] = ()) -> None:
        """Store copy links (a link found again replaces the old one) and mark ``checked`` articles
        as looked at, in one transaction."""
        now = time.time()
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO copy_checks (article_id, at) VALUES (?, ?)",
                [(i, now) for i in checked],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO copies (copy, original, type, score, evidence) VALUES (?, ?, ?, ?, ?)",
                [(c.copy, c.original, str(c.type), c.score, json.dumps(to_dict(c.evidence))) for c in links],
            )

    def copies(self, article_ids: Iterable[str] | None = None) -> list[CopyLink]:
        """Copy links that involve any of ``article_ids`` (all links when None)."""
        query = "SELECT copy, original, type, score, evidence FROM copies"
        if article_ids is None:
            rows = self._db.execute(query + " ORDER BY rowid").fetchall()
        else:
            ids = list(dict.fromkeys(article_ids))
            rows = []
            for start in range(0, len(ids), 400):  # SQLite caps the number of parameters
                chunk = ids[start : start + 400]
                marks = ", ".join("?" * len(chunk))
                rows += self._db.execute(
                    f"{query} WHERE copy IN ({marks}) OR original IN ({marks}) ORDER BY rowid", chunk + chunk
                ).fetchall()
            rows = list({(r[0], r[1]): r for r in rows}.values())
        return [CopyLink(r[0], r[1], CopyType(r[2]), r[3], json.loads(r[4])) for r in rows]
