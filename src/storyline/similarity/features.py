"""Score how alike two articles are on the SemEval-2022 Task 8 dimensions.

Seven scores (geography, entities, time, narrative, overall, style, tone) on the
task's scale, 1 = very similar to 4 = very dissimilar, each with the evidence it
rests on. Features are cheap and mostly language-independent: multilingual USE
similarities of whole texts, titles and aligned sentences (each sentence's best
match on the other side, which carries across languages), overlaps of names,
places, people, numbers and years, character n-grams, and length and style
differences, and the pair's languages. A learned "head" adds one more feature: a
linear function of the element-wise products and differences of the two articles'
vectors (whole text, sentence centroid, title, lead, opening), which learns which
directions of the embedding matter for "same story". A small model trained by
``scripts/train_similarity.py`` on the published training pairs turns the features
into scores: per dimension, extremely randomised trees beside a linear part. It
ships as gzipped JSON in ``storyline/resources`` and is read without pickle.
Nothing is downloaded."""

from __future__ import annotations

import logging as _logging_for_log
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import lang
from ..features.embed import MAX_CHARS, default_embedder
from ..features.language import detect_language, split_sentences
from ..features.nlp import NER_PIPES, tag_english
from ..models import Article
from ..settings import DEFAULT_SETTINGS, Settings
from ..text.dates import MONTHS, WEEKDAYS
from ..text.names import NAME_TOKEN as _NAME
from ..text.names import inner_names as _names
from ..text.normalize import unaccent as _fold
from ..types import Embedder

log = _logging_for_log.getLogger(__name__)

Matrix = npt.NDArray[np.float32]

#: the task's dimensions, in the order of :class:`~storyline.models.PairScores`
DIMENSIONS = ("geography", "entities", "time", "narrative", "overall", "style", "tone")
#: the column of each dimension in the task's CSV files
GOLD_COLUMNS = {dim: dim.capitalize() for dim in DIMENSIONS}
#: languages of the multilingual USE model
EMBEDDER_LANGUAGES = frozenset("ar zh nl en de fr it pt es ja ko ru pl th tr".split())
#: the features computed from a pair's two profiles, in order; every one is symmetric in the
#: two articles. ``lang_xx`` counts the pair's texts in language xx (0, 1 or 2).
PAIR_FEATURES = (
    "doc_cos", "title_cos", "title_doc_cos", "lead_cos", "centroid_cos",
    "align_mean", "align_min", "align_max", "align_top", "align_frac65", "align_frac80",
    "views_mean", "views_max", "opening_cos",
    "names_overlap", "main_names_overlap", "places_overlap", "people_overlap", "orgs_overlap", "ner_sides",
    "numbers_overlap", "years_overlap", "grams_jaccard", "words_jaccard", "title_words_jaccard", "title_fuzzy",
    "same_language", "same_script", "lang_conf_min",
    "len_min", "len_diff", "sent_len_diff", "question_diff", "quote_diff", "digit_diff", "upper_diff",
    "word_len_diff",
    *(f"lang_{code}" for code in sorted(EMBEDDER_LANGUAGES)),
)  # fmt: skip
#: the model's input: the pair features and, last, the learned head's output (see PairInputs)
FEATURE_NAMES = (*PAIR_FEATURES, "vector_head")
#: sentences per article that take part in the alignment
MAX_SENTENCES = 40
#: a text with fewer words (or, in scripts without spaces, characters / 2) is flagged as too short
MIN_WORDS = 20
#: texts the English NER reads are cut to this many characters
NER_CHARS = 5000
#: the value of an overlap that cannot be measured (no NER on either side, nothing to compare)
MISSING = -1.0

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_WORD = re.compile(r"\w+")
_VIEWS = 5  # vectors per article before its sentences: see _Profile.views
_NAMELESS_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "THAI", "HANGUL"})


@dataclass(frozen=True, slots=True)
class _Profile:
    """What the features need of one article, computed once however many pairs it is in."""

    language: str
    language_score: float
    script: str
    n_words: int
    title: str
    views: Matrix  # title, first 300 and 600 characters, whole text (cut by the embedder), lead
    sent_vecs: Matrix
    head: Matrix  # what the learned head reads: see _head_vector
    names: dict[str, str]  # normalised token -> surface form, most frequent first
    main_names: frozenset[str]
    typed: dict[str, dict[str, str]] | None  # "places"/"people"/"orgs" -> token -> entity (English NER)
    numbers: frozenset[str]  # separators dropped: "6.4" and "6,4" are one number
    years: frozenset[str]
    grams: frozenset[str]
    vocabulary: frozenset[str]  # folded words of six letters or more
    title_words: frozenset[str]
    style: tuple[float, ...]
    published: str | None
    #: each number of :attr:`numbers` as the text first writes it ("6.4"), for the evidence
    written: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- text helpers

#: weekday and month names of every language pack, lower-cased, but for the months that are
#: names or words too ("May", "March", "Mars")
_CALENDAR = frozenset(w.lower() for w in (*WEEKDAYS, *MONTHS)) - {"may", "march", "mar", "mars", "jan", "dec"}


def _script(text: str) -> str:
    """The writing system most letters of ``text`` belong to ("LATIN", "CJK", "ARABIC", ...)."""
    counts: Counter[str] = Counter()
    for ch in text[:2000]:
        if ch.isalpha():
            counts[unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]] += 1
    return counts.most_common(1)[0][0] if counts else ""


def _style(text: str, sentences: Sequence[str]) -> tuple[float, ...]:
    """Length of sentences, questions and exclamations, quotes, digits, capitals, word length."""
    chars = max(len(text), 1)
    letters = [ch for ch in text if ch.isalpha()] or ["a"]
    words = text.split() or [""]
    n_sent = max(len(sentences), 1)
    return (
        math.log1p(chars / n_sent),
        sum(1 for s in sentences if s.rstrip().endswith(("?", "!", "？", "！"))) / n_sent,
        100.0 * sum(text.count(q) for q in '"“”«»„') / chars,
        100.0 * sum(ch.isdigit() for ch in text) / chars,
        sum(ch.isupper() for ch in letters) / len(letters),
        math.log1p(sum(len(w) for w in words) / len(words)),
    )


def _grams(text: str, n: int = 3, limit: int = 3000) -> frozenset[str]:
    folded = " ".join(_fold(text[:limit]).split())
    return frozenset(folded[i : i + n] for i in range(max(len(folded) - n + 1, 0)))


def _words(text: str, min_len: int) -> frozenset[str]:
    """Folded words of at least ``min_len`` letters (a crude stand-in for content words)."""
    return frozenset(w for w in _WORD.findall(_fold(text)) if len(w) >= min_len and not w.isdigit())


def _jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else MISSING


def _matched(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """The tokens of ``a`` found in ``b``, exactly or nearly (inflections, spelling variants)."""
    from rapidfuzz import fuzz, process

    pool = list(b)
    exact = set(pool)
    return [
        tok
        for tok in a
        if tok in exact
        or (len(tok) >= 4 and process.extractOne(tok, pool, scorer=fuzz.ratio, score_cutoff=85) is not None)
    ]


def _soft_overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of the tokens of both sides that have a (near) match on the other side."""
    if not a or not b:
        return MISSING if not a and not b else 0.0
    return (len(_matched(a, b)) + len(_matched(b, a))) / (len(a) + len(b))


# --------------------------------------------------------------------------- profiles


def _typed_entities(texts: Sequence[str]) -> list[dict[str, dict[str, str]]]:
    """Places, people and organizations of English texts, as folded tokens -> entity text."""
    kinds = {
        "GPE": "places",
        "LOC": "places",
        "FAC": "places",
        "NORP": "places",
        "PERSON": "people",
        "ORG": "orgs",
    }
    out: list[dict[str, dict[str, str]]] = []
    for doc in tag_english([t[:NER_CHARS] for t in texts], pipes=NER_PIPES):
        typed: dict[str, dict[str, str]] = {"places": {}, "people": {}, "orgs": {}}
        for ent in doc.ents:
            for word in (m.group() for m in _NAME.finditer(ent.text)) if ent.label_ in kinds else ():
                if word[0].isupper() and len(word) > 1:
                    typed[kinds[ent.label_]].setdefault(_fold(word), ent.text)
        out.append(typed)
    return out


def _profiles(articles: Sequence[Article], embedder: Embedder, settings: Settings) -> list[_Profile]:
    """Profiles of ``articles``; all their texts are embedded in one batch."""
    texts: list[str] = []
    prepared = []
    for article in articles:
        body, title = article.text.strip(), article.title.strip() or article.headline.strip()
        detected, score = detect_language(title + "\n" + body, settings=settings)
        language = article.language or detected
        sentences = list(article.sentences) or split_sentences(body, language)
        kept = [s for s in sentences if len(s) >= 10][:MAX_SENTENCES] or [title or body or " "]
        full = (article.title.strip() + "\n" + body).strip() or title
        texts += [title, full[:300], full[:600], full, title + "\n" + " ".join(kept[:3]), *kept]
        prepared.append((article, body, title, language, score, sentences, _VIEWS + len(kept)))
    vectors = _encode(texts, embedder)
    english = [i for i, p in enumerate(prepared) if lang.pack(p[3]).tagger == "spacy"]
    typed = dict(
        zip(english, _typed_entities([prepared[i][2] + "\n" + prepared[i][1] for i in english]), strict=True)
    )
    profiles: list[_Profile] = []
    row = 0
    for i, (article, body, title, language, score, sentences, n_vectors) in enumerate(prepared):
        vecs, row = vectors[row : row + n_vectors], row + n_vectors
        views, sent_vecs = vecs[:_VIEWS], vecs[_VIEWS:]
        script = _script(title + body)
        folded: dict[str, str] = {}
        for word, _count in sorted(_names([title, *sentences]).items(), key=lambda kv: (-kv[1], kv[0])):
            folded.setdefault(_fold(word), word)
        written: dict[str, str] = {}
        for n in _NUMBER.findall(body):
            written.setdefault(n.replace(",", "").replace(".", "").replace(":", ""), n)
        numbers = set(written)
        profiles.append(
            _Profile(
                language=language,
                language_score=score,
                script=script,
                n_words=len(body.split()) if script not in _NAMELESS_SCRIPTS else len(body) // 2,
                title=_fold(title),
                views=views,
                sent_vecs=sent_vecs,
                head=_head_vector(views, sent_vecs),
                names=dict(list(folded.items())[:80]),
                main_names=frozenset(list(folded)[:10]),
                typed=typed.get(i),
                numbers=frozenset(n for n in numbers if len(n) > 1),
                years=frozenset(n for n in numbers if len(n) == 4 and n[:2] in {"19", "20"}),
                grams=_grams(title + " " + body),
                vocabulary=_words(title + " " + body, 6),
                title_words=_words(title, 4),
                style=_style(body, sentences),
                published=article.published,
                written={n: w for n, w in written.items() if len(n) > 1},
            )
        )
    return profiles


def _head_vector(views: Matrix, sent_vecs: Matrix) -> Matrix:
    """The whole text, the centroid of the sentences, the title, the lead and the opening
    (600 characters), each a unit vector, end to end."""
    centroid = sent_vecs.mean(axis=0)
    centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-9)
    return np.concatenate([views[3], centroid, views[0], views[4], views[2]]).astype(np.float32)


def _encode(texts: Sequence[str], embedder: Embedder) -> Matrix:
    """Vectors of ``texts``: each distinct text once, in a fixed order (length, then text), so a
    text gets the same vector whatever it is batched with and in whichever order pairs come."""
    unique = sorted(set(texts), key=lambda t: (len(t[:MAX_CHARS]), t))
    index = {t: i for i, t in enumerate(unique)}
    matrix = embedder.encode(unique) if unique else np.zeros((0, 1), dtype=np.float32)
    return np.asarray(matrix, dtype=np.float32)[[index[t] for t in texts]]


# --------------------------------------------------------------------------- features


def _typed_overlap(a: _Profile, b: _Profile, kind: str) -> float:
    """Overlap of one kind of entity; where only one side has English NER, the share of its
    entities that the other side names at all."""
    if a.typed is not None and b.typed is not None:
        return _soft_overlap(list(a.typed[kind]), list(b.typed[kind]))
    one, other = (a, b) if a.typed is not None else (b, a)
    if one.typed is None or not one.typed[kind]:
        return MISSING
    return len(_matched(list(one.typed[kind]), list(other.names))) / len(one.typed[kind])


def _features(a: _Profile, b: _Profile) -> list[float]:
    """The model's input for one pair, in :data:`FEATURE_NAMES` order."""
    from rapidfuzz import fuzz

    sims = a.sent_vecs @ b.sent_vecs.T
    best = np.concatenate([sims.max(axis=1), sims.max(axis=0)])
    dir_a, dir_b = float(sims.max(axis=1).mean()), float(sims.max(axis=0).mean())
    ca, cb = a.sent_vecs.mean(axis=0), b.sent_vecs.mean(axis=0)
    centroid = float(ca @ cb / max(float(np.linalg.norm(ca) * np.linalg.norm(cb)), 1e-9))
    views = a.views @ b.views.T
    views = (views + views.T) / 2  # symmetric: the same value whichever article comes first
    style = np.abs(np.asarray(a.style) - np.asarray(b.style))
    return [
        float(views[3, 3]),  # whole texts
        float(views[0, 0]),  # titles
        float(views[0, 3]),  # each title against the other whole text
        float(views[4, 4]),  # leads
        centroid,
        (dir_a + dir_b) / 2,
        min(dir_a, dir_b),
        float(sims.max()),
        float(np.sort(best)[-5:].mean()),
        float((best >= 0.65).mean()),
        float((best >= 0.80).mean()),
        float(views[:4, :4].mean()),
        float(views[:4, :4].max()),
        float(views[2, 2]),  # openings (600 characters)
        _soft_overlap(list(a.names), list(b.names)),
        _soft_overlap(sorted(a.main_names), sorted(b.main_names)),
        _typed_overlap(a, b, "places"),
        _typed_overlap(a, b, "people"),
        _typed_overlap(a, b, "orgs"),
        float((a.typed is not None) + (b.typed is not None)),
        _jaccard(a.numbers, b.numbers),
        _jaccard(a.years, b.years),
        _jaccard(a.grams, b.grams),
        _jaccard(a.vocabulary, b.vocabulary),
        _jaccard(a.title_words, b.title_words),
        fuzz.token_set_ratio(a.title, b.title) / 100.0 if a.title and b.title else MISSING,
        float(a.language == b.language and a.language != ""),
        float(a.script == b.script),
        min(a.language_score, b.language_score),
        math.log1p(min(a.n_words, b.n_words)),
        abs(math.log1p(a.n_words) - math.log1p(b.n_words)),
        *[float(x) for x in style],
        *[float(a.language == code) + float(b.language == code) for code in sorted(EMBEDDER_LANGUAGES)],
    ]


def _head_input(a: _Profile, b: _Profile) -> Matrix:
    """What the learned head reads of a pair: element-wise products and absolute differences of
    the two head vectors (symmetric in the two articles)."""
    return np.concatenate([a.head * b.head, np.abs(a.head - b.head)])


def _evidence(a: _Profile, b: _Profile, row: Sequence[float]) -> dict[str, Any]:
    """What a user needs to see to judge the scores."""
    feats = dict(zip(FEATURE_NAMES, row, strict=True))
    evidence: dict[str, Any] = {
        "languages": [a.language, b.language],
        "text_similarity": round(float(feats["doc_cos"]), 3),
        "aligned_sentence_similarity": round(float(feats["align_mean"]), 3),
        "title_similarity": round(float(feats["title_cos"]), 3),
    }
    one, other = (a, b) if a.typed is not None else (b, a)
    for kind, label in (
        ("places", "shared_places"),
        ("people", "shared_people"),
        ("orgs", "shared_organizations"),
    ):
        if one.typed is not None:
            pool = other.typed[kind] if other.typed is not None else other.names
            evidence[label] = _shared_entities(one.typed[kind], list(pool))
    # calendar words are capitalised but name no one ("Tuesday"): the features count them as
    # the model was trained, the evidence leaves them out
    evidence["shared_names"] = [
        a.names[t] for t in _matched(list(a.names), list(b.names)) if t.lower() not in _CALENDAR
    ][:20]
    evidence["shared_numbers"] = sorted(a.written.get(n, n) for n in a.numbers & b.numbers)[:20]
    evidence["shared_years"] = sorted(a.years & b.years)
    evidence["time_gap_days"] = _days_between(a.published, b.published)
    return evidence


def _shared_entities(typed: dict[str, str], pool: list[str]) -> list[str]:
    """The entities of ``typed`` (token -> entity text) that the other text holds whole: every
    name word of the entity found there (exactly or as a close spelling), so one shared word
    ("San" of San Juan) does not make "San Ramón" a shared place."""
    entities: dict[str, list[str]] = defaultdict(list)
    for token, entity in typed.items():
        entities[entity].append(token)
    shared = []
    for entity in entities:
        words = [
            _fold(m.group()) for m in _NAME.finditer(entity) if m.group()[0].isupper() and len(m.group()) > 1
        ]
        if words and len(_matched(words, pool)) == len(words):
            shared.append(_entity_text(entity))
    return sorted(set(shared))


#: quotes and brackets an entity span can start or end inside of (spaCy's span of
#: 'the Pacific "Ring of Fire"' stops before the closing quote)
_ENTITY_EDGES = "\"'“”‘’«»()[] "


def _entity_text(entity: str) -> str:
    """An entity as a reader should see it: no leading article, no quote left open."""
    text = re.sub(r"^(?:the|The)\s+", "", entity.strip()).strip(_ENTITY_EDGES)
    if text.count('"') % 2:
        text = text.replace('"', "")
    if text.count("“") != text.count("”"):
        text = text.replace("“", "").replace("”", "")
    return text or entity


def _days_between(a: str | None, b: str | None) -> int | None:
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days) if a and b else None
    except ValueError:
        return None


def _warnings(a: _Profile, b: _Profile) -> tuple[str, ...]:
    """Why the scores of a pair may be unreliable; the pair is scored all the same."""
    out: list[str] = []
    for side, p in (("A", a), ("B", b)):
        if p.n_words < MIN_WORDS:
            out.append(f"text {side} is very short ({p.n_words} words): its scores are a guess")
        if p.language_score < 0.5:
            out.append(
                f"text {side}: its language is unclear (confidence {p.language_score:.2f}): "
                "garbled, machine-translated or mixed text?"
            )
        if p.language and p.language not in EMBEDDER_LANGUAGES:
            out.append(f"text {side}: language {p.language!r} is not one the embedding model was trained on")
    if a.script and b.script and a.script != b.script:
        out.append(
            f"the texts share no script ({a.script.lower()} / {b.script.lower()}): names and words "
            "cannot be compared, the scores rest on the multilingual embedding"
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PairInputs:
    """What the model reads of some pairs: the pair features (columns :data:`PAIR_FEATURES`) and
    the head's input (products and differences of the article vectors, see ``_head_input``)."""

    rows: npt.NDArray[np.float64]
    vectors: Matrix

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, index: npt.NDArray[np.intp] | slice) -> PairInputs:
        """The inputs of the pairs at ``index`` (an integer array or a slice)."""
        return PairInputs(self.rows[index], self.vectors[index])


def pair_inputs(
    pairs: Sequence[tuple[Article, Article]],
    *,
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> PairInputs:
    """The model's input for ``pairs``, one row per pair."""
    return _score_inputs(pairs, embedder, settings)[0]


def _score_inputs(
    pairs: Sequence[tuple[Article, Article]], embedder: Embedder | None, settings: Settings
) -> tuple[PairInputs, list[tuple[_Profile, _Profile]]]:
    unique: dict[str, Article] = {}
    for a, b in pairs:
        unique.setdefault(a.id, a)
        unique.setdefault(b.id, b)
    profiles = dict(
        zip(unique, _profiles(list(unique.values()), embedder or default_embedder(), settings), strict=True)
    )
    profiled = [(profiles[a.id], profiles[b.id]) for a, b in pairs]
    # Features are symmetric; taking the pair in one fixed order also makes them bit-identical.
    # Rounded: four decimals are plenty, and the trees' thresholds then print short and exact.
    ordered = [(profiles[min(a.id, b.id)], profiles[max(a.id, b.id)]) for a, b in pairs]
    rows = np.array([_features(a, b) for a, b in ordered], dtype=np.float64)
    vectors = (
        np.array([_head_input(a, b) for a, b in ordered], dtype=np.float32)
        if ordered
        else np.zeros((0, 0), dtype=np.float32)
    )
    return PairInputs(rows.reshape(-1, len(PAIR_FEATURES)).round(4), vectors), profiled
