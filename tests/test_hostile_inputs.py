"""Hostile and broken inputs, found by an adversarial pass over every command: each test is a case
that failed before its fix (a lost record, a misleading reason, a traceback, an unescaped value)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from storyline.models import Quarantined
from storyline.readers.html import HtmlDocument
from storyline.readers.sources import read_paths, read_stream

LEAD = (
    "The city council of Porto voted on the new budget on Tuesday after a long debate about public "
    "transport and housing costs in the region. Opposition members said the plan was not enough."
)


def _page(i: int) -> bytes:
    return (
        f"<html><head><title>Budget {i}</title></head><body><article><p>{LEAD} Vote {i}.</p>"
        "</article></body></html>"
    ).encode()


def _warc(n: int, *, gz: bool, dns_after: int | None = None) -> bytes:
    """A WARC of ``n`` HTML responses (and a ``dns:`` response record after the one numbered ``dns_after``)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("x.warc", {"software": "test"}))
    for i in range(n):
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                f"https://n{i}.example/", "response", payload=io.BytesIO(_page(i)), http_headers=headers
            )
        )
        if i == dns_after:
            writer.write_record(
                writer.create_warc_record(
                    "dns:n.example",
                    "response",
                    payload=io.BytesIO(b"20240101000000\nn.example. 300 IN A 192.0.2.1\n"),
                    warc_content_type="text/dns",
                )
            )
    return buf.getvalue()


# --------------------------------------------------------------------------- WARC


@pytest.mark.parametrize("gz", [True, False])
def test_a_warc_cut_short_keeps_every_record_before_the_cut(gz: bool) -> None:
    data = _warc(8, gz=gz)
    cut = data[: int(len(data) * 0.7)]
    records = list(read_stream(io.BytesIO(cut), origin="cut.warc.gz" if gz else "cut.warc"))
    pages = [r for r in records if isinstance(r, HtmlDocument)]
    bad = [r for r in records if isinstance(r, Quarantined)]
    # the records wholly before the cut are all there, in order (a gzipped file lost them all)
    assert len(pages) >= 4
    assert [p.url for p in pages] == [f"https://n{i}.example/" for i in range(len(pages))]
    [q] = bad
    assert q.position == f"record {len(pages) + 1}" or q.position.startswith(f"record {len(pages) + 1} ")
    assert ("truncated" in q.reason) if gz else ("truncated WARC record" in q.reason)


@pytest.mark.parametrize("size", [20, 60, 200])
def test_a_warc_cut_inside_its_first_record_says_so_once(size: int) -> None:
    data = _warc(1, gz=True)
    records = list(read_stream(io.BytesIO(data[:size]), origin="cut.warc.gz"))
    [q] = records
    assert isinstance(q, Quarantined) and "truncated" in q.reason and "-1" not in q.position


def test_a_non_http_response_record_is_skipped_not_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(_warc(3, gz=True, dns_after=0))
    records = list(read_paths([path]))
    assert not [r for r in records if isinstance(r, Quarantined)]
    assert [r.url for r in records if isinstance(r, HtmlDocument)] == [
        f"https://n{i}.example/" for i in range(3)
    ]


def test_a_text_file_named_warc_is_named_as_not_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("hello, this is plain text that happens to carry a .warc suffix")
    [q] = list(read_paths([path]))
    assert isinstance(q, Quarantined) and "does not start with a WARC record header" in q.reason


def test_a_gzipped_jsonl_cut_short_keeps_its_lines() -> None:
    lines = b"".join(b'{"text": "%s %d"}\n' % (LEAD.encode(), i) for i in range(400))
    data = gzip.compress(lines)
    records = list(read_stream(io.BytesIO(data[: len(data) // 2]), origin="cut.jsonl.gz"))
    assert len([r for r in records if not isinstance(r, Quarantined)]) > 50
    assert isinstance(records[-1], Quarantined) and "truncated" in records[-1].reason
