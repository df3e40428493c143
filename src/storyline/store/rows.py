"""Rows and records: how an article is laid out in the ``articles`` table, and the story both
backends build from their members' rows."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..models import (
    Article,
    Embed,
    RemovedSpan,
    Story,
)

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


#: ``json.dumps(value, ensure_ascii=False)`` without a new encoder per call (three calls an article)
_to_json = json.JSONEncoder(ensure_ascii=False).encode


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
        _to_json(list(article.sentences)),
        _to_json([_embed_dict(e) for e in article.embeds]) if article.embeds else "[]",
        _to_json([[r.reason, r.text] for r in article.removed]) if article.removed else "[]",
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


def story_from_rows(story_id: str, rows: Sequence[Any], merged_from: tuple[str, ...]) -> Story:
    """A story from its members' rows (mappings or ``sqlite3.Row``: ``id``, ``title``, ``lead``, the
    first 160 characters of the text, ``published``, ``source``, ``language``; ``doubted``: the
    story stage placed it as undated although it has a date), in publication order; shared by
    the backends. The span is that of the dates the story stage believed."""
    doubted = tuple(r["id"] for r in rows if r["published"] and r["doubted"])
    dates = sorted(r["published"][:10] for r in rows if r["published"] and not r["doubted"])
    titled = [r for r in rows if r["title"]]
    # the title: the first published in the language most of the members are written in (a story
    # of three English reports and one Spanish is headed in English, whichever came first)
    # (most_common keeps the order of first appearance among equal counts)
    language = Counter(r["language"] for r in titled).most_common(1)[0][0] if titled else None
    head = next((r for r in titled if r["language"] == language), rows[0])
    title = head["title"] or " ".join(head["lead"].split())[:100]
    return Story(
        id=story_id,
        title=title,
        article_ids=tuple(r["id"] for r in rows),
        first_published=dates[0] if dates else None,
        last_published=dates[-1] if dates else None,
        sources=tuple(sorted({r["source"] for r in rows if r["source"]})),
        languages=tuple(sorted({r["language"] for r in rows if r["language"]})),
        merged_from=merged_from,
        doubted_dates=doubted,
    )
