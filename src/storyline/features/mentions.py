"""Mentions of people, organisations and places in the passages of a story.

English passages are tagged by spaCy's small English pipeline (``en_core_web_sm``, loaded
once per process on first use; sentences are tagged in chunks of a few thousand characters,
which spaCy reads faster than many short documents); other languages by a capitalised-phrase
heuristic. A mention keeps its text as written and a normalised form (no article, title or
possessive) that :func:`storyline.compare.entities.merge_mentions` merges on."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from .. import lang
from ..models import Mention, Passage
from ..text.normalize import fold
from .nlp import MENTION_PIPES, tag_english

SPACY_LABELS = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}

Span = tuple[int, int, str]
#: a tagger takes texts of one language and returns, per text, (start, end, label) spans
Tagger = Callable[[Sequence[str], str], list[list[Span]]]

# The words around names, from the language packs (storyline.lang).
_TITLES = lang.words("titles")
_DETERMINERS = lang.words("determiners")
_CONNECTORS = lang.words("particles")
_NOT_NAMES = lang.words("not_names")
_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
_SENTENCE_BREAK = re.compile(
    r"(?:[.!?:;()—–-]|(?<!,)[\"'“”‘’«»])\s*$"
)  # not the quote in '...," Berger said'
# "Secretary of State": the last word belongs to a title, it names no organisation
_TITLE_OF = re.compile(rf"\b(?:{lang.alternation(lang.fragments('title_of'))})\s+of\s+(?:the\s+)?$", re.I)
# "the farming town of Villa Alcántara", "Villa Alcántara, a town of 18,000": a place, whatever
# the tagger says
_PLACE_BEFORE = re.compile(
    rf"\b(?:{lang.alternation(lang.fragments('place_before'))})\s+(?:the\s+|la\s+|l')?$", re.I
)
_PLACE_AFTER = re.compile(rf"^,\s+(?:{lang.alternation(lang.fragments('place_after'))})", re.I)
# a dateline: "TALCA, Chile (MPA) —", "LEEDS, England —" at the start of a paragraph
_DATELINE_AFTER = re.compile(
    r"^(?:,\s*[^\W\d_][\w.]*(?:\s+[^\W\d_][\w.]*){0,2})?\s*(?:\([^()\n]{1,40}\)\s*)?[—–-]\s", re.U
)
#: labels a place context overrides (a person in such a context is a mayor's name, "mayor of
#: Ashby Jane Holt" aside: left as tagged)
_PLACE_OVERRIDES = ("ORG", "NAME")


def normalize_mention(text: str, *, person: bool = True) -> tuple[str, bool]:
    """The normalised form of a mention and whether it opened with a determiner.

    Quotes and punctuation around it, a leading article ("the United States"), for a
    person also titles ("Secretary of State Antony Blinken" -> "Antony Blinken"), and a
    possessive ("Biden's", "Blinkens'") are dropped; a plural "s" is dropped later, only
    when the base is seen too.
    """
    words = text.strip(" \t\n\"'“”‘’«»,.;:()[]").split()
    determiner = bool(words) and words[0].lower() in _DETERMINERS
    while words and words[0].lower() in _DETERMINERS:
        words = words[1:]
    if person:
        titles = [i for i, w in enumerate(words) if w.lower().rstrip(".") in _TITLES]
        if titles and titles[-1] == len(words) - 1:
            return "", determiner  # a role, not a name: "US Ambassador"
        if titles:
            cut = titles[-1] + 1
            # "Secretary of State Antony Blinken": the word after "of" belongs to the title
            words = words[cut + 2 :] if len(words) > cut + 2 and words[cut] == "of" else words[cut:]
    if not words:
        return "", determiner
    last = re.sub(r"(?:['’]s|['’])$", "", words[-1])
    words[-1] = last or words[-1]
    return " ".join(words), determiner


_FOLLOWERS = lang.words("name_followers")


def _determiner_applies(text: str, start: int, end: int) -> bool:
    """Whether "the" before ``text[start:end]`` belongs to the name ("the West") rather than to a
    noun the name modifies ("the Biden administration", "the Trump and Biden administrations")."""
    if text[max(0, start - 4) : start].lower().strip() not in _DETERMINERS:
        return False
    rest = re.findall(r"[\w'’-]+|[^\w\s]", text[end : end + 60])
    while len(rest) >= 2 and rest[0] in ("and", "or", "&") and rest[1][:1].isupper():
        rest = rest[2:]
        while rest and rest[0][:1].isupper():
            rest = rest[1:]
    return not rest or rest[0] in _FOLLOWERS or not rest[0][:1].islower()


# --------------------------------------------------------------------------- taggers


#: per English text tagged in this process, the character offsets of its verbs and auxiliaries
#: (where a predicate can start: :func:`storyline.compare.align.predicates`); bounded, oldest dropped
_VERBS: dict[str, tuple[int, ...]] = {}
_VERBS_KEPT = 20000
#: short texts are joined into chunks of about this many characters before spaCy tags them
CHUNK_CHARS = 5000


def verb_starts(text: str) -> tuple[int, ...] | None:
    """The character offsets of the verbs and auxiliaries of an English text spaCy tagged in this
    process (:func:`spacy_spans`), or None when it was not tagged."""
    return _VERBS.get(text)


def spacy_spans(texts: Sequence[str], *, chunk_chars: int = CHUNK_CHARS) -> list[list[Span]]:
    """Person, organisation and place spans of English texts, by spaCy.

    Short texts (sentences) are joined into chunks of about ``chunk_chars`` before tagging:
    spaCy runs about a third faster on a few long documents than on many sentences.
    """
    chunks: list[tuple[str, list[tuple[int, int]]]] = []
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    length = 0
    for k, text in enumerate([*texts, None]):
        if text is None or (parts and length + len(text) > chunk_chars):
            chunks.append(("\n\n".join(parts), offsets))
            parts, offsets, length = [], [], 0
        if text is not None:
            offsets.append((k, length))
            parts.append(text)
            length += len(text) + 2
    out: list[list[Span]] = [[] for _ in texts]
    docs = tag_english([joined for joined, _ in chunks if joined], pipes=MENTION_PIPES)
    for (_joined, places), doc in zip([c for c in chunks if c[0]], docs, strict=True):
        verbs = [t.idx for t in doc if t.pos_ in ("VERB", "AUX")]
        for k, start in places:
            if len(_VERBS) >= _VERBS_KEPT:
                del _VERBS[next(iter(_VERBS))]
            _VERBS[texts[k]] = tuple(v - start for v in verbs if start <= v < start + len(texts[k]))
        for e in doc.ents:
            if e.label_ not in SPACY_LABELS:
                continue
            for k, start in places:
                if start <= e.start_char and e.end_char <= start + len(texts[k]):
                    out[k].append((e.start_char - start, e.end_char - start, SPACY_LABELS[e.label_]))
                    break
    return out


def capitalized_spans(text: str, language: str = "") -> list[Span]:
    """Runs of capitalised words (with name particles inside), labelled ``NAME``.

    Articles, titles and function words at the edges of a run are dropped; a single
    capitalised word opening a sentence is skipped (every sentence opens so); in a language
    whose pack says every noun is capitalised (German), so is a single word after an article, and a run after
    an article keeps only what follows its particle ("die Bewohner von Brückenfeld").
    """
    spans: list[Span] = []
    run: list[tuple[int, int, str]] = []
    nouns_capitalised = lang.pack(language).capitalises_nouns

    def dropped(word: str) -> bool:
        key, lower = fold(word), word.lower()
        return (
            lower in _NOT_NAMES
            or key in _NOT_NAMES
            or key in _DETERMINERS
            or key in _TITLES
            or key in _CONNECTORS
        )

    def close() -> None:
        words = [w for w in run if "-" not in w[2][1:-1]]
        if nouns_capitalised and len(words) > 1 and any(fold(w[2]) in _CONNECTORS for w in words):
            previous = text[: words[0][0]].split()[-1:]
            if previous and previous[0].lower() in _DETERMINERS:
                cut = next(k for k, w in enumerate(words) if fold(w[2]) in _CONNECTORS)
                words = words[cut + 1 :]
        while words and dropped(words[0][2]):
            title_of = len(words) > 2 and fold(words[0][2]) in _TITLES and words[1][2] == "of"
            words = words[3:] if title_of else words[1:]  # "Secretary of State Antony Blinken"
        while words and dropped(words[-1][2]):
            words = words[:-1]
        if words:
            before = text[: words[0][0]]
            sentence_start = not before.strip() or bool(_SENTENCE_BREAK.search(before))
            after_article = (
                nouns_capitalised and before.split()[-1:] and before.split()[-1].lower() in _DETERMINERS
            )
            if len(words) > 1 or not (sentence_start or after_article):
                spans.append((words[0][0], words[-1][1], "NAME"))
        run.clear()

    for m in _TOKEN.finditer(text):
        start, end, word = m.start(), m.end(), m.group()
        # a trailing full stop ends the sentence unless the word is an initial or a dotted acronym
        sentence_end = word.endswith(".") and len(word) > 2 and "." not in word[:-1]
        if sentence_end:
            end, word = end - 1, word[:-1]
        if run and text[run[-1][1] : start].strip():
            close()
        if word[0].isupper() or (
            run and (fold(word) in _CONNECTORS or (word == "of" and fold(run[-1][2]) in _TITLES))
        ):
            run.append((start, end, word))
        else:
            close()
        if sentence_end:
            close()
    close()
    return spans


def place_context(text: str, start: int, end: int) -> bool:
    """Whether the words around ``text[start:end]`` make it a place: "the town of …", "the mayor
    of …", "southeast of …", "…, a town of" (the language packs' ``place_before`` and
    ``place_after``), or a dateline ("TALCA, Chile (MPA) —" opening a paragraph)."""
    before = text[max(0, start - 60) : start]
    after = text[end : end + 60]
    if _PLACE_BEFORE.search(before) or _PLACE_AFTER.match(after):
        return True
    # a dateline: the paragraph opens on the name in capitals
    opens = not before.strip() or before.rstrip(" \t").endswith("\n")
    return opens and text[start:end].isupper() and bool(_DATELINE_AFTER.match(after))


def default_tagger(texts: Sequence[str], language: str) -> list[list[Span]]:
    """The tagger the language's pack names (:attr:`storyline.lang.LanguagePack.tagger`): spaCy for
    English, the capitalised-phrase heuristic for every other language."""
    if lang.pack(language).tagger == "spacy":
        return spacy_spans(texts)
    return [capitalized_spans(t, language) for t in texts]


def heuristic_tagger(texts: Sequence[str], language: str) -> list[list[Span]]:
    """The capitalised-phrase heuristic for every language (no model: fast, for tests and previews)."""
    return [capitalized_spans(t, language) for t in texts]


def find_mentions(
    passages: Sequence[Passage], languages: Mapping[str, str], *, tagger: Tagger | None = None
) -> list[Mention]:
    """Mentions of people, organisations and places in ``passages`` (``languages``: article id -> code).

    Identical passage texts (reprints) are tagged once.
    """
    tagger = tagger or default_tagger
    by_language: dict[str, list[str]] = defaultdict(list)
    for p in passages:
        texts = by_language[languages.get(p.article_id, "")]
        if p.text not in texts:
            texts.append(p.text)
    spans: dict[tuple[str, str], list[Span]] = {}
    for language, texts in by_language.items():
        for text, found in zip(texts, tagger(texts, language), strict=True):
            spans[(language, text)] = found
    mentions: list[Mention] = []
    for p in passages:
        for start, end, label in spans[(languages.get(p.article_id, ""), p.text)]:
            raw = p.text[start:end]
            if " " not in raw and _TITLE_OF.search(p.text[max(0, start - 30) : start]):
                continue
            form, determiner = normalize_mention(raw, person=label in ("PERSON", "NAME"))
            folded = fold(form)
            if not form or not form[:1].isupper() or folded in _NOT_NAMES or folded in _TITLES:
                continue
            if label in _PLACE_OVERRIDES and place_context(p.text, start, end):
                label = "PLACE"
            if determiner or _determiner_applies(p.text, start, end):
                label = label + "/the"  # "the West": a place or a group, never a person's surname
            mentions.append(Mention(raw, form, label, p.article_id, p.index, start, end))
    return mentions
