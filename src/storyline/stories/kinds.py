"""What kind of piece an article is: a report, an opinion piece, an analysis, or a live blog.

A story holds every piece about its event (AllSides counts opinion and analysis in); the kind
lets a report tell them apart. Read from cues only, in this order: the URL's path (a section
such as ``/opinion/``, ``/commentary/``, ``/analysis/``, ``/live/``), then the title ("Opinion:",
"ANALYSIS |", "Live updates:", "Editorial:"), then the first characters of the text ("OPINION",
"Analysis by ..."). Anything else is a ``report``."""

from __future__ import annotations

import re

from ..models import Article
from ..text.normalize import split_url

KINDS = ("report", "opinion", "analysis", "live")

_URL = [
    # sections: a whole segment of the path
    ("live", re.compile(r"/(?:live|live-?updates?|live-?news|liveblog|live-?blog|as-it-happened)(?:/|$)")),
    (
        "opinion",
        re.compile(
            r"/(?:opinions?|commentary|comment|editorials?|columns?|columnists?|op-?eds?|"
            r"perspectives?|letters|blogs?|views)(?:/|$)"
        ),
    ),
    ("analysis", re.compile(r"/(?:analysis|news-analysis|explainers?|fact-?check)(?:/|$)")),
    # labels in a slug: "cuba-protests-analysis-intl", "live-updates-miami-..."
    ("live", re.compile(r"(?:^|[/-])live-updates?(?:[-/.]|$)")),
    ("analysis", re.compile(r"-analysis(?:[-/.]|$)")),
]
_TITLE = [
    ("live", re.compile(r"^\s*(?:live(?:\s+updates?)?|live blog)\s*[:|–—-]", re.I)),
    ("live", re.compile(r"\blive updates?\b|\bas it happened\b", re.I)),
    ("opinion", re.compile(r"^\s*(?:opinion|op-ed|editorial|commentary|column|letter)\s*[:|–—-]", re.I)),
    ("analysis", re.compile(r"^\s*(?:analysis|news analysis|explainer|fact check)\s*[:|–—-]", re.I)),
]
_TEXT = [
    ("opinion", re.compile(r"^\s*(?:opinion|op-ed|editorial|commentary)\b\s*[:|–—-]?", re.I)),
    ("analysis", re.compile(r"^\s*(?:analysis|news analysis)\b\s*(?:[:|–—-]|by\b)", re.I)),
]


def article_kind(article: Article) -> str:
    """``report``, ``opinion``, ``analysis`` or ``live``, from URL, title and text cues."""
    parts = split_url(article.url) if article.url else None
    path = parts.path.lower() if parts else ""
    for kind, pattern in _URL:
        if pattern.search(path):
            return kind
    for kind, pattern in _TITLE:
        if pattern.search(article.title or ""):
            return kind
    for kind, pattern in _TEXT:
        if pattern.search((article.text or "")[:60]):
            return kind
    return "report"
