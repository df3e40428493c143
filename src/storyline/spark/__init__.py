"""The main job with Apache Spark reading the sources (the ``spark`` extra): ``storyline run --spark``.

What the local runner does in its worker processes, Spark's executors do here, with the same
function (:func:`storyline.pipeline._prepare_chunk`): read each file (one task per file; any
format the readers take, Parquet and WARC included), clean it and analyse its articles
(language, sentences, names, dates, numbers, boilerplate sentence keys). The prepared articles
stream back to the driver in reading order (a partition at a time and one read ahead, so the
driver holds two partitions, not the corpus) and go through the rest of :func:`storyline.pipeline.run` unchanged:
boilerplate learning, the store, stories, threads, copies, reports. The results are therefore
the local runner's, article for article; ``tests/test_spark.py`` holds the two together.

What is not distributed: the story, thread and copy stages run on the driver. They are
incremental (each article is placed against the stories before it), so cutting them across
executors would change what they decide. Reading, cleaning and analysing is the part that grows
with a crawl's raw size (HTML and WARC extraction above all), and it is the part that moves.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StorylineError, require_extra
from ..models import Article, Quarantined
from ..pipeline import PreparedBatch, _batched, _prepare_chunk
from ..readers.paths import iter_sources
from ..readers.sources import read_source
from ..settings import Settings

if TYPE_CHECKING:
    from ..clean.keys import PackedUnits
    from ..types import Embedder

#: the driver's logging: errors only (Spark's default prints its start-up notes on stderr)
_LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
#: what ``--spark`` means when it names no master: Spark in this process, one executor thread a core
DEFAULT_MASTER = "local[*]"


def spark_session(master: str = DEFAULT_MASTER, app_name: str = "storyline") -> Any:
    """A Spark session for the job: bound to 127.0.0.1 when local, no web UI, executors running
    this Python (the one storyline is installed in), quiet logs. Needs a Java runtime."""
    require_extra("pyspark", "spark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        session = (
            SparkSession.builder.master(master)
            .appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_LOG_CONFIG.as_uri()}")
            .getOrCreate()
        )
    except Exception as exc:  # no Java, a master that does not answer: say so in one line
        raise StorylineError(
            f"cannot start Spark ({master}): {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            " (Spark needs a Java runtime: java on PATH or JAVA_HOME)"
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def _prepare_partition(
    settings: Settings, embedder: Embedder | None, items: Iterable[tuple[int, str | Quarantined]]
) -> Iterator[tuple[str, tuple[Article | Quarantined, PackedUnits | None], Any]]:
    """On an executor: the files of one partition read and prepared, each record with its origin
    and, for an article, the vector of its lead (what the story stage embeds; ``embedder``, or
    the default model loaded once per executor process)."""
    from ..features.embed import default_embedder
    from ..stories.features import lead_text

    model = embedder or default_embedder()
    for _, source in items:
        records = [source] if isinstance(source, Quarantined) else read_source(source, settings=settings)
        for batch in _batched(records, settings.batch_size):
            done = _prepare_chunk((list(batch), settings))
            leads = [lead_text(p) for p, _ in done if isinstance(p, Article)]
            vectors = iter(model.encode(leads)) if leads else iter(())
            for record, item in zip(batch, done, strict=True):
                yield record.origin, item, next(vectors) if isinstance(item[0], Article) else None


def _next_chunk(stream: Iterator[Any], size: int) -> list[Any]:
    """The next ``size`` items of the executors' stream; a failed Spark job (a worker that died, a
    master that went away) as one line naming the cause, not a Java stack trace. What was stored
    before stays stored: each batch is its own transaction."""
    try:
        return list(itertools.islice(stream, size))
    except StorylineError:
        raise
    except Exception as exc:
        lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
        cause = next((x for x in reversed(lines) if re.match(r"^[\w.]+(Error|Exception)\b", x)), "")
        raise StorylineError(
            f"the Spark job failed: {type(exc).__name__}: {(cause or (lines[0] if lines else ''))[:300]}"
            " (the batches stored before it stay stored; run again to read the rest)"
        ) from exc


class SparkPreparer:
    """A :data:`storyline.pipeline.Preparer` that reads and prepares the sources on Spark.

    ``session``: a Spark session (:func:`spark_session`); ``partitions``: how many tasks the
    files are dealt into (default: four per executor core, at most one per file); ``embedder``:
    the model the executors embed the articles' leads with (default: the multilingual USE
    model), sent to them.

    The leads' vectors come back with the articles and are kept in :attr:`embedder`, which the
    job then embeds with (pass it to :func:`~storyline.pipeline.run`): the story stage finds its
    vectors made, and encodes only the leads that changed since (boilerplate learned on the way
    cut them). They are kept until the story stage, 2 KB an article with the default model."""

    def __init__(self, session: Any, partitions: int | None = None, embedder: Embedder | None = None) -> None:
        from ..features.embed import CachedEmbedder, default_embedder

        self.session, self.partitions, self.shipped = session, partitions, embedder
        base = embedder if embedder is not None else getattr(default_embedder(), "inner", default_embedder())
        #: the driver's embedder: the executors' lead vectors, and the model for what they did not embed
        self.embedder = CachedEmbedder(base, max_texts=sys.maxsize)

    def __call__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        settings: Settings,
        exclude: Sequence[str | os.PathLike[str]] = (),
    ) -> Iterator[PreparedBatch]:
        # the files are listed here, in the order the local runner reads them; a path that cannot
        # be read is a quarantine row in its place
        sources = list(enumerate(iter_sources(paths, exclude=exclude)))
        if any(source == "-" for _, source in sources):
            raise StorylineError(
                "with Spark, storyline reads files, not standard input ('-'): name the files"
            )
        if not sources:
            return
        context = self.session.sparkContext
        slices = self.partitions or min(len(sources), 4 * context.defaultParallelism)
        rdd = context.parallelize(sources, max(1, slices)).mapPartitions(
            functools.partial(_prepare_partition, settings, self.shipped)
        )
        from ..stories.features import lead_text

        # partitions come back in order, records in their order: the local runner's stream
        stream = iter(rdd.toLocalIterator(prefetchPartitions=True))
        while chunk := _next_chunk(stream, settings.batch_size):
            made = [(item[0], vector) for _, item, vector in chunk if vector is not None]
            if made:
                self.embedder.remember([lead_text(a) for a, _ in made], [v for _, v in made])
            yield [origin for origin, _, _ in chunk], [item for _, item, _ in chunk]


__all__ = ["DEFAULT_MASTER", "SparkPreparer", "spark_session"]
