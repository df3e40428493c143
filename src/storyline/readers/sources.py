"""Read news articles from the formats people have, as a stream.

Sources are files, folders (recursive), glob patterns and ``-`` for standard
input; ``.gz`` files are read transparently. Formats:

* plain text: an optional first line ``date YYYY-MM-DD`` gives the publication
  date, an optional short first line (before a blank line) the title;
* JSON (an object or an array of objects) and JSONL, with the field names of
  news-please and the usual alternatives (see :data:`FIELD_NAMES`);
* HTML pages, through trafilatura (text, title, date, canonical url);
* WARC files through warcio, gzipped or not: their HTML response records
  (Common Crawl CC-NEWS);
* Parquet (with pyarrow): one article per row, columns named as the JSON fields.

Readers yield :class:`~storyline.models.Article` (raw text, not yet cleaned) or
:class:`~storyline.models.Quarantined` for a record that cannot be read, with
the file, the position in it and the reason; reading goes on after a bad
record wherever the format allows it."""

from __future__ import annotations

import fnmatch
import glob
import gzip
import json
import logging as _logging_for_log
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InputError
from ..models import Article, Quarantined
from ..settings import DEFAULT_SETTINGS, Settings
from .records import Record as Record
from .records import Utf8Reader
from .records import article_id as article_id
from .records import decode_text as decode_text
from .records import describe_read_error as describe_read_error
from .records import make_article as make_article
from .records import normalize_date as normalize_date
from .records import utf16_encoding as utf16_encoding
from .records import valid_date as _valid_date

log = _logging_for_log.getLogger(__name__)

#: JSON field names accepted for each article field, first match wins.
#: The first name of each list is news-please's.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "text": ("maintext", "text", "body", "content", "article", "article_text", "description"),
    "published": (
        "date_publish",
        "date",
        "published",
        "published_at",
        "publish_date",
        "datePublished",
        "pubDate",
        "date_published",
        "created_at",
        "date_modify",
    ),
    "url": ("url", "link", "canonical_url", "uri"),
    "source": ("source_domain", "source", "outlet", "site", "domain", "publisher", "sitename"),
    "language": ("language", "lang"),
    "external_id": ("doc_id", "id", "_id", "article_id", "uuid"),
}

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".jsonlines"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
WARC_SUFFIXES = {".warc", ".arc"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

#: The mark storyline's own HTML reports carry in their first bytes: reading a folder that holds
#: them never turns a report into an article.
REPORT_MARKER = b'<meta name="generator" content="storyline">'

# any number-number-number: a date that is not a day (2026-02-30, 99999-01-01) is a bad date line, not a title
GZIP_HEADER = b"\x1f\x8b\x08"  #: how gzip data starts: the magic bytes and deflate, its one method
_DATE_LINE = re.compile(r"^\s*date\s*[:=]?\s*(\d+-\d+-\d+)\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------- sources


#: What a store file leaves beside it (SQLite's write-ahead log, shared memory, rollback journal;
#: storyline's grouping lock).
STORE_SIDECARS = ("", "-wal", "-shm", "-journal", "-lock")


def store_files(db: str | os.PathLike[str]) -> list[str]:
    """The files a store at ``db`` consists of: never read them as articles."""
    return [os.fspath(db) + suffix for suffix in STORE_SIDECARS]


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def iter_sources(
    paths: Iterable[str | os.PathLike[str]], *, exclude: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[str | Quarantined]:
    """Expand files, folders (recursively, in sorted order), globs and ``-`` into file names.

    A name that matches nothing is yielded as a :class:`Quarantined` record, so a
    typo in one path never stops the others. Files and folders in ``exclude`` (the
    store's own files, the report folder) are skipped inside folders and globs. Links to
    folders inside a folder are followed, each folder once (see :func:`_walk`).
    """
    skip = {_real(os.fspath(e)) for e in exclude}
    for raw in paths:
        path = os.fspath(raw)
        if path == "-":
            yield path
        elif os.path.isdir(path):
            yield from _walk(path, skip)
        elif os.path.exists(path):
            yield path
        elif glob.has_magic(path):
            matches = _recursive_glob(path, skip) if "**" in path else sorted(glob.glob(path))
            if not matches:
                yield Quarantined(path, "", "the pattern matches no file")
            for match in matches:
                if _real(match) in skip:
                    continue
                if os.path.isdir(match):
                    yield from iter_sources([match], exclude=exclude)
                else:
                    yield _regular(match)
        else:
            yield Quarantined(path, "", "no such file or folder")


def _walk(top: str, skip: set[str]) -> Iterator[str | Quarantined]:
    """The files of a folder, recursively, in sorted order; hidden names and ``skip`` (real
    paths) left out (see :func:`_tree`)."""
    for step in _tree(top, skip):
        if isinstance(step, Quarantined):
            yield step
        else:
            root, _dirs, files = step
            for name in files:
                yield _regular(os.path.join(root, name))


def _tree(top: str, skip: set[str]) -> Iterator[tuple[str, list[str], list[str]] | Quarantined]:
    """:func:`os.walk` of ``top`` (each folder, its subfolders and files, sorted), hidden names
    and ``skip`` (real paths) left out.

    Symbolic links to folders are followed (a crawl is often laid out with them: a month's
    folder linked from elsewhere), safely: a folder is read once, under the first name found for it
    (the walk looks at all of a folder's entries before it enters any), so a link back up the tree (a loop) or a second link to a folder is not followed again,
    and a link to a folder inside ``top`` is not followed at all (it is read under its own
    name). Nothing is lost by these skips: every file of them is read through the other path. A
    folder that cannot be listed (no permission) is quarantined with the reason.
    """
    top_real = _real(top)
    walked = {top_real}
    failed: list[OSError] = []
    for root, dirs, files in os.walk(top, followlinks=True, onerror=failed.append):
        yield from _unlisted(failed)
        kept = []
        for d in sorted(dirs):
            full = os.path.join(root, d)
            real = _real(full)
            if d.startswith(".") or real in skip or real in walked:
                continue
            if os.path.islink(full) and real.startswith(top_real + os.sep):
                continue  # read under its own name
            walked.add(real)
            kept.append(d)
        dirs[:] = kept
        names = [
            n for n in sorted(files) if not n.startswith(".") and _real(os.path.join(root, n)) not in skip
        ]
        yield root, kept, names
    yield from _unlisted(failed)


def _recursive_glob(pattern: str, skip: set[str]) -> list[str]:
    """The files a pattern with ``**`` names, sorted: those it matches and those inside the
    folders it matches, each once.

    :func:`glob.glob` follows links to folders round a loop up to the system's limit, taking every
    path on the way (two loops make it explode); this walks the folder before the first wildcard
    with :func:`_tree` (each folder once) and matches the paths against the pattern, part by part
    (``**`` is any number of folders, ``*``, ``?`` and ``[…]`` stay within one name). A folder
    that cannot be listed is left out here (a pattern is a loose selection)."""
    parts = pattern.replace(os.altsep or os.sep, os.sep).split(os.sep)
    k = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = os.sep.join(parts[:k]) or (os.sep if k else "")
    wanted = parts[k:]
    while len(wanted) > 1 and not wanted[-1]:  # "crawl/**/": the folders, so all their files
        wanted.pop()
    if not os.path.isdir(base or "."):
        return []
    found: list[str] = []
    for step in _tree(base or ".", skip):
        if isinstance(step, Quarantined):
            continue
        root, _dirs, files = step
        rel = [p for p in os.path.relpath(root, base or ".").split(os.sep) if p != "."]
        # a folder the pattern matches brings all its files; else each file is matched on its own
        inside = any(_matches(wanted, rel[:n]) for n in range(1, len(rel) + 1))
        for name in files:
            if inside or _matches(wanted, [*rel, name]):
                found.append(os.path.join(root, name) if base else os.path.relpath(os.path.join(root, name)))
    return sorted(found)


def _matches(pattern: list[str], names: list[str]) -> bool:
    """Whether the path ``names`` (its parts) matches the pattern's parts."""
    if not pattern:
        return not names
    if pattern[0] == "**":
        return any(_matches(pattern[1:], names[i:]) for i in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatch(names[0], pattern[0]) and _matches(pattern[1:], names[1:])


def _unlisted(failed: list[OSError]) -> Iterator[Quarantined]:
    while failed:
        exc = failed.pop(0)
        yield Quarantined(str(exc.filename or ""), "", f"cannot list the folder: {exc.strerror or exc}")


def _regular(path: str) -> str | Quarantined:
    """A file of a folder or pattern, or why it is skipped (a pipe or device would be read forever)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return path  # a broken link: opening it says why
    if stat.S_ISREG(mode):
        return path
    return Quarantined(path, "", "not a regular file (a pipe, device or socket): skipped")


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


def detect_format(name: str, head: bytes) -> str:
    """The format of a source: ``text``, ``json``, ``jsonl``, ``html``, ``warc`` or ``parquet``.

    The file name's suffix decides (``.gz`` aside); without a known suffix the
    first bytes do.
    """
    suffix = Path(_strip_gz(name)).suffix.lower()
    if suffix in WARC_SUFFIXES or head.startswith(b"WARC/"):
        return "warc"
    if suffix in PARQUET_SUFFIXES or head.startswith(b"PAR1"):
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
    if start.startswith(b"{"):
        # one object per line, unless the first line is an object's opening only (pretty-printed
        # JSON); a first line longer than the head (an article per line) is JSONL, which also
        # reads a document that is one object on one line
        first_line, newline, _ = head.lstrip(b"\xef\xbb\xbf \t\r\n").partition(b"\n")
        return "jsonl" if first_line.strip().endswith(b"}") or not newline else "json"
    if start.startswith(b"["):
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
    fmt = fmt or detect_format(origin, head)
    if fmt == "html" and REPORT_MARKER in head:
        log.info("skipped %s: a report storyline wrote", origin)
        return
    if fmt == "warc":
        from .warc import read_warc

        yield from read_warc(stream, origin=origin, settings=settings)
        return
    if fmt == "jsonl":
        yield from _read_jsonl(stream, origin, settings)
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
            raise InputError("empty file", origin=origin)
        if fmt == "html":
            from .html import HtmlDocument

            yield HtmlDocument(decode_text(data, origin=origin), origin=origin)
        elif fmt == "json":
            yield from _read_json(data, origin)
        else:
            yield _text_article(decode_text(data, origin=origin), origin)
    except InputError as exc:
        yield Quarantined(exc.origin or origin, exc.position, exc.reason)


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


# --------------------------------------------------------------------------- decoding


#: characters of a decoded text checked for control characters (binary data in disguise)
BINARY_SAMPLE_CHARS = 4096


def _looks_binary(text: str) -> bool:
    sample = text[:BINARY_SAMPLE_CHARS]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls / len(sample) > 0.05


# --------------------------------------------------------------------------- articles


def _text_article(text: str, origin: str, position: str = "") -> Article:
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
                f"bad date line {lines[i].strip()!r}: expected date YYYY-MM-DD",
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


def _field(record: Mapping[str, Any], name: str) -> Any:
    for key in FIELD_NAMES[name]:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n\n".join(_as_text(v) for v in value if v)
    if isinstance(value, Mapping):
        return str(value.get("name") or value.get("text") or value.get("url") or "")
    return str(value)


def record_to_article(record: Any, *, origin: str, position: str) -> Article:
    """Map one JSON object to an article (see :data:`FIELD_NAMES`)."""
    if not isinstance(record, Mapping):
        raise InputError(
            f"expected a JSON object, got {type(record).__name__}", origin=origin, position=position
        )
    text = _as_text(_field(record, "text"))
    if not text.strip():
        names = ", ".join(FIELD_NAMES["text"])
        raise InputError(f"no article text (looked for the fields {names})", origin=origin, position=position)
    raw_date = _field(record, "published")
    published = normalize_date(raw_date)
    return make_article(
        text=text,
        title=_as_text(_field(record, "title")),
        published=published,
        url=_as_text(_field(record, "url")),
        source=_as_text(_field(record, "source")),
        language=_as_text(_field(record, "language")),
        external_id=_as_text(_field(record, "external_id")),
        origin=origin,
        position=position,
    )


def _read_json(data: bytes, origin: str) -> Iterator[Record]:
    text = decode_text(data, origin=origin)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg}", origin=origin, position=f"line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise InputError(TOO_DEEP, origin=origin) from exc
    except ValueError as exc:  # a number too long to convert
        raise InputError(_bad_value(exc), origin=origin) from exc
    if isinstance(doc, Mapping) and isinstance(doc.get("articles"), list):
        doc = doc["articles"]
    yield from _read_items(
        doc if isinstance(doc, list) else [doc], origin, "item " if isinstance(doc, list) else ""
    )


def _read_items(items: list[Any], origin: str, prefix: str) -> Iterator[Record]:
    """The articles of a JSON document's list, each at ``prefix`` and its number (no prefix: a
    document that is one article)."""
    for n, item in enumerate(items):
        position = f"{prefix}{n}" if prefix else ""
        try:
            yield record_to_article(item, origin=origin, position=position)
        except InputError as exc:
            yield Quarantined(origin, exc.position, exc.reason)
        except RecursionError:
            yield Quarantined(origin, position, TOO_DEEP)


def _skip_line(stream: BinaryIO) -> int:
    """Read past the rest of a line too long to keep; the number of bytes skipped."""
    skipped = 0
    while chunk := stream.readline(1 << 20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _bad_value(exc: ValueError) -> str:
    """Why valid JSON cannot be read (an integer of over 4,300 digits), without Python's advice."""
    return f"unreadable JSON value: {str(exc).split(';')[0]}"


#: why a JSON record nested past what Python's parser can take is rejected
TOO_DEEP = "JSON nested too deeply to read (more than about a thousand levels)"


def _read_jsonl(stream: BinaryIO, origin: str, settings: Settings) -> Iterator[Record]:
    lineno = 0
    utf8 = False  # whether an earlier line had UTF-8 multi-byte characters: then the file is UTF-8
    limit = settings.max_document_bytes
    try:
        while raw := stream.readline(limit + 1):  # a line is held up to the limit, never more
            lineno += 1
            position = f"line {lineno}"
            if len(raw) > limit and not raw.endswith(b"\n"):
                size = len(raw) + _skip_line(stream)
                yield Quarantined(origin, position, f"record too large: {size:,} bytes")
                continue
            if not raw.strip():
                continue
            if len(raw) > limit:
                yield Quarantined(origin, position, f"record too large: {len(raw):,} bytes")
                continue
            try:
                try:
                    line = raw.decode("utf-8")
                    utf8 = utf8 or not raw.isascii()
                except UnicodeDecodeError as exc:
                    if utf8:
                        raise InputError(
                            f"invalid UTF-8 at byte {exc.start} of the line in a file that is otherwise "
                            "UTF-8 (damaged line)",
                            origin=origin,
                            position=position,
                        ) from exc
                    line = decode_text(raw, origin=origin, position=position)
                record = json.loads(line)
                if isinstance(record, Mapping) and isinstance(record.get("articles"), list):
                    yield from _read_items(
                        record["articles"], origin, f"{position} item "
                    )  # a JSON document on one line
                    continue
                yield record_to_article(record, origin=origin, position=position)
            except json.JSONDecodeError as exc:
                yield Quarantined(origin, position, f"malformed JSON: {exc.msg} at column {exc.colno}")
            except InputError as exc:
                yield Quarantined(origin, exc.position, exc.reason)
            except RecursionError:
                yield Quarantined(origin, position, TOO_DEEP)
            except ValueError as exc:  # a number too long to convert: this line only
                yield Quarantined(origin, position, _bad_value(exc))
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        yield Quarantined(origin, f"after line {lineno}", f"cannot read further: {describe_read_error(exc)}")
