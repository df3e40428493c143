"""The main job with Spark reading the sources (``storyline run --spark``) gives the local runner's
results: the same articles, quarantine, stories, threads and copy links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storyline.cli.app import sample_corpus
from storyline.pipeline import run
from storyline.spark import SparkPreparer, spark_session
from storyline.store import open_store
from storyline.store.base import Store
from storyline.testing import FakeEmbedder
from storyline.views import story_rows, thread_rows

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]")
    yield session
    session.stop()


def everything(store: Store) -> dict[str, Any]:
    return {
        "articles": [a.id for a in store.iter_articles()],
        "texts": {a.id: (a.title, a.text, a.language) for a in store.iter_articles()},
        "quarantine": sorted((q.origin, q.position, q.reason) for q in store.iter_quarantine()),
        "stories": story_rows(store),
        "threads": thread_rows(store),
        "copies": sorted((c.copy, c.original, str(c.type)) for c in store.copies()),
    }


def test_spark_reads_and_the_job_gives_what_the_local_runner_gives(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    # the sample corpus cut into files of several formats, with bad input among them
    lines = sample_corpus().read_text(encoding="utf-8").splitlines()
    (tmp_path / "in" / "a.jsonl").write_text("\n".join(lines[:20]) + "\nnot json\n", encoding="utf-8")
    (tmp_path / "in" / "b.json").write_text(
        json.dumps([json.loads(x) for x in lines[20:40]]), encoding="utf-8"
    )
    (tmp_path / "in" / "c.jsonl").write_text("\n".join(lines[40:]) + "\n", encoding="utf-8")
    (tmp_path / "in" / "d.txt").write_text("date 2024-02-13\nFerry back.\n", encoding="utf-8")
    sources = [str(tmp_path / "in"), str(tmp_path / "missing.jsonl")]
    seen = {}
    preparer = SparkPreparer(spark, partitions=3, embedder=FakeEmbedder())
    for name, prepare in (("local", None), ("spark", preparer)):
        with open_store(tmp_path / f"{name}.db") as store:
            embedder = FakeEmbedder() if prepare is None else preparer.embedder
            result = run(sources, store=store, embedder=embedder, prepare=prepare)
            seen[name] = (result.stats, everything(store))
    assert seen["spark"] == seen["local"]
    stats, found = seen["spark"]
    assert stats.stored == 52 and stats.files == 5 and len(found["stories"]) > 10
    assert any("missing.jsonl" in origin for origin, _, _ in found["quarantine"])
    assert any(origin.endswith("a.jsonl") for origin, _, _ in found["quarantine"])


def test_spark_does_not_read_standard_input(spark: Any, tmp_path: Path) -> None:
    from storyline.errors import StorylineError

    with open_store(tmp_path / "s.db") as store, pytest.raises(StorylineError, match="standard input"):
        run(["-"], store=store, embedder=FakeEmbedder(), prepare=SparkPreparer(spark))


def test_the_executors_embed_the_leads_the_story_stage_reads(spark: Any, tmp_path: Path) -> None:
    from storyline.pipeline import ingest
    from storyline.stories.features import lead_text

    preparer = SparkPreparer(spark, embedder=FakeEmbedder())
    with open_store(tmp_path / "e.db") as store:
        ingest([sample_corpus()], store, prepare=preparer)
        stored = list(store.iter_articles())
        made = preparer.embedder.misses
        vectors = preparer.embedder.encode([lead_text(a) for a in stored])
    assert len(stored) == 52 and made == 0 and preparer.embedder.misses == 0  # none encoded here
    assert (vectors == FakeEmbedder().encode([lead_text(a) for a in stored])).all()


def test_a_failed_spark_job_is_one_line_and_keeps_nothing_half_done(spark: Any, tmp_path: Path) -> None:
    from storyline.errors import StorylineError
    from storyline.pipeline import ingest

    broken = SparkPreparer(spark, embedder=FakeEmbedder())
    broken.shipped = object()  # type: ignore[assignment]  # no encode(): every task fails
    with open_store(tmp_path / "f.db") as store:
        with pytest.raises(StorylineError, match=r"^the Spark job failed: .*AttributeError") as failed:
            ingest([sample_corpus()], store, prepare=broken)
        assert "\n" not in str(failed.value) and store.count_articles() == 0
