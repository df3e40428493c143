"""German."""

from .base import LanguagePack, event_table

_MONTHS = (
    "januar jänner",
    "februar",
    "märz maerz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
)
_WEEKDAYS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag sonnabend", "sonntag")

PACK = LanguagePack(
    code="de",
    name="German",
    capitalises_nouns=True,
    not_names=frozenset("nach laut seit während für aber auch mit ohne im am beim zum zur".split()),
    story_not_names=frozenset("der die das ein eine und im am".split()),
    titles=frozenset("herr frau präsident präsidentin bundeskanzler kanzler minister".split()),
    determiners=frozenset("der die das den dem des ein eine einer eines einem".split()),
    particles=frozenset("von der".split()),
    acronym_skips=frozenset("der die das und".split()),
    short_forms={"johannes": "hans", "johann": "hans", "josef": "sepp"},
    stopwords=frozenset(
        """der die das den dem des ein eine einer eines einem und oder aber ist sind war waren wird werden
        hat haben nicht auch mit von zu im am auf für bei aus nach wie als dass sich er sie es wir ihr
        sein seine zum zur""".split()
    ),
    story_stopwords=frozenset(
        """ist sind war wurde werden hat haben nicht mit auf für von zu den dem des sich auch als bei nach
        wie aus oder es""".split()
    ),
    event_kinds=event_table(
        quake="erdbeben beben nachbeben tsunami",
        fire=("brand brände feuer großbrand waldbrand waldbrände explosion explosionen feuerwehr"),
        weather=(
            "sturm stürme orkan hurrikan taifun tornado unwetter hochwasser überschwemmung "
            "überschwemmungen flut"
        ),
        election="wahl wahlen gewählt stichwahl",
        walkout="streik streiks gestreikt",
        merger="fusion übernahme übernehmen übernimmt",
        recall="rückruf rückrufaktion zurückgerufen",
        protest="protest proteste demonstration demonstranten kundgebung",
        crime="schüsse schießerei gericht urteil richter verurteilt prozess",
        crash="absturz zusammenstoß entgleist",
    ),
    scales={"millionen": 1e6, "milliarden": 1e9, "milliarde": 1e9},
    approximate=("etwa", "rund", "fast", "mehr als", "über"),
    percent=("prozent",),
    dead=frozenset("tote toten".split()),
    injured=frozenset({"verletzte"}),
    increments=frozenset({"weitere"}),
    subsets=("letzten", "ersten"),
    generic_units=frozenset("jahr monat tag".split()),
    people=frozenset("menschen personen".split()),
    unit_links=("der", "des"),
    months={name: number for number, names in enumerate(_MONTHS, 1) for name in names.split()},
    weekdays={name: number for number, names in enumerate(_WEEKDAYS) for name in names.split()},
    month_cues=("im", "seit", "bis", "ab"),
    year_cues=("im", "seit", "bis", "ab", "jahr"),
    weekday_cues=("am",),
    past=("letzten", "vergangenen"),
    next=("nächsten", "kommenden"),
    reported_cues=("sagte", "erklärte", "teilte", "kündigte", "bestätigte", "berichtete"),
    future_cues=("wird", "werden", "soll", "sollen"),
    day_words=(("vorgestern", -2), ("gestern", -1), ("heute", 0)),
    own_day_words=((r"morgen\b(?! früh)", 1),),  # "Morgen" is "morning"
    period_before=(
        "letzte",
        "letzten",
        "vergangene",
        "vergangenen",
        "diese",
        "diesen",
        "dieses",
        "nächste",
        "nächsten",
    ),
    period_past=("letzte", "vergangene"),
    period_next=("nächste",),
    period_units={"woche": "week", "monat": "month", "jahr": "year"},
    ago=r"vor\s+(?P<n>\d+|einem|zwei|drei|vier|fünf)\s+(?P<u>tagen|wochen)",
    ago_numbers={"einem": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5},
    ago_units={"tagen": 1, "wochen": 7},
    speech=("sagte",),
    ad_lines=("anzeige", "werbung"),
)
