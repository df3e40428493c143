"""Fact-level alignment: many-to-many pairs, facts with a status, "only in" with evidence, bad input.

The texts are written for these tests. The real USE model and spaCy load once for the module.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from storyline.compare.align import clause_similarity, clauses, predicates, story_weights
from storyline.compare.facts import read_fact_models
from storyline.compare.versions import compare_articles
from storyline.errors import StorylineError
from storyline.models import Article, Comparison
from storyline.pipeline import prepare_article
from storyline.testing import FakeEmbedder
from storyline.types import Embedder
from storyline.views.versions import comparison_to_json


@pytest.fixture(scope="module")
def use_embedder() -> Embedder:
    from storyline.features.embed import default_embedder

    return default_embedder()


def version(id_: str, text: str, title: str = "", language: str = "") -> Article:
    result = prepare_article(
        Article(id=id_, text=text, title=title, published="2024-05-02", language=language)
    )
    assert isinstance(result, Article)
    return result


FIRST = """The harbour authority of Kelmstadt closed the northern pier on Wednesday after a crane collapsed \
onto a cargo ship.

Two dock workers were injured, the authority said.

Harbour master Ilse Brandt said the crane had been inspected in March.

The ferry line to Osterholm will run from the southern pier until further notice."""

SECOND = """A crane collapsed onto a cargo ship in Kelmstadt harbour on Wednesday, injuring two dock workers.

The northern pier was closed after the accident, the harbour authority said.

Police are investigating whether strong winds played a part.

Local fishermen said the crane had looked rusty for years."""


@pytest.fixture(scope="module")
def harbour(use_embedder: Embedder) -> tuple[Comparison, Article, Article]:
    a, b = version("first", FIRST), version("second", SECOND)
    return compare_articles([a, b], embedder=use_embedder), a, b


def test_one_sentence_shares_one_fact_with_each_of_two(harbour: tuple[Comparison, Article, Article]) -> None:
    comparison, _a, _b = harbour
    lead = next(p for p in comparison.passages if p.text.startswith("A crane collapsed"))
    partners = {
        (q.text[:30])
        for pair in comparison.pairs
        for p, q in ((pair.a, pair.b), (pair.b, pair.a))
        if p == lead
    }
    # the second version's lead holds the collapse, the pier and the injured: the first version
    # tells the collapse and the injuries in two sentences, and both are aligned with it
    assert any(t.startswith("The harbour authority") for t in partners)
    assert any(t.startswith("Two dock workers") for t in partners)


def test_what_only_one_version_tells_stays_only_there(harbour: tuple[Comparison, Article, Article]) -> None:
    comparison, a, b = harbour
    only_first = [p.text for p in comparison.only_in(a.id)]
    only_second = [p.text for p in comparison.only_in(b.id)]
    assert any("ferry line" in t for t in only_first)
    assert any("strong winds" in t for t in only_second)
    # the evidence names the closest sentence of the other version and why it is not the same fact
    ferry = next(p for p in comparison.only_in(a.id) if "ferry" in p.text)
    (closest,) = comparison.unique_evidence[ferry]
    assert closest["article"] == b.id and closest["text"] and closest["why_not"]


def test_facts_json_has_each_fact_once_with_every_wording(
    harbour: tuple[Comparison, Article, Article],
) -> None:
    comparison, a, b = harbour
    data = json.loads(json.dumps(comparison_to_json(comparison, [a, b])))
    assert data["facts"], "no fact found"
    for fact in data["facts"]:
        assert fact["status"] in {"shared", "partly shared", "conflicting"}
        assert len({w["article"] for w in fact["wording"]}) == len(fact["wording"]) >= 2
        for d in fact["differs"]:
            assert d["relation"] in {"partial", "conflict"}
    assert all("closest" in p for ps in data["only_in"].values() for p in ps)


def test_clauses_split_long_sentences_only() -> None:
    assert clauses("Two dock workers were injured.") == []
    parts = clauses(
        "He resigned on Friday, saying he would share his thoughts on what went wrong in the coming weeks."
    )
    assert parts == [
        "He resigned on Friday",
        "saying he would share his thoughts on what went wrong in the coming weeks.",
    ]


def test_clause_similarity_takes_the_best_part() -> None:
    va = np.eye(3, dtype=np.float32)[[0, 1, 2]]  # sentence 0 = rows 0-1, sentence 1 = row 2
    vb = np.eye(3, dtype=np.float32)[[1, 2]]
    sim = clause_similarity(va, np.array([0, 0, 1]), vb, np.array([0, 1]))
    assert sim.shape == (2, 2) and sim[0, 0] == 1.0 and sim[1, 1] == 1.0 and sim[1, 0] == 0.0


def test_story_weights_discount_a_word_every_sentence_has() -> None:
    from storyline.compare.facts import profile_sentence
    from storyline.models import Passage

    units = [
        profile_sentence(Passage("a", k, t), "en", None)
        for k, t in enumerate(["Khalilzad met envoys in Doha.", "Khalilzad resigned.", "Khalilzad spoke."])
    ]
    weights = story_weights(units)
    assert weights["khalilzad"] < weights["doha"]


def test_a_number_is_one_number_in_either_thousands_style() -> None:
    # An English and a Spanish report of one grant: "1,150 UF" and "1.150 UF". Read as written,
    # the Spanish "1.150" was not the English "1150", and the pair's numbers differed.
    from storyline.compare.facts import profile_sentence
    from storyline.models import Passage

    en = profile_sentence(Passage("a", 0, "Owners get a grant of up to 1,150 UF."), "en", None)
    es = profile_sentence(Passage("b", 0, "Cada familia podrá optar a hasta 1.150 UF."), "es", None)
    assert en.numbers == es.numbers
    other = profile_sentence(Passage("c", 0, "Owners get a grant of up to 1,500 UF."), "en", None)
    assert en.numbers != other.numbers
    decimal = profile_sentence(Passage("d", 0, "Un sismo de magnitud 6,4 sacudió la región."), "es", None)
    assert decimal.numbers == profile_sentence(Passage("e", 0, "A magnitude 6.4 quake."), "en", None).numbers


def test_a_malformed_fact_model_names_the_file() -> None:
    with pytest.raises(StorylineError, match=r"broken\.json"):
        read_fact_models("{not json", "broken.json")
    with pytest.raises(StorylineError, match=r"other features"):
        read_fact_models(json.dumps({"pairwise": {"features": ["x"]}, "story": {"features": []}}), "old.json")


BAD_INPUTS = {
    "one sentence": "A crane collapsed onto a cargo ship in Kelmstadt harbour on Wednesday.",
    "all quotes": '"We are shocked," she said.\n\n"Nobody saw it coming," he said.\n\n"It is a sad day."',
    "a list": "- Pier closed\n- Two injured\n- Ferry moved\n- Police investigating\n- Crane inspected in March",
    "live blog": "10:02 Crane falls.\n\n10:15 Two injured.\n\n10:40 Pier closed.\n\n11:05 Ferry moved south.",
    "repeated paragraph": (
        "The northern pier was closed after the accident, the harbour authority said.\n\n" * 3
        + "Police are investigating."
    ),
    "other script": "東京で地震があり、建物が揺れました。\n\n被害の報告はまだありません。",
    "cyrillic": "В Москве открылась новая выставка современного искусства.",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_compared_without_a_crash(name: str, use_embedder: Embedder) -> None:
    base = version("base", SECOND)
    odd = version("odd", BAD_INPUTS[name])
    comparison = compare_articles([base, odd], embedder=use_embedder)
    data = json.loads(json.dumps(comparison_to_json(comparison, [base, odd])))
    assert set(data["only_in"]) == {"base", "odd"}
    # a passage with a counterpart (a core pair) is never "only in" its version
    core = {p for pair in comparison.pairs if pair.evidence["core"] for p in (pair.a, pair.b)}
    assert not core & set(comparison.unique)
    if name in ("other script", "cyrillic"):  # nothing in common: nothing aligned
        assert comparison.pairs == ()
        assert len(comparison.only_in("odd")) == len(
            [p for p in comparison.passages if p.article_id == "odd"]
        )


def test_a_repeated_paragraph_aligns_once_as_the_core(use_embedder: Embedder) -> None:
    base = version("base", SECOND)
    odd = version("odd", BAD_INPUTS["repeated paragraph"])
    comparison = compare_articles([base, odd], embedder=use_embedder)
    core = [p for p in comparison.pairs if p.evidence["core"] and "northern pier" in p.b.text + p.a.text]
    assert len(core) == 1


def test_fake_embedder_plumbing_still_works() -> None:
    a, b = version("a", FIRST), version("b", SECOND)
    comparison = compare_articles([a, b], embedder=FakeEmbedder())
    assert comparison.article_ids == ("a", "b")


def test_predicates_start_at_each_clause_verb() -> None:
    text = "The council said on Monday, after a long night of talks, that the new bridge would open in May."
    verbs = tuple(m.start() for m in re.finditer(r"\b(?:said|would|open)\b", text))
    assert predicates(text, verbs) == ["said on Monday", "would open in May."]
    assert predicates(text, None) == []  # an untagged language
    assert predicates("Two dock workers were injured.", (17,)) == []  # under three words


def test_spacy_tags_give_the_verbs_of_a_text() -> None:
    from storyline.features.mentions import spacy_spans, verb_starts

    text = "The mayor of the small town opened the new bridge on Monday morning."
    spacy_spans([text])
    starts = verb_starts(text)
    assert starts is not None and text[starts[0] :].startswith("opened")
    assert predicates(text, starts) == ["opened the new bridge on Monday morning."]
