"""Readers: one test per format, plus sources (folders, globs, stdin, gzip)."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.errors import InputError
from storyline.models import Article, Quarantined
from storyline.readers.html import HtmlDocument, extract_html
from storyline.readers.records import _SURROGATE, _has_surrogate, normalize_date
from storyline.readers.sources import FIELD_NAMES, detect_format, read_stream
from storyline.readers.sources import read_paths as read_records


def read_paths(paths: list[object], **kw: object) -> list[Article | Quarantined]:
    """The readers' output with HTML pages extracted (the runner does that in its workers)."""
    out: list[Article | Quarantined] = []
    for record in read_records(paths, **kw):  # type: ignore[arg-type]
        if isinstance(record, HtmlDocument):
            try:
                record = extract_html(record)
            except InputError as exc:
                record = Quarantined(exc.origin, exc.position, exc.reason)
        out.append(record)
    return out


BODY = (
    "The council of Lindenfeld voted on Tuesday to close the old bridge over the Wessel river. "
    "Engineers had found cracks in two of its five piers, the mayor said."
)


def articles(records: list[Article | Quarantined]) -> list[Article]:
    return [r for r in records if isinstance(r, Article)]


def test_text_with_date_line_and_title(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f" date 2024-03-05 \n\nBridge closed in Lindenfeld\n\n{BODY}\n", encoding="utf-8")
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert article.published == "2024-03-05"
    assert article.title == "Bridge closed in Lindenfeld"
    assert article.text.startswith("The council of Lindenfeld")
    assert article.origin == str(path)


def test_text_without_date_or_title(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text(BODY, encoding="utf-8")
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert article.published is None and article.title == ""
    assert article.text == BODY


def test_one_line_brief_is_its_own_text(tmp_path: Path) -> None:
    # a text that is only a title-like line (no final full stop) is a one-sentence brief, not a title
    path = tmp_path / "brief.txt"
    line = "Magnitude 5.1 earthquake shakes the Wessel valley on Tuesday, no damage reported"
    path.write_text(f"{line}\n\n", encoding="utf-8")
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert article.title == ""
    assert article.text == line


def test_bad_date_line_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("date 2024-13-45\n\n" + BODY, encoding="utf-8")
    [record] = list(read_paths([path]))
    assert isinstance(record, Quarantined)
    assert "date" in record.reason and record.position == "line 1"


def test_json_newsplease_fields(tmp_path: Path) -> None:
    record = {
        "title": "Bridge closed",
        "maintext": BODY,
        "date_publish": "2024-03-05 10:22:00",
        "url": "https://www.lindenfeld-post.example/bridge",
        "source_domain": "lindenfeld-post.example",
        "language": "en",
    }
    path = tmp_path / "a.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert (article.title, article.text, article.url, article.source, article.language) == (
        "Bridge closed",
        BODY,
        record["url"],
        "lindenfeld-post.example",
        "en",
    )
    assert article.published is not None and article.published.startswith("2024-03-05")


@pytest.mark.parametrize("text_key", ["text", "body", "content"])
@pytest.mark.parametrize("date_key", ["date", "published"])
def test_json_alternative_field_names(tmp_path: Path, text_key: str, date_key: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{text_key: BODY, date_key: "March 5, 2024", "link": "https://x.example/a"}]))
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert article.text == BODY and article.published == "2024-03-05"
    assert article.source == "x.example" and article.position == "item 0"


def test_field_names_document_newsplease_first() -> None:
    assert FIELD_NAMES["text"][0] == "maintext" and FIELD_NAMES["published"][0] == "date_publish"


def test_jsonl_good_and_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps({"text": BODY + " one"}),
        "{not json",
        json.dumps({"title": "no text"}),
        "",
        json.dumps({"text": BODY + " two", "doc_id": "x2"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = list(read_paths([path]))
    good = articles(records)
    bad = [r for r in records if isinstance(r, Quarantined)]
    assert [a.text[-3:] for a in good] == ["one", "two"]
    assert good[1].external_id == "x2"
    assert [(q.position, q.reason.split(":")[0]) for q in bad] == [
        ("line 2", "malformed JSON"),
        (
            "line 3",
            "no article text (looked for the fields maintext, text, body, "
            "content, article, article_text, description)",
        ),
    ]


def test_gzip_is_transparent(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": BODY}) + "\n")
    [article] = list(read_paths([path]))
    assert isinstance(article, Article) and article.text == BODY


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = gzip.compress("".join(json.dumps({"text": f"{BODY} {i}"}) + "\n" for i in range(2000)).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    records = list(read_paths([path]))
    assert len(articles(records)) > 100
    assert isinstance(records[-1], Quarantined)
    assert "truncated" in records[-1].reason and records[-1].position.startswith("after line")


HTML = b"""<!doctype html><html><head><title>Bridge closed | Lindenfeld Post</title>
<meta property="og:title" content="Bridge closed in Lindenfeld">
<link rel="canonical" href="https://www.lindenfeld-post.example/2024/bridge">
<meta property="article:published_time" content="2024-03-05T09:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>Bridge closed in Lindenfeld</h1>
<p>The council of Lindenfeld voted on Tuesday to close the old bridge over the Wessel river after
engineers found cracks in two of its five piers.</p>
<p>Traffic will be diverted over the northern ring road for at least six months, the mayor said,
while the town looks for money to repair or replace the structure.</p>
<p>Shopkeepers near the bridge said they feared losing customers during the closure.</p></article>
<footer>Copyright Lindenfeld Post</footer></body></html>"""


def test_html_page(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(HTML)
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert "cracks in two of its five piers" in article.text
    assert "Home" not in article.text and "Copyright" not in article.text
    assert article.url == "https://www.lindenfeld-post.example/2024/bridge"
    assert article.published is not None and article.published.startswith("2024-03-05")
    assert article.title == "Bridge closed in Lindenfeld"


def test_html_without_article_text_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_bytes(b"<html><head><title>x</title></head><body><nav>Home</nav></body></html>")
    [record] = list(read_paths([path]))
    assert isinstance(record, Quarantined) and "no article text" in record.reason


def _warc_bytes(pages: list[tuple[str, bytes]], *, gz: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("x.warc", {"software": "test"}))
    for url, body in pages:
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
        )
    return buf.getvalue()


@pytest.mark.parametrize("gz", [True, False])
def test_warc_html_responses(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("cc.warc.gz" if gz else "cc.warc")
    path.write_bytes(
        _warc_bytes(
            [
                ("https://a.example/1", HTML),
                ("https://b.example/2", HTML.replace(b"Shopkeepers", b"Traders")),
            ],
            gz=gz,
        )
    )
    got = articles(list(read_paths([path])))
    assert len(got) == 2
    assert got[1].text.count("Traders") == 1
    assert all(a.position.startswith("record ") for a in got)


def test_warc_with_broken_record_keeps_earlier_ones(tmp_path: Path) -> None:
    data = _warc_bytes([("https://a.example/1", HTML), ("https://b.example/2", HTML)], gz=False)
    cut = data.rfind(b"WARC/1")
    path = tmp_path / "broken.warc"
    path.write_bytes(data[:cut] + b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\n<html>")
    records = list(read_paths([path]))
    assert len(articles(records)) == 1
    assert any(isinstance(r, Quarantined) and "WARC" in r.reason for r in records)


def test_folder_glob_and_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(BODY)
    (tmp_path / "b.txt").write_text(BODY + " again")
    assert len(articles(list(read_paths([tmp_path])))) == 2
    assert len(articles(list(read_paths([str(tmp_path / "**" / "*.txt")])))) == 2
    [missing] = list(read_paths([tmp_path / "nope.txt"]))
    assert isinstance(missing, Quarantined) and "no such file" in missing.reason


def test_stream_sniffs_format_without_suffix() -> None:
    records = list(read_stream(io.BytesIO(json.dumps({"text": BODY}).encode()), origin="<stdin>"))
    assert isinstance(records[0], Article)
    assert isinstance(records[0], Article) and records[0].origin == "<stdin>"
    assert detect_format("x", b"WARC/1.0\r\n") == "warc"
    assert detect_format("x", b"<!DOCTYPE html><html>") == "html"
    assert detect_format("x", b'[{"a": 1}]') == "json"
    assert detect_format("page.htm.gz", b"\x1f\x8b") == "html"
    assert detect_format("x", b'{\n  "text": "a"}') == "json" and detect_format("x", b"[\n  1]") == "json"
    assert detect_format("x", b"PAR1\x15\x04") == "parquet"


@pytest.mark.parametrize(
    "opening",
    [
        "[UPDATE] Mayor resigns",
        "{Exclusive} Mayor resigns",
        "WARC/ is the name of a band",
        "PAR1 of a series",
        "[10:32] Live: mayor resigns",
        "[1] Footnote on the mayor",
    ],
)
def test_plain_text_that_opens_like_another_format_is_read_as_text(opening: str) -> None:
    body = f"{opening}\n\nThe mayor of Quellburg resigned on Monday after a long row over the budget."
    (article,) = read_stream(io.BytesIO(body.encode()), origin="article1")
    assert (
        isinstance(article, Article)
        and opening in article.title + article.text
        and "Quellburg" in article.text
    )
    # JSON cut short stays JSON, and is refused as such
    (cut,) = read_stream(
        io.BytesIO(b'[{"text": "The mayor of Quellburg resigned on Monday after'), origin="cut"
    )
    assert isinstance(cut, Quarantined) and cut.reason.startswith("malformed JSON")


def test_legacy_encoding_is_detected_and_stored(tmp_path: Path) -> None:
    text = (
        "Die Brücke über die Weßel wird geschlossen, sagte der Bürgermeister am Dienstag. "
        "Ingenieure fanden Risse in zwei der fünf Pfeiler; die Sperrung dauert mindestens sechs Monate."
    )
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("cp1252"))
    [article] = list(read_paths([path]))
    assert isinstance(article, Article)
    assert "Brücke" in article.text and "Bürgermeister" in article.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"\n \n", "only white space (3 bytes)"),
        ("binary.txt", bytes(range(256)) * 40, "binary"),
        ("broken.txt", "Grüße aus Köln, sagte er. ".encode() * 5 + b"\xff\xfe bad \xc3\x28", "invalid UTF-8"),
        ("bad.json", b'{"text": "unterminated', "malformed JSON"),
    ],
)
def test_bad_single_files_are_quarantined(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    [record] = list(read_paths([path]))
    assert isinstance(record, Quarantined)
    assert reason in record.reason
    assert record.origin == str(path)


def test_very_large_single_document_is_quarantined(tmp_path: Path) -> None:
    from storyline.settings import Settings

    path = tmp_path / "huge.txt"
    path.write_text(BODY * 200)
    [record] = list(read_paths([path], settings=Settings(max_document_bytes=10_000)))
    assert isinstance(record, Quarantined) and "too large" in record.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00+00:00"),
        ("5 March 2024", "2024-03-05"),
        (1709596800, "2024-03-05"),
        ("", None),
        (None, None),
        ("not a date at all", None),
    ],
)
def test_normalize_date(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


@given(
    st.lists(
        st.sampled_from(["a", "é", "日", "\ud800", "\udfff", "\ud83d\ude00", "😀", " "]), max_size=12
    ).map("".join)
)
def test_the_surrogate_check_agrees_with_the_pattern(text: str) -> None:
    assert _has_surrogate(text) == (_SURROGATE.search(text) is not None)


def test_utf16_cut_by_a_byte_keeps_its_text_and_damage_inside_names_its_byte() -> None:
    body = "Odd title\n\nOfficials said on Monday that the bridge over the Vantar river would reopen."
    data = body.encode("utf-16")
    (article,) = read_stream(io.BytesIO(data[:-1]), origin="odd16.txt")  # cut inside its last character
    assert isinstance(article, Article) and "Vantar river would reopen" in article.text
    damaged = data[:60] + b"\x00\xd8\x41\x00" + data[64:]  # a lone surrogate at byte 60
    (refused,) = read_stream(io.BytesIO(damaged), origin="mid16.txt")
    assert isinstance(refused, Quarantined) and "UTF-16-LE at byte 60" in refused.reason
