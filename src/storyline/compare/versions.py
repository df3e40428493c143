"""Lay the versions of one story side by side: what they share, add, leave out and disagree on.

:func:`compare_articles` takes a story's versions (any languages, prose plus embedded posts,
which count as the version's own material, labelled as embeds) and returns a
:class:`~storyline.models.Comparison`:

* **alignment** (:mod:`storyline.compare.align`): for every pair of versions, the sentence pairs
  that report the same fact, many to many, with a one-to-one core; facts are the groups
  (:func:`storyline.views.versions.facts_to_json`: shared, partly shared or conflicting), what no other version has a
  counterpart of is the version's ``only_in``, each with the closest sentence of every other
  version and why it is not the same fact;
* **conflicts**: aligned sentences whose numbers (same unit: "5,000 prisoners", "12 dead")
  or dates differ, related sentences that count one thing differently, one speaker's quote
  rendered in different words, and a name spelled against the story's consensus;
* **entities** (:mod:`storyline.features.mentions`, :mod:`storyline.compare.entities`), a **timeline** of dated sentences
  (:mod:`storyline.text.dates`; an undated version reads relative dates against its copy's or
  the story's dates, and says so), and word-level diffs of aligned same-language pairs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations
from typing import Any

import numpy as np

from ..features.mentions import Tagger, default_tagger, find_mentions, verb_starts
from ..graph import UnionFind
from ..models import (
    AlignedPair,
    Article,
    Comparison,
    Conflict,
    CopyLink,
    Passage,
    TimelineEntry,
)
from ..settings import DEFAULT_SETTINGS, Settings
from ..text.dates import date_sort_key, find_dates, reference_dates, reference_of
from ..types import Embedder
from .align import (
    STORY_CANDIDATE_COSINE,
    Candidate,
    centrality,
    clause_similarity,
    decide_alignment,
    fact_probabilities,
    story_candidates,
    story_texts,
    story_vectors,
    story_weights,
)
from .conflicts import (
    _WORD,
    _name_conflicts,
    _quote_conflicts,
    _value_conflicts,
    complete_number_conflicts,
    merge_conflicts,
)
from .entities import merge_mentions
from .facts import SentenceProfile, fact_models, profile_sentence, same_fact_threshold, story_threshold

#: two groups of aligned passages joined by a pair across languages become one fact only when at
#: least this share of the pairs across them (one passage from each) are aligned. The
#: cross-language model reads the cosine alone, so one such pair is thin evidence: a mayor's
#: quote aligned to his other quote in a translation, aligned in turn to a third sentence
#: naming him, fused three facts. Within one language the chain stays (ECB+, bench/facts.py:
#: held-out recall 0.661 -> 0.646 with the rule for every pair, precision unchanged)
CROSS_GROUP_SHARE = 0.5


def _groups(
    pairs: Sequence[AlignedPair], languages: Mapping[str, str] | None = None
) -> list[tuple[Passage, ...]]:
    """Facts: aligned passages joined into groups, strongest pairs first, never two passages of
    one version in a group (chains of loose pairs would otherwise fuse neighbouring facts), and
    across languages only groups aligned pair by pair (:data:`CROSS_GROUP_SHARE`)."""
    roots: UnionFind[Passage] = UnionFind()
    members: dict[Passage, list[Passage]] = {}
    aligned = {frozenset((pair.a, pair.b)) for pair in pairs}
    language = languages or {}
    for pair in sorted(pairs, key=lambda x: (x.relation != "same", -x.score, -x.similarity)):
        a, b = roots.find(pair.a), roots.find(pair.b)
        members.setdefault(a, [a])
        members.setdefault(b, [b])
        if a == b or {p.article_id for p in members[a]} & {p.article_id for p in members[b]}:
            continue
        if language.get(pair.a.article_id, "") != language.get(pair.b.article_id, ""):
            links = sum(frozenset((x, y)) in aligned for x in members[a] for y in members[b])
            if links < CROSS_GROUP_SHARE * len(members[a]) * len(members[b]):
                continue
        roots.union(b, a)
        members[a] += members.pop(b)
    groups = [tuple(sorted(g, key=lambda p: (p.article_id, p.index))) for g in members.values() if len(g) > 1]
    return sorted(groups, key=lambda g: (g[0].article_id, g[0].index))


# --------------------------------------------------------------------------- the comparison


def article_passages(article: Article) -> list[Passage]:
    """The passages of a version: its prose sentences, then the sentences of its embeds (labelled),
    then its title (kind ``"title"``) when it has one that its first sentence does not repeat:
    a headline states the version's main fact."""
    from ..features.language import split_sentences

    sentences = list(article.sentences) or split_sentences(article.text, article.language)
    passages = [Passage(article.id, i, s) for i, s in enumerate(sentences)]
    for embed in article.embeds:
        for sentence in split_sentences(embed.text, article.language):
            passages.append(Passage(article.id, len(passages), sentence, f"embed:{embed.kind}"))
    title = " ".join(article.title.split())
    if title and _WORD.search(title) and not (sentences and " ".join(sentences[0].split()).startswith(title)):
        passages.append(Passage(article.id, len(passages), title, "title"))
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
    capitalised-phrase heuristic elsewhere (:mod:`storyline.compare.entities`).
    """
    from ..errors import StorylineError
    from ..features.language import detect_language

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
    sims: dict[tuple[str, str], Any] = {}
    weights: dict[str, float] = {}
    candidate_probs: dict[tuple[str, str], dict[tuple[int, int], tuple[Candidate, float]]] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The sentence vectors are computed beside the entity tagging: both spend their time in
        # numpy / BLAS calls that release the GIL, so the two cores share the work.
        encoding = None
        if len(versions) > 1:
            if embedder is None:
                from ..features.embed import default_embedder

                embedder = default_embedder()
            texts = story_texts(passages)
            encoding = pool.submit(embedder.encode, texts)
        mentions = find_mentions(everything, languages, tagger=tagger)
        if encoding is not None:
            matrix = encoding.result()
            row = {t: k for k, t in enumerate(texts)}
            # the clauses' predicates need spaCy's part-of-speech tags, known once its tagging is
            # done (another tagger gives none: a result never hangs on what this process tagged before)
            spacy_tagged = tagger is None or tagger is default_tagger
            verbs = {p.text: verb_starts(p.text) for p in everything} if spacy_tagged else {}
            extra = [t for t in story_texts(passages, verbs) if t not in row]
            if extra:
                assert embedder is not None
                matrix = np.vstack([matrix, embedder.encode(extra)])
                row.update({t: len(texts) + k for k, t in enumerate(extra)})
            vectors, parts = story_vectors(passages, matrix, row, verbs)
            central = dict(zip(ids, centrality([vectors[i] for i in ids]), strict=True))
            weights = story_weights([u for i in ids for u in units[i]])
            linked = {frozenset((c.copy, c.original)) for c in copies}
            sims = {(x, y): vectors[x] @ vectors[y].T for x, y in combinations(ids, 2)}
            scored = [
                (x, y, story_candidates(
                    units[x], units[y], sim, central[x], central[y], settings,
                    clause_sim=clause_similarity(*parts[x], *parts[y]), weights=weights,
                ))
                for (x, y), sim in sims.items()
            ]  # fmt: skip
            probs = fact_probabilities([c for _x, _y, cs in scored for c in cs])
            start = 0
            for x, y, cs in scored:
                found, unaligned = decide_alignment(
                    units[x], units[y], cs, probs[start : start + len(cs)], settings,
                    linked=frozenset((x, y)) in linked,
                )  # fmt: skip
                candidate_probs[(x, y)] = {
                    (c.i, c.j): (c, float(q)) for c, q in zip(cs, probs[start : start + len(cs)], strict=True)
                }
                start += len(cs)
                pairs.extend(found)
                related_conflicts.extend(unaligned)
    # A passage is told elsewhere when it is some version's counterpart (a core pair: the one-to-one
    # matching of two versions). One that only shares a part of itself with a sentence whose
    # counterpart is another (a partial pair outside the core) still tells its own fact alone.
    # A title restates what its text tells: unaligned, it is not listed as a fact of its own.
    told = _covered(pairs, units, weights, languages)
    unique = tuple(p for p in everything if p not in told and p.kind != "title")
    closest = _closest_candidates(unique, passages, units, sims, candidate_probs, settings)
    # facts are groups of counterparts (core pairs whose passages are told by each other); the
    # partial pairs around them stay pairs (shown word by word, listed under "shared")
    groups = _groups(
        [p for p in pairs if p.evidence.get("core", True) and p.a in told and p.b in told], languages
    )
    for pair in pairs:
        for mine, other in ((pair.a, pair.b), (pair.b, pair.a)):
            if mine in closest:
                closest[mine] = tuple(
                    {**c, "partial": True, "why_not": f"tells part of it (shared: {', '.join(pair.evidence.get('shared_words', [])[:6])}), "
                     "not most of what this sentence says"}
                    if c["article"] == other.article_id and c["index"] == other.index else c
                    for c in closest[mine]
                )  # fmt: skip
    entities = merge_mentions(mentions, weights=version_weights(versions, copies), languages=languages)
    conflicts = [
        *_value_conflicts(pairs),
        *related_conflicts,
        *_quote_conflicts(pairs, entities, languages),
        *_name_conflicts(entities, pairs, passages),
    ]
    conflicts = merge_conflicts(conflicts)
    profile_of = {p: u for i in ids for p, u in zip(passages[i], units[i], strict=True)}
    conflicts = complete_number_conflicts(conflicts, pairs, profile_of)
    return Comparison(
        article_ids=tuple(ids),
        passages=tuple(everything),
        pairs=tuple(pairs),
        groups=tuple(groups),
        unique=unique,
        entities=tuple(entities),
        timeline=tuple(_timeline(versions, units, groups, references)),
        conflicts=tuple(conflicts),
        copies=tuple(copies),
        references=references,
        evidence={
            "embedder": getattr(embedder, "name", "") if embedder is not None else "",
            "languages": languages,
            "same_fact_threshold": round(same_fact_threshold(settings), 3),
            "fact_threshold": round(story_threshold(settings), 3),
            "fact_model": fact_models().evidence,
            "precision": settings.precision,
        },
        unique_evidence=closest,
    )


#: a passage whose (story-weighted) content words are at least this much in an aligned sentence is
#: told there, even when that sentence's counterpart is another
COVERED_SHARE = 0.5
#: ... and a counterpart (core pair) from this share up: news outlets word one fact differently,
#: so a counterpart needs little; below it, it only shares the story's setting (chosen on the ECB+
#: dev topics: the share of linked sentences called "only in" stays under 10%)
CORE_COVERED_SHARE = 0.1


def _covered(
    pairs: Sequence[AlignedPair],
    units: dict[str, list[SentenceProfile]],
    weights: dict[str, float],
    languages: dict[str, str],
) -> set[Passage]:
    """The passages another version tells: those of a core pair (a counterpart) that shares at
    least a tenth of the passage's content words, and those of any pair that shares half,
    words weighted by how rare they are in the story (a name in every sentence says little);
    across languages, every passage of a core pair or of a pair of cosine >= 0.6."""
    out = set()
    for pair in pairs:
        core = bool(pair.evidence.get("core", True))
        ua, ub = units[pair.a.article_id][pair.a.index], units[pair.b.article_id][pair.b.index]
        if languages.get(pair.a.article_id) != languages.get(pair.b.article_id):
            if core or pair.similarity >= 0.6:
                out |= {pair.a, pair.b}
            continue
        for mine, other, passage in ((ua, ub, pair.a), (ub, ua, pair.b)):
            total = sum(weights.get(w, 1.0) for w in mine.content)
            shared = sum(weights.get(w, 1.0) for w in mine.content & other.content)
            share = shared / total if total else float(core)
            if share >= (CORE_COVERED_SHARE if core else COVERED_SHARE):
                out.add(passage)
    return out


def _closest_candidates(
    unique: Sequence[Passage],
    passages: dict[str, list[Passage]],
    units: dict[str, list[SentenceProfile]],
    sims: dict[tuple[str, str], Any],
    scored: dict[tuple[str, str], dict[tuple[int, int], tuple[Candidate, float]]],
    settings: Settings,
) -> dict[Passage, tuple[dict[str, Any], ...]]:
    """Why each passage is only in its version: per other version, the closest sentence (by
    cosine) and why it was not the same fact."""
    tau = story_threshold(settings)
    out: dict[Passage, list[dict[str, Any]]] = defaultdict(list)
    for (x, y), sim in sims.items():
        for side, mine, theirs in ((0, x, y), (1, y, x)):
            matrix = sim if side == 0 else sim.T
            if not matrix.shape[1]:
                continue
            for p in passages[mine]:
                if p not in unique:
                    continue
                k = int(matrix[p.index].argmax())
                cosine = float(matrix[p.index, k])
                key = (p.index, k) if side == 0 else (k, p.index)
                found = scored.get((x, y), {}).get(key)
                other = passages[theirs][k]
                reasons = []
                if found is None:
                    reasons.append(
                        f"cosine {cosine:.2f} below the candidate floor {STORY_CANDIDATE_COSINE:.2f}"
                    )
                else:
                    candidate, prob = found
                    reasons.append(f"fact model {prob:.2f} < {tau:.2f}")
                    a, b = units[mine][p.index], units[theirs][k]
                    if not a.names & b.names and (a.names or b.names):
                        reasons.append("no name in common")
                    if candidate.verdict.numbers:
                        reasons.append(
                            "numbers differ: "
                            + ", ".join(f"{u} {v} / {w}" for u, v, w in candidate.verdict.numbers)
                        )
                    if candidate.verdict.dates:
                        reasons.append(
                            f"dates differ: {candidate.verdict.dates[0]} / {candidate.verdict.dates[1]}"
                        )
                    if candidate.features[5] == 0.0:
                        reasons.append("not each other's best match")
                out[p].append(
                    {
                        "article": theirs,
                        "index": other.index,
                        "text": other.text,
                        "cosine": round(cosine, 3),
                        "fact_probability": round(found[1], 3) if found else None,
                        "why_not": "; ".join(reasons),
                    }
                )  # fmt: skip
    return {p: tuple(v) for p, v in out.items()}


def fact_status(group: Sequence[Passage], pairs: dict[frozenset[Passage], AlignedPair]) -> str:
    """``conflicting`` when two of the fact's passages disagree on a value, ``partly shared`` when
    one tells only part of what another does, else ``shared``."""
    relations = {pairs[k].relation for a, b in combinations(group, 2) if (k := frozenset((a, b))) in pairs}
    if "conflict" in relations:
        return "conflicting"
    return "partly shared" if "partial" in relations else "shared"


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
