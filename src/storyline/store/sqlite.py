"""Persistence: one SQLite file by default.

The file runs in WAL mode, carries a schema version and migrates forward on
open; each batch is one transaction, so an ingest killed midway leaves every
earlier batch whole and none half-written. Articles are keyed by their content
hash: writing the same article twice stores it once.

Backends sit behind :class:`~storyline.store.base.Store` and :func:`open_store`."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, StoreError
from ..models import Article, Membership, Quarantined
from .base import Store
from .counts import CountTables
from .groups import GroupTables
from .locking import GroupingLock
from .rows import _ARTICLE_COLUMNS, _article_row, _row_article
from .schema import MIGRATIONS, SCHEMA_VERSION, _statements

if TYPE_CHECKING:
    from ..clean.boilerplate import CountsUpdate


class SQLiteStore(CountTables, GroupTables, Store):
    """Articles and everything derived from them in one SQLite file (``":memory:"`` works too).

    Each thread gets its own connection (made on its first call); writes are serialised, in
    this process by a lock and across processes by SQLite's write lock. With ``read_only``
    every write raises :class:`StoreError` and the connections refuse writes too
    (``PRAGMA query_only``); the file must exist (a store of an older schema is migrated
    first, once, by a short-lived writer).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()  # the list of connections
        self._write_lock = threading.RLock()  # one writing transaction at a time in this process
        self._closed = False
        memory = self.path == ":memory:"
        # a read-only store writes nothing: its lock (that of this process) needs no file
        self._grouping = GroupingLock(None if memory or read_only else self.path + "-lock")
        # the connections of other threads must reach the same database: in memory, a named
        # shared-cache one
        self._uri = f"file:storyline-{uuid.uuid4().hex}?mode=memory&cache=shared" if memory else None
        if read_only and (memory or not Path(self.path).is_file()):
            raise StoreError(
                "an in-memory store cannot be read-only (it would stay empty)"
                if memory
                else f"cannot open the store {self.path!r} read-only: no such file"
            )
        real = Path(self.path).resolve() if not memory else Path(self.path)
        if read_only and not memory and not os.access(real.parent, os.W_OK):
            # a store in a folder this process cannot write (a read-only mount, a shared archive):
            # SQLite cannot make the files a WAL reader needs, so the file is read as unchanging
            # (the log is beside the file itself, not beside a link to it)
            wal = real.with_name(real.name + "-wal")
            if wal.is_file() and wal.stat().st_size:
                raise StoreError(
                    f"cannot open the store {self.path!r} read-only: its folder cannot be written and "
                    f"its write-ahead log ({wal.name}) holds changes not yet in the file; copy the store "
                    "and its -wal file to a folder that can be written, and open it there"
                )
            self._uri = f"{real.as_uri()}?mode=ro&immutable=1"
        try:
            if not memory and not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # the first connection sets the journal mode (a property of the file) and migrates; in
            # memory it also keeps the shared database alive
            self._local.db = self._connect()
            self._setup(wal=memory or not read_only)
        except StoreError:
            self.close()
            raise
        except sqlite3.Error as exc:
            self.close()
            why = _describe(exc)
            if not memory and not read_only and not os.access(Path(self.path).resolve().parent, os.W_OK):
                why += " (its folder cannot be written: a read-only file system, or no permission)"
            raise StoreError(f"cannot open the store {self.path!r}: {why}") from exc
        except OSError as exc:
            self.close()
            raise StoreError(f"cannot open the store {self.path!r}: {exc.strerror or exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only lets close() release every thread's connection from the
        # thread that closes the store; each connection is used by the thread that made it only
        if self._uri is not None:
            db = sqlite3.connect(
                self._uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10.0
            )
        else:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        with self._guard:
            self._connections.append(db)
        db.row_factory = sqlite3.Row
        # the busy timeout first: a second process opening a new store waits for the first
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        if self.read_only:
            db.execute("PRAGMA query_only=ON")  # SQLite itself refuses writes on this connection
        return db

    def _setup(self, *, wal: bool = True, wait: float = 10.0) -> None:
        """WAL mode and migrations, on the first connection. Switching a new file to WAL, or opening
        one while another process recovers its log, can be refused as "locked" without SQLite's busy
        handler being asked: then wait a little and try again, for up to ``wait`` seconds."""
        deadline = time.monotonic() + wait
        pause = 0.01
        while True:
            try:
                self._check_ours()  # before anything is written: not even the journal mode
                if wal:
                    self._db.execute("PRAGMA journal_mode=WAL")
                if self.read_only and self.schema_version < SCHEMA_VERSION:
                    SQLiteStore(self.path).close()  # migrate forward with a writer of its own
                self._migrate()
                return
            except (sqlite3.OperationalError, StoreError) as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.25)

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        if self._closed:
            raise StoreError(f"the store {self.path!r} is closed")
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            try:
                db = self._local.db = self._connect()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the store {self.path!r}: {_describe(exc)}") from exc
        return db

    # ------------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _check_ours(self) -> None:
        """Refuse an SQLite file that is not a storyline store (another program's database given as
        --db by mistake): migrating it would add a dozen tables to it and switch it to WAL."""
        if self.path == ":memory:":
            return
        tables = [
            str(r[0])
            for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
            )
        ]
        version = self.schema_version
        if version < 0 or (version == 0 and tables) or (version > 0 and "articles" not in tables):
            shown = ", ".join(tables[:8]) + (", …" if len(tables) > 8 else "")
            raise StoreError(
                f"{self.path!r} is an SQLite database but not a storyline store (schema version "
                f"{version}, tables: {shown or 'none'}); it was left as it is: give --db a new file "
                "or a storyline store"
            )

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path!r} has schema version {version}, newer than this storyline "
                f"understands ({SCHEMA_VERSION}); upgrade storyline"
            )
        if version == SCHEMA_VERSION:
            return  # nothing to write: a read-only store opens too
        with self.transaction():
            # read again under the write lock: another process may have migrated it meanwhile
            for target in range(self.schema_version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[target]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={target + 1}")

    def transaction(self) -> _Transaction:
        """``with store.transaction():`` everything inside commits together or not at all; a write
        that fails (read-only file, full disk) rolls back and raises :class:`StoreError` naming the
        store and the reason."""
        if self.read_only:
            raise StoreError(f"the store {self.path!r} is open read-only: nothing can be written")
        return _Transaction(self._db, self.path, self._write_lock)

    def grouping(self, on_wait: Callable[[], object] | None = None) -> AbstractContextManager[None]:
        """Hold the grouping lock: the file ``<store>-lock`` beside the store, locked (see
        :mod:`~storyline.store.locking`); in memory, this process's lock."""
        return self._grouping.hold(on_wait)

    def close(self) -> None:
        """Close every thread's connection (further calls fail)."""
        self._closed = True
        with self._guard:
            connections, self._connections = self._connections, []
        for db in connections:
            db.close()

    # ------------------------------------------------------------------ writing
    def write_batch(
        self,
        articles: Sequence[Article],
        quarantined: Sequence[Quarantined] = (),
        *,
        counts: CountsUpdate | None = None,
    ) -> list[str]:
        """Store a batch in one transaction; returns the ids that were new (the rest were duplicates).

        ``counts``: what the batch taught the boilerplate learner, committed with it (a batch that
        fails to be stored is not counted)."""
        now = time.time()
        new: list[str] = []
        with self.transaction():
            if counts is not None:
                self._write_counts(counts)
            seq = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()[0])
            # the ids stored already (the transaction holds the write lock: none can appear meanwhile) and
            # those repeated in the batch are duplicates; the new ones are inserted in one call, numbered in order
            seen = self.stored_ids([a.id for a in articles]) if articles else set()
            rows: list[tuple[Any, ...]] = []
            for article in articles:
                if article.id in seen:
                    continue
                seen.add(article.id)
                seq += 1
                rows.append((*_article_row(article), seq, now))
                new.append(article.id)
            self._db.executemany(
                f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}, seq, ingested_at) "
                f"VALUES ({', '.join('?' * len(_ARTICLE_COLUMNS))}, ?, ?)",
                rows,
            )
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
        if row is None and article_id.replace("%", ""):  # an empty prefix is no id (it matched every article)
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

    def newest_published_ordinal(self) -> int | None:
        """The proleptic ordinal of the latest publication date stored, None when no article is dated."""
        row = self._db.execute("SELECT MAX(published) FROM profiles").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def count_articles(self) -> int:
        """How many articles are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def iter_quarantine(self) -> Iterator[Quarantined]:
        """Rejected records, oldest first."""
        for row in self._db.execute(
            "SELECT origin, position, reason FROM quarantine ORDER BY seen_at, rowid"
        ):
            yield Quarantined(row["origin"], row["position"], row["reason"])

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
        """The stored articles that pass the filters, in storing order, one page of them
        (``limit`` from ``offset``), and how many pass in all. ``since``/``until`` are ISO dates,
        inclusive, and leave out undated articles; ``language`` and ``source`` match exactly
        (case aside)."""
        where, args = self._article_filters(since, until, language, source)
        total = int(self._db.execute(f"SELECT COUNT(*) FROM articles{where}", args).fetchone()[0])
        return list(self.iter_found(since, until, language, source, limit=limit, offset=offset)), total

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
        """The articles :meth:`find_articles` gives, streamed a thousand at a time (memory stays
        flat however many pass)."""
        where, args = self._article_filters(since, until, language, source)
        joiner = " AND " if where else " WHERE "
        first = self._db.execute(
            f"SELECT seq FROM articles{where} ORDER BY seq LIMIT 1 OFFSET ?", [*args, offset]
        ).fetchone()
        if first is None:
            return
        last, left = first[0] - 1, limit
        while left is None or left > 0:
            page = 1000 if left is None else min(1000, left)
            rows = self._db.execute(
                f"SELECT * FROM articles{where}{joiner}seq > ? ORDER BY seq LIMIT ?", [*args, last, page]
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _row_article(row)
            last = rows[-1]["seq"]
            left = None if left is None else left - len(rows)

    @staticmethod
    def _article_filters(
        since: str | None, until: str | None, language: str | None, source: str | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if since:
            clauses.append("published IS NOT NULL AND substr(published, 1, 10) >= ?")
            args.append(since)
        if until:
            clauses.append("published IS NOT NULL AND substr(published, 1, 10) <= ?")
            args.append(until)
        if language:
            clauses.append("lower(language) = lower(?)")
            args.append(language)
        if source:
            clauses.append("lower(source) = lower(?)")
            args.append(source)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def find_quarantine(
        self, *, origin: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Quarantined], int]:
        """Rejected records (oldest first) whose file contains ``origin``: one page and the total."""
        where, args = (" WHERE instr(origin, ?) > 0", [origin]) if origin else ("", [])
        total = int(self._db.execute(f"SELECT COUNT(*) FROM quarantine{where}", args).fetchone()[0])
        rows = self._db.execute(
            f"SELECT origin, position, reason FROM quarantine{where} ORDER BY seen_at, rowid LIMIT ? OFFSET ?",
            [*args, -1 if limit is None else limit, offset],
        ).fetchall()
        return [Quarantined(r[0], r[1], r[2]) for r in rows], total

    # ------------------------------------------------------------------ maintenance
    def clear_quarantine(self, *, origin: str | None = None) -> int:
        """Forget rejected records (those whose file contains ``origin``, or all); returns how many."""
        with self.transaction():
            if origin:
                cursor = self._db.execute("DELETE FROM quarantine WHERE instr(origin, ?) > 0", (origin,))
            else:
                cursor = self._db.execute("DELETE FROM quarantine")
        return int(cursor.rowcount)

    def delete_sources(self, sources: Sequence[str]) -> int:
        """Delete the articles of these outlets (exact match, case aside) with everything derived
        from them (memberships, profiles, copy links, copy checks), in one transaction; returns how
        many articles went. Stories keep their other members; a story left empty disappears from
        the listings (its id is not reused)."""
        wanted = [s.lower() for s in sources]
        marks = ", ".join("?" * len(wanted))
        with self.transaction():
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS doomed AS SELECT id FROM articles WHERE 0")
            self._db.execute("DELETE FROM doomed")
            self._db.execute(
                f"INSERT INTO doomed SELECT id FROM articles WHERE lower(source) IN ({marks})", wanted
            )
            self._db.execute("DELETE FROM copies WHERE copy IN doomed OR original IN doomed")
            self._db.execute("DELETE FROM copy_checks WHERE article_id IN doomed")
            self._db.execute("DELETE FROM profiles WHERE article_id IN doomed")
            self._db.execute("DELETE FROM memberships WHERE article_id IN doomed")
            cursor = self._db.execute("DELETE FROM articles WHERE id IN doomed")
            self._db.execute("DELETE FROM doomed")
        return int(cursor.rowcount)

    def reset_stories(self) -> int:
        """Forget every story, membership, story event, profile, copy link, copy check and thread
        (the articles stay), so that grouping starts from scratch; returns the stories there were."""
        with self.transaction():
            n = int(self._db.execute("SELECT COUNT(DISTINCT story_id) FROM memberships").fetchone()[0])
            for table in (
                "copies",
                "copy_checks",
                "memberships",
                "story_events",
                "profiles",
                "stories",
                "thread_members",
                "threads",
            ):
                self._db.execute(f"DELETE FROM {table}")
        return n

    def iter_memberships(self) -> Iterator[Membership]:
        """Every membership (why each article is in its story), in joining order."""
        for r in self._db.execute(
            "SELECT article_id, story_id, score, evidence FROM memberships ORDER BY joined_at, rowid"
        ):
            yield Membership(r[0], r[1], r[2], json.loads(r[3]))


def describe_failure(exc: sqlite3.Error, path: str) -> str:
    """Why a store read failed, in words, with the way out for a damaged file (``path`` as the
    message should show it: the command line's path, or only the file's name on the web)."""
    reason = _describe(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("malformed" in reason or "not a database" in reason):
        reason += f" (the file is damaged: `sqlite3 {path} .recover` may save what is left)"
    return reason


def _describe(exc: sqlite3.Error) -> str:
    """SQLite's reason, with what to do about the usual ones."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"{text} (the file or its folder is not writable)"
    if "disk is full" in text or "disk I/O error" in text:
        return f"{text}; what was written before is kept, the failed batch was rolled back"
    return text


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: str, lock: threading.RLock) -> None:
        self._db = db
        self._path = path
        self._lock = lock

    def _fail(self, exc: sqlite3.Error) -> StoreError:
        return StoreError(f"cannot write to the store {self._path!r}: {_describe(exc)}")

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._lock.release()
            raise self._fail(exc) from exc

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self._finish(exc_type, exc)
        finally:
            self._lock.release()

    def _finish(self, exc_type: object, exc: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as commit_error:
                self._rollback()
                raise self._fail(commit_error) from commit_error
        self._rollback()  # SQLite may have rolled back already (a full disk does)
        if isinstance(exc, sqlite3.Error):
            raise self._fail(exc) from exc

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the connection rolled back itself
                self._db.execute("ROLLBACK")
