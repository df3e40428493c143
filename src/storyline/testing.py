"""Fakes for tests, shipped with the package so users' tests can use them too: an embedder
(:class:`FakeEmbedder`, any dimension) and the plain-Python store
(:class:`~storyline.store.memory.MemoryStore`, the whole store contract)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .features.embed import normalize_rows
from .store.memory import MemoryStore

_WORD = re.compile(r"\w+", re.UNICODE)


class FakeEmbedder:
    """A deterministic bag-of-words embedder: texts sharing words get similar vectors.

    No model, no languages: use it where a test is about the plumbing, not the model.
    """

    name = "fake-bow"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Hashed word counts, unit length."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self.dim] += 1.0
        return normalize_rows(out)


__all__ = ["FakeEmbedder", "MemoryStore"]
