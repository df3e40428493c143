"""The precision knob: every threshold that ``settings.precision`` moves, in one table.

``settings.precision`` runs from 0 (recall: join and link generously) to 1 (precision: only
sure links). Each entry of :data:`KNOB` names one threshold, says what it moves, its value at
0.5, how it moves with the knob and its bounds. Every entry rises with the knob (a higher
threshold is stricter), which ``tests/test_knob.py`` checks, together with no stage doing its
own arithmetic on ``settings.precision``.

Three forms, each kept exactly as the stage computed it before the table existed (so results
are identical to the last float):

* :class:`Shift` moves a learned value (read off a shipped model) by ``(precision - 0.5) *
  slope`` and clips it to ``[low, high]``: unchanged at 0.5;
* :class:`Dial` goes linearly from ``at_0`` (precision 0) to ``at_0 + span`` (precision 1),
  optionally rounded;
* :class:`Steps` is a whole number, ``at_0 + round(span * precision)``.

Stages read a value with :func:`shift`, :func:`dial` or :func:`steps` by the entry's name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shift:
    """A learned value moved by ``(precision - 0.5) * slope``, kept in ``[low, high]``."""

    #: what the threshold decides
    moves: str
    #: where its value at precision 0.5 comes from (a shipped model's field)
    learned: str
    slope: float
    low: float
    high: float

    def at(self, precision: float, learned: float) -> float:
        """The value at ``precision`` for the model's own value ``learned``."""
        return min(self.high, max(self.low, learned + (precision - 0.5) * self.slope))

    def bounds(self) -> tuple[float, float]:
        """The lowest and highest value it can take."""
        return (self.low, self.high)


@dataclass(frozen=True, slots=True)
class Dial:
    """A value going linearly from ``at_0`` (precision 0) to ``at_0 + span`` (precision 1)."""

    moves: str
    at_0: float
    span: float
    #: decimals kept (None: not rounded)
    digits: int | None = None

    @classmethod
    def between(cls, moves: str, low: float, high: float, digits: int | None = None) -> Dial:
        """The dial from ``low`` at precision 0 to ``high`` at precision 1."""
        return cls(moves, low, high - low, digits)

    def at(self, precision: float) -> float:
        """The value at ``precision``."""
        value = self.at_0 + precision * self.span
        return value if self.digits is None else round(value, self.digits)

    def bounds(self) -> tuple[float, float]:
        """The values at precision 0 and 1."""
        return (self.at(0.0), self.at(1.0))


@dataclass(frozen=True, slots=True)
class Steps:
    """A whole number, ``at_0 + round(span * precision)``."""

    moves: str
    at_0: int
    span: int

    def at(self, precision: float) -> int:
        """The value at ``precision``."""
        return self.at_0 + round(self.span * precision)

    def bounds(self) -> tuple[int, int]:
        """The values at precision 0 and 1."""
        return (self.at(0.0), self.at(1.0))


Entry = Shift | Dial | Steps

#: every threshold the precision knob moves, by ``stage.threshold`` name
KNOB: dict[str, Entry] = {
    # stories (storyline.stories.index.StoryIndex): learned by scripts/train_story_model.py
    "stories.join": Shift(
        "an article joins a story at this score", "story model: threshold", 0.5, 0.05, 0.95
    ),
    "stories.merge": Shift(
        "consolidation merges two clusters at this average linkage",
        "story model: merge_threshold",
        0.5,
        0.05,
        0.95,
    ),
    "stories.cohesion": Shift(
        "share of their own cohesion two established clusters must match to merge",
        "story model: cohesion",
        0.6,
        0.0,
        0.9,
    ),
    "stories.fragment_cohesion": Shift(
        "share of its own cohesion a fragment must match to join",
        "story model: fragment_cohesion",
        0.6,
        0.0,
        0.9,
    ),
    "stories.lead_cohesion": Dial.between(
        "share of their own lead cohesion two dated clusters of one language must match across",
        0.8,
        1.0,
        4,
    ),
    # copies (storyline.copies.decide.copy_thresholds)
    "copies.wire_containment": Dial.between(
        "wire/scraped: share of the copy's shingles in the original", 0.60, 0.85, 4
    ),
    "copies.wire_jaccard": Dial.between("wire/scraped: shingle Jaccard floor", 0.25, 0.50, 4),
    "copies.align_same": Dial.between("a same-language sentence pair aligns at this cosine", 0.60, 0.80, 4),
    "copies.align_cross": Dial.between("a cross-language sentence pair aligns at this cosine", 0.50, 0.70, 4),
    "copies.coverage": Dial.between(
        "spun/translated: share of each side's sentences aligned in order", 0.55, 0.85, 4
    ),
    "copies.spun_similarity": Dial.between("spun: mean cosine of the aligned pairs", 0.75, 0.90, 4),
    "copies.spun_lexical": Dial.between("spun: mean word overlap of the aligned pairs", 0.35, 0.60, 4),
    "copies.translated_similarity": Dial.between(
        "translated: mean cosine of the aligned pairs", 0.65, 0.80, 4
    ),
    "copies.min_aligned": Steps("spun/translated: fewest aligned sentence pairs", 2, 2),
    # compare (storyline.compare.align): the fact models are in resources/
    "align.story_fact": Shift(
        "in-story fact probability two sentences need to be one fact",
        "fact models: story_threshold",
        0.4,
        0.05,
        0.99,
    ),
    "align.same_fact": Dial("probability a sentence pair needs to be called the same fact", 0.35, 0.3),
}


def _entry(name: str) -> Entry:
    try:
        return KNOB[name]
    except KeyError:
        raise KeyError(f"no precision-knob entry {name!r}; known: {', '.join(sorted(KNOB))}") from None


def shift(name: str, precision: float, learned: float) -> float:
    """The value of the :class:`Shift` entry ``name`` at ``precision``, from the model's ``learned`` value."""
    entry = _entry(name)
    if not isinstance(entry, Shift):
        raise TypeError(f"precision-knob entry {name!r} is a {type(entry).__name__}, not a Shift")
    return entry.at(precision, learned)


def dial(name: str, precision: float) -> float:
    """The value of the :class:`Dial` entry ``name`` at ``precision``."""
    entry = _entry(name)
    if not isinstance(entry, Dial):
        raise TypeError(f"precision-knob entry {name!r} is a {type(entry).__name__}, not a Dial")
    return entry.at(precision)


def steps(name: str, precision: float) -> int:
    """The value of the :class:`Steps` entry ``name`` at ``precision``."""
    entry = _entry(name)
    if not isinstance(entry, Steps):
        raise TypeError(f"precision-knob entry {name!r} is a {type(entry).__name__}, not a Steps")
    return entry.at(precision)
