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
