"""The README's street-rules table and the code (sim.readers.street_rules) say the same."""

from __future__ import annotations

import re

import pytest

from sim.readers.street_rules import CAR_EXCLUDED_SERVICES, HIGHWAY_RULES, NOT_STREETS, way_modes
from sim.settings import REPO_ROOT


def _table() -> list[tuple[str, str, str, str]]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Street rules", 1)[1]
    rows: list[tuple[str, str, str, str]] = []
    for line in section.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in ("highway", "---"):
            rows.append((cells[0], cells[1], cells[2], cells[3]))
    return rows


def _classes(cell: str) -> list[str]:
    return [c.strip() for c in cell.split(";")[0].split(",") if c.strip()]


def test_every_highway_class_of_the_code_is_in_the_table():
    listed = {h for cell, *_ in _table() for h in _classes(cell)}
    assert set(HIGHWAY_RULES) <= listed
    assert listed >= NOT_STREETS


@pytest.mark.parametrize("row", _table(), ids=lambda r: r[0][:30])
def test_table_row_matches_the_code(row):
    cell, walk, bike, car = row
    classes = ["some_new_class"] if cell == "any other value" else _classes(cell)
    for highway in classes:
        m = way_modes({"highway": highway})
        assert (m.walk, m.bike) == (walk == "yes", bike == "yes"), highway
        assert m.car == car.startswith("yes"), highway
        if car.startswith("yes, unless"):
            named = set(re.findall(r"[a-z_]+", car.split("unless", 1)[1])) - {"service"}
            assert named == set(CAR_EXCLUDED_SERVICES)
            for service in named:
                assert not way_modes({"highway": highway, "service": service}).car
    if "area=yes" in cell:
        assert way_modes({"highway": "pedestrian", "area": "yes"}) == (False, False, False, 0)


@pytest.mark.parametrize(("tags", "modes"), [
    ({"highway": "footway", "bicycle": "yes"}, (True, True, False)),
    ({"highway": "steps", "bicycle": "designated"}, (True, True, False)),
    ({"highway": "motorway", "foot": "yes"}, (True, False, True)),
    ({"highway": "footway", "foot": "use_sidepath"}, (False, True, False)),
    ({"highway": "cycleway", "bicycle": "dismount"}, (True, False, False)),
    ({"highway": "residential", "motorcar": "no"}, (True, True, False)),
    ({"highway": "path", "motor_vehicle": "yes"}, (True, True, False)),  # not a car class
    ({"highway": "residential", "access": "private"}, (False, False, False)),
    ({"highway": "residential", "access": "private", "motor_vehicle": "yes"},
     (False, False, True)),
    ({"highway": "residential", "access": "no"}, (True, True, True)),
    ({"highway": "service", "service": "private"}, (False, False, False)),
    ({"highway": "secondary", "sidewalk:both": "separate"}, (False, True, True)),
    ({"highway": "trunk", "motorroad": "yes"}, (False, False, True)),
])
def test_tag_rules_of_the_second_table(tags, modes):
    m = way_modes(tags)
    assert (m.walk, m.bike, m.car) == modes
