"""Train the pair-similarity model shipped in storyline/resources/similarity_model.json.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/train_similarity.py path/to/sts22/train.csv \
        [--out src/storyline/resources/similarity_model.json] [--cache /tmp/sim_cache]

Reads SemEval-2022 Task 8 pairs (pair_id, lang1, lang2, text1, text2, Geography, ..., Tone),
computes storyline's pair features (storyline.similarity.feature_matrix) and fits, for each
dimension, a ridge regression and a small gradient-boosted tree ensemble (scikit-learn),
weighted 0.3 / 0.7. One text in eight is also set against itself with gold 1 (see
with_self_pairs). Both parts are exported as plain JSON (no pickle) and checked to predict
what scikit-learn predicts. Sentence vectors are cached in --cache, so a second run skips the
embedding: about 7 minutes the first time on 2 cores, under a minute after. The training texts
never enter the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from storyline.embed import default_embedder
from storyline.similarity import (
    DIMENSIONS,
    FEATURE_NAMES,
    GoldPair,
    feature_matrix,
    load_model,
    read_gold_pairs,
)
from storyline.types import Embedder

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "storyline" / "resources" / "similarity_model.json"

#: model settings, chosen by cross-validation on the training pairs (bench/similarity.py)
RIDGE_ALPHA = 10.0
TREES = {
    "max_iter": 80,
    "learning_rate": 0.075,
    "max_leaf_nodes": 6,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
}
TREE_WEIGHT = 0.7  # share of the tree ensemble in the average; the rest is ridge
SELF_PAIR_EVERY = 8  # one training text in this many is also set against itself (gold 1)


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
) -> tuple[list[GoldPair], Vector, dict[str, Vector], Vector]:
    """The pairs of ``csv_path``, their feature matrix, their gold scores per dimension, and the
    features of each pair's first article set against itself (see :func:`with_self_pairs`)."""
    pairs = read_gold_pairs(csv_path)
    embedder: Embedder = default_embedder()
    if cache is not None:
        embedder = CachingEmbedder(embedder, cache / "vectors")
    started = time.perf_counter()
    both = feature_matrix(
        [(a, b) for _, a, b, _ in pairs] + [(a, a) for _, a, _, _ in pairs], embedder=embedder
    )
    print(
        f"features of {len(pairs)} pairs in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    gold = {dim: np.array([g[dim] for *_, g in pairs]) for dim in DIMENSIONS}
    return pairs, both[: len(pairs)], gold, both[len(pairs) :]


def with_self_pairs(
    matrix: Vector, gold: dict[str, Vector], self_matrix: Vector, rows: npt.NDArray[np.intp]
) -> tuple[Vector, dict[str, Vector]]:
    """Training rows ``rows``, plus a text set against itself (1 on every dimension, by definition)
    for every SELF_PAIR_EVERY-th of them. The task's pairs hold almost no identical texts, and
    without these the model scores a text against itself at about 1.7 instead of 1."""
    extra = rows[rows % SELF_PAIR_EVERY == 0]
    stacked = np.vstack([matrix[rows], self_matrix[extra]])
    return stacked, {dim: np.concatenate([g[rows], np.ones(len(extra))]) for dim, g in gold.items()}


def _fit_estimators(matrix: npt.NDArray[np.float64], target: npt.NDArray[np.float64]) -> tuple[Any, ...]:
    """The scaler statistics, the ridge regression and the tree ensemble for one dimension."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

    center = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    ridge = Ridge(alpha=RIDGE_ALPHA).fit((matrix - center) / scale, target)
    gbm = HistGradientBoostingRegressor(**TREES, random_state=0).fit(matrix, target)
    return center, scale, ridge, gbm


def fit_dimension(matrix: npt.NDArray[np.float64], target: npt.NDArray[np.float64]) -> list[dict[str, Any]]:
    """Ridge and gradient-boosted trees for one dimension, as exportable JSON parts."""
    center, scale, ridge, gbm = _fit_estimators(matrix, target)
    linear = {
        "type": "linear",
        "weight": 1.0 - TREE_WEIGHT,
        "center": _round(center),
        "scale": _round(scale),
        "coef": _round(ridge.coef_),
        "intercept": float(ridge.intercept_),
    }
    return [linear, {"type": "trees", "weight": TREE_WEIGHT, **_export_trees(gbm)}]


def _round(values: Any) -> list[float]:
    return [float(f"{v:.6g}") for v in np.asarray(values, dtype=np.float64)]


def _export_trees(gbm: Any) -> dict[str, Any]:
    """scikit-learn's histogram trees as compact lists: per tree the split feature of each node
    (-1 for a leaf), its threshold (a leaf: its value) and its right child.

    Nodes are in depth-first order, so a split's left child is the next node. Thresholds are
    kept exact (features are rounded to 4 decimals, so they print short); leaf values, which
    already include the learning rate, to 6 digits. Training data has no NaN: missing-value
    routing is not needed.
    """
    trees = []
    for (predictor,) in gbm._predictors:  # the fitted trees; scikit-learn has no public accessor
        features: list[int] = []
        values: list[float] = []
        rights: list[int] = []
        for i, node in enumerate(predictor.nodes):
            if node["is_leaf"]:
                features.append(-1)
                values.append(float(f"{node['value']:.6g}"))
                rights.append(0)
            else:
                if int(node["left"]) != i + 1:
                    raise RuntimeError("scikit-learn's tree layout changed: left child is not the next node")
                features.append(int(node["feature_idx"]))
                values.append(float(node["num_threshold"]))
                rights.append(int(node["right"]))
        trees.append([features, values, rights])
    return {"base": float(np.ravel(gbm._baseline_prediction)[0]), "trees": trees}


def fit_model(matrix: npt.NDArray[np.float64], gold: dict[str, npt.NDArray[np.float64]]) -> dict[str, Any]:
    """The whole model as the JSON document storyline.similarity.load_model reads."""
    return {
        "format": 1,
        "features": list(FEATURE_NAMES),
        "dimensions": {dim: fit_dimension(matrix, gold[dim]) for dim in DIMENSIONS},
        "info": {
            "trained_on_pairs": len(matrix),
            "ridge_alpha": RIDGE_ALPHA,
            "trees": TREES,
            "tree_weight": TREE_WEIGHT,
            "scale": "1 = very similar, 4 = very dissimilar",
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Train on a gold CSV, check the exported model against scikit-learn, write it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold", type=Path, help="SemEval-2022 Task 8 training CSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sim_cache"), help="vector cache folder")
    args = parser.parse_args(argv)
    _pairs, all_rows, all_gold, self_matrix = gold_features(args.gold, args.cache)
    matrix, gold = with_self_pairs(all_rows, all_gold, self_matrix, np.arange(len(all_rows)))
    spec = fit_model(matrix, gold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(spec, separators=(",", ":")) + "\n", encoding="utf-8")
    reloaded = load_model(args.out).predict(matrix)
    fitted = {dim: np.clip(_sklearn_predict(matrix, gold[dim]), 1, 4) for dim in DIMENSIONS}
    worst = max(float(np.abs(reloaded[d] - fitted[d]).max()) for d in DIMENSIONS)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB); export matches scikit-learn within {worst:.1e}"
    )
    return 0 if worst < 1e-3 else 1


def _sklearn_predict(
    matrix: npt.NDArray[np.float64], target: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """What scikit-learn itself predicts for the training rows (to check the export)."""
    center, scale, ridge, gbm = _fit_estimators(matrix, target)
    pred = (1 - TREE_WEIGHT) * ridge.predict((matrix - center) / scale) + TREE_WEIGHT * gbm.predict(matrix)
    return np.asarray(pred, dtype=np.float64)


if __name__ == "__main__":
    sys.exit(main())
