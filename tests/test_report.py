"""The HTML report: self-contained, every piece of article content escaped, statuses right."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from storyline.compare.versions import compare_articles
from storyline.features.mentions import heuristic_tagger
from storyline.models import Article, Comparison, CopyLink, CopyType, Story
from storyline.pipeline import assign_stories
from storyline.report.html import (
    render_html_report,
    story_filename,
    write_html_report,
    write_story_reports,
)
from storyline.store.sqlite import SQLiteStore
from storyline.testing import FakeEmbedder
from storyline.views.report import report_context

HOSTILE = Article(
    id="hostile",
    title='<i>Breaking</i><script>alert("title")</script>',
    url="javascript:alert(1)",
    source='"><img src=x onerror=alert(2)>',
    published="2024-05-08",
    language="en",
    text="",
    sentences=(
        "Mayor Lena Hartwig opened the new <b>harbour</b> bridge on Monday <script>alert('x')</script>.",
        "The bridge cost 40 million euros, the city said.",
        "A <img src=x onerror=alert(3)> crowd of about 2,000 people watched.",
    ),
)
PLAIN = Article(
    id="plain",
    title="Harbour bridge opens",
    url="https://news.example/bridge?a=1&b=2",
    source="news.example",
    published="2024-05-08",
    language="en",
    text="",
    sentences=(
        "Mayor Lena Hartwig opened the new harbour bridge on Monday.",
        "The bridge cost 55 million euros, the city said.",
        "Traffic will use it from June.",
    ),
)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare_articles([HOSTILE, PLAIN], embedder=FakeEmbedder(), tagger=heuristic_tagger)


@pytest.fixture(scope="module")
def html(comparison: Comparison) -> str:
    link = CopyLink(
        copy="plain", original="hostile", type=CopyType.SPUN, score=0.8, evidence={"rule": "<b>x</b>"}
    )
    story = Story(id="s-1", title="<script>story</script>", article_ids=("hostile", "plain"))
    return render_html_report(story, [HOSTILE, PLAIN], comparison, [link])


def test_markup_in_articles_shows_as_text(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<img" not in html.lower() and "<b>harbour" not in html and "<i>Breaking" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;harbour&lt;/b&gt;" in html
    assert "&lt;i&gt;Breaking&lt;/i&gt;" in html


def test_only_http_urls_become_links(html: str) -> None:
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # shown as text
    assert 'href="https://news.example/bridge?a=1&amp;b=2"' in html


def test_the_page_needs_no_network(html: str) -> None:
    assert not re.search(r"<link|<script|<iframe|<[^>]*\bsrc=|@import|url\(", html, re.I)
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert all(h.startswith("#") or h == "https://news.example/bridge?a=1&amp;b=2" for h in hrefs)
    assert "Content-Security-Policy" in html


def test_statuses_of_passages(comparison: Comparison) -> None:
    context = report_context(None, [HOSTILE, PLAIN], comparison)
    hostile, plain = context["versions"]
    assert [r["status"] for r in hostile["rows"]] == ["shared", "conflict", "unique"]
    assert [r["status"] for r in plain["rows"]] == ["shared", "conflict", "unique"]
    assert hostile["rows"][0]["also_in"] == ["B"] and hostile["label"] == "A"
    (conflict,) = context["conflicts"]
    assert [s["value"] for s in conflict["sentences"]] == ["40 million", "55 million"]


def test_write_html_report(tmp_path: Path, comparison: Comparison) -> None:
    path = write_html_report(None, [HOSTILE, PLAIN], comparison, [], tmp_path / "out" / "story.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Versions side by side" in page and "Timeline" in page
    assert "2024-05-06" in page  # "on Monday" in an article of Wednesday 2024-05-08


def test_a_report_per_story_and_an_index(store: SQLiteStore, tmp_path: Path) -> None:
    store.write_batch([HOSTILE, PLAIN])
    assign_stories(store, embedder=FakeEmbedder())
    index = write_story_reports(
        store, tmp_path / "reports", embedder=FakeEmbedder(), tagger=heuristic_tagger, min_versions=1
    )
    page = index.read_text(encoding="utf-8")
    files = sorted(p.name for p in index.parent.iterdir())
    assert "index.html" in files and len(files) == 1 + len(store.list_stories())
    assert all(f'href="{name}"' in page for name in files if name != "index.html")
    # the one script is the filter box's own, allowed by its hash; article markup stays text
    assert page.lower().count("<script") == 1 and "<script>alert" not in page.lower()


def test_reports_for_the_largest_stories_only(store: SQLiteStore, tmp_path: Path) -> None:
    store.write_batch([HOSTILE, PLAIN])
    assign_stories(store, embedder=FakeEmbedder())
    stories = store.list_stories()
    index = write_story_reports(
        store,
        tmp_path / "reports",
        embedder=FakeEmbedder(),
        tagger=heuristic_tagger,
        min_versions=1,
        max_stories=1,
    )
    largest = max(stories, key=lambda s: len(s.article_ids))
    files = sorted(p.name for p in index.parent.iterdir())
    assert files == sorted(["index.html", story_filename(largest.id) + ".html"])


def test_story_file_names_stay_in_the_folder() -> None:
    assert story_filename("../../etc/passwd") == "_.._etc_passwd"
    assert "/" not in story_filename("a/b\\c") and story_filename("..") == "story"


def test_copy_links_name_the_versions(html: str) -> None:
    copies = html[html.index("<h2>Copy links</h2>") :]
    assert "<td>B</td><td>A</td>" in copies and "built-in method" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in copies  # the link's evidence is escaped too


def test_facts_section_shows_each_fact_once_with_every_wording(comparison: Comparison, html: str) -> None:
    context = report_context(None, [HOSTILE, PLAIN], comparison)
    assert context["facts"], "no fact listed"
    opening = next(f for f in context["facts"] if any("opened" in w["text"] for w in f["wording"]))
    assert sorted(w["label"] for w in opening["wording"]) == ["A", "B"]
    assert opening["status"] in {"shared", "partly shared", "conflicting"}
    facts = html[
        html.index("<h2>Facts told by several versions</h2>") : html.index("<h2>What each version changed")
    ]
    assert "Mayor Lena Hartwig opened the new harbour bridge on Monday." in facts
    assert "<script" not in facts.lower() and "&lt;b&gt;harbour&lt;/b&gt;" in facts  # escaped wording


def test_a_fact_lists_a_shared_wording_once_and_pairs_that_differ_alike_together() -> None:
    from storyline.views.report import _fact_view

    texts = {"a": "Twelve hurt.", "b": "Fourteen hurt.", "c": "Twelve hurt.", "d": "Twelve hurt."}
    label = {"a": "A", "b": "B", "c": "C", "d": "D"}

    def ref(p: Any) -> dict[str, Any]:
        return {"label": label[p.article_id], "text": p.text, "kind": "sentence"}

    class P:
        def __init__(self, article_id: str) -> None:
            self.article_id, self.text = article_id, texts[article_id]

    by_key = {(k, 0): P(k) for k in texts}
    fact = {
        "fact": 1,
        "status": "conflicting",
        "everyone": True,
        "wording": [{"article": k, "index": 0} for k in ("c", "b", "d", "a")],
        "differs": [
            {"a": {"article": "a"}, "b": {"article": "b"}, "numbers": [{"unit": "hurt", "a": 12, "b": 14}]},
            {"a": {"article": "b"}, "b": {"article": "c"}, "numbers": [{"unit": "hurt", "a": 14, "b": 12}]},
            {"a": {"article": "d"}, "b": {"article": "b"}, "numbers": [{"unit": "hurt", "a": 12, "b": 14}]},
        ],
    }
    view = _fact_view(fact, label, by_key, ref)  # type: ignore[arg-type]
    assert [w["label"] for w in view["wording"]] == ["A", "B", "C", "D"]  # version order
    assert [([r["label"] for r in w["refs"]], w["text"]) for w in view["wordings"]] == [
        (["A", "C", "D"], "Twelve hurt."),
        (["B"], "Fourteen hurt."),
    ]
    # D / B is read as B / D (14 / 12), the same difference as B / C
    assert [(d["pairs"], d["value_diff"]) for d in view["differs"]] == [
        ("A / B", "hurt: 12 / 14"),
        ("B / C, B / D", "hurt: 14 / 12"),
    ]


def test_a_conflict_shows_a_sentence_worded_alike_once_with_every_badge() -> None:
    from storyline.views.report import _with_sayings

    rows = [
        {"label": label, "text": text, "value": value, "consensus": False}
        for label, text, value in [("A", "14 hurt.", "14"), ("B", "12 hurt.", "12"), ("C", "14 hurt.", "14")]
    ]
    sayings = _with_sayings({"sentences": rows})["sayings"]
    assert [([b["label"] for b in s["badges"]], s["value"]) for s in sayings] == [
        (["A", "C"], "14"),
        (["B"], "12"),
    ]


def test_a_report_compares_the_first_report_max_versions(store: SQLiteStore) -> None:
    from dataclasses import replace

    from storyline.errors import ConfigError
    from storyline.report.html import compare_story
    from storyline.settings import Settings

    third = replace(PLAIN, id="plain-2", url="https://example.org/plain-2")
    store.write_batch([HOSTILE, PLAIN, third])
    story = Story(id="st-x", title="x", article_ids=(HOSTILE.id, PLAIN.id, third.id))
    kept = [
        len(compare_story(store, story, embedder=FakeEmbedder(), tagger=heuristic_tagger, settings=s)[0])
        for s in (Settings(report_max_versions=2), Settings())
    ]
    assert kept == [2, 3]
    with pytest.raises(ConfigError, match=r"report_max_versions must be positive"):
        Settings(report_max_versions=0)


def test_the_embedded_post_legend_shows_only_where_a_version_holds_one(html: str) -> None:
    from dataclasses import replace

    from storyline.models import Embed

    legend = "embedded post, counted as the version's own"
    assert legend not in html  # neither version embeds a post
    tweeted = replace(
        PLAIN, embeds=(Embed("tweet", "The new harbour bridge is open to walkers from today."),)
    )
    comparison = compare_articles([HOSTILE, tweeted], embedder=FakeEmbedder(), tagger=heuristic_tagger)
    story = Story(id="s-1", title="Harbour bridge", article_ids=("hostile", "plain"))
    with_post = render_html_report(story, [HOSTILE, tweeted], comparison, [])
    assert legend in with_post and 'class="tag embed">tweet</span>The new harbour bridge' in with_post


def test_every_badge_link_has_its_target_titles_too() -> None:
    """Facts and conflicts that cite a headline link to the version's header, not to nothing."""
    one = replace(
        PLAIN, id="one", title="Mayor Lena Hartwig opens harbour bridge after 55 million euro build"
    )
    two = replace(
        PLAIN,
        id="two",
        title="Mayor Lena Hartwig opens harbour bridge after 40 million euro build",
        sentences=HOSTILE.sentences,
    )
    comparison = compare_articles([one, two], embedder=FakeEmbedder(), tagger=heuristic_tagger)
    page = render_html_report(
        Story(id="s-2", title="t", article_ids=("one", "two")), [one, two], comparison, []
    )
    targets = set(re.findall(r'href="#([^"]+)"', page))
    titles = set(re.findall(r'<h3 id="([^"]+)"', page))
    assert titles and titles <= targets  # the headlines are cited ...
    assert targets <= set(re.findall(r'id="([^"]+)"', page))  # ... and every link lands


def test_badge_colours_hold_white_letters_at_wcag_aa_contrast() -> None:
    from storyline.views.report import PALETTE

    def luminance(colour: str) -> float:
        channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    assert len(set(PALETTE)) == len(PALETTE) == 10
    assert all(1.05 / (luminance(c) + 0.05) >= 4.5 for c in PALETTE), PALETTE


def test_the_entity_count_is_the_number_of_entities_listed(comparison: Comparison, html: str) -> None:
    context = report_context(None, [HOSTILE, PLAIN], comparison)
    assert context["counts"]["entities"] == len(context["entities"])
    assert context["counts"]["entities"] + context["counts"]["entities_once"] == len(comparison.entities)


def test_a_pair_is_close_when_the_paraphrase_model_aligned_it_or_its_cosine_is_high() -> None:
    from storyline.views.report import CLOSE_COSINE, _close

    assert _close({"decided_by": "paraphrase model", "similarity": 0.3})
    assert _close({"decided_by": "fact model", "similarity": CLOSE_COSINE})
    assert not _close({"decided_by": "fact model", "similarity": CLOSE_COSINE - 0.01})


def test_how_the_original_was_told_reads_as_words() -> None:
    from storyline.views.report import _original_by

    label = {"art-1": "A", "art-10": "B"}
    assert _original_by({"original_by": "earlier-date"}, label) == "the original was published first"
    told = _original_by(
        {
            "original_by": "evidence",
            "original_reasons": ["same publication date", "art-10 carries scraper markers"],
        },
        label,
    )
    assert told == "the original by its signs: B carries scraper markers"  # art-10 is not A + "0"
