"""Open a report in headless Chromium: screenshot, and check that every image loaded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pytest

CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  var p = document.createElement('p');
  p.id = 'img-check';
  p.textContent = 'IMGCHECK ' + ok.length + '/' + imgs.length;
  document.body.appendChild(p);
});
</script>"""


def _chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90, check=False,
    )


def check_report_in_chromium(report: Path, tmp_path: Path, min_images: int = 1) -> None:
    """Fail unless the report renders (non-blank screenshot) and all its images load."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("BAERUM_SIM_REQUIRE_CHROMIUM"):
            pytest.fail("chromium not found, but BAERUM_SIM_REQUIRE_CHROMIUM is set (.ci/run)")
        pytest.skip("chromium not installed (CI installs it in .ci/run)")
    shot = tmp_path / "shot.png"
    run = _chromium(binary, tmp_path / "profile1", f"--screenshot={shot}",
                    "--window-size=1280,2000", report.resolve().as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels.std() > 0.01  # not a blank page

    # The check script goes into a copy only: the report itself runs no scripts.
    text = report.read_text(encoding="utf-8")
    n_images = text.count("<img ")
    check = report.with_name("check.html")
    check.write_text(text.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    try:
        run = _chromium(binary, tmp_path / "profile2", "--virtual-time-budget=10000",
                        "--dump-dom", check.resolve().as_uri())
    finally:
        check.unlink()
    found = re.search(r'<p id="img-check">IMGCHECK (\d+)/(\d+)</p>', run.stdout)
    assert found, run.stderr[-2000:]
    assert int(found.group(2)) == n_images >= min_images
    assert found.group(1) == found.group(2), "some images did not load"
