"""The store contract every backend implements, and the story builder they share."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

    from ..clean.boilerplate import Count, CountsUpdate
    from ..models import Article, Assignment, CopyLink, Membership, Quarantined, Story


class Store(abc.ABC):
    """What every store backend provides: the one contract the stages, the CLI, the server and
    the Spark importer are written against.

    Two backends implement it: :class:`~storyline.store.SQLiteStore` (a file, or ``":memory:"``)
    and :class:`~storyline.testing.MemoryStore` (plain Python, for tests and notebooks); one
    golden test suite (``tests/test_store_contract.py``) runs against both. A store is a
    context manager (``with open_store(path) as store:`` closes it).

    Every write is atomic: a method that writes either stores all it was given or nothing.
    Ids of articles and stories are content hashes; ``get_article`` and ``get_story`` also
    take a unique prefix (and an article's record id, a story's absorbed id).
    """

    #: where the store lives, for messages (a file path, ``":memory:"``)
    path: str = ""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def close(self) -> None:
        """Release the backend (further calls fail)."""

    @abc.abstractmethod
    def grouping(self, on_wait: Callable[[], object] | None = None) -> AbstractContextManager[None]:
        """``with store.grouping():`` one story stage at a time on this store, in every thread and
        (for a file) every process that opens it; a second holder waits (``on_wait`` is called once
        when it must). Reentrant. The story stage holds it from reading the ungrouped articles to
        writing the last batch, so two runs at once never place an article twice."""

    # ------------------------------------------------------------------ articles and quarantine
    @abc.abstractmethod
    def write_batch(
        self,
        articles: Sequence[Article],
        quarantined: Sequence[Quarantined] = (),
        *,
        counts: CountsUpdate | None = None,
    ) -> list[str]:
        """Store a batch atomically; return the ids that were new (the rest were duplicates).
        A quarantine entry already held (same origin, position and reason) is replaced.
        ``counts``: what the batch taught the boilerplate learner, committed with it."""

    @abc.abstractmethod
    def replace_cleaned(self, articles: Sequence[Article]) -> None:
        """Store re-cleaned versions of stored articles (text, sentences, removed) and drop what was
        decided on the old text: story membership and profile, copy links and checks (a
        ``recleaned`` event goes to the story the article left)."""

    @abc.abstractmethod
    def has_article(self, article_id: str) -> bool:
        """Whether the article is stored (exact id)."""

    @abc.abstractmethod
    def get_article(self, article_id: str) -> Article:
        """One article by id, unique id prefix or record id; raises
        :class:`~storyline.errors.NotFoundError` (none, or an ambiguous prefix)."""

    @abc.abstractmethod
    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]:
        """Stored articles, in storing order (or those of ``ids``, in that order, as ``get_article``)."""

    @abc.abstractmethod
    def count_articles(self) -> int:
        """How many articles are stored."""

    @abc.abstractmethod
    def stored_ids(self, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` that are stored."""

    @abc.abstractmethod
    def max_seq(self) -> int:
        """The storing number of the latest article (0 for an empty store)."""

    @abc.abstractmethod
    def iter_quarantine(self) -> Iterator[Quarantined]:
        """Rejected records, oldest first."""

    @abc.abstractmethod
    def find_articles(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        language: str | None = None,
        source: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[Article], int]:
        """The stored articles that pass the filters, in storing order, one page of them (``limit``
        from ``offset``), and how many pass in all. ``since``/``until`` are ISO dates, inclusive,
        and leave out undated articles; ``language`` and ``source`` match exactly (case aside)."""

    @abc.abstractmethod
    def iter_found(
        self,
        since: str | None = None,
        until: str | None = None,
        language: str | None = None,
        source: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[Article]:
        """The articles :meth:`find_articles` gives, streamed."""

    @abc.abstractmethod
    def find_quarantine(
        self, *, origin: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Quarantined], int]:
        """Rejected records (oldest first) whose file contains ``origin``: one page and the total."""

    # ------------------------------------------------------------------ maintenance
    @abc.abstractmethod
    def clear_quarantine(self, *, origin: str | None = None) -> int:
        """Forget rejected records (those whose file contains ``origin``, or all); returns how many."""

    @abc.abstractmethod
    def delete_sources(self, sources: Sequence[str]) -> int:
        """Delete the articles of these outlets (exact match, case aside) with everything derived
        from them (memberships, profiles, copy links, copy checks), atomically; returns how many
        articles went. Stories keep their other members."""

    @abc.abstractmethod
    def reset_stories(self) -> int:
        """Forget every story, membership, story event, profile, copy link, copy check and thread
        (the articles stay); returns how many stories there were."""

    @abc.abstractmethod
    def iter_memberships(self) -> Iterator[Membership]:
        """Every membership (why each article is in its story), in joining order."""

    # ------------------------------------------------------------------ learned boilerplate
    @abc.abstractmethod
    def boilerplate_counts(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Count]:
        """The stored counts of the given (scope, key) pairs (those never seen are absent); the
        counts returned are the caller's to change."""

    @abc.abstractmethod
    def write_boilerplate_counts(self, update: CountsUpdate) -> None:
        """Store what a batch taught: insert ``update.new`` rows (or replace them), change the counts
        of ``update.updated`` keys already stored, and prune keys seen once whose last sighting is
        older than ``update.prune_before``; add the ``update.firsts`` chunks of first sightings, drop
        those numbered ``update.firsts_drop`` and those whose last storing number is older than
        ``update.prune_before``."""

    @abc.abstractmethod
    def boilerplate_keys(self, scope: str) -> list[int]:
        """The keys the store holds counts of in one scope (``""``: the corpus)."""

    @abc.abstractmethod
    def boilerplate_firsts(self) -> list[tuple[int, int, bytes, bytes]]:
        """The stored chunks of first sightings: (number, last storing number, keys, holders), the two
        arrays as little-endian int64 bytes (see :class:`storyline.clean.firsts.FirstSightings`)."""

    @abc.abstractmethod
    def iter_boilerplate(
        self, *, site: str | None = None, min_unrelated: int = 2, limit: int = 200
    ) -> list[Count]:
        """Recurring keys (``unrelated >= min_unrelated``), by scope, most widespread first;
        ``site`` picks one scope (``""`` the corpus scope)."""

    # ------------------------------------------------------------------ stories
    @abc.abstractmethod
    def write_assignments(
        self, assignments: Sequence[Assignment], profiles: Sequence[tuple[str, int | None, bytes]] = ()
    ) -> None:
        """Record where articles went, the merges they caused, and the profiles the story stage keeps
        (article id, publication ordinal, bytes), atomically."""

    @abc.abstractmethod
    def unassigned_ids(self) -> list[str]:
        """Articles in no story yet (boilerplate-only ones excepted), in publication order (undated
        first), then storing order."""

    @abc.abstractmethod
    def iter_profiles(self, since: int | None = None) -> Iterator[tuple[str, str, bytes]]:
        """(article id, story id, profile bytes) of assigned articles published since the ordinal
        ``since`` (and of undated ones), in publication order."""

    @abc.abstractmethod
    def newest_published_ordinal(self) -> int | None:
        """The ordinal of the latest publication date among the kept profiles (None: none dated)."""

    @abc.abstractmethod
    def merged_stories(self) -> dict[str, str]:
        """Story id → the story it was merged into, for every merged story."""

    @abc.abstractmethod
    def thread_memberships(self) -> dict[str, tuple[str, float, dict[str, Any]]]:
        """Story id → (thread id, score, evidence) for every threaded story."""

    @abc.abstractmethod
    def merged_threads(self) -> dict[str, str]:
        """Thread id → the thread it was merged into, for every merged thread."""

    @abc.abstractmethod
    def write_thread_links(self, links: Sequence[Any], dropped_stories: Iterable[str] = ()) -> None:
        """Record where stories went (:class:`~storyline.stories.threads.ThreadLink`: opened threads,
        merges, score and evidence) and forget the thread rows of ``dropped_stories``, atomically."""

    @abc.abstractmethod
    def members_of(self, story_ids: Iterable[str]) -> dict[str, list[str]]:
        """Story id → its member article ids in joining order, for the given stories."""

    @abc.abstractmethod
    def story_ids_of(self, article_ids: Iterable[str] | None) -> dict[str, str]:
        """Article id → story id, for the given articles (all assigned ones when None)."""

    @abc.abstractmethod
    def current_story_id(self, story_id: str) -> str:
        """The id a story goes by now (an absorbed story's id, or a unique prefix, leads to it)."""

    @abc.abstractmethod
    def list_stories(self) -> list[Story]:
        """Every current story, members in publication order, largest stories first."""

    def count_stories(self) -> int:
        """How many current stories there are (a backend may count without listing them)."""
        return len(self.list_stories())

    @abc.abstractmethod
    def get_story(self, story_id: str) -> Story:
        """One story (as ``current_story_id`` finds it); raises :class:`~storyline.errors.NotFoundError`."""

    @abc.abstractmethod
    def memberships(self, story_id: str) -> list[Membership]:
        """Why each member is in the story, in joining order."""

    @abc.abstractmethod
    def story_events(self, story_id: str) -> list[dict[str, Any]]:
        """The history of a story (``kind``, ``article``, ``detail``, ``at``): opened, joined,
        merged, merged-into, recleaned, in order."""

    # ------------------------------------------------------------------ copies
    @abc.abstractmethod
    def articles_without_copy_check(self) -> list[str]:
        """Articles in a story that the copy stage has not looked at yet."""

    @abc.abstractmethod
    def write_copies(self, links: Sequence[CopyLink], checked: Iterable[str] = ()) -> None:
        """Store copy links (a link found again replaces the old one) and mark ``checked`` articles
        as looked at, atomically."""

    @abc.abstractmethod
    def copies(self, article_ids: Iterable[str] | None = None) -> list[CopyLink]:
        """Copy links that involve any of ``article_ids`` (all links when None), oldest first."""
