"""Tree ensembles exported from scikit-learn and evaluated with numpy predict what scikit-learn does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingClassifier

from storyline.trees import Trees


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((400, 5)).round(4)  # features on the 4-decimal grid, as storyline rounds them
    y = x[:, 0] + 0.5 * (x[:, 1] > 0.3) + 0.1 * rng.standard_normal(400)
    return x, y


def test_boosted_trees_give_scikit_learns_log_odds(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    gbm = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(x, y > 0.8)
    trees = Trees.from_json(json.loads(json.dumps(Trees.from_boosting(gbm).to_json())))
    assert len(trees.trees) == 20
    assert np.abs(trees.predict(x) - gbm.decision_function(x)).max() < 1e-4


def test_a_forest_gives_scikit_learns_mean_with_snapped_thresholds(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    x, y = data
    forest = ExtraTreesRegressor(n_estimators=15, min_samples_leaf=2, random_state=0).fit(x, y)
    trees = Trees.from_forest(forest)
    assert trees.base == 0.0 and len(trees.trees) == 15
    fresh = np.random.default_rng(1).random((300, 5)).round(4)  # unseen rows on the same grid
    for rows in (x, fresh):
        assert np.abs(trees.predict(rows) - forest.predict(rows)).max() < 1e-5
    thresholds = np.concatenate([v[f >= 0] for f, v, _ in trees.trees])
    assert np.allclose((thresholds * 1e4) % 1, 0.5)  # each in the middle of its grid cell


def _one_tree_at_a_time(trees: Trees, x: np.ndarray) -> np.ndarray:
    # the plain definition: walk each tree from its root, add the leaves to the base in order
    total = np.full(len(x), trees.base)
    for feature, value, right in trees.trees:
        for k, row in enumerate(x):
            node = 0
            while feature[node] >= 0:
                node = node + 1 if row[feature[node]] <= value[node] else right[node]
            total[k] += value[node]
    return total


def test_small_and_large_batches_give_the_floats_of_one_tree_at_a_time_row_by_row(
    data: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    x, y = data
    gbm = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=1).fit(x, y > 0.8)
    trees = Trees.from_boosting(gbm)
    fresh = np.random.default_rng(2).random((150, 5))
    for rows in (x, x[:1], fresh):  # 400 rows: one tree at a time; 1 and 150: all trees a level at a time
        assert np.array_equal(trees.predict(rows), _one_tree_at_a_time(trees, rows))
    monkeypatch.setattr("storyline.trees.LEVELWISE_ROWS", 10_000)  # all of them a level at a time
    assert np.array_equal(trees.predict(x), _one_tree_at_a_time(trees, x))
    monkeypatch.setattr("storyline.trees.LEVELWISE_NODES", 10)  # too large to copy: one tree at a time
    big = Trees.from_boosting(gbm)
    assert not len(big._roots) and np.array_equal(big.predict(x[:5]), _one_tree_at_a_time(trees, x[:5]))
    assert trees.predict(np.zeros((0, 5))).shape == (0,)
    assert Trees(0.5, ()).predict(x[:3]).tolist() == [0.5, 0.5, 0.5]
