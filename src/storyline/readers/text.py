"""Plain-text articles: an optional first line ``date YYYY-MM-DD`` gives the publication date,
an optional short first line standing alone (before a blank line) the title; the rest is the
text. A "text" that is mostly control characters is binary data in disguise and is refused."""

from __future__ import annotations

import re

from ..errors import InputError
from ..models import Article
from .records import make_article, why_not_a_day
from .records import valid_date as _valid_date

# any number-number-number: a date that is not a day (2026-02-30, 99999-01-01) is a bad date line, not a title
_DATE_LINE = re.compile(r"^\s*date\s*[:=]?\s*(\d+-\d+-\d+)\s*$", re.IGNORECASE)


#: characters of a decoded text checked for control characters (binary data in disguise)
BINARY_SAMPLE_CHARS = 4096


def _looks_binary(text: str) -> bool:
    sample = text[:BINARY_SAMPLE_CHARS]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls / len(sample) > 0.05


def text_article(text: str, origin: str, position: str = "") -> Article:
    """The article of a decoded plain text (see the module); raises InputError for binary data
    or a ``date`` line that is not a real day."""
    if _looks_binary(text):
        raise InputError("binary data, not text (control characters)", origin=origin, position=position)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    published = None
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and (m := _DATE_LINE.match(lines[i])):
        published = _valid_date(m.group(1))
        if published is None:
            raise InputError(
                f"bad date line {lines[i].strip()!r}: {why_not_a_day(m.group(1))} (a date line is 'date YYYY-MM-DD')",
                origin=origin,
                position=f"line {i + 1}",
            )
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    title = ""
    # A title is a short first line standing alone, not ending like a sentence, with text after it
    # (a text that is only a title-like line is a one-sentence brief: that line is its text).
    if (
        i + 1 < len(lines)
        and not lines[i + 1].strip()
        and any(line.strip() for line in lines[i + 2 :])
        and 0 < len(lines[i].strip()) <= 200
        and not lines[i].rstrip().endswith((".", "!", "?", ":", ";", ",", "]", "”", '"'))
        and not lines[i].lstrip().startswith("[")
    ):
        title = lines[i].strip()
        i += 1
    body = "\n".join(lines[i:]).strip()
    return make_article(text=body, title=title, published=published, origin=origin, position=position)
