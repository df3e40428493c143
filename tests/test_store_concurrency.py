"""Two processes grouping one SQLite store at once: every article is placed once, every story
event recorded once (the story stage holds the store's grouping lock)."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from storyline.cli.app import sample_corpus
from storyline.pipeline import assign_stories, ingest
from storyline.store.sqlite import SQLiteStore
from storyline.testing import FakeEmbedder


class _SlowEmbedder(FakeEmbedder):
    """The fake embedder, slowed down: the first batch takes long enough for the other process
    to have read the list of ungrouped articles too (when nothing stops it)."""

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        time.sleep(0.05 * len(texts) ** 0.5)
        return super().encode(texts)


def _group(db: str, start: multiprocessing.synchronize.Barrier, placed: multiprocessing.Queue[int]) -> None:
    with SQLiteStore(db) as store:
        start.wait(timeout=60)
        placed.put(len(assign_stories(store, embedder=_SlowEmbedder())))


def test_two_processes_group_each_article_once(tmp_path: Path) -> None:
    db = tmp_path / "both.db"
    with SQLiteStore(db) as store:
        _stats, new = ingest([sample_corpus()], store)
    n = sum(1 for line in sample_corpus().read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(new) == n
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    placed: multiprocessing.Queue[int] = ctx.Queue()
    workers = [ctx.Process(target=_group, args=(str(db), start, placed)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=180)
        assert w.exitcode == 0
    counts = sorted(placed.get(timeout=5) for _ in workers)
    # one process placed every article; the other waited for it and found none left
    assert counts == [0, n]
    with sqlite3.connect(db) as con:
        events = Counter(con.execute("SELECT story_id, kind, article_id FROM story_events").fetchall())
        members = con.execute("SELECT COUNT(*), COUNT(DISTINCT article_id) FROM memberships").fetchone()
    assert members == (n, n)
    assert events and max(events.values()) == 1, [e for e, n in events.items() if n > 1][:3]
    assert sum(1 for (_s, kind, _a) in events if kind in ("opened", "joined")) == n


def test_two_store_objects_on_one_file_share_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    waited: list[str] = []
    with SQLiteStore(db) as first, SQLiteStore(db) as second:
        with first.grouping():
            holder = threading.Thread(target=lambda: _hold(second, waited))
            holder.start()
            time.sleep(0.3)
            assert waited == ["told"]  # the second object waits on the lock file ...
            assert holder.is_alive()
        holder.join(timeout=10)
    assert waited == ["told", "in"]  # ... and gets in once the first lets go
    assert (tmp_path / "one.db-lock").exists()


def _hold(store: SQLiteStore, log: list[str]) -> None:
    with store.grouping(lambda: log.append("told")):
        log.append("in")


def test_a_run_finds_copies_while_it_holds_the_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two runs on one store: the second must not read the list of articles without a copy check
    # while the first is still searching them. The copy stage holds the grouping lock, so another
    # store object on the file has to wait while it searches, and gets in once it is done.
    from storyline import pipeline

    db = tmp_path / "copies.db"
    log: list[str] = []
    search = pipeline.find_story_copies
    with SQLiteStore(db) as store, SQLiteStore(db) as other:
        waiter = threading.Thread(target=lambda: _hold(other, log))

        def watched(on: SQLiteStore, **kwargs: object) -> list[object]:
            waiter.start()
            time.sleep(0.3)
            log.append("searching")
            return search(on, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pipeline, "find_story_copies", watched)
        pipeline.run([sample_corpus()], store=store, embedder=FakeEmbedder())
        waiter.join(timeout=10)
    assert log == ["told", "searching", "in"]
