"""The story model's training script: how it deals topics into folds and picks a setting."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_story_model.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_story_model", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_story_model"] = module
    spec.loader.exec_module(module)
    return module


def test_partition_keeps_topics_whole_and_differs_by_seed(script: ModuleType) -> None:
    topics = [str(t) for t in range(33) for _ in range(3)]
    first, second = script.partition(topics, 5, 13), script.partition(topics, 5, 14)
    for folds in (first, second):
        assert sorted(t for f in folds for t in f) == sorted(set(topics))  # every topic in one fold
        assert sorted(len(f) for f in folds) == [6, 6, 7, 7, 7]
    assert first == script.partition(topics, 5, 13)
    assert first != second


def test_grid_choice_smooths_over_merge_thresholds_and_prefers_the_strict_join(script: ModuleType) -> None:
    grid = script.Grid([0.5, 0.6], [0.1, 0.2, 0.3, 0.4], [0.6], [6], 0.5)
    flat = {g: [0.9] for g in grid.settings}
    assert grid.choose(flat)[0] == 0.6  # a tie: the stricter online join
    # one lucky merge threshold between two poor ones loses to a plateau
    scores = dict(flat)
    scores[(0.5, 0.1, 0.6, 6)] = [0.99]
    for m in (0.2, 0.3, 0.4):
        scores[(0.5, m, 0.6, 6)] = [0.80]
    scores[(0.6, 0.2, 0.6, 6)] = scores[(0.6, 0.3, 0.6, 6)] = [0.95]
    assert grid.choose(scores) == (0.6, 0.2, 0.6, 6)


def test_plan_repeats_every_partition_with_each_random_state(script: ModuleType) -> None:
    assert script.plan(1, 1, 0) == [(0, 0)]  # the usual run: one partition, the given seed
    assert script.plan(2, 3, 5) == [(0, 5), (0, 6), (0, 7), (1, 5), (1, 6), (1, 7)]


def test_the_dated_trees_are_fitted_on_both_files_weighted_alike_and_flagged(script: ModuleType) -> None:
    # Two kinds of pairs that look alike but are labelled apart: the main gold file's (undated)
    # say that a pair sharing many words is one story; the dated file's same-day pairs say it
    # is not. The plain trees learn the first; the dated trees, which read the flag, learn both.
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((4000, 6))
    y = (x[:, 0] > 0.5).astype(np.int32)
    xd = rng.random((400, 6))
    yd = np.zeros(400, dtype=np.int32)
    model = script.fit_model(x, y, 0, (xd, yd), 1.0, 0)
    plain = script.fit_model(x, y, 0)
    assert plain.dated_trees is None and model.dated_days == 0
    assert model.trees is not None and model.dated_trees is not None
    close = np.array([[0.9, 0.5, 0.5, 0.0, 0.0, 0.5]])
    assert model.trees.predict(close)[0] > 0  # the main file alone: one story
    assert model.dated_trees.predict(np.column_stack([close, [0.0]]))[0] > 0  # undated row: the same
    assert model.dated_trees.predict(np.column_stack([close, [1.0]]))[0] < 0  # a same-day pair: two
    fitted = model.to_json()
    assert "dated_trees" in fitted and fitted["dated_days"] == 0
    # the dated pairs count as much as the main file's in all, or the share asked for
    weights = script.dated_weights(4000, 400)
    assert weights[:4000].sum() == pytest.approx(weights[4000:].sum()) and weights[0] == 1.0
    assert script.dated_weights(4000, 400, 0.5)[4000:].sum() == pytest.approx(2000)
