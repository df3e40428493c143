"""Language packs: each loads, an unknown language falls back to the generic pack, and a new
language is one new file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline import lang
from storyline.features.mentions import capitalized_spans, default_tagger
from storyline.text.dates import MONTHS, find_dates


@pytest.mark.parametrize("code", ["en", "de", "es", "fr"])
def test_each_pack_loads_with_its_calendar(code: str) -> None:
    p = lang.pack(code)
    assert p.code == code and p.name
    assert sorted(set(p.months.values())) == list(range(1, 13))
    assert sorted(set(p.weekdays.values())) == list(range(7))
    assert p.stopwords and p.not_names | p.story_not_names and p.titles and p.determiners
    assert set(p.months) <= set(MONTHS), "the date parser reads every pack's month names"


def test_codes_lists_the_pack_modules() -> None:
    assert {"en", "de", "es", "fr"} <= set(lang.codes())
    assert "generic" not in lang.codes() and "base" not in lang.codes()
    assert lang.packs()[-1] is lang.generic_pack()


@pytest.mark.parametrize("code", ["xx", "", None, "zz-ZZ", "../en"])
def test_an_unknown_language_falls_back_to_the_generic_pack(code: str | None) -> None:
    assert lang.pack(code) is lang.generic_pack()
    assert lang.pack(code).tagger == "heuristic" and not lang.pack(code).months


def test_a_regional_code_reads_as_its_language() -> None:
    assert lang.pack("en-GB") is lang.pack("en") and lang.pack("DE") is lang.pack("de")


def test_the_pack_says_which_tagger_reads_names() -> None:
    assert lang.pack("en").tagger == "spacy"
    assert {lang.pack(c).tagger for c in ("de", "es", "fr", "xx")} == {"heuristic"}
    text = "Die Ministerin Anna Berger besuchte am Montag Brückenfeld."
    assert default_tagger([text], "de") == [capitalized_spans(text, "de")]


def test_language_only_words_follow_the_pack() -> None:
    # French "hier" is "yesterday"; German "hier" is "here"
    from datetime import date

    reference = date(2021, 10, 18)
    assert [d.date for d in find_dates("Il est arrivé hier.", reference=reference, language="fr")] == [
        "2021-10-17"
    ]
    assert find_dates("Er ist hier.", reference=reference, language="de") == []


@pytest.fixture
def extra_pack_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder added to the package's search path, forgotten again after the test."""
    lang.__path__.append(str(tmp_path))
    lang.reset()
    try:
        yield tmp_path
    finally:
        lang.__path__.remove(str(tmp_path))
        sys.modules.pop("storyline.lang.xq", None)
        lang.reset()


def test_a_new_language_is_one_new_file(extra_pack_dir: Path) -> None:
    (extra_pack_dir / "xq.py").write_text(
        "from storyline.lang.base import LanguagePack\n"
        'PACK = LanguagePack(code="xq", name="Test language", stopwords=frozenset({"zorp"}),\n'
        '                    months={"primo": 1}, particles=frozenset({"zu"}))\n',
        encoding="utf-8",
    )
    assert "xq" in lang.codes()
    assert lang.pack("xq").name == "Test language"
    assert "zorp" in lang.words("stopwords") and "the" in lang.words("stopwords")
    assert lang.table("months")["primo"] == 1


def test_a_module_without_a_pack_is_not_a_language(extra_pack_dir: Path) -> None:
    (extra_pack_dir / "xq.py").write_text("VALUE = 1\n", encoding="utf-8")
    assert "xq" not in lang.codes()
    assert lang.pack("xq") is lang.generic_pack()


def test_unions_keep_every_pack_and_the_first_pack_wins_a_clash() -> None:
    assert lang.words("determiners") >= {"the", "der", "los", "les"}
    assert lang.table("months")["mai"] == 5
    assert lang.fragments("percent")[-1] == "%"


def test_one_fold_for_names_and_one_for_words() -> None:
    from storyline.compare.entities import fold as entity_fold
    from storyline.text.normalize import fold, unaccent

    assert entity_fold is fold
    assert fold("Jean-Luc O'Neil Jr.") == "jean luc oneil jr"
    assert unaccent("Moïse, Jr.") == "moise, jr."
