"""The SQLite store: round trips, idempotence, migrations, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.errors import NotFoundError, StoreError
from storyline.models import Article, Embed, Quarantined, RemovedSpan
from storyline.pipeline import ingest
from storyline.store import open_store
from storyline.store.schema import SCHEMA_VERSION
from storyline.store.sqlite import SQLiteStore

texts = st.text(min_size=1, max_size=200)


@st.composite
def article_records(draw: st.DrawFn) -> Article:
    return Article(
        id=draw(st.text("0123456789abcdef", min_size=16, max_size=16)),
        text=draw(texts),
        title=draw(st.text(max_size=50)),
        published=draw(st.none() | st.dates().map(str)),
        url=draw(st.text(max_size=30)),
        source=draw(st.text(max_size=20)),
        language=draw(st.sampled_from(["", "en", "de"])),
        origin="f.txt",
        position=draw(st.text(max_size=10)),
        sentences=tuple(draw(st.lists(texts, max_size=3))),
        embeds=tuple(Embed("tweet", t) for t in draw(st.lists(texts, max_size=2))),
        removed=tuple(RemovedSpan("widget", t) for t in draw(st.lists(texts, max_size=2))),
    )


@settings(max_examples=40, deadline=None)
@given(article_records())
def test_article_round_trips(article: Article) -> None:
    with SQLiteStore(":memory:") as store:
        assert store.write_batch([article]) == [article.id]
        assert store.get_article(article.id) == article


def test_same_batch_twice_stores_once(store: SQLiteStore) -> None:
    a = Article(id="a" * 16, text="x")
    assert store.write_batch([a, a]) == [a.id]
    assert store.write_batch([a]) == []
    assert store.count_articles() == 1


def test_a_mixed_batch_stores_its_new_articles_in_order(store: SQLiteStore) -> None:
    # ids stored before and ids repeated within the batch are duplicates (the first copy wins); the new
    # ones get consecutive storing numbers in batch order, with no gap for the duplicates
    old = [Article(id=f"{i:016x}", text=f"old {i}") for i in range(3)]
    store.write_batch(old)
    fresh = [Article(id=f"{i:016x}", text=f"new {i}") for i in range(3, 6)]
    batch = [fresh[0], old[1], fresh[1], fresh[0], old[2], fresh[2], replace(fresh[1], text="again")]
    assert store.write_batch(batch) == [a.id for a in fresh]
    assert [a.text for a in store.iter_articles()] == ["old 0", "old 1", "old 2", "new 3", "new 4", "new 5"]
    assert store.max_seq() == 6


def test_lookup_by_prefix_and_external_id(store: SQLiteStore) -> None:
    store.write_batch(
        [
            Article(id="abcdef0123456789", text="x", external_id="s01-a"),
            Article(id="abcd990123456789", text="y"),
        ]
    )
    assert store.get_article("abcdef").text == "x"
    assert store.get_article("s01-a").text == "x"
    with pytest.raises(NotFoundError, match="ambiguous"):
        store.get_article("abcd")
    with pytest.raises(NotFoundError, match="no article 'zzz'"):
        store.get_article("zzz")


def test_quarantine_is_kept_once(store: SQLiteStore) -> None:
    q = Quarantined("f.jsonl", "line 3", "malformed JSON")
    store.write_batch([], [q])
    store.write_batch([], [q])
    assert list(store.iter_quarantine()) == [q]


def test_schema_version_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this storyline"):
        SQLiteStore(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        open_store(path)
    with pytest.raises(StoreError, match="unknown store backend 'nope'"):
        open_store(path, backend="nope")


def test_reingest_adds_nothing(tmp_path: Path, store: SQLiteStore) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"text": f"Article number {i} about the harbour of Sallow Bay."}) for i in range(30)
        )
    )
    first, new = ingest([src], store)
    second, again = ingest([src], store)
    assert (first.stored, first.duplicates, len(new)) == (30, 0, 30)
    assert (second.stored, second.duplicates, again) == (0, 30, [])
    assert store.count_articles() == 30


@pytest.mark.slow
def test_killed_ingest_leaves_a_consistent_store(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    with src.open("w") as fh:
        for i in range(20_000):
            fh.write(
                json.dumps(
                    {
                        "text": f"Report {i}: the council of Town {i} met on Monday and voted "
                        f"{i % 7} to {i % 5} on the new budget for roads and schools."
                    }
                )
                + "\n"
            )
    db = tmp_path / "k.db"
    cmd = [sys.executable, "-m", "storyline", "ingest", str(src), "--db", str(db), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until some batches are committed, then kill -9
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as con:
                    if con.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= 1000:
                        break
            except sqlite3.OperationalError:
                continue
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with SQLiteStore(db) as store:
        partial = store.count_articles()
        assert 0 < partial < 20_000
        assert partial % 500 == 0  # whole batches only
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    stats = json.loads(done.stdout)
    assert stats["stored"] == 20_000 - partial and stats["duplicates"] == partial
    with SQLiteStore(db) as store:
        assert store.count_articles() == 20_000


def test_a_store_in_a_folder_that_cannot_be_written_is_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ro" / "news.db"
    with open_store(path) as store:
        store.write_batch([Article(id="b" * 16, text="kept")])
    real_access = os.access

    def no_writes(
        where: object, mode: int, **kwargs: object
    ) -> bool:  # a read-only mount, as access() sees it
        return False if mode & os.W_OK else real_access(where, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", no_writes)
    with open_store(path, read_only=True) as store:
        assert [a.text for a in store.iter_articles()] == ["kept"]
    assert sorted(p.name for p in path.parent.iterdir()) == ["news.db"]  # no -wal or -shm made
    link = tmp_path / "link.db"
    link.symlink_to(path)
    with open_store(link, read_only=True) as store:
        assert store.count_articles() == 1
    (path.parent / "news.db-wal").write_bytes(b"x" * 100)  # changes not yet in the file
    for where in (path, link):  # the log beside the file, also when a link to it is given
        with pytest.raises(StoreError, match=r"write-ahead log .* holds changes"):
            open_store(where, read_only=True)
