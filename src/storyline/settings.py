"""Every option of storyline, with its default, in one frozen object.

Stages take ``settings`` as a keyword argument and read what they need from it;
nothing reads options from globals or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Options of the whole pipeline. Build with keywords; derive variants with :meth:`with_`."""

    # --- ingest -----------------------------------------------------------
    #: records written to the store per transaction
    batch_size: int = 500
    #: worker processes for extraction and analysis; 0 means one per CPU core, 1 runs in-process
    workers: int = 0
    #: a single-document file (text, HTML, JSON) larger than this is rejected;
    #: JSONL and WARC stream record by record and have no file limit
    max_document_bytes: int = 20_000_000
    #: article text beyond this many characters is cut (and the cut recorded)
    max_article_chars: int = 1_000_000
    #: an article needs at least this many characters of text after cleaning
    min_text_chars: int = 20
    #: HTML extraction: trafilatura's fast mode skips its fallback extractors
    html_fast: bool = True

    # --- learned boilerplate (see storyline.clean.boilerplate) --------------------
    #: learn each site's (and the corpus's) recurring sentences at ingest and remove them
    boilerplate: bool = True
    #: a sentence in this many unrelated articles of one site is that site's boilerplate
    boilerplate_site_min: int = 3
    #: a block of sentences in this many unrelated articles of the corpus is boilerplate
    boilerplate_corpus_min: int = 2
    #: counts of sentences seen once are forgotten after this many newer articles
    boilerplate_horizon: int = 100_000

    # --- analysis ---------------------------------------------------------
    #: characters of the text used for language identification
    language_sample_chars: int = 1500

    # --- stories and copies -------------------------------------------------
    #: one knob from 0 (recall: join and link generously) to 1 (precision: only sure links)
    precision: float = 0.5
    #: the hard bound on a story's time span: its dated articles lie at most this many days
    #: apart, first to last (a story is one event; later developments go to its thread)
    story_window_days: int = 4
    #: undated articles kept in the story candidate search (the oldest leave first): bounds memory
    max_undated_profiles: int = 50_000

    # --- threads (see storyline.stories.threads) -------------------------------------
    #: a story links to thread stories published at most this many days before or after it
    thread_gap_days: int = 21
    #: a thread's first and last stories lie at most this many days apart; a story beyond opens
    #: a new thread (a year-long subject is several threads, each of a season)
    thread_max_days: int = 120

    # --- reports (see storyline.report.html) ------------------------------------------
    #: a story's report compares its first this many versions (every pair of versions is
    #: aligned, so the cost grows with the square of it)
    report_max_versions: int = 50

    def __post_init__(self) -> None:
        for name in (
            "batch_size",
            "max_document_bytes",
            "max_article_chars",
            "language_sample_chars",
            "boilerplate_site_min",
            "boilerplate_corpus_min",
            "boilerplate_horizon",
            "max_undated_profiles",
            "report_max_versions",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"settings.{name} must be positive, got {getattr(self, name)!r}")
        if not 0.0 <= self.precision <= 1.0:
            raise ConfigError(f"settings.precision must be between 0 and 1, got {self.precision!r}")
        if self.workers < 0:
            raise ConfigError(f"settings.workers must be >= 0 (0: one per core), got {self.workers!r}")
        if self.story_window_days < 0:
            raise ConfigError(f"settings.story_window_days must be >= 0, got {self.story_window_days!r}")
        for name in ("thread_gap_days", "thread_max_days"):
            if getattr(self, name) < 0:
                raise ConfigError(f"settings.{name} must be >= 0, got {getattr(self, name)!r}")

    def with_(self, **changes: Any) -> Settings:
        """A copy with some options changed (validated like a new object)."""
        return replace(self, **changes)


DEFAULT_SETTINGS = Settings()
