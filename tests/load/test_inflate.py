"""load.zipparts inflates deflated parts with ISA-L: the same bytes as zipfile, the same refusals."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from shared_files import REALWORLD, needs_realworld

from dataquality.errors import InputError
from dataquality.load import limits, zipparts


def _book(path: Path, rows: int = 3000) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["code", "name", "price"])
    for i in range(rows):
        ws.append([f"C{i:05d}", f"名称 {i} " + "x" * (i % 50), i * 1.25])
    wb.save(path)
    return path


def _parts(path: Path) -> dict[str, bytes]:
    with zipparts.PartsZip(path) as zf:
        return {info.filename: b"".join(zipparts.chunks(zf, info)) for info in zf.infolist()}


@needs_realworld
def test_every_part_of_every_real_world_workbook_inflates_to_zipfiles_bytes() -> None:
    books = sorted(p for p in REALWORLD.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm"))
    assert books, f"no real-world workbooks under {REALWORLD}"
    for path in books:
        with zipfile.ZipFile(path) as zf:
            expected = {info.filename: zf.read(info) for info in zf.infolist()}
        assert _parts(path) == expected, path.name


@pytest.mark.parametrize("chunk", [1 << 20, 4096, 7])
def test_chunks_never_exceed_the_chunk_size_and_join_to_the_part(tmp_path: Path, chunk: int) -> None:
    path = _book(tmp_path / "b.xlsx")
    with zipparts.PartsZip(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        pieces = list(zipparts.chunks(zf, info, chunk))
        assert max(map(len, pieces)) <= chunk
        assert b"".join(pieces) == zf.read(info)


def test_a_stored_part_is_read_through_zipfile(tmp_path: Path) -> None:
    src = _book(tmp_path / "b.xlsx", 200)
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, zi.read(info))
    assert _parts(stored) == _parts(src)
    limits.check_input(stored, limits.Limits())  # within the limits, read as before


def _damage(path: Path, at_name: str, how) -> Path:  # type: ignore[no-untyped-def]
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(at_name)
    how(data, info)
    bad = path.with_name("bad-" + path.name)
    bad.write_bytes(bytes(data))
    return bad


def _refused_as_corrupt(path: Path) -> None:
    with pytest.raises(InputError) as err:
        limits.check_input(path, limits.Limits())
    assert err.value.key == "load.corrupt"


def test_garbage_in_the_deflated_sheet_is_refused_as_damaged(tmp_path: Path) -> None:
    def garble(data: bytearray, info: zipfile.ZipInfo) -> None:
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        data[start: start + 64] = b"\xff" * 64  # not a deflate stream

    _refused_as_corrupt(_damage(_book(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml", garble))


def test_a_local_header_naming_another_part_is_refused_as_damaged(tmp_path: Path) -> None:
    def rename(data: bytearray, info: zipfile.ZipInfo) -> None:
        at = info.header_offset + 30
        assert bytes(data[at: at + len(info.filename)]) == info.filename.encode()
        data[at + len("xl/worksheets/")] = ord("X")  # xl/worksheets/Xheet1.xml in the local header only

    _refused_as_corrupt(_damage(_book(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml", rename))


def test_a_sheet_cut_short_is_refused_as_damaged(tmp_path: Path) -> None:
    def shorten(data: bytearray, info: zipfile.ZipInfo) -> None:
        # The directory says the part expands to more than its deflate stream holds.
        at = bytes(data).find(info.filename.encode(), bytes(data).find(b"PK\x01\x02")) - 46
        size_at = at + 24  # uncompressed size in the central directory entry
        data[size_at: size_at + 4] = (info.file_size + 1000).to_bytes(4, "little")

    _refused_as_corrupt(_damage(_book(tmp_path / "b.xlsx"), "xl/worksheets/sheet1.xml", shorten))


def test_read_equals_zipfile_read_and_leaves_zipfiles_position_alone(tmp_path: Path) -> None:
    path = _book(tmp_path / "b.xlsx")
    with zipparts.PartsZip(path) as zf:
        with zf.open("xl/worksheets/sheet1.xml") as fh:
            head = fh.read(100)
            assert zipparts.read(zf, "xl/worksheets/sheet1.xml") == zf.read("xl/worksheets/sheet1.xml")
            assert head + fh.read() == zf.read("xl/worksheets/sheet1.xml")  # zipfile's own read went on undisturbed


def test_a_zip_opened_from_a_file_object_is_read_through_zipfile(tmp_path: Path) -> None:
    import io

    path = _book(tmp_path / "b.xlsx", 100)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        assert zipparts.read(zf, "xl/worksheets/sheet1.xml") == zf.read("xl/worksheets/sheet1.xml")


def test_without_isal_the_parts_are_read_by_zipfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:


    path = _book(tmp_path / "b.xlsx", 500)
    with_isal = _parts(path)
    monkeypatch.setitem(sys.modules, "isal", None)  # import isal now raises ImportError
    assert zipparts._isal() is None
    assert _parts(path) == with_isal
    limits.check_input(path, limits.Limits())


def test_a_parts_zip_is_inflated_by_isal_from_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path / "b.xlsx", 500)
    with zipparts.PartsZip(path) as zf:
        assert zipparts._descriptor(zf) == zf.file.fileno()
    with zipfile.ZipFile(path) as zf:
        assert zipparts._descriptor(zf) is None  # a plain ZipFile: its parts through zipfile
    parts = zipparts.PartsZip(path)
    parts.close()
    assert parts.file.closed  # the file it opened is closed with it
