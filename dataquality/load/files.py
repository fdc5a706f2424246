"""Load customer, supplier and product masters from Excel and CSV into Tables with Excel row numbers.

Every sheet a person can read, dq reads the same way: the header is found among the first rows
(title rows, a two-level header, bilingual two-line headers), merged cells belong to each row
they cover, number formats are applied (000123, not 123), totals, sign-off and note rows are not
records, and what cannot be read is reported as a finding rather than stopping the run.

The package `dataquality.load` re-exports the public names of this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataquality.config import Config, EntitySchema
from dataquality.errors import InputError
from dataquality.issue import column_letter, rows_text
from dataquality.load.cells import SheetCells, calamine_number_cells, sheet_cells, xlsx_number_cells
from dataquality.load.columns import Columns, base_field, by_values, decide
from dataquality.load.detect import (
    FUZZY,
    HeaderMatch,
    entity_from_sheet_name,
    entity_hints,
    find_header,
)
from dataquality.load.grid import PEEK_ROWS, iter_grids, read_csv_grid, sniff_kind
from dataquality.load.mapping import Mappings
from dataquality.load.rows import NotARecord, Part, header_names, tables
from dataquality.load.source import CALAMINE_KINDS, WorkbookSource
from dataquality.load.table import TEXT, Finding, Table

__all__ = ["FileRead", "Finding", "Table", "load_file", "problem_for", "read_file"]

# Identifier-like fields whose numbers must keep every digit (Excel keeps 15 significant digits).
_LONG_DIGITS = r"^\d{16,}$"
_NULL_TEXT = ("NULL", "null", "Null")


@dataclass
class FileRead:
    """What reading one file gave: its entity tables and the findings about sheets without a table."""

    path: Path
    tables: list[Table] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # file-level errors (FIL005): the file could not be read
    # A readable sheet (or file) in which neither the headers nor the values reveal a master (FIL013):
    # nothing of it was checked, and dq map is the way on. Not an unreadable input.
    unchecked: list[Finding] = field(default_factory=list)


def prepare(config: Config) -> None:
    """Make now what reading any file needs, whatever it holds: the message catalogue, each
    schema's header index, the traditional-to-simplified tables. For a caller with a core to
    spare: the load stage while calamine still reads a started workbook."""
    from dataquality.i18n import catalogue
    from dataquality.load.detect import index_of, simplified

    catalogue()
    for schema in config.schemas.values():
        index_of(schema)
    simplified("客戶")


def load_file(path: Path | str | WorkbookSource, config: Config, lang: str = "en", entity: str | None = None,
              mappings: Mappings | None = None) -> list[Table]:
    """Every entity sheet of a workbook (or the CSV file) as Tables; raises InputError when there is none."""
    read = read_file(path, config, lang, entity, mappings)
    if not read.tables:
        first = read.problems[0] if read.problems else None
        if first is not None and first.params.get("error_key"):
            raise InputError(str(first.params["error_key"]), **dict(first.params.get("error_params") or {}))
        raise InputError("load.no_header", file=read.path.name)
    return read.tables


def read_file(file: Path | str | WorkbookSource, config: Config, lang: str = "en", entity: str | None = None,
              mappings: Mappings | None = None) -> FileRead:
    """Read one file (a path: within the default limits; a WorkbookSource: within its own); an
    unreadable file or sheet becomes a problem (FIL005), never an exception.

    Raises InputError only when the file itself cannot be opened at all (missing, a folder, not a
    spreadsheet, past the limits): the caller reports that as a file-level issue too.
    """
    source = file if isinstance(file, WorkbookSource) else WorkbookSource(file)
    path = source.path
    out = FileRead(path)
    kind = sniff_kind(source)
    any_cells = False
    csv_grid = _csv_grid(source) if kind == "csv" else None
    scans = source.check()
    pool = ThreadPoolExecutor(max_workers=1) if kind in CALAMINE_KINDS else None
    try:
        for sheet, book in iter_grids(source, kind):
            # Merged ranges and number formats are read from the workbook's XML while calamine reads
            # the cells (both release the GIL): the extras cost no wall time on a second core.
            pending = pool.submit(sheet_cells, path, kind, sheet.index, sheet.name, scans) if pool else None
            try:
                grid = csv_grid if csv_grid is not None else book.grid(sheet)  # type: ignore[union-attr]
            except InputError as exc:
                out.problems.append(_problem(path, sheet.name, exc))
                continue
            extras = pending.result() if pending else SheetCells()
            any_cells = _read_sheet(out, path, kind, sheet, grid, extras, config, lang, entity, mappings) or any_cells
    finally:
        if pool:
            pool.shutdown(wait=True)
    if not out.tables and not out.problems and not out.unchecked:
        if any_cells:
            out.unchecked.append(_unchecked(path, None))
        else:
            out.problems.append(_problem(path, None, InputError("load.no_data", file=path.name)))
    return out


def _unchecked(path: Path, sheet: str | None) -> Finding:
    """FIL013: a readable sheet (or file) in which nothing names or reveals a master."""
    return Finding("FIL013", None, sheet=sheet, params={"file": path.name, "sheet": sheet or "-"})


def _read_sheet(out: FileRead, path: Path, kind: str, sheet, grid: pd.DataFrame, extras: SheetCells, config: Config,
                lang: str, entity: str | None, mappings: Mappings | None) -> bool:
    """Find the header and the records of one sheet; True when the sheet has any cell."""
    if grid.empty:
        return False
    if extras.merged:
        grid = _fill_merged(grid, extras.merged)
    mapping = mappings.for_sheet(path, sheet.name, grid) if mappings else None
    sheet_entity = entity or (mapping.entity if mapping else None) or entity_from_sheet_name(sheet.name, config)
    peek = grid.loc[grid.index[: PEEK_ROWS + 1]] if mapping is None or mapping.header_row is None else grid.loc[
        grid.index[: max(PEEK_ROWS, mapping.header_row) + 1]]
    hints = entity_hints(path, sheet.name, config)
    match = find_header(peek, config, sheet_entity, hints, mapping.columns if mapping else None,
                        mapping.header_row if mapping else None)
    if match is None:  # no header names a field: what do the values reveal?
        match = by_values(peek, grid, config, sheet_entity, hints)
    if match is None:
        if sheet_entity is not None and peek.notna().any().any():
            out.unchecked.append(_unchecked(path, sheet.name))
        return True
    # Another table under this one (its own title and header) is read as its own table, or left out.
    def recognise(rows: pd.DataFrame) -> HeaderMatch | None:
        return find_header(rows, config, sheet_entity, hints)

    for part in tables(grid, match, header_names(config), recognise):
        out.tables.append(_table(path, kind, sheet.name, sheet.index, grid, part, config, extras))
    return True


def problem_for(path: Path, exc: InputError) -> Finding:
    """A file that cannot be opened at all, as a file-level finding (FIL005)."""
    return _problem(path, None, exc)


def _problem(path: Path, sheet: str | None, exc: InputError) -> Finding:
    from dataquality.i18n import LANGUAGES

    said = {lang: exc.message(lang) for lang in LANGUAGES}
    return Finding("FIL005", None, sheet=sheet, params={"problem": said, "error_key": exc.key, "error_params": exc.params})


def _csv_grid(source: WorkbookSource) -> pd.DataFrame:
    """A CSV file's grid as written (NULL kept: a shifted line is told by the values it has)."""
    return read_csv_grid(source)


def _without_null(cells: pd.DataFrame) -> pd.DataFrame:
    """Database exports write NULL for an empty cell."""
    return cells.mask(cells.isin(_NULL_TEXT))


def _fill_merged(grid: pd.DataFrame, merged: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """A value merged down over several rows belongs to each of them (as a person reads it)."""
    tall = [(r0, c0, r1) for r0, c0, r1, _ in merged if r1 > r0 and c0 in grid.columns and r0 in grid.index]
    if not tall:
        return grid
    grid = grid.copy()
    for col in {c for _, c, _ in tall}:  # a loop over columns; the ranges of one column at once
        spans = [(r0, r1) for r0, c, r1 in tall if c == col]
        starts = np.array([r0 for r0, _ in spans])
        ends = np.array([min(r1, grid.index[-1]) for _, r1 in spans])
        lengths = np.maximum(ends - starts, 0)
        targets = np.repeat(starts, lengths) + (np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)) + 1
        sources = np.repeat(starts, lengths)
        values = grid[col].reindex(sources).to_numpy()
        current = grid[col].reindex(targets)
        fill = pd.Series(values, index=targets, dtype=grid[col].dtype)
        grid[col] = grid[col].astype(object)
        keep = current.isna().to_numpy()
        grid.loc[targets[keep], col] = fill.to_numpy()[keep]
        grid[col] = grid[col].astype(TEXT)
    return grid


def _table(path: Path, kind: str, sheet: str | None, sheet_index: int, grid: pd.DataFrame, part: Part,
           config: Config, extras: SheetCells) -> Table:
    match: HeaderMatch = part.match
    schema = config.schemas[match.entity]
    below = grid.loc[match.row + 1:part.end]
    # Rows that are not records: totals and subtotals, repeated headers, a template's descriptions,
    # sign-off and note rows (and what is under a note); another table under this one that is not read.
    skipped = part.skipped
    drop = [s.row for s in skipped if s.kind not in ("table", "in_table")]  # another table is below `below`
    findings = _skipped_findings(skipped)
    if match.by_values:
        findings.append(Finding("FIL012", match.row or None, params={"file": path.name}))
    rest = below.drop(index=drop) if drop else below
    if kind == "csv":
        if not match.by_values:
            rest = _shifted_rows(rest, match, findings)
        rest = _without_null(rest)
    # Which column holds which field: the header's evidence weighed with the values under it.
    decided = decide(match, rest, schema, config)
    body = _body(rest, decided)
    present = np.zeros(len(body), dtype=bool)
    for name in body.columns:  # a loop over columns
        present |= _holds_text(body[name])
    if not present.all():  # (a mask copies every column)
        body = body.loc[present]
    body.index.name = "row"
    columns = {f: column_letter(c) for f, c in decided.fields.items()}
    body, shown = _displayed(path, kind, sheet_index, body, decided, schema, extras, findings, columns)
    body, derived = _variant_rows(body, schema, findings, match.row)
    _column_findings(decided, schema, match.row, columns, findings)
    for name in schema.required_fields:
        if name not in decided.fields:
            findings.append(Finding("FIL004", None, field=name, value=None,
                                    params={"labels": dict(schema.fields[name].labels), "header_row": match.row}))
    if body.empty:
        findings.append(Finding("FIL009", match.row, params={"header_row": match.row}))
    return Table(
        entity=match.entity,
        path=path,
        sheet=sheet,
        header_row=match.row,
        data=body,
        columns=columns,
        headers={f: m.header for f, m in decided.matches.items()},
        unknown_columns=tuple((column_letter(c), h) for c, h in decided.unknown),
        duplicate_columns=tuple((column_letter(c), h, column_letter(first)) for c, h, first in decided.duplicates),
        summary_rows=tuple((s.row, s.label) for s in skipped if s.kind in ("total", "subtotal")),
        findings=tuple(findings),
        matches=tuple(decided.matches.values()),
        first_header_row=match.first_row,
        shown_values=shown,
        key=schema.key,
        derived=frozenset(decided.parts) | derived,
    )


VARIANT_SHARE = 0.1  # rows without the name: at least this share of the records, to be a layout
MIN_VARIANTS = 3  # ... and at least this many (two rows without a name are two missing names)
MIN_GROUP = 2  # product-level fields, the name and another: the name alone left empty is a missing value
GROUP_FILLED = 0.9  # a product-level field: filled on this share of the head rows ...
GROUP_EMPTY = 0.1  # ... and on at most this share of the variant rows


def _variant_rows(body: pd.DataFrame, schema: EntitySchema, findings: list[Finding], header_row: int
                  ) -> tuple[pd.DataFrame, frozenset[str]]:
    """A product written as a head row and its variants below (Shopify, WooCommerce, Vendure): the
    rows under a head leave its name and other product-level cells empty, and belong to it as cells
    merged down would. Such a layout (the first record a head, the variant rows a good share of the
    records, each with cells of its own) is read with the head's product-level values filled down,
    said once (FIL015); those values are the head's, never written back."""
    name = next((f for f in (schema.key.replace("code", "name"), f"{schema.name}_name") if f in body.columns), None)
    if name is None or len(body) < 3:
        return body, frozenset()
    filled = pd.DataFrame({c: _holds_text(body[c]) for c in body.columns}, index=body.index)  # padded cells are empty
    head = filled[name].to_numpy(dtype=bool)
    variants_n = int((~head).sum())
    if not head[0] or head.all() or variants_n < max(MIN_VARIANTS, VARIANT_SHARE * len(body)):
        return body, frozenset()
    own = filled.loc[~head].drop(columns=[name]).any(axis=1)
    if not own.all():  # a variant row has cells of its own; otherwise it is a missing name
        return body, frozenset()
    heads, variants = filled.loc[head].mean(), filled.loc[~head].mean()
    group = [c for c in body.columns if heads[c] >= GROUP_FILLED and variants[c] <= GROUP_EMPTY]
    if name not in group or len(group) < MIN_GROUP:
        return body, frozenset()
    body = body.copy()
    for col in group:  # a column at a time: the head's value down to its variants
        body[col] = body[col].where(filled[col]).ffill().astype(body[col].dtype)
    findings.append(Finding("FIL015", header_row, params={"variants": int((~head).sum()), "heads": int(head.sum())}))
    return body, frozenset(group)


def _shifted_rows(rest: pd.DataFrame, match: HeaderMatch, findings: list[Finding]) -> pd.DataFrame:
    """A CSV line with more values than its header has columns is shifted (a delimiter inside an
    unquoted value: '24, place Kléber'): every cell of it may sit under the wrong header. Each such
    line is one finding (FIL014), and its cells are not checked as the fields they are not."""
    if not match.cells:
        return rest
    beyond = [c for c in rest.columns if c > max(match.cells)]
    if not beyond:
        return rest
    wide = rest[beyond].notna().any(axis=1).to_numpy(dtype=bool)  # one vectorised pass over the extra columns
    if not wide.any():
        return rest
    width = len(match.cells)
    counts = rest.loc[wide].notna().sum(axis=1)
    for row, n in counts.items():  # only the shifted lines, each a finding of its own
        findings.append(Finding("FIL014", int(row), params={"values": int(max(n, width + 1)), "columns": width}))
    return rest.loc[~wide]


def _body(rest: pd.DataFrame, decided: Columns) -> pd.DataFrame:
    """The records' cells, one column per field key; a field written in parts joined into one value."""
    plain = {k: c for k, c in decided.fields.items() if k not in decided.parts}
    body = rest[list(plain.values())]
    body.columns = list(plain.keys())
    for name, cols in decided.parts.items():
        body[name] = _joined([rest[c] for c in cols])
    return body


def _joined(parts: list[pd.Series]) -> pd.Series:
    """Parts of one value (First Name, Last Name) as one text: words joined by a space, except
    between two Chinese parts (张 + 三 = 张三); NA where every part is empty."""
    out = parts[0].astype(TEXT).str.strip()
    for part in parts[1:]:
        nxt = part.astype(TEXT).str.strip()
        cjk = out.str.contains(r"[\u3400-\u9fff]$", regex=True).fillna(False) & nxt.str.contains(r"^[\u3400-\u9fff]", regex=True).fillna(False)
        sep = pd.Series(np.where(cjk.to_numpy(dtype=bool), "", " "), index=out.index, dtype=TEXT)
        joined = out.fillna("") + sep + nxt.fillna("")
        out = joined.str.strip().mask(out.isna() & nxt.isna())
    return out.mask(out == "").astype(TEXT)


def _column_findings(decided: Columns, schema: EntitySchema, header_row: int, columns: dict[str, str],
                     findings: list[Finding]) -> None:
    """How the columns were found, where a person must know: a guess by spelling (FIL006), a column
    read by its values alone (FIL010), a generic or qualified name whose values do not fit (FIL007)."""
    for key, m in decided.matches.items():
        spec = schema.fields[base_field(key)]
        if m.strength == FUZZY:
            findings.append(Finding("FIL006", header_row, field=key, column=columns[key], value=m.header,
                                    params={"labels": dict(spec.labels), "header": m.header, "column": columns[key]}))
    for _col, name in decided.by_values:
        m = decided.matches[name]
        findings.append(Finding("FIL010", header_row, field=name, column=columns[name], value=m.header, params={
            "labels": dict(schema.fields[name].labels), "header": m.header, "column": columns[name],
            "share": f"{round((m.share or 0) * 100)}%"}))
    for col, header, name, examples in decided.unfit:
        letter = column_letter(col)
        findings.append(Finding("FIL007", header_row, field=name, column=letter, value=header, params={
            "labels": dict(schema.fields[name].labels), "header": header, "column": letter,
            "examples": "', '".join(examples)}))


def _holds_text(column: pd.Series) -> np.ndarray:
    """Where a cell holds more than whitespace (str.strip() would leave something), without
    building the stripped strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.chunked_array(column.array._pa_array) if hasattr(column.array, "_pa_array") else pa.array(column, pa.large_string())
    blank = pc.or_kleene(pc.equal(pc.utf8_length(text), 0), pc.utf8_is_space(text))
    return ~np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)


_KIND_TEXT = {
    "signoff": {"en": "sign-off", "zh": "签字"},
    "note": {"en": "note", "zh": "说明"},
    "header": {"en": "repeated header", "zh": "重复表头"},
    "template": {"en": "template description or example", "zh": "模板说明或示例"},
    "table": {"en": "title of another table whose header is not recognised", "zh": "另一个表格（表头无法识别）的标题"},
}
# Kinds said once for all their rows (a header repeated on every page is one finding, not fifty).
_SAID_ONCE = ("subtotal", "header", "template")


def _skipped_findings(skipped: Iterable[NotARecord]) -> list[Finding]:
    """FIL003 for totals and subtotals, FIL008 for the other rows that are not records: a total,
    sign-off, note or other table on its own row, a subtotal, repeated header or template row once
    for all rows of its kind (the finding names the others)."""
    findings = []
    once: dict[str, list[NotARecord]] = {}
    for s in skipped:
        if s.kind in _SAID_ONCE:
            once.setdefault(s.kind, []).append(s)
        elif s.kind in ("total", "signoff", "note", "table"):
            findings.append(_skipped_finding(s, ()))
    for rows in once.values():
        findings.append(_skipped_finding(rows[0], tuple(r.row for r in rows[1:])))
    findings.sort(key=lambda f: f.row or 0)
    return findings


def _skipped_finding(s: NotARecord, others: tuple[int, ...]) -> Finding:
    from dataquality.i18n import LANGUAGES, text

    more = {lang: text("load.skipped_more", lang, rows=rows_text(others, lang)) if others else "" for lang in LANGUAGES}
    if s.kind in ("total", "subtotal"):
        return Finding("FIL003", s.row, value=s.label, params={"label": s.label, "more": more})
    return Finding("FIL008", s.row, value=s.label, params={
        "label": s.label, "kind": _KIND_TEXT[s.kind], "below": s.below, "more": more})


def _displayed(path: Path, kind: str, sheet_index: int, body: pd.DataFrame, decided: Columns, schema: EntitySchema,
               extras: SheetCells, findings: list[Finding], columns: dict[str, str]) -> tuple[pd.DataFrame, int]:
    """Cells as Excel shows them: zero-padding formats applied, 16+ digit numbers flagged, not invented."""
    if kind == "csv" or body.empty:
        return body, 0
    digit_fields = [f for f in body.columns if _keeps_digits(schema, f)] if extras.long_numbers else []
    long_cells = {f: body.index[_maybe_number(body[f])] for f in digit_fields}
    long_cells = {f: rows for f, rows in long_cells.items() if len(rows)}
    if not extras.padded_styles and not long_cells:
        return body, 0
    numbers = _number_cells(path, kind, sheet_index, extras, long_cells)
    if not numbers:
        return body, 0
    col_of = {decided.fields[f]: f for f in body.columns if f not in decided.parts}
    changes: dict[str, dict[int, str]] = {}
    for (row, col), (stored, style) in numbers.items():  # cells holding numbers with a format or 16+ digits only
        name = col_of.get(col)
        if name is None or row not in body.index:
            continue
        shown_text = _formatted(extras, style, stored)
        if shown_text is not None:
            changes.setdefault(name, {})[row] = shown_text
        if name in long_cells and row in long_cells[name]:
            excel = _fifteen_digits(stored)
            changes.setdefault(name, {})[row] = excel
            findings.append(Finding("TYP006", row, field=name, column=columns.get(name), value=excel,
                                    params={"labels": dict(schema.fields[base_field(name)].labels), "digits": len(excel)}))
    count = 0
    for name, cells in changes.items():
        col = body[name].astype(object)
        col.loc[list(cells)] = list(cells.values())
        body[name] = col.astype(TEXT)
        count += len(cells)
    return body, count


def _number_cells(path: Path, kind: str, sheet_index: int, extras: SheetCells,
                  long_cells: dict[str, pd.Index]) -> dict[tuple[int, int], tuple[str, int]]:
    """The sheet's number cells with a padding format or that may hold 16+ digits (none when the
    file does not tell: the values stay as read)."""
    try:
        if kind == "xlsx" and extras.member:
            return xlsx_number_cells(path, extras.member, set(extras.padded_styles), bool(long_cells),
                                     rows={r for cells in long_cells.values() for r in cells.tolist()})
        if kind in ("xls", "ods"):
            return calamine_number_cells(path, sheet_index)
    except Exception:  # noqa: BLE001 - best effort: keep the values as read
        pass
    return {}


def _formatted(extras: SheetCells, style: int, stored: str) -> str | None:
    """A stored number as its zero-padding format shows it (None: no such format, or not a number)."""
    fmt = extras.padded_styles.get(style)
    if fmt is None:
        return None
    try:
        return fmt.show(float(stored))
    except ValueError:
        return None


def _maybe_number(values: pd.Series) -> np.ndarray:
    """Cells that may be a 16+ digit number read back from a float: digits only, 16 or more, and a
    value a double holds exactly (a typed 19-digit text almost never is; a float always is).
    In Arrow: the few long cells are taken out before the pattern and the double are tried."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.astype(TEXT).array, type=pa.large_string())
    long = np.asarray(pc.fill_null(pc.greater_equal(pc.utf8_length(text), 16), False).to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    at = np.flatnonzero(long)
    if not len(at):
        return out
    candidates = text.take(pa.array(at))
    digits = np.asarray(pc.fill_null(pc.match_substring_regex(candidates, _LONG_DIGITS), False).to_numpy(zero_copy_only=False), dtype=bool)
    if digits.any():
        out[at[digits]] = _double_holds(pd.Series(candidates.filter(pa.array(digits)).to_pandas(types_mapper={pa.large_string(): TEXT}.get).array, dtype=TEXT))
    return out


def _double_holds(digits: pd.Series) -> np.ndarray:
    """Whether a double holds each digit string's number exactly (float(int(s)) == int(s)):
    in pyarrow for numbers within int64 (the double, back as an integer, is written the same);
    Python's int for longer ones."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(digits.astype(TEXT).array, type=pa.large_string())
    plain = pc.utf8_ltrim(text, characters="0")
    plain = pc.if_else(pc.equal(plain, ""), pa.scalar("0", pa.large_string()), plain)
    fits = np.asarray(pc.less_equal(pc.utf8_length(plain), 18).to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros(len(digits), dtype=bool)
    if fits.any():
        small = pc.filter(plain, pa.array(fits))
        doubles = pc.cast(small, pa.float64())
        back = pc.cast(pc.cast(doubles, pa.int64()), pa.large_string())
        out[fits] = np.asarray(pc.equal(back, small).to_numpy(zero_copy_only=False), dtype=bool)
    if (~fits).any():
        out[~fits] = _long_double_holds(pc.filter(plain, pa.array(~fits)))
    return out


def _long_double_holds(plain: Any) -> np.ndarray:
    """_double_holds of numbers of 19 or more digits (no leading zeros; bank accounts are 19).

    A double holds N exactly when N is a multiple of 2**k, k = bit length of N - 53. N's bit
    length is read from the double nearest N (when that rounds up to a power of two, k comes
    out one too large, but then N is not held either way), and N mod 2**k from N's last 18
    digits, since 2**k divides 10**18 for k <= 18. Numbers past 2**71 (22+ digits) are asked
    of Python's int."""
    import pyarrow as pa
    import pyarrow.compute as pc

    nearest = np.asarray(pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    k = np.frexp(nearest)[1].astype(np.int64) - 53
    low = np.asarray(pc.cast(pc.utf8_slice_codeunits(plain, -18), pa.int64()).to_numpy(zero_copy_only=False))
    out = (k <= 0) | ((k <= 18) & ((low & ((np.int64(1) << np.clip(k, 0, 18)) - 1)) == 0))
    huge = np.flatnonzero(k > 18)
    if len(huge):
        out[huge] = [float(int(s)) == int(s) for s in plain.take(pa.array(huge)).to_pylist()]
    return out


def _keeps_digits(schema: EntitySchema, name: str) -> bool:
    spec = schema.fields[base_field(name)]
    return bool(spec.identifier or spec.text or spec.pattern) and not spec.is_numeric


def _fifteen_digits(stored: str) -> str:
    """What Excel shows of a stored number: 15 significant digits, the rest zeros (never invented)."""
    try:
        number = float(stored)
    except ValueError:
        return stored
    digits = f"{number:.14e}"  # 15 significant digits
    mantissa, exponent = digits.split("e")
    whole = mantissa.replace(".", "").rstrip()
    exp = int(exponent)
    return (whole + "0" * max(0, exp + 1 - len(whole)))[: exp + 1] if exp >= 14 else str(int(number))
