"""What the ``storyline`` command prints for people (Rich tables and text; ``--json`` is elsewhere).

The ingest summary, the stories table, the similarity of a pair, and a comparison of a story's versions. For a
comparison (``storyline compare`` without ``--json``): the versions, the facts all of them
agree on, what each version alone says, the conflicts with the sentence of each version,
the entities with their variants and flagged spellings, and the timeline. Long lists are
cut to their first few items; the JSON and the HTML report hold everything.

Article text is untrusted and may contain Rich markup ("[/b]", "[link=...]"): it only
ever goes into :class:`~rich.text.Text` objects, never into a markup string. It may also
contain terminal escape sequences (clear the screen, set the window title): every console
the command prints to is a :class:`SafeConsole`, which shows control characters as visible
symbols instead of sending them to the terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ..models import Article, Comparison, IngestStats, PairScores, Passage, Story

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
# (they reorder what the terminal shows)
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟ (ESC is ␛)
    return "␡" if code == 0x7F else f"<U+{code:04X}>"


def sanitize(text: str) -> str:
    """``text`` safe for a terminal: control characters and bidi overrides become visible symbols."""
    return _UNSAFE.sub(_visible, text)


def cell(text: str) -> Text:
    """Untrusted text (a title, an outlet, a file name) for a table cell: never markup, and sanitised
    before Rich measures it, so a control character shown as a symbol keeps the row's border in place
    (Rich measures a control character as no width; its symbol takes one or more). A cell is one
    line: a newline (a file name may hold one) shows as ␊."""
    return Text(sanitize(text).replace("\n", "␊"))


class SafeConsole(Console):
    """A Rich console that never lets text it prints carry terminal control sequences.

    Rich writes its own escape codes for styles and links; the text of every segment is
    sanitised before that, so whatever an article holds is shown, never executed.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(sanitize(seg.text), seg.style, seg.control) for seg in buffer
        )


#: how many items of each list are shown before "… and N more"
SHOWN = {"agreed": 3, "only": 3, "conflicts": 10, "entities": 12, "timeline": 12}
#: a value or sentence longer than this is cut
CLIP = 2000


def clip(text: str, limit: int = CLIP) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def print_ingest_summary(console: Console, stats: IngestStats, db: Path) -> None:
    """The counts of one ingest, and where to look when records were quarantined."""
    table = Table(title=f"ingest into {db}", show_header=True)
    for col in ("files", "read", "stored", "duplicates", "quarantined"):
        table.add_column(col, justify="right")
    table.add_row(*(str(getattr(stats, c)) for c in ("files", "read", "stored", "duplicates", "quarantined")))
    console.print(table)
    if stats.quarantined:
        console.print(
            f"[yellow]{stats.quarantined} record(s) quarantined[/]: see `storyline quarantine --db {db}`"
        )


def print_stories(console: Console, stories: Sequence[Story], db: Path, *, limit: int | None = None) -> None:
    """The stories as a table (the first ``limit``): id, size, outlets, languages, span, title."""
    table = Table(title=f"stories in {db}")
    table.add_column("id", no_wrap=True, min_width=19)
    table.add_column("size", justify="right", min_width=4)
    table.add_column("outlets", justify="right", min_width=7)
    table.add_column("langs", no_wrap=True, min_width=5)
    table.add_column("span", no_wrap=True, min_width=10)
    table.add_column("title", no_wrap=True, overflow="ellipsis", max_width=70)
    for story in stories[:limit]:
        span = " → ".join(dict.fromkeys(d for d in (story.first_published, story.last_published) if d))
        table.add_row(
            story.id,
            str(len(story.article_ids)),
            str(len(story.sources)) if story.sources else "–",  # no member names its outlet
            ",".join(story.languages),
            span,
            cell(story.title),  # a title is article text: never markup
        )
    console.print(table)
    if limit is not None and len(stories) > limit:
        console.print(f"… and {len(stories) - limit} more: storyline stories --db {db}")


def print_similarity(console: Console, scores: PairScores) -> None:
    """The seven SemEval-2022 Task 8 scores of a pair as a table, then the evidence behind them."""
    dimensions = ("geography", "entities", "time", "narrative", "overall", "style", "tone")
    table = Table(title="similarity (1 = very similar … 4 = very dissimilar)")
    for col in dimensions:
        table.add_column(col, justify="right")
    table.add_row(*(f"{getattr(scores, c):.2f}" for c in dimensions))
    console.print(table)
    for key, value in scores.evidence.items():  # the evidence quotes names: never markup
        shown = (", ".join(map(str, value)) or "none") if isinstance(value, (list, tuple)) else str(value)
        console.print(Text(key.replace("_", " "), style="bold").append(f": {shown}", style="not bold"))


def print_comparison(console: Console, comparison: Comparison, articles: Sequence[Article]) -> None:
    """Print ``comparison`` (of ``articles``) to ``console``, one line per sentence."""
    from ..views.report import PALETTE, version_label  # the HTML report's labels and colours

    ids = list(comparison.article_ids)
    order = {i: k for k, i in enumerate(ids)}
    label = {i: version_label(k) for k, i in enumerate(ids)}
    color = {i: PALETTE[k % len(PALETTE)] for k, i in enumerate(ids)}
    by_id = {a.id: a for a in articles}

    def badge(article_id: str) -> Text:
        return Text(label.get(article_id, "?"), style=f"bold {color.get(article_id, '')}".strip())

    def line(*parts: str | Text, indent: int = 2) -> None:
        """One line, cut with an ellipsis at the console's width (a sentence never wraps)."""
        text = Text(" " * indent)
        for part in parts:
            text.append_text(part) if isinstance(part, Text) else text.append(part)
        console.print(text, no_wrap=True, overflow="ellipsis", crop=True)

    def sentence(p: Passage, around: str = "") -> Text:
        """The passage on one line, its embed kind labelled; started near ``around`` when that
        would otherwise fall beyond a line's width."""
        text = clip(p.text)
        at = text.find(around) if around else -1
        if at > 60:
            text = "…" + text[at - 40 :].lstrip()
        out = Text()
        if p.kind.startswith("embed:"):
            out.append(f"[{p.kind.removeprefix('embed:')}] ", style="magenta")
        return out.append(text)

    def more(shown: int, total: int, indent: int = 2) -> None:
        if total > shown:
            line(Text(f"… and {total - shown} more", style="dim"), indent=indent)

    def heading(title: str, count: int | None = None) -> None:
        console.print()
        line(Text(title + (f" ({count})" if count is not None else ""), style="bold"), indent=0)

    versions = Table(title=f"{len(ids)} versions compared", title_justify="left", title_style="bold")
    languages = comparison.evidence.get("languages", {})
    rows = [
        [
            label[i],
            i,
            by_id[i].source if i in by_id else "",
            (by_id[i].published or "undated") if i in by_id else "",
            str(languages.get(i, "")),
        ]
        for i in ids
    ]
    # every column keeps its width but the title's, cut to what is left of the line
    heads = ("", "id", "source", "published", "lang")
    widths = [max(len(col), *(min(30, len(r[k])) for r in rows)) for k, col in enumerate(heads)]
    room = max(12, console.width - sum(widths) - 3 * (len(widths) + 1) - 1)
    for col in (*heads, "title"):
        versions.add_column(col, no_wrap=True, overflow="ellipsis")
    for i, row in zip(ids, rows, strict=True):
        title = clip(by_id[i].headline, room) if i in by_id else ""
        versions.add_row(badge(i), *(cell(v) for v in row[1:]), cell(title))
    console.print(versions)

    agreed = comparison.agreed()
    heading("Told by all versions", len(agreed))
    line(
        Text(
            f"{len(comparison.groups)} fact(s) told by two or more versions, {len(agreed)} by all; "
            f"{len(comparison.unique)} sentence(s) in one version only",
            style="dim",
        )
    )
    for group in agreed[: SHOWN["agreed"]]:
        first = min(group, key=lambda p: (order.get(p.article_id, 0), p.index))
        line(badge(first.article_id), " ", sentence(first))
    more(min(len(agreed), SHOWN["agreed"]), len(agreed))

    heading("Only in one version")
    for i in ids:
        only = comparison.only_in(i)
        total = sum(1 for p in comparison.passages if p.article_id == i)
        line(badge(i), f" {len(only)} of {total} sentences only here")
        for p in only[: SHOWN["only"]]:
            line("· ", sentence(p), indent=4)
        more(min(len(only), SHOWN["only"]), len(only), indent=4)

    heading("Conflicts", len(comparison.conflicts))
    if not comparison.conflicts:
        line(Text("none found between the versions", style="dim"))
    for c in comparison.conflicts[: SHOWN["conflicts"]]:
        line(Text(c.kind, style="bold red"), " · ", c.subject)
        said = list(zip(c.sentences, c.values, strict=True))
        # a name conflict gives the consensus spelling (its subject) first; then the versions in order
        said.sort(key=lambda x: (c.kind != "name" or x[1] != c.subject, order.get(x[0].article_id, 0)))
        for p, value in said:
            consensus = c.kind == "name" and value == c.subject
            value_text = Text(clip(value, 40), style="bold green" if consensus else "bold")
            value_text.append(" (consensus)" if consensus else "", style="green")
            line(badge(p.article_id), " ", value_text, "  ", sentence(p, value), indent=4)
    more(min(len(comparison.conflicts), SHOWN["conflicts"]), len(comparison.conflicts))

    # the entities worth a look: spelled more than one way, or named by more than one version
    entities = [
        e
        for e in comparison.entities
        if e.flagged or len(e.variants) > 1 or len({m.article_id for m in e.mentions}) > 1
    ]
    entities.sort(key=lambda e: (not e.flagged, len(e.variants) == 1, -len(e.mentions)))
    heading("Entities named by several versions or spelled several ways", len(entities))
    if entities:
        table = Table(box=None, padding=(0, 2, 0, 2), header_style="dim")
        for col in ("name", "type", "variants", "versions"):
            table.add_column(col, overflow="fold", no_wrap=col != "variants")
        for e in entities[: SHOWN["entities"]]:
            variants = Text()
            for k, v in enumerate(e.variants):
                variants.append("; " if k else "")
                variants.append(
                    f"{v} (flagged)" if v in e.flagged else v, style="bold red" if v in e.flagged else ""
                )
            seen = sorted({m.article_id for m in e.mentions if m.article_id in label}, key=order.__getitem__)
            table.add_row(Text(e.name), Text(e.label), variants, Text(", ".join(label[i] for i in seen)))
        console.print(table)
        more(min(len(entities), SHOWN["entities"]), len(entities))
    else:
        line(Text("no entity named by two versions", style="dim"))

    # one line per dated fact: an entry whose sentence is aligned with one already shown for that
    # date (its sources are the same versions) is the same fact again
    entries, seen_facts = [], set()
    for t in comparison.timeline:
        key = (
            (t.date, t.sources) if len(t.sources) > 1 else (t.date, (t.sentence.article_id, t.sentence.index))
        )
        if key not in seen_facts:
            seen_facts.add(key)
            entries.append(t)
    heading("Timeline", len(entries))
    if not entries:
        line(Text("no dates found", style="dim"))
    previous = None
    for t in entries[: SHOWN["timeline"]]:
        sources = sorted(t.sources or (t.sentence.article_id,), key=lambda i: order.get(i, 0))
        badges = Text(",").join(badge(i) for i in sources)
        line(
            Text(f"{t.date if t.date != previous else '':<10}", style="bold"),
            "  ",
            badges,
            " " * max(1, 6 - len(badges)),
            sentence(t.sentence, t.expression),
        )
        previous = t.date
    more(min(len(entries), SHOWN["timeline"]), len(entries))
