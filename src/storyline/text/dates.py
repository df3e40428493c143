"""Dates in news text: absolute ones, and relative ones resolved against a reference date.

Hand-written patterns over the words of the language packs (:mod:`storyline.lang`: English,
German, Spanish and French today; dateparser reads far more but is too slow to run over every
sentence of a story): "October 18, 2021", "18. Oktober
2021", "18 de octubre de 2021", "le 18 octobre", "in September 2018", "since 2018",
"2021-10-18", "18.10.2021"; and the relative expressions news is written in: weekdays ("on
Monday", "am Montag", "el lunes", "lundi"), yesterday / today / tomorrow, last / this / next
week, month and year, "three days ago".

A weekday in news is read as the most recent such day on or before the reference (the
publication date), because news reports what happened; "last Monday" is strictly before,
"next Monday", or a weekday in a sentence with a future cue before it ("will", "wird",
"va a", "sera"), the first such day on or after, unless a reporting verb stands between the cue
and the weekday, just before it ("will pay …, the minister said on Wednesday": the report's day).
:func:`text_dates` is the same parser's
quick reading of full dates only, for the story stage. Every :class:`~storyline.models.DateMention`
says in ``rule`` how it was read."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from .. import lang
from ..models import Article, CopyLink, DateMention

#: month names and abbreviations of every language pack -> month number
MONTHS: dict[str, int] = lang.table("months")
#: weekday names of every language pack -> 0 (Monday) ... 6 (Sunday)
WEEKDAYS: dict[str, int] = lang.table("weekdays")

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
_alt = lang.alternation

# Absolute dates, most specific first; a later pattern never takes text an earlier one matched.
_ABSOLUTE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")),
    ("numeric", re.compile(r"\b(?P<a>[0-3]?\d)[./](?P<b>[01]?\d)[./](?P<year>(?:19|20)\d\d)\b")),
    (
        "month-day-year",
        re.compile(
            rf"\b(?P<month>{_MONTH})\.?\s+{_DAY}(?:,?\s+{_YEAR})?\b(?!\s*(?:%|percent|per cent))", re.I
        ),
    ),
    (
        "day-month-year",
        re.compile(
            rf"\b{_DAY}\s+(?:de\s+|of\s+)?(?P<month>{_MONTH})\.?(?:,?\s+(?:de\s+|del\s+)?{_YEAR})?\b", re.I
        ),
    ),
    ("month-year", re.compile(rf"\b(?P<month>{_MONTH})\.?,?\s+(?:de\s+|del\s+)?{_YEAR}\b", re.I)),
    (
        "month",
        re.compile(rf"\b(?:{_alt(lang.fragments('month_cues'))})\s*(?P<month>{_MONTH})\b(?!\s*\d)", re.I),
    ),
    (
        "year",
        re.compile(
            rf"\b(?:{_alt(lang.fragments('year_cues'))})\s+{_YEAR}\b(?!\s*(?:%|percent|per cent|[-–]\w))",
            re.I,
        ),
    ),
)
#: the patterns of _ABSOLUTE that can read a full date (day, month and year)
_FULL = 4
#: a clock time: "6:30", "18.45 h", "10 a.m.", "9pm"
_CLOCK = re.compile(r"\b[0-2]?\d(?:[:.][0-5]\d)?\s*(?:[ap]\.\s?m\.|[ap]m\b|h\b)|\b[0-2]?\d:[0-5]\d\b", re.I)


def date_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` writes a calendar date with its day ("11 March", "March 11th, 2025",
    "2025-03-11", "11/03/2025") or a clock time ("6:30", "10 a.m."): the numbers there are
    not figures of the event. A month that is also a word ("may", "march") counts only
    capitalised."""
    spans: list[tuple[int, int]] = []
    for _, pattern in _ABSOLUTE[:_FULL]:
        for m in pattern.finditer(text):
            month = m.groupdict().get("month")
            if month and month.lower() in _AMBIGUOUS_MONTHS and not month[0].isupper():
                continue
            spans.append(m.span())
    spans.extend(m.span() for m in _CLOCK.finditer(text))
    return spans


#: what every full date holds (the year of the patterns above): a text without it has none
_SOME_YEAR = re.compile(r"(?:1[89]|20)\d\d")
# Month names that are also common words: only a capitalised one next to a day or year is a month.
_AMBIGUOUS_MONTHS = lang.words("ambiguous_months")

_PAST = _alt(lang.fragments("past"))
_NEXT = _alt(lang.fragments("next"))
_WEEKDAY_RE = re.compile(
    rf"(?:\b(?P<before>{_PAST}|{_NEXT}|{_alt(lang.fragments('weekday_cues'))})\s+)?\b(?P<weekday>{_WEEKDAY})\b"
    rf"(?:\s+(?P<after>{_PAST}|{_NEXT}))?",
    re.I,
)
# "Black Friday", "Good Friday", "Cyber Monday" are names, not dates.
_NAMED_DAY = re.compile(rf"\b(?:{_alt(lang.fragments('named_days'))})\s+$", re.I)
_FUTURE_CUE = re.compile(rf"\b(?:{_alt(lang.fragments('future_cues'))})\b", re.I)
_REPORTED_CUE = re.compile(rf"\b(?:{_alt(lang.fragments('reported_cues'))})\b", re.I)


def _day_words() -> tuple[tuple[re.Pattern[str], int, str], ...]:
    """(pattern, days from the reference, only in this language) for the day words of every pack:
    one pattern per offset for the words read in any text, one per word read in its own language."""
    out: list[tuple[re.Pattern[str], int, str]] = []
    words = lang.fragments("day_words")
    own = [(p.code, w, days) for p in lang.packs() for w, days in p.own_day_words]
    for days in sorted({d for _, d in words} | {d for _, _, d in own}):
        general = [re.escape(w) for w, d in words if d == days]
        if general:
            out.append((re.compile(rf"\b(?:{'|'.join(general)})\b", re.I), days, ""))
        out += [(re.compile(rf"\b{w}\b"), days, code) for code, w, d in own if d == days]
    return tuple(out)


_DAY_WORDS = _day_words()
_PERIOD_UNITS: dict[str, str] = lang.table("period_units")
_UNITS = rf"(?P<unit>{_alt(tuple(_PERIOD_UNITS))})"
_PERIOD = re.compile(
    rf"\b(?:(?P<pre>{_alt(lang.fragments('period_before'))})\s+){_UNITS}"
    rf"(?:\s+(?P<post>{_alt(lang.fragments('period_after'))}))?\b",
    re.I,
)
_PERIOD_PAST = _alt(lang.fragments("past") + lang.fragments("period_past"))
_PERIOD_NEXT = _alt(lang.fragments("next") + lang.fragments("period_next"))
_BARE_PERIOD = lang.words("bare_period")
_AGO_PARTS = [p.ago for p in lang.packs() if p.ago]
_AGO = re.compile(
    r"\b(?:"
    + "|".join(
        a.replace("(?P<n>", f"(?P<n{i}>").replace("(?P<u>", f"(?P<u{i}>") for i, a in enumerate(_AGO_PARTS)
    )
    + r")\b",
    re.I,
)
_AGO_NUMBERS: dict[str, int] = lang.table("ago_numbers")
_AGO_UNITS: dict[str, int] = lang.table("ago_units")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_iso_date(value: str | None) -> date | None:
    """The calendar date of an ISO 8601 date or datetime string; None when absent or unreadable."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def iso_week(day: date) -> str:
    """ISO week label of ``day``: ``2021-W42``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def date_sort_key(value: str) -> tuple[date, int]:
    """Start day and precision rank of an ISO date at any precision, for ordering a timeline."""
    if "-W" in value:
        year, week = value.split("-W")
        return date.fromisocalendar(int(year), int(week), 1), 1
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts), 0
    if len(parts) == 2:
        return date(parts[0], parts[1], 1), 2
    return date(parts[0], 1, 1), 3


def _nearest_year(month: int, day: int, reference: date) -> date | None:
    """The date with this month and day nearest to ``reference`` (a future one counts double)."""
    best: tuple[int, date] | None = None
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        gap = (when - reference).days
        cost = 2 * gap if gap > 0 else -gap
        if best is None or cost < best[0]:
            best = (cost, when)
    return best[1] if best else None


def _absolute(name: str, m: re.Match[str], reference: date | None) -> tuple[str, str, str] | None:
    """(ISO date, precision, rule) for one absolute match, or None when it is not a date."""
    groups = m.groupdict()
    if groups.get("month"):
        written = m.group("month")
        month_word = written.lower().rstrip(".")
        if month_word in _AMBIGUOUS_MONTHS and not written[0].isupper():
            return None  # "may" the verb, "march" the walk: English months are capitalised
    year = int(groups["year"]) if groups.get("year") else None
    if name == "iso":
        month, day = int(groups["month"]), int(groups["day"])
    elif name == "numeric":
        a, b = int(groups["a"]), int(groups["b"])
        # Day first (Europe) unless that is impossible; "10/18/2021" can only be US order.
        day, month = (a, b) if b <= 12 else (b, a)
    elif name in ("month-day-year", "day-month-year"):
        month, day = MONTHS[month_word], int(groups["day"])
    elif name == "month-year":
        assert year is not None
        return f"{year:04d}-{MONTHS[month_word]:02d}", "month", "month and year"
    elif name == "month":
        if reference is None:
            return None
        when = _nearest_year(MONTHS[month_word], 1, reference)
        if when is None:
            return None
        return f"{when.year:04d}-{when.month:02d}", "month", f"month without year, nearest to {reference}"
    else:  # year
        assert year is not None
        return f"{year:04d}", "year", "year"
    rule = "full date"
    if year is None:
        if reference is None:
            return None
        found = _nearest_year(month, day, reference)
        if found is None:
            return None
        year, rule = found.year, f"day and month, year nearest to {reference}"
    try:
        when = date(year, month, day)
    except ValueError:
        return None
    return when.isoformat(), "day", rule


def _weekday(m: re.Match[str], text: str, reference: date) -> tuple[date, str] | None:
    if _NAMED_DAY.search(text[max(0, m.start("weekday") - 12) : m.start("weekday")]):
        return None
    target = WEEKDAYS[m.group("weekday").lower()]
    modifier = " ".join(x.lower() for x in (m.group("before"), m.group("after")) if x)
    back = (reference.weekday() - target) % 7
    ahead = (target - reference.weekday()) % 7
    name = f"{reference} ({_WEEKDAY_NAMES[reference.weekday()]})"
    if re.search(_PAST, modifier, re.I):
        return reference - timedelta(days=back or 7), f"'last' + weekday: the one before the reference {name}"
    if re.search(_NEXT, modifier, re.I):
        return reference + timedelta(days=ahead or 7), f"'next' + weekday: the one after the reference {name}"
    sentence_start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    before = text[sentence_start : m.start()]
    future = [c.end() for c in _FUTURE_CUE.finditer(before)]
    # "will pay …, the minister said on Wednesday": a reporting verb after the cue and just before
    # the weekday ("said on", "told reporters on") dates the report; one further back ("will pay,
    # officials said, before the vote on Friday") leaves the weekday to the future cue
    if future and not _REPORTED_CUE.search(before, max(future[-1], len(before) - 30)):
        return reference + timedelta(days=ahead), f"future tense: the weekday on or after {name}"
    return reference - timedelta(days=back), f"the weekday on or before the reference {name}"


def _offset(unit: str, offset: int, reference: date) -> str:
    """How a relative date was read, in words: "the day before the reference 2024-02-14"."""
    if offset == 0:
        return f"the {unit} of the reference {reference}"
    amount = f"the {unit}" if abs(offset) == 1 else f"{abs(offset)} {unit}s"
    return f"{amount} {'before' if offset < 0 else 'after'} the reference {reference}"


def _period(m: re.Match[str], reference: date) -> tuple[str, str, str] | None:
    unit = m.group("unit").lower()
    words = " ".join(x.lower() for x in (m.group("pre"), m.group("post")) if x)
    if words in _BARE_PERIOD or not words:
        return None  # "la semaine" alone is no date
    offset = -1 if re.search(_PERIOD_PAST, words) else 0
    offset = 1 if re.search(_PERIOD_NEXT, words) else offset
    if _PERIOD_UNITS[unit] == "week":
        when = reference + timedelta(weeks=offset)
        return iso_week(when), "week", _offset("week", offset, reference)
    if _PERIOD_UNITS[unit] == "month":
        month_index = reference.year * 12 + reference.month - 1 + offset
        iso = f"{month_index // 12:04d}-{month_index % 12 + 1:02d}"
        return iso, "month", _offset("month", offset, reference)
    return f"{reference.year + offset:04d}", "year", _offset("year", offset, reference)


def find_dates(
    text: str, *, reference: date | None = None, language: str = "", full_dates_only: bool = False
) -> list[DateMention]:
    """Date expressions of ``text`` in order; relative ones only when a ``reference`` date is given.

    ``reference`` is usually the publication date; an absolute date without a year
    ("October 18") takes the year that puts it nearest the reference. ``language``
    (ISO 639-1) only settles words that are dates in one language and not in another
    (French "hier", German "morgen"). ``full_dates_only`` reads only dates with day, month
    and year written out (the same ones, quicker: the later patterns are skipped).
    """
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(m: re.Match[str], iso: str, precision: str, relative: bool, rule: str, group: int = 0) -> None:
        start, end = m.span(group)
        taken.append((start, end))
        found.append(DateMention(text[start:end], start, end, iso, precision, relative, rule))

    for name, pattern in _ABSOLUTE[:_FULL] if full_dates_only else _ABSOLUTE:
        for m in pattern.finditer(text):
            if free(*m.span()) and (read := _absolute(name, m, reference)):
                # A date without its year is read against the reference too.
                add(m, *read[:2], "nearest" in read[2], read[2])
    if full_dates_only:
        return [d for d in sorted(found, key=lambda d: d.start) if d.rule == "full date"]
    if reference is not None:
        for m in _WEEKDAY_RE.finditer(text):
            # "Tuesday, October 19", "lundi, le 18 octobre": the absolute date that follows says it all.
            if not free(*m.span()) or not free(m.end(), m.end() + 6):
                continue
            if resolved := _weekday(m, text, reference):
                add(m, resolved[0].isoformat(), "day", True, resolved[1])
        for pattern, days, only in _DAY_WORDS:
            if only and language != only:
                continue
            for m in pattern.finditer(text):
                if free(*m.span()):
                    when = reference + timedelta(days=days)
                    add(m, when.isoformat(), "day", True, _offset("day", days, reference))
        for m in _PERIOD.finditer(text):
            if free(*m.span()) and (read := _period(m, reference)):
                add(m, *read[:2], True, read[2])
        for m in _AGO.finditer(text):
            if not free(*m.span()):
                continue
            k = next(i for i in range(len(_AGO_PARTS)) if m.group(f"n{i}"))
            number, unit = m.group(f"n{k}"), m.group(f"u{k}")
            n = int(number) if number.isdigit() else _AGO_NUMBERS[number.lower()]
            days = n * _AGO_UNITS[unit.lower()]
            when = reference - timedelta(days=days)
            add(m, when.isoformat(), "day", True, f"{days} days before the reference {reference}")
    return sorted(found, key=lambda d: d.start)


def text_dates(text: str) -> frozenset[str]:
    """Calendar dates written out in full in ``text`` ("March 5, 2024", "5 mars 2024",
    "2024-03-05", "18.10.2021"), as ISO: what :func:`find_dates` reads without a reference date,
    full dates only (the story stage's profiles)."""
    if not _SOME_YEAR.search(text):  # a full date writes its year out: none, no date (and no scan)
        return frozenset()
    return frozenset(d.date for d in find_dates(text, full_dates_only=True))


#: a publication date more than this many days after the machine's clock is not believed (a typo,
#: a placeholder year): the story stage places the article as undated, and relative dates are
#: not read against it (the store keeps the date as given)
FUTURE_SLACK_DAYS = 2


def believed(day: date | None) -> date | None:
    """``day``, unless it lies more than :data:`FUTURE_SLACK_DAYS` after today (then None)."""
    if day is None or day.toordinal() > date.today().toordinal() + FUTURE_SLACK_DAYS:
        return None
    return day


def reference_dates(
    articles: Sequence[Article], copies: Iterable[CopyLink] = ()
) -> dict[str, dict[str, Any]]:
    """For each article, the date its relative expressions are read against, and where it came from.

    An article's own publication date first; for an undated one, the date of an
    article it is a copy of (or that copies it), else the median publication date
    of the story's other versions. Each value holds ``date`` (ISO or None),
    ``from`` ("published", "copy", "story" or "none") and a readable ``note``. A publication
    date far in the future (:func:`believed`) counts as none, as in the story stage.
    """
    given = {a.id: parse_iso_date(a.published) for a in articles}
    own = {i: believed(d) for i, d in given.items()}
    linked: dict[str, list[str]] = {}
    for link in copies:
        linked.setdefault(link.copy, []).append(link.original)
        linked.setdefault(link.original, []).append(link.copy)
    out: dict[str, dict[str, Any]] = {}
    for article in articles:
        when = own[article.id]
        if when is not None:
            out[article.id] = {"date": when.isoformat(), "from": "published", "note": "publication date"}
            continue
        doubted = given[article.id]
        # why this one has no date of its own: none given, or one not believed
        why = (
            f"publication date {doubted.isoformat()} not believed (after the machine's clock)"
            if doubted is not None
            else "article undated"
        )
        partners = sorted(i for i in linked.get(article.id, []) if own.get(i) is not None)
        if partners:
            day = own[partners[0]]
            assert day is not None
            out[article.id] = {
                "date": day.isoformat(),
                "from": "copy",
                "articles": partners[:1],
                "note": f"{why}; reference is the publication date of its copy link {partners[0]}",
            }
            continue
        others = sorted((d, i) for i, d in own.items() if d is not None and i != article.id)
        if others:
            middle = date.fromordinal(round(statistics.median(d.toordinal() for d, _ in others)))
            ids = [i for _, i in others]
            out[article.id] = {
                "date": middle.isoformat(),
                "from": "story",
                "articles": ids,
                "note": f"{why}; reference is the median publication date of the story's "
                f"other versions ({', '.join(ids)})",
            }
            continue
        out[article.id] = {
            "date": None,
            "from": "none",
            "note": ("no date" if doubted is None else why) + ": relative expressions left unread",
        }
    return out


def reference_of(references: Mapping[str, Mapping[str, Any]], article_id: str) -> date | None:
    """The reference date of ``article_id`` from :func:`reference_dates`, as a date."""
    entry = references.get(article_id) or {}
    return parse_iso_date(entry.get("date"))
