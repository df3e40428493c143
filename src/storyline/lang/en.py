"""English."""

from .base import LanguagePack, event_table

_MONTHS = (
    "january jan",
    "february feb",
    "march mar",
    "april apr",
    "may",
    "june jun",
    "july jul",
    "august aug",
    "september sep sept",
    "october oct",
    "november nov",
    "december dec",
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

PACK = LanguagePack(
    code="en",
    name="English",
    tagger="spacy",
    not_names=frozenset(
        """i a an the this that these those he she it we they his her its our their but and or if so as
        however although despite while when after before since during also then there here what who
        monday tuesday wednesday thursday friday saturday sunday january february march april may june
        july august september october november december""".split()
    ),
    # company designators ("Group", "Holdings") say what kind of name it is, not which company:
    # shared by two leads they made two deals or recalls of one day look like one (issue 11)
    story_not_names=frozenset(
        """the a an in on at he she it they we i you this that these those but and or if when while after
        before as for with from by to of mr mrs ms dr his her their its our there here what who how why
        also however meanwhile according police officials today yesterday
        inc corp corporation ltd llc plc group holdings industries""".split()
    ),
    titles=frozenset(
        """mr mrs ms dr prof sir dame lord lady president vice secretary minister prime chancellor
        ambassador senator sen rep gov governor gen general mayor judge justice pope king queen prince
        princess envoy spokesman spokeswoman deputy chief special representative spokesperson
        commander""".split()
    ),
    determiners=frozenset("the a an".split()),
    acronym_skips=frozenset("of the for and".split()),
    short_forms={
        "thomas": "tom tommy",
        "william": "bill billy will willy liam",
        "robert": "bob bobby rob robbie",
        "richard": "dick rick ricky rich",
        "james": "jim jimmy jamie",
        "john": "jack johnny",
        "joseph": "joe joey",
        "michael": "mike mick mickey",
        "edward": "ed eddie ted ned",
        "elizabeth": "liz beth betsy betty lisa eliza",
        "margaret": "maggie meg peggy",
        "catherine": "kate cathy",
        "katherine": "kate kathy katie",
        "alexander": "alex sasha",
        "alexandra": "alex sasha sandra",
        "christopher": "chris",
        "daniel": "dan danny",
        "david": "dave",
        "nicholas": "nick",
        "anthony": "tony",
        "antony": "tony",
        "benjamin": "ben",
        "charles": "charlie chuck",
        "matthew": "matt",
        "andrew": "andy drew",
        "jonathan": "jon",
        "samuel": "sam",
        "stephen": "steve",
        "steven": "steve",
        "timothy": "tim",
        "patrick": "pat paddy",
        "peter": "pete",
        "gregory": "greg",
        "jennifer": "jen jenny",
        "rebecca": "becky",
        "susan": "sue",
        "deborah": "deb debbie",
        "theodore": "ted theo",
        "francis": "frank",
        "lawrence": "larry",
        "donald": "don",
        "ronald": "ron",
        "gerald": "gerry jerry",
        "henry": "harry hank",
        "harold": "harry hal",
        "zachary": "zach",
        "nathaniel": "nate nat",
        "victoria": "vicky",
    },
    title_of=("secretary", "minister", "ministry", "chancellor"),
    place_before=(
        r"(?:town|city|village|hamlet|port|region|province|county|district|municipality|commune|"
        r"suburb|suburbs|outskirts|capital|mayor)\s+of",
        r"(?:north|south|east|west|northeast|northwest|southeast|southwest|north-east|north-west|"
        r"south-east|south-west)\s+of",
    ),
    place_after=(
        r"(?:a|an|the)\s+(?:[\w-]+\s+){0,2}?(?:town|city|village|hamlet|port|region|province|county|"
        r"district|municipality|commune|suburb)"
        r"(?=\s*[,.;:)]|\s+(?:of|in|on|near|with|where|that|which|known|some|about)\b)",
    ),
    name_followers=frozenset("to is was has had have said says will would and or who which that".split()),
    stopwords=frozenset(
        """a an the of to in on at for by with from and or but nor is are was were be been being am has
        have had do does did it its this that these those he she they we you i me my his her their our
        your him them us as not no so than then there here which who whom whose what when where why how
        said says say will would can could may might must shall should also about into over after before
        up down out more most very just such only own same other some any each all both few many much s
        t if while because until since again further""".split()
    ),
    story_stopwords=frozenset(
        """is was were be been being has have had will would could should may might can said says say
        not no all any some more most other such only own same so than too very just about into over
        under again further then once also after which whom whose where said told one two three new last
        first year years week weeks day days time people""".split()
    ),
    event_kinds=event_table(
        quake=("earthquake earthquakes quake quakes tremor tremors aftershock aftershocks seismic tsunami"),
        fire=(
            "fire blaze blazes wildfire wildfires inferno firefighters explosion explosions "
            "blast blasts exploded"
        ),
        weather=(
            "storm storms hurricane hurricanes typhoon typhoons cyclone cyclones tornado "
            "tornadoes blizzard flood floods flooding flooded floodwaters"
        ),
        election="election elections elected reelected re-elected electoral runoff",
        walkout="walkout walkouts strikers",
        merger=("merger mergers acquisition acquisitions takeover takeovers buyout acquire acquires"),
        recall="recall recalls recalled",
        protest=(
            "protest protests protesters protestors demonstration demonstrations demonstrators marchers"
        ),
        crime=(
            "shooting shootings gunman gunmen gunfire court courts verdict ruling ruled judge "
            "sentenced convicted acquitted trial lawsuit jury"
        ),
        crash="crash crashes derailed derailment collision",
    ),
    not_event_phrases=frozenset(
        {"opened fire", "open fire", "opens fire", "under fire", "returned fire", "fire back", "crossfire"}
    ),
    number_words={
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "twenty": 20,
        "dozen": 12,
        "hundred": 100,
    },
    scales={
        "thousand": 1e3,
        "hundred": 1e2,
        "million": 1e6,
        "millions": 1e6,
        "m": 1e6,
        "billion": 1e9,
        "billions": 1e9,
        "bn": 1e9,
        "trillion": 1e12,
    },
    approximate=(
        "about",
        "around",
        "nearly",
        "almost",
        "some",
        "roughly",
        "approximately",
        "over",
        "more than",
        "less than",
        "fewer than",
        "at least",
        "up to",
    ),
    percent=("percent", "per cent"),
    dead=frozenset("dead killed killing kill died deaths death toll fatalities bodies victims".split()),
    injured=frozenset("injured wounded hurt injuries".split()),
    increments=frozenset("more additional other further another".split()),
    subsets=("last", "first", "latest", "final", "other", "remaining"),
    generic_units=frozenset(
        "year month week day hour minute time season point cent percent euro dollar pound yen".split()
    ),
    people=frozenset("people person persons".split()),
    unit_links=("of",),
    months={name: number for number, names in enumerate(_MONTHS, 1) for name in names.split()},
    ambiguous_months=frozenset({"may", "march", "mar", "jan", "sep", "dec", "aug", "oct", "nov"}),
    weekdays={name: number for number, name in enumerate(_WEEKDAYS)},
    month_cues=("in", "since", "until", "by", "from", "early", "late", "mid-?"),
    year_cues=("in", "since", "until", "by", "from", "early", "late", "mid-?"),
    weekday_cues=("this", "on"),
    past=("last", "past", "previous"),
    next=("next", "coming"),
    named_days=("black", "good", "cyber", "ash", "super", "holy", "easter", "blue", "bloody"),
    reported_cues=(
        "said",
        "says",
        "told",
        "announced",
        "added",
        "confirmed",
        "reported",
        "stated",
        "wrote",
        "warned",
    ),
    future_cues=(
        "will",
        "shall",
        "'ll",
        "is due to",
        "are due to",
        "is expected to",
        "are expected to",
        "is scheduled to",
        "plans to",
    ),
    day_words=(
        ("the day before yesterday", -2),
        ("yesterday", -1),
        ("last night", -1),
        ("today", 0),
        ("tonight", 0),
        ("this morning", 0),
        ("this afternoon", 0),
        ("this evening", 0),
        ("tomorrow", 1),
    ),
    period_before=("last", "this", "next", "earlier this", "later this"),
    period_units={"week": "week", "month": "month", "year": "year"},
    ago=r"(?P<n>\d+|one|two|three|four|five|six|seven|ten)\s+(?P<u>days?|weeks?)\s+ago",
    ago_numbers={"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10},
    ago_units={"day": 1, "days": 1, "week": 7, "weeks": 7},
    clause_words=("and", "but", "that", "which", "while", "after", "because", "when"),
    speech=("said", "says", "told", "added", "stated", "statement", "quoted"),
    said_verbs=("said", "says", "added", "told"),
    speaker_verbs=("said", "says", "told", "added", "statement", "stated"),
    quote_openers=("I", "We", "My", "Our", "This", "It"),
    ad_lines=(
        "advertisements?",
        "sponsored( content)?",
        "story continues below( advertisement)?",
        "continue reading( below| the main story)?",
        "scroll to continue( with content)?",
        "article continues (below|after advertisement)",
        "ad",
    ),
    widget_lines=(
        "please enter your (comment|name here)!?",
        "you have entered an incorrect email address!?",
        "leave a (reply|comment)( cancel reply)?",
        "share this( article| story)?:?",
        "like this:?",
        r"loading\.*",
        r"click to share on \w+( \(opens in new window\))?",
        "share on (facebook|twitter|x|whatsapp|linkedin)",
        r"(tweet|share|email|print|whatsapp|pinterest)( \| ?(tweet|share|email|print|whatsapp|pinterest))*",
        "related( posts| articles)?:?",
        "sign up for our newsletter.*",
        "subscribe to our newsletter.*",
        "follow us on (twitter|facebook|instagram).*",
        r"comments?( \(\d+\))?",
        r"\d+ comments?",
        r"save my name, email, and website in this browser for the next time i comment\.?",
    ),
)
