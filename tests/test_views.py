"""The views: the JSON shapes the CLI prints (and the web API is to return) come from one module."""

from __future__ import annotations

import json
from pathlib import Path

from storyline import views
from storyline.models import Assignment, CopyLink, CopyType, Quarantined
from storyline.readers.records import make_article
from storyline.store.memory import MemoryStore


def _store() -> tuple[MemoryStore, list[str]]:
    store = MemoryStore()
    articles = [
        make_article(text=f"Text {n} of the story.", title=f"T{n}", origin="f", published=f"2024-05-0{n + 1}")
        for n in range(3)
    ]
    store.write_batch(articles, [Quarantined("bad.json", "line 2", "no article text")])
    a, b, c = (x.id for x in articles)
    store.write_assignments(
        [
            Assignment(a, "st-1", 1.0, True),
            Assignment(b, "st-1", 0.9, False, evidence={"lead": 0.8}),
            Assignment(c, "st-2", 1.0, True),
        ]
    )
    store.write_copies(
        [CopyLink(b, a, CopyType.WIRE, 0.95, {"jaccard": 0.9}), CopyLink(c, a, CopyType.SPUN, 0.6, {})]
    )
    return store, [a, b, c]


def test_show_story_is_the_story_row_with_members_copies_and_history() -> None:
    store, (a, b, c) = _store()
    row = views.show_story(store, "st-1")
    assert {k: row[k] for k in views.story_row(store.get_story("st-1"))} == views.story_row(
        store.get_story("st-1")
    )
    assert [(m["article"], m["score"], m["evidence"]) for m in row["members"]] == [
        (a, 1.0, {}),
        (b, 0.9, {"lead": 0.8}),
    ]
    assert [(x["copy"], x["original"], x["type"]) for x in row["copies"]] == [(b, a, "wire"), (c, a, "spun")]
    assert [e["kind"] for e in row["history"]] == ["opened", "joined"]
    json.dumps(row)  # plain JSON values only


def test_copies_between_keeps_links_with_both_ends_among_the_articles() -> None:
    store, (a, b, c) = _store()
    assert [(x.copy, x.original) for x in views.copies_between(store, [a, b])] == [(b, a)]
    assert views.copies_between(store, [b, c]) == []


def test_rows_of_articles_and_quarantine() -> None:
    store, (a, _, _) = _store()
    untitled = make_article(text="A headline-less text. More of it.", origin="f")
    assert views.article_row(untitled)["title"] == untitled.headline
    assert views.article_row(store.get_article(a))["title"] == "T0"
    assert [views.quarantine_row(q) for q in store.iter_quarantine()] == [
        {"source": "bad.json", "position": "line 2", "reason": "no article text"}
    ]


def test_views_never_import_the_renderers() -> None:
    """The report renders views (report.html -> views.report); views never reach back into report."""
    import ast

    package = Path(views.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ["storyline", "views"][: max(0, 3 - node.level)] if node.level else []
                target = ".".join([*base, node.module or ""])
            elif isinstance(node, ast.Import):
                target = node.names[0].name
            else:
                continue
            assert not target.startswith("storyline.report"), (path.name, target)
