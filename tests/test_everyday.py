"""Everyday use without surprises (issue 13): the cases a new user and an attacker ran into, each
as it was run, with the one-line message and exit code the README documents."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli.app import EXIT_ERROR, EXIT_OK, app
from storyline.errors import StoreError, StorylineError
from storyline.models import Article, Quarantined
from storyline.store.sqlite import SQLiteStore

runner = CliRunner()
GOOD = "The harbour authority of Sallow Bay said on Friday that the ferry service would resume next week."
OTHER = "Farmers in the Oder valley began the grape harvest two weeks early after a dry and very hot summer."


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the command, as `storyline.cli.main` would give them."""
    result = runner.invoke(app, list(args), input=input)
    if isinstance(result.exception, StorylineError):
        return EXIT_ERROR, result.stdout, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def storyline(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in a fresh process (what main() prints, never a traceback)."""
    return subprocess.run(
        [sys.executable, "-m", "storyline", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def _jsonl(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1, 2: run


@pytest.mark.slow
def test_run_without_path_groups_the_store_and_run_twice_reads_no_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _jsonl(
        tmp_path / "news.jsonl",
        {"doc_id": "a", "title": "Ferry back", "date": "2024-03-08", "source": "a.example", "text": GOOD},
        {
            "doc_id": "b",
            "title": "Ferry resumes",
            "date": "2024-03-08",
            "source": "b.example",
            "text": GOOD + " Pier 3.",
        },
        {"doc_id": "c", "title": "Early harvest", "date": "2024-03-09", "source": "c.example", "text": OTHER},
    )
    code, _, _ = invoke("ingest", "news.jsonl", "--db", "news.db")
    assert code == EXIT_OK
    # no PATH: what is stored is grouped, and nothing else goes in
    code, _, err = invoke("run", "--db", "news.db", "--no-reports")
    assert code == EXIT_OK and "grouping the 3 article(s) stored in news.db" in err
    with SQLiteStore("news.db") as store:
        assert store.count_articles() == 3 and not store.unassigned_ids()
    # a folder read twice: the store's own files and the reports folder are never read
    for _ in range(2):
        code, _, _ = invoke("run", ".", "--db", "news.db")
        assert code == EXIT_OK
    assert (tmp_path / "reports" / "index.html").exists()
    with SQLiteStore("news.db") as store:
        assert store.count_articles() == 3
        assert list(store.iter_quarantine()) == []
        assert "storyline" not in " ".join(s.title for s in store.list_stories())
    # the sample corpus only when asked for
    code, _, err = invoke("run", "--db", "fresh.db")
    assert code == EXIT_ERROR and "--sample" in err and not Path("fresh.db").exists()


def test_report_pages_are_never_read_as_articles(tmp_path: Path) -> None:
    from storyline.readers.sources import read_paths

    page = tmp_path / "reports" / "st-1.html"
    page.parent.mkdir()
    page.write_text(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="generator" content="storyline">\n<title>Stories · storyline</title></head>'
        f"<body><article><p>{GOOD}</p><p>{OTHER}</p></article></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "s.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (tmp_path / "s.db-wal").write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 100)
    records = list(read_paths([tmp_path], exclude=[tmp_path / "s.db", tmp_path / "s.db-wal"]))
    assert [Path(r.origin).name for r in records] == ["a.txt"]


# --------------------------------------------------------------------------- 3, 4, 8: readers


def _warc(n: int) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for i in range(n):
        html = f"<html><head><title>Page {i}</title></head><body><article><p>{GOOD} {i}</p><p>{OTHER}</p></article></body></html>"
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                f"https://n{i}.example/", "response", payload=io.BytesIO(html.encode()), http_headers=headers
            )
        )
    return buf.getvalue()


def _with_length(data: bytes, record: int, delta: int) -> bytes:
    starts = [m.start() for m in re.finditer(rb"WARC/1\.\d\r\n", data)] + [len(data)]
    block = data[starts[record] : starts[record + 1]]
    length = re.search(rb"Content-Length: (\d+)", block)
    assert length
    block = block.replace(length.group(0), b"Content-Length: %d" % (int(length.group(1)) + delta), 1)
    return data[: starts[record]] + block + data[starts[record + 1] :]


@pytest.mark.parametrize("delta", [+40, -40, +5000])
@pytest.mark.parametrize("gz", [False, True])
def test_warc_record_with_wrong_content_length_is_quarantined_alone(delta: int, gz: bool) -> None:
    import gzip

    from storyline.readers.html import HtmlDocument
    from storyline.readers.sources import read_stream

    data = _with_length(_warc(5), 1, delta)
    if gz:
        data = gzip.compress(data)
    records = list(read_stream(io.BytesIO(data), origin="x.warc"))
    pages = [r for r in records if isinstance(r, HtmlDocument)]
    bad = [r for r in records if isinstance(r, Quarantined)]
    assert [p.url for p in pages] == [f"https://n{i}.example/" for i in (0, 2, 3, 4)]
    [q] = bad
    assert q.position.startswith("record 1") and "Content-Length" in q.reason


def test_deeply_nested_json_line_is_quarantined_and_the_others_stored(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    lines = [json.dumps({"text": f"{GOOD} {i}"}) for i in range(6)]
    lines.insert(2, "[" * 100_000 + "]" * 100_000)
    lines.insert(5, '{"text": ' + "[" * 3000 + '"x"' + "]" * 3000 + "}")
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = invoke("ingest", str(path), "--db", str(tmp_path / "d.db"), "--json")
    assert code == 3 and json.loads(out)["stored"] == 6
    _, out, _ = invoke("quarantine", "--db", str(tmp_path / "d.db"), "--json")
    assert [(q["position"], "nested too deeply" in q["reason"]) for q in json.loads(out)] == [
        ("line 3", True),
        ("line 6", True),
    ]
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, _ = invoke("ingest", str(tmp_path / "deep.json"), "--db", str(tmp_path / "d.db"))
    assert code == 3


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_is_read(tmp_path: Path, encoding: str) -> None:
    from storyline.readers.sources import read_paths

    text = "date 2024-03-08\n\nFähre fährt wieder\n\n" + GOOD + " Grüße aus Köln."
    (tmp_path / "a.txt").write_bytes(
        ("\ufeff" + text).encode(encoding) if "-" in encoding else text.encode(encoding)
    )
    (tmp_path / "b.jsonl").write_bytes(
        "".join(
            json.dumps({"text": f"{GOOD} Nr. {i} – Köln"}, ensure_ascii=False) + "\n" for i in range(3)
        ).encode(encoding)
    )
    records = list(read_paths([tmp_path]))
    assert all(isinstance(r, Article) for r in records), records
    first = records[0]
    assert isinstance(first, Article)
    assert first.title == "Fähre fährt wieder" and first.published == "2024-03-08" and "Köln" in first.text
    assert [r.text.endswith("Köln") for r in records[1:]] == [True] * 3


def test_damaged_utf8_is_flagged_not_turned_into_mojibake(tmp_path: Path) -> None:
    from storyline.readers.sources import read_paths

    # the damage far from the file's start, and in a JSONL line that has no other non-ASCII letter
    head = ("x " * 40_000 + "Grüße aus Köln ").encode()
    (tmp_path / "late.txt").write_bytes(head + b"\xe6\x97 tail")
    (tmp_path / "lines.jsonl").write_bytes(
        json.dumps({"text": GOOD + " Grüße"}, ensure_ascii=False).encode()
        + b"\n"
        + b'{"text": "'
        + GOOD.encode()
        + b' Gr\xfc\xdfe"}\n'
    )
    records = {(Path(r.origin).name, r.position): r for r in read_paths([tmp_path])}
    late = records[("late.txt", "")]
    assert isinstance(late, Quarantined) and f"invalid UTF-8 at byte {len(head)}" in late.reason
    line2 = records[("lines.jsonl", "line 2")]
    assert isinstance(line2, Quarantined) and "invalid UTF-8" in line2.reason
    assert isinstance(records[("lines.jsonl", "line 1")], Article)


# --------------------------------------------------------------------------- 5: control characters

HOSTILE_TITLE = "Ferry \x1b]0;owned\x07\x1b[2J back\x00 \x9b31m today"


def test_cleaning_strips_control_characters_and_records_them() -> None:
    from storyline.clean.rules import clean_article, strip_controls

    raw = Article(id="x", text=f"{GOOD}\x00\x00\tTabs stay.\n\nNew\x1b[2Jline\x85 here.", title=HOSTILE_TITLE)
    clean = clean_article(raw)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", clean.text + clean.title)
    assert "\n\n" in clean.text and "Tabs stay" in clean.text
    assert strip_controls("a\tb\nc\x00")[0] == "a\tb\nc"  # tab and newline are kept
    assert clean.title == "Ferry back today"  # each escape sequence goes whole, not only its ESC
    assert "Newline here." in clean.text
    assert [r.text for r in clean.removed if r.reason == "control-character"] == [
        "1 x terminal escape sequence, 2 x U+0000, 1 x U+0085",
        "title: 3 x terminal escape sequence, 1 x U+0000",
    ]


def test_terminal_output_never_carries_escape_sequences(tmp_path: Path) -> None:
    from storyline.pipeline import assign_stories
    from storyline.testing import FakeEmbedder

    db = tmp_path / "h.db"
    article = Article(
        id="0123456789abcdef", text=GOOD, title=HOSTILE_TITLE, source="\x1b[31mred.example", language="e\x1bn"
    )
    with SQLiteStore(db) as store:  # as a store written by an older storyline would hold it
        store.write_batch([article], [Quarantined("bad\x1b[2J.txt", "line 1", "x\x9b2J")])
        assign_stories(store, embedder=FakeEmbedder())
        story = store.list_stories()[0].id
    for args in (["articles"], ["stories"], ["show", story], ["quarantine"], ["articles", "--json"]):
        code, out, _ = invoke(*args, "--db", str(db))
        assert code == EXIT_OK, args
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), (args, out)
    _, out, _ = invoke("articles", "--db", str(db), "--json")
    assert json.loads(out)[0]["title"] == HOSTILE_TITLE  # JSON keeps the value, escaped


def test_safe_console_shows_controls_as_symbols() -> None:
    from rich.text import Text

    from storyline.report.terminal import SafeConsole, sanitize

    assert sanitize("a\x1b[2Jb\x00c\u202ed\te\nf") == "a␛[2Jb␀c<U+202E>d\te\nf"
    console = SafeConsole(file=io.StringIO(), force_terminal=True, width=80)
    console.print(Text("x\x1b]0;t\x07y", style="bold"))
    written = console.file.getvalue()  # type: ignore[attr-defined]
    assert "␛]0;t" in written and "\x07" not in written and "\x1b]0" not in written
    assert "\x1b[1m" in written  # Rich's own styling still works


# --------------------------------------------------------------------------- 6, 7: the store


def _read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open every store read-only, as a file without write permission is (root ignores chmod)."""
    import storyline.store.sqlite as store_module

    connect = sqlite3.connect

    def read_only(path: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        return connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module.sqlite3, "connect", read_only)


def test_read_only_store_reads_and_refuses_writes_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ro.db"
    _jsonl(tmp_path / "a.jsonl", {"text": GOOD})
    assert invoke("ingest", str(tmp_path / "a.jsonl"), "--db", str(db))[0] == EXIT_OK
    _jsonl(tmp_path / "b.jsonl", {"text": OTHER})
    _read_only(monkeypatch)
    code, out, _ = invoke("articles", "--db", str(db), "--json")
    assert code == EXIT_OK and len(json.loads(out)) == 1
    code, _, err = invoke("ingest", str(tmp_path / "b.jsonl"), "--db", str(db))
    assert code == EXIT_ERROR
    assert (
        err
        == f"cannot write to the store {str(db)!r}: attempt to write a readonly database (the file or its folder is not writable)"
    )
    monkeypatch.undo()
    with SQLiteStore(db) as store:
        assert store.count_articles() == 1


def test_full_disk_is_one_line_and_keeps_the_earlier_batches(tmp_path: Path) -> None:
    db = tmp_path / "full.db"
    with SQLiteStore(db) as store:
        store._db.execute("PRAGMA max_page_count=40")  # SQLite's "database or disk is full" at 160 kB
        written = 0
        with pytest.raises(StoreError) as caught:
            for i in range(200):
                store.write_batch([Article(id=f"{i:016x}", text=f"{GOOD} {i} " * 40)])
                written += 1
    message = str(caught.value)
    assert "\n" not in message and str(db) in message and "database or disk is full" in message
    with SQLiteStore(db) as store:
        assert store.count_articles() == written > 0
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store.write_batch([Article(id="f" * 16, text=GOOD)])  # and the store goes on
        assert store.count_articles() == written + 1


def test_full_disk_through_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storyline.store.sqlite as store_module

    original = store_module.SQLiteStore._migrate

    def tiny(self: SQLiteStore) -> None:
        original(self)
        self._db.execute("PRAGMA max_page_count=40")

    monkeypatch.setattr(store_module.SQLiteStore, "_migrate", tiny)
    _jsonl(tmp_path / "big.jsonl", *({"text": f"{GOOD} {i} " * 60} for i in range(400)))
    code, _, err = invoke("ingest", str(tmp_path / "big.jsonl"), "--db", str(tmp_path / "f.db"))
    assert code == EXIT_ERROR and "database or disk is full" in err and "\n" not in err


_CREATE = """
import sys, time
from pathlib import Path
from storyline.models import Article
from storyline.store import SQLiteStore
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
with SQLiteStore(sys.argv[1]) as store:
    store.write_batch([Article(id=f"{int(sys.argv[3]):016x}", text="text")])
"""


def test_two_processes_creating_a_new_store_at_once(tmp_path: Path) -> None:
    db, go = tmp_path / "new.db", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CREATE, str(db), str(go), str(n)], stderr=subprocess.PIPE, text=True
        )
        for n in range(6)
    ]
    time.sleep(1.0)  # every process is waiting
    go.touch()
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    with SQLiteStore(db) as store:
        assert store.count_articles() == 6


# --------------------------------------------------------------------------- 9: small surprises


def test_read_commands_on_a_missing_store_say_so_and_create_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "nwes.db"
    for command in (["articles"], ["stories"], ["quarantine"], ["show", "st-x"]):
        proc = storyline(*command, "--db", str(typo))
        assert proc.returncode == EXIT_ERROR, command
        assert (
            proc.stderr.strip()
            == f"error: the store {str(typo)!r} does not exist: give --db, or run `storyline run` first"
        )
        assert not typo.exists()


def test_version() -> None:
    from storyline import __version__

    proc = storyline("--version")
    assert proc.returncode == EXIT_OK and proc.stdout.strip() == __version__


def test_stories_after_only_ingest_hints_at_run(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    _jsonl(tmp_path / "a.jsonl", {"text": GOOD}, {"text": OTHER})
    invoke("ingest", str(tmp_path / "a.jsonl"), "--db", db)
    code, _, err = invoke("stories", "--db", db)
    assert code == EXIT_OK
    assert f"2 stored article(s) are in no story yet: `storyline run --db {db}` groups them" in err


def test_a_story_of_unnamed_outlets_shows_no_count_of_outlets(tmp_path: Path) -> None:
    # Two reports of one fire, neither naming its outlet (no source field, no URL): "0 outlets"
    # would say that no one published them; the table shows that it does not know.
    db = str(tmp_path / "n.db")
    fire = "A fire destroyed the Alder Street warehouse in Brookline on Monday night, officials said."
    again = "Fire destroyed a warehouse on Alder Street in Brookline late on Monday, officials said."
    _jsonl(tmp_path / "a.jsonl", {"text": fire, "title": "Warehouse fire"}, {"text": again, "title": "Fire"})
    code, out, err = invoke("run", str(tmp_path / "a.jsonl"), "--db", db, "--reports", str(tmp_path / "r"))
    assert code == EXIT_OK
    row = next(line for line in out.splitlines() if "st-" in line and "Warehouse fire" in line)
    assert re.search(r"│\s+2 │\s+– │", row), row
    assert "reports of the 1 story with two or more versions" in " ".join(err.split())


def test_a_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    _jsonl(tmp_path / "a.jsonl", {"text": GOOD})
    missing = tmp_path / "nope.jsonl"
    for command in ("ingest", "run"):
        proc = storyline(command, str(tmp_path / "a.jsonl"), str(missing), "--db", str(tmp_path / "x.db"))
        assert proc.returncode == EXIT_ERROR
        assert proc.stderr.strip() == f"error: {missing}: no such file or folder; nothing was read"
    proc = storyline("ingest", str(tmp_path / "*.txt"), "--db", str(tmp_path / "x.db"))
    assert proc.returncode == EXIT_ERROR and "the pattern matches no file" in proc.stderr
    assert not (tmp_path / "x.db").exists() or SQLiteStore(tmp_path / "x.db").count_articles() == 0


def test_no_sqlite_traceback_on_an_unwritable_folder(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    _jsonl(tmp_path / "a.jsonl", {"text": GOOD})
    proc = storyline("ingest", str(tmp_path / "a.jsonl"), "--db", str(folder / "s.db"))
    assert proc.returncode == EXIT_ERROR and "Traceback" not in proc.stderr and "s.db" in proc.stderr


# --------------------------------------------------------------------------- 10: the report


def _versions(n: int) -> list[Article]:
    return [
        Article(
            id=f"v{i:02d}",
            title=f"Harbour bridge opens, report {i}",
            source=f"outlet{i}.example",
            published=f"2024-05-{1 + i % 28:02d}",
            language="en",
            text="",
            sentences=(
                "Mayor Lena Hartwig opened the new harbour bridge on Monday.",
                f"The bridge cost {40 + i % 3} million euros, the city said.",
                f"Outlet {i} adds a line of its own, number {i}.",
            ),
        )
        for i in range(n)
    ]


def test_a_story_of_fifty_versions_shows_three_side_by_side_and_lists_the_rest() -> None:
    from storyline.compare.versions import compare_articles
    from storyline.features.mentions import heuristic_tagger
    from storyline.models import Story
    from storyline.report.html import render_html_report
    from storyline.testing import FakeEmbedder

    versions = _versions(50)
    comparison = compare_articles(versions, embedder=FakeEmbedder(), tagger=heuristic_tagger)
    story = Story(id="st-many", title="Bridge", article_ids=tuple(a.id for a in versions))
    html = render_html_report(story, versions, comparison, [])
    boxes = re.findall(r'<input type="checkbox" id="pick-([A-Z]+)"( checked)?>', html)
    assert len(boxes) == 50 and [label for label, checked in boxes if checked] == ["A", "B", "C"]
    # a ticked version's column shows, an unticked one is hidden and listed in the collapsed table
    assert "body:has(#pick-AX:checked) .columns .v-AX" in html
    assert ".columns .version { display: none; }" in html
    rest = html[html.index('<details class="rest">') :]
    assert rest.count('<tr class="r-') == 50 and "outlet49.example" in rest
    assert html.count('<article class="version v-') == 50  # every column is there to tick in
    assert '<details class="pairs"><summary>' in html  # the 1,225 pairs' word diffs start collapsed
    few = compare_articles(versions[:2], embedder=FakeEmbedder(), tagger=heuristic_tagger)
    assert 'type="checkbox"' not in render_html_report(story, versions[:2], few, [])


def test_the_index_lists_every_story_with_outlets_languages_copies_and_a_filter(tmp_path: Path) -> None:
    import base64
    import hashlib

    from storyline.features.mentions import heuristic_tagger
    from storyline.models import CopyLink, CopyType
    from storyline.pipeline import assign_stories
    from storyline.report.html import write_story_reports
    from storyline.testing import FakeEmbedder

    a, b = _versions(2)
    a = replace(a, text=" ".join(a.sentences))
    b = replace(b, text=" ".join(a.sentences), language="de")
    alone = Article(
        id="alone", title="Grape <b>harvest</b>", text=OTHER, source="wine.example", language="fr"
    )
    with SQLiteStore(tmp_path / "i.db") as store:
        store.write_batch([a, b, alone])
        assign_stories(store, embedder=FakeEmbedder())
        stories = store.list_stories()
        together = next(s for s in stories if len(s.article_ids) == 2)
        store.write_copies([CopyLink(b.id, a.id, CopyType.WIRE, 0.99, {})], [a.id, b.id])
        index = write_story_reports(
            store, tmp_path / "reports", embedder=FakeEmbedder(), tagger=heuristic_tagger
        )
    page = index.read_text(encoding="utf-8")
    rows = page[page.index("<tbody>") : page.index("</tbody>")].split("<tr>")[1:]
    assert len(rows) == len(stories) == 2  # the single-article story is listed too
    big, single = rows
    assert f'href="{together.id}.html"' in big and "href=" not in single
    # an outlet may break after a dot on a narrow screen, never inside a word (<wbr>: no text, so
    # the filter box still finds "outlet0.example")
    assert all(
        f'<span class="tag">{x}</span>' in big
        for x in ("outlet0.<wbr>example", "outlet1.<wbr>example", "de", "en")
    )
    assert re.search(r'<td class="n">1</td>\s*<td class="n">', big)  # one copy link inside the story
    assert "Grape &lt;b&gt;harvest&lt;/b&gt;" in single and '<span class="tag">fr</span>' in single
    assert '<input id="filter" type="search"' in page
    script = page[page.index("<script>") + len("<script>") : page.index("</script>")]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page  # the CSP allows this script and no other


def test_make_run_is_the_sample_demo() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "storyline run --sample" in run


def test_export_to_standard_output_escapes_control_characters(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    with SQLiteStore(db) as store:  # as an older storyline stored it, before cleaning stripped them
        store.write_batch([Article(id="0123456789abcdef", text=GOOD + "\x1b[2J\x9b", title="T\x07")])
    code, out, _ = invoke("export", "articles", "--db", str(db))
    assert code == EXIT_OK and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert json.loads(out)["text"] == GOOD + "\x1b[2J\x9b"  # the JSON still holds the exact text
