"""Copy detection: blocking index, copy types, which side is the original, and what must not link.

The articles are written here (an invented canal accident); none comes from a real outlet.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from storyline.clean.rules import clean_article
from storyline.copies.blocking import NearDuplicateIndex, shingles
from storyline.copies.decide import copy_thresholds, find_copies
from storyline.errors import StorylineError
from storyline.features.language import split_sentences
from storyline.models import Article, CopyLink
from storyline.settings import Settings
from storyline.testing import FakeEmbedder
from storyline.types import Embedder

BASE = [
    "TARNHOLM (Nordwire) — A lock gate on the Vessel Canal at Tarnholm failed early on Thursday, stranding "
    "23 barges and cutting the town's main freight route, the canal authority said.",
    "The gate, built in 1961, gave way shortly after 3 a.m. when a hydraulic arm snapped during a routine opening.",
    "No one was injured, but water levels in the upper basin fell by almost two metres within an hour.",
    '"We are treating this as a structural failure, not an accident," said Hanne Skovgaard, the authority\'s '
    "chief engineer.",
    "Repairs are expected to take at least three weeks and cost around 4.5 million crowns.",
    "Shipping companies said the closure would force them to move grain and timber by road, adding about 600 "
    "lorry journeys a week.",
    "The authority has ordered inspections of the canal's four other locks, all of which date from the same decade.",
]
# A content-farm rewrite: same sentences in the same order, about a fifth of the words swapped.
SPUN = [
    "TARNHOLM (Nordwire) — A lock gate on the Vessel Canal at Tarnholm collapsed early on Thursday, leaving "
    "23 barges stuck and cutting off the town's principal freight route, the canal authority stated.",
    "The gate, constructed in 1961, gave way soon after 3 a.m. when a hydraulic arm broke during a routine opening.",
    "Nobody was hurt, but water levels in the upper basin dropped by nearly two metres within an hour.",
    '"We are treating this as a structural failure, not an accident," said Hanne Skovgaard, the authority\'s '
    "chief engineer.",
    "Repairs are predicted to take at least three weeks and cost roughly 4.5 million crowns.",
    "Shipping firms said the shutdown would force them to transport grain and timber by road, adding about 600 "
    "truck journeys a week.",
    "The authority has ordered checks of the canal's four other locks, all of which date from the same era.",
]
# Our own German translation of BASE, sentence by sentence.
GERMAN = [
    "TARNHOLM (Nordwire) — Ein Schleusentor am Vessel-Kanal in Tarnholm hat am frühen Donnerstag versagt; "
    "23 Lastkähne sitzen fest, und die wichtigste Güterverbindung der Stadt ist unterbrochen, teilte die "
    "Kanalbehörde mit.",
    "Das 1961 gebaute Tor gab kurz nach 3 Uhr nach, als bei einer routinemäßigen Öffnung ein Hydraulikarm brach.",
    "Niemand wurde verletzt, aber der Wasserstand im oberen Becken sank innerhalb einer Stunde um fast zwei Meter.",
    '"Wir behandeln dies als strukturelles Versagen, nicht als Unfall", sagte Hanne Skovgaard, die '
    "Chefingenieurin der Behörde.",
    "Die Reparaturen werden voraussichtlich mindestens drei Wochen dauern und rund 4,5 Millionen Kronen kosten.",
    "Reedereien erklärten, die Sperrung zwinge sie, Getreide und Holz auf der Straße zu transportieren, was "
    "etwa 600 zusätzliche Lkw-Fahrten pro Woche bedeute.",
    "Die Behörde hat Inspektionen der vier anderen Schleusen des Kanals angeordnet, die alle aus demselben "
    "Jahrzehnt stammen.",
]
# Independent reports of the same accident: own structure, order, quotes and facts.
INDEPENDENT_EN = [
    "Freight traffic through Tarnholm came to a halt on Thursday after one of the Vessel Canal's oldest locks "
    "broke down.",
    "Barge operators said more than twenty vessels were stuck on either side of the damaged gate.",
    "Local haulier Jens Marholt said his firm had already booked extra lorries for the grain harvest.",
    '"Nobody saw this coming, and now we are paying for decades of neglect," he said.',
    "According to the canal authority, engineers found a broken hydraulic component in the gate mechanism.",
    "The authority did not say how long repairs would take, but officials expect the lock to stay closed for "
    "most of the month.",
    "The canal carried 2.1 million tonnes of cargo last year.",
]
INDEPENDENT_ES = [
    "El transporte de mercancías por el canal de Tarnholm quedó paralizado este jueves tras la avería de una "
    "de sus esclusas más antiguas.",
    "Los transportistas locales temen perder la temporada de cereales si el cierre se prolonga.",
    '"Llevamos años pidiendo inversiones y nadie nos ha escuchado", lamentó el alcalde, Ove Lindqvist.',
    "Según la autoridad del canal, los técnicos encontraron una pieza hidráulica rota en el mecanismo de la puerta.",
    "El canal transportó 2,1 millones de toneladas de carga el año pasado, sobre todo madera y cereales.",
    "La autoridad no ha dado un plazo para la reparación.",
]


def art(
    article_id: str,
    sentences: Sequence[str],
    *,
    date: str | None = "2025-03-06",
    lang: str = "en",
    head: str = "",
    tail: str = "",
) -> Article:
    """A cleaned, sentence-split article, one paragraph per sentence (``head``/``tail``: raw lines around it)."""
    text = "\n\n".join(part for part in (head, "\n\n".join(sentences), tail) if part)
    raw = Article(id=article_id, text=text, published=date, language=lang, source=f"{article_id}.example")
    cleaned = clean_article(raw)
    return replace(cleaned, sentences=tuple(split_sentences(cleaned.text, lang)))


def pairs(links: Sequence[CopyLink]) -> set[tuple[str, str, str]]:
    return {(link.copy, link.original, link.type.value) for link in links}


@pytest.fixture(scope="module")
def use() -> Embedder:
    from storyline.features.embed import default_embedder

    return default_embedder()


class _Refuses:
    """An embedder that fails the test if asked: the model must not be needed."""

    name = "refuses"
    dim = 512

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        raise AssertionError(f"embedder called with {len(texts)} texts")


# --------------------------------------------------------------------------- index


def test_index_finds_near_duplicates_incrementally_and_ranks_them() -> None:
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(2000)]
    docs = {f"d{i}": [rng.choice(vocab) for _ in range(300)] for i in range(200)}
    index = NearDuplicateIndex()
    for doc_id, toks in docs.items():
        assert index.add(doc_id, " ".join(toks))
    assert not index.add("d0", "again")  # an id is indexed once
    assert len(index) == 200 and "d5" in index
    # 10 changed words of 300 leave word 5-gram Jaccard ≈ 0.7: far above the 0.6 design point.
    edited = list(docs["d7"])
    for pos in rng.sample(range(300), 10):
        edited[pos] = "changed"
    scored = index.query_scored(" ".join(edited))
    assert scored[0][0] == "d7" and scored[0][1] > 0.55
    assert index.query(" ".join(rng.choice(vocab) for _ in range(300))) == []
    assert index.query("") == []
    assert index.remove("d7") and "d7" not in index.query(" ".join(edited))


def test_index_recall_at_jaccard_0_6() -> None:
    """Band choice: pairs of word 5-gram Jaccard ≈ 0.6 come back at least 95% of the time."""
    rng = random.Random(11)
    vocab = [f"v{i}" for i in range(5000)]
    index = NearDuplicateIndex()
    probes: list[tuple[str, str, float]] = []
    for i in range(200):
        toks = [rng.choice(vocab) for _ in range(400)]
        index.add(f"o{i}", " ".join(toks))
        edited = list(toks)
        for pos in rng.sample(range(20, 380), 8):  # 8 scattered edits, each kills up to five 5-grams
            edited[pos] = f"x{i}-{pos}"
        a, b = shingles(" ".join(toks)), shingles(" ".join(edited))
        probes.append((f"o{i}", " ".join(edited), len(a & b) / len(a | b)))
    assert all(0.6 <= j <= 0.95 for _, _, j in probes)
    found = sum(doc_id in index.query(text) for doc_id, text, _ in probes)
    assert found / len(probes) >= 0.95


# --------------------------------------------------------------------------- copy types


def test_verbatim_reprint_is_wire_with_the_agency_text_as_original() -> None:
    original = art("agency", BASE)
    reprint_lines = [BASE[0].replace(" (Nordwire)", ""), *BASE[1:-1]]
    reprint = art("paper", reprint_lines, tail="Nordwire contributed this report.")
    links = find_copies([reprint, original], embedder=_Refuses())
    assert pairs(links) == {("paper", "agency", "wire")}
    ev = links[0].evidence
    assert ev["original_by"] == "evidence"  # same day: the dateline, the credit line and containment decide
    assert any("agency opens with an agency dateline" in r for r in ev["original_reasons"])
    assert ev["containment_copy_in_original"] > 0.9 > ev["containment_original_in_copy"]


def test_repost_with_scraper_markers_is_scraped_and_never_the_original() -> None:
    original = art("outlet", BASE[1:])
    scraped = art("autoblog", BASE[1:], head="[ad_1]", tail="[ad_2]\n\nSource link")
    assert [r.reason for r in scraped.removed] == ["scraper-marker"] * 3
    links = find_copies([original, scraped], embedder=_Refuses())
    assert pairs(links) == {("autoblog", "outlet", "scraped")}
    assert links[0].evidence["markers_copy"] == ["[ad_1]", "[ad_2]", "Source link"]
    # A later date on the outlet's side still wins over markers: dates come first.
    later = art("outlet", BASE[1:], date="2025-03-07")
    assert pairs(find_copies([later, scraped], embedder=_Refuses())) == {("outlet", "autoblog", "wire")}


@pytest.mark.slow
def test_synonym_rewrite_is_spun(use: Embedder) -> None:
    original = art("orig", BASE)
    spun = art("farm", SPUN, date="2025-03-07")
    links = find_copies([spun, original], embedder=use)
    assert pairs(links) == {("farm", "orig", "spun")}
    ev = links[0].evidence
    assert ev["original_by"] == "earlier-date" and ev["date_gap_days"] == 1.0
    assert ev["aligned_ratio_copy"] == ev["aligned_ratio_original"] == 1.0
    assert ev["containment_copy_in_original"] < copy_thresholds().wire_containment


@pytest.mark.slow
def test_translation_is_translated_and_english_is_the_original(use: Embedder) -> None:
    english = art("en-report", BASE)
    german = art("de-report", GERMAN, lang="de")
    links = find_copies([german, english], embedder=use)
    assert pairs(links) == {("de-report", "en-report", "translated")}
    ev = links[0].evidence
    assert ev["languages"] == "en->de" and ev["aligned_ratio_copy"] >= 0.85
    assert any("is the English side" in r for r in ev["original_reasons"])


@pytest.mark.slow
def test_independent_reports_are_not_copies(use: Embedder) -> None:
    group = [
        art("base", BASE),
        art("other-en", INDEPENDENT_EN),
        art("other-es", INDEPENDENT_ES, lang="es"),
        art("de-report", GERMAN, lang="de"),
    ]
    for precision in (0.0, 0.5):
        assert pairs(find_copies(group, embedder=use, settings=Settings(precision=precision))) == {
            ("de-report", "base", "translated")
        }


def test_independent_reports_are_not_copies_with_a_bag_of_words_model() -> None:
    group = [art("base", BASE), art("other", INDEPENDENT_EN, date="2025-03-07")]
    assert find_copies(group, embedder=FakeEmbedder(), settings=Settings(precision=0.0)) == []


def test_two_reprints_of_one_original_link_to_it_not_to_each_other() -> None:
    original = art("agency", BASE)
    one = art("paper-1", BASE[:-1], date="2025-03-07")
    two = art("paper-2", BASE[:-2], date="2025-03-08")
    links = find_copies([two, one, original], embedder=_Refuses())
    assert pairs(links) == {("paper-1", "agency", "wire"), ("paper-2", "agency", "wire")}
    assert {link.copy: link.evidence.get("also_matches") for link in links}["paper-2"] == ["paper-1"]


def test_precision_moves_the_thresholds() -> None:
    low, high = copy_thresholds(Settings(precision=0.0)), copy_thresholds(Settings(precision=1.0))
    assert all(getattr(low, f) <= getattr(high, f) for f in low.__slots__)
    assert low.coverage < copy_thresholds().coverage < high.coverage
    # Five of seven sentences reprinted, three of its own added: a copy for the generous setting only.
    original = art("orig", BASE)
    own = [INDEPENDENT_EN[2], "The minister promised a review of all canal spending.", INDEPENDENT_EN[6]]
    partial = art("partial", [*BASE[:5], *own], date="2025-03-07")
    generous = find_copies([original, partial], embedder=FakeEmbedder(), settings=Settings(precision=0.0))
    assert pairs(generous) == {("partial", "orig", "wire")}
    ev = generous[0].evidence
    assert low.coverage <= ev["aligned_ratio_copy"] < high.coverage
    assert ev["containment_copy_in_original"] < high.wire_containment
    assert find_copies([original, partial], embedder=FakeEmbedder(), settings=Settings(precision=1.0)) == []


def test_edited_reprint_is_wire_not_spun() -> None:
    """Most sentences verbatim, two reworded: below the shingle cut-off at high precision, still wire."""
    original = art("orig", BASE)
    edited = art("edit", [*BASE[:5], SPUN[5], BASE[6].replace("inspections", "checks")], date="2025-03-07")
    links = find_copies([original, edited], embedder=FakeEmbedder(), settings=Settings(precision=1.0))
    assert pairs(links) == {("edit", "orig", "wire")}
    assert (
        links[0].evidence["containment_copy_in_original"]
        < copy_thresholds(Settings(precision=1.0)).wire_containment
    )
    assert links[0].evidence["verbatim_sentence_share"] >= 0.5


def test_given_vectors_are_used_and_checked() -> None:
    original, german = art("en", BASE), art("de", GERMAN, lang="de")
    # The English vectors for both sides make each German sentence the twin of its English one,
    # so the link can only come from the given vectors: the model is never asked.
    vecs = FakeEmbedder().encode(original.sentences)
    assert len(original.sentences) == len(german.sentences) == len(BASE)
    links = find_copies([original, german], vectors={"en": vecs, "de": vecs}, embedder=_Refuses())
    assert pairs(links) == {("de", "en", "translated")}
    with pytest.raises(StorylineError, match="has 2 rows"):
        find_copies([original, german], vectors={"en": vecs, "de": vecs[:2]}, embedder=_Refuses())


# --------------------------------------------------------------------------- invariants

_SENTENCES = [*BASE, *SPUN[:3], *INDEPENDENT_EN[:3]]


@st.composite
def _groups(draw: st.DrawFn) -> list[Article]:
    n = draw(st.integers(min_value=0, max_value=5))
    out = []
    for _ in range(n):
        ident = draw(st.sampled_from(["a", "b", "c", "d"]))  # repeated ids on purpose
        sentences = draw(st.lists(st.sampled_from(_SENTENCES), min_size=1, max_size=7))
        head = draw(st.sampled_from(["", "[ad_1]"]))
        date = draw(st.sampled_from([None, "2025-03-06", "2025-03-07T10:00:00Z"]))
        out.append(art(ident, sentences, date=date, lang=draw(st.sampled_from(["en", "de"])), head=head))
    return out


@given(_groups(), st.floats(min_value=0.0, max_value=1.0))
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_links_join_distinct_input_articles(group: list[Article], precision: float) -> None:
    links = find_copies(group, embedder=FakeEmbedder(), settings=Settings(precision=precision))
    ids = {a.id for a in group}
    for link in links:
        assert link.copy != link.original
        assert {link.copy, link.original} <= ids
        assert 0.0 <= link.score <= 1.0
    assert len({link.copy for link in links}) == len(links)  # one original per copy


def test_candidate_pairs_are_chunked_by_connected_group() -> None:
    from storyline.pipeline import _pair_chunks

    pairs = [(f"g{g}a", f"g{g}b") for g in range(10)] + [(f"g{g}b", f"g{g}c") for g in range(10)]
    chunks = list(_pair_chunks(pairs, max_articles=7))
    assert sorted(p for c in chunks for p in c) == sorted(pairs)  # every pair once
    for chunk in chunks:
        ids = {i for p in chunk for i in p}
        assert len(ids) <= 7
        groups = {i[:2] for i in ids}
        assert all(f"{g}a" in ids and f"{g}c" in ids for g in groups)  # a group is never split
    assert list(_pair_chunks([])) == []
