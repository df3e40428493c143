"""The SQLite schema as a list of migrations; the store's version is their count."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

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
    # 1 -> 2: stories, their history, article profiles and copy links
    """
    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        opened_by TEXT NOT NULL,
        opened_at REAL NOT NULL,
        merged_into TEXT
    );
    CREATE TABLE memberships (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        story_id TEXT NOT NULL REFERENCES stories(id),
        score REAL NOT NULL,
        evidence TEXT NOT NULL DEFAULT '{}',
        joined_at REAL NOT NULL
    );
    CREATE INDEX memberships_story ON memberships(story_id);
    CREATE TABLE story_events (
        story_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        article_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}',
        at REAL NOT NULL
    );
    CREATE INDEX story_events_story ON story_events(story_id);
    CREATE TABLE profiles (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        published INTEGER,
        data BLOB NOT NULL
    );
    CREATE TABLE copies (
        copy TEXT NOT NULL REFERENCES articles(id),
        original TEXT NOT NULL REFERENCES articles(id),
        type TEXT NOT NULL,
        score REAL NOT NULL,
        evidence TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (copy, original)
    );
    CREATE INDEX copies_original ON copies(original);
    """,
    # 2 -> 3: which articles the copy stage has looked at
    """
    CREATE TABLE copy_checks (
        article_id TEXT PRIMARY KEY REFERENCES articles(id),
        at REAL NOT NULL
    );
    """,
    # 3 -> 4: merges look up the stories merged into one (was a scan of the table per merge)
    """
    CREATE INDEX stories_merged_into ON stories(merged_into);
    """,
    # 4 -> 5: learned boilerplate, counts per scope (a site, or '' for the whole corpus) and sentence key
    """
    CREATE TABLE boilerplate (
        scope TEXT NOT NULL,
        key INTEGER NOT NULL,
        kind TEXT NOT NULL,
        articles INTEGER NOT NULL,
        unrelated INTEGER NOT NULL,
        reps TEXT NOT NULL DEFAULT '',
        holders TEXT NOT NULL DEFAULT '',
        sample TEXT NOT NULL DEFAULT '',
        last_seq INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
    ) WITHOUT ROWID;
    """,
    # 5 -> 6: threads (chains of stories on one subject), which story is in which, and why
    """
    CREATE TABLE IF NOT EXISTS threads (
        id TEXT PRIMARY KEY,
        opened_by TEXT NOT NULL,
        opened_at REAL NOT NULL,
        merged_into TEXT
    );
    CREATE TABLE IF NOT EXISTS thread_members (
        story_id TEXT PRIMARY KEY,
        thread_id TEXT NOT NULL,
        score REAL NOT NULL,
        evidence TEXT NOT NULL DEFAULT '{}',
        joined_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS thread_members_thread ON thread_members(thread_id);
    """,
    # 6 -> 7: learned boilerplate's first sightings (corpus keys seen once) in chunks, each two int64
    # arrays (sentence key, the id of the article holding it); the boilerplate table keeps the rest
    """
    CREATE TABLE IF NOT EXISTS boilerplate_firsts (
        id INTEGER PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        keys BLOB NOT NULL,
        holders BLOB NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
