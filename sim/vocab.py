"""The project's vocabulary: modes, statuses, everyday functions, and one bilingual glossary.

Every literal type and every Norwegian/English label lives here once, so a planner
reads the same word in the scenario file, ``summary.json``, the plots and the report.

>>> label("nullvekst")
'Nullvekst (car vehicle-km change)'
>>> label("grocery", short=True)
'dagligvare'
"""

from __future__ import annotations

from typing import Literal

#: Everyday functions of *kortreist hverdag*, in the plan's order.
EVERYDAY_FUNCTIONS: tuple[str, ...] = (
    "grocery",
    "school",
    "kindergarten",
    "recreation",
    "transit_stop",
)

#: How much a layer can be trusted; every output names the status of what it used.
Status = Literal["real", "derived", "proxy", "estimated", "synthetic"]
STATUSES: tuple[str, ...] = ("real", "derived", "proxy", "estimated", "synthetic")

#: Statuses that call for a warning in every output where they influence a number.
WEAK_STATUSES: tuple[str, ...] = ("proxy", "estimated", "synthetic")

#: Public transport modes of a line.
Mode = Literal["rail", "metro", "tram", "bus", "ferry"]
PT_MODES: tuple[str, ...] = ("rail", "metro", "tram", "bus", "ferry")

#: Street modes (permissions of a street edge).
StreetMode = Literal["walk", "bike", "car"]

#: Kinds of named areas: the plan's priority growth areas and stations, and the rest.
AreaKind = Literal["growth_area", "station", "other"]
AREA_KINDS: tuple[str, ...] = ("growth_area", "station", "other")

#: Time periods of the public transport timetable and car speeds: rush hours and the rest.
Period = Literal["peak", "offpeak"]
PERIODS: tuple[Period, ...] = ("peak", "offpeak")

#: Alternatives of the mode choice; ``car`` in summaries is driver plus passenger.
TRAVEL_MODES: tuple[str, ...] = ("walk", "bike", "pt", "car_driver", "car_passenger")
SUMMARY_MODES: tuple[str, ...] = ("walk", "bike", "pt", "car")

#: Walking, cycling and public transport: the modes nullvekst wants all growth on.
GREEN_MODES: tuple[str, ...] = ("walk", "bike", "pt")

#: Population groups of the basket and CDF outputs.
GROUPS: tuple[str, ...] = ("existing", "new", "everyone")

#: The plan's three goals, in reporting order.
GOALS: tuple[str, ...] = ("placement", "nullvekst", "kortreist")

#: Norwegian word and English explanation of every term shown to a planner.
GLOSSARY: dict[str, tuple[str, str]] = {
    # goals
    "placement": ("90 %-regelen", "placement of growth"),
    "nullvekst": ("Nullvekst", "car vehicle-km change"),
    "kortreist": ("Kortreist hverdag", "everyday basket within walking distance"),
    # modes
    "walk": ("gange", "walk"),
    "bike": ("sykkel", "bike"),
    "pt": ("kollektiv", "PT"),
    "car": ("bil", "car"),
    # everyday functions
    "grocery": ("dagligvare", "grocery"),
    "school": ("skole", "school"),
    "kindergarten": ("barnehage", "kindergarten"),
    "recreation": ("friområde", "recreation"),
    "transit_stop": ("holdeplass", "transit stop"),
    # population groups
    "existing": ("eksisterende", "existing residents"),
    "new": ("nye", "new residents"),
    "everyone": ("alle", "everyone"),
    # data statuses
    "real": ("ekte", "real"),
    "derived": ("avledet", "derived"),
    "proxy": ("stedfortreder", "proxy"),
    "estimated": ("anslått", "estimated"),
    "synthetic": ("syntetisk", "synthetic"),
}


def label(key: str, short: bool = False, capital: bool = False) -> str:
    """``"norsk (English)"`` for a glossary term; ``short`` gives the Norwegian word only.

    ``capital`` starts the Norwegian word with a capital letter (table rows, titles).
    An unknown key is returned as it is.
    """
    if key not in GLOSSARY:
        return key
    no, en = GLOSSARY[key]
    if capital:
        no = no[:1].upper() + no[1:]
    return no if short else f"{no} ({en})"
