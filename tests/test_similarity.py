"""Pair similarity on the SemEval-2022 Task 8 dimensions: model file, features, scores, evaluation.

Texts here are written for the tests; the task's data stays out of the repository. The fake
embedder covers the plumbing; a few tests marked slow use the real multilingual model.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.errors import InputError, StorylineError
from storyline.evaluation import evaluate_similarity, read_gold_pairs
from storyline.models import Article, PairScores, to_dict
from storyline.readers.records import make_article
from storyline.similarity.features import DIMENSIONS, FEATURE_NAMES, PAIR_FEATURES, PairInputs, pair_inputs
from storyline.similarity.model import (
    SimilarityModel,
    feature_matrix,
    load_model,
    model_from_dict,
    pearson,
    score_pair,
    score_pairs,
)
from storyline.testing import FakeEmbedder
from storyline.types import Embedder

FLOOD = (
    "Heavy rain flooded the old town of Kessel on Monday, and the river Lind rose two metres overnight.\n\n"
    "Mayor Ilse Brandt said 300 residents were moved to the sports hall while firefighters pumped out cellars.\n\n"
    "The regional weather office expects more rain until Wednesday; schools in Kessel stay closed."
)
FLOOD_REWRITE = (
    "Firefighters in Kessel pumped water from cellars after the river Lind burst its banks on Monday.\n\n"
    "About 300 people spent the night in a sports hall, Mayor Ilse Brandt said.\n\n"
    "Forecasters warn of further rain until Wednesday, and Kessel's schools remain shut."
)
FLOOD_DE = (
    "Starker Regen hat am Montag die Altstadt von Kessel überflutet, der Fluss Lind stieg über Nacht um zwei Meter.\n\n"
    "Bürgermeisterin Ilse Brandt sagte, 300 Bewohner seien in die Sporthalle gebracht worden.\n\n"
    "Der Wetterdienst erwartet bis Mittwoch weiteren Regen; die Schulen in Kessel bleiben geschlossen."
)
MARKETS = (
    "Shares of the chip maker Norvane rose 8 percent in New York after it raised its forecast for 2025.\n\n"
    "Chief executive Ravi Menon told analysts that demand from data centres had doubled in a year.\n\n"
    "The company plans to buy back stock worth 4 billion dollars over the next two years."
)


def article(text: str, title: str = "", *, language: str = "", published: str | None = None) -> Article:
    return make_article(text=text, title=title, language=language, published=published, origin="test")


@pytest.fixture(scope="module")
def fake() -> FakeEmbedder:
    return FakeEmbedder(dim=512)  # USE's width, so the shipped model's head reads its vectors


@pytest.fixture(scope="module")
def model() -> SimilarityModel:
    return load_model()


# --------------------------------------------------------------------------- the model file


def test_shipped_model_is_small_and_covers_every_dimension(model: SimilarityModel) -> None:
    path = (
        Path(__file__).resolve().parents[1] / "src" / "storyline" / "resources" / "similarity_model.json.gz"
    )
    assert path.stat().st_size < 3_000_000
    assert set(model.parts) == set(DIMENSIONS)
    assert model.features == FEATURE_NAMES
    spec = json.loads(gzip.decompress(path.read_bytes()))
    assert spec["features"] == list(FEATURE_NAMES)
    assert len(spec["head"]["coef"]) == 2 * 5 * 512  # products and differences of five USE vectors


def _tiny_model(
    trees: list[list[list[float]]], base: float = 2.0, head: list[float] | None = None
) -> SimilarityModel:
    n = len(FEATURE_NAMES)
    linear = {"type": "linear", "weight": 0.5, "center": [0.0] * n, "scale": [1.0] * n,
              "coef": [1.0] + [0.0] * (n - 1), "intercept": 2.5}  # fmt: skip
    tree_part = {"type": "trees", "weight": 0.5, "base": base, "trees": trees}
    return model_from_dict(
        {
            "features": list(FEATURE_NAMES),
            "head": {"coef": head or [0.0] * 4, "intercept": 0.5, "mean": 2.75},
            "dimensions": {d: [linear, tree_part] for d in DIMENSIONS},
        }
    )


def test_tree_and_linear_parts_predict_what_they_encode() -> None:
    # One split on feature 0 at 0.5: left leaf +1, right leaf -1 (depth-first, left child next).
    tiny = _tiny_model([[[0, -1, -1], [0.5, 1.0, -1.0], [2, 0, 0]]])
    rows = np.zeros((3, len(FEATURE_NAMES)))
    rows[:, 0] = [0.2, 0.5, 0.9]
    overall = tiny.predict(rows)["overall"]
    # 0.5 * (2.5 + x) + 0.5 * (2.0 + leaf); x <= 0.5 goes left (ties included)
    assert overall.tolist() == pytest.approx([0.5 * 2.7 + 1.5, 0.5 * 3.0 + 1.5, 0.5 * 3.4 + 0.5])


def test_predictions_are_clipped_to_the_task_scale() -> None:
    tiny = _tiny_model([[[-1], [50.0], [0]]])
    assert tiny.predict(np.zeros((1, len(FEATURE_NAMES))))["tone"].tolist() == [4.0]


def test_the_head_is_a_linear_function_of_the_vectors_and_the_last_feature() -> None:
    tiny = _tiny_model([[[-1], [0.0], [0]]], head=[1.0, 0.0, 0.0, 2.0])
    rows = np.full((2, len(PAIR_FEATURES)), 0.25)
    inputs = PairInputs(rows, np.array([[0.5, 9.0, 9.0, 0.25], [0.0, 1.0, 1.0, 0.0]], dtype=np.float32))
    matrix = tiny.matrix(inputs)
    assert matrix.shape == (2, len(FEATURE_NAMES))
    assert matrix[:, :-1].tolist() == rows.tolist()
    assert matrix[:, -1].tolist() == pytest.approx([0.5 + 0.5 + 0.5, 0.5])  # 0.5 * 1 + 0.25 * 2 + 0.5


def test_vectors_of_another_embedder_leave_the_head_out_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tiny = _tiny_model([[[-1], [0.0], [0]]], head=[1.0, 0.0, 0.0, 2.0])
    inputs = PairInputs(np.zeros((1, len(PAIR_FEATURES))), np.ones((1, 6), dtype=np.float32))
    with caplog.at_level(logging.WARNING, logger="storyline.similarity"):
        matrix = tiny.matrix(inputs)
    assert matrix[0, -1] == 2.75  # the head's mean on its training pairs
    assert "head is left out" in caplog.text


def test_a_model_for_other_features_is_refused() -> None:
    with pytest.raises(StorylineError, match="other features"):
        model_from_dict({"features": ["doc_cos"], "dimensions": {}})


def test_a_broken_model_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StorylineError, match=r"model\.json"):
        load_model(path)


def test_a_truncated_or_malformed_model_file_names_the_file(tmp_path: Path) -> None:
    shipped = (
        Path(__file__).resolve().parents[1] / "src" / "storyline" / "resources" / "similarity_model.json.gz"
    )
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(shipped.read_bytes()[:1000])
    with pytest.raises(StorylineError, match=r"cut\.json\.gz"):
        load_model(cut)
    spec = json.loads(gzip.decompress(shipped.read_bytes()))
    del spec["head"]["mean"]
    with pytest.raises(StorylineError, match="malformed"):
        model_from_dict(spec, origin="bad.json")


# --------------------------------------------------------------------------- scores


def test_identical_articles_score_as_very_similar(fake: FakeEmbedder, model: SimilarityModel) -> None:
    a = article(FLOOD, "Floods in Kessel")
    result = score_pair(a, a, embedder=fake, model=model)
    assert isinstance(result, PairScores)
    assert result.overall < 1.5
    assert result.narrative < 1.6


def test_unrelated_articles_score_worse_than_a_rewrite(fake: FakeEmbedder, model: SimilarityModel) -> None:
    flood = article(FLOOD, "Floods in Kessel", language="en")
    rewrite = article(FLOOD_REWRITE, "Kessel cleans up after river floods", language="en")
    markets = article(MARKETS, "Norvane shares jump on forecast", language="en")
    same, other = score_pairs([(flood, rewrite), (flood, markets)], embedder=fake, model=model)
    assert same.overall + 0.5 < other.overall
    assert same.entities < other.entities
    assert "Ilse Brandt" in " ".join(same.evidence["shared_people"])
    assert "Kessel" in same.evidence["shared_places"]
    assert same.evidence["shared_numbers"] == ["300"]


def test_scores_are_on_the_task_scale_and_json_ready(fake: FakeEmbedder, model: SimilarityModel) -> None:
    result = score_pair(article(FLOOD), article(MARKETS), embedder=fake, model=model)
    for dim in DIMENSIONS:
        assert 1.0 <= getattr(result, dim) <= 4.0
    data = json.loads(json.dumps(to_dict(result)))
    assert set(DIMENSIONS) <= set(data)
    assert data["evidence"]["text_similarity"] == result.evidence["text_similarity"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.overall = 1.0  # type: ignore[misc]


def test_time_gap_comes_from_the_publication_dates(fake: FakeEmbedder, model: SimilarityModel) -> None:
    a = article(FLOOD, published="2024-03-04")
    b = article(FLOOD_REWRITE, published="2024-03-09T10:00:00")
    c = article(MARKETS)
    gap, unknown = score_pairs([(a, b), (a, c)], embedder=fake, model=model)
    assert gap.evidence["time_gap_days"] == 5
    assert unknown.evidence["time_gap_days"] is None


WORDS = "river town mayor rain storm shares market court judge police fire school vote".split()
NAMES = ["Kessel", "Ilse Brandt", "Ravi Menon", "Port Ardent", "Norvane"]
sentence = st.builds(
    lambda words, name, number: " ".join([*words[:3], name, *words[3:], str(number)]).capitalize() + ".",
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=12),
    st.sampled_from(NAMES),
    st.integers(0, 3000),
)
news_text = st.lists(sentence, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text_a=news_text, text_b=news_text)
def test_scores_are_symmetric(text_a: str, text_b: str, fake: FakeEmbedder, model: SimilarityModel) -> None:
    a, b = article(text_a, language="en"), article(text_b, language="en")
    ab, ba = score_pairs([(a, b), (b, a)], embedder=fake, model=model)
    for dim in DIMENSIONS:
        assert getattr(ab, dim) == pytest.approx(getattr(ba, dim), abs=1e-9)
    assert ab.evidence["text_similarity"] == ba.evidence["text_similarity"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text_a=st.text(max_size=300), text_b=st.text(max_size=300))
def test_any_text_gets_finite_scores(
    text_a: str, text_b: str, fake: FakeEmbedder, model: SimilarityModel
) -> None:
    result = score_pair(article(text_a), article(text_b), embedder=fake, model=model)
    assert all(
        math.isfinite(getattr(result, dim)) and 1.0 <= getattr(result, dim) <= 4.0 for dim in DIMENSIONS
    )


@pytest.mark.parametrize(
    ("text_a", "text_b", "expected"),
    [
        ("Rain.", FLOOD, "text A is very short"),
        ("", "", "text A is very short"),
        ("暴雨周一淹没了凯塞尔老城，河水一夜之间上涨两米。市长说三百名居民被转移到体育馆。" * 3,
         "أمطار غزيرة أغرقت البلدة القديمة يوم الاثنين وارتفع النهر مترين خلال الليل. " * 3, "share no script"),
        ("asdkj qwpoeiru zmxncb lkajsd poiqwe " * 8, FLOOD, "language is unclear"),
    ],
)  # fmt: skip
def test_noisy_pairs_are_scored_with_a_warning(
    text_a: str, text_b: str, expected: str, fake: FakeEmbedder, model: SimilarityModel
) -> None:
    result = score_pair(article(text_a), article(text_b), embedder=fake, model=model)
    assert any(expected in w for w in result.warnings), result.warnings
    assert 1.0 <= result.overall <= 4.0


def test_clean_pairs_carry_no_warning(fake: FakeEmbedder, model: SimilarityModel) -> None:
    result = score_pair(
        article(FLOOD, language="en"), article(MARKETS, language="en"), embedder=fake, model=model
    )
    assert result.warnings == ()


def test_no_pairs_no_scores(fake: FakeEmbedder, model: SimilarityModel) -> None:
    assert score_pairs([], embedder=fake, model=model) == []


def test_feature_matrix_has_one_row_per_pair(fake: FakeEmbedder) -> None:
    a, b = article(FLOOD), article(MARKETS)
    matrix = feature_matrix([(a, b), (b, b), (a, a)], embedder=fake)
    assert matrix.shape == (3, len(FEATURE_NAMES))
    doc_cos = FEATURE_NAMES.index("doc_cos")
    assert matrix[1, doc_cos] == pytest.approx(1.0) and matrix[0, doc_cos] < 0.9


def test_each_feature_is_computed_under_its_own_name(fake: FakeEmbedder) -> None:
    flood = article(FLOOD, "Floods in Kessel", language="en")
    german = article(FLOOD_DE, "Hochwasser in Kessel", language="de")
    inputs = pair_inputs([(flood, german), (flood, flood)], embedder=fake)
    cross, same = (dict(zip(PAIR_FEATURES, row, strict=True)) for row in inputs.rows)
    assert (cross["lang_en"], cross["lang_de"], cross["lang_fr"]) == (1.0, 1.0, 0.0)
    assert (same["lang_en"], same["lang_de"]) == (2.0, 0.0)
    assert cross["same_language"] == 0.0 and same["same_language"] == 1.0
    assert same["names_overlap"] == 1.0 and same["views_max"] == pytest.approx(1.0)
    assert cross["numbers_overlap"] == 1.0  # "300" on both sides
    assert same["ner_sides"] == 2.0 and cross["ner_sides"] == 1.0  # English NER on English texts only


def test_head_inputs_are_symmetric_and_a_text_against_itself_differs_nowhere(fake: FakeEmbedder) -> None:
    a, b = article(FLOOD), article(MARKETS)
    inputs = pair_inputs([(a, b), (b, a), (a, a)], embedder=fake)
    assert inputs.vectors[0].tolist() == inputs.vectors[1].tolist()
    half = inputs.vectors.shape[1] // 2
    assert not inputs.vectors[2, half:].any() and inputs.vectors[0, half:].any()
    assert len(inputs.take(np.array([2]))) == 1


# --------------------------------------------------------------------------- gold files and evaluation


def _write_gold(path: Path, rows: list[tuple[str, str, str, str, float]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["pair_id", "lang1", "lang2", "text1", "text2", "Geography", "Entities", "Time",
                         "Narrative", "Overall", "Style", "Tone"])  # fmt: skip
        for n, (l1, l2, t1, t2, overall) in enumerate(rows):
            writer.writerow([f"p{n}", l1, l2, t1, t2, overall, overall, 1.5, overall, overall, 2, 2])
    return path


def test_pearson_is_none_where_undefined() -> None:
    assert pearson([1, 2, 3], [2, 4, 6.5]) == pytest.approx(0.9986, abs=1e-3)
    assert pearson([1, 2], [1, 2]) is None
    assert pearson([1, 1, 1], [1, 2, 3]) is None


def test_read_gold_pairs_splits_title_and_checks_columns(tmp_path: Path) -> None:
    path = _write_gold(tmp_path / "gold.csv", [("en", "en", "Floods in Kessel\n" + FLOOD, MARKETS, 4.0)])
    (pair_id, a, _b, gold), = read_gold_pairs(path)  # fmt: skip
    assert pair_id == "p0" and a.title == "Floods in Kessel" and a.language == "en"
    assert gold["overall"] == 4.0 and gold["time"] == 1.5
    bad = tmp_path / "bad.csv"
    bad.write_text("text1,text2\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing columns"):
        read_gold_pairs(bad)


def test_evaluate_similarity_reports_pearson_per_group_and_dimension(
    tmp_path: Path, fake: FakeEmbedder
) -> None:
    rows = [
        ("en", "en", FLOOD, FLOOD, 1.0),
        ("en", "en", FLOOD, FLOOD_REWRITE, 1.5),
        ("en", "en", FLOOD, MARKETS, 4.0),
        ("en", "en", FLOOD_REWRITE, MARKETS, 3.8),
        ("en", "en", MARKETS, MARKETS, 1.0),
        ("de", "en", FLOOD_DE, MARKETS, 4.0),
        ("de", "en", FLOOD_DE, FLOOD_DE, 1.0),
        ("de", "en", FLOOD_DE, FLOOD + " " + FLOOD_DE, 1.5),
    ]
    report = evaluate_similarity(_write_gold(tmp_path / "gold.csv", rows), embedder=fake)
    assert set(report) == {"pearson", "by_dimension", "n_pairs"}
    assert report["n_pairs"] == len(rows)
    assert set(report["pearson"]) == {"all", "en-en", "de-en"}
    assert set(report["by_dimension"]) == set(DIMENSIONS)
    assert report["by_dimension"]["overall"] == report["pearson"]
    assert report["pearson"]["all"] > 0.5
    assert report["by_dimension"]["time"]["all"] is None  # constant gold: r undefined, not a crash
    json.dumps(report)


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def use_embedder() -> Embedder:
    from storyline.features.embed import default_embedder

    return default_embedder()


@pytest.mark.slow
def test_real_model_ranks_rewrite_translation_and_unrelated(use_embedder: Embedder) -> None:
    flood = article(FLOOD, "Floods in Kessel", language="en")
    rewrite = article(FLOOD_REWRITE, "Kessel cleans up after river floods", language="en")
    german = article(FLOOD_DE, "Hochwasser in Kessel", language="de")
    markets = article(MARKETS, "Norvane shares jump on forecast", language="en")
    same, rewritten, translated, unrelated = score_pairs(
        [(flood, flood), (flood, rewrite), (flood, german), (flood, markets)], embedder=use_embedder
    )
    assert same.overall < 1.2
    assert rewritten.overall < 1.6 and translated.overall < 1.8
    assert unrelated.overall > 3.3
    assert max(rewritten.overall, translated.overall) + 1.0 < unrelated.overall
    assert (
        translated.evidence["aligned_sentence_similarity"] > unrelated.evidence["aligned_sentence_similarity"]
    )


@pytest.mark.slow
def test_real_model_scores_a_cross_script_pair_with_a_warning(use_embedder: Embedder) -> None:
    chinese = article(
        "暴雨周一淹没了凯塞尔老城，河水一夜之间上涨两米。市长说三百名居民被转移到体育馆。", language="zh"
    )
    result = score_pair(article(FLOOD, language="en"), chinese, embedder=use_embedder)
    assert any("share no script" in w for w in result.warnings)
    assert 1.0 <= result.overall <= 4.0


def test_evidence_names_only_places_both_texts_contain(fake: FakeEmbedder, model: SimilarityModel) -> None:
    # One word in common ("San") is not a shared place: "San Ramón" is only in the first text.
    first = article(
        "The bell tower of the San Ramón church in Villa Alcántara collapsed when the earthquake hit Chile "
        "on Tuesday, officials in Chile said.",
        language="en",
    )
    second = article(
        "Two people died in San Juan de Ccollpa when the earthquake hit Peru on Monday, officials in Peru "
        "said. The church in Villa Alcántara was not damaged.",
        language="en",
    )
    evidence = score_pair(first, second, embedder=fake, model=model).evidence
    named = [*evidence["shared_places"], *evidence["shared_people"], *evidence["shared_organizations"]]
    assert "San Ramón" not in named
    assert "Villa Alcántara" in named


def test_evidence_writes_numbers_as_the_text_does_and_leaves_weekdays_out(
    fake: FakeEmbedder, model: SimilarityModel
) -> None:
    # "6.4" is matched as one number with the Spanish "6,4" but shown as written; "Tuesday" is
    # capitalised in both texts but names no one; a quote the entity span leaves open is dropped.
    first = article(
        'A magnitude 6.4 earthquake hit Maule on Tuesday, on the Pacific "Ring of Fire", officials in '
        "Maule said.",
        language="en",
    )
    second = article(
        'The magnitude 6,4 quake struck Maule on Tuesday, along the Pacific "Ring of Fire", police in '
        "Maule said.",
        language="en",
    )
    evidence = score_pair(first, second, embedder=fake, model=model).evidence
    assert evidence["shared_numbers"] == ["6.4"]
    assert "Maule" in evidence["shared_names"]
    assert "Tuesday" not in evidence["shared_names"]
    named = [*evidence["shared_places"], *evidence["shared_people"], *evidence["shared_organizations"]]
    assert all(n.count('"') % 2 == 0 and not n.startswith("the ") for n in named)
