"""Windows of a job's rows served from a Parquet copy through DuckDB.

At load each table is written once as Parquet into the job's folder and read into an in-memory
DuckDB table (`t0`, `t1`, ...), beside one table of the issues on its cells. A window is one query
(filters by issue, rule, column, severity; ORDER BY the Excel row; LIMIT/OFFSET), so a 100,000-row
sheet answers in milliseconds; an edit is one UPDATE, a re-check replaces the issues of the rows it
involves.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dataquality.issue import Issue, texts_of

ROW = "_row"
ISSUE_COLUMNS = ("tbl", "row", "field", "column", "rule", "severity", "rank", "value", "fixable", "fixed_value",
                 "message_en", "hint_en", "message_zh", "hint_zh")
_RANK = {"error": 2, "warning": 1, "info": 0}


@dataclass(frozen=True)
class Filters:
    """What the clerk narrows the grid to."""

    with_issues: bool = False
    rule: str | None = None
    field: str | None = None
    severity: str | None = None


def issue_frame(issues: Sequence[Issue], table_of: dict[tuple[str, str | None], int]) -> pd.DataFrame:
    """The issues on rows of the job's tables as columns (texts in both languages)."""
    chosen = [i for i in issues if i.row is not None and (i.file, i.sheet) in table_of]
    en, zh = texts_of(chosen, "en"), texts_of(chosen, "zh")
    return pd.DataFrame({
        "tbl": pd.Series([table_of[(i.file, i.sheet)] for i in chosen], dtype="int32"),
        "row": pd.Series([i.row for i in chosen], dtype="int64"),
        "field": [i.field or "" for i in chosen],
        "column": [i.column or "" for i in chosen],
        "rule": [i.rule for i in chosen],
        "severity": [i.severity.value for i in chosen],
        "rank": pd.Series([_RANK[i.severity.value] for i in chosen], dtype="int8"),
        "value": [i.value for i in chosen],
        "fixable": pd.Series([bool(i.fixable and i.fixed_value is not None and i.fixed_value != i.value) for i in chosen],
                             dtype="bool"),
        "fixed_value": [i.fixed_value for i in chosen],
        "message_en": [m for m, _ in en], "hint_en": [h for _, h in en],
        "message_zh": [m for m, _ in zh], "hint_zh": [h for _, h in zh],
    }, columns=list(ISSUE_COLUMNS))


class Grid:
    """The job's tables and issues in DuckDB; one lock, since a connection serves one query at a time."""

    def __init__(self, folder: Path, tables: Sequence[Any]) -> None:
        self.lock = threading.Lock()
        self.con = duckdb.connect(":memory:")
        self.fields: list[list[str]] = []
        self.sizes: list[int] = []
        for n, t in enumerate(tables):
            fields = list(t.data.columns)
            self.fields.append(fields)
            arrays = {ROW: pa.array(t.data.index.to_numpy(dtype="int64"))}
            for f in fields:  # the Arrow-backed text columns as they are (no Python string per cell)
                arrays[f] = pa.array(t.data[f], type=pa.string(), from_pandas=True)
            path = folder / f"grid-{n}.parquet"
            tmp = path.with_suffix(".partial")
            pq.write_table(pa.table(arrays), tmp, compression="lz4")
            tmp.replace(path)
            # _pos numbers the rows in order: an unfiltered window is a range of it (zone maps skip the rest)
            self._do(f"CREATE TABLE t{n} AS SELECT row_number() OVER (ORDER BY {ROW}) AS _pos, * FROM read_parquet(?) "
                     f"ORDER BY {ROW}", [str(path)])
            self.sizes.append(len(t.data))
        self._do("CREATE TABLE issues (tbl INTEGER, row BIGINT, field VARCHAR, \"column\" VARCHAR, rule VARCHAR, "
                         "severity VARCHAR, rank TINYINT, value VARCHAR, fixable BOOLEAN, fixed_value VARCHAR, "
                         "message_en VARCHAR, hint_en VARCHAR, message_zh VARCHAR, hint_zh VARCHAR)")

    def _do(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """A statement run to its end (its result fetched), so the connection holds no unfinished one."""
        self.con.execute(sql, list(params or [])).fetchall()

    def set_issues(self, frame: pd.DataFrame, tbl: int | None = None, rows: Sequence[int] | None = None) -> None:
        """Replace every issue (or those of `rows` of table `tbl`) with `frame`'s."""
        with self.lock:
            if tbl is None:
                self._do("DELETE FROM issues")
            else:
                self._do("DELETE FROM issues WHERE tbl = ? AND row IN (SELECT UNNEST(?))", [tbl, list(rows or [])])
            if len(frame):
                self.con.register("incoming_issues", frame)
                self._do("INSERT INTO issues SELECT * FROM incoming_issues")
                self.con.unregister("incoming_issues")

    def replace_rows(self, tbl: int, edited: Sequence[int], involved: Sequence[int], record_rules: Sequence[str],
                     frame: pd.DataFrame) -> None:
        """After a re-check: every issue of the `edited` rows, and the record rules' issues of the
        `involved` rows, replaced by `frame`."""
        with self.lock:
            self._do("DELETE FROM issues WHERE tbl = ? AND (row IN (SELECT UNNEST(?)) OR "
                             "(row IN (SELECT UNNEST(?)) AND rule IN (SELECT UNNEST(?))))",
                             [tbl, list(edited), list(involved), list(record_rules)])
            if len(frame):
                self.con.register("incoming_issues", frame)
                self._do("INSERT INTO issues SELECT * FROM incoming_issues")
                self.con.unregister("incoming_issues")

    def set_cells(self, tbl: int, field: str, rows: Sequence[int], values: Sequence[str | None]) -> None:
        """New values of one column's cells (one statement for all of them)."""
        if field not in self.fields[tbl]:
            return
        frame = pd.DataFrame({"r": pd.Series(list(rows), dtype="int64"), "v": pd.Series(list(values), dtype=object)})
        with self.lock:
            self.con.register("cell_values", frame)
            self._do(f'UPDATE t{tbl} SET "{_ident(field)}" = cell_values.v FROM cell_values WHERE t{tbl}.{ROW} = cell_values.r')
            self.con.unregister("cell_values")

    def _where(self, tbl: int, filters: Filters) -> tuple[str, list[Any]]:
        parts, params = [], []
        if filters.with_issues or filters.rule or filters.field or filters.severity:
            sub, sub_params = ["tbl = ?"], [tbl]
            for column, value in (("rule", filters.rule), ("field", filters.field), ("severity", filters.severity)):
                if value:
                    sub.append(f"{column} = ?")
                    sub_params.append(value)
            parts.append(f"{ROW} IN (SELECT row FROM issues WHERE {' AND '.join(sub)})")
            params += sub_params
        return (" WHERE " + " AND ".join(parts)) if parts else "", params

    def window(self, tbl: int, offset: int, limit: int, filters: Filters, lang: str) -> dict[str, Any]:
        """Rows `offset`.. of the filtered table, with the issues on their cells and the total count."""
        where, params = self._where(tbl, filters)
        shown = ", ".join([ROW, *(f'"{_ident(f)}"' for f in self.fields[tbl])])
        with self.lock:
            if where:
                total = self.con.execute(f"SELECT count(*) FROM t{tbl}{where}", params).fetchall()[0][0]
                rows = self.con.execute(f"SELECT {shown} FROM t{tbl}{where} ORDER BY {ROW} LIMIT ? OFFSET ?",
                                        [*params, int(limit), int(offset)]).fetchall()
            else:
                total = self.sizes[tbl]
                rows = self.con.execute(f"SELECT {shown} FROM t{tbl} WHERE _pos > ? AND _pos <= ? ORDER BY _pos",
                                        [int(offset), int(offset) + int(limit)]).fetchall()
            names = [ROW, *self.fields[tbl]]
            found = [r[0] for r in rows]
            marks = self.con.execute(
                f"SELECT row, field, rule, severity, message_{lang}, hint_{lang}, fixable, fixed_value FROM issues "
                "WHERE tbl = ? AND row IN (SELECT UNNEST(?)) ORDER BY row, rank DESC, rule", [tbl, found]).fetchall()
        by_row: dict[int, list[dict[str, Any]]] = {}
        for row, field, rule, severity, message, hint, fixable, fixed in marks:
            by_row.setdefault(row, []).append({"field": field, "rule": rule, "severity": severity, "message": message,
                                               "hint": hint, "fixable": fixable, "fixed_value": fixed})
        out = []
        for r in rows:
            record = dict(zip(names, r, strict=True))
            record["_issues"] = by_row.get(record[ROW], [])
            out.append(record)
        return {"total": total, "offset": offset, "rows": out}

    def issue_counts(self, tbl: int) -> dict[str, Any]:
        """Counts for the filters: by rule, by field, by severity."""
        with self.lock:
            out = {}
            for column in ("rule", "field", "severity"):
                out[column] = dict(self.con.execute(
                    f"SELECT {column}, count(*) FROM issues WHERE tbl = ? GROUP BY 1 ORDER BY 2 DESC", [tbl]).fetchall())
            out["rows"] = self.con.execute("SELECT count(DISTINCT row) FROM issues WHERE tbl = ?", [tbl]).fetchall()[0][0]
        return out

    def issue_page(self, tbl: int, offset: int, limit: int, filters: Filters, lang: str) -> tuple[int, list[dict[str, Any]]]:
        """Issues as a list (the no-JavaScript path), in row order."""
        sub, params = ["tbl = ?"], [tbl]
        for column, value in (("rule", filters.rule), ("field", filters.field), ("severity", filters.severity)):
            if value:
                sub.append(f"{column} = ?")
                params.append(value)
        where = " AND ".join(sub)
        with self.lock:
            total = self.con.execute(f"SELECT count(*) FROM issues WHERE {where}", params).fetchall()[0][0]
            found = self.con.execute(
                f'SELECT row, field, "column", rule, severity, value, message_{lang}, hint_{lang}, fixable, fixed_value '
                f"FROM issues WHERE {where} ORDER BY row, rank DESC, rule LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
        keys = ("row", "field", "column", "rule", "severity", "value", "message", "hint", "fixable", "fixed_value")
        return total, [dict(zip(keys, r, strict=True)) for r in found]

    def fixable(self, tbl: int | None, rule: str | None, field: str | None, row: int | None) -> list[tuple[int, int, str, str | None, str, str]]:
        """(tbl, row, field, value, fixed value, rule) of the certain fixes in scope, one per cell."""
        sub, params = ["fixable", "field <> ''"], []
        for column, value in (("tbl", tbl), ("rule", rule), ("field", field), ("row", row)):
            if value is not None:
                sub.append(f"{column} = ?")
                params.append(value)
        with self.lock:
            found = self.con.execute(
                f"SELECT tbl, row, field, any_value(value ORDER BY rank DESC, rule), any_value(fixed_value ORDER BY rank DESC, rule), "
                f"any_value(rule ORDER BY rank DESC, rule) FROM issues WHERE {' AND '.join(sub)} GROUP BY tbl, row, field "
                "ORDER BY tbl, row, field", params).fetchall()
        return [tuple(r) for r in found]

    def close(self) -> None:
        with self.lock:
            self.con.close()


def _ident(name: str) -> str:
    return name.replace('"', '""')
