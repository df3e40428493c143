"""The local runner: read → clean → analyze → store, streaming, batch by batch, and the
main job :func:`run` (ingest → stories → copies → reports) on any store.

The CLI and the web server call these functions; the Spark job calls the same
stage functions (:func:`prepare_article`) inside its partitions.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clean.boilerplate import REASONS, is_boilerplate_only
from .clean.keys import PackedUnits, packed_units
from .clean.learner import EDGE_SENTENCES, BoilerplateLearner
from .clean.rules import clean_article
from .errors import InputError, StoreError, StorylineError
from .features.language import analyze_article
from .models import Article, Assignment, CopyLink, IngestStats, Quarantined
from .readers.html import HtmlDocument, extract_html
from .readers.records import Record
from .readers.sources import read_paths
from .settings import DEFAULT_SETTINGS, Settings
from .store.base import Store
from .types import Embedder

if TYPE_CHECKING:
    from .stories.threads import Thread

log = logging.getLogger(__name__)

ProgressCallback = Callable[[IngestStats, str], Any]


def prepare_article(article: Article, *, settings: Settings = DEFAULT_SETTINGS) -> Article | Quarantined:
    """Clean and analyze one raw article; a text too short to be an article is quarantined."""
    cleaned = clean_article(article, settings=settings)
    if len(cleaned.text.strip()) < settings.min_text_chars:
        return Quarantined(
            article.origin,
            article.position,
            f"no article text: {len(cleaned.text.strip())} characters after cleaning "
            f"(at least {settings.min_text_chars} needed)",
        )
    return analyze_article(cleaned, settings=settings)


def prepare_record(record: Record, *, settings: Settings = DEFAULT_SETTINGS) -> Article | Quarantined:
    """Whatever a reader yielded, made into a clean, analyzed article or a quarantine entry."""
    if isinstance(record, Quarantined):
        return record
    if isinstance(record, HtmlDocument):
        try:
            record = extract_html(record, settings=settings)
        except InputError as exc:
            return Quarantined(exc.origin or record.origin, exc.position or record.position, exc.reason)
    return prepare_article(record, settings=settings)


def _prepare_chunk(
    args: tuple[list[Record], Settings],
) -> list[tuple[Article | Quarantined, PackedUnits | None]]:
    records, settings = args
    out: list[tuple[Article | Quarantined, PackedUnits | None]] = []
    for record in records:
        try:
            prepared = prepare_record(record, settings=settings)
        except Exception as exc:  # one record's fault must not end the batch
            # A bug of ours, not of the input: the record is quarantined with what went wrong, so
            # the rest of the batch is stored; the traceback is logged at debug level (--verbose).
            log.debug("preparing %s at %s failed", record.origin, record.position, exc_info=True)
            prepared = Quarantined(
                record.origin, record.position, f"internal error while preparing: {type(exc).__name__}: {exc}"
            )
        # the sentence keys of learned boilerplate are computed here, in the worker processes
        units = (
            packed_units(prepared, edges=EDGE_SENTENCES)
            if settings.boilerplate and isinstance(prepared, Article)
            else None
        )
        out.append((prepared, units))
    return out


def _batched(items: Iterable[Record], size: int) -> Iterator[tuple[Record, ...]]:
    # itertools.batched arrives in Python 3.12; storyline supports 3.11.
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def _workers(settings: Settings) -> int:
    return settings.workers or os.cpu_count() or 1


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: Store,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    on_record: ProgressCallback | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
    prepare: Preparer | None = None,
) -> tuple[IngestStats, list[str]]:
    """Read, clean, analyze and store every article of ``paths``.

    Returns the counts and the ids of the newly stored articles. Bad records go
    to the store's quarantine with file, position and reason; the rest goes on.
    Records are taken ``settings.batch_size`` at a time (memory stays flat),
    prepared in ``settings.workers`` processes, and each batch is written in
    one transaction. Files and folders in ``exclude`` are never read (the store's own
    files, the report folder). ``prepare`` reads and prepares the sources elsewhere (the Spark
    job: :class:`storyline.spark.SparkPreparer`); it yields the batches :func:`store_prepared` stores.
    """
    batches = (prepare or prepare_sources)(list(paths), settings, list(exclude))
    return store_prepared(batches, store, settings=settings, on_record=on_record)


def ingest_records(
    records: Iterable[Record],
    store: Store,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    on_record: ProgressCallback | None = None,
) -> tuple[IngestStats, list[str]]:
    """:func:`ingest` of records already read (an :class:`~storyline.models.Article` or a
    :class:`~storyline.models.Quarantined` each, as the readers yield them: the web API's
    posted articles): cleaned, analyzed and stored the same way."""
    return store_prepared(_prepared_batches(records, settings), store, settings=settings, on_record=on_record)


#: one batch of prepared records: where each came from (its file), and what preparing made of it
#: (:func:`_prepare_chunk`: the article or its quarantine row, and its boilerplate sentence keys)
PreparedBatch = tuple[Sequence[str], Sequence[tuple[Article | Quarantined, PackedUnits | None]]]
#: reads and prepares sources (paths, settings, paths never to read) into batches of
#: ``settings.batch_size`` records in reading order, as :func:`_prepared_batches` does locally
Preparer = Callable[
    [Sequence["str | os.PathLike[str]"], Settings, Sequence["str | os.PathLike[str]"]],
    Iterable[PreparedBatch],
]


def prepare_sources(
    paths: Sequence[str | os.PathLike[str]],
    settings: Settings,
    exclude: Sequence[str | os.PathLike[str]] = (),
) -> Iterator[PreparedBatch]:
    """The local :data:`Preparer`: sources read in this process, prepared in worker processes."""
    return _prepared_batches(read_paths(paths, settings=settings, exclude=exclude), settings)


def _prepared_batches(records: Iterable[Record], settings: Settings) -> Iterator[PreparedBatch]:
    """``records`` prepared ``settings.batch_size`` at a time, in order; with worker processes,
    the next batch is prepared while the caller stores the previous one."""
    workers = _workers(settings)
    pool = None
    pending: tuple[tuple[Record, ...], Any] | None = None

    def ready(batch: tuple[Record, ...], result: Any) -> PreparedBatch:
        """A batch sent to the pool, once its chunks are prepared."""
        return [r.origin for r in batch], [item for part in result.get() for item in part]

    try:
        for batch in _batched(records, settings.batch_size):
            if workers > 1 and len(batch) >= 4 * workers and pool is None:
                pool = multiprocessing.get_context(_start_method()).Pool(workers)
            submitted = None
            if pool is not None:  # sent before the previous batch is handed over: both work at once
                size = -(-len(batch) // (workers * 4))
                chunks = [(list(batch[i : i + size]), settings) for i in range(0, len(batch), size)]
                submitted = (batch, pool.map_async(_prepare_chunk, chunks))
            if pending is not None:
                yield ready(*pending)
            pending = submitted
            if submitted is None:
                yield [r.origin for r in batch], _prepare_chunk((list(batch), settings))
        if pending is not None:
            yield ready(*pending)
    finally:
        if pool is not None:
            pool.close()
            pool.join()


def store_prepared(
    batches: Iterable[PreparedBatch],
    store: Store,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    on_record: ProgressCallback | None = None,
) -> tuple[IngestStats, list[str]]:
    """Learn boilerplate from, clean and store batches of prepared records, in order (what every
    runner shares: the local one prepares them in worker processes, the Spark job on its
    executors). Returns the counts and the ids of the newly stored articles."""
    stats = IngestStats()
    new_ids: list[str] = []
    seen_origins: set[str] = set()
    learner = _learner(store, settings)
    for origins, done in batches:
        for origin in origins:
            if origin not in seen_origins:
                seen_origins.add(origin)
                stats.files += 1
        stats.read += len(done)
        prepared = [p for p, _ in done]
        units = {p.id: u for p, u in done if isinstance(p, Article) and u is not None}
        articles = [p for p in prepared if isinstance(p, Article)]
        quarantined = [p for p in prepared if isinstance(p, Quarantined)]
        reclean: set[str] = set()
        if learner is not None and articles:
            articles, reclean = learner.learn(articles, units)
            if any(map(is_boilerplate_only, articles)):
                quarantined += [_boilerplate_only(a) for a in articles if is_boilerplate_only(a)]
                articles = [a for a in articles if not is_boilerplate_only(a)]
        for q in quarantined:
            where = f" at {q.position}" if q.position else ""
            log.warning("quarantined %s%s: %s", q.origin, where, q.reason)
        if learner is not None:
            new = learner.store.write_batch(articles, quarantined, counts=learner.take_pending())
        else:
            new = store.write_batch(articles, quarantined)
        if learner is not None and reclean:
            stats.recleaned += len(learner.reclean(reclean))
        new_ids.extend(new)
        stats.stored += len(new)
        stats.duplicates += len(articles) - len(new)
        stats.quarantined += len(quarantined)
        if on_record is not None and origins:
            on_record(stats, origins[-1])
    if learner is not None:
        learner.flush()
    return stats, new_ids


def _learner(store: Store, settings: Settings) -> BoilerplateLearner | None:
    if not settings.boilerplate:
        return None
    return BoilerplateLearner(store, settings=settings)


def _boilerplate_only(article: Article) -> Quarantined:
    n = sum(1 for r in article.removed if r.reason.startswith(REASONS))
    return Quarantined(
        article.origin,
        article.position,
        f"no article text: its {n} sentences are all learned boilerplate "
        f"(see `storyline boilerplate`); first: {next(r.text for r in article.removed if r.reason.startswith(REASONS))[:80]!r}"
        if n
        else "no article text: all of it is learned boilerplate",
    )


def _start_method() -> str:
    # fork shares the loaded models copy-on-write and starts fast; elsewhere spawn is the safe choice.
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def assign_stories(
    store: Store,
    *,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    on_progress: Callable[[int, int], Any] | None = None,
    on_wait: Callable[[], Any] | None = None,
) -> list[Assignment]:
    """Put every article of the store that is not in a story yet into one, online.

    The story index is rebuilt from the profiles the store keeps (those inside
    the story window of the newest article, and undated ones), so a later run
    continues where the last one stopped: a late article still finds its story.
    Each batch of assignments is one transaction. The whole stage holds the store's grouping
    lock (:meth:`~storyline.store.base.Store.grouping`): a second stage on the same store, in
    another process too, waits for it (``on_wait`` is called once when it must), then places
    only what is still in no story.
    """
    with store.grouping(on_wait):
        return _assign_stories(store, embedder=embedder, settings=settings, on_progress=on_progress)


def _assign_stories(
    store: Store,
    *,
    embedder: Embedder | None,
    settings: Settings,
    on_progress: Callable[[int, int], Any] | None,
) -> list[Assignment]:
    from .features.embed import default_embedder
    from .stories.features import Profile, profile_articles
    from .stories.index import HORIZON_WINDOWS, StoryIndex

    todo = store.unassigned_ids()
    if not todo:
        return []
    embedder = embedder or default_embedder()
    index = StoryIndex(settings=settings)
    newest = store.newest_published_ordinal()
    # the index's horizon and one window more: a continuous run may still hold profiles past the
    # horizon (eviction goes in chunks), so a restarted one restores them too
    restore = HORIZON_WINDOWS + 1
    since = newest - restore * max(settings.story_window_days, 1) if newest is not None else None
    for article_id, story_id, data in store.iter_profiles(since):
        try:
            profile = Profile.from_bytes(data)
        except ValueError as exc:
            raise StoreError(
                f"the stored story profile of article {article_id} cannot be read ({exc}); nothing was "
                "changed: `storyline regroup` rebuilds every profile"
            ) from None
        index.restore(profile, story_id)
    # The restored stories' older members (outside the window, no profile kept) and the ids
    # merged away in earlier runs: consolidation must know both to leave them alone.
    index.restore_history(store.members_of(index.stories()), store.merged_stories())
    done: list[Assignment] = []
    placed = 0
    for start in range(0, len(todo), settings.batch_size):
        articles = list(store.iter_articles(todo[start : start + settings.batch_size]))
        profiles = profile_articles(articles, embedder=embedder)
        # settled window by window when the batch spans more than one (see StoryIndex.add_stream)
        batch = index.add_stream(profiles)
        batch += index.consolidate()
        store.write_assignments(batch, [(p.article_id, p.published, p.to_bytes()) for p in profiles])
        # what is returned drops the evidence (the store keeps it): memory stays small
        done.extend(replace(a, evidence={}) for a in batch)
        placed += len(profiles)
        if on_progress is not None:
            on_progress(placed, len(todo))
    return done


def assign_threads(store: Store, *, settings: Settings = DEFAULT_SETTINGS) -> list[Thread]:
    """Put every story of the store that is in no thread yet into one, incrementally.

    The threads stored are restored as they are (stable ids); the rows of stories merged away
    since are dropped (their members are in the absorbing story, which keeps or gets a thread);
    new stories join in order of first publication. Returns the threads, largest first. Holds
    the store's grouping lock, as :func:`assign_stories` does.
    """
    with store.grouping():
        return _assign_threads(store, settings=settings)


def _assign_threads(store: Store, *, settings: Settings) -> list[Thread]:
    from datetime import date, timedelta

    from .stories.threads import StoryText, ThreadIndex, build_threads, story_text

    stories = store.list_stories()
    stored = store.thread_memberships()
    new_ids = {s.id for s in stories if s.id not in stored}
    starts = [s.first_published[:10] for s in stories if s.id in new_ids and s.first_published]
    # Stories that ended well before the earliest new one can no longer be linked to: their
    # words are not read (their dates still bound their threads' spans).
    try:
        horizon = (
            (date.fromisoformat(min(starts)) - timedelta(days=settings.thread_gap_days)).isoformat()
            if starts
            else None
        )
    except (ValueError, OverflowError):  # a first day too near date.min has no gap before it
        horizon = None
    texts: dict[str, StoryText] = {}
    readable: set[str] = set()
    for story in stories:
        if new_ids and (horizon is None or not story.last_published or story.last_published[:10] >= horizon):
            members = list(store.iter_articles(story.article_ids[:20]))
            texts[story.id] = story_text(story.id, members)
            readable.add(story.id)
        else:
            texts[story.id] = StoryText(
                story.id, story.title, (), story.first_published, story.last_published
            )
    current = set(texts)
    dropped = [s for s in stored if s not in current]
    index = ThreadIndex(settings=settings)
    merged = store.merged_threads()
    for story_id in sorted(current & set(stored), key=lambda s: (texts[s].first_published or "", s)):
        thread = stored[story_id][0]
        seen = {thread}
        while thread in merged and merged[thread] not in seen:
            thread = merged[thread]
            seen.add(thread)
        index.restore(texts[story_id], thread, words=story_id in readable)
    index.merged_into.update(merged)
    new = sorted(current - set(stored), key=lambda s: (texts[s].first_published or "", s))
    links = [index.add(texts[s]) for s in new]
    if links or dropped:
        store.write_thread_links(links, dropped)
    return build_threads(index, texts)


def find_story_copies(
    store: Store,
    *,
    article_ids: Iterable[str] | None = None,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    max_story: int = 200,
) -> list[CopyLink]:
    """Find and store the copy links of ``article_ids`` (default: every stored article).

    Candidates are the other members of each article's story (the first ``max_story``
    of a very large one) and, anywhere in the store, its near-duplicates by
    MinHash-LSH, so a reprint is found even when it landed in another story.
    """
    from itertools import combinations

    from .copies.blocking import NearDuplicateIndex
    from .copies.decide import find_copies

    new = set(article_ids) if article_ids is not None else None
    index = NearDuplicateIndex()
    pairs: set[tuple[str, str]] = set()
    for article in store.iter_articles():  # one streaming pass over the store
        if is_boilerplate_only(article):
            continue
        for hit in index.query_and_add(article.id, article.text):
            if new is None or article.id in new or hit in new:
                pairs.add((hit, article.id))
    stories = store.story_ids_of(new) if new is not None else store.story_ids_of(None)
    for story_id in set(stories.values()):
        members = store.get_story(story_id).article_ids[:max_story]
        for x, y in combinations(members, 2):
            if new is None or x in new or y in new:
                pairs.add((x, y))
    checked = new if new is not None else set(stories)
    links: list[CopyLink] = []
    for chunk in _pair_chunks(pairs):
        needed = sorted({i for pair in chunk for i in pair})
        links += find_copies(
            list(store.iter_articles(needed)), pairs=chunk, embedder=embedder, settings=settings
        )
    store.write_copies(links, checked)
    return links


def _pair_chunks(
    pairs: Iterable[tuple[str, str]], max_articles: int = 2000
) -> Iterator[list[tuple[str, str]]]:
    """The candidate pairs in chunks of at most about ``max_articles`` articles, each connected
    group of pairs whole (so every copy meets all its candidate originals in one call, and the
    articles in memory stay bounded however large the store)."""
    from .graph import connected_groups

    todo = sorted(pairs)
    group_of = {i: k for k, group in enumerate(connected_groups(todo)) for i in group}
    groups: dict[int, list[tuple[str, str]]] = {}
    for pair in todo:
        groups.setdefault(group_of[pair[0]], []).append(pair)
    chunk: list[tuple[str, str]] = []
    size = 0
    for group in groups.values():
        n = len({i for pair in group for i in pair})
        if chunk and size + n > max_articles:
            yield chunk
            chunk, size = [], 0
        chunk += group
        size += n
    if chunk:
        yield chunk


# --------------------------------------------------------------------------- the main job


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one :func:`run` did."""

    #: the ingest counts (read, stored, duplicates, quarantined, files, recleaned)
    stats: IngestStats = field(default_factory=IngestStats)
    #: ids of the articles stored by this run, in storing order
    new_articles: tuple[str, ...] = ()
    #: how many articles the story stage placed (new ones, and earlier ones re-cleaned since)
    placed: int = 0
    #: the stories this run opened that still stand (not merged into another one), in opening order
    new_stories: tuple[str, ...] = ()
    #: how many threads (storylines: chains of stories on one subject) the store holds after the run
    threads: int = 0
    #: the copy links this run found (or found again for articles it looked at)
    copy_links: tuple[CopyLink, ...] = ()
    #: the HTML reports' index page, when reports were written
    reports: Path | None = None

    @property
    def quarantined(self) -> int:
        """How many records went to the quarantine in this run."""
        return self.stats.quarantined


class RunListener:
    """What a caller of :func:`run` may hear while it works (the CLI draws its progress bars
    from it). Every hook does nothing here: override the ones you need."""

    def started(self, stage: str) -> None:
        """A stage begins: ``ingest``, ``stories`` (threads included), ``copies`` or ``reports``."""

    def advanced(self, stage: str, done: int, total: int | None = None, detail: str = "") -> None:
        """Progress inside a stage: records read (``detail``: the file being read), articles
        placed, reports written."""

    def waiting(self, stage: str, reason: str) -> None:
        """A stage waits before it can start (``stories``: another process is grouping the store)."""

    def finished(self, stage: str, so_far: RunResult) -> None:
        """A stage ended; ``so_far`` holds what the run has done up to here."""


def run(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] = (),
    *,
    store: Store,
    settings: Settings = DEFAULT_SETTINGS,
    embedder: Embedder | None = None,
    reports: str | os.PathLike[str] | None = None,
    max_reports: int | None = 100,
    exclude: Iterable[str | os.PathLike[str]] = (),
    listener: RunListener | None = None,
    prepare: Preparer | None = None,
) -> RunResult:
    """The main job: ingest ``paths`` (files, folders, globs, ``-``; one or several; none: work on
    what the store holds), put every article
    that is in no story yet into one and every new story into a thread, find the copy links of the articles not checked yet, and,
    with ``reports`` (a folder), write the HTML reports of the ``max_reports`` largest stories
    with two or more versions.

    ``embedder`` (default: the multilingual USE model) turns texts into vectors for the story,
    copy and report stages (each text once: the vectors are cached for the run); any dimension works. The store's own files and the report folder are
    never read as articles, nor anything in ``exclude``. ``prepare``: where sources are read and
    prepared (default: here, in worker processes; the Spark job passes its executors). Bad records go to the store's quarantine
    and the run goes on; a report folder that cannot be written raises
    :class:`~storyline.errors.StorylineError` naming it. Returns what it did.
    """
    from .features.embed import cached
    from .readers.sources import store_files
    from .report.html import write_story_reports

    hear = listener or RunListener()
    # the stages ask for vectors of the same texts (leads, the sentences copies and reports align):
    # each text is encoded once (the default embedder is cached already)
    embedder = cached(embedder) if embedder is not None else None
    # one path given as it is (a str is iterable too: never read it letter by letter)
    sources = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    result = RunResult()
    if sources:
        skip: list[str | os.PathLike[str]] = [*exclude, *([reports] if reports is not None else [])]
        if store.path and store.path != ":memory:":
            skip += store_files(store.path)
        hear.started("ingest")
        stats, new_ids = ingest(
            sources,
            store,
            settings=settings,
            exclude=skip,
            on_record=lambda s, origin: hear.advanced("ingest", s.read, None, origin),
            prepare=prepare,
        )
        result = replace(result, stats=replace(stats), new_articles=tuple(new_ids))
        hear.finished("ingest", result)

    hear.started("stories")
    # stories and threads under one hold of the lock: another run's stories never slip in between
    with store.grouping(lambda: hear.waiting("stories", "another process is grouping this store")):
        placed = assign_stories(
            store,
            embedder=embedder,
            settings=settings,
            on_progress=lambda n, total: hear.advanced("stories", n, total),
        )
        merged = store.merged_stories()
        opened = (a.story_id for a in placed if a.opened and a.story_id not in merged)
        threads = assign_threads(store, settings=settings)
    result = replace(
        result, placed=len(placed), new_stories=tuple(dict.fromkeys(opened)), threads=len(threads)
    )
    hear.finished("stories", result)

    hear.started("copies")
    # under the lock too: a second run waits, then finds no article left unchecked (it would
    # otherwise read the same list and search the same pairs again)
    with store.grouping(lambda: hear.waiting("copies", "another process is finding copies in this store")):
        links = find_story_copies(
            store, article_ids=store.articles_without_copy_check(), embedder=embedder, settings=settings
        )
    result = replace(result, copy_links=tuple(links))
    hear.finished("copies", result)

    if reports is not None:
        hear.started("reports")
        try:
            index = write_story_reports(
                store,
                reports,
                embedder=embedder,
                settings=settings,
                max_stories=max_reports,
                on_progress=lambda n, total: hear.advanced("reports", n, total),
            )
        except OSError as exc:
            raise StorylineError(
                f"cannot write the reports to {os.fspath(reports)!r}: {exc.strerror or exc}"
            ) from exc
        result = replace(result, reports=index)
        hear.finished("reports", result)
    return result
