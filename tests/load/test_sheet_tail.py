"""The limits scan keeps each sheet's tail (merged ranges ...) on the file's WorkbookSource, so
load.cells does not inflate the part again."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from dataquality.load import cells, limits
from dataquality.load.source import WorkbookSource

_PART = "xl/worksheets/sheet1.xml"


def _book(path: Path, rows: int) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "group"])
    for i in range(rows):
        ws.append([f"C{i:05d}", f"name {i} " + "x" * 40, "g"])
    ws.merge_cells("C2:C5")
    ws.merge_cells("A20:B21")
    wb.save(path)
    return path


@pytest.mark.parametrize("chunk", [1 << 20, 97, 13])
def test_merged_ranges_from_the_kept_tail_equal_a_fresh_read(tmp_path: Path, monkeypatch, chunk: int) -> None:
    monkeypatch.setattr(limits, "_CHUNK", chunk)  # </sheetData> split across chunks, too
    path = _book(tmp_path / "m.xlsx", 300)
    scan = WorkbookSource(path).scan(_PART)
    kept = scan.tail
    assert kept is not None and kept.startswith(b"</sheetData>") and b"<mergeCells" in kept
    shared = cells.sheet_cells(path, "xlsx", 0, None, {_PART: scan})
    fresh = cells.sheet_cells(path, "xlsx", 0, None)  # without the tail: cells reads the part itself
    assert shared.merged == fresh.merged and sorted(fresh.merged) == [(2, 2, 5, 2), (20, 0, 21, 1)]


def test_a_changed_file_is_judged_again(tmp_path: Path) -> None:
    path = _book(tmp_path / "m.xlsx", 50)
    source = WorkbookSource(path)
    assert b"<mergeCells" in source.scan(_PART).tail
    wb = Workbook()
    wb.active.append(["a"])
    wb.save(path)
    assert b"<mergeCells" not in source.scan(_PART).tail  # the new file's tail, not the old one's


def test_a_part_whose_crc_does_not_match_is_refused_as_damaged(tmp_path: Path) -> None:
    import zipfile

    from dataquality.errors import InputError

    path = _book(tmp_path / "m.xlsx", 2000)
    # A directory whose CRC does not match the part (inflated on the scan's helper thread): damaged.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    at = bytes(data).find(b"xl/worksheets/sheet1.xml", bytes(data).find(b"PK\x01\x02"))
    crc_at = at - 46 + 16  # the CRC field of that part's central directory entry
    assert bytes(data[crc_at: crc_at + 4]) == info.CRC.to_bytes(4, "little")
    data[crc_at: crc_at + 4] = (info.CRC ^ 0xFFFFFFFF).to_bytes(4, "little")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        limits.check_input(bad, limits.Limits())
    assert err.value.key == "load.corrupt"
