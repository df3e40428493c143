"""Spanish."""

from .base import LanguagePack, event_table

_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "setiembre septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
_WEEKDAYS = ("lunes", "martes", "miércoles miercoles", "jueves", "viernes", "sábado sabado", "domingo")

PACK = LanguagePack(
    code="es",
    name="Spanish",
    not_names=frozenset("según durante tras para desde hasta sin pero aunque también además".split()),
    story_not_names=frozenset("el la los las un una en".split()),
    titles=frozenset("sr sra don doña presidente ministro ministra alcalde alcaldesa".split()),
    determiners=frozenset("el la los las un una".split()),
    particles=frozenset("de del la y".split()),
    acronym_skips=frozenset("de la del y".split()),
    short_forms={
        "francisco": "paco pancho",
        "jose": "pepe",
        "ignacio": "nacho",
        "manuel": "manolo",
        "dolores": "lola",
        "guillermo": "memo",
        "roberto": "beto",
        "alberto": "beto",
    },
    title_of=("secretaria",),
    place_before=(
        r"(?:ciudad|pueblo|localidad|comuna|municipio|provincia|región|region|alcalde|alcaldesa|"
        r"afueras|capital)\s+de",
        r"(?:norte|sur|este|oeste|noreste|noroeste|sureste|suroeste|nordeste|sudeste|sudoeste)\s+de",
    ),
    place_after=(
        r"(?:una?\s+)?(?:[\w-]+\s+)?(?:ciudad|pueblo|localidad|comuna|municipio)"  # "una pequeña ciudad"
        r"(?=\s*[,.;:)]|\s+(?:de|en|con|donde|que|cerca|conocid[oa])\b)",
    ),
    stopwords=frozenset(
        """el la los las un una unos unas y o pero es son fue fueron ser ha han no con por para del al que
        se su sus lo como más muy este esta""".split()
    ),
    story_stopwords=frozenset("por para con que del se lo su sus fue son está han ha como más pero".split()),
    event_kinds=event_table(
        quake="terremoto terremotos sismo sismos temblor réplicas tsunami",
        fire="incendio incendios llamas bomberos explosión",
        weather=("tormenta tormentas huracán tifón ciclón tornado temporal inundación inundaciones riada"),
        election="elecciones elección electo elegido comicios",
        walkout="huelga huelgas huelguistas",
        merger="fusión adquisición adquirir adquiere",
        protest="protesta protestas manifestación manifestantes",
        crime="tiroteo balacera tribunal juez sentencia condenado juicio",
        crash="choque descarriló colisión",
    ),
    scales={"mil": 1e3, "millones": 1e6, "millón": 1e6},
    approximate=("cerca de", "unos", "unas", "más de"),
    percent=("por ciento",),
    dead=frozenset("muertos fallecidos".split()),
    injured=frozenset({"heridos"}),
    increments=frozenset({"más"}),
    subsets=("últimos", "primeros"),
    generic_units=frozenset("año mes día".split()),
    people=frozenset({"personas"}),
    unit_links=("de", "del"),
    months={name: number for number, names in enumerate(_MONTHS, 1) for name in names.split()},
    weekdays={name: number for number, names in enumerate(_WEEKDAYS) for name in names.split()},
    month_cues=("en", "desde", "hasta", r"a\s+finales\s+de"),
    year_cues=("en", "desde", "hasta", "año"),
    weekday_cues=("el", "este"),
    past=("pasado", "pasada"),
    next=("próximo", "próxima"),
    reported_cues=("dijo", "afirmó", "anunció", "declaró", "informó", "confirmó", "aseguró", "señaló"),
    future_cues=("será", "serán", "va a", "van a", "prevé"),
    day_words=(("anteayer", -2), ("ayer", -1), ("anoche", -1), ("hoy", 0)),
    period_before=("la", "el", "este", "esta"),
    period_after=("pasado", "pasada", "que viene", "próximo", "próxima"),
    period_next=("que viene",),
    bare_period=frozenset({"la", "el"}),
    period_units={"semana": "week", "mes": "month", "año": "year"},
    ago=r"hace\s+(?P<n>\d+|un|dos|tres|cuatro|cinco)\s+(?P<u>días|semanas)",
    ago_numbers={"un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5},
    ago_units={"días": 1, "semanas": 7},
    speech=("dijo", "afirmó"),
    ad_lines=("publicidad",),
)
