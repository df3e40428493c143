"""Export what a store holds as JSONL, CSV or Parquet: articles, stories, memberships, copies.

Rows stream out of the store (memory stays flat for articles and memberships); the shape of a
row of each kind is documented by the JSON Schema ``schemas/export-KIND.json`` shipped with the
package. In CSV and Parquet, list and object fields are JSON text in one column; in JSONL they
are JSON. Parquet needs pyarrow (``pip install 'storyline[parquet]'``).

CSV is made for spreadsheets by default: article text is untrusted, and a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets (CSV injection). As OWASP advises, such a cell gets a ``'`` before it (shown as
text, the quote hidden); ``spreadsheet_safe=False`` writes every value exactly as stored (for a
program that reads the CSV). JSONL and Parquet are always exact.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import MissingExtraError, StorylineError
from .models import to_dict
from .report.terminal import sanitize

if TYPE_CHECKING:
    from .store.base import Store

KINDS = ("articles", "stories", "memberships", "copies")
FORMATS = ("jsonl", "csv", "parquet")

#: what a spreadsheet takes for the start of a formula (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(value: str) -> str:
    """``value`` with a ``'`` before it when a spreadsheet would run it as a formula (it starts
    with one of :data:`FORMULA_STARTS`); any other value unchanged."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


#: the columns of each kind, in order, with the Parquet type of each ("json": JSON text in CSV
#: and Parquet, a JSON value in JSONL)
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "articles": (
        ("id", "string"),
        ("external_id", "string"),
        ("title", "string"),
        ("text", "string"),
        ("published", "string?"),
        ("url", "string"),
        ("source", "string"),
        ("language", "string"),
        ("story_id", "string?"),
        ("origin", "string"),
        ("position", "string"),
        ("sentences", "json"),
        ("embeds", "json"),
        ("removed", "json"),
    ),
    "stories": (
        ("id", "string"),
        ("title", "string"),
        ("size", "int"),
        ("articles", "json"),
        ("sources", "json"),
        ("languages", "json"),
        ("first_published", "string?"),
        ("last_published", "string?"),
        ("merged_from", "json"),
    ),
    "memberships": (
        ("article_id", "string"),
        ("story_id", "string"),
        ("score", "float"),
        ("evidence", "json"),
    ),
    "copies": (
        ("copy", "string"),
        ("original", "string"),
        ("type", "string"),
        ("score", "float"),
        ("evidence", "json"),
    ),
}


def iter_rows(store: Store, kind: str) -> Iterator[dict[str, Any]]:
    """The rows of ``kind`` as plain dicts (the JSONL shape)."""
    if kind == "articles":
        story_of = store.story_ids_of(None)
        for a in store.iter_articles():
            row = to_dict(a)
            row["story_id"] = story_of.get(a.id)
            yield {name: row[name] for name, _ in COLUMNS["articles"]}
    elif kind == "stories":
        for s in store.list_stories():
            yield {
                "id": s.id,
                "title": s.title,
                "size": len(s.article_ids),
                "articles": list(s.article_ids),
                "sources": list(s.sources),
                "languages": list(s.languages),
                "first_published": s.first_published,
                "last_published": s.last_published,
                "merged_from": list(s.merged_from),
            }
    elif kind == "memberships":
        for m in store.iter_memberships():
            yield {
                "article_id": m.article_id,
                "story_id": m.story_id,
                "score": m.score,
                "evidence": m.evidence,
            }
    elif kind == "copies":
        for c in store.copies():
            yield {
                "copy": c.copy,
                "original": c.original,
                "type": str(c.type),
                "score": c.score,
                "evidence": to_dict(c.evidence),
            }
    else:
        raise StorylineError(f"unknown export kind {kind!r}; known: {', '.join(KINDS)}")


def _flat(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row for CSV or Parquet: JSON fields as JSON text."""
    return {
        name: json.dumps(row[name], ensure_ascii=False) if typ == "json" else row[name]
        for name, typ in COLUMNS[kind]
    }


@contextmanager
def _text_target(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle


def export(
    store: Store, kind: str, fmt: str, path: str | os.PathLike[str], *, spreadsheet_safe: bool = True
) -> int:
    """Write every row of ``kind`` to ``path`` (``-``: standard output, not for Parquet) in
    ``fmt``; returns the number of rows. A file that cannot be written is a StorylineError.
    ``spreadsheet_safe`` (CSV only): text cells a spreadsheet would run as formulas get a ``'``
    before them (:func:`defuse_formula`); False writes them exactly as stored."""
    if kind not in KINDS:
        raise StorylineError(f"unknown export kind {kind!r}; known: {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise StorylineError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    target = os.fspath(path)
    if fmt == "parquet":
        if target == "-":
            raise StorylineError("Parquet is binary: give a file with -o, not -")
        return _parquet(store, kind, target)
    n = 0
    with _text_target(target) as handle:
        if fmt == "jsonl":
            for row in iter_rows(store, kind):
                # json.dumps escapes C0 controls; DEL, C1 and bidi overrides are escaped too (same JSON)
                line = json.dumps(row, ensure_ascii=False)
                handle.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", line) + "\n")
                n += 1
        else:
            # CSV has no escapes: on a terminal, control characters (a store written before cleaning
            # stripped them) are shown as symbols instead of being obeyed
            tty = handle.isatty()
            writer = csv.DictWriter(handle, fieldnames=[name for name, _ in COLUMNS[kind]])
            writer.writeheader()
            for row in iter_rows(store, kind):
                flat = _flat(kind, row)
                if spreadsheet_safe:  # numbers stay numbers: only text cells can be formulas
                    flat = {k: defuse_formula(v) if isinstance(v, str) else v for k, v in flat.items()}
                if tty:
                    flat = {k: sanitize(v) if isinstance(v, str) else v for k, v in flat.items()}
                writer.writerow(flat)
                n += 1
    return n


#: rows written to a Parquet file per batch (what is held in memory at once)
PARQUET_BATCH = 2000

_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _parquet(store: Store, kind: str, target: str, batch: int = PARQUET_BATCH) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingExtraError("pyarrow", "parquet") from exc
    types = {
        "string": pa.string(),
        "string?": pa.string(),
        "json": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
    }
    schema = pa.schema([pa.field(name, types[typ], nullable=typ == "string?") for name, typ in COLUMNS[kind]])
    n = 0
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        rows: list[dict[str, Any]] = []
        for row in iter_rows(store, kind):
            rows.append(_flat(kind, row))
            if len(rows) >= batch:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                n += len(rows)
                rows = []
        if rows or not n:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            n += len(rows)
    return n
