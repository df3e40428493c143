"""The SQLite store's learned-boilerplate tables: sentence-key counts per site and corpus, the
stored chunks of first sightings, and the re-cleaning of stored articles. A mixin of
:class:`~storyline.store.sqlite.SQLiteStore`, which gives it its connection and transactions."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..models import Article

if TYPE_CHECKING:
    from ..clean.boilerplate import Count, CountsUpdate
    from .sqlite import _Transaction


class CountTables:
    """Learned boilerplate on the store's connection (see :class:`~storyline.store.base.Store`)."""

    if TYPE_CHECKING:
        path: str

        @property
        def _db(self) -> sqlite3.Connection: ...

        def transaction(self) -> _Transaction: ...

        def _event(self, story: str, kind: str, article: str, detail: dict[str, Any], at: float) -> None: ...

    # ------------------------------------------------------------------ boilerplate
    def max_seq(self) -> int:
        """The storing number of the latest article (0 for an empty store)."""
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0])

    def stored_ids(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` that are stored."""
        out: set[str] = set()
        for start in range(0, len(ids), 800):  # SQLite caps the number of parameters
            chunk = list(ids[start : start + 800])
            rows = self._db.execute(
                f"SELECT id FROM articles WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
            out.update(r[0] for r in rows)
        return out

    def boilerplate_counts(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Count]:
        """The stored counts of the given (scope, key) pairs (those never seen are absent)."""
        from ..clean.boilerplate import Count

        by_scope: dict[str, list[int]] = {}
        for scope, key in keys:
            by_scope.setdefault(scope, []).append(key)
        out: dict[tuple[str, int], Count] = {}
        for scope, scope_keys in by_scope.items():
            unique = sorted(set(scope_keys))
            for start in range(0, len(unique), 800):  # SQLite caps the number of parameters
                chunk = unique[start : start + 800]
                rows = self._db.execute(
                    "SELECT scope, key, kind, articles, unrelated, reps, holders, sample, last_seq FROM boilerplate "
                    f"WHERE scope = ? AND key IN ({', '.join('?' * len(chunk))})",
                    [scope, *chunk],
                )
                for r in rows:
                    out[(r[0], r[1])] = Count(
                        r[0], r[1], r[2], r[3], r[4], r[5].split(), r[6].split(), r[7], r[8]
                    )
        return out

    def write_boilerplate_counts(self, update: CountsUpdate) -> None:
        """Store what a batch taught (see :meth:`write_batch`, which does it with the batch)."""
        with self.transaction():
            self._write_counts(update)

    def _write_counts(self, update: CountsUpdate) -> None:
        from ..clean.boilerplate import counts_to_row

        self._db.executemany(
            "INSERT OR REPLACE INTO boilerplate (scope, key, kind, articles, unrelated, reps, holders, "
            "sample, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            update.new,
        )
        self._db.executemany(
            "UPDATE boilerplate SET articles = ?, unrelated = ?, reps = ?, holders = ?, sample = ?, "
            "last_seq = ? WHERE scope = ? AND key = ?",
            [(r[3], r[4], r[5], r[6], r[7], r[8], r[0], r[1]) for r in map(counts_to_row, update.updated)],
        )
        if update.prune_before is not None and update.prune_before > 0:
            # a scan of the table: the learner asks for it now and then, not every batch
            self._db.execute(
                "DELETE FROM boilerplate WHERE articles = 1 AND last_seq < ?", (update.prune_before,)
            )
            self._db.execute("DELETE FROM boilerplate_firsts WHERE last_seq < ?", (update.prune_before,))
        if update.firsts_drop:
            self._db.executemany(
                "DELETE FROM boilerplate_firsts WHERE id = ?", [(i,) for i in update.firsts_drop]
            )
        if update.firsts:
            self._db.executemany(
                "INSERT INTO boilerplate_firsts (last_seq, keys, holders) VALUES (?, ?, ?)", update.firsts
            )

    def boilerplate_keys(self, scope: str) -> list[int]:
        """The keys the store holds counts of in one scope (``""``: the corpus)."""
        return [r[0] for r in self._db.execute("SELECT key FROM boilerplate WHERE scope = ?", (scope,))]

    def boilerplate_firsts(self) -> list[tuple[int, int, bytes, bytes]]:
        """The stored chunks of first sightings (number, last storing number, keys, holders)."""
        rows = self._db.execute("SELECT id, last_seq, keys, holders FROM boilerplate_firsts ORDER BY id")
        return [(r[0], r[1], bytes(r[2]), bytes(r[3])) for r in rows]

    def iter_boilerplate(
        self, *, site: str | None = None, min_unrelated: int = 2, limit: int = 200
    ) -> list[Count]:
        """Recurring keys (``unrelated >= min_unrelated``), most widespread first; ``site`` picks one scope
        (``""`` the corpus scope)."""
        from ..clean.boilerplate import Count

        query = (
            "SELECT scope, key, kind, articles, unrelated, reps, holders, sample, last_seq FROM boilerplate "
            "WHERE unrelated >= ?"
        )
        params: list[Any] = [min_unrelated]
        if site is not None:
            query += " AND scope = ?"
            params.append(site)
        query += " ORDER BY scope, unrelated DESC, articles DESC, sample LIMIT ?"
        params.append(limit)
        return [
            Count(r[0], r[1], r[2], r[3], r[4], r[5].split(), r[6].split(), r[7], r[8])
            for r in self._db.execute(query, params)
        ]

    def replace_cleaned(self, articles: Sequence[Article]) -> None:
        """Store re-cleaned versions of stored articles (text, sentences, removed), and drop what was
        decided on the old text: story membership and profile, copy links and checks, so the story and
        copy stages place them again."""
        with self.transaction():
            for a in articles:
                self._db.execute(
                    "UPDATE articles SET text = ?, sentences = ?, removed = ? WHERE id = ?",
                    (
                        a.text,
                        json.dumps(list(a.sentences), ensure_ascii=False),
                        json.dumps([[r.reason, r.text] for r in a.removed], ensure_ascii=False),
                        a.id,
                    ),
                )
                self._db.execute("DELETE FROM memberships WHERE article_id = ?", (a.id,))
                self._db.execute("DELETE FROM profiles WHERE article_id = ?", (a.id,))
                self._db.execute("DELETE FROM copies WHERE copy = ? OR original = ?", (a.id, a.id))
                self._db.execute("DELETE FROM copy_checks WHERE article_id = ?", (a.id,))
                self._event_for_reclean(a.id)

    def _event_for_reclean(self, article_id: str) -> None:
        # story_events keeps the history: the article left its story to be placed again
        self._db.execute(
            "INSERT INTO story_events (story_id, kind, article_id, detail, at) "
            "SELECT story_id, 'recleaned', article_id, '{}', ? FROM story_events WHERE article_id = ? "
            "AND kind IN ('opened', 'joined') ORDER BY rowid DESC LIMIT 1",
            (time.time(), article_id),
        )
