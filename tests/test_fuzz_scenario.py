"""Property test: mutated scenario files through ``validate`` and then ``run`` (demo region).

Each ends with exit 0, or exit 2 and exactly one line on stderr; never a traceback; and
``run`` never fails on a file that ``validate`` accepted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "demo.toml"
#: demo.toml made cheaper to run (one target year, coarse zones); every table still there.
TEXT = (DEMO.read_text(encoding="utf-8").replace("target_years = [2030, 2040]",
                                                 "target_years = [2030]")
        .replace("to_year = 2040", "to_year = 2030").replace("to_year = 2036", "to_year = 2030")
        .replace("[goals]", "[model]\nzone_size_m = 2000\n\n[goals]"))
ASSIGNMENTS = [m.start() for m in re.finditer(r"(?m)^\w+ = .*$", TEXT)]

#: Values a careless or hostile file may hold, in TOML.
VALUES = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "true", "false", '""', '"2023"', "[]", "{}",
                     "1e300", "-1", "0", "[[[[]]]]", '"../../x"', '"."', "2100", "1900",
                     '"Sentrum"', '"Linje M"', "[10.55, 59.9]", "[1e9, 1e9]"]),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.text(alphabet="abcæøå ./-_", max_size=12).map(lambda s: f'"{s}"'),
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The demo scenario with one to three values replaced, a line dropped or a key added."""
    text = TEXT
    for _ in range(draw(st.integers(1, 3))):
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "value", "drop", "key"]))
        if action == "value" and " = " in lines[i]:
            lines[i] = lines[i].split(" = ", 1)[0] + " = " + draw(VALUES)
        elif action == "drop":
            del lines[i]
        elif action == "key" and lines[i].startswith("["):
            lines.insert(i + 1, draw(st.sampled_from(["seed", "zone_size_m", "x", "radius"]))
                         + " = " + draw(VALUES))
        text = "\n".join(lines) + "\n"
    return text


def _exit(args: list[str], capsys: pytest.CaptureFixture[str]) -> int:
    code = main(args)
    err = capsys.readouterr().err
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    return code


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=mutated())
def test_validate_then_run(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    if out.exists():
        import shutil

        shutil.rmtree(out)
    if _exit(["validate", str(path)], capsys) == 0:
        assert _exit(["run", str(path), "--out", str(out), "--quiet"], capsys) == 0, text
        assert (out / "summary.json").is_file()
