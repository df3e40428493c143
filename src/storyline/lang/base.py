"""The shape of a language pack (:mod:`storyline.lang`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LanguagePack:
    """One language's word lists and rules. Every field but ``code`` defaults to "nothing
    known", so a pack says only what is true of its language. Words are lower case; fields
    documented as regular-expression fragments are joined into patterns (case-insensitive
    unless said otherwise)."""

    code: str
    name: str = ""

    # --- names: which tagger reads them, and the words around them
    #: the name tagger: ``"spacy"`` (the pipeline :func:`storyline.features.mentions.english_pipeline`
    #: loads) or ``"heuristic"`` (capitalised phrases, :func:`~storyline.features.mentions.capitalized_spans`)
    tagger: str = "heuristic"
    #: every noun is capitalised (German): a single capitalised word after an article is no name
    capitalises_nouns: bool = False
    #: capitalised words that are never a name, for the mention heuristic (function words, days)
    not_names: frozenset[str] = _EMPTY
    #: capitalised words that are never a name, for the story stage's bags of names (with the
    #: month names of :attr:`months`; kept apart from :attr:`not_names`: merging the two lists
    #: changes both stages' results)
    story_not_names: frozenset[str] = _EMPTY
    #: honorifics and roles before a name ("Mr", "Präsident", "Sra")
    titles: frozenset[str] = _EMPTY
    #: articles ("the", "der", "los")
    determiners: frozenset[str] = _EMPTY
    #: particles inside names ("de", "von", "van")
    particles: frozenset[str] = _EMPTY
    #: small words an acronym skips ("of", "und": "Agence France-Presse" is AFP)
    acronym_skips: frozenset[str] = _EMPTY
    #: short forms of first names ("tom" for "thomas")
    short_forms: Mapping[str, str] = field(default_factory=dict)
    #: words opening a title role that an organisation name follows ("Secretary of ..."),
    #: regular-expression fragments
    title_of: tuple[str, ...] = ()
    #: words after a name that show "the" before it belongs to the name ("the West said")
    name_followers: frozenset[str] = _EMPTY
    #: words that make the name after them a place, with the word between ("of", "de"): "the
    #: farming town of", "the mayor of", "southeast of", "al sureste de"; regular-expression
    #: fragments, each a whole phrase up to the name. The small English NER model takes an
    #: unfamiliar town for an organisation; these contexts say otherwise
    place_before: tuple[str, ...] = ()
    #: words of an apposition after a name that make it a place (", a town of 18,000"),
    #: regular-expression fragments read after the comma
    place_after: tuple[str, ...] = ()

    # --- words
    #: function words: they end the unit of a quantity ("12 people in ...")
    stopwords: frozenset[str] = _EMPTY
    #: more words the story stage leaves out of an article's bag of words (with :attr:`story_not_names`)
    story_stopwords: frozenset[str] = _EMPTY

    #: words that name a kind of event -> the kind ("quake": "quake", "blaze": "fire"), read in
    #: the lead by the story stage: two reports whose leads name kinds of event, none shared,
    #: are evidence of two events (a fire and a quake in one city). Only words with one reading
    #: in news ("strike" is a walkout and an air raid: left out)
    event_kinds: Mapping[str, str] = field(default_factory=dict)
    #: two-word phrases in which a word of :attr:`event_kinds` names no such event ("opened fire")
    not_event_phrases: frozenset[str] = _EMPTY

    # --- numbers and quantities
    #: number words read as quantities ("twelve")
    number_words: Mapping[str, int] = field(default_factory=dict)
    #: scale words after a number ("million", "Milliarden")
    scales: Mapping[str, float] = field(default_factory=dict)
    #: words before a number that make it approximate ("about", "rund"), regex fragments
    approximate: tuple[str, ...] = ()
    #: words for per cent ("percent", "prozent")
    percent: tuple[str, ...] = ()
    #: words that say a count is of the dead, and of the injured
    dead: frozenset[str] = _EMPTY
    injured: frozenset[str] = _EMPTY
    #: words after a number that make it an increment ("two more bodies")
    increments: frozenset[str] = _EMPTY
    #: words before a number that make it part of a count ("the last two victims")
    subsets: tuple[str, ...] = ()
    #: units that name the kind of figure, not what is counted ("year", "Tag")
    generic_units: frozenset[str] = _EMPTY
    #: words for people ("people", "Menschen"): a count of them takes the sentence's class
    people: frozenset[str] = _EMPTY
    #: words between a number and its unit ("of", "de")
    unit_links: tuple[str, ...] = ()

    # --- dates (text/dates.py)
    #: month names and abbreviations -> month number
    months: Mapping[str, int] = field(default_factory=dict)
    #: month names that are also common words: a month only when capitalised
    ambiguous_months: frozenset[str] = _EMPTY
    #: weekday names -> 0 (Monday) ... 6 (Sunday)
    weekdays: Mapping[str, int] = field(default_factory=dict)
    #: words before a bare month ("in", "seit", "a finales de"), regex fragments
    month_cues: tuple[str, ...] = ()
    #: words before a bare year ("since", "año"), regex fragments
    year_cues: tuple[str, ...] = ()
    #: words before a weekday that leave it as written ("on", "am", "el")
    weekday_cues: tuple[str, ...] = ()
    #: "last" and "next" words around a weekday or a period
    past: tuple[str, ...] = ()
    next: tuple[str, ...] = ()
    #: words before a weekday that make it a name, not a date ("Black Friday")
    named_days: tuple[str, ...] = ()
    #: future-tense cues before a weekday ("will", "wird"), regex fragments
    future_cues: tuple[str, ...] = ()
    #: past-tense reporting verbs ("said", "dijo"): one between a future cue and a weekday dates
    #: the report, not the plan ("will pay …, the minister said on Wednesday"), regex fragments
    reported_cues: tuple[str, ...] = ()
    #: day words and their offset in days, in every text ("yesterday": -1)
    day_words: tuple[tuple[str, int], ...] = ()
    #: day words read only in this language, case-sensitive regex fragments ("hier" is French
    #: "yesterday" and German "here")
    own_day_words: tuple[tuple[str, int], ...] = ()
    #: words before and after a period unit ("last week", "la semana pasada")
    period_before: tuple[str, ...] = ()
    period_after: tuple[str, ...] = ()
    #: more "last" and "next" words of periods
    period_past: tuple[str, ...] = ()
    period_next: tuple[str, ...] = ()
    #: words that alone before a period unit make no date ("la semaine")
    bare_period: frozenset[str] = _EMPTY
    #: period units -> "week", "month" or "year"
    period_units: Mapping[str, str] = field(default_factory=dict)
    #: "three days ago", a regex fragment with the groups ``n`` (a number) and ``u`` (a unit)
    ago: str = ""
    #: number words in :attr:`ago`, and its units in days
    ago_numbers: Mapping[str, int] = field(default_factory=dict)
    ago_units: Mapping[str, int] = field(default_factory=dict)

    #: words a long clause is split before ("and", "because"), for sentence alignment
    clause_words: tuple[str, ...] = ()

    # --- quotes
    #: words that attribute speech ("said", "sagte"), regex fragments
    speech: tuple[str, ...] = ()
    #: verbs of "..., said X" and "X said ...", and the words a quote that is a whole sentence
    #: opens with ("I", "We")
    said_verbs: tuple[str, ...] = ()
    speaker_verbs: tuple[str, ...] = ()
    quote_openers: tuple[str, ...] = ()

    # --- cleaning
    #: whole lines that are an ad label, and widgets, regex fragments matched case-insensitively
    ad_lines: tuple[str, ...] = ()
    widget_lines: tuple[str, ...] = ()


def event_table(**kinds: str) -> dict[str, str]:
    """:attr:`LanguagePack.event_kinds` from each kind's words (space-separated)."""
    return {word: kind for kind, words in kinds.items() for word in words.split()}
