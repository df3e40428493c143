"""Quantities in text: numbers with their units (people, money, magnitudes), read from digits and number words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .. import lang
from ..models import DateMention

#: function words of every language pack: they end the unit of a quantity
STOPWORDS = lang.words("stopwords")

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER_WORDS: dict[str, int] = lang.table("number_words")
_SCALES: dict[str, float] = lang.table("scales")
_alt = lang.alternation
#: multipliers glued to the digits ("€3.2bn", "£18.5m", "30k"); a glued m or b counts only
#: after a currency sign ("5m" alone may be metres)
_GLUED = {"k": 1e3, "mn": 1e6, "m": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12, "trn": 1e12, "trln": 1e12}
_QUANTITY = re.compile(
    rf"(?P<approx>\b(?:{_alt(lang.fragments('approximate'))})\s+)?(?P<currency>US\$|[$€£¥])?\s?"
    # a number word only as a whole word: not the "eight" of "Freight", the "one" of "someone"
    r"\b(?P<number>\d+(?:[.,]\d{3})*(?:[.,]\d+)?|"
    + "|".join(_NUMBER_WORDS)
    + r")(?:(?<=\d)(?P<glued>"
    + "|".join(sorted(_GLUED, key=len, reverse=True))
    + r")\b|\b(?!:\d|st\b|nd\b|rd\b|th\b)(?:[\s-]*(?P<scale>"
    + "|".join(sorted(_SCALES, key=len, reverse=True))
    + rf")\b)?)\s*(?P<percent>{_alt(lang.fragments('percent'))})?",
    re.IGNORECASE,
)
_UNIT_CLASSES = {"dead": lang.words("dead"), "injured": lang.words("injured")}
_UNIT_CLASS = {w: k for k, v in _UNIT_CLASSES.items() for w in sorted(v)}
_INCREMENTS = lang.words("increments")
_SUBSET = re.compile(rf"\b(?:{_alt(lang.fragments('subsets'))})\s+$", re.I)
# units that say what kind of figure it is, not what is counted: "$160 million" of whose offer?
GENERIC_UNITS = lang.words("generic_units")
_PEOPLE = lang.words("people")
_UNIT_AFTER = re.compile(
    rf"\s*(?:(?:{_alt(lang.fragments('unit_links'))})\s+)?([\w-]+)(?:\s+([\w-]+))?(?:\s+([\w-]+))?"
)

# --------------------------------------------------------------------------- sentence features


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def number_value(text: str) -> float | None:
    """The value a number is written for: a number word ("twelve"), thousands grouped with
    commas or dots in either style ("1,150", "1.150"), or a decimal point or comma ("6.4",
    "6,4"); None for anything else."""
    word = text.lower()
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):  # thousands separators, either style
        return float(re.sub(r"[.,]", "", text))
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with what it counts: ``unit`` holds the (stemmed) words after it, or a class."""

    text: str
    value: float
    unit: frozenset[str]
    approximate: bool


def quantities(text: str, dates: Sequence[DateMention] = ()) -> list[Quantity]:
    """Numbers of ``text`` with their units; years, times, ordinals and numbers inside dates are skipped."""
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        start, _end = m.span("number")
        if any(d.start <= start < d.end for d in dates) or (start and text[start - 1] in ":-/"):
            continue
        if text[m.end("number") : m.end("number") + 1] == "-" and not m.group("scale"):
            continue  # "21-year-old", "a 20-ounce bottle": part of a word
        if re.match(r"/\d", text[m.end("number") :]):
            continue  # "9/11", "24/7": a date or a name, not a count
        if m.group("number").isalpha() and re.match(r"\s+of\b", text[m.end("number") :]):
            continue  # "one of Portland's best-known brands"
        value = number_value(m.group("number"))
        if value is None or (m.group("number").isalpha() and not m.group("number").islower()):
            continue
        glued = (m.group("glued") or "").lower()
        if glued in ("m", "b") and not m.group("currency"):
            continue  # "5m", "3b": metres, a flat; no amount
        plain = not (m.group("currency") or m.group("scale") or glued or m.group("percent"))
        if plain and 1900 <= value <= 2100 and m.group("number").isdigit():
            continue  # a year
        value *= _GLUED[glued] if glued else _SCALES.get((m.group("scale") or "").lower(), 1.0)
        unit = {m.group("currency")} if m.group("currency") else set()
        if m.group("percent"):
            unit.add("%")
        # the words after the number up to the first function word name what it counts
        after = _UNIT_AFTER.match(text[m.end() :])
        following = [w.lower() for w in after.groups() if w] if after else []
        before = text[max(0, m.start("number") - 12) : m.start("number")]
        if (following and following[0] in _INCREMENTS) or _SUBSET.search(before):
            continue  # "two more bodies", "the last two victims": part of a count, not the count
        for w in following:
            if w in STOPWORDS or w.isdigit():
                break
            unit.add(_UNIT_CLASS.get(w, _stem(w)))
        context = {_UNIT_CLASS[w] for w in _WORD.findall(text.lower()) if w in _UNIT_CLASS}
        if unit <= _PEOPLE and len(context) == 1:
            unit |= context  # "the death toll rose to 14", "killing 12 people": the count is of the dead
        out.append(Quantity(m.group().strip(), value, frozenset(unit), bool(m.group("approx"))))
    return out


#: the decimals of a figure ("6.4", "€3.2bn", "6,4"), not a thousands group ("1,150")
_DECIMALS = re.compile(r"\d[.,](\d{1,2})(?!\d)")


def _same_value(a: Quantity, b: Quantity) -> bool:
    """Equal up to rounding or truncation to the coarser figure ("$114.3 million" is "$114 million"),
    or within 10% when either is approximate ("about 5,000")."""
    low, high = sorted((a.value, b.value))
    if high - low <= (0.1 if a.approximate or b.approximate else 0.015) * high:
        return True
    digits = [len(d.group(1)) if (d := _DECIMALS.search(q.text)) else 0 for q in (a, b)]
    coarse, fine = (a, b) if digits[0] < digits[1] else (b, a)
    return coarse.value in (round(fine.value), float(int(fine.value)))


def _is_toll(unit: str) -> bool:
    """A count of the dead or the injured: the one figure that sentences reporting different
    moments of a story (not aligned) are still compared on."""
    return bool(set(unit.split()) & set(_UNIT_CLASSES))


def specific_unit(unit: str) -> bool:
    """Whether a unit names what is counted (prisoners, dead, batteries), not only the kind of
    figure (a currency, a percentage, a duration)."""
    return any(len(word) > 1 and word not in GENERIC_UNITS for word in unit.split())
