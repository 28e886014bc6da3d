"""The installed entry points: ``baerum-sim`` and ``python -m sim``."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from sim import __version__


def test_python_m_sim_version() -> None:
    out = subprocess.run([sys.executable, "-m", "sim", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"baerum-sim {__version__}"


@pytest.mark.skipif(shutil.which("baerum-sim") is None, reason="package not installed")
def test_console_script_bad_input_exit_2(tmp_path) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text('[scenario]\nname = "x"\nbase_year = 2023\ntarget_years = [2040]\nfoo = 1\n')
    out = subprocess.run(["baerum-sim", "run", str(bad), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {bad}: scenario.foo: unknown key"
    assert not (tmp_path / "o").exists()
