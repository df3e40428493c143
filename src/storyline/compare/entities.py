"""People, organisations and places across the versions of a story, merged and checked.

:func:`merge_mentions` makes one :class:`~storyline.models.Entity` of the mentions
(:mod:`storyline.features.mentions`) of one person, organisation or place:

* possessives and plurals are folded ("Blinkens'" and "Biden's" are Blinken and Biden);
* a surname alone joins the full name that ends with it ("Blinken" in "Antony Blinken");
* full names join when their surnames are equal or close and their first names are equal,
  close, an initial or a known short form ("Tom West" is Thomas West);
* an acronym joins the name it abbreviates ("AFP", "Agence France-Presse");
* a close spelling joins by edit distance and a consonant-skeleton key that treats the
  usual transliteration confusions (l/r, b/v, c/k) as one sound ("Brinken", "Blinken").

The consensus spelling is the one with most support, where each version spreads its
weight over its mentions, so one sloppy repost does not outvote careful reports by
naming someone often; a scraped repost or a copy weighs less (``weights``). A close
spelling in the minority that is not a short form is flagged, unless it is another
language's own spelling of the name."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import JaroWinkler, Levenshtein

from .. import lang
from ..graph import UnionFind
from ..models import Entity, Mention
from ..text.normalize import fold as fold  # re-exported: names are compared on it

#: first names -> their short forms ("thomas": "tom", "tommy"), from the language packs
SHORT_FORMS: dict[str, frozenset[str]] = {
    k: frozenset(v.split()) for k, v in lang.table("short_forms").items()
}

_FUNCTION_WORDS = lang.words("acronym_skips")


# --------------------------------------------------------------------------- strings


_PHONETIC = str.maketrans("bpvfwdtgkcqlrmnszx", "bbbbbttkkkkrrnnsss", "aeiouyhj")


def phonetic_key(word: str) -> str:
    """A consonant skeleton: first letter kept, vowels dropped, confusable sounds merged.

    l/r, b/p/v/f/w, d/t, c/g/k/q, m/n and s/z/x fall together, which is where names go
    wrong in transliteration and machine translation ("Blinken", "Brinken" -> "brnkn").
    """
    folded = fold(word).replace(" ", "")
    if not folded:
        return ""
    for a, b in (("ph", "f"), ("th", "t"), ("ck", "k"), ("sch", "s"), ("ch", "k")):
        folded = folded.replace(a, b)
    head, tail = folded[0], folded[1:].translate(_PHONETIC)
    skeleton = head.translate(str.maketrans("pvfwdgcqlmzx", "bbbbtkkkrnss")) + tail
    return re.sub(r"(.)\1+", r"\1", skeleton)


def is_short_form(short: str, full: str) -> bool:
    """Whether first name ``short`` is a known short form, a prefix or the initial of ``full``."""
    s, f = fold(short), fold(full)
    if s == f or not s or not f:
        return s == f
    if s in SHORT_FORMS.get(f, ()):
        return True
    if len(s) == 1:
        return f.startswith(s)  # an initial
    return len(s) >= 3 and f.startswith(s) and len(f) > len(s)


def spelling_distance(a: str, b: str) -> tuple[int, float, bool]:
    """Edit distance, normalised similarity and whether the phonetic keys match, on folded forms."""
    fa, fb = fold(a), fold(b)
    return (
        Levenshtein.distance(fa, fb),
        Levenshtein.normalized_similarity(fa, fb),
        phonetic_key(a) == phonetic_key(b),
    )


def is_close_spelling(a: str, b: str) -> bool:
    """Whether two words are plausibly one name spelled two ways (misspelling, transliteration)."""
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return True
    if min(len(fa), len(fb)) < 4:
        return False
    distance, similarity, phonetic = spelling_distance(a, b)
    return (
        similarity >= 0.75
        or (phonetic and similarity >= 0.6)
        or (JaroWinkler.normalized_similarity(fa, fb) >= 0.92 and distance <= 2)
    )


#: endings that make a word of a name without misspelling it: German "Brückenfelder" (of
#: Brückenfeld), "Müllers", "Berlines"; English "Chicagoan"; the same name, never flagged. Two
#: letters at least: one letter more or less is as often a slip ("Ukrain" for Ukraine), which
#: stays a close spelling and is flagged as one (a plural or possessive "s" has its own rule)
_INFLECTIONS = ("er", "ern", "ers", "es", "en", "an", "ans")


def _inflected(a: str, b: str) -> bool:
    """Whether one single-word name is the other plus an inflection or derivation ending."""
    short, long = sorted((fold(a), fold(b)), key=len)
    return long.startswith(short) and long[len(short) :] in _INFLECTIONS


# --------------------------------------------------------------------------- merging


@dataclass
class _Form:
    key: str
    mentions: list[Mention] = field(default_factory=list)
    merged_because: str = ""

    @property
    def tokens(self) -> list[str]:
        return self.key.split()

    def label(self) -> str:
        votes = Counter(m.label.split("/")[0] for m in self.mentions)
        return votes.most_common(1)[0][0]

    def surface(self) -> str:
        return Counter(m.form for m in self.mentions).most_common(1)[0][0]


#: union-find over form keys, remembering why each key joined
_Clusters = UnionFind[str]


def _compatible(a: str, b: str) -> bool:
    """Labels that may name one thing: spaCy mixes up organisations and places; NAME is unknown."""
    return a == b or "NAME" in (a, b) or {a, b} == {"ORG", "PLACE"}


def _same_person(a: list[str], b: list[str]) -> str:
    """Why two multi-word person names are one person ("" when they are not)."""
    if not is_close_spelling(a[-1], b[-1]):
        return ""
    fa, fb = a[0], b[0]
    if fa == fb:
        return "same name" if a[-1] == b[-1] else f"surname spelled {b[-1]!r} / {a[-1]!r}"
    if is_short_form(fa, fb) or is_short_form(fb, fa):
        return (
            f"first name {fa!r} is a short form of {fb!r}"
            if len(fa) < len(fb)
            else f"{fb!r} short for {fa!r}"
        )
    if is_close_spelling(fa, fb):
        return f"first name spelled {fa!r} / {fb!r}"
    return ""


def _initials(tokens: list[str]) -> str:
    return "".join(t[0] for t in tokens if t not in _FUNCTION_WORDS)


def merge_mentions(
    mentions: Sequence[Mention],
    *,
    weights: Mapping[str, float] | None = None,
    languages: Mapping[str, str] | None = None,
) -> list[Entity]:
    """Merge ``mentions`` into entities with consensus names and flagged variants.

    ``weights`` (article id -> weight, default 1) says how much each version's spelling
    counts; each version spreads its weight evenly over its mentions of an entity.
    ``languages`` (article id -> code) keeps another language's own spelling ("Finnland"
    in a German version) from being flagged: a variant is flagged only where the
    consensus spelling is used in the same language. Entities come out most mentioned first.
    """
    forms: dict[str, _Form] = {}
    for m in mentions:
        key = fold(m.form)
        if m.label.endswith("/the") and " " not in key:
            key = "the " + key  # kept apart from a person until we know it is not one
        forms.setdefault(key, _Form(key)).mentions.append(m)
    clusters = _Clusters(list(forms))
    # plural and possessive plural: "bidens" -> "biden" when "biden" is seen too
    for key in forms:
        if key.endswith("s") and len(key) > 4 and key[:-1] in forms:
            clusters.union(key, key[:-1], "plural or possessive form")
    multi = [f for f in forms.values() if len(f.tokens) > 1 and not f.key.startswith("the ")]
    # a NAME (no model) reads as a person's name when it is two or three words long
    people = [f for f in multi if f.label() == "PERSON" or (f.label() == "NAME" and len(f.tokens) <= 3)]
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            if why := _same_person(a.tokens, b.tokens):
                clusters.union(b.key, a.key, why)
    others = [f for f in multi if f not in people]
    for i, a in enumerate(others):
        for b in others[i + 1 :]:
            short, long = sorted((a, b), key=lambda f: len(f.tokens))
            suffix = long.tokens[-len(short.tokens) :] == short.tokens
            if _compatible(a.label(), b.label()) and (
                suffix or Levenshtein.normalized_similarity(a.key, b.key) >= 0.9
            ):
                clusters.union(
                    short.key, long.key, "shorter form of the name" if suffix else "spelling variant"
                )
    singles = [f for f in forms.values() if len(f.tokens) == 1]
    for single in singles:
        _attach_single(single, forms, people, others, clusters)
    # "the X" joins X when X did not turn out to be a person's surname
    for key in forms:
        if key.startswith("the ") and key[4:] in forms and forms[clusters.find(key[4:])].label() != "PERSON":
            clusters.union(key, key[4:], "same name with an article")
    rest = [f for f in singles if clusters.find(f.key) == f.key and len(clusters.groups()[f.key]) == 1]
    for i, a in enumerate(rest):
        for b in rest[i + 1 :]:
            word_a, word_b = a.key.removeprefix("the "), b.key.removeprefix("the ")
            if (
                min(len(word_a), len(word_b)) >= 5
                and _compatible(a.label(), b.label())
                and is_close_spelling(word_a, word_b)
            ):
                why = "inflected or derived form" if _inflected(word_a, word_b) else "close spelling"
                clusters.union(b.key, a.key, why)
    weights = weights or {}
    entities = [
        _entity([forms[k] for k in keys], clusters.why, weights, languages or {})
        for keys in clusters.groups().values()
    ]
    return sorted(entities, key=lambda e: (-len(e.mentions), e.name))


def _attach_single(
    single: _Form, forms: Mapping[str, _Form], people: list[_Form], others: list[_Form], clusters: _Clusters
) -> None:
    """Join a one-word form to the full name it is part of, abbreviates or misspells."""
    if single.key.startswith("the "):
        return
    word = single.key
    surface = single.surface().replace(".", "")
    if surface.isupper() and 2 <= len(surface) <= 6:
        for other in others:
            if _initials(other.tokens) == word:
                clusters.union(single.key, other.key, f"acronym of {other.surface()!r}")
                return
    # a word a model called an organisation or a place only joins a name the model called a person
    candidates = (
        people if single.label() in ("PERSON", "NAME") else [p for p in people if p.label() == "PERSON"]
    )
    plural = [p for p in candidates if word.endswith("s") and p.tokens[-1] == word[:-1]]
    if plural and len({clusters.find(p.key) for p in plural}) == 1:
        clusters.union(
            single.key, plural[0].key, "plural or possessive form"
        )  # "Blinkens'" of Antony Blinken
        return
    exact = [p for p in candidates if p.tokens[-1] == word]
    if not exact and len(word) >= 5:
        exact = [p for p in candidates if is_close_spelling(p.tokens[-1], word)]
    roots = {clusters.find(p.key) for p in exact}
    if len(roots) == 1:
        why = "surname alone" if any(p.tokens[-1] == word for p in exact) else "surname spelled differently"
        clusters.union(single.key, next(iter(roots)), why)
    elif len(roots) > 1:
        # Two people share the surname: the one named in the same versions wins, if one does.
        articles = {m.article_id for m in single.mentions}
        scored = sorted(
            ((sum(m.article_id in articles for m in forms[r].mentions), r) for r in roots), reverse=True
        )
        if scored[0][0] > scored[1][0]:
            clusters.union(single.key, scored[0][1], "surname alone (named in the same versions)")


def _entity(
    members: list[_Form], why: Mapping[str, str], weights: Mapping[str, float], languages: Mapping[str, str]
) -> Entity:
    mentions = sorted(
        (m for f in members for m in f.mentions), key=lambda m: (m.article_id, m.index, m.start)
    )
    labels = Counter(f.label() for f in members for _ in f.mentions)
    label = (
        "PERSON"
        if any(f.label() == "PERSON" and len(f.tokens) > 1 for f in members)
        else labels.most_common(1)[0][0]
    )
    per_article = Counter(m.article_id for m in mentions)
    weight = {m: weights.get(m.article_id, 1.0) / per_article[m.article_id] for m in mentions}
    form_of = {id(m): f for f in members for m in f.mentions}

    def base(f: _Form) -> list[str]:
        tokens = [t for t in f.key.removeprefix("the ").split()]
        if why.get(f.key) == "plural or possessive form":
            tokens[-1] = tokens[-1][:-1]
        return tokens

    # votes for the spelling of the last word (surname, head) and, for people, the first name
    last_votes: dict[str, float] = defaultdict(float)
    first_votes: dict[str, float] = defaultdict(float)
    with_first = Counter(m.article_id for m in mentions if len(base(form_of[id(m)])) > 1)
    for m in mentions:
        tokens = base(form_of[id(m)])
        last_votes[tokens[-1]] += weight[m]
        if len(tokens) > 1:  # a version's weight is spread over its mentions that carry a first name
            first_votes[tokens[0]] += weights.get(m.article_id, 1.0) / with_first[m.article_id]
    last = max(last_votes, key=lambda s: (last_votes[s], s))
    full_first = {n: next((g for g in first_votes if g != n and is_short_form(n, g)), n) for n in first_votes}
    canonical_first: dict[str, float] = defaultdict(float)
    for spelling, v in first_votes.items():
        canonical_first[full_first[spelling]] += v
    first = max(canonical_first, key=lambda s: (canonical_first[s], s)) if canonical_first else ""
    person = label == "PERSON" or (label == "NAME" and bool(first_votes))

    def rank(f: _Form) -> tuple[bool, bool, bool, bool, float, str]:
        tokens = base(f)
        spelled = tokens[-1] == last and (len(tokens) < 2 or tokens[0] == first) if person else True
        plain = why.get(f.key) != "plural or possessive form"
        return (
            spelled,
            len(tokens) > 1,
            plain,
            tokens[-1] == last,
            sum(weight[m] for m in f.mentions),
            f.key,
        )

    ranked = sorted(members, key=rank, reverse=True)
    name = ranked[0].surface()
    variants = list(dict.fromkeys(f.surface() for f in ranked))
    flagged: list[str] = []
    notes: dict[str, str] = {}
    consensus_languages = {
        languages.get(m.article_id, "")
        for f in members
        for m in f.mentions
        if base(f)[-1] == last
        and (
            not person
            or len(base(f)) < 2
            or base(f)[0] in (first, *(g for g in first_votes if is_short_form(g, first)))
        )
    }
    head = " ".join(base(ranked[0]))
    head_support = sum(weight[m] for m in ranked[0].mentions)
    for f in ranked[1:]:
        tokens = base(f)
        reasons = []
        minority = last_votes[tokens[-1]] < last_votes[last]
        if person and tokens[-1] != last and minority and is_close_spelling(tokens[-1], last):
            reasons.append(_why_flag(tokens[-1], last, last_votes[tokens[-1]], last_votes[last]))
        if person and len(tokens) > 1 and first and tokens[0] != first:
            if is_short_form(tokens[0], first):
                notes[f.surface()] = f"{tokens[0]!r} is a short form of {first!r}, not an error"
            elif is_close_spelling(tokens[0], first) and first_votes[tokens[0]] < canonical_first[first]:
                reasons.append(_why_flag(tokens[0], first, first_votes[tokens[0]], canonical_first[first]))
        if not person and why.get(f.key) in ("spelling variant", "close spelling"):
            support = sum(weight[m] for m in f.mentions)
            if support < head_support:
                reasons.append(_why_flag(" ".join(tokens), head, support, head_support))
        own = {languages.get(m.article_id, "") for m in f.mentions}
        if reasons and not own & consensus_languages:
            notes[f.surface()] = f"spelling of the {'/'.join(sorted(own))} version(s), not an error"
        elif reasons:
            flagged.append(f.surface())
            notes[f.surface()] = "; ".join(reasons)
        elif f.surface() not in notes:
            notes[f.surface()] = why.get(f.key, "same entity")
    evidence: dict[str, Any] = {
        "variants": {v: notes.get(v, "consensus") for v in variants},
        "spelling_support": {k: round(v, 3) for k, v in sorted(last_votes.items(), key=lambda kv: -kv[1])},
        "articles": sorted(per_article),
    }
    return Entity(name, label, tuple(variants), tuple(dict.fromkeys(flagged)), tuple(mentions), evidence)


def _why_flag(variant: str, consensus: str, support: float, consensus_support: float) -> str:
    distance, _similarity, phonetic = spelling_distance(variant, consensus)
    letters = "one letter" if distance == 1 else f"{distance} letters"
    sound = " and sounds alike" if phonetic else ""
    return (
        f"{variant!r} differs from the spelling most versions use, {consensus!r}, by {letters}{sound}; "
        f"it has {support:.1f} of weight against {consensus_support:.1f} (each version counts once, "
        f"a copy less): likely a misspelling or a bad transliteration"
    )
