"""Dates in news text: absolute ones, and relative ones resolved against a reference date.

Hand-written patterns for English, German, Spanish and French (dateparser reads far more
but is too slow to run over every sentence of a story): "October 18, 2021", "18. Oktober
2021", "18 de octubre de 2021", "le 18 octobre", "in September 2018", "since 2018",
"2021-10-18", "18.10.2021"; and the relative expressions news is written in: weekdays ("on
Monday", "am Montag", "el lunes", "lundi"), yesterday / today / tomorrow, last / this / next
week, month and year, "three days ago".

A weekday in news is read as the most recent such day on or before the reference (the
publication date), because news reports what happened; "last Monday" is strictly before,
"next Monday", or a weekday in a sentence with a future cue before it ("will", "wird",
"va a", "sera"), the first such day on or after. Every :class:`~storyline.models.DateMention`
says in ``rule`` how it was read."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from ..models import Article, CopyLink, DateMention

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar jänner enero janvier",
        "february feb februar febrero février fevrier",
        "march mar märz maerz marzo mars",
        "april apr abril avril",
        "may mai mayo",
        "june jun juni junio juin",
        "july jul juli julio juillet",
        "august aug agosto août aout",
        "september sep sept setiembre septiembre septembre",
        "october oct oktober octubre octobre",
        "november nov noviembre novembre",
        "december dec dezember diciembre décembre decembre",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _number

WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "monday montag lunes lundi",
        "tuesday dienstag martes mardi",
        "wednesday mittwoch miércoles miercoles mercredi",
        "thursday donnerstag jueves jeudi",
        "friday freitag viernes vendredi",
        "saturday samstag sonnabend sábado sabado samedi",
        "sunday sonntag domingo dimanche",
    )
):
    for _name in _names.split():
        WEEKDAYS[_name] = _number

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"

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
        re.compile(
            rf"\b(?:in|since|until|by|from|early|late|mid-?|im|seit|bis|ab|en|desde|hasta|a\s+finales\s+de|"
            rf"depuis|jusqu'en|début|fin|mi-)\s*(?P<month>{_MONTH})\b(?!\s*\d)",
            re.I,
        ),
    ),
    (
        "year",
        re.compile(
            rf"\b(?:in|since|until|by|from|early|late|mid-?|im|seit|bis|ab|en|desde|hasta|depuis|jusqu'en|"
            rf"année|año|jahr)\s+{_YEAR}\b(?!\s*(?:%|percent|per cent|[-–]\w))",
            re.I,
        ),
    ),
)
# Month names that are also common words: only a capitalised one next to a day or year is a month.
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar", "jan", "sep", "dec", "aug", "oct", "nov"})

_PAST = r"last|past|previous|letzten|vergangenen|pasado|pasada|dernier|dernière|passé"
_NEXT = r"next|coming|nächsten|kommenden|próximo|próxima|prochain|prochaine"
_WEEKDAY_RE = re.compile(
    rf"(?:\b(?P<before>{_PAST}|{_NEXT}|this|on|am|el|le|ce|este)\s+)?\b(?P<weekday>{_WEEKDAY})\b"
    rf"(?:\s+(?P<after>{_PAST}|{_NEXT}))?",
    re.I,
)
# "Black Friday", "Good Friday", "Cyber Monday" are names, not dates.
_NAMED_DAY = re.compile(r"\b(?:black|good|cyber|ash|super|holy|easter|blue|bloody)\s+$", re.I)
_FUTURE_CUE = re.compile(
    r"\b(?:will|shall|'ll|is due to|are due to|is expected to|are expected to|is scheduled to|plans to|"
    r"wird|werden|soll|sollen|será|serán|va a|van a|prevé|sera|seront|va |vont |doit|doivent)\b",
    re.I,
)

# (pattern, days from the reference, only in this language) for day words.
_DAY_WORDS: tuple[tuple[re.Pattern[str], int, str], ...] = (
    (re.compile(r"\b(?:the day before yesterday|vorgestern|anteayer|avant-hier)\b", re.I), -2, ""),
    (re.compile(r"\b(?:yesterday|last night|gestern|ayer|anoche)\b", re.I), -1, ""),
    (re.compile(r"\bhier\b"), -1, "fr"),  # German "hier" is "here"
    (
        re.compile(
            r"\b(?:today|tonight|this morning|this afternoon|this evening|heute|hoy|aujourd'hui)\b", re.I
        ),
        0,
        "",
    ),
    (re.compile(r"\b(?:tomorrow|demain)\b", re.I), 1, ""),
    (re.compile(r"\bmorgen\b(?! früh)"), 1, "de"),  # "Morgen" is "morning"
)
_UNITS = r"(?P<unit>week|month|year|woche|monat|jahr|semana|mes|año|semaine|mois|année)"
_PERIOD = re.compile(
    rf"\b(?:(?P<pre>last|this|next|earlier this|later this|letzte|letzten|vergangene|vergangenen|"
    rf"diese|diesen|dieses|nächste|nächsten|la|el|este|esta|cette|ce|le|la)\s+){_UNITS}"
    rf"(?:\s+(?P<post>pasado|pasada|que viene|próximo|próxima|dernier|dernière|prochain|prochaine))?\b",
    re.I,
)
_AGO = re.compile(
    r"\b(?:(?P<n1>\d+|one|two|three|four|five|six|seven|ten)\s+(?P<u1>days?|weeks?)\s+ago|"
    r"vor\s+(?P<n2>\d+|einem|zwei|drei|vier|fünf)\s+(?P<u2>tagen|wochen)|"
    r"hace\s+(?P<n3>\d+|un|dos|tres|cuatro|cinco)\s+(?P<u3>días|semanas)|"
    r"il y a\s+(?P<n4>\d+|un|deux|trois|quatre|cinq)\s+(?P<u4>jours|semaines))\b",
    re.I,
)
_SMALL = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
    "einem": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "un": 1, "dos": 2, "tres": 3,
    "cuatro": 4, "cinco": 5, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5,
}  # fmt: skip
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
        return reference - timedelta(days=back or 7), f"'last' weekday: strictly before the reference {name}"
    if re.search(_NEXT, modifier, re.I):
        return reference + timedelta(days=ahead or 7), f"'next' weekday: strictly after the reference {name}"
    sentence_start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    if _FUTURE_CUE.search(text[sentence_start : m.start()]):
        return reference + timedelta(days=ahead), f"future tense: weekday on or after the reference {name}"
    return reference - timedelta(days=back), f"weekday on or before the reference {name}"


def _period(m: re.Match[str], reference: date) -> tuple[str, str, str] | None:
    unit = m.group("unit").lower()
    words = " ".join(x.lower() for x in (m.group("pre"), m.group("post")) if x)
    if words in ("la", "el", "le", "ce", "cette") or not words:
        return None  # "la semaine" alone is no date
    offset = -1 if re.search(_PAST + r"|letzte|vergangene", words) else 0
    offset = 1 if re.search(_NEXT + r"|nächste|que viene", words) else offset
    if unit in ("week", "woche", "semana", "semaine"):
        when = reference + timedelta(weeks=offset)
        return iso_week(when), "week", f"week {offset:+d} from the reference {reference}"
    if unit in ("month", "monat", "mes", "mois"):
        month_index = reference.year * 12 + reference.month - 1 + offset
        iso = f"{month_index // 12:04d}-{month_index % 12 + 1:02d}"
        return iso, "month", f"month {offset:+d} from the reference {reference}"
    return f"{reference.year + offset:04d}", "year", f"year {offset:+d} from the reference {reference}"


def find_dates(text: str, *, reference: date | None = None, language: str = "") -> list[DateMention]:
    """Date expressions of ``text`` in order; relative ones only when a ``reference`` date is given.

    ``reference`` is usually the publication date; an absolute date without a year
    ("October 18") takes the year that puts it nearest the reference. ``language``
    (ISO 639-1) only settles words that are dates in one language and not in another
    (French "hier", German "morgen").
    """
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(m: re.Match[str], iso: str, precision: str, relative: bool, rule: str, group: int = 0) -> None:
        start, end = m.span(group)
        taken.append((start, end))
        found.append(DateMention(text[start:end], start, end, iso, precision, relative, rule))

    for name, pattern in _ABSOLUTE:
        for m in pattern.finditer(text):
            if free(*m.span()) and (read := _absolute(name, m, reference)):
                # A date without its year is read against the reference too.
                add(m, *read[:2], "nearest" in read[2], read[2])
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
                    add(m, when.isoformat(), "day", True, f"{days:+d} days from the reference {reference}")
        for m in _PERIOD.finditer(text):
            if free(*m.span()) and (read := _period(m, reference)):
                add(m, *read[:2], True, read[2])
        for m in _AGO.finditer(text):
            if not free(*m.span()):
                continue
            number = next(g for g in (m.group("n1"), m.group("n2"), m.group("n3"), m.group("n4")) if g)
            unit = next(g for g in (m.group("u1"), m.group("u2"), m.group("u3"), m.group("u4")) if g)
            n = int(number) if number.isdigit() else _SMALL[number.lower()]
            days = n * (7 if unit.lower().startswith(("week", "woch", "seman")) else 1)
            when = reference - timedelta(days=days)
            add(m, when.isoformat(), "day", True, f"{days} days before the reference {reference}")
    return sorted(found, key=lambda d: d.start)


def reference_dates(
    articles: Sequence[Article], copies: Iterable[CopyLink] = ()
) -> dict[str, dict[str, Any]]:
    """For each article, the date its relative expressions are read against, and where it came from.

    An article's own publication date first; for an undated one, the date of an
    article it is a copy of (or that copies it), else the median publication date
    of the story's other versions. Each value holds ``date`` (ISO or None),
    ``from`` ("published", "copy", "story" or "none") and a readable ``note``.
    """
    own = {a.id: parse_iso_date(a.published) for a in articles}
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
        partners = sorted(i for i in linked.get(article.id, []) if own.get(i) is not None)
        if partners:
            day = own[partners[0]]
            assert day is not None
            out[article.id] = {
                "date": day.isoformat(),
                "from": "copy",
                "articles": partners[:1],
                "note": f"article undated; reference is the publication date of its copy link {partners[0]}",
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
                "note": "article undated; reference is the median publication date of the story's "
                f"other versions ({', '.join(ids)})",
            }
            continue
        out[article.id] = {"date": None, "from": "none", "note": "no date: relative expressions left unread"}
    return out


def reference_of(references: Mapping[str, Mapping[str, Any]], article_id: str) -> date | None:
    """The reference date of ``article_id`` from :func:`reference_dates`, as a date."""
    entry = references.get(article_id) or {}
    return parse_iso_date(entry.get("date"))
