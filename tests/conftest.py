"""Shared fixtures: the default configuration and a helper that writes real xlsx files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from dataquality.config import Config

pytest_plugins = ["pg"]


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
