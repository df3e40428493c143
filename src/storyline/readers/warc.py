"""WARC archives (CC-NEWS): records cut by their Content-Length, checked against the next header, HTML responses extracted."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from ..errors import InputError
from ..models import Quarantined
from ..settings import DEFAULT_SETTINGS, Settings
from .html import HtmlDocument, _decode_html_bytes
from .records import Record, describe_read_error, normalize_date


def read_warc(stream: BinaryIO, *, origin: str, settings: Settings = DEFAULT_SETTINGS) -> Iterator[Record]:
    """The HTML response records of a WARC (or ARC) stream, gzipped or not.

    Non-HTML records, requests, metadata and non-2xx responses are skipped. Each WARC
    record is cut out by its Content-Length and checked: the next record (or the end of the
    file) must follow right after it. A record whose length is wrong, whose header is
    broken, or that is cut short is quarantined, and reading resumes at the next record
    header, so one bad record never swallows the ones after it. A file that ends early (a cut
    download, gzipped or not) keeps every record before the cut. ARC files go to warcio
    whole (warcio cannot resynchronise in them after a damaged record).
    """
    head = _peek_head(stream)
    members: GzipMembers | None = None
    if head[:3] == GzipMembers.HEADER:
        members = GzipMembers(stream)
        stream = io.BufferedReader(members, buffer_size=1 << 20)
        try:
            head = stream.peek(16)[:16]
        except (OSError, EOFError, zlib.error) as exc:
            yield Quarantined(origin, "start", f"cannot read: {describe_read_error(exc)}")
            return
    if head.lstrip(b"\r\n").startswith(b"filedesc:"):  # an ARC file's first record
        yield from _read_archive(stream, origin=origin, settings=settings)
        return
    for item in split_warc(stream, origin=origin, limit=settings.max_document_bytes):
        while members is not None and members.damaged:  # a member skipped while reading up to here
            yield Quarantined(origin, *members.damaged.pop(0))
        if isinstance(item, Quarantined):
            yield item
            continue
        index, offset, block = item
        position = f"record {index} (offset {offset})"
        try:
            doc = _warc_html(block, origin, position, settings)
        except InputError as exc:
            yield Quarantined(origin, exc.position or position, exc.reason)
            continue
        if doc is not None:
            yield doc


class GzipMembers(io.RawIOBase):
    """The gzip members of a stream, decompressed one after the other as :class:`gzip.GzipFile`
    reads them, except that a damaged member (bad deflate data, a wrong CRC) does not end the
    stream. Its output is dropped, reading resumes at the next member's header, and ``damaged``
    gets (position, reason). A WARC gzips each record on its own (CC-NEWS does), so one damaged
    record costs only that record. A member's output is held until its CRC is checked, up to
    :attr:`HOLD` bytes (past that it is passed on unchecked: memory stays bounded). A stream cut
    inside a member raises :class:`EOFError`, as :mod:`gzip` does."""

    #: how a gzip member starts: the magic bytes and the deflate method
    HEADER = b"\x1f\x8b\x08"
    #: the output of one member held back until its CRC is checked
    HOLD = 1 << 23

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._pending = b""  # compressed bytes read and not yet decompressed
        self._offset = 0  # where _pending starts in the compressed stream
        self._member = 0  # where the current member starts
        self._decompressor = zlib.decompressobj(31)
        self._started = False  # whether the current member has been given bytes
        self._held = bytearray()  # the current member's output, not yet checked
        self._ready = bytearray()  # output that may be handed out
        self._eof = False
        self.damaged: list[tuple[str, str]] = []

    def readable(self) -> bool:
        return True

    def _more(self) -> bool:
        chunk = b"" if self._eof else self._raw.read(1 << 16)
        self._eof = not chunk
        self._pending += chunk
        return bool(chunk)

    def readinto(self, buffer: Any) -> int:
        while not self._ready:
            if not self._pending and not self._more():
                if self._started and not self._decompressor.eof:
                    self._ready += self._held  # what the cut member gave, as gzip would hand it out
                    self._held.clear()
                    if self._ready:
                        break
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                return 0
            before = len(self._pending)
            try:
                out = self._decompressor.decompress(self._pending, 1 << 20)
            except zlib.error as exc:
                self.damaged.append(
                    (
                        f"gzip member at offset {self._member:,}",
                        f"damaged gzip data ({exc}): skipped to the next member",
                    )
                )
                self._held.clear()
                self._resync()
                continue
            self._started = True
            done = self._decompressor.eof
            rest = self._decompressor.unused_data if done else self._decompressor.unconsumed_tail
            self._offset += before - len(rest)
            self._pending = rest
            self._held += out
            if done or len(self._held) > self.HOLD:
                self._ready += self._held
                self._held.clear()
            if done:  # the next member, if any
                self._decompressor, self._started, self._member = zlib.decompressobj(31), False, self._offset
        n = min(len(buffer), len(self._ready))
        buffer[:n] = self._ready[:n]
        del self._ready[:n]
        return n

    def _resync(self) -> None:
        """Drop bytes up to the next member header after the damaged member's start."""
        start = 1
        while (at := self._pending.find(self.HEADER, start)) < 0:
            keep = self._pending[-2:]
            self._offset += len(self._pending) - len(keep)
            self._pending, start = keep, 0
            if not self._more():
                self._offset += len(self._pending)
                self._pending = b""
                self._decompressor, self._started = zlib.decompressobj(31), False
                return
        self._offset += at
        self._pending = self._pending[at:]
        self._decompressor, self._started, self._member = zlib.decompressobj(31), False, self._offset


def _peek_head(stream: BinaryIO) -> bytes:
    peek = getattr(stream, "peek", None)
    if callable(peek):
        return bytes(peek(16))[:16]
    if stream.seekable():
        pos = stream.tell()
        head = stream.read(16)
        stream.seek(pos)
        return head
    return b""


def _is_html(record: Any) -> bool:
    """Whether a response record holds an HTML page: by its HTTP Content-Type, or, for a response
    that is not HTTP (``dns:`` lookups, ``ftp:``), by the record's own Content-Type."""
    http = record.http_headers
    ctype = (
        http.get_header("Content-Type") if http is not None else record.rec_headers.get_header("Content-Type")
    )
    return "html" in (ctype or "").lower()


def _warc_html(block: bytes, origin: str, position: str, settings: Settings) -> HtmlDocument | None:
    """The HTML page of one WARC record's bytes, ``None`` for a record that is not one."""
    import io

    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        for record in ArchiveIterator(io.BytesIO(block + b"\r\n\r\n"), arc2warc=True):
            if record.rec_type != "response" or not _is_html(record):
                return None
            http = record.http_headers
            ctype = (http.get_header("Content-Type") or "") if http else ""
            if http is not None and (http.get_statuscode() or "200")[:1] != "2":
                return None
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            warc_date = normalize_date((record.rec_headers.get_header("WARC-Date") or "")[:10])
            body = record.content_stream().read(settings.max_document_bytes + 1)
            if len(body) > settings.max_document_bytes:
                raise InputError("record too large", origin=origin, position=position)
            html = _decode_html_bytes(body, ctype, origin, position)
            return HtmlDocument(html, origin, position, url=url, fallback_date=warc_date)
    except InputError:
        raise
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError, AttributeError, TypeError) as exc:
        # warcio reports a damaged record with whatever error its parser hits first
        raise InputError(
            f"broken WARC record: {describe_read_error(exc)}", origin=origin, position=position
        ) from exc
    return None


# a record starts with its version line and a named field (where a newline precedes it or not:
# stray bytes before a header do not hide it)
_AT_RECORD = re.compile(rb"WARC/1\.\d\r?\n[A-Za-z][\w-]*:")
_NEXT_RECORD = _AT_RECORD
_SWALLOWED = re.compile(rb"\r\n\r\nWARC/1\.\d\r?\n[A-Za-z][\w-]*:")
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\S*)", re.IGNORECASE | re.MULTILINE)
_HEADER_FIELD = re.compile(rb"(?:^|\n)WARC-(?:Type|Record-ID|Date|Target-URI):")
_MAX_HEADER = 65536
_GAP = 16
_CHUNK = 1 << 16


def split_warc(
    stream: BinaryIO, *, origin: str, limit: int
) -> Iterator[tuple[int, int, bytes] | Quarantined]:
    """Cut an (uncompressed) WARC stream into records: ``(index, offset, bytes)`` of each good
    one, a :class:`Quarantined` for each bad one, resynchronising at the next ``WARC/1.x``
    line after a damaged record. Memory holds one record (at most ``limit`` bytes) at a time."""
    buf = bytearray()
    base = 0  # offset of buf[0] in the stream
    eof = False
    index = -1
    # a read that fails (a cut or damaged gzip stream) ends the stream where it failed: the records
    # read before it are still cut out and kept, then the failure is reported once
    failure: BaseException | None = None
    # read1 returns what one step of decompression gives, so the bytes before a failure are kept
    # (read(n) would drop those it gathered in the call that failed)
    read = getattr(stream, "read1", None) or stream.read

    def fill(size: int) -> None:
        nonlocal eof, failure
        while len(buf) < size and not eof:
            try:
                chunk = read(max(_CHUNK, size - len(buf)))
            except (OSError, EOFError, zlib.error) as exc:
                failure, eof = exc, True
                return
            if not chunk:
                eof = True
            buf.extend(chunk)

    def failed(where: str) -> Quarantined:
        nonlocal failure
        assert failure is not None
        reason, failure = f"cannot read further: {describe_read_error(failure)}", None
        return Quarantined(origin, where, reason)

    def cut(where: str, reason: str) -> Quarantined:
        """The record the stream ends in: the read failure that ended it, or ``reason``."""
        return failed(where) if failure is not None else Quarantined(origin, where, reason)

    def drop(n: int) -> None:
        nonlocal base
        del buf[:n]
        base += n

    def resync(start: int) -> bool:
        """Drop bytes up to the next record header (a ``WARC/1.x`` line and a field) at or after
        ``start``; False when the stream ends first."""
        while True:
            match = _NEXT_RECORD.search(buf, start)
            if match:
                drop(match.start())
                return True
            if eof:
                drop(len(buf))
                return False
            drop(max(0, len(buf) - 64))  # keep a tail: a header may straddle two reads
            start = 0
            fill(len(buf) + _CHUNK)

    try:
        while True:
            fill(_MAX_HEADER)
            skip = len(buf) - len(buf.lstrip(b"\r\n"))
            drop(skip)
            if not buf:
                fill(1)
                if not buf:
                    break
                continue
            index += 1
            offset = base
            where = f"record {index} (offset {offset})"
            if eof and len(buf) < 5 and b"WARC/".startswith(bytes(buf)):  # cut inside the version line
                yield cut(where, "truncated WARC record: the file ends inside its header")
                break
            if not buf.startswith(b"WARC/"):
                yield Quarantined(
                    origin,
                    f"offset {offset}",
                    "not a WARC record header; skipped to the next record"
                    if offset
                    else "the file does not start with a WARC record header; skipped to the first one (if any)",
                )
                index -= 1
                if not resync(1):
                    break
                continue
            header_end = buf.find(b"\r\n\r\n", 0, _MAX_HEADER)
            match = _CONTENT_LENGTH.search(buf, 0, header_end) if header_end > 0 else None
            if header_end < 0 and eof and not _NEXT_RECORD.search(buf, 5):  # the stream ends in the header
                yield cut(where, "truncated WARC record: the file ends inside its header")
                break
            if header_end < 0 or match is None or not match.group(1).isdigit():
                reason = (
                    "WARC record header never ends"
                    if header_end < 0
                    else "WARC record header without a valid Content-Length"
                )
                yield Quarantined(origin, where, f"{reason}; skipped to the next record")
                if not resync(5):
                    break
                continue
            length = int(match.group(1))
            body_start = header_end + 4
            end = body_start + length
            if length > limit:
                # Too large to hold: stream to its announced end and go on from the record that
                # follows there. A Content-Length that lies runs past the records after it, and the
                # file ends first: then go on from the first record header met inside the body
                # (kept from there, at most `limit` bytes). A header inside an honest record's body
                # (an archived page quoting a WARC) is never taken for a record.
                announced = offset + end  # where the record says it ends, in the stream
                drop(body_start)
                inside = -1  # where the first record header inside the body starts (-2: too far to keep)
                kept = bytearray()
                seen = 0  # bytes of buf already scanned for a header
                while True:
                    if inside == -1:
                        match = _NEXT_RECORD.search(buf, max(0, seen - 64), max(0, announced - base))
                        if match:
                            inside, kept = base + match.start(), bytearray(buf[match.start() :])
                    elif inside >= 0:
                        kept.extend(buf[seen:])
                        if len(kept) > limit:
                            inside, kept = -2, bytearray()
                    seen = len(buf)
                    if base + len(buf) >= announced + 4 + _MAX_HEADER or eof:
                        break
                    if len(buf) > 4 * _CHUNK and base + len(buf) < announced:
                        spent = len(buf) - 64  # the tail stays: a header may straddle two reads
                        drop(spent)
                        seen -= spent
                    fill(len(buf) + _CHUNK)
                at = announced - base
                honest = (
                    at >= 0
                    and len(buf) >= at
                    and (
                        (buf[at : at + 4] == b"\r\n\r\n" and _next_follows(buf, at + 4, eof))
                        or (eof and len(buf) == at)
                    )
                )
                if honest:
                    yield Quarantined(origin, where, f"record too large: {length:,} bytes")
                    drop(min(at + 4, len(buf)))
                    continue
                if inside >= 0:
                    yield Quarantined(
                        origin,
                        where,
                        f"record too large: {length:,} bytes, a Content-Length that runs past the next "
                        f"record (at offset {inside}): read on from that record",
                    )
                    buf[:] = kept
                    base = inside
                    continue
                yield Quarantined(origin, where, f"record too large: {length:,} bytes")
                if not resync(min(max(at, 0), len(buf))):
                    break
                continue
            fill(end + 4 + 64)
            if buf[end : end + 4] == b"\r\n\r\n" and not buf[end + 4 : end + 68].lstrip(b"\r\n").startswith(
                b"WARC/"
            ):
                fill(end + 4 + _MAX_HEADER)  # something else follows: look further
            # the record's end: the separator and the next record, or the end of the file (with
            # the separator or without it, never with a part of it: that is a length off by one or two)
            follows = len(buf) >= end and (
                (buf[end : end + 4] == b"\r\n\r\n" and _next_follows(buf, end + 4, eof))
                or (eof and len(buf) == end)
            )
            # a length that ends exactly at a later record's end swallows the records between
            if follows and _SWALLOWED.search(buf, body_start, end):
                follows = False
            if follows:
                yield index, offset, bytes(buf[:end])
                drop(end + 4)
                continue
            if len(buf) < end and not _NEXT_RECORD.search(buf, body_start):
                yield cut(
                    where,
                    f"truncated WARC record: Content-Length {length:,} but the file ends "
                    f"{len(buf) - body_start:,} bytes into it",
                )
                break
            yield Quarantined(
                origin,
                where,
                f"WARC record whose Content-Length ({length:,}) does not match where it ends; "
                "skipped to the next record",
            )
            if not resync(body_start):
                break
        if failure is not None:
            yield failed(f"after record {index}" if index >= 0 else "start of the file")
    except (OSError, EOFError, zlib.error) as exc:
        where = f"after record {index}" if index >= 0 else "start of the file"
        yield Quarantined(origin, where, f"cannot read further: {describe_read_error(exc)}")


def _next_follows(buf: bytearray, at: int, eof: bool) -> bool:
    """Whether what starts at ``at`` (right after a record and its separator) is where the next
    record begins: its header (after blank lines), the end of the file, or bytes that are that
    next record's fault rather than a wrong length of this one: a few stray bytes before a
    header, or a damaged header (its fields are there, its version line is not)."""
    head = bytes(buf[at : at + 64]).lstrip(b"\r\n")  # the usual case, cheaply
    if head.startswith(b"WARC/") or (eof and len(head) < 5 and b"WARC/".startswith(head)):
        return True
    rest = bytes(buf[at : at + _MAX_HEADER]).lstrip(b"\r\n")
    if rest.startswith(b"WARC/") or (eof and b"WARC/".startswith(rest[:5])):
        return True
    match = _NEXT_RECORD.search(rest)
    gap = rest[: match.start()] if match else rest
    return len(gap) <= _GAP or _HEADER_FIELD.search(gap, 0, 512) is not None


def _read_archive(stream: BinaryIO, *, origin: str, settings: Settings) -> Iterator[Record]:
    """ARC (and anything not starting like a WARC) through warcio as one stream."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    index = -1
    try:
        records = ArchiveIterator(stream, arc2warc=True)
        for record in records:
            index += 1
            if record.rec_type != "response" or not _is_html(record):
                continue
            http = record.http_headers
            ctype = (http.get_header("Content-Type") or "") if http else ""
            if http is not None and (http.get_statuscode() or "200")[:1] != "2":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            warc_date = normalize_date((record.rec_headers.get_header("WARC-Date") or "")[:10])
            # Read the body before asking for the offset: warcio's offset call moves the stream.
            body = record.content_stream().read(settings.max_document_bytes + 1)
            position = f"record {index} (offset {records.get_record_offset()})"
            try:
                if len(body) > settings.max_document_bytes:
                    raise InputError("record too large", origin=origin, position=position)
                html = _decode_html_bytes(body, ctype, origin, position)
                yield HtmlDocument(html, origin, position, url=url, fallback_date=warc_date)
            except InputError as exc:
                yield Quarantined(origin, exc.position or position, exc.reason)
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError, AttributeError, TypeError) as exc:
        # warcio reports a damaged record with whatever error its parser hits first
        where = f"record {index + 1}" if index >= 0 else "start"
        yield Quarantined(
            origin, where, f"broken WARC record, the rest of the file is skipped: {describe_read_error(exc)}"
        )
