"""Find reprints: which article copies which, how, and which one is the original.

:class:`NearDuplicateIndex` is the blocking step: MinHash-LSH (rensa) over word 5-grams, filled as
articles arrive; it finds wire reprints and scraped reposts across a stream, never spun or translated
copies. :func:`find_copies` then decides, for a group of candidates (a story's members plus the index's
hits), which pairs are copies:

* ``wire``: near-identical text (most of one side's shingles are in the other), or an edited reprint
  whose sentences align in order and are mostly verbatim; ``scraped``: the same, and the copy carries
  scraper/autoblog markers;
* ``spun``: same language, sentences aligned one to one *in order* with high embedding similarity while
  their words overlap only moderately (synonym swaps);
* ``translated``: different languages, multilingual sentence vectors align most sentences of *both*
  sides in order.

Independent reports of one event share facts, not structure: their sentences do not line up in order,
so in-order alignment coverage, not topical similarity, decides. The original is the earlier
publication; on a tie or a missing date the evidence votes (scraper markers, agency datelines, credit
lines, containment, the English side of a translation) and the vote is kept in ``evidence``.
``settings.precision`` (0..1) moves every threshold at once (see :func:`copy_thresholds` and the
table in :mod:`storyline.knob`): higher asks for more containment, more aligned sentences, closer
sentence pairs and more shared words."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Indel
from rapidfuzz.process import cdist

from .. import knob
from ..errors import StorylineError
from ..models import Article, CopyLink, CopyType
from ..settings import DEFAULT_SETTINGS, Settings
from ..types import Embedder
from .blocking import shingles, words

_RAW_MARKER = re.compile(r"\[ad_\d+\]|^\s*source link\s*$", re.IGNORECASE | re.MULTILINE)
# "TALCA, Chile (MPA) —", "LONDON, Sept 16 (Atlas Newswire) -", "WASHINGTON (AP) The ..."
_DATELINE = re.compile(r"^\s*[A-ZÀ-Þ][A-ZÀ-Þ .'-]{1,40}(?:,[^()\n]{0,40})?\s*\(([A-Z][\w .&-]{0,40})\)")
# A closing credit naming someone else: "— Atlas Newswire", "X contributed this report", "Source: ..."
_CREDIT = re.compile(
    r"^[—–-]+\s*\w|contributed (?:to )?this report|^(?:source|via|credit)\s*:"
    r"|originally (?:published|appeared)|©|all rights reserved",
    re.IGNORECASE,
)
#: an aligned same-language text is an edited reprint (wire), not a spun copy, when at least this
#: share of its aligned sentences is verbatim (word overlap >= 0.95); spinners touch nearly every sentence
VERBATIM_SHARE = 0.5


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True, slots=True)
class CopyThresholds:
    """The cut-offs :func:`find_copies` applies; each moves linearly with ``settings.precision``."""

    precision: float
    #: wire/scraped: share of the copy's shingles found in the original
    wire_containment: float
    #: wire/scraped: shingle Jaccard floor (keeps a short quote inside a long article out)
    wire_jaccard: float
    #: a same-language sentence pair aligns only at this cosine or above
    align_same: float
    #: a cross-language sentence pair aligns only at this cosine or above
    align_cross: float
    #: spun/translated: share of the sentences of *each* side that align, in order
    coverage: float
    #: spun: mean cosine of the aligned pairs
    spun_similarity: float
    #: spun: mean word overlap (Indel similarity of word sequences) of the aligned pairs
    spun_lexical: float
    #: translated: mean cosine of the aligned pairs
    translated_similarity: float
    #: spun/translated: at least this many aligned sentence pairs (short texts prove little)
    min_aligned: int


#: the thresholds that are dials of the precision knob (``copies.<name>`` in :data:`storyline.knob.KNOB`)
_DIALS = (
    "wire_containment",
    "wire_jaccard",
    "align_same",
    "align_cross",
    "coverage",
    "spun_similarity",
    "spun_lexical",
    "translated_similarity",
)


def copy_thresholds(settings: Settings = DEFAULT_SETTINGS) -> CopyThresholds:
    """The thresholds in force for ``settings.precision`` (0 = link generously, 1 = only sure copies),
    read off the precision knob's table (:data:`storyline.knob.KNOB`, entries ``copies.*``)."""
    p = settings.precision
    values = {name: knob.dial(f"copies.{name}", p) for name in _DIALS}
    return CopyThresholds(precision=p, min_aligned=knob.steps("copies.min_aligned", p), **values)


# --------------------------------------------------------------------------- per-article features


@dataclass(slots=True)
class _Profile:
    article: Article
    language: str
    sentences: list[str]
    sentence_words: list[list[str]]
    shingles: set[str]
    boilerplate_shingles: set[str]
    boilerplate_keys: set[int]  # sentence keys of its learned boilerplate
    word_set: set[str]
    markers: list[str]
    dateline: str
    credit: str
    published: datetime | None
    vectors: npt.NDArray[np.float32] | None = None


def _profile(article: Article) -> _Profile:
    from ..features.language import detect_language, split_sentences

    language = article.language or detect_language(article.text)[0]
    sentences = list(article.sentences) or split_sentences(article.text, language)
    from ..clean.boilerplate import REASONS
    from ..clean.keys import sentence_key

    markers = [r.text for r in article.removed if r.reason == "scraper-marker"]
    # Learned boilerplate is out of the text already; what is left of it (a banner glued to a
    # headline, a variant below the threshold) shares its shingles with it: those do not count.
    learned = [r.text for r in article.removed if r.reason.startswith(REASONS)]
    boiler = shingles("\n".join(learned))
    content = shingles(article.text)
    markers += [m.strip() for m in _RAW_MARKER.findall(article.text)]
    paragraphs = [p.strip() for p in article.text.strip().split("\n") if p.strip()]
    last = paragraphs[-1] if len(paragraphs) > 1 else ""
    dateline = _DATELINE.match(article.text)
    return _Profile(
        article=article,
        language=language,
        sentences=sentences,
        sentence_words=[words(s) for s in sentences],
        shingles=content - boiler,
        boilerplate_shingles=boiler,
        boilerplate_keys={sentence_key(t) for t in learned},
        word_set=set(words(article.text)),
        markers=markers,
        dateline=dateline.group(1) if dateline else "",
        credit=last if len(last.split()) <= 12 and _CREDIT.search(last) else "",
        published=_parse_date(article.published),
    )


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


# --------------------------------------------------------------------------- alignment


def align_sentences(similarity: npt.NDArray[np.floating[Any]], threshold: float) -> list[tuple[int, int]]:
    """The longest in-order one-to-one alignment of sentence pairs at ``threshold`` or above.

    Dynamic programming over the similarity matrix (rows: one text's sentences,
    columns: the other's): maximises the number of aligned pairs, then their summed
    similarity. Crossing pairs are not allowed, so reordered text aligns poorly.
    """
    n, m = similarity.shape
    # Each pair counts 1, plus a bonus for its similarity too small to ever outweigh one more pair.
    bonus = (similarity - threshold) / (min(n, m) + 1)
    gain = np.where(similarity >= threshold, 1.0 + bonus, -np.inf)
    table = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        best = np.maximum(table[i - 1, 1:], table[i - 1, :-1] + gain[i - 1])
        table[i, 1:] = np.maximum.accumulate(best)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if table[i, j] == table[i, j - 1]:
            j -= 1
        elif table[i, j] == table[i - 1, j]:
            i -= 1
        else:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
    return pairs[::-1]


def _containment(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a) if a else 0.0


# --------------------------------------------------------------------------- pair decision


@dataclass(frozen=True, slots=True)
class _Lexical:
    shared: int  # content shingles the two share (boilerplate ones set aside)
    boilerplate: int  # shared shingles set aside as boilerplate of either side
    jaccard: float
    containment: tuple[float, float]  # (a in b, b in a)
    near_identical: bool
    needs_model: bool


def _lexical(a: _Profile, b: _Profile, th: CopyThresholds) -> _Lexical:
    """Shingle overlap of a pair, and whether only a sentence model can still call it a copy.

    Shingles of either side's learned boilerplate do not count on either side."""
    boiler = a.boilerplate_shingles | b.boilerplate_shingles
    sa, sb = (a.shingles - boiler, b.shingles - boiler) if boiler else (a.shingles, b.shingles)
    set_aside = len((a.shingles | a.boilerplate_shingles) & (b.shingles | b.boilerplate_shingles) & boiler)
    inter = len(sa & sb)
    union = len(sa | sb)
    jaccard = inter / union if union else 0.0
    c_ab, c_ba = _containment(sa, sb), _containment(sb, sa)
    near_identical = max(c_ab, c_ba) >= th.wire_containment and jaccard >= th.wire_jaccard
    # Sentence vectors are the costly part: ask for them only where a copy is still possible.
    # A spun or translated copy keeps the sentence count; a spun one keeps, sentence by
    # sentence, much of the wording; a translation keeps the figures.
    n_a, n_b = len(a.sentences), len(b.sentences)
    similar_shape = min(n_a, n_b) >= th.min_aligned and min(n_a, n_b) / max(n_a, n_b) >= 0.6
    cross_or_unknown = not (a.language and b.language) or a.language != b.language
    if near_identical or not similar_shape:
        needs_model = False
    elif cross_or_unknown:
        needs_model = _figures_agree(a, b)
    else:
        shared = len(a.word_set & b.word_set) / max(1, min(len(a.word_set), len(b.word_set)))
        needs_model = shared >= 0.9 * th.spun_lexical and _sentence_overlap(a, b) >= 0.5 * th.coverage
    return _Lexical(inter, set_aside, jaccard, (c_ab, c_ba), near_identical, needs_model)


_FIGURE = re.compile(r"\d+")


def _figures_agree(a: _Profile, b: _Profile) -> bool:
    """Whether two texts in different languages carry mostly the same figures (a translation does)."""
    fa, fb = set(_FIGURE.findall(a.article.text)), set(_FIGURE.findall(b.article.text))
    if min(len(fa), len(fb)) < 2:
        return True  # too few figures to tell: let the model decide
    return len(fa & fb) / min(len(fa), len(fb)) >= 0.5


def _sentence_overlap(a: _Profile, b: _Profile) -> float:
    """Share of the shorter text's sentences whose words mostly recur in one sentence of the other."""
    short, long_ = (a, b) if len(a.sentences) <= len(b.sentences) else (b, a)
    others = [set(w) for w in long_.sentence_words]
    hits = 0
    for sentence in short.sentence_words:
        mine = set(sentence)
        if mine and max((len(mine & o) / len(mine | o) for o in others), default=0.0) >= 0.35:
            hits += 1
    return hits / max(1, len(short.sentence_words))


def _compare(
    copy: _Profile, orig: _Profile, lex: _Lexical, th: CopyThresholds, decided: tuple[str, list[str]]
) -> CopyLink | None:
    """The link ``copy`` -> ``orig`` with its evidence, or None when the pair is not a copy."""
    copy_first = copy.article.id < orig.article.id  # lex was computed for the pair in id order
    c_copy, c_orig = lex.containment if copy_first else lex.containment[::-1]
    cross = bool(copy.language and orig.language and copy.language != orig.language)
    if not copy.sentences or not orig.sentences:
        return None
    if lex.near_identical:  # word overlap aligns near-identical text well: no model needed
        sim = cdist(copy.sentence_words, orig.sentence_words, scorer=Indel.normalized_similarity)
        aligned_by, tau = "words", th.align_same
    else:
        assert copy.vectors is not None and orig.vectors is not None
        sim = copy.vectors @ orig.vectors.T
        aligned_by, tau = "embeddings", th.align_cross if cross else th.align_same
        # Cheap bound first: sentences with no partner above tau can never align.
        if min((sim.max(axis=1) >= tau).mean(), (sim.max(axis=0) >= tau).mean()) < th.coverage:
            return None
    pairs = align_sentences(np.asarray(sim, dtype=np.float64), tau)
    cov_copy, cov_orig = len(pairs) / len(copy.sentences), len(pairs) / len(orig.sentences)
    cov = min(cov_copy, cov_orig)
    mean_sim = float(np.mean([sim[i, j] for i, j in pairs])) if pairs else 0.0
    overlaps = [Indel.normalized_similarity(copy.sentence_words[i], orig.sentence_words[j]) for i, j in pairs]
    lexical = float(np.mean(overlaps)) if pairs else 0.0
    verbatim = float(np.mean([o >= 0.95 for o in overlaps])) if pairs else 0.0
    if lex.near_identical:
        kind, score = CopyType.WIRE, max(lex.containment)
        rule = (
            f"near-identical text: {score:.0%} of one text's word runs are in the other (a wire copy from "
            f"{th.wire_containment:.0%}), {lex.jaccard:.0%} of both texts' together"
        )
    elif cov < th.coverage or len(pairs) < th.min_aligned:
        return None
    elif cross and mean_sim >= th.translated_similarity:
        kind, score = CopyType.TRANSLATED, cov * mean_sim
        rule = f"a translation: {cov:.0%} of the sentences match in order, alike in meaning at {mean_sim:.2f} (of 1)"
    elif not cross and verbatim >= VERBATIM_SHARE:
        kind, score = CopyType.WIRE, cov
        rule = f"an edited reprint: {cov:.0%} of the sentences match in order, {verbatim:.0%} of them word for word"
    elif not cross and mean_sim >= th.spun_similarity and lexical >= th.spun_lexical:
        kind, score = CopyType.SPUN, cov * mean_sim
        rule = (
            f"a reworded copy: {cov:.0%} of the sentences match in order, alike in meaning at {mean_sim:.2f} "
            f"(of 1), sharing {lexical:.0%} of their words"
        )
    else:
        return None
    if kind is CopyType.WIRE and copy.markers:
        kind = CopyType.SCRAPED
    gap = (copy.published - orig.published) if copy.published and orig.published else None
    evidence: dict[str, Any] = {
        "rule": rule,
        "shared_content": {
            "shingles": lex.shared,
            "boilerplate_shingles_ignored": lex.boilerplate,
            "aligned_sentences": len(pairs),
        },
        "shingle_jaccard": round(lex.jaccard, 3),
        "containment_copy_in_original": round(c_copy, 3),
        "containment_original_in_copy": round(c_orig, 3),
        "aligned_ratio_copy": round(cov_copy, 3),
        "aligned_ratio_original": round(cov_orig, 3),
        "aligned_pairs": len(pairs),
        "aligned_by": aligned_by,
        "alignment_threshold": tau,
        "mean_aligned_similarity": round(mean_sim, 3),
        "mean_word_overlap": round(lexical, 3),
        "verbatim_sentence_share": round(verbatim, 3),
        "markers_copy": copy.markers,
        "markers_original": orig.markers,
        "languages": f"{orig.language or '?'}->{copy.language or '?'}",
        "date_gap_days": None if gap is None else round(gap.total_seconds() / 86400, 2),
        "original_by": decided[0],
        "original_reasons": decided[1],
        "thresholds": {k: getattr(th, k) for k in th.__slots__},
    }
    return CopyLink(copy.article.id, orig.article.id, kind, round(float(score), 4), evidence)


def _choose_original(a: _Profile, b: _Profile, lex: _Lexical) -> tuple[bool, str, list[str]]:
    """Whether ``a`` is the original, how that was decided, and the reasons (each names its side)."""
    ida, idb = a.article.id, b.article.id
    if a.published and b.published:
        # Compare clock times only when both records have one; "2024-02-13" says nothing about the hour.
        timed = "T" in (a.article.published or "") and "T" in (b.article.published or "")
        ta = a.published if timed else datetime.combine(a.published.date(), time())
        tb = b.published if timed else datetime.combine(b.published.date(), time())
        if ta != tb:
            return ta < tb, "earlier-date", [f"{ida if ta < tb else idb} was published first"]
    reasons = ["same publication date" if a.published and b.published else "publication date missing"]
    total = 0.0

    def vote(on_a: bool, on_b: bool, weight: float, why: str) -> None:
        """A sign that the side showing it is the original (weight > 0) or the copy (weight < 0)."""
        nonlocal total
        if on_a != on_b:
            total += weight if on_a else -weight
            reasons.append(f"{ida if on_a else idb} {why}")

    vote(bool(a.markers), bool(b.markers), -3.0, "carries scraper markers")
    vote(
        bool(a.dateline), bool(b.dateline), 2.0, f"opens with an agency dateline ({a.dateline or b.dateline})"
    )
    vote(bool(a.credit), bool(b.credit), -1.0, f"ends with a credit line ({a.credit or b.credit!r})")
    c_ab, c_ba = lex.containment
    if a.language == b.language and abs(c_ab - c_ba) >= 0.03:
        vote(c_ab > c_ba, c_ba > c_ab, -1.0, "has its text contained in the other's")
    if a.language != b.language:
        vote(a.language == "en", b.language == "en", 1.0, "is the English side")
    if total == 0:
        return (
            ida < idb,
            "undecided",
            [*reasons, "no evidence either way: the smaller id is taken as original"],
        )
    return total > 0, "evidence", reasons


def find_copies(
    articles: Sequence[Article],
    *,
    embedder: Embedder | None = None,
    vectors: Mapping[str, npt.NDArray[np.float32]] | None = None,
    pairs: Iterable[tuple[str, str]] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[CopyLink]:
    """Copy links among ``articles`` (a story's members plus near-duplicate candidates).

    Every pair is compared, or only ``pairs`` (article ids) when blocking gave them.
    ``vectors`` maps an article id to its sentence vectors (unit rows, one per entry of
    ``article.sentences``); missing ones come from ``embedder`` (default: multilingual
    USE) in one batch, and only for articles that a spun or translated check needs.
    Each copy keeps one original: an original that is not itself a copy, then the
    earliest, then the best scoring; the others are listed as ``also_matches``.
    """
    th = copy_thresholds(settings)
    unique = list({a.id: a for a in articles}.values())
    profiles = {a.id: _profile(a) for a in unique}
    if pairs is None:
        todo = list(itertools.combinations(sorted(profiles), 2))  # id order: _compare relies on it
    else:
        todo = sorted(
            {(min(p), max(p)) for p in pairs if p[0] != p[1] and p[0] in profiles and p[1] in profiles}
        )
    lexical = {(ida, idb): _lexical(profiles[ida], profiles[idb], th) for ida, idb in todo}
    need = {i for pair, lex in lexical.items() if lex.needs_model for i in pair}
    _attach_vectors(profiles, need, vectors, embedder)
    found: dict[str, list[CopyLink]] = {}
    for (ida, idb), lex in lexical.items():
        if not (lex.near_identical or lex.needs_model):
            continue
        a, b = profiles[ida], profiles[idb]
        if a.boilerplate_keys & b.boilerplate_keys and not _related(a, b):
            continue
        a_first, decided_by, reasons = _choose_original(a, b, lex)
        orig, copy = (a, b) if a_first else (b, a)
        if link := _compare(copy, orig, lex, th, (decided_by, reasons)):
            found.setdefault(link.copy, []).append(link)
    return _one_original_each(found, profiles)


def _related(a: _Profile, b: _Profile) -> bool:
    """Whether two articles that both had a block of learned boilerplate removed are related as the
    boilerplate learner tells it (:func:`storyline.clean.boilerplate.related`, on the text as first read):
    outside the text they share word for word, do they name the same people and places, or is one
    contained in the other? Two different reports under one forum footer or disclaimer are not, and
    what else they share (the rest of the footer, in a variant below the counting threshold) is no
    evidence of a copy. A reprint from the same site, banner and all, is."""
    from ..clean.boilerplate import related, seen

    sa, sb = seen(a.article), seen(b.article)
    return related(sa.tokens, sb.tokens, sa.title, sb.title, sa.names, sb.names)


def _attach_vectors(
    profiles: dict[str, _Profile],
    ids: set[str],
    vectors: Mapping[str, npt.NDArray[np.float32]] | None,
    embedder: Embedder | None,
) -> None:
    missing: list[str] = []
    for article_id in sorted(ids):
        prof = profiles[article_id]
        given = vectors.get(article_id) if vectors is not None else None
        if given is None:
            missing.append(article_id)
        elif len(given) != len(prof.sentences):
            raise StorylineError(
                f"vectors[{article_id!r}] has {len(given)} rows but the article has {len(prof.sentences)} "
                "sentences: give one unit vector per entry of article.sentences"
            )
        else:
            prof.vectors = np.asarray(given, dtype=np.float32)
    if not missing:
        return
    if embedder is None:
        from ..features.embed import default_embedder

        embedder = default_embedder()
    texts = [s for article_id in missing for s in profiles[article_id].sentences]
    matrix = embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    start = 0
    for article_id in missing:
        n = len(profiles[article_id].sentences)
        profiles[article_id].vectors = matrix[start : start + n]
        start += n


def _one_original_each(found: dict[str, list[CopyLink]], profiles: dict[str, _Profile]) -> list[CopyLink]:
    """Keep one original per copy: two reprints of one original also match each other."""
    is_copy = set(found)
    links: list[CopyLink] = []
    for copy_id in sorted(found):
        candidates = found[copy_id]

        def rank(link: CopyLink) -> tuple[bool, datetime, float, str]:
            when = profiles[link.original].published or datetime.max
            return (link.original in is_copy, when, -link.score, link.original)

        best, *others = sorted(candidates, key=rank)
        if others:
            best.evidence["also_matches"] = [o.original for o in others]
        links.append(best)
    return links
