"""Sentence alignment across the versions of a story: which sentences report the same fact.

Every sentence gets a :class:`SentenceProfile` (words, content words, numbers with their
units, dates, capitalised names, character 4-grams). A pair of sentences is scored by the
*same-fact model*, a logistic regression over the multilingual USE cosine and lexical
evidence (:data:`PAIR_FEATURES`), fitted on paraphrase pairs (``bench/compare.py msrp --fit``:
half A of MSRP; across languages only the cosine and the numbers carry over). Two sentences
that would be the same fact but for a number or a date (same unit, other value) are the same
fact *with conflicting values*, never an agreeing pair. Inside a story there is context too:
two sentences that are each other's best match, clearly ahead of the runner-up and sharing
a name (or a word, at a higher cosine) also align, since independent reports of one fact
word it differently (thresholds calibrated by ``bench/compare.py context``).
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from .dates import find_dates
from .entities import fold
from .models import AlignedPair, Conflict, DateMention, Passage
from .settings import DEFAULT_SETTINGS, Settings
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
# Fitted by `bench/compare.py msrp --fit` (logistic regression on half A of the MSRP training pairs;
# reported on half B). Across languages only the cosine and the numbers carry over.
SAME_FACT_WEIGHTS = (
    0.81,
    0.052,
    0.378,
    -0.018,
    -0.917,
    -0.337,
    -1.672,
    2.274,
    2.092,
    -0.569,
    2.926,
    1.922,
    -2.777,
    1.954,
)
SAME_FACT_BIAS = -2.025
CROSS_WEIGHTS = (6.384, -0.605)  # cosine, numbers_differ: the same fit on those two alone
CROSS_BIAS = -3.876
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


def same_fact_probability(features: Sequence[float], *, cross_language: bool = False) -> float:
    """The same-fact model's probability for one pair's :func:`pair_features`."""
    if cross_language:
        z = CROSS_BIAS + CROSS_WEIGHTS[0] * features[0] + CROSS_WEIGHTS[1] * features[5]
    else:
        z = SAME_FACT_BIAS + sum(w * x for w, x in zip(SAME_FACT_WEIGHTS, features, strict=True))
    return float(1.0 / (1.0 + np.exp(-z)))


def same_fact_threshold(settings: Settings = DEFAULT_SETTINGS) -> float:
    """The probability a pair needs to be called the same fact; moves with ``settings.precision``."""
    return 0.35 + 0.3 * settings.precision


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


def judge_pair(a: SentenceProfile, b: SentenceProfile, cosine: float, tau: float, *, cross: bool) -> Verdict:
    """Same fact? Two sentences that would be the same but for a number or a date are the same
    fact with conflicting values: the model then scores them with the numbers set aside."""
    features = pair_features(a, b, cosine)
    prob = same_fact_probability(features, cross_language=cross)
    numbers = [*number_conflicts(a, b), *[(u, y, x) for u, x, y in number_conflicts(b, a)]]
    numbers = list(dict.fromkeys(numbers))
    dates = date_conflict(a, b)
    if numbers or dates:
        prob = same_fact_probability([*features[:5], 0.0, *features[6:]], cross_language=cross)
    return Verdict(prob >= tau, prob, numbers, dates)


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


def context_evidence(a: SentenceProfile, b: SentenceProfile, cosine: float, *, cross: bool) -> bool:
    """Enough for a mutual best match to align: a shared name, or a shared word at a high cosine."""
    if a.names & b.names and cosine >= CONTEXT_NAMED_COSINE:
        return True
    return not cross and cosine >= CONTEXT_COSINE and bool(a.content & b.content or a.numbers & b.numbers)


def align_versions(
    units_a: list[SentenceProfile],
    units_b: list[SentenceProfile],
    sim: npt.NDArray[np.float32],
    settings: Settings,
    *,
    linked: bool = False,
) -> tuple[list[AlignedPair], list[Conflict]]:
    """One-to-one same-fact pairs between two versions, best first, with their relation and evidence;
    and the number conflicts of related sentences that did not align.

    How sure an alignment is decides which differing numbers count as a conflict: any unit
    for a pair the model aligns or of versions with a copy link (``linked``), only a unit
    naming what is counted for a pair aligned by context; related sentences that did not
    align are compared on tolls alone (the dead, the injured).
    """
    if not units_a or not units_b:
        return [], []
    cross = bool(units_a[0].language and units_b[0].language and units_a[0].language != units_b[0].language)
    tau = same_fact_threshold(settings)
    shift = 0.1 * (settings.precision - 0.5)
    best_col, best_row = sim.argmax(axis=1), sim.argmax(axis=0)
    top2_row = np.sort(sim, axis=1)[:, -2] if sim.shape[1] > 1 else np.zeros(sim.shape[0])
    top2_col = np.sort(sim, axis=0)[-2, :] if sim.shape[0] > 1 else np.zeros(sim.shape[1])
    found: list[tuple[float, int, int, dict[str, Any]]] = []
    related: list[tuple[float, int, int, list[tuple[str, str, str]]]] = []
    for i, j in zip(*np.nonzero(sim >= CANDIDATE_COSINE), strict=True):
        a, b, cos = units_a[i], units_b[j], float(sim[i, j])
        verdict = judge_pair(a, b, cos, tau, cross=cross)
        margin = cos - max(float(top2_row[i]), float(top2_col[j]))
        mutual = best_col[i] == j and best_row[j] == i
        by_context = bool(mutual and margin >= CONTEXT_MARGIN) and context_evidence(
            a, b, cos - shift, cross=cross
        )
        if not (verdict.aligned or by_context):
            if cos >= CONTEXT_NAMED_COSINE and any(_is_toll(u) for u, _, _ in verdict.numbers):
                related.append((cos, i, j, verdict.numbers))
            continue
        prob, conflicts, clash = verdict.probability, verdict.numbers, verdict.dates
        if not (verdict.aligned or linked or cos >= CONTEXT_COSINE):
            clash = None  # a date may belong to any clause: only a close pair's dates are compared
            conflicts = [c for c in conflicts if specific_unit(c[0])]
        evidence: dict[str, Any] = {
            "decided_by": "model" if verdict.aligned else "context",
            "probability": round(prob, 3),
            "threshold": round(tau, 3),
            "mutual_best": bool(mutual),
            "margin": round(margin, 3),
            "shared_words": sorted(a.content & b.content)[:12],
        }
        if conflicts:
            evidence["numbers"] = [{"unit": u, "a": x, "b": y} for u, x, y in conflicts]
        if clash:
            evidence["dates"] = {"a": clash[0], "b": clash[1]}
        found.append((prob + cos, int(i), int(j), evidence))
    pairs: list[AlignedPair] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for strength, i, j, evidence in sorted(found, key=lambda f: -f[0]):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        a, b = units_a[i].passage, units_b[j].passage
        relation = "conflict" if "numbers" in evidence or "dates" in evidence else "same"
        diff = () if cross else word_diff(a.text, b.text)
        similarity = round(float(sim[i, j]), 4)
        pairs.append(AlignedPair(a, b, relation, round(strength - similarity, 4), similarity, diff, evidence))
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
