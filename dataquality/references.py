"""Reference lists read from a sheet of a workbook (staff from HR's export, departments from finance).

`dq validate --reference staff=hr.xlsx#在职员工` replaces the shipped rules/staff.yaml for one run.
The sheet needs a column headed name / 姓名 / 名称 (header within the first 20 rows); a column
headed aliases / 别名 may list other accepted spellings separated by , ， 、 ; or ；. Other columns
(department, role ...) are kept on the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from dataquality.config import Config, ReferenceList, normalise_header, reference_from_records
from dataquality.errors import ConfigError, InputError
from dataquality.load.grid import PEEK_ROWS, open_book, read_csv_grid, sniff_kind
from dataquality.load.limits import Limits
from dataquality.load.source import WorkbookSource

NAME_HEADERS = frozenset(normalise_header(h) for h in ("name", "姓名", "名称", "员工姓名", "部门名称", "省份"))
ALIAS_HEADERS = frozenset(normalise_header(h) for h in ("aliases", "alias", "别名", "其他名称"))
_ALIAS_SPLIT = r"\s*[,，、;；]\s*"


def parse_reference_option(spec: str) -> tuple[str, Path, str | None]:
    """'staff=hr.xlsx#Sheet' -> ('staff', Path('hr.xlsx'), 'Sheet'); the sheet is optional (first sheet)."""
    name, sep, target = spec.partition("=")
    if not sep or not name.strip() or not target.strip():
        raise ConfigError("references.bad_sheet", spec=spec)
    file, _, sheet = target.partition("#")
    return name.strip(), Path(file.strip()), sheet.strip() or None


def _grid(path: Path, sheet: str | None, limits: Limits | None = None) -> tuple[pd.DataFrame, str]:
    source = WorkbookSource(path, limits)
    kind = sniff_kind(source)
    if kind == "csv":
        return read_csv_grid(source), path.name
    book = open_book(source, kind)
    if sheet is None:
        chosen = book.sheets[0]
    else:
        wanted = normalise_header(sheet)
        matches = [s for s in book.sheets if normalise_header(s.name or "") == wanted]
        if not matches:
            raise InputError("references.no_sheet", file=path.name, sheet=sheet, sheets=", ".join(s.name or "" for s in book.sheets))
        chosen = matches[0]
    return book.grid(chosen), chosen.name or ""


def read_reference_sheet(name: str, path: Path, sheet: str | None = None, limits: Limits | None = None) -> ReferenceList:
    """The reference list `name` from a workbook sheet (or CSV file) read within `limits`; InputError
    when it has no names."""
    grid, sheet_name = _grid(path, sheet, limits)
    peek = grid.head(PEEK_ROWS)
    header_row = None
    for row, cells in peek.iterrows():  # at most 20 rows: finding the header, not checking data
        normal = cells.dropna().map(normalise_header)
        if normal.isin(NAME_HEADERS).any():
            header_row, headers = row, normal
            break
    if header_row is None:
        raise InputError("references.no_name_column", file=path.name, sheet=sheet_name, list=name)
    columns = {col: ("name" if h in NAME_HEADERS else "aliases" if h in ALIAS_HEADERS else h) for col, h in headers.items()}
    # The first name-like column is the name; later ones keep their own header.
    seen_name = False
    for col, field in list(columns.items()):
        if field == "name":
            if seen_name:
                columns[col] = headers[col]
            seen_name = True
    body = grid.loc[header_row + 1 :, list(columns)].rename(columns=columns)
    body["name"] = body["name"].str.strip()
    body = body[body["name"].notna() & (body["name"] != "")]
    if body.empty:
        raise InputError("references.empty", file=path.name, sheet=sheet_name, list=name)
    if "aliases" in body.columns:
        body["aliases"] = body["aliases"].str.split(_ALIAS_SPLIT, regex=True)
    records: list[Mapping[str, Any]] = [{str(k): v for k, v in rec.items() if not _empty(v)} for rec in body.to_dict("records")]
    return reference_from_records(name, records, f"{path}#{sheet_name}")


def _empty(value: object) -> bool:
    if isinstance(value, list):
        return not value
    return value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA


def with_reference_sheets(config: Config, specs: Iterable[str], limits: Limits | None = None) -> Config:
    """`config` with each 'LIST=FILE.xlsx#SHEET' read (within `limits`) and put in place of the list of that name."""
    known = set(config.references) | {f.reference for s in config.schemas.values() for f in s.fields.values() if f.reference}
    for spec in specs:
        name, path, sheet = parse_reference_option(spec)
        if name not in known:
            raise ConfigError("references.unknown_list", name=name, known=", ".join(sorted(known)))
        config = config.with_reference(read_reference_sheet(name, path, sheet, limits))
    return config
