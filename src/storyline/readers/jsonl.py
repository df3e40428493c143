"""JSON documents (an object, an array of objects, or an object with an ``articles`` array) and
JSON Lines (one object per line, read as a stream), mapped to articles by the field names of
news-please and the usual alternatives (:data:`FIELD_NAMES`). A bad record is quarantined with
its position; the rest of the file is read."""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, BinaryIO

from ..errors import InputError
from ..models import Article, Quarantined, RemovedSpan
from ..settings import Settings
from .records import Record, decode_text, describe_read_error, make_article, normalize_date

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


def _field(record: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """The first of ``name``'s field names that ``record`` fills, and its value (``("", None)``)."""
    for key in FIELD_NAMES[name]:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return key, value
    return "", None


def _as_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, list):
        return "\n\n".join(_as_text(v) for v in value if v)
    if isinstance(value, Mapping):
        return _as_text(value.get("name") or value.get("text") or value.get("url"))
    return str(value)


def _shown(value: Any) -> str:
    """A field's value as an error message shows it: JSON, cut to 60 characters."""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _unread(key: str, value: Any, what: str) -> RemovedSpan:
    return RemovedSpan("unread-field", f"{key}: {_shown(value)} is {what}")


def record_to_article(record: Any, *, origin: str, position: str) -> Article:
    """Map one JSON object to an article (see :data:`FIELD_NAMES`).

    A record without text, or whose text is a number or a boolean, is refused. A field that holds
    no readable value (a title given as an object without ``name`` or ``text``, a boolean, a date
    that is no date: ``"9999-99-99"``, ``true``) is left empty, and said so in the article's
    ``removed`` (reason ``unread-field``), so nothing a record held vanishes without a word."""
    if not isinstance(record, Mapping):
        raise InputError(
            f"expected a JSON object, got {_JSON_KINDS.get(type(record), 'another value')}",
            origin=origin,
            position=position,
        )
    key, value = _field(record, "text")
    if isinstance(value, (bool, int, float)):
        kind = "a boolean" if isinstance(value, bool) else "a number"
        raise InputError(
            f"no article text: the field {key!r} holds {kind} ({_shown(value)})",
            origin=origin,
            position=position,
        )
    text = _as_text(value)
    if not text.strip():
        names = ", ".join(FIELD_NAMES["text"])
        raise InputError(f"no article text (looked for the fields {names})", origin=origin, position=position)
    unread: list[RemovedSpan] = []
    fields: dict[str, str] = {}
    for name in ("title", "url", "source", "language", "external_id"):
        key, value = _field(record, name)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        # a record id may be a number (12345), if a finite one; a title, url, outlet or language not
        if number and (name != "external_id" or (isinstance(value, float) and not math.isfinite(value))):
            fields[name] = ""
            unread.append(_unread(key, value, f"a number, not {_FIELD_MEANING[name]}"))
            continue
        fields[name] = _as_text(value)
        if value is not None and not fields[name]:
            kind = "a boolean" if isinstance(value, bool) else _EMPTY_KINDS.get(type(value), "no text")
            unread.append(_unread(key, value, f"{kind}, not {_FIELD_MEANING[name]}"))
    key, value = _field(record, "published")
    published = normalize_date(value)
    unset = isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0  # the epoch: unset
    if value is not None and published is None and not unset:
        unread.append(_unread(key, value, "not a date"))
    article = make_article(text=text, published=published, origin=origin, position=position, **fields)
    return replace(article, removed=article.removed + tuple(unread)) if unread else article


#: what a JSON value that is not an object is, as a message names it
_JSON_KINDS: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_EMPTY_KINDS: dict[type, str] = {dict: "an object with no name, text or url", list: "an array with no text"}
_FIELD_MEANING = {
    "title": "a title",
    "url": "a URL",
    "source": "an outlet",
    "language": "a language",
    "external_id": "an id",
}


def read_json(data: bytes, origin: str) -> Iterator[Record]:
    """The articles of one JSON document (its bytes, read whole); raises InputError when the
    document cannot be parsed, quarantines a bad article of it and goes on."""
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


def read_jsonl(stream: BinaryIO, origin: str, settings: Settings) -> Iterator[Record]:
    """The articles of a JSON Lines stream, line by line (a line is held up to
    ``settings.max_document_bytes``, never more); a bad line is quarantined with its number."""
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
                # json's own message may end "starting at": the column finishes it
                where = "" if exc.msg.endswith(" at") else " at"
                yield Quarantined(origin, position, f"malformed JSON: {exc.msg}{where} column {exc.colno}")
            except InputError as exc:
                yield Quarantined(origin, exc.position, exc.reason)
            except RecursionError:
                yield Quarantined(origin, position, TOO_DEEP)
            except ValueError as exc:  # a number too long to convert: this line only
                yield Quarantined(origin, position, _bad_value(exc))
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        where = f"after line {lineno}" if lineno else "start"  # the first line could not be read
        yield Quarantined(origin, where, f"cannot read further: {describe_read_error(exc)}")
