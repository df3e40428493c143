"""Kinds of pieces from URL, title and text cues."""

from __future__ import annotations

import pytest

from storyline.readers.records import make_article
from storyline.stories.kinds import article_kind


@pytest.mark.parametrize(
    ("url", "title", "text", "kind"),
    [
        ("https://news.example/2024/05/01/bridge-closes", "Bridge closes", "The bridge closed.", "report"),
        ("https://news.example/opinion/why-the-bridge-matters", "Why it matters", "I think so.", "opinion"),
        ("https://news.example/2024/05/01/columnists/smith-bridge", "Bridge", "Text here.", "opinion"),
        ("", "Opinion: the bridge must reopen", "Text here.", "opinion"),
        ("", "Editorial | Reopen the bridge", "Text here.", "opinion"),
        ("https://news.example/live/2024/05/01/flood", "Flood", "Text here.", "live"),
        ("", "Live updates: flood in Marrow Vale", "Text here.", "live"),
        ("https://news.example/2024/05/01/flood-analysis-intl/index.html", "Flood", "Text.", "analysis"),
        ("", "ANALYSIS: what the flood means", "Text here.", "analysis"),
        ("", "Flood", "Analysis by Jo Doe: the flood shows", "analysis"),
        # a word inside a slug or title that is not a section or a label
        (
            "https://news.example/2024/05/01/columnist-wins-prize",
            "Olivia, live at the arena",
            "Text.",
            "report",
        ),
        ("https://news.example/delivery-drones", "Delivery drones", "Text.", "report"),
    ],
)
def test_kind_from_cues(url: str, title: str, text: str, kind: str) -> None:
    assert article_kind(make_article(text=text, title=title, url=url, origin="test")) == kind


def test_a_malformed_url_keeps_the_article() -> None:
    # "http://[::1" makes urllib raise: the whole record was quarantined as "unreadable JSON"
    article = make_article(
        text="The bridge closed on Monday.", title="Bridge", url="http://[::1", origin="test"
    )
    assert (article.source, article.url) == ("", "http://[::1")
    assert article_kind(article) == "report"
