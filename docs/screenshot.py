"""Re-take docs/screenshot-recommend.png over the demo mirror (invented write-ups, our own text).

    .venv/bin/python -m docs.screenshot
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from ingest.mirror import ingest_mirror
from kb.api import KnowledgeBase
from tests.fixtures.demo_mirror import write_demo_mirror
from tests.test_app_browser import Browser, start_app, stop, wait_for_results

DESCRIPTION = ("Predict whether an online card payment is fraudulent from anonymised tabular features "
               "about the card, the device and the purchase. Metric: ROC AUC.")
OUT = Path(__file__).resolve().parent / "screenshot-recommend.png"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="kb-shot-"))
    try:
        home = work / "home"
        with KnowledgeBase.open(home) as kb:
            ingest_mirror(kb, write_demo_mirror(work / "mirror"))
        proc, url = start_app(home, "all-MiniLM-L6-v2", work / "app.log")
        try:
            browser = Browser(work / "profile", width=1400, height=1500)
            try:
                browser.goto(f"{url}/?q={quote(DESCRIPTION)}")
                wait_for_results(browser)
                browser.screenshot(OUT)
            finally:
                browser.close()
        finally:
            stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(OUT)


if __name__ == "__main__":
    main()
