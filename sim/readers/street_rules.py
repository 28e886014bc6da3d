"""Who may use an OSM way: the walk, bike and car rules, in one place.

The rules follow osmnx's ``walk``, ``bike`` and ``drive`` network filters, with the
Norwegian deviations listed in the README section *Street rules* (the same table as
:data:`HIGHWAY_RULES` below; ``tests/test_street_rules.py`` checks that they agree):

* walking is allowed on cycleways unless ``foot=no`` (gang- og sykkelveg);
* cycling is allowed on footways and pedestrian streets unless ``bicycle=no``
  (trafikkreglene §18: cyclists may use the pavement and footpaths);
* ``motorroad=yes`` (motortrafikkveg) closes a way to walking and cycling;
* ``foot``/``bicycle`` = ``use_sidepath`` or ``private`` close the way to that mode
  (the separately mapped path is used instead);
* ``access=private`` closes a way to every mode without a ``yes`` override of that
  mode (osmnx: to every mode); ``access=no`` alone closes nothing, as in osmnx (OSM
  puts the closed modes in their own tags, e.g. ``motor_vehicle=no`` on bus roads);
* cars use ``highway=service`` unless ``service`` is one of
  :data:`CAR_EXCLUDED_SERVICES` (osmnx ``drive`` drops all service roads; pass
  ``car_service_roads=False`` for exactly that);
* car one-way streets: ``oneway=yes|true|1`` (forward), ``-1|reverse`` (backward),
  ``junction=roundabout|circular`` and ``highway=motorway|motorway_link`` (implied
  one-way in OSM) unless ``oneway=no``. Walking and cycling ignore ``oneway``.

Every permission is decided per OSM way, before any simplification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

#: Highway values that never belong to a street network (not built, not a way one
#: travels along, or an area), as osmnx's ``all`` filter.
NOT_STREETS = frozenset({
    "abandoned", "construction", "no", "planned", "platform", "proposed", "raceway",
    "razed", "rest_area", "services", "bus_stop", "emergency_bay", "disused",
})

#: The rules by highway class: ``(walk, bike, car)`` when no other tag says otherwise.
#: Classes not listed are walkable and cyclable but not drivable (e.g. ``track``).
HIGHWAY_RULES: dict[str, tuple[bool, bool, bool]] = {
    "motorway": (False, False, True),
    "motorway_link": (False, False, True),
    "trunk": (True, True, True),
    "trunk_link": (True, True, True),
    "primary": (True, True, True),
    "primary_link": (True, True, True),
    "secondary": (True, True, True),
    "secondary_link": (True, True, True),
    "tertiary": (True, True, True),
    "tertiary_link": (True, True, True),
    "unclassified": (True, True, True),
    "residential": (True, True, True),
    "living_street": (True, True, True),
    "road": (True, True, True),
    "service": (True, True, True),
    "track": (True, True, False),
    "pedestrian": (True, True, False),
    "footway": (True, True, False),
    "cycleway": (True, True, False),
    "path": (True, True, False),
    "bridleway": (True, True, False),
    "steps": (True, False, False),
    "corridor": (True, False, False),
    "elevator": (True, False, False),
    "escalator": (True, False, False),
    "bus_guideway": (False, False, False),
    "busway": (False, False, False),
}

#: ``service=*`` values closed to cars (osmnx ``drive``).
CAR_EXCLUDED_SERVICES = frozenset({"alley", "driveway", "emergency_access", "parking",
                                   "parking_aisle", "private"})

#: Tag values that allow a mode even where the class or ``access`` would not.
YES = frozenset({"yes", "designated", "permissive", "destination"})

#: ``foot``/``bicycle`` values that close a way to that mode.
FOOT_NO = frozenset({"no", "use_sidepath", "private"})
BICYCLE_NO = frozenset({"no", "use_sidepath", "private", "dismount"})
MOTOR_NO = frozenset({"no", "private"})

ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_NO = frozenset({"no", "false", "0"})
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
ROUNDABOUTS = frozenset({"roundabout", "circular"})

#: Way tags the rules and speeds read (everything else is dropped when reading).
RULE_TAGS = ("highway", "area", "access", "foot", "bicycle", "motor_vehicle", "motorcar",
             "vehicle", "service", "sidewalk", "sidewalk:both", "sidewalk:left",
             "sidewalk:right", "motorroad", "oneway", "junction", "maxspeed", "name")

#: Default car speeds (km/h) by highway class when ``maxspeed`` is missing. Estimates
#: [E] from the Norwegian general limits (trafikkreglene §13: 50 km/h in built-up
#: areas, 80 km/h elsewhere) and typical signed limits: motorway 90–110 (100 used),
#: trunk 80, primary/secondary 60, tertiary 50, residential 30–40 (30 used), service 20.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 60.0, "primary_link": 50.0, "secondary": 60.0, "secondary_link": 50.0,
    "tertiary": 50.0, "tertiary_link": 40.0, "unclassified": 50.0, "residential": 30.0,
    "living_street": 10.0, "service": 20.0, "road": 40.0,
}

#: Speed used where nothing better is known (km/h) [E].
FALLBACK_SPEED_KMH = 30.0

#: Symbolic Norwegian maxspeed values (trafikkreglene §13).
SYMBOLIC_SPEEDS_KMH: dict[str, float] = {
    "no:urban": 50.0, "no:rural": 80.0, "no:motorway": 110.0, "no:living_street": 7.0,
    "walk": 7.0,
}


class WayModes(NamedTuple):
    """Permissions of one OSM way; ``car_direction`` is 0 (both), 1 (forward), -1 (back)."""

    walk: bool
    bike: bool
    car: bool
    car_direction: int


NO_MODES = WayModes(False, False, False, 0)


def _overrides(value: str | None, closed: frozenset[str]) -> bool | None:
    """True (explicitly allowed), False (explicitly closed) or None (not said)."""
    if value is None:
        return None
    if value in YES:
        return True
    return False if value in closed else None


def _car_direction(tags: Mapping[str, str]) -> int:
    oneway = tags.get("oneway")
    if oneway in ONEWAY_FORWARD:
        return 1
    if oneway in ONEWAY_BACKWARD:
        return -1
    if oneway in ONEWAY_NO:
        return 0
    if tags.get("junction") in ROUNDABOUTS or tags.get("highway") in IMPLIED_ONEWAY_HIGHWAYS:
        return 1
    return 0


def _walk(tags: Mapping[str, str], by_class: bool, private: bool) -> bool:
    said = _overrides(tags.get("foot"), FOOT_NO)
    if said is not None:
        return said
    separate = any(tags.get(k) == "separate" for k in
                   ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right"))
    return (by_class and not private and not separate and tags.get("service") != "private"
            and tags.get("motorroad") != "yes")


def _bike(tags: Mapping[str, str], by_class: bool, private: bool) -> bool:
    said = _overrides(tags.get("bicycle"), BICYCLE_NO)
    if said is not None:
        return said
    return (by_class and not private and tags.get("service") != "private"
            and tags.get("motorroad") != "yes")


def _car(tags: Mapping[str, str], by_class: bool, service_roads: bool) -> bool:
    highway = tags.get("highway")
    if not by_class or (highway == "service" and not service_roads):
        return False
    if tags.get("service") in CAR_EXCLUDED_SERVICES:
        return False
    for key in ("motorcar", "motor_vehicle", "vehicle"):
        said = _overrides(tags.get(key), MOTOR_NO)
        if said is not None:
            return said
    return tags.get("access") != "private"


def way_modes(tags: Mapping[str, str], car_service_roads: bool = True) -> WayModes:
    """Walk, bike and car permissions of one OSM way from its tags (the module's rules).

    >>> way_modes({"highway": "cycleway"})
    WayModes(walk=True, bike=True, car=False, car_direction=0)
    >>> way_modes({"highway": "residential", "oneway": "-1"}).car_direction
    -1
    >>> way_modes({"highway": "service", "service": "driveway"}).car
    False
    """
    highway = tags.get("highway")
    if highway is None or highway in NOT_STREETS or tags.get("area") == "yes":
        return NO_MODES
    walk, bike, car = HIGHWAY_RULES.get(highway, (True, True, False))
    private = tags.get("access") == "private"
    modes = WayModes(
        walk=_walk(tags, walk, private),
        bike=_bike(tags, bike, private),
        car=_car(tags, car, car_service_roads),
        car_direction=0,
    )
    return modes._replace(car_direction=_car_direction(tags)) if modes.car else modes


def parse_maxspeed(value: object) -> float:
    """km/h from an OSM ``maxspeed`` value (number, ``"NO:urban"``, ``"30 mph"``, lists).

    Returns NaN when the value cannot be read; for several values the lowest is used.
    """
    if value is None:
        return np.nan
    if isinstance(value, list | tuple):
        speeds = [s for s in (parse_maxspeed(v) for v in value) if np.isfinite(s)]
        return min(speeds) if speeds else np.nan
    if isinstance(value, int | float):
        return float(value) if value > 0 else np.nan
    text = str(value).strip().lower()
    if ";" in text:
        return parse_maxspeed(text.split(";"))
    if text in SYMBOLIC_SPEEDS_KMH:
        return SYMBOLIC_SPEEDS_KMH[text]
    match = re.match(r"^(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?$", text)
    if not match:
        return np.nan
    speed = float(match.group(1))
    if match.group(2) == "mph":
        speed *= 1.609344
    return speed if speed > 0 else np.nan


def car_speed_kmh(highway: object, maxspeed: object) -> float:
    """Car speed of a way: ``maxspeed`` when readable, else the class default."""
    speed = parse_maxspeed(maxspeed)
    if np.isfinite(speed):
        return speed
    values = highway if isinstance(highway, list | tuple) else [highway]
    defaults = [DEFAULT_SPEEDS_KMH[str(h)] for h in values if str(h) in DEFAULT_SPEEDS_KMH]
    return min(defaults) if defaults else FALLBACK_SPEED_KMH
