"""What every reader shares: the record type, decoding bytes to text, building a raw article,
normalising a date, describing a read error, reading UTF-16/32 streams as UTF-8.

A small module of its own so the readers (:mod:`storyline.readers.sources` for files and streams,
:mod:`storyline.readers.html` for HTML and WARC) both build on it without importing each other
in a circle."""

from __future__ import annotations

import calendar
import codecs
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Union

from ..errors import InputError
from ..models import Article, Quarantined, RemovedSpan
from ..text.normalize import split_url

if TYPE_CHECKING:
    from .html import HtmlDocument

#: What readers yield: an article, a rejected record, or an HTML page still to extract
#: (extraction is the costly step, so the runner does it in its worker processes).
Record = Union[Article, Quarantined, "HtmlDocument"]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: bytes of a text checked for NUL bytes (binary data, not text)
BINARY_SAMPLE = 65536
#: bytes of a text of unknown encoding that charset-normalizer reads to guess it
CHARSET_SAMPLE = 262144


def describe_read_error(exc: BaseException) -> str:
    """A short, user-facing description of a read error."""
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid {exc.encoding.upper()} at byte {exc.start} (damaged text)"
    if isinstance(exc, EOFError):
        return "the compressed file is truncated"
    if isinstance(exc, (gzip.BadGzipFile, zlib.error)):
        return f"corrupt compressed data ({exc})"
    return str(exc) or type(exc).__name__


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def utf16_encoding(head: bytes) -> str | None:
    """``utf-16``/``utf-32`` (or their ``-le``/``-be`` forms) when ``head`` starts text in one of
    them: a byte-order mark, or, without one, ASCII-range text with every other byte NUL."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    sample = head[:512]
    if len(sample) >= 16:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return "utf-16-be"
    return None


def decode_text(data: bytes, *, origin: str = "", position: str = "") -> str:
    """Decode bytes to text: UTF-8 first (UTF-16/32 with a byte-order mark, or plainly
    recognisable), then a detected legacy encoding.

    Raises :class:`InputError` for binary data and for UTF-8 that is broken
    (valid multi-byte sequences mixed with invalid ones: a damaged file, not a
    legacy encoding), naming the byte where the damage is.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    if encoding := utf16_encoding(data[:512]):
        try:
            # not final: a file cut short inside its last character (half a unit, or half a
            # surrogate pair) keeps the text before it, as a stream read does (Utf8Reader)
            return codecs.getincrementaldecoder(encoding)("strict").decode(data).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"invalid {encoding.upper()} at byte {exc.start} (damaged text)",
                origin=origin,
                position=position,
            ) from exc
    sample = data[:BINARY_SAMPLE]
    if b"\x00" in sample:
        raise InputError("binary data, not text (NUL bytes)", origin=origin, position=position)
    if _has_utf8_multibyte(data):
        raise InputError(
            f"invalid UTF-8 at byte {bad_at} in text that is otherwise UTF-8 (damaged file)",
            origin=origin,
            position=position,
        )
    from charset_normalizer import from_bytes

    best = from_bytes(data[:CHARSET_SAMPLE]).best()
    if best is None or best.chaos > 0.25:
        raise InputError(
            "undecodable: neither UTF-8 nor a recognisable legacy encoding", origin=origin, position=position
        )
    try:
        return data.decode(best.encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"invalid {best.encoding} at byte {exc.start}: the encoding detected from the start does "
            "not hold for the whole text (damaged or mixed encodings)",
            origin=origin,
            position=position,
        ) from exc


class Utf8Reader(io.RawIOBase):
    """A binary stream of UTF-16/32 text, read as UTF-8 bytes (decoding as it goes: streams stay
    streams). Damaged text raises :class:`UnicodeDecodeError` (a ``ValueError``) when reached,
    naming its byte in the whole stream; a last character cut off (a download cut short by a byte)
    is dropped, the text before it kept."""

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        super().__init__()
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._pending = b""
        self._done = False
        self._first = True
        self._offset = 0  # bytes of the stream decoded before the current chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            chunk = self._raw.read(65536)
            self._done = not chunk
            try:
                # at the end, the bytes of a cut-off last character stay in the decoder, unread
                text = self._decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                pending = len(self._decoder.getstate()[0])
                start = self._offset - pending + exc.start
                raise UnicodeDecodeError(exc.encoding, exc.object, start, start + 1, exc.reason) from None
            self._offset += len(chunk)
            if self._first and text:
                text, self._first = text.removeprefix("\ufeff"), False
            self._pending = text.encode("utf-8", "surrogatepass")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    @classmethod
    def wrap(cls, raw: BinaryIO, encoding: str) -> BinaryIO:
        """The transcoded stream, buffered (so it can be peeked and read by lines)."""
        return io.BufferedReader(cls(raw, encoding))


_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _has_utf8_multibyte(data: bytes) -> bool:
    return _UTF8_MULTI.search(data) is not None


def article_id(url: str, title: str, text: str) -> str:
    """A stable content hash: the same record read twice gets the same id."""
    digest = hashlib.blake2b(digest_size=8)
    for part in (url, title, text):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (``_SURROGATE.search``): the one code point UTF-8 cannot
    encode, so an encoding that succeeds (a copy at memory speed) rules it out, and only a text that
    fails is searched. (``str.isascii`` is cheaper still: no search at all for ASCII text.)"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.search(text) is not None
    return False


#: a publication date before this year is no date: no news predates it, placeholders do
MIN_YEAR = 1000
#: days that are an unset date's placeholder, not a day news was published: the Unix epoch and the
#: zero days of spreadsheets and SQL (believed, they make one "same day" of unrelated articles)
PLACEHOLDER_DAYS = frozenset({"1970-01-01", "1900-01-01", "1899-12-30", "1899-12-31"})


#: the longest title, url, outlet and record id kept (characters); what is past it is cut and
#: said so in ``removed`` (a title of two million characters would fill every table it is shown in)
MAX_FIELD_CHARS = {"title": 1000, "url": 4096, "source": 255, "external_id": 512}


def make_article(
    *,
    text: str,
    origin: str,
    position: str = "",
    title: str = "",
    published: str | None = None,
    url: str = "",
    source: str = "",
    language: str = "",
    external_id: str = "",
) -> Article:
    """Build a raw article, filling the id and, from the url, a missing source. A lone surrogate
    (JSON may spell one, ``"\\ud800"``: half an emoji cut in two) becomes U+FFFD, as a decoder would
    make it: such a string cannot be encoded, and every later stage encodes text."""
    text, title, url, source, language, external_id = (
        v if v.isascii() or not _has_surrogate(v) else _SURROGATE.sub("\ufffd", v)
        for v in (text, title, url, source, language, external_id)
    )
    title = " ".join(title.split())
    url = url.strip()
    cut: list[RemovedSpan] = []
    fields = {"title": title, "url": url, "source": source, "external_id": external_id}
    for name, value in fields.items():
        if len(value) > MAX_FIELD_CHARS[name]:
            keep = MAX_FIELD_CHARS[name]
            fields[name] = value[:keep]
            cut.append(
                RemovedSpan(
                    "truncated",
                    f"{name}: {len(value):,} characters, cut to the first {keep:,}: {value[keep : keep + 40]}…",
                )
            )
    title, url, source, external_id = fields["title"], fields["url"], fields["source"], fields["external_id"]
    if published and (
        (published[:4].isdigit() and int(published[:4]) < MIN_YEAR) or published[:10] in PLACEHOLDER_DAYS
    ):
        published = None  # a placeholder (0001-01-01 is .NET's empty date), and date arithmetic breaks on it
    if not source and url:
        parts = split_url(url)
        source = ((parts and parts.hostname) or "").removeprefix("www.")
    return Article(
        id=article_id(url, title, text),
        text=text,
        title=title,
        published=published,
        url=url,
        source=source,
        language=language.lower()[:8],
        origin=origin,
        position=position,
        external_id=external_id,
        removed=tuple(cut),
    )


def valid_date(value: str) -> str | None:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def why_not_a_day(value: str) -> str:
    """Why ``value`` (numbers joined by hyphens, the shape of a date) is not a day, for an error
    message: "there is no month 13", "February 2026 has no day 30", "the year has 5 digits"."""
    parts = value.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return "not a date"
    year, month, day = parts
    if len(year) != 4:
        return f"the year {year} has {len(year)} digits, not 4"
    if not 1 <= int(month) <= 12:
        return f"there is no month {int(month)}"
    days = calendar.monthrange(int(year), int(month))[1]
    if not 1 <= int(day) <= days:
        return f"{calendar.month_name[int(month)]} {int(year)} has no day {int(day)}"
    return "the month and the day are written with two digits"  # a day, written otherwise ("2026-1-5")


def normalize_date(value: Any) -> str | None:
    """An ISO 8601 date (or datetime) from what a record gives, ``None`` if it gives none.

    Accepts ISO strings, epoch seconds (or milliseconds; 0, the usual unset value, is no date)
    and free-form dates ("March 3, 2024").
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not value > 0:  # 0 (or less, or NaN) is a timestamp left unset, not 1 January 1970
            return None
        try:
            return datetime.fromtimestamp(float(value) / (1000 if value > 1e11 else 1)).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, Mapping):
        value = value.get("$date") or value.get("date") or ""
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.date().isoformat() if len(text) <= 10 else parsed.isoformat()
    except ValueError:
        pass
    if _ISO_DATE.match(text) and (day := valid_date(text[:10])):
        return day
    if _EPOCH.fullmatch(text):  # epoch seconds or milliseconds written as text
        return normalize_date(float(text))
    import dateparser

    parsed = dateparser.parse(text, settings=_FREE_DATES)
    return parsed.date().isoformat() if parsed else None


_EPOCH = re.compile(r"\d{9,13}(?:\.\d+)?")
#: free-form dates are read as absolute dates with a month and a year: what a record says is not
#: relative to the machine's clock ("yesterday", "2 hours ago", "5 March" are no date), and
#: placeholders are none ("N/A" and "A" were read as days of this year, "2024" as this month's 1st)
_FREE_DATES: dict[str, Any] = {
    "STRICT_PARSING": False,
    "PREFER_DAY_OF_MONTH": "first",
    "PARSERS": ["custom-formats", "absolute-time"],
    "REQUIRE_PARTS": ["month", "year"],
}
