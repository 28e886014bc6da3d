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

#: The functions of the kortreist basket: "kollektiv" is a high-frequency stop (the plan's
#: 10/15-minute definition, :func:`sim.domain.is_high_frequency`); any stop
#: (``transit_stop``) is reported beside it.
BASKET_FUNCTIONS: tuple[str, ...] = ("grocery", "school", "kindergarten", "recreation",
                                     "transit_hf")

#: Population groups of the basket and CDF outputs.
GROUPS: tuple[str, ...] = ("existing", "new", "everyone")

#: The plan's goals, in reporting order: the 90 % rule, nullvekst, kortreist hverdag and
#: "miljøvennlige transportmidler førstevalg" (green share of trips).
GOALS: tuple[str, ...] = ("placement", "nullvekst", "kortreist", "green_share")

#: How the 90 % rule combines dwellings and jobs: each share ≥ target, or their sum.
PlacementRule = Literal["each", "combined"]

#: Norwegian word and English explanation of every term shown to a planner.
GLOSSARY: dict[str, tuple[str, str]] = {
    # goals
    "placement": ("90 %-regelen", "placement of growth"),
    "nullvekst": ("Nullvekst", "car vehicle-km change"),
    "kortreist": ("Kortreist hverdag", "everyday basket within walking distance"),
    "green_share": ("Miljøvennlige transportmidler førstevalg", "walk, bike and PT share of "
                    "trips"),
    "co2": ("CO2 fra bilkjøring", "residents' car CO2"),
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
    "transit_stop": ("holdeplass", "any transit stop"),
    "transit_hf": ("kollektiv", "high-frequency stop"),
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
