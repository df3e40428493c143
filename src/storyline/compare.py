"""Lay the versions of one story side by side: what they share, add, leave out and disagree on.

:func:`compare_articles` takes a story's versions (any languages, prose plus embedded posts,
which count as the version's own material, labelled as embeds) and returns a
:class:`~storyline.models.Comparison`:

* **alignment** (:mod:`storyline.align`): for every pair of versions, the sentence pairs
  that report the same fact, one to one; facts are the connected groups, what a version
  alone says is its ``only_in``;
* **conflicts**: aligned sentences whose numbers (same unit: "5,000 prisoners", "12 dead")
  or dates differ, related sentences that count one thing differently, one speaker's quote
  rendered in different words, and a name spelled against the story's consensus;
* **entities** (:mod:`storyline.mentions`, :mod:`storyline.entities`), a **timeline** of dated sentences
  (:mod:`storyline.dates`; an undated version reads relative dates against its copy's or
  the story's dates, and says so), and word-level diffs of aligned same-language pairs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rapidfuzz.distance import Indel

from .align import (
    CONTEXT_COSINE,
    CONTEXT_NAMED_COSINE,
    SentenceProfile,
    align_versions,
    profile_sentence,
    same_fact_threshold,
)
from .dates import date_sort_key, find_dates, reference_dates, reference_of
from .entities import fold, merge_mentions
from .mentions import Tagger, find_mentions
from .models import (
    AlignedPair,
    Article,
    Comparison,
    Conflict,
    CopyLink,
    Entity,
    Passage,
    TimelineEntry,
    to_dict,
)
from .settings import DEFAULT_SETTINGS, Settings
from .types import Embedder

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTED = re.compile(r"[\"“«]([^\"”»]{12,})[\"”»]")
_SAID_BY = re.compile(
    r"^(?P<quote>(?:I|We|My|Our|This|It)\b[^\"]{12,}?),\s+(?:said|says|added|told)\s+(?P<who>[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?)"
)
# "Berger said in a statement: ...", "Brinken's statement said: ..."
_SPEAKER_FIRST = re.compile(
    r"^(?P<who>[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?)(?:['’]s)?\s+(?:said|says|told|added|statement|stated)\b"
)
_SPEECH = re.compile(
    r"\b(?:said|says|told|added|stated|statement|quoted|sagte|dijo|afirmó|a déclaré|a dit)\b", re.I
)


def _groups(pairs: Sequence[AlignedPair]) -> list[tuple[Passage, ...]]:
    """Facts: aligned passages joined into groups, strongest pairs first, never two passages of
    one version in a group (chains of loose pairs would otherwise fuse neighbouring facts)."""
    root: dict[Passage, Passage] = {}
    members: dict[Passage, list[Passage]] = {}

    def find(p: Passage) -> Passage:
        if p not in root:
            root[p], members[p] = p, [p]
        while root[p] != p:
            root[p] = root[root[p]]
            p = root[p]
        return p

    for pair in sorted(pairs, key=lambda x: (x.relation != "same", -x.score, -x.similarity)):
        a, b = find(pair.a), find(pair.b)
        if a == b or {p.article_id for p in members[a]} & {p.article_id for p in members[b]}:
            continue
        root[b] = a
        members[a] += members.pop(b)
    groups = [tuple(sorted(g, key=lambda p: (p.article_id, p.index))) for g in members.values() if len(g) > 1]
    return sorted(groups, key=lambda g: (g[0].article_id, g[0].index))


# --------------------------------------------------------------------------- the comparison


def article_passages(article: Article) -> list[Passage]:
    """The passages of a version: its prose sentences, then the sentences of its embeds (labelled)."""
    from .analyze import split_sentences

    sentences = list(article.sentences) or split_sentences(article.text, article.language)
    passages = [Passage(article.id, i, s) for i, s in enumerate(sentences)]
    for embed in article.embeds:
        for sentence in split_sentences(embed.text, article.language):
            passages.append(Passage(article.id, len(passages), sentence, f"embed:{embed.kind}"))
    return passages


def version_weights(articles: Sequence[Article], copies: Sequence[CopyLink] = ()) -> dict[str, float]:
    """How much each version's spelling of a name counts: half for a scraped repost, half for a copy."""
    copied = {link.copy for link in copies}
    weights = {}
    for article in articles:
        weight = 0.5 if any(r.reason == "scraper-marker" for r in article.removed) else 1.0
        weights[article.id] = weight * (0.5 if article.id in copied else 1.0)
    return weights


def compare_articles(
    articles: Sequence[Article],
    *,
    copies: Sequence[CopyLink] = (),
    embedder: Embedder | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    tagger: Tagger | None = None,
) -> Comparison:
    """Compare the versions of one story (see the module docstring for what comes out).

    ``copies`` are the story's copy links (they weigh in on reference dates and name
    spellings and are shown in the report); ``embedder`` defaults to multilingual USE,
    called once for every passage; ``tagger`` defaults to spaCy for English and the
    capitalised-phrase heuristic elsewhere (:mod:`storyline.entities`).
    """
    from itertools import combinations

    from .analyze import detect_language
    from .errors import StorylineError

    versions = list({a.id: a for a in articles}.values())
    if not versions:
        raise StorylineError("compare_articles needs at least one article, got none")
    ids = [a.id for a in versions]
    copies = [c for c in copies if c.copy in ids and c.original in ids]
    languages = {a.id: a.language or detect_language(a.text, settings=settings)[0] for a in versions}
    references = reference_dates(versions, copies)
    passages = {a.id: article_passages(a) for a in versions}
    units = {
        i: [profile_sentence(p, languages[i], reference_of(references, i)) for p in passages[i]] for i in ids
    }
    everything = [p for i in ids for p in passages[i]]
    pairs: list[AlignedPair] = []
    related_conflicts: list[Conflict] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The sentence vectors are computed beside the entity tagging: both spend their time in
        # numpy / BLAS calls that release the GIL, so the two cores share the work.
        encoding = None
        if len(versions) > 1:
            if embedder is None:
                from .embed import default_embedder

                embedder = default_embedder()
            texts = list(dict.fromkeys(p.text for p in everything))
            encoding = pool.submit(embedder.encode, texts)
        mentions = find_mentions(everything, languages, tagger=tagger)
        if encoding is not None:
            matrix = encoding.result()
            row = {t: k for k, t in enumerate(texts)}
            vectors = {i: matrix[[row[p.text] for p in passages[i]]] for i in ids}
            linked = {frozenset((c.copy, c.original)) for c in copies}
            for x, y in combinations(ids, 2):
                sim = vectors[x] @ vectors[y].T
                found, unaligned = align_versions(
                    units[x], units[y], sim, settings, linked=frozenset((x, y)) in linked
                )
                pairs.extend(found)
                related_conflicts.extend(unaligned)
    groups = _groups(pairs)
    aligned = {p for pair in pairs for p in (pair.a, pair.b)}
    entities = merge_mentions(mentions, weights=version_weights(versions, copies), languages=languages)
    conflicts = [
        *_value_conflicts(pairs),
        *related_conflicts,
        *_quote_conflicts(pairs, entities, languages),
        *_name_conflicts(entities, pairs, passages),
    ]
    conflicts = merge_conflicts(conflicts)
    return Comparison(
        article_ids=tuple(ids),
        passages=tuple(everything),
        pairs=tuple(pairs),
        groups=tuple(groups),
        unique=tuple(p for p in everything if p not in aligned),
        entities=tuple(entities),
        timeline=tuple(_timeline(versions, units, groups, references)),
        conflicts=tuple(conflicts),
        copies=tuple(copies),
        references=references,
        evidence={
            "embedder": getattr(embedder, "name", "") if embedder is not None else "",
            "languages": languages,
            "same_fact_threshold": round(same_fact_threshold(settings), 3),
            "context_cosine": {"shared_name": CONTEXT_NAMED_COSINE, "shared_word": CONTEXT_COSINE},
            "precision": settings.precision,
        },
    )


def merge_conflicts(conflicts: Sequence[Conflict]) -> list[Conflict]:
    """One conflict per disagreement: conflicts of one kind and subject that share a sentence
    (reprints repeat them; "48,000" in two versions against "84,000" in a third) become one,
    listing each sentence with its value once."""
    merged: list[Conflict] = []
    for c in conflicts:
        same = next((k for k, m in enumerate(merged) if _joins(m, c)), None)
        if same is None:
            merged.append(c)
            continue
        old = merged[same]
        values = dict(zip(old.sentences, old.values, strict=True))
        for sentence, value in zip(c.sentences, c.values, strict=True):
            values.setdefault(sentence, value)
        merged[same] = Conflict(c.kind, c.subject, tuple(values.values()), tuple(values), old.evidence)
    return merged


def _joins(old: Conflict, new: Conflict) -> bool:
    """Whether ``new`` is more of the disagreement ``old`` shows: same kind and subject, a shared
    sentence, and (for values) no version twice, so chains of look-alike figures stay apart."""
    if (old.kind, old.subject) != (new.kind, new.subject) or not set(old.sentences) & set(new.sentences):
        return False
    added = {p.article_id for p in new.sentences if p not in old.sentences}
    return new.kind == "name" or not added & {p.article_id for p in old.sentences}


def _value_conflicts(pairs: Sequence[AlignedPair]) -> list[Conflict]:
    out = []
    for pair in pairs:
        for n in pair.evidence.get("numbers", []):
            out.append(
                Conflict(
                    "number",
                    n["unit"] or "number",
                    (n["a"], n["b"]),
                    (pair.a, pair.b),
                    {
                        "rule": "aligned sentences count the same thing differently",
                        "similarity": pair.similarity,
                    },
                )
            )
        if dates := pair.evidence.get("dates"):
            out.append(
                Conflict(
                    "date",
                    "date of the reported event",
                    (dates["a"], dates["b"]),
                    (pair.a, pair.b),
                    {
                        "rule": "aligned sentences date the event to different days",
                        "similarity": pair.similarity,
                    },
                )
            )
    return out


def quote_text(text: str) -> str:
    """The directly quoted words of a sentence ("" when it quotes nobody)."""
    quoted = [m.group(1).strip() for m in _QUOTED.finditer(text)]
    if quoted:
        return " ".join(quoted)
    said = _SAID_BY.match(text)
    return said.group("quote").strip() if said else ""


def _quote_conflicts(
    pairs: Sequence[AlignedPair], entities: Sequence[Entity], languages: dict[str, str]
) -> list[Conflict]:
    """Aligned same-language pairs where one speaker's quoted words differ (across languages every
    quote is worded differently: that is translation, not a conflict)."""
    people: dict[tuple[str, int], list[tuple[int, int, str]]] = defaultdict(list)
    known: dict[str, str] = {}  # a folded name or surname -> the entity's name
    for entity in entities:
        if entity.label in ("PERSON", "NAME"):
            for m in entity.mentions:
                people[(m.article_id, m.index)].append((m.start, m.end, entity.name))
            for variant in entity.variants:
                known.setdefault(fold(variant), entity.name)
                known.setdefault(fold(variant).split()[-1], entity.name)

    def speaker(p: Passage) -> str:
        """Who speaks: named by the attribution ("..., said X", "X said:"), else the person named
        outside the quotes, else ("he said") the first person of the sentence before."""
        said = _SAID_BY.match(p.text) or _SPEAKER_FIRST.match(p.text)
        if said and (who := known.get(fold(said.group("who")))):
            return who
        quoted = [m.span() for m in _QUOTED.finditer(p.text)]
        outside = [
            n
            for s, _e, n in sorted(people[(p.article_id, p.index)])
            if not any(a <= s < b for a, b in quoted)
        ]
        if not _SPEECH.search(p.text):
            return ""
        if outside:
            return outside[0]
        for back in (1, 2):
            if earlier := sorted(people.get((p.article_id, p.index - back), [])):
                return earlier[0][2]
        return ""

    out = []
    for pair in pairs:
        qa, qb = quote_text(pair.a.text), quote_text(pair.b.text)
        if not qa or not qb or languages.get(pair.a.article_id) != languages.get(pair.b.article_id):
            continue
        sa, sb = speaker(pair.a), speaker(pair.b)
        if not (sa or sb) or (sa and sb and sa != sb):
            continue
        overlap = Indel.normalized_similarity(_WORD.findall(qa.lower()), _WORD.findall(qb.lower()))
        if 0.25 <= overlap < 0.9:  # below: two different statements, not two renderings of one
            out.append(
                Conflict(
                    "quote",
                    f"words of {sa or sb}",
                    (qa, qb),
                    (pair.a, pair.b),
                    {"rule": "one speaker's quote rendered differently", "word_overlap": round(overlap, 3)},
                )
            )
    return out


def _name_conflicts(
    entities: Sequence[Entity], pairs: Sequence[AlignedPair], passages: dict[str, list[Passage]]
) -> list[Conflict]:
    """A flagged spelling against the consensus, each pointing to a sentence that uses it."""
    aligned = {(pair.a, pair.b) for pair in pairs} | {(pair.b, pair.a) for pair in pairs}
    out = []
    for entity in entities:
        for variant in entity.flagged:
            using = [
                m
                for m in entity.mentions
                if fold(m.form).removesuffix("s") == fold(variant).removesuffix("s")
            ]
            right = [m for m in entity.mentions if fold(m.form) == fold(entity.name)]
            right = right or [
                m for m in entity.mentions if fold(m.form).split()[-1:] == fold(entity.name).split()[-1:]
            ]
            if not using or not right:
                continue
            where = {m: passages[m.article_id][m.index] for m in (*using, *right)}
            a, b = next(
                ((where[r], where[u]) for r in right for u in using if (where[r], where[u]) in aligned),
                (where[right[0]], where[using[0]]),
            )
            reason = entity.evidence.get("variants", {}).get(variant, "")
            out.append(Conflict("name", entity.name, (entity.name, variant), (a, b), {"rule": reason}))
    return out


def _timeline(
    versions: Sequence[Article],
    units: dict[str, list[SentenceProfile]],
    groups: Sequence[tuple[Passage, ...]],
    references: dict[str, dict[str, Any]],
) -> list[TimelineEntry]:
    group_of = {p: g for g in groups for p in g}
    dated = {(u.passage, d.date) for us in units.values() for u in us for d in u.dates}
    entries: list[TimelineEntry] = []
    for article in versions:
        for u in units[article.id]:
            seen: set[str] = set()
            for d in u.dates:
                if d.date in seen:
                    continue
                seen.add(d.date)
                sources = sorted(
                    {p.article_id for p in group_of.get(u.passage, (u.passage,)) if (p, d.date) in dated}
                )
                evidence: dict[str, Any] = {"rule": d.rule}
                if d.relative:
                    evidence["reference"] = references[article.id]
                entries.append(
                    TimelineEntry(
                        d.date, d.precision, u.passage, d.text, d.relative, tuple(sources), evidence
                    )
                )
        embeds = [u for u in units[article.id] if u.passage.kind.startswith("embed:")]
        for embed in article.embeds:
            first = next((u for u in embeds if u.passage.kind == f"embed:{embed.kind}"), None)
            posted = find_dates(embed.date) if embed.date else []
            if first is not None and posted and posted[0].precision == "day":
                who = f" by {embed.author}" if embed.author else ""
                entries.append(
                    TimelineEntry(
                        posted[0].date, "day", first.passage, f"{embed.kind} posted {embed.date}{who}", False,
                        (article.id,), {"rule": "date line of the embedded post"},
                    )
                )  # fmt: skip
    order = {a.id: k for k, a in enumerate(versions)}
    return sorted(
        entries, key=lambda e: (date_sort_key(e.date), order[e.sentence.article_id], e.sentence.index)
    )


# --------------------------------------------------------------------------- JSON


def _ref(p: Passage) -> dict[str, Any]:
    return {"article": p.article_id, "index": p.index, "text": p.text, "kind": p.kind}


def comparison_to_json(comparison: Comparison, articles: Sequence[Article] = ()) -> dict[str, Any]:
    """The comparison as plain JSON values: ``entities``, ``timeline``, ``shared``, ``only_in``,
    ``conflicts`` (the shape ``storyline compare --json`` prints), plus ``agreed`` facts,
    ``copies``, reference dates and evidence. ``articles`` adds each version's title and source."""
    by_id = {a.id: a for a in articles}
    return {
        "articles": [
            {
                "id": i,
                "title": by_id[i].headline if i in by_id else "",
                "source": by_id[i].source if i in by_id else "",
                "url": by_id[i].url if i in by_id else "",
                "published": by_id[i].published if i in by_id else None,
                "reference_date": comparison.references.get(i, {}),
                "passages": sum(1 for p in comparison.passages if p.article_id == i),
            }
            for i in comparison.article_ids
        ],
        "entities": [
            {
                "name": e.name,
                "label": e.label,
                "variants": list(e.variants),
                "flagged": list(e.flagged),
                "mentions": len(e.mentions),
                "articles": sorted({m.article_id for m in e.mentions}),
                "evidence": to_dict(e.evidence),
            }
            for e in comparison.entities
        ],
        "timeline": [
            {
                "date": t.date,
                "precision": t.precision,
                "sentence": t.sentence.text,
                "article": t.sentence.article_id,
                "index": t.sentence.index,
                "kind": t.sentence.kind,
                "expression": t.expression,
                "relative": t.relative,
                "sources": list(t.sources),
                "evidence": to_dict(t.evidence),
            }
            for t in comparison.timeline
        ],
        "shared": [
            {
                "a": _ref(p.a),
                "b": _ref(p.b),
                "relation": p.relation,
                "score": p.score,
                "similarity": p.similarity,
                "diff": [{"op": op, "a": x, "b": y} for op, x, y in p.diff],
                "evidence": to_dict(p.evidence),
            }
            for p in comparison.pairs
        ],
        "agreed": [[_ref(p) for p in group] for group in comparison.agreed()],
        "only_in": {i: [_ref(p) for p in comparison.only_in(i)] for i in comparison.article_ids},
        "conflicts": [
            {
                "kind": c.kind,
                "subject": c.subject,
                "values": list(c.values),
                "sentences": [_ref(p) for p in c.sentences],
                "evidence": to_dict(c.evidence),
            }
            for c in comparison.conflicts
        ],
        "copies": to_dict(list(comparison.copies)),
        "evidence": to_dict(comparison.evidence),
    }
