"""Fuzzing the readers (hypothesis): random bytes, truncated and nested JSON, broken WARC headers,
mixed encodings. Nothing may escape as an exception; every record that does not become an
article is quarantined with its file and a reason; and where the damage is confined to one
record, the others come out whole.

Run with ``-s`` to see how many inputs were tried."""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.clean.rules import clean_article
from storyline.models import Article, Quarantined
from storyline.readers.html import HtmlDocument
from storyline.readers.records import utf16_encoding
from storyline.readers.sources import read_stream

TRIED = {"inputs": 0}
# a few thousand inputs in about 20 s on a busy 2-core machine: the JSON cases cost most (dates go
# through dateparser), the byte-level ones least
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = "The harbour authority of Sallow Bay said on Friday that the ferry service would resume next week."


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    print(f"\nreader fuzzing: {TRIED['inputs']} generated inputs, no crash")


def read(data: bytes, origin: str, fmt: str | None = None) -> list[Article | Quarantined | HtmlDocument]:
    """Everything the reader yields for ``data``, checked: only the three record kinds, every
    quarantined record with its origin and a reason, every article cleanable."""
    TRIED["inputs"] += 1
    records = list(read_stream(io.BytesIO(data), origin=origin, fmt=fmt))
    for r in records:
        assert isinstance(r, (Article, Quarantined, HtmlDocument)), r
        if isinstance(r, Quarantined):
            assert r.origin == origin and r.reason.strip(), r
        if isinstance(r, Article):
            clean_article(r)  # cleaning never fails on what a reader gives
    return records


FORMATS = st.sampled_from([None, "text", "json", "jsonl", "html", "warc"])


@MANY
@given(st.binary(max_size=2000), FORMATS, st.booleans())
def test_random_bytes(data: bytes, fmt: str | None, gz: bool) -> None:
    read(gzip.compress(data) if gz and fmt != "warc" else data, "x.bin", fmt)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
records = st.fixed_dictionaries(
    {"text": st.text(min_size=1, max_size=200) | json_values},
    optional={
        "title": json_values,
        "date": json_values,
        "url": json_values,
        "source": json_values,
        "language": json_values,
        "id": json_values,
    },
)


@st.composite
def jsonl_lines(draw: st.DrawFn) -> bytes:
    """One JSONL line: a record, any JSON value, a truncated record, nesting past any parser's
    depth, or bytes."""
    kind = draw(st.sampled_from(["record", "value", "truncated", "deep", "bytes"]))
    if kind == "record":
        line = json.dumps(draw(records), ensure_ascii=draw(st.booleans()))
    elif kind == "value":
        line = json.dumps(draw(json_values))
    elif kind == "truncated":
        full = json.dumps(draw(records))
        line = full[: draw(st.integers(0, max(0, len(full) - 1)))]
    elif kind == "deep":
        depth = draw(st.integers(1, 200_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"text":[', "]}")]))
        line = opener * depth + '"x"' + closer * draw(st.integers(0, depth))
    else:
        return draw(st.binary(max_size=300)).replace(b"\n", b" ")
    return line.encode("utf-8", "surrogatepass")


@FEWER
@given(st.lists(jsonl_lines(), min_size=1, max_size=8), st.booleans())
def test_jsonl_every_line_is_an_article_or_quarantined(lines: list[bytes], gz: bool) -> None:
    data = b"\n".join(lines) + b"\n"
    got = read(gzip.compress(data) if gz else data, "x.jsonl", "jsonl")
    assert all(not isinstance(r, HtmlDocument) for r in got)
    if utf16_encoding(data[:512]) is not None:
        assert got  # bytes that start like UTF-16/32 are read as such: something is said about them
    else:
        # one outcome per non-blank line (a line is an article or a quarantined record, never lost)
        assert len(got) == sum(1 for line in data.split(b"\n") if line.strip())


@FEWER
@given(st.lists(records, min_size=1, max_size=5) | json_values, st.integers(0, 4000), st.booleans())
def test_json_documents_whole_truncated_or_nested(doc: object, cut: int, wrap: bool) -> None:
    text = json.dumps({"articles": doc} if wrap else doc)
    read(text.encode(), "x.json", "json")
    read(text[: cut % (len(text) + 1)].encode(), "x.json", "json")
    read(("[" * (cut * 30) + text).encode(), "x.json", "json")


ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "cp1252",
    "latin-1",
    "shift_jis",
    "koi8-r",
]


@MANY
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=120), st.sampled_from(ENCODINGS)), min_size=1, max_size=3
    ),
    st.sampled_from([None, "text", "jsonl", "html"]),
)
def test_mixed_encodings(parts: list[tuple[str, str]], fmt: str | None) -> None:
    data = b"".join(t.encode(enc, "replace") for t, enc in parts)
    got = read(data, "x.txt", fmt)
    (text, encoding), *rest = parts
    # one Unicode encoding (with its mark where it has one): never taken for binary or garbage
    unicode = not rest and encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32")
    if unicode and fmt == "text" and text.strip() and text.isprintable():
        [article] = got
        assert isinstance(article, Article) and article.text == text.strip(), got


@FEWER
@given(
    st.text(
        st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=200
    ).filter(str.strip),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]),
)
def test_unicode_text_reads_back_exactly(text: str, encoding: str) -> None:
    """Text in a Unicode encoding (with its byte-order mark where it has one) is never taken for
    binary or a legacy encoding: it reads back as it was."""
    [article] = read(text.encode(encoding), "x.txt", "text")
    assert isinstance(article, Article) and article.text == text.strip()


def _record(i: int) -> bytes:
    html = f"<html><body><article><p>{GOOD} {i}</p></article></body></html>".encode()
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://n{i}.example/\r\n"
        f"WARC-Date: 2024-03-08T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:{i:08d}>\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


WARC = [_record(i) for i in range(5)]


def _urls(got: list[Article | Quarantined | HtmlDocument]) -> list[str]:
    return [r.url for r in got if isinstance(r, HtmlDocument)]


@MANY
@given(st.integers(0, 4), st.integers(-3000, 3000).filter(bool), st.booleans())
def test_warc_wrong_content_length_loses_only_that_record(k: int, delta: int, gz: bool) -> None:
    record = WARC[k]
    length = int(re.search(rb"Content-Length: (\d+)", record).group(1))  # type: ignore[union-attr]
    bad = record.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % max(0, length + delta), 1)
    data = b"".join([*WARC[:k], bad, *WARC[k + 1 :]])
    got = read(gzip.compress(data) if gz else data, "x.warc", "warc")
    if k == 4 and delta == 4:
        # the last record's length taking in its separator looks like a file that ends without
        # one: that record is read (with the separator as part of its page)
        assert _urls(got) == [f"https://n{i}.example/" for i in range(5)]
        return
    assert _urls(got) == [f"https://n{i}.example/" for i in range(5) if i != k]
    [q] = [r for r in got if isinstance(r, Quarantined)]
    assert q.position.startswith(f"record {k}")


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("k", [0, 2])
def test_a_content_length_past_the_size_limit_that_lies_loses_only_that_record(k: int, gz: bool) -> None:
    from storyline.settings import Settings

    length = int(re.search(rb"Content-Length: (\d+)", WARC[k]).group(1))  # type: ignore[union-attr]
    bad = WARC[k].replace(b"Content-Length: %d" % length, b"Content-Length: 25000000", 1)
    data = b"".join([*WARC[:k], bad, *WARC[k + 1 :]])
    if gz:
        data = gzip.compress(data)
    got = list(
        read_stream(io.BytesIO(data), origin="x.warc", settings=Settings(max_document_bytes=1_000_000))
    )
    assert _urls(got) == [f"https://n{i}.example/" for i in range(5) if i != k]
    [q] = [r for r in got if isinstance(r, Quarantined)]
    assert q.position.startswith(f"record {k}") and "runs past the next record" in q.reason


@pytest.mark.parametrize("gz", [False, True])
def test_a_record_header_inside_a_large_honest_record_is_not_taken_for_a_record(gz: bool) -> None:
    from storyline.settings import Settings

    quoted = _record(99).replace(b"https://n99.example/", b"https://evil.example/fake")
    page = b"<html><body><pre>" + quoted * 3 + b"x" * 5000 + b"</pre></body></html>"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + page
    big = (
        (
            b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://big.example/\r\n"
            b"Content-Length: %d\r\n\r\n" % len(http)
        )
        + http
        + b"\r\n\r\n"
    )
    data = b"".join([WARC[0], big, *WARC[1:]])
    if gz:
        data = gzip.compress(data)
    got = list(read_stream(io.BytesIO(data), origin="x.warc", settings=Settings(max_document_bytes=2000)))
    assert _urls(got) == [f"https://n{i}.example/" for i in range(5)]
    [q] = [r for r in got if isinstance(r, Quarantined)]
    assert q.position.startswith("record 1") and q.reason == f"record too large: {len(http):,} bytes"


@MANY
@given(
    st.integers(0, sum(map(len, WARC))), st.binary(max_size=16), st.sampled_from(["cut", "insert", "replace"])
)
def test_warc_broken_headers_and_truncation(at: int, junk: bytes, how: str) -> None:
    data = b"".join(WARC)
    if how == "cut":
        broken = data[:at]
    elif how == "insert":
        broken = data[:at] + junk + data[at:]
    else:
        broken = data[:at] + junk + data[at + len(junk) :]
    got = read(broken, "x.warc", "warc")
    # every record wholly before the damage comes out
    whole, end = 0, 0
    for r in WARC:
        if end + len(r) > at:
            break
        end += len(r)
        whole += 1
    assert _urls(got)[:whole] == [f"https://n{i}.example/" for i in range(whole)]
    if how == "cut":
        assert len(_urls(got)) == whole or (len(_urls(got)) == whole + 1 and at >= end + len(WARC[whole]) - 4)
