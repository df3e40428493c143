"""Entities: spelling comparisons, mention finding and merging mentions across versions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.compare.entities import fold, is_close_spelling, is_short_form, merge_mentions, phonetic_key
from storyline.features.mentions import (
    capitalized_spans,
    find_mentions,
    heuristic_tagger,
    normalize_mention,
    place_context,
)
from storyline.models import Mention, Passage


def mention(form: str, article: str, label: str = "PERSON", index: int = 0) -> Mention:
    return Mention(form, normalize_mention(form)[0], label, article, index, 0, len(form))


def by_name(entities: list, name: str):  # type: ignore[no-untyped-def]
    return next(e for e in entities if e.name == name)


def test_fold_and_phonetic_key() -> None:
    assert fold("U.S. Moïse-Jean") == "us moise jean"
    assert phonetic_key("Blinken") == phonetic_key("Brinken")  # l/r: a machine-translation confusion
    assert phonetic_key("Reveco") == phonetic_key("Rebeco")  # b/v
    assert phonetic_key("Blinken") != phonetic_key("Bolton")


def test_short_forms_are_known_or_prefixes_or_initials() -> None:
    assert is_short_form("Tom", "Thomas")
    assert is_short_form("Bill", "William")
    assert is_short_form("Alex", "Alexander")
    assert is_short_form("J.", "Joe")  # an initial
    assert is_short_form("J", "Joe")
    assert not is_short_form("Anthony", "Antony")
    assert not is_short_form("Tim", "Thomas")


def test_close_spellings() -> None:
    assert is_close_spelling("Brinken", "Blinken")
    assert is_close_spelling("Lindquist", "Lindqvist")
    assert not is_close_spelling("Trump", "Truman")
    assert not is_close_spelling("Biden", "Bolton")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=12))
def test_close_spelling_is_symmetric_and_reflexive(word: str) -> None:
    assert is_close_spelling(word, word)
    other = word[::-1]
    assert is_close_spelling(word, other) == is_close_spelling(other, word)


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("Secretary of State Antony Blinken", "Antony Blinken"),
        ("Blinkens'", "Blinkens"),
        ("Biden's", "Biden"),
        ("the United States", "United States"),
        ('"Mayor Ignacio Reveco', "Ignacio Reveco"),
    ],
)
def test_normalize_mention(text: str, form: str) -> None:
    assert normalize_mention(text)[0] == form


def test_a_role_alone_is_no_name() -> None:
    assert normalize_mention("US Ambassador")[0] == ""


def test_misspelled_surname_is_merged_and_flagged_short_form_is_not() -> None:
    mentions = [
        mention("Antony Blinken", "a"),
        mention("Blinken", "a", "ORG"),
        mention("Blinkens'", "a"),
        mention("Anthony Brinken", "b"),
        mention("Brinken", "b", "ORG"),
        mention("Thomas West", "a"),
        mention("Tom West", "b"),
        mention("West", "b", "PLACE"),
    ]
    entities = merge_mentions(mentions, weights={"a": 1.0, "b": 0.5})
    blinken = by_name(entities, "Antony Blinken")
    assert {"Blinken", "Blinkens", "Anthony Brinken", "Brinken"} <= set(blinken.variants)
    assert set(blinken.flagged) == {"Anthony Brinken", "Brinken"}
    assert "misspelling" in blinken.evidence["variants"]["Brinken"]
    west = by_name(entities, "Thomas West")
    assert set(west.variants) == {"Thomas West", "Tom West", "West"}
    assert west.flagged == ()
    assert "short form" in west.evidence["variants"]["Tom West"]


def test_the_lighter_version_loses_a_tie() -> None:
    mentions = [mention("Ignacio Reveco", "a"), mention("Ignacio Rebeco", "b")]
    assert by_name(merge_mentions(mentions, weights={"b": 0.5}), "Ignacio Reveco").flagged == (
        "Ignacio Rebeco",
    )
    assert by_name(merge_mentions(mentions, weights={"a": 0.5}), "Ignacio Rebeco").flagged == (
        "Ignacio Reveco",
    )


def test_the_majority_spelling_wins() -> None:
    mentions = [mention("Ana Lindqvist", "a"), mention("Ana Lindqvist", "b"), mention("Ana Lindquist", "c")]
    entity = merge_mentions(mentions)[0]
    assert (entity.name, entity.flagged) == ("Ana Lindqvist", ("Ana Lindquist",))


def test_different_people_of_one_family_stay_apart() -> None:
    entities = merge_mentions([mention("Joe Biden", "a"), mention("Hunter Biden", "b")])
    assert len(entities) == 2


def test_acronym_and_determiner() -> None:
    mentions = [
        mention("Agence France-Presse", "a", "ORG"),
        mention("AFP", "b", "ORG"),
        mention("the West", "a", "PLACE/the"),
        mention("Thomas West", "a"),
    ]
    entities = merge_mentions(mentions)
    assert set(by_name(entities, "Agence France-Presse").variants) == {"Agence France-Presse", "AFP"}
    assert by_name(entities, "West").label == "PLACE"  # "the West" is not Thomas West


def test_another_languages_spelling_is_not_flagged() -> None:
    mentions = [
        mention("Finland", "a", "PLACE"),
        mention("Finland", "b", "PLACE"),
        mention("Finnland", "c", "PLACE"),
    ]
    entity = merge_mentions(mentions, languages={"a": "en", "b": "en", "c": "de"})[0]
    assert entity.flagged == ()
    assert "de version" in entity.evidence["variants"]["Finnland"]
    same_language = merge_mentions(mentions, languages={"a": "en", "b": "en", "c": "en"})[0]
    assert same_language.flagged == ("Finnland",)


def test_an_inflected_or_derived_form_joins_the_name_unflagged() -> None:
    mentions = [
        mention("Brückenfeld", "a", "PLACE"),
        mention("Brückenfeld", "b", "PLACE"),
        mention("Brückenfelder", "c", "PLACE"),  # "das Brückenfelder Werk": the town's adjective
        mention("Harlowe", "a", "ORG"),
        mention("Harlowe", "b", "ORG"),
        mention("Harlawe", "c", "ORG"),  # a misspelling is still flagged
    ]
    entities = merge_mentions(mentions, languages={"a": "de", "b": "de", "c": "de"})
    town = by_name(entities, "Brückenfeld")
    assert set(town.variants) == {"Brückenfeld", "Brückenfelder"} and town.flagged == ()
    assert town.evidence["variants"]["Brückenfelder"] == "inflected or derived form"
    assert by_name(entities, "Harlowe").flagged == ("Harlawe",)
    # one letter more or less is as often a slip: still flagged
    slip = merge_mentions(
        [mention("Ukraine", k, "PLACE") for k in "ab"] + [mention("Ukrain", "c", "PLACE")],
        languages=dict.fromkeys("abc", "en"),
    )
    assert by_name(slip, "Ukraine").flagged == ("Ukrain",)


def test_capitalised_phrases_skip_sentence_openers_and_german_nouns() -> None:
    text = "Der Minister Jonas Keller traf die Bewohner von Brückenfeld. Gestern kam Keller."
    found = {text[s:e] for s, e, _ in capitalized_spans(text, "de")}
    assert "Jonas Keller" in found and "Brückenfeld" in found
    assert "Bewohner von Brückenfeld" not in found and "Gestern" not in found


def test_find_mentions_with_the_heuristic_tagger() -> None:
    passages = [
        Passage("a", 0, "El alcalde Ignacio Reveco dijo que la ciudad sufre."),
        Passage("b", 0, "Según Reveco, no."),
    ]
    mentions = find_mentions(passages, {"a": "es", "b": "es"}, tagger=heuristic_tagger)
    assert [(m.article_id, m.form) for m in mentions] == [("a", "Ignacio Reveco"), ("b", "Reveco")]
    assert merge_mentions(mentions)[0].variants == ("Ignacio Reveco", "Reveco")


def _around(text: str, name: str) -> bool:
    start = text.index(name)
    return place_context(text, start, start + len(name))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Dozens of adobe houses fell in the farming town of Villa Alcántara, officials said.",
            "Villa Alcántara",
        ),
        ("said Ignacio Reveco, the mayor of Villa Alcántara.", "Villa Alcántara"),
        ("The epicentre was 22 kilometres southeast of Villa Alcántara.", "Villa Alcántara"),
        ("centred near Villa Alcántara, a town of about 18,000 people", "Villa Alcántara"),
        ("Villa Alcántara, a small farming town, was hit hardest.", "Villa Alcántara"),
        ("tuvo su epicentro a 22 kilómetros al sureste de Villa Alcántara", "Villa Alcántara"),
        ("El alcalde de Villa Alcántara pidió ayuda.", "Villa Alcántara"),
        ("la maire de Saint-Julien a parlé", "Saint-Julien"),
        ("TALCA, Chile (MPA) — A magnitude 6.4 earthquake struck", "TALCA"),
        ("Earlier.\nLEEDS, England — A British court ruled", "LEEDS"),
    ],
)
def test_place_contexts(text: str, name: str) -> None:
    assert _around(text, name)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The Bank of England held rates.", "Bank"),
        ("She works at Meridian Press Agency in the town.", "Meridian Press Agency"),
        ("Meridian Press Agency, a wire service, reported it.", "Meridian Press Agency"),
        ("Acme Builders, a city contractor, won the bid.", "Acme Builders"),
        ("María López, una concejala de ciudad, habló.", "María López"),
        ("MPA reported the quake — and more.", "MPA"),  # capitals, but no dateline shape after
        ("Reports said NATO — the alliance — met.", "NATO"),  # not at the start of a paragraph
    ],
)
def test_not_place_contexts(text: str, name: str) -> None:
    assert not _around(text, name)


def test_a_place_context_makes_an_organisation_or_unknown_name_a_place() -> None:
    def tagger(texts: list[str], language: str) -> list[list[tuple[int, int, str]]]:
        out = []
        for t in texts:
            start = t.index("Villa Alcántara")
            out.append([(start, start + len("Villa Alcántara"), "ORG")])
        return out

    passages = [
        Passage("a", 0, "Houses fell in the farming town of Villa Alcántara on Tuesday."),
        Passage("b", 0, "Rescuers reached Villa Alcántara by noon."),
    ]
    mentions = find_mentions(passages, {"a": "en", "b": "en"}, tagger=tagger)
    assert [m.label for m in mentions] == ["PLACE", "ORG"]
    es = find_mentions(
        [Passage("c", 0, "Llegaron al sureste de Villa Alcántara.")], {"c": "es"}, tagger=heuristic_tagger
    )
    assert [(m.form, m.label) for m in es] == [("Villa Alcántara", "PLACE")]


@pytest.mark.slow
def test_spacy_finds_people_places_and_organisations() -> None:
    passages = [
        Passage("a", 0, "Secretary of State Antony Blinken met Qatar's emir in Doha on Monday."),
        Passage("a", 1, "Speaking ahead of Blinkens' announcement, the State Department said little."),
    ]
    mentions = find_mentions(passages, {"a": "en"})
    forms = {(m.form, m.label.split("/")[0]) for m in mentions}
    assert ("Antony Blinken", "PERSON") in forms
    assert ("Doha", "PLACE") in forms
    blinken = by_name(merge_mentions(mentions), "Antony Blinken")
    assert "Blinkens" in blinken.variants
