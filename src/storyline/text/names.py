"""Names read from capitalisation: the single-word heuristics of the story stage and of the
similarity features.

Four stages find names by capitalisation, and each reads them its own way because a model or a
threshold was tuned on that reading (making them one changes the figures of the story model,
the similarity model and the boilerplate filter, and would need retraining):

* :func:`story_names` (the story stage's bags of names, :mod:`storyline.stories.features`, and
  thread labels): lower-cased words, a sentence's first word only when the text capitalises it
  inside a sentence too, the language packs' words that are never names left out;
* :func:`inner_names` (:mod:`storyline.similarity.features`): surface forms with counts, any
  capitalised word not opening a sentence, no word list (it matches across languages and
  scripts: a Chinese text's "Jovenel Moïse");
* :func:`storyline.features.mentions.capitalized_spans`: multi-word names with their particles
  ("Ursula von der Leyen"), for the mentions a story's versions are compared on;
* :func:`storyline.clean.boilerplate.names`: words a text writes capitalised and never in
  lower case, with no language knowledge at all (it tells a reprint from a banner).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from .. import lang
from .dates import MONTHS, WEEKDAYS

#: a word for the story stage: letters, with apostrophes and hyphens inside
WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)
#: capitalised words that are not names for :func:`story_names` (sentence starters, calendar words)
STORY_NOT_NAMES = lang.words("story_not_names") | frozenset(WEEKDAYS) | frozenset(MONTHS)

_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
#: a word for :func:`inner_names` (not after a letter or an apostrophe)
NAME_TOKEN = re.compile(r"(?<![\w'])[^\W\d_][\w'’-]*", re.UNICODE)


#: an initialism written with dots ("U.S.", "U.N.", "E.U."): read as one word ("US"). Read as
#: single letters, "U.S." named nothing, so one outlet's "U.S." and another's "US" shared no name.
#: AllSides BCubed F1 0.912 -> 0.914 (June-July 0.923 -> 0.927); the hard stream 0.991 and the
#: sample 1.0 unchanged; ECB+ held-out over 6 partitions x 3 seeds 0.960 -> 0.959 (within the
#: trees' seed noise), nested 0.953 -> 0.958, all 772 at once 0.980 -> 0.978 (two reports of one
#: topic split off)
_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}(?![^\W\d_])")


def undot(sentence: str) -> str:
    """``sentence`` with its dotted initialisms written without dots ("the U.S. economy" ->
    "the US economy"), so that outlets' house styles name one country alike."""
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), sentence) if "." in sentence else sentence


def story_names(sentences: Iterable[str]) -> list[str]:
    """Capitalised words that look like names: a sentence's first word counts only when the
    same word is capitalised inside a sentence somewhere else in the text. Dotted initialisms
    are one word ("U.S." is ``us``, as "US" is)."""
    tokenized = [WORD.findall(undot(s)) for s in sentences if s]
    inside = {w for toks in tokenized for w in toks[1:] if w[0].isupper()}
    names = []
    for toks in tokenized:
        for pos, w in enumerate(toks):
            if w[0].isupper() and (pos or w in inside) and w.lower() not in STORY_NOT_NAMES:
                names.append(_POSSESSIVE.sub("", w.lower()))
    return names


def inner_names(sentences: Sequence[str]) -> Counter[str]:
    """Capitalised words not opening a sentence (names, mostly), with their counts.

    In scripts without capitals this still finds Latin-script names ("Jovenel Moïse"),
    which is what lets a Chinese text be matched against an English one.
    """
    found: Counter[str] = Counter()
    for sentence in sentences:
        for i, match in enumerate(NAME_TOKEN.finditer(sentence)):
            word = match.group().strip("'’-")
            if i and len(word) > 1 and word[0].isupper():
                found[word] += 1
    return found
