"""Tree ensembles read from plain JSON and evaluated with numpy.

The training scripts fit scikit-learn's histogram gradient boosting (the story model) or
extremely randomised trees (the similarity model) and export each tree as three parallel
lists (``scripts/train_similarity.py``, ``_export_trees`` and ``_export_forest``): per node
the split feature (-1 for a leaf), its threshold (a leaf: its value) and its right child;
nodes are in depth-first order, so a split's left child is the next node. An ensemble
predicts its base plus the sum of the leaves reached; a forest's leaves are stored already
divided by the number of trees, so the sum is the forest's mean. Shipping the trees this way
keeps pickle out of the package and the models readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Trees:
    """A fitted ensemble: its baseline and its trees as numpy arrays."""

    base: float
    trees: tuple[tuple[IntArray, FloatArray, IntArray], ...]

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Trees:
        """From ``{"base": float, "trees": [[features, values, rights], ...]}``."""
        trees = tuple(
            (np.asarray(f, dtype=np.int64), np.asarray(v, dtype=np.float64), np.asarray(r, dtype=np.int64))
            for f, v, r in spec["trees"]
        )
        return cls(float(spec["base"]), trees)

    def to_json(self) -> dict[str, Any]:
        """Inverse of :meth:`from_json`."""
        return {"base": self.base, "trees": [[f.tolist(), v.tolist(), r.tolist()] for f, v, r in self.trees]}

    def predict(self, matrix: npt.ArrayLike) -> FloatArray:
        """The baseline plus the leaf each row reaches in every tree (a regression value, or a
        classifier's log-odds)."""
        x = np.asarray(matrix, dtype=np.float64)
        total = np.full(len(x), self.base)
        if not len(x):
            return total
        rows = np.arange(len(x))
        for feature, value, right in self.trees:
            node = np.zeros(len(x), dtype=np.int64)
            while (inner := feature[node] >= 0).any():
                go_left = x[rows, np.maximum(feature[node], 0)] <= value[node]
                node = np.where(inner, np.where(go_left, node + 1, right[node]), node)
            total += value[node]
        return total
