"""Clustering scores: known values and invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.evaluation import bcubed, clustering_scores, pairwise


def test_known_values() -> None:
    predicted, gold = [1, 1, 2, 2], ["a", "a", "a", "b"]
    assert bcubed(predicted, gold) == pytest.approx(
        {"p": 0.75, "r": 2 / 3, "f1": 2 * 0.75 * (2 / 3) / (0.75 + 2 / 3)}
    )
    assert pairwise(predicted, gold) == pytest.approx({"p": 0.5, "r": 1 / 3, "f1": 0.4})


labels = st.lists(st.integers(0, 5), min_size=1, max_size=40)


@given(labels)
def test_identical_clusterings_score_one(gold: list[int]) -> None:
    assert bcubed(gold, gold)["f1"] == pytest.approx(1.0)
    assert pairwise([f"x{g}" for g in gold], gold)["f1"] == pytest.approx(1.0)


@given(labels)
def test_singletons_have_full_bcubed_precision(gold: list[int]) -> None:
    scores = bcubed(list(range(len(gold))), gold)
    assert scores["p"] == pytest.approx(1.0)
    assert scores["r"] <= 1.0


def test_missing_prediction_is_an_error() -> None:
    with pytest.raises(ValueError, match="no predicted cluster"):
        clustering_scores({"a": 1}, {"a": "x", "b": "y"})
