"""Conflicts between versions: differing values, quotes and names, merged across pairs."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from rapidfuzz.distance import Indel

from .. import lang
from ..models import (
    AlignedPair,
    Conflict,
    Entity,
    Passage,
)
from ..text.normalize import fold
from ..text.quantities import Quantity, _same_value
from .facts import SentenceProfile

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTED = re.compile(r"[\"“«]([^\"”»]{12,})[\"”»]")
_alt = lang.alternation
# "We will not back down, said Berger": the speech verbs and quote openers of the language packs
_SAID_BY = re.compile(
    rf"^(?P<quote>(?:{_alt(lang.fragments('quote_openers'))})\b[^\"]{{12,}}?),\s+(?:{_alt(lang.fragments('said_verbs'))})\s+(?P<who>[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?)"
)
# "Berger said in a statement: ...", "Brinken's statement said: ..."
_SPEAKER_FIRST = re.compile(
    rf"^(?P<who>[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?)(?:['’]s)?\s+(?:{_alt(lang.fragments('speaker_verbs'))})\b"
)
_SPEECH = re.compile(rf"\b(?:{_alt(lang.fragments('speech'))})\b", re.I)


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


def complete_number_conflicts(
    conflicts: Sequence[Conflict], pairs: Sequence[AlignedPair], profile_of: dict[Passage, SentenceProfile]
) -> list[Conflict]:
    """Each number conflict with every other version that sides with one of its values: a sentence
    aligned (as one fact) to one of the conflict's sentences, of a version the conflict does not
    list yet, holding exactly one figure of that unit, equal to the value of the sentence it is
    aligned to. Conflicts come from the pairs that differ, so the versions that agree with a side
    ("€3.2 billion" in four versions against "€2.3 billion" in one) were left out; one pass after
    another takes in versions aligned only to those added."""
    linked: dict[Passage, list[Passage]] = defaultdict(list)
    for pair in pairs:
        linked[pair.a].append(pair.b)
        linked[pair.b].append(pair.a)
    out = []
    for c in conflicts:
        if c.kind != "number":
            out.append(c)
            continue
        units = set(c.subject.split()) - {"number"}
        values = dict(zip(c.sentences, c.values, strict=True))
        quantity = {p: _one_of_unit(profile_of.get(p), units, v) for p, v in values.items()}
        frontier = list(values)
        while frontier:
            grown = []
            for p in frontier:
                known = quantity.get(p)
                for other in linked.get(p, ()):
                    if other in values or any(q.article_id == other.article_id for q in values):
                        continue
                    found = _one_of_unit(profile_of.get(other), units)
                    if known is not None and found is not None and _same_value(known, found):
                        values[other], quantity[other] = found.text, found
                        grown.append(other)
            frontier = grown
        out.append(Conflict(c.kind, c.subject, tuple(values.values()), tuple(values), c.evidence))
    return out


def _one_of_unit(
    profile: SentenceProfile | None, units: set[str], text: str | None = None
) -> Quantity | None:
    """The one figure of a sentence counting ``units`` (that written ``text``, if given); None when
    the sentence holds none or several."""
    if profile is None:
        return None
    # a conflict of bare numbers (no unit) takes bare numbers only; else the figures of its unit
    found = [q for q in profile.quantities if (units <= q.unit if units else not q.unit)]
    if text is not None:
        found = [q for q in found if q.text == text] or found
    return found[0] if len(found) == 1 else None


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
            # an aligned pair of the two spellings first, then every other sentence writing either
            # (one sentence writing both is listed with the variant: it is the one to mend)
            said = {a: entity.name} if a != b else {}
            said[b] = variant
            for m in right:
                said.setdefault(where[m], entity.name)
            for m in using:
                said.setdefault(where[m], variant)
            reason = entity.evidence.get("variants", {}).get(variant, "")
            out.append(Conflict("name", entity.name, tuple(said.values()), tuple(said), {"rule": reason}))
    return out
