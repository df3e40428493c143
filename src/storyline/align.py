"""Fact alignment across the versions of a story: which sentences report the same fact.

Every sentence gets a :class:`SentenceProfile` (words, content words, numbers with their
units, dates, capitalised names, character 4-grams). Two models decide, both read from
``resources/fact_model.json`` (trained by ``scripts/train_fact_model.py``):

* the **pairwise** (paraphrase) model, a logistic regression over the multilingual USE cosine
  and lexical evidence (:data:`PAIR_FEATURES`), fitted on half A of MSRP (``bench/compare.py
  msrp`` reports half B; across languages only the cosine and the numbers carry over);
* the **in-story fact model**, gradient-boosted trees over :data:`STORY_FEATURES`: the sentence
  cosine and the best cosine between their clauses (:func:`clauses`), where the pair ranks in
  its row and column (the same fact is told about once per version), the paraphrase model's
  log-odds, shared names and content words weighted by how rare they are in the story, numbers
  and dates, how central each sentence is to the story, positions; trained on ECB+
  cross-document event coreference (odd topics; ``bench/facts.py`` reports even topics held out).

Pairs are many to many; the strongest one-to-one matching of two versions is their *core*.
Two sentences that would be the same fact but for a number or a date (same unit, other value)
are the same fact *with conflicting values*, never an agreeing pair.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from . import knob
from .dates import find_dates
from .entities import fold
from .errors import StorylineError
from .models import AlignedPair, Conflict, DateMention, Passage
from .settings import DEFAULT_SETTINGS, Settings
from .trees import Trees
from .types import Embedder

STOPWORDS = frozenset(
    """a an the of to in on at for by with from and or but nor is are was were be been being am has have had
    do does did it its this that these those he she they we you i me my his her their our your him them us as
    not no so than then there here which who whom whose what when where why how said says say will would can
    could may might must shall should also about into over after before up down out more most very just such
    only own same other some any each all both few many much s t if while because until since again further
    der die das den dem des ein eine einer eines einem und oder aber ist sind war waren wird werden hat haben
    nicht auch mit von zu im am auf für bei aus nach wie als dass sich er sie es wir ihr sein seine zum zur
    el la los las un una unos unas y o pero es son fue fueron ser ha han no con por para del al que se su sus
    lo como más muy este esta le les une et ou mais est sont été être avec pour par dans sur au aux ce cette
    qui ne pas plus son sa ses il elle ils elles nous vous""".split()
)
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
#: a pair of versions' sentences are only scored from this cosine up
CANDIDATE_COSINE = 0.45
#: in-story alignment by context: mutual best matches this far ahead of the runner-up align from
#: CONTEXT_COSINE up when they share a word, from CONTEXT_NAMED_COSINE up when they share a name
#: (calibrated by ``bench/compare.py context`` against sentences of different events)
CONTEXT_COSINE = 0.70
CONTEXT_NAMED_COSINE = 0.50
CONTEXT_MARGIN = 0.05

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "dozen": 12, "hundred": 100,
}  # fmt: skip
_SCALES = {
    "thousand": 1e3, "mil": 1e3, "hundred": 1e2, "million": 1e6, "millions": 1e6, "millionen": 1e6,
    "millones": 1e6, "millón": 1e6, "m": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9, "milliarden": 1e9,
    "milliarde": 1e9, "milliards": 1e9, "milliard": 1e9, "trillion": 1e12,
}  # fmt: skip
_QUANTITY = re.compile(
    r"(?P<approx>\b(?:about|around|nearly|almost|some|roughly|approximately|over|more than|less than|"
    r"fewer than|at least|up to|etwa|rund|fast|mehr als|über|cerca de|unos|unas|más de|environ|près de|"
    r"plus de)\s+)?(?P<currency>US\$|[$€£¥])?\s?(?P<number>\d+(?:[.,]\d{3})*(?:[.,]\d+)?|"
    + "|".join(_NUMBER_WORDS)
    + r")\b(?!:\d|st\b|nd\b|rd\b|th\b)(?:[\s-]*(?P<scale>"
    + "|".join(sorted(_SCALES, key=len, reverse=True))
    + r")\b)?\s*(?P<percent>%|percent|per cent|por ciento|prozent|pour cent)?",
    re.IGNORECASE,
)
_UNIT_CLASSES = {
    "dead": "dead killed killing kill died deaths death toll fatalities bodies victims muertos fallecidos "
    "tote toten morts",
    "injured": "injured wounded hurt injuries heridos verletzte blessés",
}
_UNIT_CLASS = {w: k for k, v in _UNIT_CLASSES.items() for w in v.split()}
_INCREMENTS = frozenset("more additional other further another más weitere autres".split())
_SUBSET = re.compile(
    r"\b(?:last|first|latest|final|other|remaining|letzten|ersten|últimos|primeros|derniers)\s+$", re.I
)
# units that say what kind of figure it is, not what is counted: "$160 million" of whose offer?
GENERIC_UNITS = frozenset(
    """$ € £ ¥ us$ % - year month week day hour minute time season point cent percent euro dollar pound yen
    jahr monat tag año mes día an mois jour""".split()
)
_PEOPLE = frozenset("people person persons personas menschen personen personnes".split())

# --------------------------------------------------------------------------- sentence features


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _number_value(text: str) -> float | None:
    word = text.lower()
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):  # thousands separators, either style
        return float(re.sub(r"[.,]", "", text))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with what it counts: ``unit`` holds the (stemmed) words after it, or a class."""

    text: str
    value: float
    unit: frozenset[str]
    approximate: bool


def quantities(text: str, dates: Sequence[DateMention] = ()) -> list[Quantity]:
    """Numbers of ``text`` with their units; years, times, ordinals and numbers inside dates are skipped."""
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        start, _end = m.span("number")
        if any(d.start <= start < d.end for d in dates) or text[max(0, start - 1) : start] in ":-/":
            continue
        if text[m.end("number") : m.end("number") + 1] == "-" and not m.group("scale"):
            continue  # "21-year-old", "a 20-ounce bottle": part of a word
        if m.group("number").isalpha() and re.match(r"\s+of\b", text[m.end("number") :]):
            continue  # "one of Portland's best-known brands"
        value = _number_value(m.group("number"))
        if value is None or (m.group("number").isalpha() and not m.group("number").islower()):
            continue
        plain = not (m.group("currency") or m.group("scale") or m.group("percent"))
        if plain and 1900 <= value <= 2100 and m.group("number").isdigit():
            continue  # a year
        value *= _SCALES.get((m.group("scale") or "").lower(), 1.0)
        unit = {m.group("currency")} if m.group("currency") else set()
        if m.group("percent"):
            unit.add("%")
        # the words after the number up to the first function word name what it counts
        after = re.match(
            r"\s*(?:(?:of|de|del|des|der)\s+)?([\w-]+)(?:\s+([\w-]+))?(?:\s+([\w-]+))?", text[m.end() :]
        )
        following = [w.lower() for w in after.groups() if w] if after else []
        before = text[max(0, m.start("number") - 12) : m.start("number")]
        if (following and following[0] in _INCREMENTS) or _SUBSET.search(before):
            continue  # "two more bodies", "the last two victims": part of a count, not the count
        for w in following:
            if w in STOPWORDS or w.isdigit():
                break
            unit.add(_UNIT_CLASS.get(w, _stem(w)))
        context = {_UNIT_CLASS[w] for w in _WORD.findall(text.lower()) if w in _UNIT_CLASS}
        if unit <= _PEOPLE and len(context) == 1:
            unit |= context  # "the death toll rose to 14", "killing 12 people": the count is of the dead
        out.append(Quantity(m.group().strip(), value, frozenset(unit), bool(m.group("approx"))))
    return out


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
    numbers = {str(q.value) for q in quantities(passage.text)} | {
        n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", passage.text)
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


def pair_features(a: SentenceProfile, b: SentenceProfile, cosine: float) -> list[float]:
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
    """The same-fact (paraphrase) model's log-odds for one pair's :func:`pair_features`."""
    model = fact_models().pairwise
    if cross_language:
        return model.cross_bias + model.cross_weights[0] * features[0] + model.cross_weights[1] * features[5]
    return model.bias + sum(w * x for w, x in zip(model.weights, features, strict=True))


def same_fact_probability(features: Sequence[float], *, cross_language: bool = False) -> float:
    """The same-fact model's probability for one pair's :func:`pair_features`."""
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
#: in-story candidates: pairs of sentences of two versions from this cosine up
STORY_CANDIDATE_COSINE = 0.3
FACT_MODEL = "fact_model.json"
#: a pair that is neither the paraphrase model's nor a mutual best match is a counterpart (core)
#: only from this fact probability up
CORE_PROBABILITY = 0.9


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
    """The fact models from the JSON text of ``origin``; a malformed file is a StorylineError naming it."""
    try:
        spec = json.loads(text)
        pairwise, story = spec["pairwise"], spec["story"]
        if tuple(pairwise["features"]) != PAIR_FEATURES or tuple(story["features"]) != STORY_FEATURES:
            raise StorylineError(
                f"{origin}: the fact model was trained on other features than this storyline computes; "
                "retrain it with scripts/train_fact_model.py"
            )
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
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise StorylineError(f"{origin}: not a fact model ({type(exc).__name__}: {exc})") from exc


@functools.lru_cache(maxsize=1)
def fact_models() -> FactModels:
    """The fact models shipped with storyline (read once per process)."""
    from importlib import resources

    resource = resources.files("storyline") / "resources" / FACT_MODEL
    return read_fact_models(resource.read_text(encoding="utf-8"), f"storyline/resources/{FACT_MODEL}")


def story_threshold(settings: Settings = DEFAULT_SETTINGS) -> float:
    """The in-story fact probability two sentences need to be one fact; moves with ``settings.precision``."""
    return knob.shift("align.story_fact", settings.precision, fact_models().story_threshold)


def same_fact_threshold(settings: Settings = DEFAULT_SETTINGS) -> float:
    """The probability a pair needs to be called the same fact; moves with ``settings.precision``."""
    return knob.dial("align.same_fact", settings.precision)


def _same_value(a: Quantity, b: Quantity) -> bool:
    """Equal up to rounding or truncation to the coarser figure ("$114.3 million" is "$114 million"),
    or within 10% when either is approximate ("about 5,000")."""
    low, high = sorted((a.value, b.value))
    if high - low <= (0.1 if a.approximate or b.approximate else 0.015) * high:
        return True
    digits = [
        len(re.split(r"[.,]", q.text.split()[-1])[-1]) if re.search(r"\d[.,]\d{1,2}\b", q.text) else 0
        for q in (a, b)
    ]
    coarse, fine = (a, b) if digits[0] < digits[1] else (b, a)
    return coarse.value in (round(fine.value), float(int(fine.value)))


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
        features = pair_features(a, b, cosine)
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
    from .embed import default_embedder

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


# --------------------------------------------------------------------------- alignment


_MUTUAL = STORY_FEATURES.index("mutual_best")


def _position(p: Passage) -> float:
    """Where a passage stands in its version: 0 for the title, then 1, 2, ... (capped at 30)."""
    return 0.0 if p.kind == "title" else float(min(30, p.index + 1))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence pair of two versions scored by the in-story fact model."""

    i: int
    j: int
    cosine: float
    features: list[float]
    verdict: Verdict


_CLAUSE_WORD = re.compile(r"\s+(?=(?:and|but|that|which|while|after|because|when)\s)")
_CLAUSE_BREAK = re.compile(r"\s*(?:[;:]|,(?=\s)|\s[—–-]\s|[\"“”«»])\s*")


def clauses(text: str) -> list[str]:
    """The clause-like parts of a sentence of 12 words or more (split at commas, semicolons, colons,
    dashes and quotes; parts under four words join the part before), when there are two or more;
    else [] (a short sentence is one clause)."""
    if len(text.split()) < 12:
        return []
    pieces = []
    for piece in _CLAUSE_BREAK.split(text):
        # a long stretch without punctuation splits where a clause starts ("... and offer his thoughts")
        pieces += _CLAUSE_WORD.split(piece) if len(piece.split()) >= 10 else [piece]
    parts: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if parts and (len(piece.split()) < 4 or len(parts[-1].split()) < 4):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts if len(parts) > 1 else []


def clause_similarity(
    vectors_a: npt.NDArray[np.float32],
    owners_a: npt.NDArray[np.int64],
    vectors_b: npt.NDArray[np.float32],
    owners_b: npt.NDArray[np.int64],
) -> npt.NDArray[np.float32]:
    """Per sentence pair, the best cosine between a part of one and a part of the other (each
    sentence's parts are its clauses and itself; ``owners_*`` give each row's sentence, in order)."""
    sim = vectors_a @ vectors_b.T
    starts_a = np.flatnonzero(np.r_[True, owners_a[1:] != owners_a[:-1]])
    starts_b = np.flatnonzero(np.r_[True, owners_b[1:] != owners_b[:-1]])
    reduced = np.maximum.reduceat(np.maximum.reduceat(sim, starts_a, axis=0), starts_b, axis=1)
    return np.asarray(reduced, dtype=np.float32)


def predicates(text: str, verbs: Sequence[int] | None) -> list[str]:
    """The predicates of a sentence's clauses (each clause, or the sentence when it is one clause,
    from its first verb or auxiliary on, ``verbs`` giving their character offsets): what is said to
    happen, without who it happened to. Two versions often tell one fact about differently named
    subjects ("the rescue did not go as planned" / "the operation of the two teams did not run as
    hoped"), which the cosine of whole clauses misses. A predicate of under three words, or a clause that starts with its
    verb, gives none; no ``verbs`` (an untagged language), none."""
    if not verbs:
        return []
    starts: list[int] = []
    for part in clauses(text) or [text]:
        head = re.compile(rf"(?<!\w){re.escape(part.split(' ', 1)[0])}")
        found = head.search(text, starts[-1] + 1 if starts else 0)
        if found:
            starts.append(found.start())
    out: list[str] = []
    for pos, end in zip(starts, [*starts[1:], len(text)], strict=True):
        first = next((v for v in verbs if pos < v < end), None)
        if first is None or not text[pos:first].strip():
            continue
        predicate = text[first:end].strip().rstrip(',;:—–-"“”«» ').strip()
        if len(predicate.split()) >= 3 and predicate not in out:
            out.append(predicate)
    return out


def _parts(text: str, verbs: Mapping[str, Sequence[int] | None] | None) -> tuple[str, ...]:
    """A passage's text, its clauses and (``verbs``: offsets per text) its clauses' predicates."""
    found = clauses(text)
    extra = predicates(text, verbs.get(text)) if verbs else []
    return tuple(dict.fromkeys((text, *found, *extra)))


def story_texts(
    passages: dict[str, list[Passage]], verbs: Mapping[str, Sequence[int] | None] | None = None
) -> list[str]:
    """Every text a story's comparison embeds: its passages, their clauses and (with ``verbs``,
    :func:`predicates`) the clauses' predicates, each once."""
    return list(dict.fromkeys(t for ps in passages.values() for p in ps for t in _parts(p.text, verbs)))


FloatMatrix = npt.NDArray[np.float32]


def story_vectors(
    passages: dict[str, list[Passage]],
    matrix: FloatMatrix,
    row: dict[str, int],
    verbs: Mapping[str, Sequence[int] | None] | None = None,
) -> tuple[dict[str, FloatMatrix], dict[str, tuple[FloatMatrix, npt.NDArray[np.int64]]]]:
    """Per version, its passages' vectors and (for :func:`clause_similarity`) the stacked vectors of
    each passage, its clauses and their predicates (with ``verbs``) with the passage each row
    belongs to; ``matrix[row[text]]`` is a text's vector (from :func:`story_texts`)."""
    vectors, parts = {}, {}
    for i, ps in passages.items():
        vectors[i] = matrix[[row[p.text] for p in ps]]
        rows = [(k, row[t]) for k, p in enumerate(ps) for t in _parts(p.text, verbs)]
        owners = np.array([k for k, _ in rows], dtype=np.int64)
        parts[i] = (matrix[[r for _, r in rows]], owners)
    return vectors, parts


def story_weights(units: Sequence[SentenceProfile]) -> dict[str, float]:
    """How telling each content word is in this story: log inverse of the share of passages that
    use it, scaled to 0-1 (a name in every sentence tells nothing about which fact a sentence is)."""
    from collections import Counter

    df = Counter(w for u in units for w in u.content)
    top = float(np.log(len(units) + 1))
    return {w: float(np.log((len(units) + 1) / c)) / top for w, c in df.items()}


def story_candidates(
    units_a: Sequence[SentenceProfile],
    units_b: Sequence[SentenceProfile],
    sim: npt.NDArray[np.float32],
    central_a: npt.NDArray[np.float32],
    central_b: npt.NDArray[np.float32],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    clause_sim: npt.NDArray[np.float32] | None = None,
    weights: dict[str, float] | None = None,
) -> list[Candidate]:
    """Every sentence pair of two versions from :data:`STORY_CANDIDATE_COSINE` up, with its
    :data:`STORY_FEATURES` (``central_*``: each passage's cosine to the story's centroid) and the
    paraphrase model's verdict (below :data:`CANDIDATE_COSINE`, for speed, its cosine-and-numbers
    form, as across languages)."""
    if not len(units_a) or not len(units_b):
        return []
    cross = bool(units_a[0].language and units_b[0].language and units_a[0].language != units_b[0].language)
    tau = same_fact_threshold(settings)
    row_best, col_best = sim.max(axis=1), sim.max(axis=0)
    row_rank = (-sim).argsort(axis=1).argsort(axis=1)
    col_rank = (-sim).argsort(axis=0).argsort(axis=0)
    clause_sim = sim if clause_sim is None else clause_sim
    weights = weights if weights is not None else story_weights([*units_a, *units_b])
    row_mean, row_std = sim.mean(axis=1), sim.std(axis=1) + 0.05
    total_a = [sum(weights.get(w, 1.0) for w in u.content) for u in units_a]
    total_b = [sum(weights.get(w, 1.0) for w in u.content) for u in units_b]
    out = []
    candidates = np.maximum(sim, clause_sim - 0.1) >= STORY_CANDIDATE_COSINE
    for i, j in zip(*np.nonzero(candidates), strict=True):
        a, b, cos = units_a[i], units_b[j], float(sim[i, j])
        verdict = judge_pair(a, b, cos, tau, cross=cross or cos < CANDIDATE_COSINE)
        shared_names = len(a.names & b.names)
        shared_weights = [weights.get(w, 1.0) for w in a.content & b.content]
        shared = len(a.content & b.content)
        recall_a, recall_b = shared / max(1, len(a.content)), shared / max(1, len(b.content))
        features = [
            cos,
            cos - float(row_best[i]),
            cos - float(col_best[j]),
            float(min(row_rank[i, j], 5)),
            float(min(col_rank[i, j], 5)),
            float(row_rank[i, j] == 0 and col_rank[i, j] == 0),
            max(-10.0, min(10.0, verdict.logit)),
            float(min(shared_names, 5)),
            shared_names / max(1, len(a.names | b.names)),
            float(min(shared, 10)),
            min(recall_a, recall_b),
            max(recall_a, recall_b),
            float(bool(a.numbers & b.numbers)),
            float(bool(verdict.numbers)),
            float(verdict.dates is not None),
            float(min(central_a[i], central_b[j])),
            float(max(central_a[i], central_b[j])),
            min(_position(a.passage), _position(b.passage)),
            max(_position(a.passage), _position(b.passage)),
            float(min(len(a.words), len(b.words), 60)),
            float(min(max(len(a.words), len(b.words)), 60)),
            float(cross),
            float(clause_sim[i, j]),
            float(clause_sim[i, j]) - cos,
            sum(shared_weights) / max(1e-6, min(total_a[i], total_b[j])),
            max(shared_weights, default=0.0),
            (cos - float(row_mean[i])) / float(row_std[i]),
        ]
        out.append(Candidate(int(i), int(j), cos, features, verdict))
    return out


def centrality(vectors: Sequence[npt.NDArray[np.float32]]) -> list[npt.NDArray[np.float32]]:
    """Per version, each passage's cosine to the centroid of all versions' passages, each version
    weighing the same (what most versions tell most is the story's main fact)."""
    means = [v.mean(axis=0) for v in vectors if len(v)]
    if not means:
        return [np.zeros(len(v), dtype=np.float32) for v in vectors]
    centre = np.mean(means, axis=0)
    centre = centre / max(float(np.linalg.norm(centre)), 1e-9)
    return [(v @ centre).astype(np.float32) if len(v) else np.zeros(0, dtype=np.float32) for v in vectors]


def align_versions(
    units_a: list[SentenceProfile],
    units_b: list[SentenceProfile],
    sim: npt.NDArray[np.float32],
    settings: Settings,
    *,
    linked: bool = False,
    central: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None,
) -> tuple[list[AlignedPair], list[Conflict]]:
    """The same-fact pairs between two versions, many to many, best first, with their relation and
    evidence; and the number conflicts of related sentences that did not align.

    A pair is one fact when the in-story fact model (:data:`STORY_FEATURES`) or the paraphrase
    model says so. Within the pairs, the strongest one-to-one matching is the *core*: its pairs'
    differing numbers and dates are conflicts (any unit when the paraphrase model aligns the pair
    or the versions have a copy link, ``linked``; else only a unit naming what is counted). A
    pair outside the core, or a core pair whose sides each hold content the other lacks, is
    ``partial``: one fact of one sentence told in the other. Related sentences that did not align
    are compared on tolls alone (the dead, the injured).
    """
    if not units_a or not units_b:
        return [], []
    if central is None:
        central = (sim.max(axis=1), sim.max(axis=0))
    candidates = story_candidates(units_a, units_b, sim, central[0], central[1], settings)
    return decide_alignment(
        units_a, units_b, candidates, fact_probabilities(candidates), settings, linked=linked
    )


def fact_probabilities(candidates: Sequence[Candidate]) -> npt.NDArray[np.float64]:
    """The in-story fact model's probability for each candidate (one batch: the trees are walked
    once for all of them)."""
    if not candidates:
        return np.zeros(0)
    return 1.0 / (1.0 + np.exp(-fact_models().story.predict([c.features for c in candidates])))


def decide_alignment(
    units_a: Sequence[SentenceProfile],
    units_b: Sequence[SentenceProfile],
    candidates: Sequence[Candidate],
    probs: npt.NDArray[np.float64],
    settings: Settings,
    *,
    linked: bool = False,
) -> tuple[list[AlignedPair], list[Conflict]]:
    """:func:`align_versions` from candidates already scored (``probs`` from :func:`fact_probabilities`)."""
    if not units_a or not units_b:
        return [], []
    cross = bool(units_a[0].language and units_b[0].language and units_a[0].language != units_b[0].language)
    tau_story = story_threshold(settings)
    found: list[tuple[float, Candidate, float]] = []
    related: list[tuple[float, int, int, list[tuple[str, str, str]]]] = []
    for c, prob in zip(candidates, probs, strict=True):
        if not (c.verdict.aligned or prob >= tau_story):
            if c.cosine >= CONTEXT_NAMED_COSINE and any(_is_toll(u) for u, _, _ in c.verdict.numbers):
                related.append((c.cosine, c.i, c.j, c.verdict.numbers))
            continue
        found.append((float(prob) + (1.0 if c.verdict.aligned else 0.0), c, float(prob)))
    pairs: list[AlignedPair] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for strength, c, prob in sorted(found, key=lambda f: (-f[0], f[1].i, f[1].j)):
        # a counterpart is the paraphrase model's pair, a mutual best match, or a near-certain one:
        # what is left over once the better pairs are taken is no counterpart
        sure = c.verdict.aligned or bool(c.features[_MUTUAL]) or prob >= CORE_PROBABILITY
        core = sure and c.i not in used_a and c.j not in used_b
        if core:
            used_a.add(c.i)
            used_b.add(c.j)
        ua, ub = units_a[c.i], units_b[c.j]
        conflicts, clash = c.verdict.numbers, c.verdict.dates
        if not (c.verdict.aligned or linked or c.cosine >= CONTEXT_COSINE):
            clash = None  # a date may belong to any clause: only a close pair's dates are compared
            conflicts = [n for n in conflicts if specific_unit(n[0])]
        if not core:  # a partial pair: only tolls are compared, as for related sentences
            conflicts, clash = [n for n in conflicts if _is_toll(n[0])], None
        evidence: dict[str, Any] = {
            "decided_by": "paraphrase model" if c.verdict.aligned else "fact model",
            "probability": round(c.verdict.probability, 3),
            "fact_probability": round(prob, 3),
            "threshold": round(tau_story, 3),
            "mutual_best": bool(c.features[STORY_FEATURES.index("mutual_best")]),
            "core": core,
            "shared_words": sorted(ua.content & ub.content)[:12],
        }
        if conflicts:
            evidence["numbers"] = [{"unit": u, "a": x, "b": y} for u, x, y in conflicts]
        if clash:
            evidence["dates"] = {"a": clash[0], "b": clash[1]}
        relation = "conflict" if conflicts or clash else "same"
        if relation == "same" and not cross:
            only_a, only_b = sorted(ua.content - ub.content), sorted(ub.content - ua.content)
            shared = len(ua.content & ub.content)
            if not core or min(shared / max(1, len(ua.content)), shared / max(1, len(ub.content))) < 0.5:
                relation = "partial"
                evidence["only_a"], evidence["only_b"] = only_a[:12], only_b[:12]
        elif relation == "same" and not core:
            relation = "partial"
        a, b = ua.passage, ub.passage
        diff = () if cross else word_diff(a.text, b.text)
        similarity = round(c.cosine, 4)
        pairs.append(AlignedPair(a, b, relation, round(strength, 4), similarity, diff, evidence))
    unaligned = [
        Conflict(
            "number",
            unit,
            (x, y),
            (units_a[i].passage, units_b[j].passage),
            {
                "rule": "related sentences (not aligned) count the same thing differently",
                "similarity": round(cos, 4),
            },
        )
        for cos, i, j, numbers in related
        for unit, x, y in numbers
        if _is_toll(unit)
    ]
    return pairs, unaligned


def _is_toll(unit: str) -> bool:
    """A count of the dead or the injured: the one figure that sentences reporting different
    moments of a story (not aligned) are still compared on."""
    return bool(set(unit.split()) & set(_UNIT_CLASSES))


def specific_unit(unit: str) -> bool:
    """Whether a unit names what is counted (prisoners, dead, batteries), not only the kind of
    figure (a currency, a percentage, a duration)."""
    return any(len(word) > 1 and word not in GENERIC_UNITS for word in unit.split())


def word_diff(a: str, b: str) -> tuple[tuple[str, str, str], ...]:
    """Word-level edit script from ``a`` to ``b``: (op, words of a, words of b), op in equal/replace/delete/insert."""
    wa, wb = a.split(), b.split()
    ops = difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
    return tuple((op, " ".join(wa[i1:i2]), " ".join(wb[j1:j2])) for op, i1, i2, j1, j2 in ops)
