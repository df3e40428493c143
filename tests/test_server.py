"""The web app and JSON API (`storyline serve`): the same shapes as --json, articles posted in,
bad input named, untrusted text escaped, a token that guards every route, loopback by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline import views
from storyline.cli.app import sample_corpus
from storyline.errors import ConfigError
from storyline.pipeline import run
from storyline.server import check_binding, create_app, is_loopback
from storyline.store import open_store
from storyline.testing import FakeEmbedder

TOKEN = "a-secret-of-24-characters"
#: what a browser on this machine sends as Host (TestClient's own "testserver" is no loopback name)
BASE = "http://127.0.0.1:8765"
HOSTILE = {
    "title": '<script>alert("t")</script> Ferry <b>strike</b> ends',
    "text": "The ferry workers of Sallow Bay ended their strike on Friday after a pay deal, "
    "the union said. Sailings resume on Monday <img src=x onerror=alert(1)>.",
    "url": "javascript:alert(2)",
    "published": "2024-05-10",
    "source": "bay-news.example",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus grouped into one store (a fake embedder: these tests are about the doors)."""
    path = tmp_path_factory.mktemp("serve") / "s.db"
    with open_store(path) as store:
        run([sample_corpus()], store=store, embedder=FakeEmbedder())
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> TestClient:
    return TestClient(base_url=BASE, app=create_app(db, embedder=FakeEmbedder()))


def test_the_api_returns_what_the_command_line_prints(client: TestClient, db: Path) -> None:
    with open_store(db, read_only=True) as store:
        stories = views.story_rows(store)
        threads = views.thread_rows(store)
        biggest = views.show_story(store, stories[0]["id"])
    assert client.get("/api/stories").json() == json.loads(json.dumps(stories))
    assert client.get("/api/threads").json() == json.loads(json.dumps(threads))
    assert client.get(f"/api/stories/{stories[0]['id']}").json() == json.loads(json.dumps(biggest))
    assert [s["id"] for s in client.get("/api/stories?limit=2&offset=1").json()] == [
        s["id"] for s in stories[1:3]
    ]
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["articles"] == 52


def test_a_missing_story_or_article_is_a_404_that_names_it(client: TestClient) -> None:
    for path in ("/api/stories/st-nope", "/api/articles/nope"):
        answer = client.get(path)
        assert answer.status_code == 404 and "nope" in answer.json()["error"]
    page = client.get("/stories/st-<b>nope")
    assert page.status_code == 404 and "&lt;b&gt;nope" in page.text and "<b>nope" not in page.text


def test_posted_articles_are_stored_grouped_and_bad_ones_named(tmp_path: Path) -> None:
    client = TestClient(base_url=BASE, app=create_app(tmp_path / "p.db", embedder=FakeEmbedder()))
    good = {k: v for k, v in HOSTILE.items() if k != "url"}
    answer = client.post("/api/articles", json=[good, {"title": "no text at all"}, good])
    assert answer.status_code == 200
    body = answer.json()
    assert (body["read"], body["stored"], body["quarantined"], body["duplicates"]) == (3, 1, 1, 1)
    first, bad, again = body["articles"]
    assert first["stored"] and first["story"] and not first["duplicate"]
    assert bad["position"] == "item 1" and "no article text" in bad["refused"]
    assert again["id"] == first["id"] and again["duplicate"]
    stored = client.get(f"/api/articles/{first['id']}").json()
    assert stored["story"] == first["story"] and stored["source"] == "bay-news.example"
    # a body that is no JSON is refused whole, with the reason, and nothing stored is touched
    broken = client.post(
        "/api/articles", content=b'{"title": "x", "text": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400 and "malformed JSON" in broken.json()["error"]
    empty = client.post("/api/articles", content=b"  ", headers={"Content-Type": "application/json"})
    assert empty.status_code == 400
    assert client.get("/api/health").json()["articles"] == 1


def test_a_body_too_large_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storyline.server.app as server_app

    monkeypatch.setattr(server_app, "MAX_BODY", 100)
    client = TestClient(base_url=BASE, app=create_app(tmp_path / "big.db", embedder=FakeEmbedder()))
    answer = client.post("/api/articles", json=[HOSTILE] * 5)
    assert answer.status_code == 413 and "at most 100" in answer.json()["error"]
    assert client.get("/api/health").json()["articles"] == 0


def test_a_read_only_server_refuses_to_store(db: Path) -> None:
    client = TestClient(base_url=BASE, app=create_app(db, embedder=FakeEmbedder(), read_only=True))
    answer = client.post("/api/articles", json=HOSTILE)
    assert answer.status_code == 403 and "read-only" in answer.json()["error"]


def test_pages_show_untrusted_text_as_text(tmp_path: Path) -> None:
    client = TestClient(base_url=BASE, app=create_app(tmp_path / "h.db", embedder=FakeEmbedder()))
    client.post(
        "/api/articles", json=[HOSTILE, HOSTILE | {"source": "other.example", "title": "Ferry strike ends"}]
    )
    index = client.get("/")
    assert index.status_code == 200
    assert (
        "<script>alert" not in index.text and "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in index.text
    )
    assert index.headers["x-frame-options"] == "DENY"
    (story,) = [s for s in client.get("/api/stories").json() if s["size"] == 2]
    assert f'href="stories/{story["id"]}"' in index.text
    pending = '<td class="n"><span class="note">when opened</span></td>'
    assert pending in index.text  # not compared yet
    page = client.get(f"/stories/{story['id']}")
    assert page.status_code == 200
    counted = client.get("/").text  # now it was: its conflicts are counted
    assert counted.count(pending) == index.text.count(pending) - 1
    assert client.get("/favicon.ico").status_code == 204
    assert "onerror=alert(1)>" not in page.text and 'href="javascript:' not in page.text
    assert '<a href="../">← all stories</a>' in page.text


def test_a_token_guards_every_route(db: Path) -> None:
    client = TestClient(base_url=BASE, app=create_app(db, embedder=FakeEmbedder(), token=TOKEN))
    for path in ("/", "/api/health", "/api/stories", "/api/openapi.json"):
        answer = client.get(path)
        assert answer.status_code == 401 and "token" in answer.json()["error"]
    assert client.get("/api/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    # a browser opens one page with ?token= and keeps it in a cookie for the next ones
    assert client.get(f"/?token={TOKEN}").status_code == 200
    assert client.get("/api/stories").status_code == 200


def test_the_server_listens_beyond_this_machine_only_with_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    check_binding("127.0.0.1", None)
    check_binding("0.0.0.0", TOKEN)
    with pytest.raises(ConfigError, match="--token"):
        check_binding("0.0.0.0", None)
    with pytest.raises(ConfigError, match="too short"):
        check_binding("0.0.0.0", "short")


def test_serve_refuses_an_open_host_without_a_token(db: Path) -> None:
    from typer.testing import CliRunner

    from storyline.cli.app import app

    result = CliRunner().invoke(app, ["serve", "--db", str(db), "--host", "0.0.0.0"])
    assert isinstance(result.exception, ConfigError) and "--token" in str(result.exception)
    with pytest.raises(ConfigError, match="ASCII"):
        create_app(db, token="ünïcödé-token-of-enough-length")


def test_pages_elsewhere_can_neither_read_nor_write_a_server_without_a_token(client: TestClient) -> None:
    # DNS rebinding: a foreign name pointed at 127.0.0.1
    rebound = client.get("/api/articles", headers={"Host": "attacker.example:8765"})
    assert rebound.status_code == 421 and "attacker.example" in rebound.json()["error"]
    # a cross-site form posts text/plain, or comes from another origin
    form = client.post("/api/articles", content=json.dumps(HOSTILE), headers={"Content-Type": "text/plain"})
    assert form.status_code == 415
    foreign = client.post("/api/articles", json=HOSTILE, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "evil.example" in foreign.json()["error"]
    assert client.get("/api/health").json()["articles"] == 52


def test_a_chunked_body_is_cut_off_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storyline.server.app as server_app

    monkeypatch.setattr(server_app, "MAX_BODY", 1000)
    client = TestClient(create_app(tmp_path / "c.db", embedder=FakeEmbedder()), base_url=BASE)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b" " * 100

    answer = client.post("/api/articles", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "more than 1000" in answer.json()["error"]


def test_bad_query_values_are_named_as_the_command_line_names_them(client: TestClient) -> None:
    for query in ("since=2024-5-1", "offset=-1", "limit=-5", f"offset={2**63}", "min_size=0"):
        answer = client.get(f"/api/stories?{query}")
        assert answer.status_code == 422, query
        assert query.split("=")[0] in answer.json()["error"]
    assert client.get("/api/articles?since=2024-02-30").status_code == 400
    unknown = client.get("/api/nothing")
    assert unknown.status_code == 404 and unknown.json() == {"error": "no such route: GET /api/nothing"}


def test_an_article_asked_for_by_a_prefix_names_its_story(client: TestClient) -> None:
    whole = client.get("/api/articles?limit=1").json()[0]
    by_prefix = client.get(f"/api/articles/{whole['id'][:7]}").json()
    assert by_prefix["id"] == whole["id"] and by_prefix["story"] is not None


def test_a_refused_post_says_why_and_a_post_of_too_many_is_refused_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storyline.server.app as server_app

    client = TestClient(base_url=BASE, app=create_app(tmp_path / "r.db", embedder=FakeEmbedder()))
    (short,) = client.post("/api/articles", json={"text": "short"}).json()["articles"]
    assert short["refused"].startswith("no article text: 5 characters after cleaning")
    monkeypatch.setattr(server_app, "MAX_POSTED", 3)
    answer = client.post("/api/articles", json=[{}] * 4)
    assert answer.status_code == 413 and "at most 3 are taken" in answer.json()["error"]
    assert client.get("/api/health").json()["articles"] == 0


def test_a_store_that_fails_is_one_json_line_and_a_damaged_one_is_refused_at_start(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from storyline.errors import StoreError
    from storyline.server import check_store
    from storyline.store.sqlite import SQLiteStore

    def damaged(self: SQLiteStore, *args: object, **kwargs: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    app = create_app(db, embedder=FakeEmbedder(), read_only=True)
    monkeypatch.setattr(SQLiteStore, "list_stories", damaged)
    monkeypatch.setattr(SQLiteStore, "count_stories", damaged)
    for path in ("/", "/api/health", "/api/stories"):
        answer = TestClient(base_url=BASE, app=app).get(path)
        assert answer.status_code == 500, path
        assert "cannot be read: database disk image is malformed" in answer.json()["error"]
        assert str(db.parent) not in answer.text  # the file's name, not where it lies
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(StoreError, match=r"'s\.db' cannot be read: .* \.recover"):
        check_store(db, read_only=True)


def test_serve_says_at_once_when_its_port_is_taken(db: Path) -> None:
    import socket

    from storyline.server import check_port

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"cannot listen at 127\.0\.0\.1:{port}: .*another --port"):
            check_port("127.0.0.1", port)


def test_a_story_page_names_its_thread_and_links_its_neighbours(
    client: TestClient, db: Path, tmp_path: Path
) -> None:
    from urllib.parse import quote

    from storyline.features.mentions import heuristic_tagger
    from storyline.report.html import story_filename, write_story_reports

    with open_store(db, read_only=True) as store:
        (thread, *_) = [t for t in views.thread_rows(store) if len(t["stories"]) >= 2]
        first, second = thread["stories"][:2]
        page = client.get(f"/stories/{first}").text
        assert '<nav class="thread">' in page and f'href="{quote(second, safe="")}"' in page
        assert f'href="../#thread-{thread["id"]}"' in page  # the thread's timeline on the index
        # the written reports link a neighbour's report when it was written, else say there is none
        index = write_story_reports(
            store, tmp_path / "r", embedder=FakeEmbedder(), tagger=heuristic_tagger, min_versions=1
        )
        written = (index.parent / (story_filename(first) + ".html")).read_text(encoding="utf-8")
        assert f'href="{story_filename(second)}.html"' in written
        alone = [
            s
            for s in views.story_rows(store)
            if s["thread"] not in {t["id"] for t in views.thread_rows(store, min_size=2)}
        ]
        lone = (index.parent / (story_filename(alone[0]["id"]) + ".html")).read_text(encoding="utf-8")
        assert '<nav class="thread">' not in lone
