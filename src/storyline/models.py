"""Record types that flow between storyline's stages.

Every stage is a plain function over these frozen dataclasses, so the local
runner, the web server and the Spark job pass the very same values around.
They hold only builtins and tuples: picklable, hashable, JSON-friendly through
:func:`to_dict`.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any


class CopyType(enum.StrEnum):
    """How one article came to repeat another."""

    WIRE = "wire"  # verbatim or near-verbatim reprint (agency copy, syndication)
    SCRAPED = "scraped"  # reposted by a scraper or autoblog, usually with its markers
    SPUN = "spun"  # reworded by synonym swaps and clause shuffles
    TRANSLATED = "translated"  # the same text in another language


@dataclass(frozen=True, slots=True)
class RemovedSpan:
    """A piece of the source text that cleaning took out, and why."""

    reason: str  # "scraper-marker", "advertisement", "widget", "truncated", ...
    text: str


@dataclass(frozen=True, slots=True)
class Embed:
    """Third-party content embedded in an article (a social post), kept apart from its prose."""

    kind: str  # "tweet", "instagram", "social"
    text: str
    url: str = ""
    author: str = ""
    handle: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as storyline keeps it.

    ``id`` is a content hash of url, title and raw text: re-reading the same
    record gives the same id, so ingest is idempotent. ``origin`` and
    ``position`` say where the record was read (file and line, record or offset).
    """

    id: str
    text: str
    title: str = ""
    published: str | None = None  # ISO 8601 date (YYYY-MM-DD) or datetime
    url: str = ""
    source: str = ""  # outlet, usually its domain
    language: str = ""  # ISO 639-1, "" when unknown
    origin: str = ""
    position: str = ""
    external_id: str = ""  # the record's own id (doc_id, id), when it had one
    sentences: tuple[str, ...] = ()
    embeds: tuple[Embed, ...] = ()
    removed: tuple[RemovedSpan, ...] = ()

    @property
    def headline(self) -> str:
        """The title, or the opening of the first sentence when the record had none."""
        if self.title:
            return self.title
        first = self.sentences[0] if self.sentences else self.text.strip().split("\n", 1)[0]
        return first if len(first) <= 100 else first[:97].rstrip() + "..."


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not become an article: where it was and why."""

    origin: str
    position: str
    reason: str


@dataclass(slots=True)
class IngestStats:
    """Counts of one ingest run (mutable: the runner adds to it as records stream by)."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    files: int = 0


@dataclass(frozen=True, slots=True)
class Membership:
    """Why an article belongs to a story."""

    article_id: str
    story_id: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where the story stage put one article, and why."""

    article_id: str
    story_id: str
    score: float  # the average-linkage probability that won (1.0 for an article opening a story)
    opened: bool
    merged: tuple[str, ...] = ()  # stories folded into ``story_id`` because of this article
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Story:
    """A group of articles reporting one real-world event."""

    id: str
    title: str
    article_ids: tuple[str, ...]
    first_published: str | None = None
    last_published: str | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    merged_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CopyLink:
    """``copy`` repeats ``original``; ``type`` says how, ``evidence`` why we think so."""

    copy: str
    original: str
    type: CopyType
    score: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def to_dict(record: Any) -> Any:
    """Turn a record (or a list of them) into plain JSON-ready Python values."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_dict(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, enum.Enum):
        return record.value
    if isinstance(record, (list, tuple)):
        return [to_dict(x) for x in record]
    if isinstance(record, dict):
        return {str(k): to_dict(v) for k, v in record.items()}
    return record


# --- similarity ---


@dataclass(frozen=True, slots=True)
class PairScores:
    """How alike two articles are, on the seven SemEval-2022 Task 8 dimensions.

    Scores use the task's scale: 1 = very similar, 4 = very dissimilar. ``evidence``
    holds what they rest on (shared places, people, organizations and numbers, the
    time gap, text and title similarity); ``warnings`` says why a score may be
    unreliable (a very short text, no shared script, a garbled text).
    """

    geography: float
    entities: float
    time: float
    narrative: float
    overall: float
    style: float
    tone: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    warnings: tuple[str, ...] = ()
