"""Interfaces of the swappable parts: stores and embedders.

A store backend subclasses :class:`Store`; an embedder is anything with the
:class:`Embedder` shape (the multilingual USE model, the fake in
:mod:`storyline.testing`, a user's own).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from .models import Article, Quarantined


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors, one row per text."""

    #: a short name of the model, stored with what it produced
    name: str
    #: the length of every vector ``encode`` returns
    dim: int

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of ``texts``, shape ``(len(texts), dim)``, unit length."""
        ...


class Store(abc.ABC):
    """What every store backend provides."""

    @abc.abstractmethod
    def write_batch(self, articles: Sequence[Article], quarantined: Sequence[Quarantined] = ()) -> list[str]:
        """Store a batch atomically; return the ids that were new."""

    @abc.abstractmethod
    def has_article(self, article_id: str) -> bool:
        """Whether the article is stored."""

    @abc.abstractmethod
    def get_article(self, article_id: str) -> Article:
        """One article by id; raises :class:`~storyline.errors.NotFoundError`."""

    @abc.abstractmethod
    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]:
        """Stored articles, in storing order."""

    @abc.abstractmethod
    def count_articles(self) -> int:
        """How many articles are stored."""

    @abc.abstractmethod
    def iter_quarantine(self) -> Iterator[Quarantined]:
        """Rejected records."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the backend."""
