"""The command line, end to end, as a user runs it."""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli.app import EXIT_ERROR, EXIT_OK, EXIT_QUARANTINED, app
from storyline.errors import StorylineError

runner = CliRunner()
GOOD = "The harbour authority of Sallow Bay said on Friday that the ferry service would resume next week."


def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    if isinstance(result.exception, StorylineError):
        return EXIT_ERROR, result.stdout  # what storyline.cli.main turns it into
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_seeds_ingest_then_reingest(seeds_dir: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, _ = invoke("ingest", str(seeds_dir), "--db", db)
    assert code == EXIT_OK
    code, out = invoke("ingest", str(seeds_dir), "--db", db, "--json")
    assert code == EXIT_OK
    assert json.loads(out) | {} == {
        "read": 2,
        "stored": 0,
        "duplicates": 2,
        "quarantined": 0,
        "files": 2,
        "recleaned": 0,
    }
    code, out = invoke("articles", "--db", db, "--json")
    rows = json.loads(out)
    assert len(rows) == 2
    for key in ("id", "title", "published", "language", "source", "url", "text", "embeds", "removed"):
        assert all(key in row for row in rows)
    by_origin = {Path(r["origin"]).name[:3]: r for r in rows}
    assert by_origin["000"]["published"] == "2021-10-20"
    repost = by_origin["001"]
    assert not any(m in repost["text"] for m in ("[ad_1]", "[ad_2]", "Source link"))
    assert repost["embeds"][0]["kind"] == "tweet"
    assert {r["reason"] for r in repost["removed"]} == {"scraper-marker"}


def test_mixed_bad_inputs_are_quarantined_and_seeds_stored(seeds_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(seeds_dir, folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 50)
    (folder / "legacy.txt").write_bytes(
        (
            "Der Bürgermeister von Großenhain sagte am Montag, die Brücke über die Röder bleibe gesperrt."
        ).encode("cp1252")
    )
    (folder / "broken-utf8.txt").write_bytes("Grüße aus Köln. ".encode() * 3 + b"\xc3\x28\xff")
    gz = gzip.compress(b"".join(json.dumps({"text": f"{GOOD} {i}"}).encode() + b"\n" for i in range(500)))
    (folder / "cut.jsonl.gz").write_bytes(gz[: len(gz) // 2])
    (folder / "lines.jsonl").write_text(json.dumps({"text": GOOD}) + "\n{oops\n")
    (folder / "broken.warc").write_bytes(
        b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 50000\r\n\r\n<html>"
    )
    (folder / "nav.html").write_text("<html><body><nav>Home | News</nav></body></html>")
    db = str(tmp_path / "m.db")
    code, out = invoke("ingest", str(folder), "--db", db, "--json")
    stats = json.loads(out)
    assert code == EXIT_QUARANTINED
    code, out = invoke("quarantine", "--db", db, "--json")
    quarantined = {Path(q["source"]).name: q for q in json.loads(out)}
    assert set(quarantined) >= {
        "empty.txt",
        "binary.bin",
        "broken-utf8.txt",
        "cut.jsonl.gz",
        "lines.jsonl",
        "broken.warc",
        "nav.html",
    }
    assert all(q["reason"] for q in quarantined.values())
    assert quarantined["lines.jsonl"]["position"] == "line 2"
    _, out = invoke("articles", "--db", db, "--json")
    stored = {Path(r["origin"]).name for r in json.loads(out)}
    assert {
        "000_278f911a1c061c19.txt",
        "001_269c3aa8a2f3f0f3.txt",
        "legacy.txt",
        "lines.jsonl",
        "cut.jsonl.gz",
    } <= stored
    assert stats["stored"] == stats["read"] - stats["quarantined"]


def test_stdin(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    code, out = invoke("ingest", "-", "--db", db, "--json", input=json.dumps({"text": GOOD}) + "\n")
    assert code == EXIT_OK and json.loads(out)["stored"] == 1


def test_no_traceback_reaches_the_user(tmp_path: Path) -> None:
    bad_db = tmp_path / "notadb.db"
    bad_db.write_bytes(b"garbage" * 1000)
    proc = subprocess.run(
        [sys.executable, "-m", "storyline", "articles", "--db", str(bad_db)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "notadb.db" in proc.stderr


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The built-in sample corpus after `storyline run` (real models), shared by the tests below;
    its reports are in the folder `reports` beside the store."""
    folder = tmp_path_factory.mktemp("run")
    db = str(folder / "r.db")
    code, _ = invoke("run", "--sample", "--db", db, "--reports", str(folder / "reports"))
    assert code == EXIT_OK
    return db


@pytest.mark.slow
def test_run_groups_the_sample_corpus(sample_db: str) -> None:
    from storyline.cli.app import sample_corpus
    from storyline.evaluation import bcubed

    rows = [json.loads(line) for line in sample_corpus().read_text().splitlines() if line.strip()]
    gold = {r["doc_id"]: r["story"] for r in rows}
    _, out = invoke("stories", "--db", sample_db, "--json")
    stories = json.loads(out)
    _, out = invoke("articles", "--db", sample_db, "--json")
    external = {a["id"]: a["external_id"] for a in json.loads(out)}
    predicted = {external[a]: s["id"] for s in stories for a in s["articles"]}
    assert set(predicted) == set(gold)
    ids = sorted(gold)
    assert bcubed([predicted[i] for i in ids], [gold[i] for i in ids])["f1"] >= 0.95
    for key in ("id", "title", "articles", "sources", "languages", "first_published", "last_published"):
        assert key in stories[0]
    # threads: each later development joins the thread of the story it follows, a week on
    # (the Chile quake and its rebuilding, the Marbeiro strike and its end); the Peru quake and the
    # Torreblanca bus strike, between them in time and of the same kinds, join neither
    _, out = invoke("threads", "--db", sample_db, "--json")
    thread_of = {st: t["id"] for t in json.loads(out) for st in t["stories"]}
    story_of = {external[a]: s["id"] for s in stories for a in s["articles"]}
    gold_thread = {r["doc_id"]: r.get("thread", "story:" + r["story"]) for r in rows}
    assert {r.get("thread") for r in rows} == {None, "t01", "t02"}
    ids = sorted(gold_thread)
    by_thread = bcubed([thread_of[story_of[i]] for i in ids], [gold_thread[i] for i in ids])
    assert by_thread["f1"] == 1.0, by_thread
    assert thread_of[story_of["s01-a"]] == thread_of[story_of["s09-a"]] != thread_of[story_of["x02"]]


@pytest.mark.slow
def test_run_finds_the_planted_copies_and_no_others(sample_db: str) -> None:
    from storyline.cli.app import sample_corpus
    from storyline.store.sqlite import SQLiteStore

    rows = [json.loads(line) for line in sample_corpus().read_text().splitlines() if line.strip()]
    planted = {(r["doc_id"], r["copy_of"], r["copy_type"]) for r in rows if r.get("copy_of")}
    with SQLiteStore(sample_db) as store:
        external = {a.id: a.external_id for a in store.iter_articles()}
        found = {(external[c.copy], external[c.original], str(c.type)) for c in store.copies()}
    assert found == planted


@pytest.mark.slow
def test_show_story(sample_db: str) -> None:
    _, out = invoke("stories", "--db", sample_db, "--json")
    biggest = json.loads(out)[0]
    code, out = invoke("show", biggest["id"][:8], "--db", sample_db, "--json")
    shown = json.loads(out)
    assert code == EXIT_OK and shown["id"] == biggest["id"]
    assert [m["article"] for m in shown["members"]] == biggest["articles"]
    assert all("evidence" in m for m in shown["members"]) and isinstance(shown["copies"], list)
    assert shown["history"][0]["kind"] == "opened"
    code, _ = invoke("show", "st-nope", "--db", sample_db)
    assert code == EXIT_ERROR


@pytest.mark.slow
def test_eval_stories_json() -> None:
    from storyline.cli.app import sample_corpus

    code, out = invoke("eval", "stories", "--gold", str(sample_corpus()), "--json")
    scores = json.loads(out)
    assert code == EXIT_OK
    assert set(scores) >= {"bcubed", "pairwise", "n_articles", "n_stories"}
    rows = [json.loads(line) for line in sample_corpus().read_text().splitlines() if line.strip()]
    assert set(scores["bcubed"]) == {"p", "r", "f1"} and scores["n_articles"] == len(rows)
    # the sample's gold has threads (two stories, each followed by a later development a week on)
    assert any("thread" in r for r in rows) and set(scores["threads"]["bcubed"]) == {"p", "r", "f1"}
    from test_store_commands import _validate

    _validate("eval-stories", scores)
    # the gold grouping exactly: the Peru quake (x02, a week later) is not in the Chile quake's story
    assert scores["bcubed"]["f1"] == 1.0 and scores["n_predicted"] == scores["n_stories"]


def _versions(db: str, *record_ids: str) -> dict[str, str]:
    """Store ids of the sample corpus's records (`s01-a` …), by record id."""
    _, out = invoke("articles", "--db", db, "--json")
    ids = {a["external_id"]: a["id"] for a in json.loads(out)}
    return {r: ids[r] for r in record_ids}


@pytest.mark.slow
def test_compare_json_a_scraped_copy_and_its_original(sample_db: str) -> None:
    ids = _versions(sample_db, "s01-c", "s01-e")
    # by record id and by a store id prefix, as any command takes them
    code, out = invoke("compare", "s01-c", ids["s01-e"][:10], "--db", sample_db, "--json")
    result = json.loads(out)
    assert code == EXIT_OK
    assert {"entities", "timeline", "shared", "only_in", "conflicts"} <= set(result)
    assert [a["id"] for a in result["articles"]] == [ids["s01-c"], ids["s01-e"]]
    # the repost is the original word for word, plus an embedded tweet only it has
    assert len(result["shared"]) >= 10
    assert all({p["a"]["article"], p["b"]["article"]} == set(ids.values()) for p in result["shared"])
    assert result["only_in"][ids["s01-c"]] == []
    assert {p["kind"] for p in result["only_in"][ids["s01-e"]]} == {"embed:tweet"}
    # the copy link the store holds between them is used
    assert [(c["copy"], c["original"], c["type"]) for c in result["copies"]] == [
        (ids["s01-e"], ids["s01-c"], "scraped")
    ]
    assert "2024-02-13" in {t["date"] for t in result["timeline"]}  # "Tuesday's earthquake"


@pytest.mark.slow
def test_compare_two_reports_finds_the_updated_death_toll(sample_db: str) -> None:
    code, out = invoke("compare", "s01-a", "s01-c", "--db", sample_db, "--json")
    conflicts = json.loads(out)["conflicts"]
    assert code == EXIT_OK
    assert any(c["kind"] == "number" and c["values"] == ["at least 12", "14"] for c in conflicts)
    code, out = invoke("compare", "s01-a", "s01-c", "--db", sample_db)
    assert code == EXIT_OK
    for heading in ("2 versions compared", "Told by all versions", "Only in one version", "Conflicts (1)"):
        assert heading in out
    assert "Entities" in out and "Timeline" in out and "at least 12" in out


@pytest.mark.slow
def test_run_writes_a_report_per_story_with_versions(sample_db: str) -> None:
    reports = Path(sample_db).parent / "reports"
    _, out = invoke("stories", "--db", sample_db, "--json")
    several = [s for s in json.loads(out) if s["size"] >= 2]
    assert len(several) >= 8  # the sample corpus has 8 stories told by several outlets
    assert {p.name for p in reports.iterdir()} == {"index.html"} | {f"{s['id']}.html" for s in several}
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{s["id"]}.html"' in index for s in several)
    page = (reports / f"{several[0]['id']}.html").read_text(encoding="utf-8")
    assert "Versions side by side" in page and all(a in page for a in several[0]["articles"])


HOSTILE = {
    "doc_id": "h1",
    "title": "Ferry <script>alert(1)</script> [/b] resumes",
    "date": "2024-03-08",
    "source": "harbour.example",
    "text": "The harbour authority of Sallow Bay said on Friday that the ferry service would resume next "
    "week. <script>alert('x')</script> Captain Mara [/b] Lindqvist said the timetable starts on 12 March.",
}


@pytest.mark.slow
def test_report_of_a_single_article_story_escapes_its_markup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    code, _ = invoke("run", "h.jsonl", "--db", "h.db", "--no-reports")
    assert code == EXIT_OK and not (tmp_path / "reports").exists()
    code, out = invoke("report", "st-", "--db", "h.db")  # the only story, by a prefix
    assert code == EXIT_OK
    (written,) = (tmp_path / "reports").iterdir()
    assert str(Path("reports") / written.name) in out
    page = written.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "Ferry &lt;script&gt;alert(1)&lt;/script&gt; [/b] resumes" in page
    code, out = invoke("report", written.stem, "--db", "h.db", "-o", "one.html")
    assert code == EXIT_OK and "one.html" in out and (tmp_path / "one.html").read_text(encoding="utf-8")
    code, out = invoke("articles", "--db", "h.db")  # Rich markup in article text is shown, not parsed
    assert code == EXIT_OK and "[/b]" in out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["compare", "s01-a", "no-such-article"], "no-such-article"),
        (["compare", "s01-a", "{binary}"], "binary.bin"),
        (["report", "st-no-such-story"], "st-no-such-story"),
    ],
)
def test_compare_and_report_errors_name_the_culprit(
    sample_db: str, tmp_path: Path, args: list[str], named: str
) -> None:
    binary = tmp_path / "binary.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    args = [a.replace("{binary}", str(binary)) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "storyline", *args, "--db", sample_db], capture_output=True, text=True
    )
    assert proc.returncode == EXIT_ERROR and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error:") and named in line and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_analysis_json_outputs_match_their_shipped_schemas(sample_db: str, tmp_path: Path) -> None:
    """`compare`, `similarity`, `eval similarity` and `boilerplate` --json against their schemas
    (`eval stories`: in test_eval_stories_json and tests/test_threads.py)."""
    import jsonschema

    from test_store_commands import _validate

    code, out = invoke("compare", "s01-a", "s01-c", "s01-e", "--db", sample_db, "--json")
    assert code == EXIT_OK
    compared = json.loads(out)
    _validate("compare", compared)
    # checked on a comparison with every part filled: conflicts, partial facts, a copy link
    assert compared["conflicts"] and compared["copies"] and compared["timeline"]
    assert any(d.get("only_a") for f in compared["facts"] for d in f["differs"])
    code, out = invoke("similarity", "s01-a", "s01-b", "--db", sample_db, "--json")
    assert code == EXIT_OK
    _validate("similarity", json.loads(out))
    code, out = invoke("boilerplate", "--db", sample_db, "--json")
    assert code == EXIT_OK
    _validate("boilerplate", json.loads(out))
    gold = tmp_path / "sts.csv"
    pairs = [
        ("The Sallow Bay ferry resumes on Monday.", "Ferries across Sallow Bay restart Monday.", 1.0),
        ("The Sallow Bay ferry resumes on Monday.", "Oder valley farmers start the grape harvest.", 4.0),
        ("Oder valley farmers start the grape harvest.", "Grape picking began early in the Oder.", 1.5),
    ]
    with gold.open("w", encoding="utf-8", newline="") as handle:
        columns = ["pair_id", "lang1", "lang2", "text1", "text2"]
        dims = ["Geography", "Entities", "Time", "Narrative", "Overall", "Style", "Tone"]
        writer = csv.writer(handle)
        writer.writerow(columns + dims)
        for n, (one, two, score) in enumerate(pairs):
            writer.writerow([f"p{n}", "en", "en", one, two] + [score] * len(dims))
    code, out = invoke("eval", "similarity", "--gold", str(gold), "--json")
    assert code == EXIT_OK
    result = json.loads(out)
    _validate("eval-similarity", result)
    assert result["n_pairs"] == 3 and set(result["pearson"]) == {"all", "en-en"}
    with pytest.raises(jsonschema.ValidationError, match="is not of type"):
        _validate("eval-similarity", result | {"n_pairs": "3"})


def test_a_disbelieved_date_is_marked_and_left_out_of_the_span(tmp_path: Path) -> None:
    from storyline.cli.app import sample_corpus

    rows = [json.loads(line) for line in sample_corpus().read_text().splitlines() if line.strip()]
    quake = [r for r in rows if r["story"] == "s01"]
    quake[2]["date"] = "2999-03-05"  # a placeholder year: the story stage treats it as undated
    src = tmp_path / "quake.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in quake) + "\n")
    db = str(tmp_path / "q.db")
    code, _ = invoke("run", str(src), "--db", db, "--no-reports")
    assert code == EXIT_OK
    code, listed = invoke("stories", "--db", db, "--json")
    stories = json.loads(listed)
    (story,) = [s for s in stories if s["doubted_dates"]]
    assert all("2999" not in (s["first_published"] or "") + (s["last_published"] or "") for s in stories)
    code, shown = invoke("show", story["id"], "--db", db)
    assert code == EXIT_OK
    assert "2999-03-05 (not believed)" in shown and "2999" not in shown.split("\n")[1]
    code, table = invoke("stories", "--db", db)
    assert "→ 2999" not in table
    page = tmp_path / "r.html"
    code, _ = invoke("report", story["id"], "--db", db, "-o", str(page))
    assert code == EXIT_OK
    assert '2999-03-05 <span class="doubted"' in page.read_text()


@pytest.mark.slow
def test_the_tour_reads_well(sample_db: str, tmp_path: Path) -> None:
    """What a newcomer following README's tour sees: `show` prints the history and each member's
    closest match (README promises both), `boilerplate` on a store with none says so without an
    empty table, `eval stories` heads its table with one unbroken line, `similarity` shows its
    evidence as text (no Python lists), `eval similarity` says what its model was trained on."""
    from storyline.cli.app import sample_corpus

    code, listed = invoke("stories", "--db", sample_db, "--json")
    biggest = json.loads(listed)[0]
    code, shown = invoke("show", biggest["id"], "--db", sample_db)
    assert code == EXIT_OK
    history = shown[shown.index("\nhistory\n") :]
    assert " opened (score " in history and history.count(" joined (score ") == biggest["size"] - 1
    assert "closest" in shown and " p=" in shown
    result = runner.invoke(app, ["boilerplate", "--db", sample_db])
    assert result.exit_code == EXIT_OK and "scope" not in result.output
    assert "nothing recurring learned yet" in result.output
    code, scored = invoke("eval", "stories", "--gold", str(sample_corpus()))
    assert code == EXIT_OK
    rows = [json.loads(line) for line in sample_corpus().read_text().splitlines() if line.strip()]
    n_gold = len({r["story"] for r in rows})
    assert scored.splitlines()[0] == (
        f"stories vs corpus.jsonl: {len(rows)} articles, {n_gold} gold stories, {n_gold} predicted"
    )
    code, similar = invoke("similarity", "s01-a", "s01-b", "--db", sample_db)
    assert code == EXIT_OK and "['" not in similar and "shared places: " in similar
    gold = tmp_path / "sts.csv"
    with gold.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        dims = ["Geography", "Entities", "Time", "Narrative", "Overall", "Style", "Tone"]
        writer.writerow(["pair_id", "lang1", "lang2", "text1", "text2", *dims])
        writer.writerow(["p0", "en", "en", "The Sallow Bay ferry resumes.", "Ferries restart.", *[1.0] * 7])
        writer.writerow(["p1", "en", "en", "The ferry resumes.", "Farmers start the harvest.", *[4.0] * 7])
        writer.writerow(["p2", "en", "en", "Farmers start the harvest.", "Grape picking began.", *[1.5] * 7])
    result = runner.invoke(app, ["eval", "similarity", "--gold", str(gold)])
    assert result.exit_code == EXIT_OK
    assert "trained on 1,243 STS22 training pairs" in result.output


def test_help_shows_no_value_beside_a_flag_and_no_python_types() -> None:
    """`--help` of every command: a flag (``--json``, ``--help``) shows no type as if it took a
    value, several values show as ``<str>…``, never as ``<list[str]>``."""
    top = runner.invoke(app, ["--help"], env={"COLUMNS": "120"}).output
    commands = re.findall(r"│ ([a-z][\w-]*) {2,}", top)
    assert {"run", "compare", "threads", "eval"} <= set(commands)
    pages = [top] + [runner.invoke(app, [c, "--help"], env={"COLUMNS": "120"}).output for c in commands]
    pages += [
        runner.invoke(app, ["eval", c, "--help"], env={"COLUMNS": "120"}).output
        for c in ("stories", "similarity")
    ]
    for page in pages:
        assert "Usage:" in page
        assert "<bool>" not in page and "list[" not in page, page
        assert not re.search(r"--json +\S+ +Print JSON", page), page
    compare = pages[1 + commands.index("compare")]
    assert re.search(r"ARTICLE +<str>… +Two or more articles", compare), compare
