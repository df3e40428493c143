"""Tree ensembles read from plain JSON and evaluated with numpy.

The training scripts fit scikit-learn's histogram gradient boosting (the story model) or
extremely randomised trees (the similarity model) and export them with
:meth:`Trees.from_boosting` and :meth:`Trees.from_forest`: each tree as three parallel
lists, per node the split feature (-1 for a leaf), its threshold (a leaf: its value) and its right child;
nodes are in depth-first order, so a split's left child is the next node. An ensemble
predicts its base plus the sum of the leaves reached; a forest's leaves are stored already
divided by the number of trees, so the sum is the forest's mean. Shipping the trees this way
keeps pickle out of the package and the models readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


#: at most this many rows, :meth:`Trees.predict` walks all trees a level at a time (one numpy
#: step per level: quick for the many small batches consolidation scores); more, one tree at a
#: time (its work arrays stay one row long per tree). Measured on the story model's 100 trees:
#: 64 rows 0.8 ms against 5.5 ms, 256 rows 5.1 against 7.7, 512 rows 11.4 against 10.5, 4,096
#: rows 104 against 52.
LEVELWISE_ROWS = 384
#: ensembles of more nodes than this (the similarity model's forest: 421,652) are always walked one
#: tree at a time: the level-wise walk needs a second copy of every node
LEVELWISE_NODES = 100_000


@dataclass(frozen=True, slots=True, eq=False)
class Trees:
    """A fitted ensemble: its baseline and its trees as numpy arrays."""

    base: float
    trees: tuple[tuple[IntArray, FloatArray, IntArray], ...]
    # every tree's nodes end to end (right children as positions in these), and each tree's root,
    # for the level-wise walk of small batches; empty for an ensemble over LEVELWISE_NODES
    _feature: IntArray = field(init=False, repr=False)
    _value: FloatArray = field(init=False, repr=False)
    _right: IntArray = field(init=False, repr=False)
    _roots: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sizes = [len(f) for f, _, _ in self.trees]
        if not sizes or sum(sizes) > LEVELWISE_NODES:  # no copy of a large forest: one tree at a time
            empty = np.zeros(0, np.int64)
            for name in ("_feature", "_right", "_roots"):
                object.__setattr__(self, name, empty)
            object.__setattr__(self, "_value", np.zeros(0))
            return
        roots = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        parts = [
            (f, v, np.where(f >= 0, r + root, 0)) for (f, v, r), root in zip(self.trees, roots, strict=True)
        ]
        object.__setattr__(self, "_feature", np.concatenate([p[0] for p in parts]))
        object.__setattr__(self, "_value", np.concatenate([p[1] for p in parts]))
        object.__setattr__(self, "_right", np.concatenate([p[2] for p in parts]))
        object.__setattr__(self, "_roots", roots)

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Trees:
        """From ``{"base": float, "trees": [[features, values, rights], ...]}``."""
        trees = tuple(
            (np.asarray(f, dtype=np.int64), np.asarray(v, dtype=np.float64), np.asarray(r, dtype=np.int64))
            for f, v, r in spec["trees"]
        )
        return cls(float(spec["base"]), trees)

    @classmethod
    def from_boosting(cls, gbm: Any) -> Trees:
        """A fitted scikit-learn ``HistGradientBoostingRegressor`` or binary classifier (no
        missing values in training). Thresholds stay exact; leaves, which already include the
        learning rate, are kept to 10 digits (a leaf of pairs of one class only may hold
        thousands: at 6 digits, a few of them summed were 0.005 off scikit-learn's log-odds)."""
        trees = tuple(
            _tree(
                (
                    (
                        bool(node["is_leaf"]),
                        node["left"],
                        node["feature_idx"],
                        node["num_threshold"],
                        node["value"],
                        node["right"],
                    )
                    for node in predictor.nodes
                ),
                leaf_scale=1.0,
                grid=None,
                digits=10,
            )
            for (predictor,) in gbm._predictors  # the fitted trees; scikit-learn has no public accessor
        )
        return cls(float(np.ravel(gbm._baseline_prediction)[0]), trees)

    @classmethod
    def from_forest(cls, forest: Any, *, grid: float = 1e-4) -> Trees:
        """A fitted scikit-learn forest regressor with one output, its leaves divided by the
        number of trees so that the sum :meth:`predict` computes is the forest's mean.

        Its features must be rounded to multiples of ``grid``: each threshold is moved to the
        middle of its grid cell, so every such value goes the same way as before and the
        thresholds print short.
        """
        n = len(forest.estimators_)
        trees = []
        for estimator in forest.estimators_:
            t = estimator.tree_
            nodes = (
                (
                    t.children_left[i] == -1,
                    t.children_left[i],
                    t.feature[i],
                    t.threshold[i],
                    t.value[i][0][0],
                    t.children_right[i],
                )
                for i in range(t.node_count)
            )
            trees.append(_tree(nodes, leaf_scale=1.0 / n, grid=grid))
        return cls(0.0, tuple(trees))

    def to_json(self) -> dict[str, Any]:
        """Inverse of :meth:`from_json`."""
        return {"base": self.base, "trees": [[f.tolist(), v.tolist(), r.tolist()] for f, v, r in self.trees]}

    def predict(self, matrix: npt.ArrayLike) -> FloatArray:
        """The baseline plus the leaf each row reaches in every tree (a regression value, or a
        classifier's log-odds)."""
        x = np.asarray(matrix, dtype=np.float64)
        if not len(x) or not self.trees:
            return np.full(len(x), self.base)
        if len(x) <= LEVELWISE_ROWS and len(self._roots):
            return self._levelwise(x)
        # both ways sum the leaves tree by tree from the base, in order: the same floats
        total = np.full(len(x), self.base)
        rows = np.arange(len(x))
        for feature, value, right in self.trees:
            node = np.zeros(len(x), dtype=np.int64)
            while (inner := feature[node] >= 0).any():
                go_left = x[rows, np.maximum(feature[node], 0)] <= value[node]
                node = np.where(inner, np.where(go_left, node + 1, right[node]), node)
            total += value[node]
        return total

    def _levelwise(self, x: FloatArray) -> FloatArray:
        # all trees a level at a time: one step moves every (row, tree) pair still at a split
        feature, value, right = self._feature, self._value, self._right
        node = np.broadcast_to(self._roots, (len(x), len(self._roots))).copy()
        rows = np.arange(len(x))[:, None]
        while (inner := feature[node] >= 0).any():
            go_left = x[rows, np.maximum(feature[node], 0)] <= value[node]
            node = np.where(inner, np.where(go_left, node + 1, right[node]), node)
        # summed tree by tree from the base, in order (as one tree at a time would): the same floats
        leaves = np.concatenate([np.full((len(x), 1), self.base), value[node]], axis=1)
        out: FloatArray = np.cumsum(leaves, axis=1)[:, -1]
        return out


def _tree(
    nodes: Iterable[tuple[bool, Any, Any, Any, Any, Any]],
    *,
    leaf_scale: float,
    grid: float | None,
    digits: int = 6,
) -> tuple[IntArray, FloatArray, IntArray]:
    """One tree from its nodes in depth-first order, each (is leaf, left child, feature,
    threshold, value, right child), in the layout :meth:`Trees.predict` reads."""
    features: list[int] = []
    values: list[float] = []
    rights: list[int] = []
    for i, (leaf, left, feature, threshold, value, right) in enumerate(nodes):
        if leaf:
            features.append(-1)
            values.append(float(f"{float(value) * leaf_scale:.{digits}g}"))
            rights.append(0)
            continue
        if int(left) != i + 1:
            raise RuntimeError("scikit-learn's tree layout changed: left child is not the next node")
        features.append(int(feature))
        cut = float(threshold)
        values.append(cut if grid is None else round((np.floor(cut / grid) + 0.5) * grid, 10))
        rights.append(int(right))
    return (
        np.asarray(features, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
        np.asarray(rights, dtype=np.int64),
    )
