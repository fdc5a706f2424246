"""Shared fixtures: the default configuration and a helper that writes real xlsx files."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from dataquality.config import Config

pytest_plugins = ["pg"]


@pytest.fixture(autouse=True)
def _private_config_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own user configuration folder: audit keys that dq keeps outside the project
    (~/.config/dq/keys) never land in the real home, nor leak from one test to another."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
    for name in ("DQ_AUDIT_KEY", "DQ_AUDIT_KEY_FILE", "DQ_TOKEN", "DQ_SERVER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def config() -> Config:
    """The shipped schemas and rules."""
    return Config.load()


WriteXlsx = Callable[..., Path]


@pytest.fixture
def write_xlsx(tmp_path: Path) -> WriteXlsx:
    """Write a real workbook: write_xlsx('name.xlsx', {'Sheet': [[row], ...]}) -> path."""

    def write(name: str, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
        wb = Workbook()
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(list(row))
        path = tmp_path / name
        wb.save(path)
        return path

    return write


CHROMIUM = os.environ.get("DQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (Debian's, driven by Playwright) for every browser test of the run;
    each test opens its own context or page in it."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed: {CHROMIUM} is missing (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
