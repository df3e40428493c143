"""Hostile and broken inputs, found by an adversarial pass over every command: each test is a case
that failed before its fix (a lost record, a misleading reason, a traceback, an unescaped value)."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storyline.models import Article, Quarantined
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
    assert records[-1].position == f"after line {len(records) - 1}"


def test_a_gzipped_jsonl_cut_inside_its_first_line_is_read_from_the_start() -> None:
    # no line was read: the error is at the start, not "after line 0"
    data = gzip.compress(b'{"text": "%s"}\n' % (LEAD.encode() * 40))
    [record] = list(read_stream(io.BytesIO(data[: len(data) // 2]), origin="cut.jsonl.gz"))
    assert isinstance(record, Quarantined) and record.position == "start"
    assert "cannot read further" in record.reason


# --------------------------------------------------------------------------- gold files of eval


def _jsonl(rows: list[object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


GOLD_TEXT = LEAD


@pytest.mark.parametrize(
    ("content", "reason", "line"),
    [
        ("", "no gold rows", ""),
        ("\n\n", "no gold rows", ""),
        (_jsonl([[1, 2]]), "not an object", "line 1"),
        (_jsonl([{"story": "s", "text": GOLD_TEXT}]), "no doc_id", "line 1"),
        (_jsonl([{"doc_id": None, "story": "s", "text": GOLD_TEXT}]), "no doc_id", "line 1"),
        (_jsonl([{"doc_id": "a", "story": ["x"], "text": GOLD_TEXT}]), "story is list", "line 1"),
        (
            _jsonl([{"doc_id": "a", "story": "s", "thread": {"t": 1}, "text": GOLD_TEXT}]),
            "thread is dict",
            "line 1",
        ),
        (
            _jsonl(
                [
                    {"doc_id": "a", "story": "s", "text": GOLD_TEXT},
                    {"doc_id": "a", "story": "t", "text": "x" + GOLD_TEXT},
                ]
            ),
            "doc_id 'a' again (first on line 1)",
            "line 2",
        ),
        (
            _jsonl(
                [
                    {"doc_id": 1, "story": "s", "text": GOLD_TEXT},
                    {"doc_id": "1", "story": "t", "text": "x" + GOLD_TEXT},
                ]
            ),
            "doc_id '1' again",
            "line 2",
        ),
    ],
)
def test_a_bad_gold_file_of_stories_is_named_not_scored(
    tmp_path: Path, content: str, reason: str, line: str
) -> None:
    from storyline.errors import InputError
    from storyline.evaluation import read_gold

    path = tmp_path / "gold.jsonl"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_gold(str(path))
    assert reason in caught.value.reason and caught.value.position == line
    assert caught.value.origin == str(path)


def test_a_gold_file_of_stories_in_latin1_is_read(tmp_path: Path) -> None:
    from storyline.evaluation import read_gold

    path = tmp_path / "gold.jsonl"
    rows = [{"doc_id": f"d{i}", "story": "s", "text": f"Café {GOLD_TEXT} {i}"} for i in range(2)]
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("latin-1"))
    articles, gold = read_gold(str(path))
    assert (
        [a.id for a in articles] == ["d0", "d1"] and "Café" in articles[0].text and set(gold) == {"d0", "d1"}
    )


SCORES = ["Geography", "Entities", "Time", "Narrative", "Overall", "Style", "Tone"]
CSV_HEAD = "pair_id,lang1,lang2,text1,text2," + ",".join(SCORES) + "\n"


@pytest.mark.parametrize(
    ("content", "reason", "line"),
    [
        (CSV_HEAD, "no pairs", ""),
        (CSV_HEAD + f'1,en,en,"{GOLD_TEXT}"\n', "4 fields where the header has 12", "line 2"),
        (
            CSV_HEAD + f'1,en,en,"{GOLD_TEXT}","{GOLD_TEXT}",nan,1,1,1,1,1,1\n',
            "bad Geography score 'nan'",
            "line 2",
        ),
        (
            CSV_HEAD + f'1,en,en,"{GOLD_TEXT}","{GOLD_TEXT}",1,1,1,1,9,1,1\n',
            "bad Overall score '9'",
            "line 2",
        ),
        (CSV_HEAD + f'1,en,en,"{GOLD_TEXT}","{GOLD_TEXT}",1,1,1,1,,1,1\n', "bad Overall score ''", "line 2"),
    ],
)
def test_a_bad_gold_csv_of_pairs_is_named_not_scored(
    tmp_path: Path, content: str, reason: str, line: str
) -> None:
    from storyline.errors import InputError
    from storyline.evaluation import read_gold_pairs

    path = tmp_path / "gold.csv"
    path.write_text(content)
    with pytest.raises(InputError) as caught:
        read_gold_pairs(path)
    assert reason in caught.value.reason and caught.value.position == line


def test_a_gold_csv_that_is_not_utf8_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    from storyline.errors import InputError
    from storyline.evaluation import read_gold_pairs

    path = tmp_path / "gold.csv"
    path.write_bytes(b"pair_id,text1\n1,\x00\x01\x02\xff\xfe binary\x00\n")
    with pytest.raises(InputError) as caught:
        read_gold_pairs(path)
    assert caught.value.origin == str(path)


# --------------------------------------------------------------------------- the command's output


def _storyline(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a fresh process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "storyline", *args], capture_output=True, text=True, timeout=600
    )


def test_pages_the_html_parser_rejects_are_quarantined_without_its_error_lines(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.html").write_text("just some words")
    (folder / "b.html").write_text("\n\n   <")
    done = _storyline("ingest", str(folder), "--db", str(tmp_path / "s.db"))
    assert done.returncode == 3
    assert "parsed tree length" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    assert "2 record(s) quarantined" in done.stderr + done.stdout


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("date 2026-02-30", "February 2026 has no day 30"),
        ("date 2023-02-29", "February 2023 has no day 29"),
        ("date 99999-01-01", "the year 99999 has 5 digits, not 4"),
        ("Date: 2024-13-01", "there is no month 13"),
        ("date 2024-00-10", "there is no month 0"),
        ("date 2024-3-5", "two digits"),
    ],
)
def test_a_date_line_that_is_not_a_day_is_named_not_taken_as_the_title(
    tmp_path: Path, line: str, why: str
) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{line}\n\nHeadline\n\n{LEAD}")
    [q] = list(read_paths([path]))
    assert isinstance(q, Quarantined) and q.position == "line 1"
    assert q.reason.startswith(f"bad date line {line!r}: ") and why in q.reason, q.reason


def test_a_leap_day_is_a_day(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"date 2024-02-29\n\nHeadline\n\n{LEAD}")
    [article] = list(read_paths([path]))
    assert isinstance(article, Article) and article.published == "2024-02-29"


@pytest.mark.parametrize("value", [0, 0.0, -1, float("nan")])
def test_an_unset_epoch_timestamp_is_no_date(value: float) -> None:
    from storyline.readers.records import normalize_date

    assert normalize_date(value) is None
    assert normalize_date(1_699_964_000) == "2023-11-14"  # a real one still is (12:13 UTC: any time zone)


# --------------------------------------------------------------------------- the store


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Exit code of the command run through ``storyline.cli.main`` (what a user gets) in this process."""
    from storyline.cli import main

    monkeypatch.setattr(sys, "argv", ["storyline", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return int(done.value.code or 0)


def test_a_damaged_store_is_named_with_what_may_save_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from storyline.store.sqlite import SQLiteStore

    db = tmp_path / "news.db"
    SQLiteStore(db).close()

    def damaged(self: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(SQLiteStore, "list_stories", damaged)
    assert _main(monkeypatch, "stories", "--db", str(db)) == 1
    err = capsys.readouterr().err
    assert f"the store {str(db)!r}: database disk image is malformed" in " ".join(err.split())
    assert ".recover" in err and "Traceback" not in err


def test_a_folder_given_as_the_store_is_named_as_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["stories"], ["ingest", str(tmp_path / "none.txt")]):
        (tmp_path / "none.txt").write_text(LEAD)
        assert _main(monkeypatch, *command, "--db", str(tmp_path)) == 1
        assert "is a folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- Parquet


def test_parquet_rows_are_read_with_wrong_types_and_gaps_quarantined_alone(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from storyline.models import Article

    path = tmp_path / "crawl.parquet"
    table = pa.table(
        {
            "title": ["Floods", None, "Numbers", "Bytes"],
            "text": [LEAD.encode(), None, b"12", ("Caf\xe9 " + LEAD).encode("latin-1")],
            "date_publish": [1_699_964_000, None, 0, 0],
            "url": ["https://a.example/1", None, None, "javascript:alert(1)"],
        }
    )
    pq.write_table(table, path, row_group_size=2)
    records = list(read_paths([path]))
    got = {r.position: r for r in records}
    assert set(got) == {"row 1", "row 2", "row 3", "row 4"}
    first, fourth = got["row 1"], got["row 4"]
    assert isinstance(first, Article) and first.text == LEAD and first.published == "2023-11-14"
    assert first.source == "a.example"
    assert isinstance(fourth, Article) and fourth.text.startswith("Café") and fourth.published is None
    assert isinstance(got["row 2"], Quarantined) and "no article text" in got["row 2"].reason


def test_a_parquet_file_without_a_text_column_is_quarantined_once_naming_its_columns(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"headline": ["a"] * 5, "summary": [LEAD] * 5}), path)
    [q] = list(read_paths([path]))
    assert (
        isinstance(q, Quarantined)
        and "no article text column" in q.reason
        and "headline, summary" in q.reason
    )


def test_a_file_named_parquet_that_is_not_is_named_so(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "fake.parquet"
    path.write_text(LEAD)
    [q] = list(read_paths([path]))
    assert isinstance(q, Quarantined) and "not a readable Parquet file" in q.reason


def test_storyline_reads_back_its_own_parquet_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    source = tmp_path / "in.jsonl"
    source.write_text(_jsonl([{"text": f"{LEAD} Item {i}.", "date": f"2024-03-0{i + 1}"} for i in range(3)]))
    first, second, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "a.parquet"
    assert _main(monkeypatch, "ingest", str(source), "--db", str(first)) == 0
    assert _main(monkeypatch, "export", "articles", "--db", str(first), "-f", "parquet", "-o", str(out)) == 0
    assert _main(monkeypatch, "ingest", str(out), "--db", str(second)) == 0
    from storyline.store.sqlite import SQLiteStore

    stored = []
    for db in (first, second):
        store = SQLiteStore(db, read_only=True)
        stored.append(sorted((a.text, a.published) for a in store.iter_articles()))
        store.close()
    assert len(stored[0]) == 3 and stored[0] == stored[1]


# --------------------------------------------------------------------------- the HTML report


def test_bidi_controls_in_titles_text_and_outlets_show_as_marks_in_the_report_and_index(
    tmp_path: Path,
) -> None:
    from storyline.compare.versions import compare_articles
    from storyline.features.mentions import heuristic_tagger
    from storyline.models import Article, Story
    from storyline.pipeline import assign_stories
    from storyline.report.html import render_html_report, write_story_reports
    from storyline.store.sqlite import SQLiteStore
    from storyline.testing import FakeEmbedder

    rlo = "\u202e"
    spoof = Article(
        id="spoof",
        title=f"Invoice {rlo}fdp.exe attached",
        source=f"{rlo}moc.elpmaxe",
        published="2024-05-08",
        language="en",
        text="",
        sentences=(f"Mayor Lena Hartwig opened the bridge {rlo}yadnoM no.", "It cost 40 million euros."),
    )
    plain = Article(
        id="plain",
        title="Bridge opens",
        source="news.example",
        published="2024-05-08",
        language="en",
        text="",
        sentences=("Mayor Lena Hartwig opened the bridge on Monday.", "It cost 55 million euros."),
    )
    comparison = compare_articles([spoof, plain], embedder=FakeEmbedder(), tagger=heuristic_tagger)
    story = Story(id="s-1", title=spoof.title, article_ids=("spoof", "plain"), sources=(spoof.source,))
    page = render_html_report(story, [spoof, plain], comparison, [])
    assert rlo not in page
    assert "Invoice &lt;U+202E&gt;fdp.exe attached" in page and "&lt;U+202E&gt;moc.elpmaxe" in page
    store = SQLiteStore(tmp_path / "s.db")
    store.write_batch([spoof, plain])
    assign_stories(store, embedder=FakeEmbedder())
    index = write_story_reports(
        store, tmp_path / "reports", embedder=FakeEmbedder(), tagger=heuristic_tagger, min_versions=1
    ).read_text(encoding="utf-8")
    store.close()
    assert rlo not in index and "&lt;U+202E&gt;moc.<wbr>elpmaxe" in index  # <wbr>: may break after the dot


@pytest.mark.parametrize("backend", ["sqlite", "memory"])
@pytest.mark.parametrize("given", ["", "%", "%%"])
def test_an_empty_or_wildcard_id_names_no_article_and_no_story(
    tmp_path: Path, backend: str, given: str
) -> None:
    from storyline.errors import NotFoundError
    from storyline.models import Assignment
    from storyline.readers.records import make_article
    from storyline.store.memory import MemoryStore
    from storyline.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db") if backend == "sqlite" else MemoryStore()
    article = make_article(text=LEAD, origin="a.jsonl")  # the only one: any prefix is "unique"
    store.write_batch([article])
    store.write_assignments([Assignment(article.id, "st-one", 1.0, True)], [(article.id, 738000, b"p")])
    with pytest.raises(NotFoundError):
        store.get_article(given)
    with pytest.raises(NotFoundError):
        store.current_story_id(given)
    assert store.get_article(article.id[:5]).id == article.id  # a real prefix still finds it
    assert store.current_story_id("st-o") == "st-one"
    store.close()


# --------------------------------------------------------------------------- folders and long lines


def test_pipes_and_devices_in_a_folder_are_skipped_not_read_forever(tmp_path: Path) -> None:
    import os

    from storyline.readers.sources import iter_sources

    (tmp_path / "a.txt").write_text(LEAD)
    os.mkfifo(tmp_path / "pipe.txt")  # opening it would wait for a writer forever
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")  # reading it would never end
    found = list(iter_sources([tmp_path]))
    assert str(tmp_path / "a.txt") in found
    skipped = {q.origin: q.reason for q in found if isinstance(q, Quarantined)}
    assert set(skipped) == {str(tmp_path / "pipe.txt"), str(tmp_path / "zero.jsonl")}
    assert all("not a regular file" in reason for reason in skipped.values())
    assert len(found) == 3


def test_linked_folders_are_followed_once_and_loops_are_not(tmp_path: Path) -> None:
    """A crawl folder holding symbolic links to folders: each folder linked from it is read (a
    link is how a crawl is often laid out), every file once; a link back up the tree, or to a
    folder read already, is not followed again (a loop would never end)."""
    from storyline.readers.sources import iter_sources

    crawl, elsewhere = tmp_path / "crawl", tmp_path / "elsewhere"
    (crawl / "2024" / "03").mkdir(parents=True)
    (crawl / "2024" / "03" / "a.txt").write_text(LEAD)
    (elsewhere / "b").mkdir(parents=True)
    (elsewhere / "b" / "b.txt").write_text(LEAD)
    (crawl / "extra").symlink_to(elsewhere)  # a link out of the folder: read
    (crawl / "more").symlink_to(elsewhere / "b")  # a folder read through "extra" already
    (crawl / "2024" / "03" / "up").symlink_to(crawl)  # a loop
    (crawl / "march").symlink_to(crawl / "2024" / "03")  # inside the folder being read
    (elsewhere / "b" / "back").symlink_to(elsewhere)  # a loop through the followed link
    found = list(iter_sources([crawl]))
    assert all(isinstance(f, str) for f in found), found
    # each file once, under one of its names (the linked folder b is reached as extra/b and more)
    assert [Path(f).name for f in found] == ["a.txt", "b.txt"]
    assert found[0] == str(crawl / "2024" / "03" / "a.txt")
    assert found[1] in (str(crawl / "extra" / "b" / "b.txt"), str(crawl / "more" / "b.txt"))
    # a recursive pattern follows the links too, round the loops up to the system's limit: each
    # file is still taken once
    found = list(iter_sources([f"{crawl}/**/*.txt"]))
    assert sorted(Path(f).name for f in found) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    "pattern", ["**", "**/*.txt", "**/", "x/**/*.html", "**/y/*", "*/**/*.txt", "**/nothing"]
)
def test_recursive_patterns_name_what_glob_names_on_a_tree_without_links(
    tmp_path: Path, pattern: str
) -> None:
    """``**`` is walked by storyline (loop-safe); without links it names what glob.glob names,
    a matched folder standing for its files."""
    import glob

    from storyline.readers.sources import iter_sources

    for name in (
        "a.txt",
        "b.json",
        "x/c.txt",
        "x/y/d.txt",
        "x/y/e.html",
        "z.txt/f.md",
        ".h/g.txt",
        "x/.i.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(LEAD)
    expected: set[str] = set()
    for match in glob.glob(f"{tmp_path}/{pattern}", recursive=True):
        expected |= set(iter_sources([match])) if os.path.isdir(match) else {match}
    found = list(iter_sources([f"{tmp_path}/{pattern}"]))
    if not expected:
        assert [q.reason for q in found if isinstance(q, Quarantined)] == ["the pattern matches no file"]
    else:
        assert found == sorted(expected)


def test_a_folder_that_cannot_be_listed_is_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyline.readers.sources import iter_sources

    (tmp_path / "a.txt").write_text(LEAD)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text(LEAD)
    listing = os.scandir

    def scandir(path: str) -> Any:  # a folder without read permission (root could list it anyway)
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = list(iter_sources([tmp_path]))
    assert found[0] == str(tmp_path / "a.txt")
    assert [(q.origin, q.reason) for q in found[1:] if isinstance(q, Quarantined)] == [
        (str(tmp_path / "locked"), "cannot list the folder: Permission denied")
    ]


class _Watched(io.BytesIO):
    """A stream that remembers the longest piece it handed out (what a reader held at once)."""

    longest = 0

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(-1 if size is None else size)
        self.longest = max(self.longest, len(line))
        return line

    def __next__(self) -> bytes:
        line = super().__next__()
        self.longest = max(self.longest, len(line))
        return line


def test_a_jsonl_line_longer_than_the_limit_is_never_held_whole(tmp_path: Path) -> None:
    from storyline.models import Article
    from storyline.settings import Settings

    huge = json.dumps({"text": "word " * 600_000}).encode()  # 3 MB on one line
    good = json.dumps({"text": LEAD}).encode()
    stream = _Watched(huge + b"\n" + good + b"\n")
    records = list(read_stream(stream, origin="big.jsonl", settings=Settings(max_document_bytes=10_000)))
    assert [type(r) for r in records] == [Quarantined, Article]
    first = records[0]
    assert isinstance(first, Quarantined) and first.position == "line 1"
    assert first.reason == f"record too large: {len(huge) + 1:,} bytes"
    assert stream.longest <= 1 << 20  # held in pieces, not the whole line


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize(
    "junk",
    ["&#27;[2J", "&#x1B;[31m", "\x1b[31m", "&#x1b;]0;owned&#7;", "&#1;", "&#0;", "&#150;"],
)
def test_a_control_character_or_terminal_escape_in_a_page_costs_nothing_of_it(junk: str) -> None:
    from storyline.readers.html import HtmlDocument, extract_html

    page = (
        f"<html><head><title>Port {junk}strike</title></head><body><article><h1>Port strike</h1>"
        f"<p>{junk}Dockworkers at Marbeiro walked out on Monday over pay, halting container traffic.</p>"
        "<p>The union said 4,000 members would stay out until Friday.</p></article></body></html>"
    )
    article = extract_html(HtmlDocument(page, origin="esc.html"))
    assert "Dockworkers at Marbeiro walked out" in article.text and "Friday" in article.text
    assert not any(ch in article.text + article.title for ch in "\x1b\x00\x01\x07[]")


def test_references_to_letters_stay_letters_beside_the_control_ones() -> None:
    from storyline.readers.html import HtmlDocument, extract_html

    letters = "&#1488;&#1513;&#1512; &#x1F600; &#270;&#279; &#x8BF7; &#x1B3A;"
    page = (
        f"<html><head><title>Port strike {letters}</title></head><body><article><p>&#27;[2J{letters} "
        "Dockworkers at Marbeiro walked out on Monday over pay, halting container traffic.</p></article></body></html>"
    )
    article = extract_html(HtmlDocument(page, origin="letters.html"))
    assert "אשר 😀 Ďė 请 \u1b3a" in article.text and "אשר 😀 Ďė 请" in article.title
    assert "[2J" not in article.text


@pytest.mark.parametrize("depth", [300, 10_000])
def test_a_page_nested_past_the_parsers_depth_says_so(tmp_path: Path, depth: int) -> None:
    from storyline.errors import InputError
    from storyline.readers.html import extract_html

    body = "<div>" * depth + f"<p>{LEAD}</p>" + "</div>" * depth
    doc = HtmlDocument(f"<html><head><title>Deep</title></head><body>{body}</body></html>", "deep.html")
    with pytest.raises(InputError) as caught:
        extract_html(doc)
    assert "nests more than 256 elements deep" in caught.value.reason


def test_a_shallow_page_without_text_gives_the_plain_reason() -> None:
    from storyline.errors import InputError
    from storyline.readers.html import extract_html

    with pytest.raises(InputError) as caught:
        extract_html(HtmlDocument("<html><body><script>alert(1)</script></body></html>", "s.html"))
    assert caught.value.reason == "HTML page with no article text"


# --------------------------------------------------------------------------- pipes, stdin


def test_jsonl_on_standard_input_with_lines_longer_than_the_sniffed_head_is_read_line_by_line() -> None:
    from storyline.models import Article

    lines = [
        {"title": f"T{i}", "text": f"{LEAD} " * 6 + str(i)} for i in range(5)
    ]  # about 1,200 bytes a line
    data = _jsonl(lines).encode()
    assert len(data.split(b"\n", 1)[0]) > 512
    records = list(read_stream(io.BytesIO(data), origin="<stdin>"))
    assert [type(r) for r in records] == [Article] * 5  # was one 'malformed JSON: Extra data' for all


def test_a_json_document_on_one_line_from_standard_input_is_still_read() -> None:
    from storyline.models import Article

    doc = {"articles": [{"text": f"{LEAD} " * 6}, {"text": LEAD + " Two."}, 5]}
    records = list(read_stream(io.BytesIO(json.dumps(doc).encode()), origin="<stdin>"))
    assert [type(r) for r in records] == [Article, Article, Quarantined]
    assert records[2].position == "line 1 item 2"
    pretty = json.dumps({"text": LEAD}, indent=2).encode()
    assert [type(r) for r in read_stream(io.BytesIO(pretty), origin="<stdin>")] == [Article]


def test_a_pipe_named_on_the_command_line_is_read(tmp_path: Path) -> None:
    import os

    from storyline.models import Article

    read_end, write_end = os.pipe()
    os.write(write_end, gzip.compress(_jsonl([{"text": LEAD}, {"text": LEAD + " Again."}]).encode()))
    os.close(write_end)
    try:
        records = list(read_paths([f"/dev/fd/{read_end}"]))  # what <(zcat x) gives: it cannot seek
    finally:
        os.close(read_end)
    assert [type(r) for r in records] == [Article, Article]


def test_a_file_that_fails_to_read_is_quarantined_not_a_traceback() -> None:
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs Linux's /proc/self/mem (reading its start fails with EIO)")
    [q] = list(read_paths(["/proc/self/mem"]))
    assert isinstance(q, Quarantined) and q.reason.startswith("cannot read")


@pytest.mark.parametrize("value", ["N/A", "n/a", "A", "yesterday", "2 hours ago", "5 March", "2024", "1e999"])
def test_placeholders_and_dates_relative_to_the_clock_are_no_date(value: str) -> None:
    from storyline.readers.records import normalize_date

    assert normalize_date(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("March 2024", "2024-03-01"), ("3 mars 2024", "2024-03-03"), ("1699964000", "2023-11-14")],
)
def test_free_dates_with_a_month_and_a_year_and_epochs_as_text_are_read(value: str, expected: str) -> None:
    from storyline.readers.records import normalize_date

    assert normalize_date(value) == expected


@pytest.mark.parametrize("version", [0, 3, -1])
def test_another_programs_sqlite_database_is_refused_and_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], version: int
) -> None:
    import sqlite3

    db = tmp_path / "places.sqlite"
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    other.execute("INSERT INTO customers VALUES (1, 'Ada')")
    other.execute(f"PRAGMA user_version={version}")
    other.commit()
    other.close()
    before = db.read_bytes()
    (tmp_path / "a.txt").write_text(LEAD)
    for command in (["stories"], ["ingest", str(tmp_path / "a.txt")], ["run", "--no-reports"]):
        assert _main(monkeypatch, *command, "--db", str(db)) == 1
        err = " ".join(capsys.readouterr().err.split())
        assert "not a storyline store" in err and "customers" in err
    assert db.read_bytes() == before  # not a table added, not even the journal mode switched
    assert not (tmp_path / "places.sqlite-wal").exists()


# --------------------------------------------------------------------------- terminal tables


def test_a_title_with_control_characters_keeps_the_story_table_aligned() -> None:
    from rich.cells import cell_len

    from storyline.models import Story
    from storyline.report.terminal import SafeConsole, print_stories

    buffer = io.StringIO()
    console = SafeConsole(file=buffer, width=120, color_system=None)
    stories = [
        Story(id="st-1", title="Floods \x1b[2J in \u202egnp.exe Valparaiso", article_ids=("a",)),
        Story(id="st-2", title="A plain title", article_ids=("b",)),
        Story(id="st-3", title="A title\non two lines", article_ids=("c",)),
    ]
    print_stories(console, stories, Path("s.db"))
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith(("│", "┃", "┏", "└"))]
    assert "␛[2J" in buffer.getvalue() and "<U+202E>" in buffer.getvalue() and "\x1b" not in buffer.getvalue()
    assert len({cell_len(line) for line in lines}) == 1, lines  # every row as wide as the border
    assert len(lines) == 1 + 1 + 3 + 1 and "A title␊on two lines" in buffer.getvalue()  # a line a story


def _members(data: bytes) -> list[int]:
    """Where each gzip member of ``data`` starts."""
    import zlib

    starts, offset = [], 0
    while offset < len(data):
        starts.append(offset)
        d = zlib.decompressobj(31)
        d.decompress(data[offset:])
        offset = len(data) - len(d.unused_data)
    return starts


@pytest.mark.parametrize("where", ["deflate", "crc"])
def test_a_damaged_gzip_member_of_a_warc_costs_its_record_only(where: str) -> None:
    data = bytearray(_warc(6, gz=True))
    starts = [*_members(bytes(data)), len(data)]
    member = 3  # the warcinfo record is member 0: this is the response of https://n2.example/
    if where == "deflate":
        middle = (starts[member] + starts[member + 1]) // 2
        data[middle : middle + 6] = bytes(b ^ 0x5A for b in data[middle : middle + 6])
    else:
        data[starts[member + 1] - 6] ^= 0xFF  # the CRC-32 in the member's trailer
    records = list(read_stream(io.BytesIO(bytes(data)), origin="crawl.warc.gz"))
    pages = [r.url for r in records if isinstance(r, HtmlDocument)]
    bad = [r for r in records if isinstance(r, Quarantined)]
    # every other record kept (GzipFile ended the file at the damage: records 3-5 were lost)
    assert pages == [f"https://n{i}.example/" for i in (0, 1, 3, 4, 5)]
    assert [q.position for q in bad] == [f"gzip member at offset {starts[member]:,}"]
    assert "damaged gzip data" in bad[0].reason


# --------------------------------------------------------------------------- odd JSON values


def test_a_lone_surrogate_in_json_text_becomes_a_replacement_character(tmp_path: Path) -> None:
    from storyline.models import Article
    from storyline.pipeline import prepare_record

    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"title": "Half an emoji \\ud83d", "text": "' + LEAD + ' \\udc00 cut.", "source": "x\\ud800"}\n'
    )
    [record] = list(read_paths([path]))
    assert isinstance(record, Article) and "\ufffd cut." in record.text and record.title.endswith("\ufffd")
    prepared = prepare_record(record)  # language detection encodes the text: it raised TypeError
    assert isinstance(prepared, Article) and prepared.source == "x\ufffd"


def test_an_integer_too_long_to_read_costs_its_record_only(tmp_path: Path) -> None:
    from storyline.models import Article

    huge = "1" + "0" * 5000
    lines = [f'{{"text": "{LEAD}", "date": {huge}}}', json.dumps({"text": LEAD + " Two."})]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "b.json").write_text(f'[{{"text": "{LEAD}", "date": {huge}}}]')
    records = list(read_paths([tmp_path / "a.jsonl", tmp_path / "b.json"]))
    assert [type(r) for r in records] == [Quarantined, Article, Quarantined]
    assert all("unreadable JSON value" in r.reason for r in records if isinstance(r, Quarantined))
    assert records[0].position == "line 1"


def test_bytes_that_start_like_gzip_but_are_not_are_read_as_they_are() -> None:
    from storyline.models import Article

    data = b"\x1f\x8b\n" + json.dumps({"text": LEAD}).encode() + b"\n"  # the magic, but no deflate byte
    records = list(read_stream(io.BytesIO(data), origin="x.jsonl"))
    assert [type(r) for r in records] == [Quarantined, Article]  # was one 'corrupt compressed data' for all


@pytest.mark.parametrize(
    "given",
    [
        '"date": "0001-01-01"',
        '"date": "0005-03-01T00:00:00"',
        '"date": "0999-12-31"',
        '"date": "1970-01-01T00:00:00Z"',
        '"published": "1900-01-01"',
    ],
)
def test_a_placeholder_date_is_no_date_and_run_survives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(f'{{"text": "{LEAD}", {given}}}\n')
    [article] = list(read_paths([path]))
    assert article.published is None  # type: ignore[union-attr]
    # a day of the year 1970 that is not the epoch's is believed
    path.write_text(f'{{"text": "{LEAD}", "date": "1970-01-02"}}\n')
    assert [a.published for a in read_paths([path])] == ["1970-01-02"]  # type: ignore[union-attr]
    path.write_text(f'{{"text": "{LEAD}", {given}}}\n')
    if "0001-01-01" in given:  # the threads stage subtracted its gap from it: OverflowError, a traceback
        assert _main(monkeypatch, "run", str(path), "--db", str(tmp_path / "s.db"), "--no-reports") == 0


def test_a_record_that_fails_to_prepare_is_quarantined_alone_and_the_batch_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug met by one record (here: a preparation step that raises) quarantines that record with
    what went wrong; the records around it in the same batch are stored."""
    from storyline import pipeline
    from storyline.settings import Settings
    from storyline.testing import MemoryStore

    real = pipeline.prepare_record

    def failing(record: object, **kw: object) -> object:
        if "Vote 2." in getattr(record, "text", ""):
            raise RuntimeError("a bug met by this record")
        return real(record, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "prepare_record", failing)
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"text": f"{LEAD} Vote {i}."}) + "\n" for i in range(4)))
    store = MemoryStore()
    stats, new = pipeline.ingest([path], store, settings=Settings(workers=1, boilerplate=False))
    assert stats.stored == 3 and len(new) == 3
    [bad] = list(store.iter_quarantine())
    assert bad.position == "line 3"
    assert bad.reason == "internal error while preparing: RuntimeError: a bug met by this record"


def test_threads_of_a_story_dated_near_the_first_day_of_the_calendar() -> None:
    """A story whose first day is within a thread gap of 0001-01-01 (no date before it) is threaded
    like any other; the stage does not stop on the date arithmetic."""
    from storyline.models import Article
    from storyline.pipeline import assign_stories, assign_threads, prepare_article
    from storyline.readers.records import make_article
    from storyline.settings import Settings
    from storyline.testing import FakeEmbedder, MemoryStore

    settings = Settings(min_text_chars=5)
    arts = []
    for i, day in enumerate(("0001-01-02", "2024-05-01")):
        prepared = prepare_article(
            make_article(text=f"{LEAD} Vote {i}.", published=day, origin="t", position=str(i)),
            settings=settings,
        )
        assert isinstance(prepared, Article)
        # the readers take a year before 1000 for a placeholder; a library caller may still give one
        arts.append(dataclasses.replace(prepared, published=day))
    store = MemoryStore()
    store.write_batch(arts)
    assign_stories(store, embedder=FakeEmbedder(), settings=settings)
    threads = assign_threads(store, settings=settings)
    threaded = [s for t in threads for s in t.stories]
    assert sorted(threaded) == sorted(s.id for s in store.list_stories())


# --------------------------------------------------------------------------- JSON fields of the wrong type


@pytest.mark.parametrize(
    ("value", "kind"), [(12345, "a number (12345)"), (3.5, "a number (3.5)"), (True, "a boolean (true)")]
)
def test_a_text_that_is_a_number_or_a_boolean_is_refused_and_named(value: object, kind: str) -> None:
    data = _jsonl([{"text": value}, {"text": LEAD}]).encode()
    bad, good = list(read_stream(io.BytesIO(data), origin="a.jsonl"))
    assert isinstance(bad, Quarantined) and bad.position == "line 1"
    assert bad.reason == f"no article text: the field 'text' holds {kind}"
    assert isinstance(good, Article)  # the rest of the file goes on


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({"title": {"a": 1}}, 'title: {"a": 1} is an object with no name, text or url, not a title'),
        ({"title": False}, "title: false is a boolean, not a title"),
        ({"id": {"x": 2}}, 'id: {"x": 2} is an object with no name, text or url, not an id'),
        ({"url": [{"rel": "x"}]}, 'url: [{"rel": "x"}] is an array with no text, not a URL'),
        ({"published": "9999-99-99"}, 'published: "9999-99-99" is not a date'),
        ({"date": True}, "date: true is not a date"),
        ({"published": "N/A"}, 'published: "N/A" is not a date'),
    ],
)
def test_a_field_that_holds_no_readable_value_is_left_empty_and_said_so(
    record: dict[str, Any], said: str
) -> None:
    [article] = list(read_stream(io.BytesIO(_jsonl([{"text": LEAD, **record}]).encode()), origin="a.jsonl"))
    assert isinstance(article, Article)
    assert [(r.reason, r.text) for r in article.removed] == [("unread-field", said)]
    assert article.published is None and article.external_id == "" and article.url == ""


def test_readable_fields_and_an_unset_timestamp_say_nothing() -> None:
    record = {
        "text": LEAD,
        "title": {"name": "Budget"},
        "id": 42,
        "published": 0,
        "url": "https://a.example/x",
    }
    [article] = list(read_stream(io.BytesIO(_jsonl([record]).encode()), origin="a.jsonl"))
    assert isinstance(article, Article) and article.removed == ()
    assert (article.title, article.external_id, article.published) == ("Budget", "42", None)


def test_numbers_for_a_title_url_or_outlet_are_left_out_and_said_so() -> None:
    from storyline.readers.jsonl import record_to_article

    article = record_to_article(
        {
            "text": LEAD,
            "title": 12345,
            "url": float("nan"),
            "source": float("inf"),
            "id": 42,
            "published": -5,
        },
        origin="n.jsonl",
        position="line 1",
    )
    assert (article.title, article.url, article.source, article.external_id) == ("", "", "", "42")
    assert [r.text for r in article.removed if r.reason == "unread-field"] == [
        "title: 12345 is a number, not a title",
        "url: NaN is a number, not a URL",
        "source: Infinity is a number, not an outlet",
        "published: -5 is not a date",
    ]
    endless = record_to_article({"text": LEAD, "id": float("-inf")}, origin="n.jsonl", position="line 2")
    assert endless.external_id == "" and "a number, not an id" in endless.removed[0].text
    huge = record_to_article({"text": LEAD, "id": 10**400}, origin="n.jsonl", position="line 3")
    assert huge.external_id == str(10**400)[:512]  # an integer id, however long, is an id


def test_an_endless_title_is_cut_and_said_so() -> None:
    from storyline.readers.records import MAX_FIELD_CHARS, make_article

    article = make_article(
        text=LEAD, title="Ferry " * 400_000, origin="t.jsonl", url="https://x.example/" + "a" * 9000
    )
    assert len(article.title) == MAX_FIELD_CHARS["title"] and len(article.url) == MAX_FIELD_CHARS["url"]
    assert [r.text.split(":")[0] for r in article.removed if r.reason == "truncated"] == ["title", "url"]
