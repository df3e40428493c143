"""Persistence: one SQLite file by default.

The file runs in WAL mode, carries a schema version and migrates forward on
open; each batch is one transaction, so an ingest killed midway leaves every
earlier batch whole and none half-written. Articles are keyed by their content
hash: writing the same article twice stores it once.

Backends sit behind :class:`~storyline.types.Store` and :func:`open_store`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import NotFoundError, StoreError
from .models import Article, Embed, Quarantined, RemovedSpan
from .types import Store

#: Schema migrations: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: list[str] = [
    # 0 -> 1: articles and quarantine
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        external_id TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        published TEXT,
        url TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '',
        sentences TEXT NOT NULL DEFAULT '[]',
        embeds TEXT NOT NULL DEFAULT '[]',
        removed TEXT NOT NULL DEFAULT '[]',
        seq INTEGER NOT NULL,
        ingested_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX articles_seq ON articles(seq);
    CREATE INDEX articles_published ON articles(published);
    CREATE TABLE quarantine (
        origin TEXT NOT NULL,
        position TEXT NOT NULL,
        reason TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (origin, position, reason)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

_ARTICLE_COLUMNS = (
    "id",
    "external_id",
    "title",
    "text",
    "published",
    "url",
    "source",
    "language",
    "origin",
    "position",
    "sentences",
    "embeds",
    "removed",
)


def _article_row(article: Article) -> tuple[Any, ...]:
    return (
        article.id,
        article.external_id,
        article.title,
        article.text,
        article.published,
        article.url,
        article.source,
        article.language,
        article.origin,
        article.position,
        json.dumps(list(article.sentences), ensure_ascii=False),
        json.dumps([_embed_dict(e) for e in article.embeds], ensure_ascii=False),
        json.dumps([[r.reason, r.text] for r in article.removed], ensure_ascii=False),
    )


def _embed_dict(embed: Embed) -> dict[str, str]:
    return {
        "kind": embed.kind,
        "text": embed.text,
        "url": embed.url,
        "author": embed.author,
        "handle": embed.handle,
        "date": embed.date,
    }


def _row_article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        external_id=row["external_id"],
        title=row["title"],
        text=row["text"],
        published=row["published"],
        url=row["url"],
        source=row["source"],
        language=row["language"],
        origin=row["origin"],
        position=row["position"],
        sentences=tuple(json.loads(row["sentences"])),
        embeds=tuple(Embed(**e) for e in json.loads(row["embeds"])),
        removed=tuple(RemovedSpan(reason, text) for reason, text in json.loads(row["removed"])),
    )


class SQLiteStore(Store):
    """Articles and everything derived from them in one SQLite file (``":memory:"`` works too)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self.path!r}: {exc}") from exc

    # ------------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path!r} has schema version {version}, newer than this storyline "
                f"understands ({SCHEMA_VERSION}); upgrade storyline"
            )
        for target in range(version, SCHEMA_VERSION):
            with self.transaction():
                for statement in _statements(MIGRATIONS[target]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={target + 1}")

    def transaction(self) -> _Transaction:
        """``with store.transaction():`` everything inside commits together or not at all."""
        return _Transaction(self._db)

    def close(self) -> None:
        """Close the file (further calls fail)."""
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def write_batch(self, articles: Sequence[Article], quarantined: Sequence[Quarantined] = ()) -> list[str]:
        """Store a batch in one transaction; returns the ids that were new (the rest were duplicates)."""
        now = time.time()
        new: list[str] = []
        with self.transaction():
            seq = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0])
            for article in articles:
                seq += 1
                cursor = self._db.execute(
                    f"INSERT OR IGNORE INTO articles ({', '.join(_ARTICLE_COLUMNS)}, seq, ingested_at) "
                    f"VALUES ({', '.join('?' * len(_ARTICLE_COLUMNS))}, ?, ?)",
                    (*_article_row(article), seq, now),
                )
                if cursor.rowcount:
                    new.append(article.id)
                else:
                    seq -= 1
            self._db.executemany(
                "INSERT OR REPLACE INTO quarantine (origin, position, reason, seen_at) VALUES (?, ?, ?, ?)",
                [(q.origin, q.position, q.reason, now) for q in quarantined],
            )
        return new

    # ------------------------------------------------------------------ reading
    def has_article(self, article_id: str) -> bool:
        """Whether an article with this id is stored."""
        return self._db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def get_article(self, article_id: str) -> Article:
        """The article with this id (a unique prefix of it, or its record's own id, also works)."""
        row = self._db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            rows = self._db.execute(
                "SELECT * FROM articles WHERE id LIKE ? ESCAPE '\\' OR external_id = ? LIMIT 2",
                (article_id.replace("%", "").replace("_", r"\_") + "%", article_id),
            ).fetchall()
            if len(rows) == 1:
                row = rows[0]
            elif len(rows) > 1:
                raise NotFoundError(f"article id {article_id!r} is ambiguous: give more of it")
        if row is None:
            raise NotFoundError(f"no article {article_id!r} in the store {self.path!r}")
        return _row_article(row)

    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]:
        """All stored articles in the order they were stored (or those of ``ids``, in that order)."""
        if ids is not None:
            for article_id in ids:
                yield self.get_article(article_id)
            return
        last = 0
        while True:  # pages keep memory flat on large stores
            rows = self._db.execute(
                "SELECT * FROM articles WHERE seq > ? ORDER BY seq LIMIT 1000", (last,)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _row_article(row)
            last = rows[-1]["seq"]

    def count_articles(self) -> int:
        """How many articles are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def iter_quarantine(self) -> Iterator[Quarantined]:
        """Rejected records, oldest first."""
        for row in self._db.execute(
            "SELECT origin, position, reason FROM quarantine ORDER BY seen_at, rowid"
        ):
            yield Quarantined(row["origin"], row["position"], row["reason"])


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


_BACKENDS: dict[str, type[Store]] = {"sqlite": SQLiteStore}


def open_store(path: str | Path, *, backend: str = "sqlite") -> Store:
    """Open (creating and migrating as needed) a store of the named backend."""
    try:
        cls = _BACKENDS[backend]
    except KeyError:
        raise StoreError(
            f"unknown store backend {backend!r}; known: {', '.join(sorted(_BACKENDS))}"
        ) from None
    return cls(path)  # type: ignore[call-arg]
