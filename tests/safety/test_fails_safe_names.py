"""File names built from data (issue 11): safe, unique and short on Linux, macOS and Windows, with an
index that maps each correction list to its department."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from dataquality.fileio import MAX_STEM_BYTES, unique_filenames
from dataquality.issue import Issue, Severity
from dataquality.pipeline import Result
from dataquality.report import corrections

_WINDOWS_FORBIDDEN = set('<>:"/\\|?*')


def _issue(dept: str, row: int) -> Issue:
    return Issue(rule="REQ001", severity=Severity.ERROR, entity="customer", file="c.xlsx", sheet="S", row=row,
                 key=f"C{row}", field="salesperson", column="F", department=dept)


DEPARTMENTS = ["a/b", "a:b", "a_b", ".", "..", "...", "销" * 100, "x" * 130, "Sales", "sales", "CON", "aux.txt",
               "_index", " trailing. ", "tab\there"]


def test_names_are_unique_safe_and_short():
    names = unique_filenames(DEPARTMENTS, ".xlsx", reserved=("_index.xlsx",))
    files = list(names.values())
    assert len({f.casefold() for f in files}) == len(DEPARTMENTS)  # unique even where case is ignored
    assert "_index.xlsx" not in {f.casefold() for f in files}
    for dept, f in names.items():
        assert f.endswith(".xlsx"), (dept, f)
        stem = f.removesuffix(".xlsx")
        assert stem and stem not in (".", "..") and not stem.endswith((" ", ".")), (dept, f)
        assert not (_WINDOWS_FORBIDDEN & set(f)) and all(ord(ch) >= 32 for ch in f), (dept, f)
        assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES, (dept, f)
        assert stem.split(".")[0].upper() not in {"CON", "AUX", "PRN", "NUL"}, (dept, f)
    assert names["a_b"] == "a_b.xlsx"  # a name that needs no change keeps it
    assert names == unique_filenames(list(reversed(DEPARTMENTS)), ".xlsx", reserved=("_index.xlsx",))  # stable


def test_correction_lists_one_file_per_department_and_an_index(tmp_path: Path):
    issues = [_issue(d, i + 2) for i, d in enumerate(DEPARTMENTS)]
    folder = tmp_path / "lists"
    written = corrections.write_lists(Result(issues), folder, "en")
    assert len(written) == len(DEPARTMENTS)
    assert all(p.parent == folder.resolve() and p.is_file() for p in written)
    index = load_workbook(corrections.index_path(folder)).active
    rows = list(index.iter_rows(min_row=2, values_only=True))
    mapping = {dept: file for file, dept, _ in rows}
    assert set(mapping) == set(DEPARTMENTS)
    assert {folder.resolve() / f for f in mapping.values()} == set(written)
    for file, dept, n in rows:
        ws = load_workbook(folder / file).active
        assert dept in str(ws["A1"].value) and n == 1
