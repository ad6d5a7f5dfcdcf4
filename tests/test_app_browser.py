"""The real app in a real browser: `streamlit run app.py` on 127.0.0.1, driven by headless Chromium.

Chromium is driven over the DevTools protocol (a websocket; the ``websockets`` package comes with
Streamlit): type a description into the recommend view, click the button, and read the rendered
page. ``--dump-dom`` is not enough: Streamlit renders over a websocket after the page has loaded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from kb.embed import FakeEmbedder

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]
DESCRIPTION = "Classify telescope images of galaxies by their shape with convolutional networks"

pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/install-system should have installed the chromium package")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):  # noqa: ANN001
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def start_app(home: Path, model: str, log: Path, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` over ``home`` on a free port; returns the process and the base URL."""
    port = free_port()
    env = {**os.environ, "KB_HOME": str(home), "KB_MODEL": model, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
           "--client.toolbarMode", "viewer"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is not None or _healthy(f"{base}/_stcore/health"), timeout, "the app to start")
    except AssertionError:
        stop(proc)
        raise
    if proc.poll() is not None:
        raise AssertionError(f"the app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Browser:
    """Headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 1800):
        from websockets.sync.client import connect

        profile.mkdir(parents=True, exist_ok=True)
        self._stack = ExitStack()
        self.proc = subprocess.Popen(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        try:
            port = wait_for(lambda: port_file.exists() and port_file.read_text().split("\n")[0].strip(), 30,
                            "Chromium's DevTools port")
            pages = wait_for(lambda: [t for t in self._targets(port) if t.get("type") == "page"], 30, "a page")
            self.ws = self._stack.enter_context(
                connect(pages[0]["webSocketDebuggerUrl"], max_size=2**27, open_timeout=30))
        except BaseException:
            self._kill()
            raise
        self._id = 0
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    @staticmethod
    def _targets(port: str) -> list[dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as resp:
                return json.loads(resp.read())
        except OSError:
            return []

    def call(self, method: str, timeout: float = 30, **params: object) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise AssertionError(f"{method} failed: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def text(self) -> str:
        return self.js("document.body ? document.body.innerText : ''") or ""

    def click(self, selector_js: str) -> None:
        """A real mouse click in the middle of the element ``selector_js`` evaluates to."""
        box = self.js(f"(() => {{ const e = {selector_js}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
                      " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        assert box, f"nothing to click: {selector_js}"
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type_into(self, selector_js: str, text: str) -> None:
        self.click(selector_js)
        self.call("Input.insertText", text=text)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def _kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self._kill()


def links(browser: Browser, within: str = "[data-testid=\"stMain\"]") -> list[str]:
    """Every link target in the page's main area (or inside the ``within`` selector)."""
    return browser.js(f"[...document.querySelectorAll('{within} a')].map(a => a.getAttribute('href'))") or []


EVIDENCE = '[data-testid=\"stExpanderDetails\"]'  # a technique's evidence cards


def _settled(browser: Browser, marker: str) -> str | None:
    """The page text once ``marker`` shows, the widgets are drawn and the script has finished."""
    text = browser.text()
    ready = browser.js("!!document.querySelector('textarea')"
                       " && !document.querySelector('[data-testid=\"stStatusWidget\"] [data-testid=\"stSpinner\"]')"
                       " && !document.querySelector('[data-testid=\"stSkeleton\"]')")
    return text if marker in text and ready else None


def wait_for_results(browser: Browser, timeout: float = 60) -> str:
    return wait_for(lambda: _settled(browser, "Similar past competitions"), timeout, "recommendations")


@pytest.fixture
def built_home(tmp_path, mirror) -> Path:
    from ingest.mirror import ingest_mirror
    from kb.api import KnowledgeBase

    home = tmp_path / "kbhome"
    with KnowledgeBase.open(home, embedder=FakeEmbedder(), model="fake") as kb:
        ingest_mirror(kb, mirror)
    return home


@pytest.fixture
def output_dir(request) -> Iterator[Path]:
    """Screenshots and logs stay in .test-output/<test name> (git-ignored) for a human to look at."""
    out = REPO / ".test-output" / request.node.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    yield out


@pytest.fixture
def app(built_home, output_dir) -> Iterator[str]:
    _need_chromium()
    proc, base = start_app(built_home, "fake", output_dir / "streamlit.log")
    try:
        yield base
    finally:
        stop(proc)


@pytest.fixture
def browser(tmp_path) -> Iterator[Browser]:
    _need_chromium()
    b = Browser(tmp_path / "chromium-profile")
    try:
        yield b
    finally:
        b.close()


def test_typed_description_shows_techniques_with_evidence_links(app, browser, output_dir):
    browser.goto(app + "/")
    wait_for(lambda: "Competition description" in browser.text(), 60, "the recommend view")
    browser.type_into("document.querySelector('textarea')", DESCRIPTION)
    browser.click("[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Recommend')")
    text = wait_for_results(browser)
    browser.screenshot(output_dir / "recommend.png")
    assert "Techniques" in text and "Similar past competitions" in text
    assert browser.js(f"document.querySelectorAll('{EVIDENCE} blockquote').length") > 0  # quotes
    evidence = links(browser, EVIDENCE)
    assert "https://github.com/alice/galaxy-shapes/blob/main/README.md" in evidence
    assert any(h.startswith("./?view=document&doc=") for h in evidence)
    assert "https://www.kaggle.com/c/galaxy-shapes" in links(browser)
    assert all(h.startswith(("https://", "http://", "./?", "#")) for h in links(browser))  # no javascript:
    # the state went into the URL: the page can be shared
    url = browser.js("location.href")
    assert "q=Classify+telescope" in url or "q=Classify%20telescope" in url
    assert (output_dir / "recommend.png").stat().st_size > 10_000


def test_shared_link_reproduces_the_recommendation(app, browser, output_dir):
    from urllib.parse import quote

    browser.goto(f"{app}/?q={quote(DESCRIPTION)}")
    text = wait_for_results(browser)
    browser.screenshot(output_dir / "shared-link.png")
    assert DESCRIPTION in browser.js("document.querySelector('textarea').value")
    assert "Galaxy Shapes Challenge" in text
    assert "https://github.com/alice/galaxy-shapes/blob/main/README.md" in links(browser, EVIDENCE)


def test_a_writeup_opened_at_a_passage_shows_it_marked_and_in_view(app, browser, built_home, output_dir):
    from kb.api import KnowledgeBase

    with KnowledgeBase.open(built_home, embedder=FakeEmbedder(), model="fake", readonly=True) as kb:
        doc = kb.document("https://github.com/alice/galaxy-shapes/blob/main/README.md")
        chunk = doc.chunks[-1].id
    browser.goto(f"{app}/?view=document&doc={doc.id}&chunk={chunk}")
    wait_for(lambda: "The passage you opened" in browser.text(), 60, "the marked passage")
    in_view = ("(() => { const e = document.getElementById('passage'); if (!e) return false;"
               " const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; })()")
    wait_for(lambda: browser.js(in_view), 15, "the passage to scroll into view")
    browser.screenshot(output_dir / "passage.png")
    assert "#passage" in links(browser)  # the jump link
