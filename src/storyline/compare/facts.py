"""The same-fact model: sentence profiles, pair features, the shipped weights and the pairwise decision."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from .. import knob
from ..models import DateMention, Passage
from ..resources import check_features, load_model_json, parse_model_json, reading
from ..settings import DEFAULT_SETTINGS, Settings
from ..text.dates import find_dates
from ..text.normalize import fold
from ..text.quantities import (
    _PEOPLE,
    _WORD,
    STOPWORDS,
    Quantity,
    _same_value,
    _stem,
    number_value,
    quantities,
)
from ..trees import Trees
from ..types import Embedder

#: pair features of the same-fact model, in the order of its weights
PAIR_FEATURES = (
    "cosine",
    "content_recall_min",
    "content_recall_max",
    "unmatched_min",
    "unmatched_max",
    "numbers_differ",
    "bigram_dice",
    "word_similarity",
    "char4_jaccard",
    "char4_containment",
    "char_ratio",
    "token_sort_ratio",
    "partial_ratio",
    "cosine_squared",
)


@dataclass(slots=True)
class SentenceProfile:
    """A passage with everything the pair decisions look at."""

    passage: Passage
    language: str
    words: list[str]
    content: set[str]
    bigrams: set[tuple[str, str]]
    numbers: set[str]
    quantities: list[Quantity]
    dates: list[DateMention]
    names: set[str] = field(default_factory=set)
    grams: set[str] = field(default_factory=set)
    lower: str = ""


def profile_sentence(passage: Passage, language: str, reference: date | None) -> SentenceProfile:
    """What the pair decisions look at in one passage; ``reference`` resolves its relative dates."""
    words = [w.lower() for w in _WORD.findall(passage.text)]
    dates = find_dates(passage.text, reference=reference, language=language)
    # by value, so that the English "1,150" and the Spanish or German "1.150" are one number
    written = re.findall(r"\d+(?:[.,]\d+)*", passage.text)
    numbers = {str(q.value) for q in quantities(passage.text)} | {
        n.replace(",", "") if (v := number_value(n)) is None else str(v) for n in written
    }
    names = {fold(w) for i, w in enumerate(_WORD.findall(passage.text)) if i and w[:1].isupper()}
    return SentenceProfile(
        passage,
        language,
        words,
        {_stem(w) for w in words if w not in STOPWORDS},
        set(itertools.pairwise(words)),
        numbers,
        quantities(passage.text, dates),
        dates,
        names,
        _char_grams(passage.text),
        " ".join(passage.text.lower().split()),
    )


def _char_grams(text: str, n: int = 4) -> set[str]:
    folded = " ".join(text.lower().split())
    return {folded[i : i + n] for i in range(len(folded) - n + 1)}


def fact_pair_features(a: SentenceProfile, b: SentenceProfile, cosine: float) -> list[float]:
    """The same-fact model's features of one sentence pair (see :data:`PAIR_FEATURES`)."""
    shared = len(a.content & b.content)
    recall_a = shared / max(1, len(a.content))
    recall_b = shared / max(1, len(b.content))
    unmatched_a, unmatched_b = len(a.content - b.content), len(b.content - a.content)
    bigrams = 2 * len(a.bigrams & b.bigrams) / max(1, len(a.bigrams) + len(b.bigrams))
    numbers_differ = float(bool(a.numbers ^ b.numbers))
    shared_grams = len(a.grams & b.grams)
    return [
        cosine,
        min(recall_a, recall_b),
        max(recall_a, recall_b),
        float(np.log1p(min(unmatched_a, unmatched_b))),
        float(np.log1p(max(unmatched_a, unmatched_b))),
        numbers_differ,
        bigrams,
        Indel.normalized_similarity(a.words, b.words),
        shared_grams / max(1, len(a.grams | b.grams)),
        shared_grams / max(1, min(len(a.grams), len(b.grams))),
        fuzz.ratio(a.lower, b.lower) / 100,
        fuzz.token_sort_ratio(a.lower, b.lower) / 100,
        fuzz.partial_ratio(a.lower, b.lower) / 100,
        cosine * cosine,
    ]


def same_fact_logit(features: Sequence[float], *, cross_language: bool = False) -> float:
    """The same-fact (paraphrase) model's log-odds for one pair's :func:`fact_pair_features`."""
    model = fact_models().pairwise
    if cross_language:
        return model.cross_bias + model.cross_weights[0] * features[0] + model.cross_weights[1] * features[5]
    return model.bias + sum(w * x for w, x in zip(model.weights, features, strict=True))


def same_fact_probability(features: Sequence[float], *, cross_language: bool = False) -> float:
    """The same-fact model's probability for one pair's :func:`fact_pair_features`."""
    return float(1.0 / (1.0 + np.exp(-same_fact_logit(features, cross_language=cross_language))))


#: features of the in-story fact model, in the order the trees read them
STORY_FEATURES = (
    "cosine",
    "below_row_best",
    "below_col_best",
    "row_rank",
    "col_rank",
    "mutual_best",
    "pair_logit",
    "shared_names",
    "names_jaccard",
    "shared_content",
    "content_recall_min",
    "content_recall_max",
    "numbers_shared",
    "numbers_conflict",
    "date_conflict",
    "centrality_min",
    "centrality_max",
    "position_min",
    "position_max",
    "words_min",
    "words_max",
    "cross_language",
    "clause_cosine",
    "clause_gain",
    "shared_weight",
    "shared_rarest",
    "cosine_z",
)
FACT_MODEL = "fact_model.json"
_WHAT = "fact model"


@dataclass(frozen=True, slots=True)
class PairwiseModel:
    """The paraphrase model: logistic regression over :data:`PAIR_FEATURES` (same language) and
    over the cosine and ``numbers_differ`` alone (across languages)."""

    weights: tuple[float, ...]
    bias: float
    cross_weights: tuple[float, float]
    cross_bias: float


@dataclass(frozen=True, slots=True)
class FactModels:
    """The models of ``resources/fact_model.json`` (``scripts/train_fact_model.py``): the pairwise
    paraphrase model and the in-story fact model (boosted trees over :data:`STORY_FEATURES`)
    with the probability it needs to call two sentences one fact."""

    pairwise: PairwiseModel
    story: Trees
    story_threshold: float
    evidence: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def read_fact_models(text: str, origin: str) -> FactModels:
    """The fact models from the JSON text of ``origin``; a malformed file is a ModelError naming it."""
    return fact_models_from_dict(parse_model_json(text, origin, what=_WHAT), origin)


def fact_models_from_dict(spec: dict[str, Any], origin: str) -> FactModels:
    """The fact models from the parsed JSON of ``origin`` (``scripts/train_fact_model.py`` writes it)."""
    with reading(origin, what=_WHAT):
        pairwise, story = spec["pairwise"], spec["story"]
        for part, names in ((pairwise, PAIR_FEATURES), (story, STORY_FEATURES)):
            check_features(part["features"], names, origin, what=_WHAT, script="scripts/train_fact_model.py")
        return FactModels(
            PairwiseModel(
                tuple(float(w) for w in pairwise["weights"]),
                float(pairwise["bias"]),
                (float(pairwise["cross_weights"][0]), float(pairwise["cross_weights"][1])),
                float(pairwise["cross_bias"]),
            ),
            Trees.from_json(story),
            float(story["threshold"]),
            {
                "pairwise": pairwise.get("trained_on", ""),
                "story": story.get("trained_on", ""),
                "story_threshold": story["threshold"],
            },
        )


@functools.lru_cache(maxsize=1)
def fact_models() -> FactModels:
    """The fact models shipped with storyline (read once per process)."""
    return load_fact_models()


def load_fact_models(path: str | Path | None = None) -> FactModels:
    """The fact models in ``path`` (``scripts/train_fact_model.py`` writes it), or the shipped ones;
    a missing, damaged or outdated file is a ModelError naming it."""
    return fact_models_from_dict(*load_model_json(FACT_MODEL, what=_WHAT, path=path))


def story_threshold(settings: Settings = DEFAULT_SETTINGS) -> float:
    """The in-story fact probability two sentences need to be one fact; moves with ``settings.precision``."""
    return knob.shift("align.story_fact", settings.precision, fact_models().story_threshold)


def same_fact_threshold(settings: Settings = DEFAULT_SETTINGS) -> float:
    """The probability a pair needs to be called the same fact; moves with ``settings.precision``."""
    return knob.dial("align.same_fact", settings.precision)


def number_conflicts(a: SentenceProfile, b: SentenceProfile) -> list[tuple[str, str, str]]:
    """(unit, value in a, value in b) where each side counts one thing of a unit, differently.

    Only an unambiguous count is compared: exactly one quantity of that unit on each side.
    """
    found = []
    for qa in a.quantities:
        # "people" alone says too little: "12 people" killed, a town of "18,000 people"
        theirs = [qb for qb in b.quantities if (qa.unit & qb.unit) - _PEOPLE]
        ours = [q for q in a.quantities if (q.unit & qa.unit) - _PEOPLE]
        if len(theirs) != 1 or len(ours) != 1 or _same_value(qa, theirs[0]):
            continue
        found.append((" ".join(sorted((qa.unit & theirs[0].unit) - _PEOPLE)), qa.text, theirs[0].text))
    return found


def date_conflict(a: SentenceProfile, b: SentenceProfile) -> tuple[str, str] | None:
    """The day each side gives when both date the sentence to the day and no day agrees.

    A line that is little more than a date (a time stamp, a date line) dates the article,
    not an event, and is left out.
    """
    if min(len(u.words) - sum(len(d.text.split()) for d in u.dates) for u in (a, b)) < 4:
        return None
    days_a = {d.date for d in a.dates if d.precision == "day"}
    days_b = {d.date for d in b.dates if d.precision == "day"}
    if days_a and days_b and not days_a & days_b:
        return ", ".join(sorted(days_a)), ", ".join(sorted(days_b))
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The model's call on one pair: aligned (same fact) or not, and the values that disagree."""

    aligned: bool
    probability: float
    numbers: list[tuple[str, str, str]]
    dates: tuple[str, str] | None
    logit: float = 0.0


def judge_pair(a: SentenceProfile, b: SentenceProfile, cosine: float, tau: float, *, cross: bool) -> Verdict:
    """Same fact? Two sentences that would be the same but for a number or a date are the same
    fact with conflicting values: the model then scores them with the numbers set aside."""
    if cross:  # the cross-language model reads the cosine and numbers_differ alone
        features = [cosine, 0.0, 0.0, 0.0, 0.0, float(bool(a.numbers ^ b.numbers))]
    else:
        features = fact_pair_features(a, b, cosine)
    numbers = [*number_conflicts(a, b), *[(u, y, x) for u, x, y in number_conflicts(b, a)]]
    numbers = list(dict.fromkeys(numbers))
    dates = date_conflict(a, b)
    if numbers or dates:
        features = [*features[:5], 0.0, *features[6:]]
    logit = same_fact_logit(features, cross_language=cross)
    prob = float(1.0 / (1.0 + np.exp(-logit)))
    return Verdict(prob >= tau, prob, numbers, dates, logit)


def decide_pairs(
    a_texts: Sequence[str],
    b_texts: Sequence[str],
    *,
    embedder: Embedder | None = None,
    language: str = "en",
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """The aligner's pairwise same-fact decision on sentence pairs without story context.

    Returns, per pair, (same fact, same fact with agreeing values, cosine): what
    ``bench/compare.py`` scores on paraphrase data. A pair of the same fact whose numbers
    or dates disagree is a conflict: a same fact, but not an agreeing one.
    """
    from ..features.embed import default_embedder

    embedder = embedder or default_embedder()
    vectors = embedder.encode([*a_texts, *b_texts])
    cos = (vectors[: len(a_texts)] * vectors[len(a_texts) :]).sum(axis=1)
    tau = same_fact_threshold(settings)
    aligned = np.zeros(len(a_texts), dtype=bool)
    agreeing = np.zeros(len(a_texts), dtype=bool)
    for k, (ta, tb) in enumerate(zip(a_texts, b_texts, strict=True)):
        ua, ub = (
            profile_sentence(Passage("a", k, ta), language, None),
            profile_sentence(Passage("b", k, tb), language, None),
        )
        verdict = judge_pair(ua, ub, float(cos[k]), tau, cross=False)
        aligned[k] = verdict.aligned
        agreeing[k] = verdict.aligned and not (verdict.numbers or verdict.dates)
    return aligned, agreeing, cos
