"""French."""

from .base import LanguagePack, event_table

_MONTHS = (
    "janvier",
    "février fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août aout",
    "septembre",
    "octobre",
    "novembre",
    "décembre decembre",
)
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

PACK = LanguagePack(
    code="fr",
    name="French",
    not_names=frozenset("selon après avant pendant pour mais avec sans".split()),
    story_not_names=frozenset("le la les un des du et en".split()),
    titles=frozenset("m mme mlle président présidente maire".split()),
    determiners=frozenset("le la les l un une".split()),
    particles=frozenset("de du la le".split()),
    acronym_skips=frozenset("de la le des du et".split()),
    short_forms={"francois": "fanfan"},
    title_of=("ministre",),
    place_before=(
        r"(?:ville|village|commune|région|region|province|département|maire|banlieue|capitale)\s+d[e']",
        r"(?:au\s+)?(?:nord|sud|nord-est|nord-ouest|sud-est|sud-ouest)\s+d[e']",
    ),
    stopwords=frozenset(
        """le la les un une et ou mais est sont été être avec pour par dans sur au aux ce cette qui que ne
        pas plus son sa ses il elle ils elles nous vous""".split()
    ),
    story_stopwords=frozenset("sur pour dans par avec que qui est sont été ont pas plus".split()),
    event_kinds=event_table(
        quake="séisme séismes tremblement répliques tsunami",
        fire="incendie incendies flammes pompiers explosion",
        weather=("tempête tempêtes ouragan typhon cyclone tornade inondation inondations crue crues"),
        election="élection élections élu élue scrutin",
        walkout="grève grèves grévistes",
        merger="fusion rachat acquisition racheter rachète",
        protest="manifestation manifestations manifestants protestation",
        crime="fusillade tribunal juge verdict condamné procès",
        crash="collision déraillement",
    ),
    scales={"millions": 1e6, "milliards": 1e9, "milliard": 1e9},
    approximate=("environ", "près de", "plus de"),
    percent=("pour cent",),
    dead=frozenset({"morts"}),
    injured=frozenset({"blessés"}),
    increments=frozenset({"autres"}),
    subsets=("derniers",),
    generic_units=frozenset("an mois jour".split()),
    people=frozenset({"personnes"}),
    unit_links=("de", "des"),
    months={name: number for number, names in enumerate(_MONTHS, 1) for name in names.split()},
    weekdays={name: number for number, name in enumerate(_WEEKDAYS)},
    month_cues=("depuis", "jusqu'en", "début", "fin", "mi-"),
    year_cues=("depuis", "jusqu'en", "année"),
    weekday_cues=("le", "ce"),
    past=("dernier", "dernière", "passé"),
    next=("prochain", "prochaine"),
    reported_cues=("a déclaré", "a annoncé", "a dit", "a affirmé", "a indiqué", "a confirmé", "a précisé"),
    future_cues=("sera", "seront", "va ", "vont ", "doit", "doivent"),
    day_words=(("avant-hier", -2), ("aujourd'hui", 0), ("demain", 1)),
    own_day_words=((r"hier", -1),),  # German "hier" is "here"
    period_before=("cette", "ce", "le", "la"),
    period_after=("dernier", "dernière", "prochain", "prochaine"),
    bare_period=frozenset({"le", "ce", "cette"}),
    period_units={"semaine": "week", "mois": "month", "année": "year"},
    ago=r"il y a\s+(?P<n>\d+|un|deux|trois|quatre|cinq)\s+(?P<u>jours|semaines)",
    ago_numbers={"un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5},
    ago_units={"jours": 1, "semaines": 7},
    speech=("a déclaré", "a dit"),
    ad_lines=("publicité",),
)
