"""Open a report in headless Chromium: screenshot, and check that every image loaded."""

from __future__ import annotations

import contextlib
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

    # The check script goes into a copy only (the report's own scripts are the map's).
    text = report.read_text(encoding="utf-8")
    n_images = re.sub(r"<script.*?</script>", "", text, flags=re.S).count("<img ")
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


# --- DevTools protocol over a pipe: console errors, network requests, hover ---------


class RecordingProxy:
    """A local HTTP proxy that answers 502 and records every request sent to it.

    Chromium is started with ``--proxy-server`` pointing here, so any request the page
    makes to the network (http, https) shows up in :attr:`requests`.
    """

    def __init__(self) -> None:
        import socket
        import threading

        self.requests: list[str] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    head = conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]
                except OSError:
                    head = "?"
                self.requests.append(head)
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._sock.close()


class DevTools:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (no extra packages).

    Collects console errors, uncaught exceptions and network requests of the page.
    """

    def __init__(self, binary: str, profile: Path, proxy_port: int,
                 width: int = 1280, height: int = 1600) -> None:
        import fcntl
        import json
        import queue
        import threading

        self._json = json
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        hi_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def child_fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--remote-debugging-pipe",
             f"--proxy-server=http://127.0.0.1:{proxy_port}", "--proxy-bypass-list=<-loopback>",
             f"--window-size={width},{height}", f"--user-data-dir={profile}", "about:blank"],
            close_fds=False, preexec_fn=child_fds,  # fds 3 and 4: the pipe
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(hi_r)
        os.close(hi_w)
        self._out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._in = os.fdopen(from_chrome_r, "rb", buffering=0)
        self._queue: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _read(self) -> None:
        buf = b""
        while True:
            chunk = self._in.read(65536)
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self._queue.put(self._json.loads(msg))

    def call(self, method: str, session: bool = False, timeout: float = 60, **params):
        """Send one command and wait for its result (events seen meanwhile are kept)."""
        import queue

        self._next += 1
        msg = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self._out.write(self._json.dumps(msg).encode() + b"\0")
        while True:
            try:
                reply = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"chromium did not answer {method}") from None
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        """Wait for an event (or return one already seen)."""
        import queue
        import time

        end = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            try:
                self.events.append(self._queue.get(timeout=max(0.1, end - time.monotonic())))
            except queue.Empty:
                if time.monotonic() > end:
                    raise AssertionError(f"no {method} within {timeout} s") from None

    def evaluate(self, expression: str):
        """Value of a JavaScript expression in the page (awaits promises)."""
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired", timeout=90)

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions seen so far."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(str([a.get("value", a.get("description")) for a in p["args"]]))
            elif m == "Runtime.exceptionThrown":
                out.append(str(p["exceptionDetails"].get("exception", {}).get("description")))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(p["entry"]["text"])
        return out

    def network_requests(self) -> list[str]:
        """URLs the page requested that are not part of the file itself."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"
                and not e["params"]["request"]["url"].startswith(("file:", "data:", "blob:",
                                                                   "about:"))]

    def screenshot(self, clip: dict | None = None) -> bytes:
        """A PNG of the viewport (or of ``clip``: x, y, width, height in CSS pixels)."""
        import base64

        params: dict = {"format": "png"}
        if clip:
            params["clip"] = {**clip, "scale": 1}
            params["captureBeyondViewport"] = True
        return base64.b64decode(self.call("Page.captureScreenshot", session=True,
                                          **params)["data"])

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def chromium_binary() -> str:
    """The Chromium binary, or skip (fail in CI, where .ci/run installs it)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("BAERUM_SIM_REQUIRE_CHROMIUM"):
            pytest.fail("chromium not found, but BAERUM_SIM_REQUIRE_CHROMIUM is set (.ci/run)")
        pytest.skip("chromium not installed (CI installs it in .ci/run)")
    return binary
