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
    #: stored articles cleaned again because their boilerplate became known
    recleaned: int = 0


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
    #: members whose publication date the story stage did not believe (more than a couple of days
    #: after the machine's clock when they were grouped: a typo, a placeholder year); it placed
    #: them as undated, and the span (``first_published``/``last_published``) leaves their dates out
    doubted_dates: tuple[str, ...] = ()


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


# --- compare ---


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of one version, as the comparison sees it.

    ``index`` is its position among the version's passages: the prose sentences
    first, then the sentences of its embedded posts. ``kind`` is ``"text"`` for
    prose and ``"embed:<kind>"`` (``"embed:tweet"``) for a sentence of an embed,
    which counts as the version's own material but is labelled as such.
    """

    article_id: str
    index: int
    text: str
    kind: str = "text"


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression in a text and the date it stands for.

    ``date`` is ISO 8601 at the expression's precision: ``2021-10-18`` (day),
    ``2021-W41`` (week), ``2021-10`` (month) or ``2021`` (year). ``rule`` says how
    it was read, and for a relative one ("on Monday") against which reference.
    """

    text: str
    start: int
    end: int
    date: str
    precision: str  # "day", "week", "month", "year"
    relative: bool
    rule: str


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of a person, organisation or place in a passage.

    ``text`` is as written ("Blinkens'"), ``form`` its normalised form ("Blinkens":
    no article, title or possessive); ``start``/``end`` are offsets in the passage text.
    """

    text: str
    form: str
    label: str  # "PERSON", "ORG", "PLACE", or "NAME" when the type is unknown
    article_id: str
    index: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entity:
    """Mentions across versions merged into one person, organisation or place.

    ``name`` is the consensus form, ``variants`` every form seen (consensus first),
    ``flagged`` the variants that look like misspellings or transliteration errors;
    ``evidence`` says why each variant was merged and why it was (not) flagged.
    """

    name: str
    label: str
    variants: tuple[str, ...]
    flagged: tuple[str, ...]
    mentions: tuple[Mention, ...]
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """Two passages of different versions that report the same fact.

    ``relation`` is ``"same"``, or ``"conflict"`` when they report it with different
    values (numbers, dates). ``diff`` is the word-level difference from ``a`` to ``b``:
    ``(op, words of a, words of b)`` with op in equal / replace / delete / insert
    (empty across languages).
    """

    a: Passage
    b: Passage
    relation: str
    score: float
    similarity: float
    diff: tuple[tuple[str, str, str], ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Conflict:
    """Versions that disagree: ``values[i]`` is what ``sentences[i]`` says about ``subject``."""

    kind: str  # "number", "date", "quote", "name"
    subject: str
    values: tuple[str, ...]
    sentences: tuple[Passage, ...]
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A dated event of the story: the sentence that dates it, and every version reporting that date."""

    date: str  # ISO 8601 at its precision, as in DateMention
    precision: str
    sentence: Passage
    expression: str
    relative: bool
    sources: tuple[str, ...] = ()  # ids of the versions whose aligned sentences give this date
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The versions of one story laid side by side (see :func:`storyline.compare.versions.compare_articles`)."""

    article_ids: tuple[str, ...]
    passages: tuple[Passage, ...]
    pairs: tuple[AlignedPair, ...]
    #: facts: passages of two or more versions linked by aligned pairs
    groups: tuple[tuple[Passage, ...], ...]
    #: passages with no counterpart in any other version
    unique: tuple[Passage, ...]
    entities: tuple[Entity, ...]
    timeline: tuple[TimelineEntry, ...]
    conflicts: tuple[Conflict, ...]
    copies: tuple[CopyLink, ...] = ()
    #: per article id, the date relative expressions were resolved against and where it came from
    references: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False, compare=False)
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    #: per passage in ``unique``: the closest sentence of each other version and why it is not the same fact
    unique_evidence: dict[Passage, tuple[dict[str, Any], ...]] = field(
        default_factory=dict, hash=False, compare=False
    )

    def agreed(self) -> tuple[tuple[Passage, ...], ...]:
        """The facts every version reports."""
        everyone = set(self.article_ids)
        return tuple(g for g in self.groups if {p.article_id for p in g} >= everyone)

    def only_in(self, article_id: str) -> tuple[Passage, ...]:
        """The passages of ``article_id`` that no other version has."""
        return tuple(p for p in self.unique if p.article_id == article_id)
