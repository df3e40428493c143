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
are the same fact *with conflicting values*, never an agreeing pair."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import lang
from ..models import AlignedPair, Conflict, Passage
from ..settings import DEFAULT_SETTINGS, Settings
from ..text.quantities import STOPWORDS, _is_toll, _stem, specific_unit
from .facts import (
    STORY_FEATURES,
    SentenceProfile,
    Verdict,
    fact_models,
    judge_pair,
    same_fact_threshold,
    story_threshold,
)

#: a pair of versions' sentences are only scored from this cosine up
CANDIDATE_COSINE = 0.45
#: in-story alignment by context: mutual best matches this far ahead of the runner-up align from
#: CONTEXT_COSINE up when they share a word, from CONTEXT_NAMED_COSINE up when they share a name
#: (calibrated by ``bench/compare.py context`` against sentences of different events)
CONTEXT_COSINE = 0.70
CONTEXT_NAMED_COSINE = 0.50
CONTEXT_MARGIN = 0.05
#: in-story candidates: pairs of sentences of two versions from this cosine up
STORY_CANDIDATE_COSINE = 0.3
#: a pair that is neither the paraphrase model's nor a mutual best match is a counterpart (core)
#: only from this fact probability up
CORE_PROBABILITY = 0.9


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


_CLAUSE_WORD = re.compile(rf"\s+(?=(?:{lang.alternation(lang.fragments('clause_words'))})\s)")
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
            "shared_words": _as_written(ua, ua.content & ub.content)[:12],
        }
        if conflicts:
            evidence["numbers"] = [{"unit": u, "a": x, "b": y} for u, x, y in conflicts]
        if clash:
            evidence["dates"] = {"a": clash[0], "b": clash[1]}
        relation = "conflict" if conflicts or clash else "same"
        if relation == "same" and not cross:
            only_a, only_b = (
                _as_written(ua, ua.content - ub.content),
                _as_written(ub, ub.content - ua.content),
            )
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


def word_diff(a: str, b: str) -> tuple[tuple[str, str, str], ...]:
    """Word-level edit script from ``a`` to ``b``: (op, words of a, words of b), op in equal/replace/delete/insert."""
    wa, wb = a.split(), b.split()
    ops = difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes()
    return tuple((op, " ".join(wa[i1:i2]), " ".join(wb[j1:j2])) for op, i1, i2, j1, j2 in ops)


def _as_written(unit: SentenceProfile, stems: set[str]) -> list[str]:
    """The words of ``unit`` whose stems are ``stems``, as the sentence writes them (lower case, each
    once, sorted): what a reader sees, not "hous" and "kill" for "houses" and "killing"."""
    return sorted({w for w in unit.words if w not in STOPWORDS and _stem(w) in stems})
