"""The local runner: read → clean → analyze → store, streaming, batch by batch.

The CLI and the web server call these functions; the Spark job calls the same
stage functions (:func:`prepare_article`) inside its partitions.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from .analyze import analyze_article
from .clean import clean_article
from .ingest import read_paths
from .models import Article, IngestStats, Quarantined
from .settings import DEFAULT_SETTINGS, Settings
from .types import Store

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


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    store: Store,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    on_record: ProgressCallback | None = None,
) -> tuple[IngestStats, list[str]]:
    """Read, clean, analyze and store every article of ``paths``.

    Returns the counts and the ids of the newly stored articles. Bad records go
    to the store's quarantine with file, position and reason; the rest goes on.
    Each batch of ``settings.batch_size`` records is one transaction.
    """
    stats = IngestStats()
    new_ids: list[str] = []
    articles: list[Article] = []
    quarantined: list[Quarantined] = []
    seen_origins: set[str] = set()

    def flush() -> None:
        new = store.write_batch(articles, quarantined)
        new_ids.extend(new)
        stats.stored += len(new)
        stats.duplicates += len(articles) - len(new)
        stats.quarantined += len(quarantined)
        articles.clear()
        quarantined.clear()

    for record in read_paths(paths, settings=settings):
        if record.origin not in seen_origins:
            seen_origins.add(record.origin)
            stats.files += 1
        stats.read += 1
        item = prepare_article(record, settings=settings) if isinstance(record, Article) else record
        if isinstance(item, Quarantined):
            log.warning(
                "quarantined %s%s: %s",
                item.origin,
                f" at {item.position}" if item.position else "",
                item.reason,
            )
            quarantined.append(item)
        else:
            articles.append(item)
        if len(articles) + len(quarantined) >= settings.batch_size:
            flush()
        if on_record is not None:
            on_record(stats, record.origin)
    flush()
    return stats, new_ids
