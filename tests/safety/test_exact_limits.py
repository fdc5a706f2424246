"""The limits count a sheet's extent exactly (issue 26.1): rows x columns as calamine will place the
cells, wherever in the part the widest cell and the farthest row hide, and dq's memory stays bounded
on every hostile workbook (each is refused before anything of its sheets is allocated)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from builders import SHEET_HEAD, SHEET_TAIL, customer_workbook, with_part_xml, with_sheet_xml
from dq_cli import ROOT, assert_one_line_error, dq

_CHUNK = 1 << 20  # the scan's chunk (load/limits.py): cells placed across its edges are counted too


def _row(number: int, *columns: str) -> bytes:
    return b'<row r="%d">' % number + b"".join(b'<c r="%s%d"><v>1</v></c>' % (c.encode(), number) for c in columns) + b"</row>"


def _probe(far_row: int = 20_000_000, wide: str = "Z", gap: int = 60_000) -> bytes:
    """`<c r="A1">` at the head, one wide cell after `gap` bytes of whitespace, a far last row."""
    return (SHEET_HEAD + b'<row r="1"><c r="A1"><v>1</v></c>' + b" " * gap
            + b'<c r="%s1"><v>1</v></c></row>' % wide.encode() + _row(far_row, "A") + SHEET_TAIL)


@pytest.fixture(params=["re", "re2"])
def finder(request, monkeypatch):
    """Each count made both ways: RE2 first (google-re2), and Python's re on every chunk."""
    from dataquality.load import limits

    if request.param == "re":
        monkeypatch.setattr(limits, "_re2", lambda: None)
    return request.param


def _workbook(tmp_path: Path, name: str, sheet: bytes) -> Path:
    base = customer_workbook(tmp_path / "base.xlsx")
    return with_sheet_xml(base, tmp_path / name, lambda fh: fh.write(sheet))


def test_the_probe_is_refused_with_its_exact_span(tmp_path, finder):
    # 1.7 KB of zip: 20,000,000 rows x 26 columns = 520 M cells (about 14 GB in calamine).
    path = _workbook(tmp_path, "probe.xlsx", _probe())
    assert path.stat().st_size < 10_000
    assert_one_line_error(dq("validate", str(path)), path, "520,000,000", "--max-cells", "DQ_MAX_CELLS")


# One wide cell anywhere: in a later row, across a chunk edge, lower case, after many rows, with
# another writer's attribute order (walked tag by tag), and two letters wide.
_VARIANTS = {
    "wide cell in a later row": SHEET_HEAD + _row(1, "A") + b" " * 70_000 + _row(2, "A", "Z") + _row(20_000_000, "A") + SHEET_TAIL,
    "lower-case wide cell": _probe(wide="z"),
    "wide cell after a chunk of rows": SHEET_HEAD + b"".join(_row(r, "A", "B") for r in range(1, 40_000))
                                       + _row(40_000, "A", "Y") + _row(1_000_000, "A") + SHEET_TAIL,
    "two letters after whitespace": _probe(far_row=800_000, wide="AB"),
    "attribute before the reference": SHEET_HEAD + _row(1, "A") + b" " * 60_000
                                      + b'<row r="2"><c t="n" r="Z2"><v>1</v></c></row>' + _row(20_000_000, "A") + SHEET_TAIL,
}
# A far row in the middle of ordinary rows (the last cell of its chunk is an ordinary one).
_VARIANTS["far cell among ordinary rows"] = (
    SHEET_HEAD + b"".join(_row(r, "A", "B") for r in range(1, 3_000)) + b'<row r="3000"><c r="B12000000"><v>1</v></c></row>'
    + b"".join(_row(r, "A", "B") for r in range(3_001, 6_000)) + SHEET_TAIL)
for _shift in (0, 5, 9, 40):  # the wide cell's tag cut by the chunk edge at several offsets
    _head = SHEET_HEAD + b'<row r="1"><c r="A1"><v>1</v></c>'
    _VARIANTS[f"wide cell cut by the chunk edge (+{_shift})"] = (
        _head + b" " * (_CHUNK - len(_head) - _shift) + b'<c r="Z1"><v>1</v></c></row>' + _row(20_000_000, "A") + SHEET_TAIL)


@pytest.mark.parametrize("sheet", list(_VARIANTS.values()), ids=list(_VARIANTS))
def test_a_wide_cell_anywhere_is_counted(tmp_path, sheet, finder):
    path = _workbook(tmp_path, "variant.xlsx", sheet)
    assert_one_line_error(dq("validate", str(path)), path, "--max-cells")


def test_the_count_is_exact_at_the_limit(tmp_path, finder):
    # 1,000 rows x 26 columns = 26,000 cells: allowed at 26,000, refused at 25,999 naming 26,000.
    path = _workbook(tmp_path, "exact.xlsx", _probe(far_row=1_000))
    assert "--max-cells" not in dq("--max-cells", "26000", "validate", str(path)).stderr
    assert_one_line_error(dq("--max-cells", "25999", "validate", str(path)), path, "26,000 cells")
    # The widest column grows one letter at a time, far apart: still counted to the letter (M = 13).
    rows = range(1, 40_001, 500)
    grows = SHEET_HEAD + (b" " * 20_000).join(_row(r, *"ABCDEFGHIJKLM"[: 1 + r // 3000]) for r in rows) + SHEET_TAIL
    path = _workbook(tmp_path, "grows.xlsx", grows)
    found = dq("--max-cells", "100", "validate", str(path))
    assert_one_line_error(found, path, f"{rows[-1] * 13:,} cells")


# --- memory: dq's peak on each hostile workbook ---------------------------------------------------

# dq refusing a workbook peaks at about 125 MB (the interpreter and what it has imported by then);
# a hostile workbook must not add more than a little to it. Reading the probe would take about 14 GB.
PEAK_BOUND_MB = 300


def _hostile(tmp_path: Path) -> dict[str, Path]:
    files = {"probe": _workbook(tmp_path, "probe.xlsx", _probe()),
             "far cell": _workbook(tmp_path, "far.xlsx", SHEET_HEAD + _row(1, "A") + _row(1_048_576, "XFD") + SHEET_TAIL),
             "two letters": _workbook(tmp_path, "two.xlsx", _probe(far_row=800_000, wide="AB"))}
    base = customer_workbook(tmp_path / "base.xlsx")

    def whitespace(fh):  # 1.5 GB of whitespace in a few MB of zip
        fh.write(SHEET_HEAD)
        block = b" " * (1 << 24)
        for _ in range(96):
            fh.write(block)
        fh.write(SHEET_TAIL)

    files["zip bomb"] = with_sheet_xml(base, tmp_path / "bomb.xlsx", whitespace)
    def strings(fh):  # 11 M shared strings
        fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for _ in range(1_100):
            fh.write(b"<si><t>x</t></si>" * 10_000)
        fh.write(b"</sst>")

    files["shared strings"] = with_part_xml(base, tmp_path / "strings.xlsx", "xl/sharedStrings.xml", strings)
    files["opendocument repeats"] = _ods(tmp_path, "repeated.ods", _ODS_HOSTILE["a row of values repeated"])
    return files


# Measured from a small Python in between: a process's peak (ru_maxrss) starts from the size of the
# process it was forked from, and a test worker can be large by then; the one in between is small,
# and RUSAGE_CHILDREN gives it dq's own peak.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run([sys.executable, '-m', 'dataquality', *sys.argv[1:]], stdout=subprocess.DEVNULL,"
    " stderr=subprocess.PIPE)\n"
    "sys.stderr.buffer.write(done.stderr)\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _peak_mb(*args: str) -> tuple[int, float, str]:
    """(exit code, peak resident set in MB, stderr) of `python -m dataquality ARGS` in a new process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DQ_LANG": "en"}
    done = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, env=env, timeout=300)
    code, peak_kb = done.stdout.split()
    return int(code), int(peak_kb) / 1024, done.stderr


def test_peak_memory_on_hostile_workbooks_stays_bounded(tmp_path):
    for name, path in _hostile(tmp_path).items():
        code, peak, err = _peak_mb("validate", str(path))
        assert code == 2, (name, err)
        assert len([line for line in err.splitlines() if line.strip()]) == 1, (name, err)
        assert peak < PEAK_BOUND_MB, f"{name}: dq peaked at {peak:.0f} MB (bound {PEAK_BOUND_MB} MB)"


# --- OpenDocument: repeated rows and cells are counted as calamine lays them out ------------------

_ODS_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content'
             b' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
             b' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
             b' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
             b'<office:body><office:spreadsheet><table:table table:name="S">')
_ODS_TAIL = b"</table:table></office:spreadsheet></office:body></office:document-content>"


def _cell(text: str = "x", repeated: int = 1) -> bytes:
    times = b' table:number-columns-repeated="%d"' % repeated if repeated > 1 else b""
    return b'<table:table-cell%s office:value-type="string"><text:p>%s</text:p></table:table-cell>' % (times, text.encode())


def _ods_row(*cells: bytes, repeated: int = 1) -> bytes:
    times = b' table:number-rows-repeated="%d"' % repeated if repeated > 1 else b""
    return b"<table:table-row%s>" % times + b"".join(cells) + b"</table:table-row>"


def _ods(tmp_path: Path, name: str, rows: bytes) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/"'
                   ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
        z.writestr("content.xml", _ODS_HEAD + rows + _ODS_TAIL)
    return path


_ODS_HOSTILE = {  # a few hundred bytes each; calamine would hold 90 M cells and more
    "a row of values repeated": _ods_row(_cell("a")) + _ods_row(_cell(repeated=90), repeated=1_000_000),
    "a value repeated far right": _ods_row(_cell("a"), _cell(repeated=100)) + _ods_row(_cell(), repeated=300_000),
    "empty rows between values": _ods_row(_cell("a"), _cell(repeated=30)) + _ods_row(repeated=5_000_000)
                                 + _ods_row(_cell("z")),
}


@pytest.mark.parametrize("rows", list(_ODS_HOSTILE.values()), ids=list(_ODS_HOSTILE))
def test_opendocument_repeats_past_the_limit_are_refused(tmp_path, rows):
    path = _ods(tmp_path, "repeated.ods", rows)
    assert_one_line_error(dq("validate", str(path)), path, "--max-cells")


def test_opendocument_trailing_empty_repeats_take_no_room(tmp_path):
    # LibreOffice ends a sheet with its empty rest: a million empty rows of 1,024 empty cells.
    header = _ods_row(*(_cell(h) for h in ("客户编码", "客户名称", "客户类型")))
    rows = header + _ods_row(_cell("C000001"), _cell("甲公司"), _cell("企业"),
                             b'<table:table-cell table:number-columns-repeated="1021"/>')
    rows += _ods_row(b'<table:table-cell table:number-columns-repeated="1024"/>', repeated=1_048_574)
    path = _ods(tmp_path, "libreoffice.ods", rows)
    assert "--max-cells" not in dq("--max-cells", "6", "validate", str(path)).stderr  # 2 rows x 3 columns
    assert_one_line_error(dq("--max-cells", "5", "validate", str(path)), path, "6 cells")


def test_a_libreoffice_spreadsheet_is_measured_as_calamine_reads_it(tmp_path):
    import shutil

    import fastexcel

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install -y libreoffice-calc-nogui)")
    book = customer_workbook(tmp_path / "c.xlsx", n=40)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "ods",
                    "--outdir", str(tmp_path), str(book)], check=True, capture_output=True, timeout=180)
    path = tmp_path / "c.ods"
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None)
    cells = sheet.height * sheet.width  # 41 rows x 16 columns, whatever LibreOffice wrote after them
    assert cells == 41 * 16
    assert dq("--max-cells", str(cells), "validate", str(path)).returncode == 0
    assert_one_line_error(dq("--max-cells", str(cells - 1), "validate", str(path)), path, f"{cells:,} cells")


@pytest.mark.parametrize("chunk", [61, 997, 4096])
def test_opendocument_rows_cut_by_the_scans_chunks_are_counted_once(tmp_path, monkeypatch, chunk):
    from dataquality.errors import InputError
    from dataquality.load import limits
    from dataquality.load.source import WorkbookSource

    monkeypatch.setattr(limits, "_CHUNK", chunk)
    row = _ods_row(_cell("a"), _cell("b"), _cell(repeated=3), b'<table:table-cell table:number-columns-repeated="999"/>')
    path = _ods(tmp_path, "cut.ods", row * 300 + _ods_row(repeated=1_000_000))  # 300 rows x 5 columns
    assert WorkbookSource(path, limits.Limits(max_cells=1500)).check() == {}
    with pytest.raises(InputError) as refused:
        WorkbookSource(path, limits.Limits(max_cells=1499)).check()
    assert refused.value.params["found"] == "1,500"
    for rows in _ODS_HOSTILE.values():
        with pytest.raises(InputError):
            WorkbookSource(_ods(tmp_path, "hostile.ods", rows)).check()


@pytest.mark.parametrize("chunk", [5, 61, 997, 1 << 20])
def test_shared_strings_cut_by_the_scans_chunks_are_counted_exactly(tmp_path, monkeypatch, chunk):
    """Every `<si` counted once, whichever chunk the tag is cut at (written `<si>`, `<si/>`,
    `<si xml:space=..>` and with a line break)."""
    from dataquality.errors import InputError
    from dataquality.load import limits
    from dataquality.load.source import WorkbookSource

    monkeypatch.setattr(limits, "_CHUNK", chunk)
    shapes = [b"<si><t>a%d</t></si>", b"<si/>", b'<si xml:space="preserve"><t> b%d</t></si>', b"<si\n><t>c%d</t></si>"]
    body = b"".join((shapes[i % 4] % i) if b"%d" in shapes[i % 4] else shapes[i % 4] for i in range(403))
    strings = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               b'count="403" uniqueCount="403">' + body + b"</sst>")
    base = customer_workbook(tmp_path / "base.xlsx", 3)
    path = with_part_xml(base, tmp_path / "strings.xlsx", "xl/sharedStrings.xml", lambda fh: fh.write(strings))
    assert WorkbookSource(path, limits.Limits(max_strings=403)).check()
    with pytest.raises(InputError) as refused:
        WorkbookSource(path, limits.Limits(max_strings=402)).check()
    assert refused.value.key == "limits.max_strings"


# --- the invocation's limits reach every reader of a file ----------------------------------------


def test_the_limits_given_to_dq_bound_every_command_that_reads_a_workbook(tmp_path):
    """`dq --max-cells N` bounds the secondary readers too: learn, reference sheets, export of the
    cleaned values (each refuses a workbook past N with the exit-2 line, as validate does)."""
    from builders import customer_workbook

    book = customer_workbook(tmp_path / "customers.xlsx", n=30)  # about 600 cells
    small = customer_workbook(tmp_path / "small.xlsx", n=1)  # about 50
    for args in (
        ["learn", str(book), "-o", str(tmp_path / "learned")],
        ["validate", str(small), "--reference", f"departments={book}"],  # only the reference sheet is past it
        ["export", "cleaned", str(book), "-o", str(tmp_path / "cleaned.parquet")],
    ):
        refused = dq("--max-cells", "200", *args)
        assert refused.returncode == 2, (args, refused.stdout, refused.stderr)
        assert "--max-cells" in refused.stderr and "200" in refused.stderr, (args, refused.stderr)
        assert dq(*args).returncode in (0, 1), args  # within the default limits: read
