"""Regenerate docs/report-screenshot.png: the demo data's HTML report in headless Chromium.
Run from the repository root: python docs/screenshot.py"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from dataquality.config import Config  # noqa: E402
from dataquality.demo import write_demo  # noqa: E402
from dataquality.pipeline import run  # noqa: E402
from dataquality.report import ReportOptions, html  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(lang: str = "zh") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Config.load(), write_demo(Path(tmp) / "demo"), lang)
        page_path = html.write(result, ReportOptions(lang=lang, out=Path(tmp)))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1500}, device_scale_factor=1)
            page.goto(page_path.as_uri())
            page.wait_for_function("document.querySelector('#dq-table tbody tr') !== null")
            page.select_option("#f-severity", "error")
            page.screenshot(path=str(ROOT / "docs" / "report-screenshot.png"), full_page=False)
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "zh")
