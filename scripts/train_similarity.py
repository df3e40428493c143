"""Train the pair-similarity model shipped in storyline/resources/similarity_model.json.gz.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_similarity.py path/to/sts22/train.csv \
        [--out src/storyline/resources/similarity_model.json.gz] [--cache /tmp/sim_cache]

Reads SemEval-2022 Task 8 pairs (pair_id, lang1, lang2, text1, text2, Geography, ..., Tone),
computes storyline's pair inputs (storyline.similarity.features.pair_inputs) and fits, with
scikit-learn:
1. the head: a ridge regression from the products and differences of the two articles'
   vectors to the gold Overall score. Its output is the last feature; on the training pairs
   the feature is the head's out-of-fold prediction, so the models after it see it as
   noisy as it will be on new pairs;
2. for each dimension, extremely randomised trees and a ridge regression over all features,
   weighted 0.8 / 0.2.
One text in eight is also set against itself with gold 1 (see with_self_pairs). Everything is
exported as plain JSON (no pickle), gzipped, and checked to predict what scikit-learn
predicts. Sentence vectors are cached in --cache, so a second run skips the embedding: about
7 minutes the first time on 2 cores, under a minute after. The training texts never enter the
repository.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from storyline.evaluation import GoldPair, read_gold_pairs
from storyline.features.embed import default_embedder
from storyline.similarity.features import DIMENSIONS, FEATURE_NAMES, PairInputs, pair_inputs
from storyline.similarity.model import load_model
from storyline.trees import Trees
from storyline.types import Embedder

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "storyline" / "resources" / "similarity_model.json.gz"

#: model settings, chosen by cross-validation on the training pairs (bench/similarity.py)
RIDGE_ALPHA = 10.0  # the linear part of each dimension, on standardised features
HEAD_ALPHA = 10.0  # the head, on raw vector products and differences
HEAD_FOLDS = 5  # folds of the head's out-of-fold predictions on the training pairs
FOREST = {"min_samples_leaf": 2, "max_features": 0.75}
#: trees per dimension: Overall, the task's main score, gets more
FOREST_TREES = {dim: 200 if dim == "overall" else 50 for dim in DIMENSIONS}
FOREST_WEIGHT = 0.8  # share of the trees in each dimension's score; the rest is ridge
SELF_PAIR_EVERY = 8  # one training text in this many is also set against itself (gold 1)
#: the head is kept to this many significant digits in the JSON
HEAD_DIGITS = 5


class CachingEmbedder:
    """Wraps an embedder and keeps its vectors in ``folder`` (keys.json + vectors.npy)."""

    def __init__(self, inner: Embedder, folder: Path) -> None:
        self.inner = inner
        self.folder = folder
        self.name = inner.name
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        if (folder / "keys.json").exists():
            self._index = {k: i for i, k in enumerate(json.loads((folder / "keys.json").read_text()))}
            self._vectors = np.load(folder / "vectors.npy")

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Cached vectors where there are any, the inner embedder's for the rest."""
        keys = [hashlib.blake2b(f"{self.name}\x1f{t}".encode(), digest_size=12).hexdigest() for t in texts]
        todo = sorted({k: i for i, k in enumerate(keys) if k not in self._index}.values())
        if todo:
            fresh = self.inner.encode([texts[i] for i in todo])
            start = len(self._index)
            for n, i in enumerate(todo):
                self._index[keys[i]] = start + n
            self._vectors = np.concatenate([self._vectors.reshape(start, fresh.shape[1]), fresh])
            self.folder.mkdir(parents=True, exist_ok=True)
            np.save(self.folder / "vectors.npy", self._vectors)
            (self.folder / "keys.json").write_text(json.dumps(list(self._index)))
        return self._vectors[[self._index[k] for k in keys]].astype(np.float32)


Vector = npt.NDArray[np.float64]


def gold_features(
    csv_path: Path, cache: Path | None
) -> tuple[list[GoldPair], PairInputs, dict[str, Vector], PairInputs]:
    """The pairs of ``csv_path``, their inputs, their gold scores per dimension, and the inputs
    of each pair's first article set against itself (see :func:`with_self_pairs`)."""
    pairs = read_gold_pairs(csv_path)
    embedder: Embedder = default_embedder()
    if cache is not None:
        embedder = CachingEmbedder(embedder, cache / "vectors")
    started = time.perf_counter()
    both = pair_inputs([(a, b) for _, a, b, _ in pairs] + [(a, a) for _, a, _, _ in pairs], embedder=embedder)
    print(
        f"features of {len(pairs)} pairs in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    gold = {dim: np.array([g[dim] for *_, g in pairs]) for dim in DIMENSIONS}
    n = len(pairs)
    return pairs, both.take(slice(0, n)), gold, both.take(slice(n, 2 * n))


def with_self_pairs(
    inputs: PairInputs, gold: dict[str, Vector], selves: PairInputs, rows: npt.NDArray[np.intp]
) -> tuple[PairInputs, dict[str, Vector], PairInputs]:
    """Training pairs ``rows``, their gold, and a text set against itself (1 on every dimension,
    by definition) for every SELF_PAIR_EVERY-th of them. The task's pairs hold almost no
    identical texts: without these, the earlier boosted-trees model scored a text against
    itself at about 1.7 instead of 1."""
    return (
        inputs.take(rows),
        {dim: g[rows] for dim, g in gold.items()},
        selves.take(rows[rows % SELF_PAIR_EVERY == 0]),
    )


def _fit_head(vectors: npt.NDArray[np.float32], target: Vector) -> Any:
    from sklearn.linear_model import Ridge

    return Ridge(alpha=HEAD_ALPHA).fit(vectors, target)


def _head_column(inputs: PairInputs, target: Vector, selves: PairInputs, head: Any) -> tuple[Vector, Vector]:
    """The head feature of the training pairs (out of fold) and of the self pairs (full head),
    both rounded as storyline rounds features."""
    from sklearn.model_selection import KFold

    column = np.zeros(len(inputs))
    for fit_rows, held in KFold(HEAD_FOLDS, shuffle=True, random_state=0).split(inputs.vectors):
        column[held] = _fit_head(inputs.vectors[fit_rows], target[fit_rows]).predict(inputs.vectors[held])
    return np.round(column, 4), np.round(_head_predict(head, selves.vectors), 4)


def _head_predict(head: Any, vectors: npt.NDArray[np.float32]) -> Vector:
    """The exported head's output: the rounded weights, in float64, as storyline computes it."""
    coef, intercept = _head_weights(head)
    return np.asarray(vectors.astype(np.float64) @ coef + intercept, dtype=np.float64)


def _head_weights(head: Any) -> tuple[Vector, float]:
    return np.array([float(f"{c:.{HEAD_DIGITS}g}") for c in head.coef_]), float(head.intercept_)


def training_matrix(
    inputs: PairInputs, gold: dict[str, Vector], selves: PairInputs
) -> tuple[Any, Vector, dict[str, Vector]]:
    """The head, and the full feature matrix and gold of the training pairs followed by the self
    pairs."""
    head = _fit_head(inputs.vectors, gold["overall"])
    column, self_column = _head_column(inputs, gold["overall"], selves, head)
    matrix = np.vstack([np.column_stack([inputs.rows, column]), np.column_stack([selves.rows, self_column])])
    targets = {dim: np.concatenate([g, np.ones(len(selves))]) for dim, g in gold.items()}
    return head, matrix, targets


def _fit_estimators(matrix: Vector, target: Vector, dim: str) -> tuple[Any, ...]:
    """The scaler statistics, the ridge regression and the trees for one dimension."""
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.linear_model import Ridge

    center = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    ridge = Ridge(alpha=RIDGE_ALPHA).fit((matrix - center) / scale, target)
    forest = ExtraTreesRegressor(n_estimators=FOREST_TREES[dim], **FOREST, random_state=0, n_jobs=-1)
    return center, scale, ridge, forest.fit(matrix, target)


def fit_dimension(matrix: Vector, target: Vector, dim: str) -> tuple[list[dict[str, Any]], Vector]:
    """Ridge and trees for one dimension, as exportable JSON parts, and what scikit-learn itself
    predicts for ``matrix`` with them (to check the export)."""
    center, scale, ridge, forest = _fit_estimators(matrix, target, dim)
    linear = {
        "type": "linear",
        "weight": 1.0 - FOREST_WEIGHT,
        "center": _round(center),
        "scale": _round(scale),
        "coef": _round(ridge.coef_),
        "intercept": float(ridge.intercept_),
    }
    fitted = (1 - FOREST_WEIGHT) * ridge.predict((matrix - center) / scale) + FOREST_WEIGHT * forest.predict(
        matrix
    )
    parts = [linear, {"type": "trees", "weight": FOREST_WEIGHT, **Trees.from_forest(forest).to_json()}]
    return parts, np.clip(fitted, 1.0, 4.0)


def _round(values: Any) -> list[float]:
    return [float(f"{v:.6g}") for v in np.asarray(values, dtype=np.float64)]


def fit_model(inputs: PairInputs, gold: dict[str, Vector], selves: PairInputs) -> dict[str, Any]:
    """The whole model, trained on ``inputs`` and the self pairs ``selves``, as the JSON document
    storyline.similarity.model.load_model reads."""
    return _fit(inputs, gold, selves)[0]


def _fit(
    inputs: PairInputs, gold: dict[str, Vector], selves: PairInputs
) -> tuple[dict[str, Any], Any, Vector, dict[str, Vector]]:
    """The model's JSON document, and for checking its export: the fitted head, the training
    matrix and scikit-learn's own predictions for it per dimension."""
    head, matrix, targets = training_matrix(inputs, gold, selves)
    coef, intercept = _head_weights(head)
    fitted = {dim: fit_dimension(matrix, targets[dim], dim) for dim in DIMENSIONS}
    spec = {
        "format": 2,
        "features": list(FEATURE_NAMES),
        "head": {
            "coef": coef.tolist(),
            "intercept": intercept,
            "mean": float(matrix[: len(inputs), -1].mean()),
        },
        "dimensions": {dim: parts for dim, (parts, _) in fitted.items()},
        "info": {
            "trained_on_pairs": len(inputs),
            "self_pairs": len(selves),
            "ridge_alpha": RIDGE_ALPHA,
            "head_alpha": HEAD_ALPHA,
            "forest": FOREST,
            "forest_trees": FOREST_TREES,
            "forest_weight": FOREST_WEIGHT,
            "scale": "1 = very similar, 4 = very dissimilar",
        },
    }
    return spec, head, matrix, {dim: predicted for dim, (_, predicted) in fitted.items()}


def write_model(spec: dict[str, Any], path: Path) -> None:
    """``spec`` as compact JSON, gzipped when ``path`` ends in .gz (reproducibly: no timestamp)."""
    text = (json.dumps(spec, separators=(",", ":")) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0) if path.suffix == ".gz" else text)


def main(argv: Sequence[str] | None = None) -> int:
    """Train on a gold CSV, check the exported model against scikit-learn, write it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold", type=Path, help="SemEval-2022 Task 8 training CSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sim_cache"), help="vector cache folder")
    args = parser.parse_args(argv)
    _pairs, inputs, gold, selves = gold_features(args.gold, args.cache)
    train = with_self_pairs(inputs, gold, selves, np.arange(len(inputs)))
    spec, head, matrix, fitted = _fit(*train)
    write_model(spec, args.out)
    # The check: the reloaded model on the training matrix against scikit-learn's own estimators.
    reloaded = load_model(args.out)
    exported = reloaded.predict(matrix)
    worst = max(float(np.abs(exported[dim] - fitted[dim]).max()) for dim in DIMENSIONS)
    head_gap = float(
        np.abs(reloaded.matrix(train[0])[:, -1] - np.round(head.predict(train[0].vectors), 4)).max()
    )
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB); export matches scikit-learn "
        f"within {worst:.1e} (head within {head_gap:.1e})"
    )
    return 0 if worst < 1e-3 and head_gap < 1e-2 else 1


if __name__ == "__main__":
    sys.exit(main())
