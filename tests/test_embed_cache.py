"""The vector cache every stage shares: a text is encoded once, the cache stays bounded."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import storyline
from storyline.features.embed import CachedEmbedder, cached
from storyline.testing import FakeEmbedder, MemoryStore


class _Counting(FakeEmbedder):
    def __init__(self, dim: int = 16) -> None:
        super().__init__(dim=dim)
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen.extend(texts)
        return super().encode(texts)


def test_each_text_is_encoded_once_and_gets_the_vector_it_would_alone() -> None:
    inner = _Counting()
    embedder = CachedEmbedder(inner)
    first = embedder.encode(["a quake", "a fire", "a quake"])
    second = embedder.encode(["a fire", "a flood"])
    assert inner.seen == ["a quake", "a fire", "a flood"]
    assert np.array_equal(first[1], second[0])
    assert np.array_equal(first[0], first[2])
    assert np.array_equal(second, FakeEmbedder(dim=16).encode(["a fire", "a flood"]))
    assert (embedder.hits, embedder.misses) == (1, 3)
    assert embedder.encode([]).shape == (0, 16)
    assert embedder.name == inner.name and embedder.dim == 16


def test_the_cache_keeps_only_the_most_recent_texts() -> None:
    inner = _Counting()
    embedder = CachedEmbedder(inner, max_texts=2)
    embedder.encode(["one", "two"])
    embedder.encode(["one"])  # "one" is now the most recent
    embedder.encode(["three"])  # evicts "two"
    inner.seen.clear()
    embedder.encode(["one", "two", "three"])
    assert inner.seen == ["two"]
    with pytest.raises(ValueError, match="at least 1"):
        CachedEmbedder(inner, max_texts=0)


def test_cached_wraps_once() -> None:
    inner = FakeEmbedder(dim=8)
    once = cached(inner)
    assert isinstance(once, CachedEmbedder) and cached(once) is once


def test_a_run_encodes_each_text_once(tmp_path: Path) -> None:
    inner = _Counting(dim=32)
    sample = str(resources.files("storyline") / "sample" / "corpus.jsonl")
    with MemoryStore() as store:
        storyline.run(sample, store=store, embedder=inner, reports=tmp_path / "reports")
    assert inner.seen, "the stages asked for vectors"
    twice = sorted({t for t in inner.seen if inner.seen.count(t) > 1})
    assert not twice, f"encoded more than once in one run: {twice[:3]}"
