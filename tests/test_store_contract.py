"""The store contract (:class:`storyline.types.Store`), one golden suite run against every backend:
SQLite (a file) and the plain-Python MemoryStore of :mod:`storyline.testing`.

Each test states what the contract promises; ``test_the_backends_agree`` also replays one
scenario on both and compares everything they return, orders included.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from storyline.clean.boilerplate import Count, CountsUpdate, counts_to_row
from storyline.errors import NotFoundError, StoreError
from storyline.models import Assignment, CopyLink, CopyType, Quarantined, RemovedSpan, to_dict
from storyline.readers.records import make_article
from storyline.store.base import Store
from storyline.store.memory import MemoryStore
from storyline.store.sqlite import SQLiteStore

Backend = Callable[[], Store]


@pytest.fixture(params=["sqlite", "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A factory of empty stores of one backend (closed at the end of the test)."""
    opened: list[Store] = []

    def make() -> Store:
        store: Store = (
            SQLiteStore(tmp_path / f"s{len(opened)}.db") if request.param == "sqlite" else MemoryStore()
        )
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend()


def _article(n: int, *, published: str | None = None, text: str = "", external_id: str = "") -> Any:
    return make_article(
        text=text or f"Article number {n} says something of its own, {n * 7} times.",
        title=f"Title {n}",
        origin="batch.jsonl",
        position=f"line {n}",
        published=published,
        url=f"https://site{n % 2}.example/{n}",
        external_id=external_id,
    )


# --------------------------------------------------------------------------- articles


def test_write_and_read_articles(store: Store) -> None:
    a, b, c = _article(1), _article(2), _article(3, external_id="rec-3")
    assert store.max_seq() == 0 and store.count_articles() == 0
    assert store.write_batch([a, b, a]) == [a.id, b.id]  # a duplicate inside the batch is stored once
    assert store.write_batch([b, c]) == [c.id]
    assert store.count_articles() == 3 and store.max_seq() == 3
    assert [x.id for x in store.iter_articles()] == [a.id, b.id, c.id]  # storing order
    assert [x.id for x in store.iter_articles([c.id, a.id])] == [c.id, a.id]
    assert store.get_article(b.id) == b
    assert store.get_article(c.id[:6]) == c  # a unique prefix
    assert store.get_article(c.id[:6].upper()) == c  # as SQLite's LIKE: ASCII case folded
    assert store.get_article("rec-3") == c  # the record's own id
    assert store.has_article(a.id) and not store.has_article(a.id[:6])
    assert store.stored_ids([a.id, "nope", c.id]) == {a.id, c.id}
    with pytest.raises(NotFoundError, match="no article 'nope'"):
        store.get_article("nope")


def test_an_ambiguous_prefix_is_an_error(store: Store) -> None:
    articles = [_article(n) for n in range(40)]  # 40 hex ids: two share a first digit
    store.write_batch(articles)
    first = {a.id[0] for a in articles}
    shared = next(d for d in sorted(first) if sum(a.id.startswith(d) for a in articles) > 1)
    with pytest.raises(NotFoundError, match="ambiguous"):
        store.get_article(shared)


def test_quarantine_keeps_one_entry_per_record_and_reason(store: Store) -> None:
    q1, q2 = Quarantined("a.json", "line 1", "bad"), Quarantined("b.json", "", "empty")
    store.write_batch([], [q1, q2])
    store.write_batch([], [q1])  # seen again: one entry, now the latest
    assert list(store.iter_quarantine()) == [q2, q1]


# --------------------------------------------------------------------------- stories


def _assign(store: Store, articles: list[Any]) -> None:
    """a0 opens s-one, a1 joins it; a2 opens s-two; a3 opens s-three and absorbs s-two."""
    a0, a1, a2, a3 = articles
    store.write_assignments(
        [
            Assignment(a0.id, "s-one", 1.0, True, evidence={"why": "first"}),
            Assignment(a1.id, "s-one", 0.8, False, evidence={"lead": 0.9, "names": ["Kessel"]}),
            Assignment(a2.id, "s-two", 1.0, True),
        ],
        [(a0.id, 738000, b"p0"), (a1.id, 738001, b"p1"), (a2.id, None, b"p2")],
    )
    store.write_assignments(
        [Assignment(a3.id, "s-three", 1.0, True, merged=("s-two",))], [(a3.id, 738010, b"p3")]
    )


def test_stories_memberships_and_merges(store: Store) -> None:
    articles = [
        _article(0, published="2024-03-02"),
        _article(1, published="2024-03-01"),
        _article(2),
        _article(3),
    ]
    store.write_batch(articles)
    a0, a1, a2, a3 = articles
    assert store.unassigned_ids() == [a2.id, a3.id, a1.id, a0.id]  # undated first, then by date
    _assign(store, articles)
    assert store.unassigned_ids() == []
    assert store.merged_stories() == {"s-two": "s-three"}
    assert store.current_story_id("s-two") == "s-three"
    assert store.current_story_id("s-o") == "s-one"  # a unique prefix
    with pytest.raises(NotFoundError, match="ambiguous"):
        store.current_story_id("s-t")
    with pytest.raises(NotFoundError, match="no story"):
        store.get_story("zz")
    one = store.get_story("s-one")
    assert one.article_ids == (a1.id, a0.id)  # publication order
    assert (one.first_published, one.last_published, one.title) == ("2024-03-01", "2024-03-02", "Title 1")
    three = store.get_story("s-two")  # the absorbed id leads to the story that took it
    assert (
        three.id == "s-three" and set(three.article_ids) == {a2.id, a3.id} and three.merged_from == ("s-two",)
    )
    assert [s.id for s in store.list_stories()] == [
        "s-three",
        "s-one",
    ]  # largest, then earliest (undated first)
    assert store.count_stories() == 2  # the absorbed story is no story of its own
    assert store.members_of(["s-one", "s-three", "s-none"]) == {
        "s-one": [a0.id, a1.id],  # joining order
        "s-three": [a2.id, a3.id],
        "s-none": [],
    }
    assert store.story_ids_of([a0.id, a3.id, "nope"]) == {a0.id: "s-one", a3.id: "s-three"}
    assert store.story_ids_of(None) == {a0.id: "s-one", a1.id: "s-one", a2.id: "s-three", a3.id: "s-three"}
    members = store.memberships("s-one")
    assert [(m.article_id, m.score, m.evidence) for m in members] == [
        (a0.id, 1.0, {"why": "first"}),
        (a1.id, 0.8, {"lead": 0.9, "names": ["Kessel"]}),
    ]
    assert [(e["kind"], e["article"], e["detail"]) for e in store.story_events("s-three")] == [
        ("merged", a3.id, {"absorbed": "s-two"}),
        ("opened", a3.id, {"score": 1.0}),
    ]
    assert [e["kind"] for e in store.story_events("s-two")] == ["opened", "merged-into"]
    assert store.newest_published_ordinal() == 738010
    assert [p[0] for p in store.iter_profiles(738001)] == [a2.id, a3.id, a1.id]  # undated kept, a0 too old
    assert [(p[1], p[2]) for p in store.iter_profiles(None)][:1] == [("s-three", b"p2")]


def test_a_story_is_headed_in_the_language_most_of_its_reports_are_in(store: Store) -> None:
    def report(n: int, day: str, language: str, title: str) -> Any:
        return make_article(
            text=f"Report {n} of the strike at the port, told its own way.",
            title=title,
            origin="batch.jsonl",
            position=f"line {n}",
            published=day,
            url=f"https://o{n}.example/{n}",
            language=language,
        )

    first = report(0, "2025-03-10", "es", "Los estibadores paralizan el puerto")
    later = [
        report(1, "2025-03-11", "en", "Dockworkers halt the port"),
        report(2, "2025-03-12", "en", "Port strike goes on"),
    ]
    store.write_batch([first, *later])
    store.write_assignments(
        [Assignment(a.id, "s-port", 1.0, i == 0) for i, a in enumerate([first, *later])],
        [(a.id, date.fromisoformat(a.published).toordinal(), b"p") for a in [first, *later]],
    )
    story = store.get_story("s-port")
    # the earliest report in the members' main language; the Spanish one still leads the dates
    assert story.title == "Dockworkers halt the port" and story.first_published == "2025-03-10"
    assert story.languages == ("en", "es")


# --------------------------------------------------------------------------- copies


def test_copy_links_and_checks(store: Store) -> None:
    articles = [_article(n) for n in range(4)]
    store.write_batch(articles)
    _assign(store, articles)
    a0, a1, a2, a3 = (a.id for a in articles)
    assert sorted(store.articles_without_copy_check()) == sorted([a0, a1, a2, a3])
    first = CopyLink(a1, a0, CopyType.WIRE, 0.97, {"jaccard": 0.9})
    store.write_copies([first, CopyLink(a3, a2, CopyType.TRANSLATED, 0.7, {})], checked=[a0, a1])
    assert sorted(store.articles_without_copy_check()) == sorted([a2, a3])
    again = CopyLink(a1, a0, CopyType.WIRE, 0.99, {"jaccard": 0.95})
    store.write_copies([again])  # found again: replaces the old link, now the latest
    assert [(c.copy, c.score) for c in store.copies()] == [(a3, 0.7), (a1, 0.99)]
    assert store.copies([a0]) == [again]
    assert store.copies(["nope"]) == []


def test_recleaning_drops_what_was_decided_on_the_old_text(store: Store) -> None:
    articles = [_article(n) for n in range(4)]
    store.write_batch(articles)
    _assign(store, articles)
    a1 = articles[1]
    store.write_copies([CopyLink(a1.id, articles[0].id, CopyType.WIRE, 0.9, {})], checked=[a1.id])
    cleaned = make_article(text="Only the news.", title=a1.title, origin=a1.origin)
    from dataclasses import replace

    store.replace_cleaned([replace(cleaned, id=a1.id, removed=(RemovedSpan("boilerplate", "Subscribe!"),))])
    assert store.get_article(a1.id).text == "Only the news."
    assert store.get_article(a1.id).removed == (RemovedSpan("boilerplate", "Subscribe!"),)
    assert store.get_article(a1.id).title == a1.title  # what cleaning does not touch stays
    assert store.unassigned_ids() == [a1.id]
    assert store.copies() == [] and a1.id not in store.story_ids_of(None)
    assert store.story_events("s-one")[-1]["kind"] == "recleaned"


# --------------------------------------------------------------------------- boilerplate counts


def test_boilerplate_counts(store: Store) -> None:
    counts = [
        Count("site0.example", 11, "sentence", 3, 3, ["r1", "r2"], ["h1"], "Subscribe now.", 5),
        Count("", 11, "sentence", 5, 4, ["r1"], [], "Subscribe now.", 6),
        Count("site0.example", 12, "sentence", 1, 0, [], [], "once", 1),
        Count("site1.example", 13, "edge", 4, 2, [], [], "Follow us.", 6),
    ]
    store.write_boilerplate_counts(CountsUpdate([counts_to_row(c) for c in counts], []))
    got = store.boilerplate_counts([("site0.example", 11), ("site0.example", 99), ("", 11)])
    assert got == {("site0.example", 11): counts[0], ("", 11): counts[1]}
    got[("site0.example", 11)].reps.append("changed")  # the caller's copy: the store keeps its own
    assert store.boilerplate_counts([("site0.example", 11)])[("site0.example", 11)].reps == ["r1", "r2"]
    assert [(c.scope, c.key) for c in store.iter_boilerplate()] == [
        ("", 11),
        ("site0.example", 11),
        ("site1.example", 13),
    ]
    assert [c.key for c in store.iter_boilerplate(site="site1.example")] == [13]
    assert [c.key for c in store.iter_boilerplate(min_unrelated=3, limit=1)] == [11]
    changed = Count("site0.example", 11, "ignored", 4, 3, ["r1", "r2", "r3"], ["h1"], "Subscribe now.", 7)
    never = Count("site9.example", 99, "sentence", 2, 2, [], [], "x", 7)
    store.write_boilerplate_counts(
        CountsUpdate([], [changed, never], prune_before=2)
    )  # seen once before 2: gone
    got = store.boilerplate_counts([("site0.example", 11), ("site9.example", 99)])
    assert list(got) == [("site0.example", 11)]  # an update changes stored keys only
    assert (got[("site0.example", 11)].articles, got[("site0.example", 11)].kind) == (4, "sentence")
    assert store.boilerplate_counts([("site0.example", 12)]) == {}
    assert ("site0.example", 11) in store.boilerplate_counts([("site0.example", 11)])


# --------------------------------------------------------------------------- filters and maintenance


def test_filters_and_pages(store: Store) -> None:
    a = make_article(text="Uno.", origin="f", published="2024-03-01", source="Site.example", language="es")
    b = make_article(
        text="Two.", origin="f", published="2024-03-05T10:00:00", source="other.example", language="en"
    )
    c = make_article(text="Three.", origin="f", source="site.example", language="EN")
    store.write_batch([a, b, c])
    assert store.find_articles() == ([a, b, c], 3)
    assert store.find_articles(since="2024-03-02") == ([b], 1)  # undated ones never pass a date filter
    assert store.find_articles(until="2024-03-05") == ([a, b], 2)
    assert store.find_articles(language="en") == ([b, c], 2)  # case aside
    assert store.find_articles(source="SITE.example") == ([a, c], 2)
    assert store.find_articles(limit=1, offset=1) == ([b], 3)
    assert store.find_articles(limit=0) == ([], 3)
    assert list(store.iter_found(None, None, "en", None, offset=1)) == [c]
    store.write_batch([], [Quarantined("in/a.json", "1", "bad"), Quarantined("in/b.json", "", "empty")])
    assert store.find_quarantine(origin="b.json") == ([Quarantined("in/b.json", "", "empty")], 1)
    assert store.find_quarantine(limit=1) == ([Quarantined("in/a.json", "1", "bad")], 2)
    assert store.clear_quarantine(origin="a.json") == 1
    assert store.clear_quarantine() == 1 and list(store.iter_quarantine()) == []


def test_delete_sources_and_reset_stories(store: Store) -> None:
    articles = [_article(n) for n in range(4)]  # sources site0.example (even n) and site1.example
    store.write_batch(articles)
    _assign(store, articles)
    a0, a1, a2, a3 = (a.id for a in articles)
    store.write_copies(
        [CopyLink(a1, a0, CopyType.WIRE, 0.9, {}), CopyLink(a3, a1, CopyType.SPUN, 0.7, {})], [a0, a1]
    )
    assert [(m.article_id, m.story_id) for m in store.iter_memberships()] == [
        (a0, "s-one"),
        (a1, "s-one"),
        (a2, "s-three"),
        (a3, "s-three"),
    ]
    assert store.delete_sources(["SITE0.example"]) == 2
    assert [a.id for a in store.iter_articles()] == [a1, a3] and store.max_seq() == 4
    assert [(c.copy, c.original) for c in store.copies()] == [(a3, a1)]
    assert store.get_story("s-one").article_ids == (a1,)  # the story keeps its other member
    assert store.articles_without_copy_check() == [a3]
    assert store.reset_stories() == 2
    assert store.list_stories() == [] and store.copies() == [] and store.story_events("s-one") == []
    assert list(store.iter_profiles()) == [] and store.merged_stories() == {}
    assert sorted(store.unassigned_ids()) == sorted([a1, a3])


# --------------------------------------------------------------------------- modes


def test_a_closed_store_refuses_calls(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()


def test_the_store_is_a_context_manager(backend: Backend) -> None:
    with backend() as store:
        store.write_batch([_article(1)])
    with pytest.raises(StoreError):
        store.count_articles()


def test_read_only_stores_refuse_writes(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "s.db") as writer:
        writer.write_batch([_article(1)])
    for reader in (SQLiteStore(tmp_path / "s.db", read_only=True), MemoryStore(read_only=True)):
        with reader:
            with pytest.raises(StoreError, match="read-only"):
                reader.write_batch([_article(2)])
            with pytest.raises(StoreError, match="read-only"):
                reader.write_copies([])
    with SQLiteStore(tmp_path / "s.db", read_only=True) as reader:
        assert reader.count_articles() == 1


def test_threads_write_through_their_own_connections(backend: Backend) -> None:
    store = backend()
    errors: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for n in range(start, start + 20):
                store.write_batch([_article(n)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(30):
                list(store.iter_articles())
                store.list_stories()
                store.stored_ids([_article(1).id])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k * 100,)) for k in range(4)]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_articles() == 80 and store.max_seq() == 80
    if isinstance(store, SQLiteStore):
        assert len(store._connections) == 6  # the opening thread's and one per thread


# --------------------------------------------------------------------------- the golden comparison


def _scenario(store: Store) -> dict[str, Any]:
    """Everything the contract returns after one scripted history (timestamps left out)."""
    articles = [_article(n, published=f"2024-03-0{n % 3 + 1}" if n % 4 else None) for n in range(4)]
    out: dict[str, Any] = {"new": store.write_batch(articles, [Quarantined("x", "1", "bad")])}
    out["unassigned"] = store.unassigned_ids()
    _assign(store, articles)
    store.write_copies(
        [CopyLink(articles[1].id, articles[0].id, CopyType.WIRE, 0.9, {"k": [1, 2]})], [articles[1].id]
    )
    out["stories"] = [to_dict(s) for s in store.list_stories()]
    out["story"] = to_dict(store.get_story("s-t" + "hree"))
    out["members"] = [to_dict(m) for m in store.memberships("s-one")]
    out["events"] = [
        {k: v for k, v in e.items() if k != "at"}
        for s in ("s-one", "s-two", "s-three")
        for e in store.story_events(s)
    ]
    out["profiles"] = list(store.iter_profiles(None))
    out["copies"] = [to_dict(c) for c in store.copies()]
    out["unchecked"] = sorted(store.articles_without_copy_check())
    out["articles"] = [to_dict(a) for a in store.iter_articles()]
    out["quarantine"] = list(store.iter_quarantine())
    return out


def test_the_backends_agree(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "golden.db") as sqlite, MemoryStore() as memory:
        assert _scenario(memory) == _scenario(sqlite)


def test_the_contract_covers_every_public_method_of_the_sqlite_store() -> None:
    # a method added to SQLiteStore for a stage belongs in the contract (and in MemoryStore);
    # what stays SQLite's own is named here
    sqlite_only = {"transaction", "schema_version"}
    # the SQLite store's own classes (it and its mixins), not what it inherits from the contract
    own = [cls for cls in SQLiteStore.__mro__ if cls not in Store.__mro__]
    public = {name for cls in own for name in vars(cls) if not name.startswith("_")}
    contract = {name for name in vars(Store) if not name.startswith("_")} - {"path"}
    assert public - sqlite_only == contract
    for backend in (SQLiteStore, MemoryStore):
        assert not getattr(backend, "__abstractmethods__", set()), backend


def test_a_read_only_open_of_an_older_store_migrates_it_first(tmp_path: Path) -> None:
    import sqlite3

    from storyline.store.schema import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)  # a store of schema 1: articles and quarantine only
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version=1;")
    db.close()
    with SQLiteStore(path, read_only=True) as reader:
        assert reader.schema_version == SCHEMA_VERSION
        assert (
            reader.count_articles() == 0 and reader.list_stories() == [] and reader.iter_boilerplate() == []
        )
    with pytest.raises(StoreError, match="no such file"):
        SQLiteStore(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()


def test_thread_links_merges_and_reset(store: Store) -> None:
    from storyline.stories.threads import ThreadLink

    store.write_thread_links(
        [
            ThreadLink("st-a", "th-a", 1.0, opened=True),
            ThreadLink("st-b", "th-b", 1.0, opened=True),
            ThreadLink("st-c", "th-a", 0.4, opened=False, evidence={"shared_names": ["Ostin"]}),
        ]
    )
    assert store.thread_memberships()["st-c"] == ("th-a", 0.4, {"shared_names": ["Ostin"]})
    assert store.merged_threads() == {}
    # st-d binds the two threads: th-b is merged into th-a and its story moves with it
    store.write_thread_links([ThreadLink("st-d", "th-a", 0.5, opened=False, merged=("th-b",))], ["st-gone"])
    members = store.thread_memberships()
    assert {s: t for s, (t, _, _) in members.items()} == {
        "st-a": "th-a",
        "st-b": "th-a",
        "st-c": "th-a",
        "st-d": "th-a",
    }
    assert store.merged_threads() == {"th-b": "th-a"}
    store.write_thread_links([], ["st-d"])
    assert "st-d" not in store.thread_memberships()
    store.reset_stories()
    assert store.thread_memberships() == {} and store.merged_threads() == {}


def test_grouping_is_reentrant_and_makes_other_threads_wait(store: Store) -> None:
    order: list[str] = []
    waited = threading.Event()
    inside = threading.Event()

    def other() -> None:
        inside.wait(timeout=10)
        with store.grouping(waited.set):
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with store.grouping(), store.grouping():  # reentrant: the holder takes it again at once
        inside.set()
        assert waited.wait(timeout=10)  # the other thread was told it must wait ...
        order.append("holder")
    thread.join(timeout=10)
    assert order == ["holder", "other"]  # ... and got in only after the holder left
