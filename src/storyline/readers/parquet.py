"""Parquet files (a crawl's or a dataset's table of articles; storyline's own export too): one
article per row, the columns named as JSON fields are (:data:`~storyline.readers.sources.FIELD_NAMES`).

Rows are read a batch at a time (memory holds one batch, not the file). A row that cannot be an
article is quarantined alone; a file with no text column, or that is not Parquet, is quarantined
once with its columns or the reason; a file damaged past some row keeps the rows before it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

from ..errors import InputError
from ..models import Article, Quarantined
from ..settings import DEFAULT_SETTINGS, Settings
from .records import Record, decode_text

#: rows read at a time
BATCH_ROWS = 1000
#: the install command named when pyarrow is missing
INSTALL = "pip install 'storyline[parquet]'"


#: how a row becomes an article: :func:`storyline.readers.sources.record_to_article` (passed in, so
#: this module and the one that calls it do not import each other)
ToArticle = Callable[..., Article]


def read_parquet(
    stream: BinaryIO,
    *,
    origin: str,
    fields: Mapping[str, tuple[str, ...]],
    to_article: ToArticle,
    settings: Settings = DEFAULT_SETTINGS,
) -> Iterator[Record]:
    """The articles of a Parquet stream, a row mapped by ``to_article`` with the column names of
    ``fields`` (the JSON field names). The stream is seekable (Parquet's index is at its end);
    one that is not, standard input, is read whole, up to ``settings.max_document_bytes``."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        yield Quarantined(origin, "", f"reading Parquet needs pyarrow: {INSTALL}")
        return
    if not stream.seekable():
        data = stream.read(settings.max_document_bytes + 1)
        if len(data) > settings.max_document_bytes:
            yield Quarantined(
                origin, "", f"Parquet on standard input larger than {settings.max_document_bytes:,} bytes"
            )
            return
        stream = io.BytesIO(data)
    try:
        table = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError, ValueError) as exc:
        yield Quarantined(origin, "", f"not a readable Parquet file: {exc}")
        return
    names = table.schema_arrow.names
    known = {name for field in fields.values() for name in field}
    columns = [name for name in names if name in known]
    if not any(name in names for name in fields["text"]):
        yield Quarantined(
            origin,
            "",
            f"no article text column (looked for {', '.join(fields['text'])}); "
            f"the file has {', '.join(names[:20]) or 'no columns'}",
        )
        return
    row = 0
    try:
        for batch in table.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            for record in batch.to_pylist():
                row += 1
                position = f"row {row}"
                try:
                    yield to_article(_texts(record, origin, position), origin=origin, position=position)
                except InputError as exc:
                    yield Quarantined(origin, exc.position or position, exc.reason)
    except (pa.ArrowException, OSError, ValueError, EOFError) as exc:
        yield Quarantined(origin, f"after row {row}" if row else "start", f"cannot read further: {exc}")


def _texts(record: dict[str, Any], origin: str, position: str) -> dict[str, Any]:
    """The row with binary values decoded as text (a column of bytes is text stored as bytes)."""
    return {
        key: decode_text(value, origin=origin, position=position) if isinstance(value, bytes) else value
        for key, value in record.items()
    }
