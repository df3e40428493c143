"""The HTML index of all stories and their threads."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.base import Store


# --------------------------------------------------------------------------- the index page
# (its own context and template block: every story with outlets, languages, copies, conflicts
# and a filter box)

#: the index's one script: the filter box hides the rows that do not contain what is typed; the
#: page's Content-Security-Policy allows this exact script (by its hash) and nothing else
INDEX_SCRIPT = """
// each word typed must begin a word of the row (a title, an outlet, a language code): "es"
// finds Spanish stories and Esteban, not "homes"
var WORD = /[\\p{L}\\p{N}]+/gu;
var rows = Array.prototype.slice.call(document.querySelectorAll("#stories tbody tr"));
// the row's text nodes apart: two tags side by side ("en", "es") are two words, not "enes"
function textOf(row) {
  var walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT), parts = [];
  while (walker.nextNode()) { parts.push(walker.currentNode.nodeValue); }
  return parts.join(" ");
}
var words = rows.map(function (row) { return textOf(row).toLowerCase().match(WORD) || []; });
document.getElementById("filter").addEventListener("input", function (event) {
  var typed = event.target.value.toLowerCase().match(WORD) || [];
  var shown = 0;
  rows.forEach(function (row, k) {
    var hit = typed.every(function (t) {
      return words[k].some(function (w) { return w.lastIndexOf(t, 0) === 0; });
    });
    row.hidden = !hit;
    if (hit) { shown += 1; }
  });
  document.getElementById("shown").textContent = shown
    ? shown + " of " + rows.length + " stories shown"
    : "No story matches: every word typed must begin a word of a title, an outlet or a language.";
});
"""


def index_context(store: Store, written: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the index page shows (tested apart from the HTML): every story of ``store``, largest
    first, with its outlets, languages, dates, copy links inside it, and, for those with a
    report in ``written`` (story id → file, versions compared, conflicts), the link and conflicts."""
    import base64
    import hashlib

    found = store.list_stories()
    story_of = {a: s.id for s in found for a in s.article_ids}
    copies: dict[str, int] = defaultdict(int)
    for link in store.copies():
        if story_of.get(link.copy) is not None and story_of.get(link.copy) == story_of.get(link.original):
            copies[story_of[link.copy]] += 1
    rows = []
    for story in found:
        report = written.get(story.id)
        dates = [d for d in (story.first_published, story.last_published) if d]
        rows.append(
            {
                "id": story.id,
                "title": story.title,
                "file": report["file"] if report else "",
                "size": len(story.article_ids),
                "compared": report["versions"] if report else 0,
                "outlets": list(story.sources),
                "languages": list(story.languages),
                "copies": copies.get(story.id, 0),
                "conflicts": report["conflicts"] if report else None,
                "dates": " – ".join(dict.fromkeys(dates)) if dates else "undated",
                "thread": None,  # see mark_threads
            }
        )
    digest = base64.b64encode(hashlib.sha256(INDEX_SCRIPT.encode()).digest()).decode()
    return {
        "stories": rows,
        "threads": [],
        "n_reports": len(written),
        # pages served by `storyline serve` (compared when opened), not files written beforehand
        "live": False,
        "script": INDEX_SCRIPT,
        "script_hash": f"sha256-{digest}",
    }


def render_index(context: dict[str, Any]) -> str:
    """The index page as a string."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("storyline", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=show_bidi_controls,
    )
    return env.get_template("index.html.j2").render(**context)


# the bidirectional embeddings, overrides and isolates: in a page as in a terminal, untrusted text
# holding one would reorder what follows it ("gnp.exe" shown as "exe.png"), in its element and after
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def show_bidi_controls(value: Any) -> Any:
    """The ``finalize`` of the report templates: every value printed shows a bidi control as a
    visible ``<U+202E>`` (as the terminal does) instead of obeying it."""
    from markupsafe import Markup, escape

    if not isinstance(value, str) or not _BIDI_CONTROLS.search(value):
        return value
    if isinstance(value, Markup):  # already HTML: the mark goes in escaped
        return Markup(_BIDI_CONTROLS.sub(lambda m: str(escape(f"<U+{ord(m.group()):04X}>")), value))
    return _BIDI_CONTROLS.sub(lambda m: f"<U+{ord(m.group()):04X}>", value)


def thread_timelines(store: Store, files: dict[str, str]) -> list[dict[str, Any]]:
    """The threads of more than one story, for the index: each story with its date, its place
    on the thread's timeline (0-100) and its report file when one was written."""
    from datetime import date

    from ..stories.threads import stored_threads

    all_stories = store.list_stories()
    by_id = {s.id: s for s in all_stories}
    out = []
    for t in stored_threads(all_stories, store.thread_memberships(), store.merged_threads()):
        if len(t.stories) < 2:
            continue
        first = date.fromisoformat(t.first_published[:10]).toordinal() if t.first_published else None
        last = date.fromisoformat(t.last_published[:10]).toordinal() if t.last_published else None
        span = max(1, (last or 0) - (first or 0))
        rows: list[dict[str, Any]] = []
        placed: list[float] = []
        for number, sid in enumerate(t.stories, 1):
            s = by_id[sid]
            day = s.first_published[:10] if s.first_published else None
            row: dict[str, Any] = {
                "number": number,
                "title": s.title,
                "date": day,
                "left": None,  # an undated story has no place on the timeline
                "level": 0,
                "file": files.get(sid),
                "size": len(s.article_ids),
            }
            if day and first is not None:
                left = round(100.0 * (date.fromisoformat(day).toordinal() - first) / span, 1)
                # dots closer than their own width stack upwards instead of hiding each other
                row["left"], row["level"] = left, sum(1 for p in placed if abs(p - left) < 2.5)
                placed.append(left)
            rows.append(row)
        levels = max((r["level"] for r in rows), default=0) + 1
        out.append(
            {
                "anchor": "thread-" + re.sub(r"[^A-Za-z0-9_-]", "-", t.id),
                "title": t.title,
                "first": t.first_published,
                "last": t.last_published,
                "stories": rows,
                "story_ids": list(t.stories),
                "height": 18 * levels + 4,
            }
        )
    return out


def mark_threads(context: dict[str, Any], threads: list[dict[str, Any]]) -> None:
    """Give each story row of the index the thread it is in (of :func:`thread_timelines`): its
    place in it and the anchor of the thread's timeline, so the list links down to it."""
    where = {
        sid: {"anchor": t["anchor"], "number": k, "of": len(t["story_ids"])}
        for t in threads
        for k, sid in enumerate(t["story_ids"], 1)
    }
    for row in context["stories"]:
        row["thread"] = where.get(row["id"])
    context["threads"] = threads
