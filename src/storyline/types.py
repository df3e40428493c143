"""Interfaces of the swappable parts: stores and embedders.

A store backend subclasses :class:`Store`; an embedder is anything with the
:class:`Embedder` shape (the multilingual USE model, the fake in
:mod:`storyline.testing`, a user's own)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


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
