"""The main job with Apache Spark reading the sources (the ``spark`` extra): ``storyline run --spark``.

What the local runner does in its worker processes, Spark's executors do here, with the same
function (:func:`storyline.pipeline._prepare_chunk`): read each file (one task per file; any
format the readers take, Parquet and WARC included), clean it and analyse its articles
(language, sentences, names, dates, numbers, boilerplate sentence keys). The prepared articles
stream back to the driver in reading order (as many files at a time as Spark runs tasks at
once, so the driver holds those files' articles, not the corpus) and go through the rest of :func:`storyline.pipeline.run` unchanged:
boilerplate learning, the store, stories, threads, copies, reports. The results are therefore
the local runner's, article for article; ``tests/test_spark.py`` holds the two together.

What is not distributed: the story, thread and copy stages run on the driver. They are
incremental (each article is placed against the stories before it), so cutting them across
executors would change what they decide. Reading, cleaning and analysing is the part that grows
with a crawl's raw size (HTML and WARC extraction above all), and it is the part that moves.
"""

from __future__ import annotations

import contextlib
import functools
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


#: the masters Spark takes (``local``, ``local[N]``, ``local[*]``, a cluster's URL)
_MASTER = re.compile(r"^(local(\[(\d+|\*)(,\d+)?\])?|spark://.+|yarn|k8s://.+|mesos://.+)$")


def spark_session(master: str = DEFAULT_MASTER, app_name: str = "storyline") -> Any:
    """A Spark session for the job: bound to 127.0.0.1 when local, no web UI, executors running
    this Python (the one storyline is installed in), quiet logs. Needs a Java runtime."""
    import shutil

    from ..errors import ConfigError

    if not _MASTER.match(master):
        raise ConfigError(
            f"--spark {master!r} is no Spark master: give local[*], local[N], spark://HOST:PORT, yarn or k8s://URL"
        )
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
            # a task's result is one file's prepared articles: as large as the file asks
            .config("spark.driver.maxResultSize", "0")
            .getOrCreate()
        )
    except Exception as exc:  # no Java, a master that does not answer: say so in one line
        java = shutil.which("java") or os.environ.get("JAVA_HOME")
        raise StorylineError(
            f"cannot start Spark ({master}): {_cause(exc)}"
            + ("" if java else " (Spark needs a Java runtime, 17 or newer: java on PATH or JAVA_HOME)")
        ) from exc
    session.sparkContext.setLogLevel("OFF")
    return session


def _cause(exc: BaseException) -> str:
    """The reason a Spark call failed, in one line: the innermost cause Java or Python gives."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
    causes = [x.removeprefix("Caused by: ") for x in lines if x.startswith("Caused by: ")]
    python = [x for x in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception)\b", x)]
    found = (python or causes or lines or [type(exc).__name__])[-1]
    return found.removeprefix(": ")[:300]


def _prepare_partition(
    settings: Settings,
    embedder: Embedder | None,
    cwd: str,
    groups: Iterable[list[tuple[int, str | Quarantined]]],
) -> Iterator[tuple[str, tuple[Article | Quarantined, PackedUnits | None], Any]]:
    """On an executor: the files of one partition read and prepared, each record with its origin
    and, for an article, the vector of its lead (what the story stage embeds; ``embedder``, or
    the default model loaded once per executor process)."""
    from ..features.embed import default_embedder
    from ..stories.features import lead_text

    model = embedder or default_embedder()
    with contextlib.suppress(OSError):  # relative paths mean what they mean on the driver
        os.chdir(cwd)
    for _, source in (item for group in groups for item in group):
        records = [source] if isinstance(source, Quarantined) else read_source(source, settings=settings)
        for batch in _batched(records, settings.batch_size):
            done = _prepare_chunk((list(batch), settings))
            leads = [lead_text(p) for p, _ in done if isinstance(p, Article)]
            vectors = iter(model.encode(leads)) if leads else iter(())
            for record, item in zip(batch, done, strict=True):
                yield record.origin, item, next(vectors) if isinstance(item[0], Article) else None


#: input bytes a partition holds at most by default: its prepared articles come back to the
#: driver whole (about three times the raw size for JSONL), a window of them at a time
PARTITION_BYTES = 64 << 20


def _size(source: str | Quarantined) -> int:
    if isinstance(source, Quarantined):
        return 0
    try:
        return os.path.getsize(source)
    except OSError:
        return 0


def _default_partitions(sources: Sequence[tuple[int, str | Quarantined]], cores: int) -> int:
    """Four partitions a core at least (the executors share the work), more when the input is
    large (at most :data:`PARTITION_BYTES` each), never more than the files."""
    total = sum(_size(source) for _, source in sources)
    return min(len(sources), max(4 * max(1, cores), -(-total // PARTITION_BYTES)))


def _partitions(sources: Sequence[tuple[int, Any]], n: int) -> list[list[tuple[int, Any]]]:
    """The files dealt into ``n`` runs of consecutive files of about equal size (reading order kept)."""
    n = max(1, min(n, len(sources)))
    sizes = [max(1, _size(source)) for _, source in sources]
    total = sum(sizes)
    groups: list[list[tuple[int, Any]]] = [[] for _ in range(n)]
    before = 0
    for item, size in zip(sources, sizes, strict=True):
        groups[min(n - 1, before * n // total)].append(item)
        before += size
    return [g for g in groups if g]


def _run_window(context: Any, rdd: Any, partitions: list[int]) -> list[Any]:
    """The prepared records of some partitions, computed at once (one task each), in order; a
    failed Spark job (a worker that died, a master that went away) as one line naming the cause,
    not a Java stack trace. What was stored before stays stored: each batch is its own transaction."""
    try:
        return list(context.runJob(rdd, lambda part: list(part), partitions))
    except StorylineError:
        raise
    except Exception as exc:
        raise StorylineError(
            f"the Spark job failed: {_cause(exc)} (what was stored before it stays stored)"
        ) from exc


class SparkPreparer:
    """A :data:`storyline.pipeline.Preparer` that reads and prepares the sources on Spark.

    ``session``: a Spark session (:func:`spark_session`); ``partitions``: how many tasks the
    files are dealt into, runs of consecutive files of about equal size (default: four per
    executor core, more for a large input: at most :data:`PARTITION_BYTES` each); ``embedder``:
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
        #: the driver's embedder: the executors' lead vectors (kept), and the model, with the usual
        #: bounded cache, for what they did not embed (sentences of the copy and report stages)
        self.embedder = CachedEmbedder(base)

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
        groups = _partitions(
            sources, self.partitions or _default_partitions(sources, context.defaultParallelism)
        )
        rdd = context.parallelize(groups, len(groups)).mapPartitions(
            functools.partial(_prepare_partition, settings, self.shipped, os.getcwd())
        )
        from ..stories.features import lead_text

        # twice as many partitions at once as Spark runs tasks at once (the executors stay busy);
        # they come back in order, their records in order: the local runner's stream
        window = max(1, 2 * context.defaultParallelism)
        slices = len(groups)
        for first in range(0, slices, window):
            rows = _run_window(context, rdd, list(range(first, min(slices, first + window))))
            for start in range(0, len(rows), settings.batch_size):
                chunk = rows[start : start + settings.batch_size]
                made = [(item[0], vector) for _, item, vector in chunk if vector is not None]
                if made:
                    self.embedder.remember([lead_text(a) for a, _ in made], [v for _, v in made], keep=True)
                yield [origin for origin, _, _ in chunk], [item for _, item, _ in chunk]
            del rows


__all__ = ["DEFAULT_MASTER", "SparkPreparer", "spark_session"]
