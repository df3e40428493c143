"""Filters and paging, settings from a file and the environment, export, the JSON Schemas of the
--json outputs, and store maintenance (issue 13)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli.app import EXIT_ERROR, EXIT_OK, EXIT_USAGE, app
from storyline.errors import ConfigError, StorylineError
from storyline.models import Article, CopyLink, CopyType, Quarantined
from storyline.store.sqlite import SQLiteStore

runner = CliRunner()
GOOD = "The harbour authority of Sallow Bay said on Friday that the ferry service would resume next week."
OTHER = "Farmers in the Oder valley began the grape harvest two weeks early after a dry and very hot summer."


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input, env=env)
    if isinstance(result.exception, StorylineError):
        return EXIT_ERROR, result.stdout, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _articles(n: int) -> list[Article]:
    sources = ("a.example", "b.example", "c.example")
    return [
        Article(
            id=f"{i:016x}",
            text=(GOOD if i % 2 else OTHER) + f" Item {i}.",
            title=f"{'Ferry' if i % 2 else 'Harvest'} {i}",
            published=f"2024-03-{1 + i % 28:02d}" if i % 10 else None,
            source=sources[i % 3],
            language=("en", "de")[i % 2],
            sentences=((GOOD if i % 2 else OTHER),),
        )
        for i in range(n)
    ]


@pytest.fixture
def db(built: Path, tmp_path: Path) -> str:
    """A fresh copy of the built store for each test (some change it)."""
    import shutil

    shutil.copy(built, tmp_path / "s.db")
    return str(tmp_path / "s.db")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of 150 articles in stories (grouped with the fake embedder), two copy links and
    three quarantined records."""
    from storyline.pipeline import assign_stories
    from storyline.testing import FakeEmbedder

    path = tmp_path_factory.mktemp("built") / "s.db"
    with SQLiteStore(path) as store:
        store.write_batch(
            _articles(150),
            [Quarantined(f"{d}/bad.txt", "", "empty file") for d in ("x", "y")]
            + [Quarantined("x/b.jsonl", "line 2", "malformed")],
        )
        assign_stories(store, embedder=FakeEmbedder())
        store.write_copies(
            [
                CopyLink(f"{3:016x}", f"{1:016x}", CopyType.WIRE, 0.97, {"rule": "test"}),
                CopyLink(f"{5:016x}", f"{1:016x}", CopyType.SPUN, 0.8, {}),
            ],
            [f"{i:016x}" for i in (1, 3, 5)],
        )
    return path


# --------------------------------------------------------------------------- filters and paging


def test_articles_filters_and_paging(db: str) -> None:
    def ids(*args: str) -> list[str]:
        code, out, _ = invoke("articles", "--db", db, "--json", *args)
        assert code == EXIT_OK
        return [a["id"] for a in json.loads(out)]

    every = _articles(150)
    assert len(ids()) == 150  # --json gives every row unless --limit says otherwise
    assert ids("--limit", "5", "--offset", "10") == [a.id for a in every[10:15]]
    assert ids("--since", "2024-03-27") == [
        a.id for a in every if a.published and a.published >= "2024-03-27"
    ]
    assert ids("--since", "2024-03-02", "--until", "2024-03-02") == [
        a.id for a in every if a.published == "2024-03-02"
    ]
    assert ids("--lang", "DE", "--source", "b.example") == [
        a.id for a in every if a.language == "de" and a.source == "b.example"
    ]
    code, out, err = invoke("articles", "--db", db)
    assert code == EXIT_OK and out.count("│ 0000") == 100  # a table shows 100 rows by default ...
    assert "rows 1-100 of 150: --offset 100 for the next, --limit 0 for all" in err  # ... and says so
    code, _, _ = invoke("articles", "--db", db, "--since", "March 3")
    assert code == EXIT_USAGE


def test_stories_filters_and_paging(db: str) -> None:
    code, out, _ = invoke("stories", "--db", db, "--json")
    every = json.loads(out)
    assert code == EXIT_OK and sum(s["size"] for s in every) == 150

    def got(*args: str) -> list[dict[str, object]]:
        code, out, _ = invoke("stories", "--db", db, "--json", *args)
        assert code == EXIT_OK
        return json.loads(out)  # type: ignore[no-any-return]

    assert got("--limit", "2", "--offset", "1") == every[1:3]
    assert got("--min-size", "3") == [s for s in every if s["size"] >= 3]
    assert got("--source", "c.example") == [s for s in every if "c.example" in s["sources"]]
    assert got("--lang", "de") == [s for s in every if "de" in s["languages"]]
    late = got("--since", "2024-03-20")
    assert late == [s for s in every if s["last_published"] and s["last_published"] >= "2024-03-20"]
    assert got("--until", "2024-03-01") == [
        s for s in every if s["first_published"] and s["first_published"] <= "2024-03-01"
    ]


def test_quarantine_filter_paging_and_clear(db: str) -> None:
    _, out, _ = invoke("quarantine", "--db", db, "--json", "--source", "x/")
    assert [q["source"] for q in json.loads(out)] == ["x/bad.txt", "x/b.jsonl"]
    _, out, _ = invoke("quarantine", "--db", db, "--json", "--limit", "1", "--offset", "1")
    assert [q["source"] for q in json.loads(out)] == ["y/bad.txt"]
    code, out, _ = invoke("quarantine", "--db", db, "--clear", "--source", "x/", "--json")
    assert code == EXIT_OK and json.loads(out) == {"cleared": 2}
    _, out, _ = invoke("quarantine", "--db", db, "--json")
    assert [q["source"] for q in json.loads(out)] == ["y/bad.txt"]
    code, _, err = invoke("quarantine", "--db", db, "--clear")
    assert code == EXIT_OK and "1 quarantined record(s) cleared" in err
    with SQLiteStore(db) as store:
        assert list(store.iter_quarantine()) == [] and store.count_articles() == 150


# --------------------------------------------------------------------------- settings


def test_config_file_environment_and_command_line_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyline.config import load_config, make_settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text(json.dumps({"text": GOOD}) + "\n")
    (tmp_path / "storyline.toml").write_text('db = "from-file.db"\nprecision = 0.7\nworkers = 1\n')
    env = {"STORYLINE_CONFIG": "", "STORYLINE_DB": ""}
    assert invoke("ingest", "in.jsonl", env=env)[0] == EXIT_OK
    assert Path("from-file.db").exists()  # ./storyline.toml is read
    assert invoke("ingest", "in.jsonl", env={**env, "STORYLINE_DB": "from-env.db"})[0] == EXIT_OK
    assert Path("from-env.db").exists()  # the environment beats the file
    assert (
        invoke("ingest", "in.jsonl", "--db", "from-cli.db", env={**env, "STORYLINE_DB": "from-env.db"})[0]
        == 0
    )
    assert Path("from-cli.db").exists()  # the command line beats both
    (tmp_path / "other.toml").write_text('db = "from-other.db"\n')
    assert invoke("--config", "other.toml", "ingest", "in.jsonl", env=env)[0] == EXIT_OK
    assert Path("from-other.db").exists()  # --config replaces ./storyline.toml
    # the same order for every setting
    values = load_config(None, env={"STORYLINE_PRECISION": "0.9"})
    assert make_settings(values).precision == 0.9 and make_settings(values).workers == 1
    assert make_settings(values, precision=0.2).precision == 0.2
    assert make_settings(load_config(None, env={})).precision == 0.7
    assert make_settings(load_config(None, env={"STORYLINE_HTML_FAST": "no"})).html_fast is False


@pytest.mark.parametrize(
    ("text", "env", "named"),
    [
        ("colour = 3\n", {}, "unknown setting 'colour'"),
        ('workers = "two"\n', {}, "workers must be int"),
        ("precision = 7\n", {}, "bad.toml: precision must be between 0 and 1"),
        ("precision = nan\n", {}, "bad.toml: precision must be between 0 and 1, got nan"),
        ("", {"STORYLINE_WORKERS": "-3"}, "$STORYLINE_WORKERS: workers must be >= 0"),
        ("db = \n", {}, "not valid TOML"),
        ("", {"STORYLINE_BATCH_SIZE": "many"}, "$STORYLINE_BATCH_SIZE: batch_size must be int"),
    ],
)
def test_bad_settings_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, env: dict[str, str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(text)
    (tmp_path / "in.jsonl").write_text(json.dumps({"text": GOOD}) + "\n")
    code, _, err = invoke("--config", "bad.toml", "ingest", "in.jsonl", env=env)
    assert code == EXIT_ERROR and named in err
    code, _, err = invoke("--config", "bad.toml", "stories", "--db", "none.db", env=env)
    assert code == EXIT_ERROR and named in err  # every command reads the settings, and checks them
    with pytest.raises(ConfigError):
        from storyline.config import load_config

        load_config(tmp_path / "missing.toml", env={})


# --------------------------------------------------------------------------- export and schemas


_VALIDATORS: dict[str, object] = {}


def _validate(name: str, value: object) -> None:
    """Check ``value`` against the shipped schema ``name`` (itself checked as a draft 2020-12 schema)."""
    import jsonschema

    from storyline.schemas import load_schema

    if name not in _VALIDATORS:
        schema = load_schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        _VALIDATORS[name] = jsonschema.Draft202012Validator(schema)
    _VALIDATORS[name].validate(value)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["articles", "stories", "memberships", "copies"])
def test_export_jsonl_csv_parquet_agree_and_match_the_schema(db: str, tmp_path: Path, kind: str) -> None:
    import pyarrow.parquet as pq

    files = {}
    for fmt in ("jsonl", "csv", "parquet"):
        files[fmt] = tmp_path / f"{kind}.{fmt}"
        exact = ["--exact"] if fmt == "csv" else []  # CSV as stored: nothing made safe for spreadsheets
        code, _, err = invoke("export", kind, "--db", db, "--format", fmt, "-o", str(files[fmt]), *exact)
        assert code == EXIT_OK and f"written as {fmt}" in err
    rows = [json.loads(line) for line in files["jsonl"].read_text(encoding="utf-8").splitlines()]
    for row in rows:
        _validate(f"export-{kind}", row)
    with SQLiteStore(db) as store:
        expected = {
            "articles": store.count_articles(),
            "stories": len(store.list_stories()),
            "memberships": 150,
            "copies": 2,
        }[kind]
    assert len(rows) == expected
    table = pq.read_table(files["parquet"]).to_pylist()
    with files["csv"].open(encoding="utf-8", newline="") as handle:
        from_csv = list(csv.DictReader(handle))
    assert len(table) == len(from_csv) == len(rows)
    # the same values in all three (list and object fields as JSON text in CSV and Parquet)
    for j, p, c in zip(rows, table, from_csv, strict=True):
        for key, value in j.items():
            flat = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value
            assert p[key] == flat, key
            assert c[key] == ("" if flat is None else str(flat)), key


def test_csv_export_defuses_formulas_unless_exact(tmp_path: Path) -> None:
    """A cell starting with = + - @, tab or carriage return is a formula to a spreadsheet (OWASP's
    CSV injection): the CSV export puts a ' before it, unless --exact asks for the stored values."""
    from storyline.readers.records import make_article

    db = str(tmp_path / "f.db")
    hostile = make_article(
        text="-5 degrees in Sallow Bay on Friday, the harbour authority said; ferries stayed in port.",
        title='=HYPERLINK("https://evil.example","click")',
        origin="x.jsonl",
        position="line 1",
        published="2024-03-01",
        url="https://a.example/1",
        source="@wire",
        external_id="+42",
    )
    calm = make_article(
        text="A calm day at the harbour; ferries ran on time.", title="Calm", origin="x.jsonl"
    )
    with SQLiteStore(db) as store:
        store.write_batch([hostile, calm])

    def exported(*extra: str) -> dict[str, dict[str, str]]:
        out = tmp_path / "a.csv"
        code, _, _ = invoke("export", "articles", "--db", db, "-f", "csv", "-o", str(out), *extra)
        assert code == EXIT_OK
        with out.open(encoding="utf-8", newline="") as handle:
            return {row["id"]: row for row in csv.DictReader(handle)}

    safe = exported()[hostile.id]
    assert safe["title"] == "'" + hostile.title
    assert safe["text"] == "'" + hostile.text
    assert (safe["source"], safe["external_id"]) == ("'@wire", "'+42")
    assert safe["url"] == hostile.url and safe["published"] == "2024-03-01"  # the rest as stored
    assert exported()[calm.id]["title"] == "Calm"
    exact = exported("--exact")[hostile.id]
    assert (exact["title"], exact["text"], exact["source"]) == (hostile.title, hostile.text, "@wire")


def test_export_to_stdout_and_bad_arguments(db: str) -> None:
    code, out, _ = invoke("export", "copies", "--db", db)
    assert code == EXIT_OK and [json.loads(x)["type"] for x in out.splitlines()] == ["wire", "spun"]
    assert invoke("export", "people", "--db", db)[0] == EXIT_USAGE
    assert invoke("export", "copies", "--db", db, "--format", "xml")[0] == EXIT_USAGE
    code, _, err = invoke("export", "copies", "--db", db, "--format", "parquet")
    assert code == EXIT_ERROR and "Parquet is binary" in err


def test_json_outputs_match_their_shipped_schemas(db: str, tmp_path: Path) -> None:
    from storyline.schemas import schema_names

    assert set(schema_names()) >= {"ingest", "articles", "quarantine", "stories", "show", "threads"}
    # every --json output has one (compare ... boilerplate: checked in tests/test_cli.py), and `schema` lists them
    analysis = {"compare", "similarity", "eval-stories", "eval-similarity", "boilerplate"}
    assert analysis <= set(schema_names())
    code, out, _ = invoke("schema")
    assert code == EXIT_OK and set(out.split()) == set(schema_names())
    code, out, _ = invoke("threads", "--db", db, "--json")  # threads not run yet: links name the story only
    assert code == EXIT_OK
    _validate("threads", json.loads(out))
    from storyline.pipeline import assign_threads

    with SQLiteStore(db) as store:
        assign_threads(store)
    code, out, _ = invoke("threads", "--db", db, "--json")
    assert code == EXIT_OK
    threaded = json.loads(out)
    _validate("threads", threaded)
    assert any("threshold" in link for t in threaded for link in t["links"])  # checked with evidence
    (tmp_path / "in.jsonl").write_text(json.dumps({"text": GOOD + " new"}) + "\n{bad\n")
    _, out, _ = invoke("ingest", str(tmp_path / "in.jsonl"), "--db", db, "--json")
    _validate("ingest", json.loads(out))
    for name in ("articles", "quarantine", "stories"):
        code, out, _ = invoke(name, "--db", db, "--json")
        assert code == EXIT_OK
        _validate(name, json.loads(out))
    _, out, _ = invoke("stories", "--db", db, "--json")
    story = next(s["id"] for s in json.loads(out) if f"{1:016x}" in s["articles"])
    code, out, _ = invoke("show", story, "--db", db, "--json")
    assert code == EXIT_OK
    shown = json.loads(out)
    _validate("show", shown)
    assert shown["thread"] and all(m["kind"] for m in shown["members"])
    assert shown["copies"]  # the schema was checked on a story with copy links
    _, out, _ = invoke("quarantine", "--db", db, "--clear", "--json")
    _validate("quarantine-clear", json.loads(out))
    code, out, _ = invoke("schema", "show")
    assert code == EXIT_OK and json.loads(out)["title"] == "storyline show STORY --json"


def test_a_schema_rejects_a_wrong_shape() -> None:
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        _validate("ingest", {"read": "three"})


# --------------------------------------------------------------------------- maintenance


def test_delete_a_source(db: str) -> None:
    code, _, _ = invoke("delete", "--db", db, "--source", "c.example", input="n\n")
    assert code == 1  # declined at the prompt: nothing deleted
    with SQLiteStore(db) as store:
        assert store.count_articles() == 150
    code, _, err = invoke("delete", "--db", db, "--source", "C.example", "--source", "b.example", "--yes")
    assert code == EXIT_OK and "deleted 100 article(s)" in err
    with SQLiteStore(db) as store:
        assert {a.source for a in store.iter_articles()} == {"a.example"}
        assert sum(len(s.article_ids) for s in store.list_stories()) == 50
        assert store.copies() == []  # both links involved b.example articles
        assert store._db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert invoke("delete", "--db", db)[0] == EXIT_USAGE


def test_reset_stories_keeps_the_articles(db: str) -> None:
    with SQLiteStore(db) as store:
        n = len(store.list_stories())
        assert store.reset_stories() == n
        assert store.list_stories() == [] and store.copies() == [] and store.count_articles() == 150
        assert len(store.unassigned_ids()) == 150 and store.articles_without_copy_check() == []


@pytest.mark.slow
def test_regroup_from_scratch(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    (tmp_path / "in.jsonl").write_text(
        "".join(
            json.dumps({"text": t, "source": s}) + "\n"
            for t, s in ((GOOD, "a.example"), (GOOD + " Pier 4.", "b.example"), (OTHER, "c.example"))
        )
    )
    assert invoke("run", str(tmp_path / "in.jsonl"), "--db", db, "--no-reports")[0] == EXIT_OK
    with SQLiteStore(db) as store:
        before = {frozenset(s.article_ids) for s in store.list_stories()}
    code, _, err = invoke("regroup", "--db", db)
    assert code == EXIT_OK and "grouping the 3 article(s)" in err
    with SQLiteStore(db) as store:
        assert {frozenset(s.article_ids) for s in store.list_stories()} == before
        assert store.count_articles() == 3 and not store.unassigned_ids()


def test_maintenance_commands_need_an_existing_store(tmp_path: Path) -> None:
    for command in (
        ["regroup"],
        ["delete", "--source", "x", "--yes"],
        ["export", "stories"],
        ["quarantine", "--clear"],
    ):
        code, _, err = invoke(*command, "--db", str(tmp_path / "none.db"))
        assert code == EXIT_ERROR and "does not exist" in err
    assert not (tmp_path / "none.db").exists()


def test_a_store_in_a_missing_folder_says_it_creates_the_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD)
    db = tmp_path / "typo" / "news.db"
    code, _, err = invoke("ingest", str(tmp_path / "a.txt"), "--db", str(db))
    assert code == EXIT_OK and db.is_file()
    assert f"creating the folder {str(db.parent)!r}" in err
    code, _, err = invoke("ingest", str(tmp_path / "a.txt"), "--db", str(db))  # once only
    assert code == EXIT_OK and "creating the folder" not in err


def test_paging_streams_past_a_thousand_rows(tmp_path: Path) -> None:
    articles = [
        Article(id=f"{i:016x}", text="x", source=("a.example", "b.example")[i % 2], published="2024-03-01")
        for i in range(2600)
    ]
    with SQLiteStore(tmp_path / "p.db") as store:
        store.write_batch(articles)
        assert [a.id for a in store.iter_found(offset=900, limit=1200)] == [a.id for a in articles[900:2100]]
        b = [a.id for a in articles if a.source == "b.example"]
        assert [a.id for a in store.iter_found(source="b.example", offset=10)] == b[10:]
        found, total = store.find_articles(source="b.example", limit=5, offset=1290)
        assert [a.id for a in found] == b[1290:1295] and total == 1300
        assert list(store.iter_found(offset=5000)) == []


def test_an_empty_quarantine_says_so(db: str) -> None:
    assert invoke("quarantine", "--db", db, "--clear")[0] == EXIT_OK
    code, out, err = invoke("quarantine", "--db", db)
    assert code == EXIT_OK and "nothing quarantined in" in err and "source" not in out


def test_a_reader_that_goes_away_gets_no_error(db: str) -> None:
    # `storyline export articles | head -c 10`: the pipe closes under the writer; that is no error
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "storyline", "export", "articles", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    with proc, proc.stderr:
        assert proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Traceback" not in err and "error" not in err, err


def test_a_folder_for_an_article_and_a_file_on_the_way_of_an_output_are_named(tmp_path: Path) -> None:
    from storyline.cli.jobs import _write
    from storyline.errors import StorylineError

    code, _, err = invoke("similarity", str(tmp_path), "other", "--db", str(tmp_path / "none.db"))
    assert code == EXIT_ERROR and "a folder, not an article" in err
    (tmp_path / "somefile").write_text("x")
    target = tmp_path / "somefile" / "x.html"
    with pytest.raises(StorylineError, match=r"'[^']*somefile' is a file, not a folder"):
        _write("report", target, lambda: (target.parent.mkdir(parents=True, exist_ok=True), target)[1])
