"""Blocking for copies: word shingles and a MinHash LSH index of near duplicates (pure functions a Spark job can call)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import StorylineError

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_SIZE = 5


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (letters and digits, any script)."""
    return _WORD.findall(text.lower())


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[str]:
    """Word ``size``-grams of ``text``; a shorter text is one shingle, an empty one none."""
    toks = words(text)
    if len(toks) <= size:
        return {" ".join(toks)} if toks else set()
    return set(map(" ".join, zip(*(toks[i:] for i in range(size)), strict=False)))  # ragged on purpose


# --------------------------------------------------------------------------- blocking


class NearDuplicateIndex:
    """Incremental MinHash-LSH over word shingles: which stored articles share most of a text?

    With 128 permutations in 32 bands of 4 rows, a pair of Jaccard ``s`` becomes a
    candidate with probability ``1 - (1 - s**4)**32``: 0.988 at s = 0.6, 0.87 at 0.5,
    0.05 at 0.2. Per article the index keeps its 32 band keys (in rensa), its
    128-value signature (512 bytes, to rank candidates by estimated Jaccard) and its
    id: memory grows by a fixed amount per article, never with its length.
    """

    def __init__(
        self, *, num_perm: int = 128, num_bands: int = 32, shingle_size: int = SHINGLE_SIZE, seed: int = 1
    ) -> None:
        self.num_perm = num_perm
        self.num_bands = num_bands
        self.shingle_size = shingle_size
        self.seed = seed
        self.lsh_: Any = None
        self.ids_: list[str | None] = []
        self.keys_: dict[str, int] = {}
        self.signatures_ = np.zeros((0, 0), dtype=np.uint32)

    def _signature(self, text: str) -> tuple[Any, npt.NDArray[np.uint32]] | None:
        import rensa

        if self.lsh_ is None:
            if self.num_perm <= 0 or self.num_bands <= 0 or self.num_perm % self.num_bands:
                raise StorylineError(
                    f"NearDuplicateIndex needs num_perm ({self.num_perm}) to be a positive multiple of "
                    f"num_bands ({self.num_bands}), e.g. 128 and 32"
                )
            self.lsh_ = rensa.RMinHashLSH(threshold=0.6, num_perm=self.num_perm, num_bands=self.num_bands)
            self.signatures_ = np.zeros((0, self.num_perm), dtype=np.uint32)
        tokens = shingles(text, self.shingle_size)
        if not tokens:
            return None
        minhash = rensa.RMinHash(self.num_perm, self.seed)
        minhash.update(list(tokens))
        return minhash, np.asarray(minhash.digest(), dtype=np.uint32)

    def add(self, article_id: str, text: str) -> bool:
        """Index ``text`` under ``article_id``; False when the id is already in or the text has no words."""
        if article_id in self.keys_:
            return False
        signed = self._signature(text)
        if signed is not None:
            self._insert(article_id, *signed)
        return signed is not None

    def _insert(self, article_id: str, minhash: Any, digest: npt.NDArray[np.uint32]) -> None:
        key = len(self.ids_)
        if key == len(self.signatures_):  # grow by doubling: amortised O(1) per article
            grown = np.zeros((max(16, 2 * key), self.num_perm), dtype=np.uint32)
            grown[:key] = self.signatures_
            self.signatures_ = grown
        self.signatures_[key] = digest
        self.lsh_.insert(key, minhash)
        self.ids_.append(article_id)
        self.keys_[article_id] = key

    def _candidates(
        self, minhash: Any, digest: npt.NDArray[np.uint32], min_jaccard: float
    ) -> list[tuple[str, float]]:
        keys = sorted(set(self.lsh_.query(minhash))) if self.keys_ else []
        if not keys:
            return []
        estimates = (self.signatures_[keys] == digest).mean(axis=1)
        found = [(self.ids_[k], float(j)) for k, j in zip(keys, estimates, strict=True) if j >= min_jaccard]
        return sorted(((i, j) for i, j in found if i is not None), key=lambda p: (-p[1], p[0]))

    def query_scored(self, text: str, *, min_jaccard: float = 0.0) -> list[tuple[str, float]]:
        """Indexed articles sharing an LSH band with ``text``, with estimated Jaccard, best first."""
        signed = self._signature(text)
        return self._candidates(*signed, min_jaccard) if signed is not None else []

    def query(self, text: str, *, min_jaccard: float = 0.0) -> list[str]:
        """Ids of indexed articles that likely share most of ``text``'s shingles, best first."""
        return [article_id for article_id, _ in self.query_scored(text, min_jaccard=min_jaccard)]

    def query_and_add(self, article_id: str, text: str, *, min_jaccard: float = 0.0) -> list[str]:
        """The streaming step: :meth:`query` for an arriving article, then :meth:`add` it (hashing once)."""
        signed = self._signature(text)
        if signed is None:
            return []
        found = [i for i, _ in self._candidates(*signed, min_jaccard) if i != article_id]
        if article_id not in self.keys_:
            self._insert(article_id, *signed)
        return found

    def remove(self, article_id: str) -> bool:
        """Forget an article (its signature row stays allocated); False when it was not indexed."""
        key = self.keys_.pop(article_id, None)
        if key is None:
            return False
        self.lsh_.remove(key)
        self.ids_[key] = None
        return True

    def __len__(self) -> int:
        return len(self.keys_)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.keys_
