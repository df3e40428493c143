"""The web app and JSON API over one store: the pages and the ``/api`` routes.

Every JSON shape comes from :mod:`storyline.views` (what ``--json`` prints), every page from the
HTML report's templates (:mod:`storyline.report`), and a posted article goes through the same
:func:`~storyline.pipeline.ingest_records` and story stage as ``storyline run``: the server adds
routes, not logic. Routes are plain (synchronous) functions: FastAPI runs them in its thread
pool, and the SQLite store gives each thread its own connection and serialises the writes.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations (Request)
# at run time, and they are names local to create_app (FastAPI is imported when it runs).
import hmac
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import views
from ..errors import InputError, NotFoundError, StorylineError, require_extra
from ..models import Article, Quarantined
from ..settings import DEFAULT_SETTINGS, Settings
from ..store import open_store

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..store.base import Store
    from ..types import Embedder

#: the largest request body a POST may carry (bytes); a larger one is refused with 413
MAX_BODY = 16 * 1024 * 1024
#: the most rows one list request returns (``?limit=`` asks for fewer)
MAX_PAGE = 1000
#: the cookie a browser keeps the token in, once it opened a page with ``?token=``
TOKEN_COOKIE = "storyline_token"
#: the security headers of every response: nothing is loaded from elsewhere, no page frames ours
PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
#: where a posted article says it came from in the quarantine and in error messages
POST_ORIGIN = "POST /api/articles"


class _Reports:
    """Story pages, compared once and kept until the story changes (its members): comparing
    costs about a second a story, and the models load on the first one."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self.pages: dict[str, tuple[tuple[str, ...], str]] = {}
        self.lock = threading.Lock()

    def get(self, story_id: str, members: tuple[str, ...], make: Callable[[], str]) -> str:
        with self.lock:
            hit = self.pages.get(story_id)
        if hit is not None and hit[0] == members:
            return hit[1]
        page = make()
        with self.lock:
            if len(self.pages) >= self.limit:
                self.pages.pop(next(iter(self.pages)))
            self.pages[story_id] = (members, page)
        return page


def create_app(
    db: str | Path,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    token: str | None = None,
    embedder: "Embedder | None" = None,
    read_only: bool = False,
) -> "FastAPI":
    """The web app over the store at ``db`` (opened, and created if missing, unless ``read_only``).

    With ``token``, every request must carry it: ``Authorization: Bearer TOKEN`` (the API), or
    ``?token=TOKEN`` once (a browser: the page sets a cookie for the next ones). ``embedder``
    (default: the multilingual USE model) serves the story stage of posted articles and the
    story pages. Needs the ``serve`` extra (FastAPI)."""
    require_extra("fastapi", "serve")
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse

    store = open_store(db, read_only=read_only)
    reports = _Reports()
    app = FastAPI(
        title="storyline",
        summary="Stories, threads and copies of a news store",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.store = store

    def problem(status: int, message: str, **extra: Any) -> Any:
        return JSONResponse({"error": message, **extra}, status_code=status, headers=PAGE_HEADERS)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Any:
        given = None
        if token is not None:
            header = request.headers.get("authorization", "")
            given = (
                header[7:].strip()
                if header.lower().startswith("bearer ")
                else request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
            )
            if not given or not hmac.compare_digest(given.encode(), token.encode()):
                return problem(
                    401,
                    "this server needs its token: send 'Authorization: Bearer TOKEN', "
                    "or open a page once with ?token=TOKEN",
                )
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            return problem(413, f"the request body holds {int(length)} bytes; at most {MAX_BODY} are read")
        response = await call_next(request)
        response.headers.update(PAGE_HEADERS)
        if token is not None and request.query_params.get("token") == given and given:
            response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict")
        return response

    @app.exception_handler(NotFoundError)
    def not_found(request: Request, exc: NotFoundError) -> Any:
        return problem(404, str(exc))

    @app.exception_handler(StorylineError)
    def failed(request: Request, exc: StorylineError) -> Any:
        return problem(400 if isinstance(exc, InputError) else 500, str(exc))

    def page_of(rows: list[Any], limit: int | None, offset: int) -> list[Any]:
        size = MAX_PAGE if limit is None else max(0, min(limit, MAX_PAGE))
        return rows[max(0, offset) : max(0, offset) + size]

    # ------------------------------------------------------------------ the JSON API

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Whether the store answers, and what it holds."""
        return {
            "status": "ok",
            "articles": store.count_articles(),
            "stories": len(store.list_stories()),
            "read_only": read_only,
        }

    @app.get("/api/stories")
    def stories(
        limit: int | None = None,
        offset: int = 0,
        since: str | None = None,
        until: str | None = None,
        lang: str | None = None,
        source: str | None = None,
        min_size: int = 1,
    ) -> list[dict[str, Any]]:
        """The stories, largest first, as ``storyline stories --json`` lists them."""
        rows = views.story_rows(store, since=since, until=until, lang=lang, source=source, min_size=min_size)
        return page_of(rows, limit, offset)

    @app.get("/api/stories/{story_id}")
    def story(story_id: str) -> dict[str, Any]:
        """One story as ``storyline show --json`` prints it: members with their evidence, copies,
        history, thread."""
        return views.show_story(store, story_id)

    @app.get("/api/stories/{story_id}/compare")
    def compare(story_id: str) -> dict[str, Any]:
        """The story's versions compared, as ``storyline compare --json`` prints them."""
        from ..report.html import compare_story

        found = store.get_story(story_id)
        articles, _, result = compare_story(store, found, embedder=embedder, settings=settings)
        return views.comparison(result, articles)

    @app.get("/api/threads")
    def threads(min_size: int = 1) -> list[dict[str, Any]]:
        """The threads, as ``storyline threads --json`` lists them, with the evidence of each link."""
        return views.thread_rows(store, min_size=min_size)

    @app.get("/api/articles")
    def articles(
        limit: int | None = None,
        offset: int = 0,
        since: str | None = None,
        until: str | None = None,
        lang: str | None = None,
        source: str | None = None,
    ) -> list[dict[str, Any]]:
        """Stored articles in storing order, as ``storyline articles --json`` lists them."""
        size = MAX_PAGE if limit is None else max(0, min(limit, MAX_PAGE))
        found = store.iter_found(since, until, lang, source, limit=size, offset=max(0, offset))
        return [views.article_row(a) for a in found]

    @app.get("/api/articles/{article_id}")
    def article(article_id: str) -> dict[str, Any]:
        """One stored article, every field, with the story it is in."""
        row = views.article_row(store.get_article(article_id))
        row["story"] = store.story_ids_of([article_id]).get(article_id)
        return row

    @app.post("/api/articles", status_code=200)
    async def post_articles(request: Request) -> Any:
        """Articles posted as JSON (one object, a list of them, or ``{"articles": [...]}``, with
        the fields of a JSONL line: ``text``, ``title``, ``url``, ``published``, ``source``,
        ``language``, ``id``), stored, grouped into stories and threads, and checked for copies.
        A bad article is quarantined with the reason and the rest goes in; the answer names
        each article's position, its id and story, or why it was refused."""
        if read_only:
            return problem(403, "this server was started read-only (--read-only): it stores nothing")
        body = await request.body()
        if len(body) > MAX_BODY:
            return problem(413, f"the request body holds {len(body)} bytes; at most {MAX_BODY} are read")
        if not body.strip():
            return problem(400, "the request body is empty: post a JSON object or a list of them")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_store_posted, store, body, settings, embedder)

    # ------------------------------------------------------------------ the pages

    @app.get("/", response_class=HTMLResponse)
    def index() -> Any:
        """Every story, grouped by thread with a timeline each; titles open the story pages."""
        from ..report.index import index_context, mark_threads, render_index, thread_timelines

        found = store.list_stories()
        links = {s.id: f"stories/{quote(s.id, safe='')}" for s in found if len(s.article_ids) >= 2}
        written = {
            s.id: {"file": links[s.id], "versions": min(len(s.article_ids), settings.report_max_versions)}
            | {"conflicts": None}
            for s in found
            if s.id in links
        }
        context = index_context(store, written) | {"live": True}
        mark_threads(context, thread_timelines(store, links))
        return HTMLResponse(render_index(context))

    @app.get("/stories/{story_id}", response_class=HTMLResponse)
    def story_page(story_id: str) -> Any:
        """A story's versions side by side: the HTML report, compared when first opened."""
        from ..report.html import compare_story, render_html_report

        try:
            found = store.get_story(story_id)
        except NotFoundError as exc:
            return HTMLResponse(_message_page("No such story", str(exc)), status_code=404)

        def make() -> str:
            articles, copies, result = compare_story(store, found, embedder=embedder, settings=settings)
            return render_html_report(found, articles, result, copies, home="../")

        return HTMLResponse(reports.get(found.id, found.article_ids, make))

    return app


def _store_posted(
    store: "Store", body: bytes, settings: Settings, embedder: "Embedder | None"
) -> dict[str, Any]:
    """The posted articles stored and placed (the main job's stages, under the store's grouping
    lock as in ``storyline run``); what became of each."""
    from ..pipeline import assign_stories, assign_threads, find_story_copies, ingest_records
    from ..readers.jsonl import read_json

    records = list(read_json(body, POST_ORIGIN))  # a body that is no JSON raises InputError: 400
    stats, new_ids = ingest_records(records, store, settings=settings)
    with store.grouping():
        assign_stories(store, embedder=embedder, settings=settings)
        assign_threads(store, settings=settings)
    with store.grouping():
        links = find_story_copies(
            store, article_ids=store.articles_without_copy_check(), embedder=embedder, settings=settings
        )
    story_of = store.story_ids_of([r.id for r in records if isinstance(r, Article)])
    new = set(new_ids)
    items: list[dict[str, Any]] = []
    told: set[str] = set()
    for n, record in enumerate(records):
        if isinstance(record, Quarantined):
            items.append({"index": n, "position": record.position, "refused": record.reason})
        elif not isinstance(record, Article):
            items.append({"index": n, "refused": "not an article"})
        elif record.id not in new and not store.has_article(record.id):
            # cleaned to nothing but boilerplate or markers: quarantined by the ingest itself
            items.append({"index": n, "id": record.id, "refused": "nothing but boilerplate after cleaning"})
        else:
            stored = record.id in new and record.id not in told  # a repeat in one post is a duplicate
            told.add(record.id)
            items.append(
                {
                    "index": n,
                    "id": record.id,
                    "stored": stored,
                    "duplicate": not stored,
                    "story": story_of.get(record.id),
                }
            )
    return {
        "read": stats.read,
        "stored": stats.stored,
        "duplicates": stats.duplicates,
        "quarantined": stats.quarantined,
        "copy_links": [views.copy_link_row(c) for c in links if c.copy in new or c.original in new],
        "articles": items,
    }


def _message_page(title: str, text: str) -> str:
    """A small page for an error the browser shows (escaped: the text may quote a request)."""
    from markupsafe import escape

    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title></head><body style="font: 15px system-ui, sans-serif; margin: 24px">'
        f'<h1>{escape(title)}</h1><p>{escape(text)}</p><p><a href="/">All stories</a></p></body></html>'
    )
