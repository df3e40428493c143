"""Read news articles from the formats people have, as a stream.

Sources are files, folders (recursive), glob patterns and ``-`` for standard
input (expanded by :mod:`.paths`); ``.gz`` files are read transparently. Each
file's format is detected here and read by its reader. Formats:

* plain text (:mod:`.text`): an optional first line ``date YYYY-MM-DD`` gives
  the publication date, an optional short first line (before a blank line) the title;
* JSON (an object or an array of objects) and JSONL (:mod:`.jsonl`), with the
  field names of news-please and the usual alternatives (see :data:`FIELD_NAMES`);
* HTML pages, through trafilatura (text, title, date, canonical url);
* WARC files through warcio, gzipped or not: their HTML response records
  (Common Crawl CC-NEWS);
* Parquet (with pyarrow): one article per row, columns named as the JSON fields.

Readers yield :class:`~storyline.models.Article` (raw text, not yet cleaned) or
:class:`~storyline.models.Quarantined` for a record that cannot be read, with
the file, the position in it and the reason; reading goes on after a bad
record wherever the format allows it."""

from __future__ import annotations

import gzip
import logging as _logging_for_log
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from ..models import Quarantined
from ..settings import DEFAULT_SETTINGS, Settings
from .jsonl import FIELD_NAMES as FIELD_NAMES
from .jsonl import TOO_DEEP as TOO_DEEP
from .jsonl import read_json, read_jsonl
from .jsonl import record_to_article as record_to_article
from .paths import STORE_SIDECARS as STORE_SIDECARS
from .paths import iter_sources as iter_sources
from .paths import store_files as store_files
from .records import Record as Record
from .records import Utf8Reader
from .records import article_id as article_id
from .records import decode_text as decode_text
from .records import describe_read_error as describe_read_error
from .records import make_article as make_article
from .records import normalize_date as normalize_date
from .records import utf16_encoding as utf16_encoding
from .text import BINARY_SAMPLE_CHARS as BINARY_SAMPLE_CHARS
from .text import text_article

log = _logging_for_log.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".jsonlines"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
WARC_SUFFIXES = {".warc", ".arc"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
KNOWN_SUFFIXES = (
    TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | WARC_SUFFIXES | PARQUET_SUFFIXES
)

#: The mark storyline's own HTML reports carry in their first bytes: reading a folder that holds
#: them never turns a report into an article.
REPORT_MARKER = b'<meta name="generator" content="storyline">'

GZIP_HEADER = b"\x1f\x8b\x08"  #: how gzip data starts: the magic bytes and deflate, its one method


def read_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    settings: Settings = DEFAULT_SETTINGS,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[Record]:
    """Read every article of every source, in order, as a stream (``exclude``: see :func:`iter_sources`)."""
    for source in iter_sources(paths, exclude=exclude):
        if isinstance(source, Quarantined):
            yield source
        else:
            yield from read_source(source, settings=settings)


def read_source(path: str, *, settings: Settings = DEFAULT_SETTINGS) -> Iterator[Record]:
    """Read one file (or ``-`` for stdin); never raises for bad content, quarantines it."""
    origin = "<stdin>" if path == "-" else path
    if path == "-":
        yield from read_stream(sys.stdin.buffer, origin=origin, settings=settings)
        return
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below, after the generator is done
    except OSError as exc:
        yield Quarantined(origin, "", f"cannot open: {exc.strerror or exc}")
        return
    with raw:
        # read_stream unpacks gzip by the first bytes, peeked (a pipe named on the command line,
        # <(zcat x), cannot seek back), and quarantines a file that fails to read (EIO)
        yield from read_stream(raw, origin=origin, settings=settings)


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


_WARC_START = re.compile(rb"WARC/\d+\.\d+\r?\n")
_JSON_OBJECT = re.compile(rb"\{\s*(?:\"|\}|$)")
_JSON_ARRAY = re.compile(rb"\[\s*(?:[\[{\"\]\d-]|true\b|false\b|null\b|$)")


def detect_format(name: str, head: bytes) -> str:
    """The format of a source: ``text``, ``json``, ``jsonl``, ``html``, ``warc`` or ``parquet``.

    The file name's suffix decides (``.gz`` aside); without a known suffix the
    first bytes do.
    """
    suffix = Path(_strip_gz(name)).suffix.lower()
    if suffix in WARC_SUFFIXES or _WARC_START.match(head):
        return "warc"
    # Parquet's magic is followed by binary page headers, never by text ("PAR1 of the series")
    if suffix in PARQUET_SUFFIXES or (head.startswith(b"PAR1") and head[4:5] and not 32 <= head[4] < 127):
        return "parquet"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    # JSON opens an object with a quoted key (or closes it), an array with a value: "[UPDATE] Mayor
    # resigns" and "{Exclusive} ..." are text
    if start.startswith(b"{") and _JSON_OBJECT.match(start):
        # one object per line, unless the first line is an object's opening only (pretty-printed
        # JSON); a first line longer than the head (an article per line) is JSONL, which also
        # reads a document that is one object on one line
        first_line, newline, _ = head.lstrip(b"\xef\xbb\xbf \t\r\n").partition(b"\n")
        return "jsonl" if first_line.strip().endswith(b"}") or not newline else "json"
    if start.startswith(b"[") and _JSON_ARRAY.match(start):
        return "json"
    if start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<article")):
        return "html"
    return "text"


def read_stream(
    stream: BinaryIO, *, origin: str, settings: Settings = DEFAULT_SETTINGS, fmt: str | None = None
) -> Iterator[Record]:
    """Read a binary stream of one source; see :func:`detect_format` for ``fmt``."""
    try:
        head = _peek(stream)
        if (
            head[:3] == GZIP_HEADER
            and fmt != "warc"
            and not _strip_gz(origin).lower().endswith((".warc", ".arc"))
        ):
            # gzip (the WARC reader unpacks its own); a file not named .gz that only starts like it is read as it is
            start = stream.tell() if stream.seekable() and not origin.lower().endswith(".gz") else None
            unpacked: BinaryIO = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
            try:
                head, stream = _peek(unpacked), unpacked
            except (OSError, EOFError, zlib.error):
                if start is None:
                    raise
                stream.seek(start)
        if encoding := utf16_encoding(head):
            # UTF-16 or UTF-32 text: read on as UTF-8, so every reader (JSONL line by line too) works
            stream = Utf8Reader.wrap(stream, encoding)
            head = _peek(stream)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        yield Quarantined(origin, "", f"cannot read: {describe_read_error(exc)}")
        return
    sniffed = fmt is None and Path(_strip_gz(origin)).suffix.lower() not in KNOWN_SUFFIXES
    fmt = fmt or detect_format(origin, head)
    if fmt == "html" and REPORT_MARKER in head:
        log.info("skipped %s: a report storyline wrote", origin)
        return
    if fmt == "warc":
        from .warc import read_warc

        yield from read_warc(stream, origin=origin, settings=settings)
        return
    if fmt == "jsonl":
        yield from read_jsonl(stream, origin, settings)
        return
    if fmt == "parquet":
        from .parquet import read_parquet

        yield from read_parquet(
            stream, origin=origin, fields=FIELD_NAMES, to_article=record_to_article, settings=settings
        )
        return
    try:
        data = _read_limited(stream, settings.max_document_bytes, origin)
        if not data.strip():
            raise InputError(
                "empty file" if not data else f"only white space ({len(data):,} bytes)", origin=origin
            )
        if fmt == "html":
            from .html import HtmlDocument

            yield HtmlDocument(decode_text(data, origin=origin), origin=origin)
        elif fmt == "json" and sniffed:
            # a file named nothing that only opens like JSON ("[1] Footnote", "[10:32] Live") is text:
            # its JSON breaks within the first words (a JSON document cut short breaks further on)
            try:
                records = list(read_json(data, origin))
            except InputError as exc:
                text = decode_text(data, origin=origin)
                if not (exc.reason.startswith("malformed JSON") and _opens_like_text(text)):
                    raise
                records = [text_article(text, origin)]
            yield from records
        elif fmt == "json":
            yield from read_json(data, origin)
        else:
            yield text_article(decode_text(data, origin=origin), origin)
    except InputError as exc:
        yield Quarantined(exc.origin or origin, exc.position, exc.reason)


def _opens_like_text(text: str) -> bool:
    """Whether text that JSON could not read breaks in its first words and not where it ends:
    "[1] Footnote" (a short value, then words), "[10:32] Live" (no JSON past the bracket). JSON
    cut short (a download stopped in a string or after a comma) breaks at its end: JSON still."""
    import json

    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        cut_short = exc.msg.startswith("Unterminated") or exc.pos >= len(text.rstrip())
        return not cut_short and exc.pos <= 40
    except (ValueError, RecursionError):
        return False
    return False


def _peek(stream: BinaryIO) -> bytes:
    peek = getattr(stream, "peek", None)
    if callable(peek):
        return bytes(peek(512))[:512]
    if stream.seekable():
        pos = stream.tell()
        head = stream.read(512)
        stream.seek(pos)
        return head
    return b""


def _read_limited(stream: BinaryIO, limit: int, origin: str) -> bytes:
    try:
        data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise InputError(f"cannot read: {describe_read_error(exc)}", origin=origin) from exc
    if len(data) > limit:
        raise InputError(
            f"file too large: more than {limit:,} bytes for a single document "
            "(split it, or use JSONL or WARC, which stream)",
            origin=origin,
        )
    return data
