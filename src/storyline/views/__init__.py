"""The shapes storyline shows its records in: plain JSON values, one function per view.

``storyline … --json`` prints these, the HTML report renders :func:`report_context`, and the
web API (``storyline serve``, :mod:`storyline.server`) returns the same: a shape changes here, once. Every function takes
records (and a store where it must look something up) and returns dicts and lists of
strings, numbers, booleans and None.

The rows of articles, stories and copies are here; the comparison of versions is in
:mod:`storyline.views.versions`, the HTML report's context in :mod:`storyline.views.report`
(both reached through :func:`comparison` and :func:`report_context`, imported on first use:
they need the comparison's code). Nothing here imports :mod:`storyline.report`, which renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..models import Article, CopyLink, Membership, Quarantined, Story, to_dict
from ..stories.kinds import article_kind

if TYPE_CHECKING:
    from ..models import Comparison
    from ..store.base import Store


def article_row(article: Article) -> dict[str, Any]:
    """An article as ``storyline articles --json`` lists it: every field, ``title`` never empty."""
    row: dict[str, Any] = to_dict(article)
    row["title"] = article.title or article.headline
    return row


def quarantine_row(entry: Quarantined) -> dict[str, str]:
    """A rejected record: the file (``source``), the position in it, the reason."""
    return {"source": entry.origin, "position": entry.position, "reason": entry.reason}


def story_row(story: Story) -> dict[str, Any]:
    """A story as ``storyline stories --json`` lists it."""
    return {
        "id": story.id,
        "title": story.title,
        "articles": list(story.article_ids),
        "size": len(story.article_ids),
        "sources": list(story.sources),
        "languages": list(story.languages),
        "first_published": story.first_published,
        "last_published": story.last_published,
        "merged_from": list(story.merged_from),
        "doubted_dates": list(story.doubted_dates),
    }


def filter_stories(
    found: list[Story],
    *,
    since: str | None = None,
    until: str | None = None,
    lang: str | None = None,
    source: str | None = None,
    min_size: int = 1,
) -> list[Story]:
    """The stories of ``found`` that pass the filters (``storyline stories`` and the web API's): a time span that meets [since, until] (undated stories
    fail a date filter), a member in language ``lang``, one from outlet ``source``, at least
    ``min_size`` members."""

    def keep(story: Story) -> bool:
        if len(story.article_ids) < min_size:
            return False
        if (since or until) and not story.first_published:
            return False
        if since and (story.last_published or "") < since:
            return False
        if until and (story.first_published or "") > until:
            return False
        if lang and lang.lower() not in {x.lower() for x in story.languages}:
            return False
        return not source or source.lower() in {x.lower() for x in story.sources}

    return [s for s in found if keep(s)]


def story_rows(store: Store, **filters: Any) -> list[dict[str, Any]]:
    """The stories as ``storyline stories --json`` lists them (largest first, :func:`story_row`
    with its ``thread``), those that pass :func:`filter_stories`'s ``filters``."""
    from ..stories.threads import stored_threads

    found = store.list_stories()
    threads = stored_threads(found, store.thread_memberships(), store.merged_threads())
    thread_of = {s: t.id for t in threads for s in t.stories}
    return [story_row(s) | {"thread": thread_of.get(s.id)} for s in filter_stories(found, **filters)]


def thread_rows(store: Store, *, min_size: int = 1) -> list[dict[str, Any]]:
    """The threads as ``storyline threads --json`` lists them: each with its stories and the
    evidence of every link (``links``), those of at least ``min_size`` stories."""
    from ..stories.threads import stored_threads

    rows = store.thread_memberships()
    return [
        t.to_dict() | {"links": [{"story": s, **(rows[s][2] if s in rows else {})} for s in t.stories]}
        for t in stored_threads(store.list_stories(), rows, store.merged_threads())
        if len(t.stories) >= min_size
    ]


def copy_link_row(link: CopyLink) -> dict[str, Any]:
    """A copy link: which article repeats which, how, how sure, and why."""
    return {
        "copy": link.copy,
        "original": link.original,
        "type": str(link.type),
        "score": link.score,
        "evidence": link.evidence,
    }


def story_detail(
    story: Story,
    memberships: Iterable[Membership],
    articles: Mapping[str, Article],
    links: Sequence[CopyLink],
    history: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """One story as ``storyline show --json`` prints it: :func:`story_row` with its ``members``
    (each with the evidence that put it there), its ``copies`` and its ``history``."""
    members = {m.article_id: m for m in memberships}
    row = story_row(story)
    row["members"] = [
        {
            "article": a,
            "title": articles[a].headline,
            "source": articles[a].source,
            "published": articles[a].published,
            "date_doubted": a in story.doubted_dates,
            "language": articles[a].language,
            "kind": article_kind(articles[a]),
            "score": members[a].score,
            "evidence": members[a].evidence,
        }
        for a in story.article_ids
    ]
    row["copies"] = [copy_link_row(c) for c in links]
    row["history"] = list(history)
    return row


def thread_place(store: Store, story: Story) -> dict[str, Any] | None:
    """The thread a story belongs to, for ``show``: its id, title, size, and the stories just
    before and after this one in it (None at an end); None when the story is in no thread yet."""
    return thread_places(store, only=story.id).get(story.id)


def thread_places(store: Store, *, only: str | None = None) -> dict[str, dict[str, Any]]:
    """:func:`thread_place` of every story in a thread (of the story ``only``, if given), the
    threads read once: a report of every story asks for all of them."""
    from ..stories.threads import stored_threads

    found = store.list_stories()
    titles = {s.id: s.title for s in found}
    out: dict[str, dict[str, Any]] = {}
    for thread in stored_threads(found, store.thread_memberships(), store.merged_threads()):
        if only is not None and only not in thread.stories:
            continue

        def neighbour(k: int, stories: list[str] = thread.stories) -> dict[str, str] | None:
            return {"id": stories[k], "title": titles.get(stories[k], "")} if 0 <= k < len(stories) else None

        for at, sid in enumerate(thread.stories):
            out[sid] = {
                "id": thread.id,
                "title": thread.title,
                "stories": len(thread.stories),
                "previous": neighbour(at - 1),
                "next": neighbour(at + 1),
            }
    return out


def show_story(store: Store, story_id: str) -> dict[str, Any]:
    """:func:`story_detail` of the story ``story_id`` names (an id, a unique prefix, an absorbed id),
    with its ``thread`` (:func:`thread_place`)."""
    story = store.get_story(story_id)
    row = story_detail(
        story,
        store.memberships(story.id),
        {a.id: a for a in store.iter_articles(story.article_ids)},
        store.copies(story.article_ids),
        store.story_events(story.id),
    )
    row["thread"] = thread_place(store, story)
    return row


def copies_between(store: Store, article_ids: Iterable[str]) -> list[CopyLink]:
    """The copy links the store holds between these articles (both ends among them)."""
    ids = list(dict.fromkeys(article_ids))
    among = set(ids)
    return [c for c in store.copies(ids) if c.copy in among and c.original in among]


def comparison(result: Comparison, articles: Sequence[Article] = ()) -> dict[str, Any]:
    """A comparison of versions as ``storyline compare --json`` prints it."""
    from .versions import comparison_to_json

    return comparison_to_json(result, articles)


def report_context(
    story: Story | None, articles: Sequence[Article], result: Comparison, copies: Sequence[CopyLink] = ()
) -> dict[str, Any]:
    """What the HTML report of a story (or of compared versions) renders."""
    from .report import report_context as context

    return context(story, articles, result, copies)
