"""The self-contained HTML report of one story: its versions side by side.

One page, no network needed to view it (inline CSS, no scripts, fonts or images from
elsewhere): the versions in columns with every sentence marked shared (and with which
versions), conflicting or this version's alone, embeds labelled; the conflicts with the
sentence of each version; word-level differences of aligned pairs; entities with their
variants and flagged spellings; the timeline; the copy links.

What the page shows is built by :func:`storyline.views.report.report_context` (the views layer,
shared with ``--json`` and the API); this module renders it and writes the files.

Article text, titles and URLs are untrusted: the template is rendered by Jinja2 with
autoescaping on and never marks article content safe; a URL becomes a link only when it
is plain http(s)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..features.mentions import Tagger
from ..models import Article, Comparison, CopyLink, Story
from ..settings import DEFAULT_SETTINGS, Settings
from ..types import Embedder
from ..views import copies_between, thread_places
from ..views.report import report_context
from .index import index_context, mark_threads, render_index, show_bidi_controls, thread_timelines

if TYPE_CHECKING:
    from ..store.base import Store

#: a story's report compares its first this many versions by default (``settings.report_max_versions``)
MAX_VERSIONS = DEFAULT_SETTINGS.report_max_versions


def render_html_report(
    story: Story | None,
    articles: Sequence[Article],
    comparison: Comparison,
    copies: Sequence[CopyLink] = (),
    *,
    home: str = "",
    thread: dict[str, Any] | None = None,
) -> str:
    """The report page as a string; ``home``: the address of the story list it links back to
    (none when empty: a report written alone); ``thread``: the story's place in its thread
    (:func:`thread_bar`), shown under the title when the thread holds more than this story."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("storyline", "templates"),
        autoescape=True,  # every value is escaped: article content is untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=show_bidi_controls,  # nor may it reorder what the page shows
    )
    context = report_context(story, articles, comparison, copies)
    return env.get_template("report.html.j2").render(**context, home=home, thread=thread)


def thread_bar(
    store: Store,
    story: Story,
    link: Callable[[str], str | None],
    home: str = "",
    places: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """A story's thread for its report: title, size, the stories just before and after it (each
    with ``href``, ``link(story id)``, or None when that story has no page), and the address of
    the thread's timeline on the story list (``home``). None when the thread holds this story only.
    ``places``: :func:`storyline.views.thread_places`, when the caller read them once for many."""
    from ..views import thread_place

    found = thread_place(store, story) if places is None else places.get(story.id)
    if found is None or found["stories"] < 2:
        return None
    place = dict(found)  # the caller's places stay as they are
    for side in ("previous", "next"):
        if place[side] is not None:
            place[side] = place[side] | {"href": link(place[side]["id"])}
    anchor = "thread-" + re.sub(r"[^A-Za-z0-9_-]", "-", place["id"])
    return place | {"timeline": f"{home}#{anchor}" if home else ""}


def write_html_report(
    story: Story | None,
    articles: Sequence[Article],
    comparison: Comparison,
    copies: Sequence[CopyLink],
    path: str | os.PathLike[str],
    *,
    home: str = "",
    thread: dict[str, Any] | None = None,
) -> Path:
    """Write the story's report to ``path`` (one self-contained HTML file) and return the path;
    ``home``: the story list's address, relative to it (:func:`write_story_reports`: ``index.html``);
    ``thread``: as :func:`render_html_report` takes it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        render_html_report(story, articles, comparison, copies, home=home, thread=thread), encoding="utf-8"
    )
    return target


def story_filename(story_id: str) -> str:
    """A safe file name for a story's report (ids come from the store, but stay careful)."""
    return re.sub(r"[^\w.-]", "_", story_id).strip(".") or "story"


def compare_story(
    store: Store,
    story: Story,
    *,
    embedder: Embedder | None = None,
    tagger: Tagger | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    max_versions: int | None = None,
) -> tuple[list[Article], list[CopyLink], Comparison]:
    """The story's first ``max_versions`` versions (default ``settings.report_max_versions``), the
    copy links between them, and their comparison."""
    from ..compare.versions import compare_articles

    ids = list(story.article_ids[: settings.report_max_versions if max_versions is None else max_versions])
    articles = list(store.iter_articles(ids))
    copies = copies_between(store, ids)
    comparison = compare_articles(
        articles, copies=copies, embedder=embedder, tagger=tagger, settings=settings
    )
    return articles, copies, comparison


def write_story_reports(
    store: Store,
    folder: str | os.PathLike[str],
    *,
    embedder: Embedder | None = None,
    tagger: Tagger | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    min_versions: int = 2,
    max_versions: int | None = None,
    max_stories: int | None = None,
    on_progress: Callable[[int, int], object] | None = None,
) -> Path:
    """Compare every story of ``store`` with at least ``min_versions`` versions and write its
    report to ``folder/<story>.html`` (the first ``max_versions`` of a larger story, default
    ``settings.report_max_versions``), with an
    ``index.html`` listing every story of the store (see :func:`index_context`), linking those
    with a report; returns the index path. ``max_stories`` keeps the largest
    stories only (comparing costs about a second a story). ``on_progress(done, total)`` is
    called before the first story and after each."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    stories = [s for s in store.list_stories() if len(s.article_ids) >= min_versions]
    if max_stories is not None and len(stories) > max_stories:
        stories = sorted(stories, key=lambda s: -len(s.article_ids))[:max_stories]
    written: dict[str, dict[str, Any]] = {}
    if on_progress is not None:
        on_progress(0, len(stories))
    reported = {s.id for s in stories}
    places = thread_places(store)

    def link(story_id: str) -> str | None:
        return story_filename(story_id) + ".html" if story_id in reported else None

    for story in stories:
        articles, copies, comparison = compare_story(
            store, story, embedder=embedder, tagger=tagger, settings=settings, max_versions=max_versions
        )
        name = story_filename(story.id) + ".html"
        bar = thread_bar(store, story, link, home="index.html", places=places)
        write_html_report(story, articles, comparison, copies, target / name, home="index.html", thread=bar)
        written[story.id] = {"file": name, "versions": len(articles), "conflicts": len(comparison.conflicts)}
        if on_progress is not None:
            on_progress(len(written), len(stories))
    index = target / "index.html"
    context = index_context(store, written)
    mark_threads(context, thread_timelines(store, {sid: w["file"] for sid, w in written.items()}))
    index.write_text(render_index(context), encoding="utf-8")
    return index
