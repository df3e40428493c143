"""Comparing the versions of a story: alignment, conflicts, entities, timeline, JSON.

The two versions below are written for these tests. They mimic what real reposts do: the
repost is undated and carries scraper markers and an embedded post, misspells a name, uses a
short first name, says "on Monday", renders a quote in other words and changes a number.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.compare.align import word_diff
from storyline.compare.conflicts import quote_text
from storyline.compare.facts import decide_pairs, number_conflicts, profile_sentence, same_fact_threshold
from storyline.compare.versions import compare_articles, version_weights
from storyline.errors import StorylineError
from storyline.features.mentions import heuristic_tagger
from storyline.models import Article, Comparison, CopyLink, CopyType, Passage
from storyline.pipeline import prepare_article
from storyline.settings import Settings
from storyline.testing import FakeEmbedder
from storyline.text.quantities import quantities
from storyline.views.versions import comparison_to_json

WIRE = """BERLIN (Wire) Transport minister Katarina Vollmer resigned after the collapse of the Elbe bridge, \
the government said on Monday.

Prime Minister Thomas Berger accepted her resignation and named her deputy Jonas Keller as acting minister.

"I thank her for many years of loyal service to this country," Berger said.

The collapse of the bridge on March 4 injured 1,200 commuters, according to the fire service.

Opposition leader Marta Quandt had demanded the resignation for a week.

Engineers from the federal highway agency will inspect 40 other bridges this month."""

REPOST = """[ad_1]

Katarina Wollmer, the transport minister, stepped down after the Elbe bridge collapse, the government said on Monday.

Prime Minister Tom Berger accepted the resignation and named deputy Jonas Keller acting minister.

Berger said in a statement: "I am grateful for her many years of loyal service to the country."

The collapse of the bridge on March 4 injured 2,100 commuters, the fire service said.

Local residents had warned about cracks in the old bridge for years, a regional newspaper reported.

Wollmer will keep her seat in parliament, her office confirmed. https://t.co/Ab12Cd34
— Elbe News (@elbenews) March 11, 2024

[ad_2]

Source link"""


def prepared(article: Article) -> Article:
    result = prepare_article(article)
    assert isinstance(result, Article)
    return result


@pytest.fixture(scope="module")
def versions() -> tuple[Article, Article]:
    wire = Article(
        id="wire", text=WIRE, title="Minister quits", published="2024-03-13", source="wire.example"
    )
    repost = Article(id="repost", text=REPOST, title="Minister steps down", source="autoblog.example")
    return prepared(wire), prepared(repost)


@pytest.fixture(scope="module")
def comparison(versions: tuple[Article, Article]) -> Comparison:
    return compare_articles(versions, embedder=FakeEmbedder(), tagger=heuristic_tagger)


def texts(passages: tuple[Passage, ...]) -> list[str]:
    return [p.text for p in passages]


def test_each_version_keeps_what_only_it_says(comparison: Comparison) -> None:
    assert texts(comparison.only_in("wire")) == [
        "Opposition leader Marta Quandt had demanded the resignation for a week.",
        "Engineers from the federal highway agency will inspect 40 other bridges this month.",
    ]
    repost_only = comparison.only_in("repost")
    assert repost_only[0].text.startswith("Local residents had warned")
    assert repost_only[1].kind == "embed:tweet"  # the embedded post counts, labelled as an embed
    assert repost_only[1].text.startswith("Wollmer will keep her seat")


def test_the_changed_number_is_a_conflict_not_a_shared_fact(comparison: Comparison) -> None:
    # pairs are many to many: the 1,200 sentence may also share a part with another sentence;
    # its counterpart (the core pair) is the conflicting one
    (pair,) = [p for p in comparison.pairs if "1,200" in p.a.text and p.evidence["core"]]
    assert pair.relation == "conflict" and "2,100" in pair.b.text
    (conflict,) = [c for c in comparison.conflicts if c.kind == "number"]
    assert conflict.values == ("1,200", "2,100")
    assert conflict.subject == "commuter"
    assert [p.article_id for p in conflict.sentences] == ["wire", "repost"]


def test_the_quote_is_aligned_and_its_other_wording_reported(comparison: Comparison) -> None:
    (pair,) = [p for p in comparison.pairs if "I thank her" in p.a.text]
    assert "I am grateful" in pair.b.text and pair.relation == "same"
    (quote,) = [c for c in comparison.conflicts if c.kind == "quote"]
    assert quote.subject == "words of Thomas Berger"
    assert quote.sentences == (pair.a, pair.b)


def test_misspelled_name_is_flagged_short_first_name_is_not(comparison: Comparison) -> None:
    names = {e.name: e for e in comparison.entities}
    assert names["Katarina Vollmer"].flagged == ("Katarina Wollmer",)
    assert set(names["Thomas Berger"].variants) >= {"Thomas Berger", "Tom Berger"}
    assert names["Thomas Berger"].flagged == ()
    (name,) = [c for c in comparison.conflicts if c.kind == "name"]
    assert name.values == ("Katarina Vollmer", "Katarina Wollmer")


def test_on_monday_is_resolved_for_the_dated_and_the_undated_version(comparison: Comparison) -> None:
    mondays = [t for t in comparison.timeline if t.expression == "on Monday"]
    assert [(t.date, t.sentence.article_id) for t in mondays] == [
        ("2024-03-11", "wire"),
        ("2024-03-11", "repost"),
    ]
    undated = mondays[1].evidence["reference"]
    assert undated["from"] == "story" and undated["date"] == "2024-03-13" and "undated" in undated["note"]
    assert comparison.references["repost"]["articles"] == ["wire"]


def test_the_embedded_post_is_dated_on_the_timeline(comparison: Comparison) -> None:
    posted = [t for t in comparison.timeline if t.sentence.kind == "embed:tweet"]
    assert [(t.date, t.expression) for t in posted] == [
        ("2024-03-11", "tweet posted March 11, 2024 by Elbe News")
    ]


def test_aligned_pairs_make_facts_every_version_agrees_on(comparison: Comparison) -> None:
    agreed = comparison.agreed()
    core = [p for p in comparison.pairs if p.evidence["core"]]  # the one-to-one counterparts
    assert len(agreed) == len(core) == 4
    assert all({p.article_id for p in g} == {"wire", "repost"} for g in agreed)


def test_json_has_the_promised_shape(comparison: Comparison, versions: tuple[Article, Article]) -> None:
    data = json.loads(json.dumps(comparison_to_json(comparison, versions)))
    assert {"entities", "timeline", "shared", "only_in", "conflicts"} <= set(data)
    entity = next(e for e in data["entities"] if e["name"] == "Katarina Vollmer")
    assert entity["variants"] == ["Katarina Vollmer", "Katarina Wollmer"] and entity["flagged"] == [
        "Katarina Wollmer"
    ]
    monday = next(t for t in data["timeline"] if t["expression"] == "on Monday")
    assert (
        date.fromisoformat(monday["date"]) and monday["article"] == "wire" and "Monday" in monday["sentence"]
    )
    assert {"a", "b", "relation", "diff"} <= set(data["shared"][0])
    assert [p["text"][:5] for p in data["only_in"]["wire"]] == ["Oppos", "Engin"]
    assert all(c["kind"] and len(c["sentences"]) >= 2 for c in data["conflicts"])


def test_one_version_alone_and_no_version() -> None:
    single = compare_articles(
        [Article(id="x", text="Anna Berg spoke in Oslo on Monday.", published="2024-01-03")]
    )
    assert single.pairs == () and texts(single.unique) == ["Anna Berg spoke in Oslo on Monday."]
    assert single.timeline[0].date == "2024-01-01"
    with pytest.raises(StorylineError, match="at least one article"):
        compare_articles([])


def test_copies_and_scraped_reposts_weigh_less(versions: tuple[Article, Article]) -> None:
    link = CopyLink(copy="wire", original="repost", type=CopyType.WIRE, score=1.0)
    assert version_weights(versions) == {"wire": 1.0, "repost": 0.5}
    assert version_weights(versions, [link]) == {"wire": 0.5, "repost": 0.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agreed to release 5,000 tuberculosis prisoners", (5000.0, {"prisoner"})),
        ("paid $2.5 billion for the chain", (2.5e9, {"$"})),
        ("at least 12 dead after the storm", (12.0, {"dead"})),
        ("the death toll rose to 14, officials said", (14.0, {"dead"})),
        ("Harlow Freight agrees €3.2bn takeover", (3.2e9, {"€", "takeover"})),
        ("ordered to pay £18.5m over spills", (18.5e6, {"£"})),
        ("30k jobs were lost", (30e3, {"jobs"})),
        ("12 people died in the fire", (12.0, {"dead"})),
    ],
)
def test_quantities_know_what_they_count(text: str, expected: tuple[float, set[str]]) -> None:
    (found,) = quantities(text)
    assert found.value == expected[0] and expected[1] <= found.unit


def test_years_times_increments_and_parts_are_not_counts() -> None:
    assert (
        quantities("In 2020 at 4:12 a.m. they pulled two more bodies; the last two victims; a 21-year-old")
        == []
    )


def test_number_words_inside_words_dates_and_lengths_are_not_counts() -> None:
    assert quantities("Someone said the freight had often gone on 9/11, open 24/7, 5m long") == []


def test_a_glued_multiplier_is_the_written_one_and_agrees_with_the_spelled_one() -> None:
    (glued,) = quantities("a €3.2bn takeover")
    (spelled,) = quantities("a €3.2 billion takeover")
    (cut,) = quantities("a €3 takeover")
    assert glued.value == spelled.value == 3.2e9 and cut.value == 3.0


def unit(text: str):  # type: ignore[no-untyped-def]
    return profile_sentence(Passage("t", 0, text), "en", None)


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("The storm left 12 dead.", "The storm left 14 dead.", True),
        ("It spent $114.3 million.", "It spent $114 million.", False),
        ("About 5,000 people fled.", "Some 5,200 people fled.", False),
        ("12 people were hurt in Oslo.", "The town has 18,000 people.", False),
    ],
)
def test_number_conflicts(a: str, b: str, conflict: bool) -> None:
    assert bool(number_conflicts(unit(a), unit(b))) is conflict


def test_pairwise_decisions_on_sentences_without_context() -> None:
    same, agreeing, _cos = decide_pairs(
        [
            "The minister resigned on Friday after the bridge collapse.",
            "The bridge collapse injured 1,200 commuters.",
            "The minister resigned on Friday after the bridge collapse.",
        ],
        [
            "The minister resigned on Friday after the collapse of the bridge.",
            "The bridge collapse injured 2,100 commuters.",
            "Tickets for the summer festival go on sale in June.",
        ],
        embedder=FakeEmbedder(),
    )
    assert same.tolist() == [True, True, False]
    assert agreeing.tolist() == [True, False, False]  # a changed number is the same fact, not agreement


def test_precision_raises_the_bar() -> None:
    assert (
        same_fact_threshold(Settings(precision=0.9))
        > same_fact_threshold()
        > same_fact_threshold(Settings(precision=0.1))
    )


def test_quote_text() -> None:
    assert quote_text('Berger said: "I am grateful for her service."') == "I am grateful for her service."
    assert (
        quote_text("I express my thanks for his work, said Berger of Keller.")
        == "I express my thanks for his work"
    )
    assert quote_text("Berger thanked her.") == ""


@given(
    st.lists(st.sampled_from("the a minister bridge 12 14 said on Monday".split()), max_size=12),
    st.lists(st.sampled_from("the a minister bridge 12 14 said on Monday".split()), max_size=12),
)
def test_word_diff_rebuilds_both_sides(a: list[str], b: list[str]) -> None:
    ops = word_diff(" ".join(a), " ".join(b))
    assert " ".join(x for _, x, _ in ops if x).split() == a
    assert " ".join(y for _, _, y in ops if y).split() == b


@pytest.mark.slow
def test_real_models_align_paraphrases_and_translations(versions: tuple[Article, Article]) -> None:
    german = prepared(
        Article(
            id="de",
            text="Verkehrsministerin Katarina Vollmer ist nach dem Einsturz der Elbbrücke zurückgetreten, "
            "teilte die Regierung am Montag mit.\n\nDie Brücke war seit Jahren marode.",
            published="2024-03-12",
            language="de",
        )
    )
    result = compare_articles([*versions, german])
    pairs = {(p.a.article_id, p.a.index, p.b.article_id, p.b.index) for p in result.pairs}
    assert ("wire", 0, "de", 0) in pairs  # across languages
    assert ("wire", 2, "repost", 2) in pairs  # the quote in other words
    names = {e.name: e for e in result.entities}
    assert "Katarina Wollmer" in names["Katarina Vollmer"].flagged
    assert names["Thomas Berger"].flagged == ()
    assert any(c.kind == "number" and c.values == ("1,200", "2,100") for c in result.conflicts)
    assert (
        "Local residents had warned about cracks in the old bridge for years, a regional newspaper reported."
        in texts(result.only_in("repost"))
    )
    assert ("2024-03-11", "de") in {(t.date, t.sentence.article_id) for t in result.timeline}


def test_the_words_a_pair_differs_in_are_shown_as_written_not_as_stems() -> None:
    from storyline.compare.align import _as_written

    sentence = unit("Rescuers searched the collapsed houses, killing time")
    assert _as_written(sentence, {"hous", "search", "kill"}) == ["houses", "killing", "searched"]


def test_a_number_conflict_lists_every_version_that_sides_with_a_value() -> None:
    from storyline.compare.conflicts import complete_number_conflicts
    from storyline.models import AlignedPair, Conflict

    said = {
        "a": "Harlow agreed to buy Van Rijswijk for 3.2 billion euros.",
        "b": "Harlow agreed to buy Van Rijswijk for 3.2 billion euros in cash.",
        "c": "Harlow will pay 3.2 billion euros for its Dutch rival.",
        "d": "Harlow agreed to buy Van Rijswijk for 2.3 billion euros.",
        "e": "Harlow will pay 3.2 billion euros and 40 million euros in fees.",  # two figures: no side
    }
    p = {k: Passage(k, 0, text) for k, text in said.items()}
    profile_of = {q: profile_sentence(q, "en", None) for q in p.values()}

    def pair(x: str, y: str) -> AlignedPair:
        return AlignedPair(p[x], p[y], "same", 0.9, 0.9)

    conflict = Conflict("number", "euro", ("3.2 billion", "2.3 billion"), (p["a"], p["d"]))
    # b is aligned to a, c only to b (a chain of copies), e to a
    (done,) = complete_number_conflicts(
        [conflict], [pair("a", "b"), pair("c", "b"), pair("a", "e")], profile_of
    )
    assert dict(zip((q.article_id for q in done.sentences), done.values, strict=True)) == {
        "a": "3.2 billion",
        "d": "2.3 billion",
        "b": "3.2 billion",
        "c": "3.2 billion",
    }
    other = Conflict("date", "date of the reported event", ("2024-09-16", "2024-09-17"), (p["a"], p["d"]))
    assert complete_number_conflicts([other], [pair("a", "b")], profile_of) == [other]


def test_a_name_conflict_lists_every_sentence_of_either_spelling() -> None:
    def version(i: str, surname: str) -> Article:
        return Article(
            id=i, title="Quake kills 12 in Chile", url="", source=f"{i}.example", published="2024-03-05",
            language="en", text="",
            sentences=(
                f"Most of the victims were asleep when their homes fell, said Mayor Ignacio {surname}.",
                f"Families were asked by {surname} not to return to damaged houses.",
            ),
        )  # fmt: skip

    found = compare_articles(
        [version("a", "Reveco"), version("b", "Reveco"), version("c", "Rebeco")],
        embedder=FakeEmbedder(),
        tagger=heuristic_tagger,
    )
    (name,) = [c for c in found.conflicts if c.kind == "name"]
    by_version: dict[str, set[str]] = {}
    for sentence, value in zip(name.sentences, name.values, strict=True):
        by_version.setdefault(sentence.article_id, set()).add(value)
    assert by_version == {"a": {"Ignacio Reveco"}, "b": {"Ignacio Reveco"}, "c": {"Ignacio Rebeco", "Rebeco"}}
    assert sum(s.article_id == "c" for s in name.sentences) == 2  # both of c's sentences


def test_a_fact_does_not_grow_by_a_chain_of_single_pairs_across_languages() -> None:
    from storyline.compare.versions import _groups
    from storyline.models import AlignedPair

    p = {k: Passage(k, 0, f"sentence of {k}") for k in "abcde"}
    languages = {"a": "en", "b": "en", "c": "es", "d": "en", "e": "en"}

    def pair(x: str, y: str, score: float) -> AlignedPair:
        return AlignedPair(p[x], p[y], "same", score, score)

    # a, b tell one fact; c (a translation) aligns to a; d aligns only to c: the mayor's other quote
    pairs = [pair("a", "b", 0.9), pair("a", "c", 0.8), pair("c", "d", 0.7)]
    assert [sorted(q.article_id for q in g) for g in _groups(pairs, languages)] == [["a", "b", "c"]]
    # the same chain within one language stays (ECB+ links a story's sentences that loosely)
    assert [sorted(q.article_id for q in g) for g in _groups(pairs, dict.fromkeys("abcde", "en"))] == [
        ["a", "b", "c", "d"]
    ]
