"""The append-only audit log: every request, approval, rejection and apply, hash-chained.

Row N stores the hash of row N-1 (`prev_hash`) and its own sha256 over a canonical JSON of its
fields, so editing, inserting or deleting a row breaks the chain; the head table catches a
deletion of the newest rows. `verify` walks the chain and names every row that does not fit.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from dataquality.approve.db import audit_head, audit_log
from dataquality.errors import DQError
from dataquality.fileio import atomic_open, atomic_path
from dataquality.i18n import text as msg

GENESIS = "0" * 64
HASHED = ("seq", "at", "action", "actor", "role", "request_id", "entity", "key", "field", "old_value", "new_value", "comment", "prev_hash")
EXPORT_COLUMNS = ("seq", "at", "action", "actor", "role", "request_id", "entity", "key", "field", "old_value", "new_value", "comment", "prev_hash", "hash")
_PG_CHAIN_LOCK = 724202


def now() -> str:
    """The current UTC time as ISO text: the same bytes on every database, so hashes agree."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def row_hash(row: dict[str, Any]) -> str:
    """sha256 over the canonical serialisation of a row's hashed fields."""
    payload = json.dumps([row.get(k) for k in HASHED], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: Connection, action: str, **fields: Any) -> dict[str, Any]:
    """Add one row at the end of the chain inside the caller's transaction; returns the row."""
    if conn.dialect.name == "postgresql":
        # Serialise appenders: two transactions must never both extend the same head.
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_CHAIN_LOCK})"))
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    row: dict[str, Any] = {k: None for k in HASHED}
    row.update(fields)
    row.update(seq=seq, action=action, prev_hash=prev, at=fields.get("at") or now())
    for k in ("old_value", "new_value", "comment", "actor", "key"):
        if row[k] is not None:
            row[k] = str(row[k])
    row["hash"] = row_hash(row)
    conn.execute(audit_log.insert().values(**row))
    if head:
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=row["hash"]))
    else:
        conn.execute(audit_head.insert().values(id=1, seq=seq, hash=row["hash"]))
    return row


@dataclass(frozen=True)
class Problem:
    """One place where the chain does not hold."""

    seq: int | None
    key: str  # catalogue key under audit.problem.*
    params: dict[str, Any]

    def message(self, lang: str) -> str:
        return msg(f"audit.problem.{self.key}", lang, seq=self.seq, **self.params)


def rows(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every audit row in chain order."""
    for r in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
        yield dict(r._mapping)


def verify(conn: Connection) -> tuple[int, list[Problem]]:
    """(rows checked, problems): edited rows, rows inserted or deleted, a head that does not match."""
    problems: list[Problem] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for row in rows(conn):
        count += 1
        if row["seq"] != expected_seq:
            problems.append(Problem(row["seq"], "gap", {"expected": expected_seq}))
        if row["prev_hash"] != prev:
            problems.append(Problem(row["seq"], "broken_link", {}))
        if row_hash(row) != row["hash"]:
            problems.append(Problem(row["seq"], "edited", {}))
        expected_seq, prev = row["seq"] + 1, row["hash"]
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    last_seq = expected_seq - 1
    if head is None and count:
        problems.append(Problem(None, "no_head", {}))
    elif head is not None and (head.seq != last_seq or head.hash != prev):
        problems.append(Problem(None, "head_mismatch", {"head": head.seq, "last": last_seq}))
    return count, problems


class ExportError(DQError):
    """The audit log cannot be exported to the file asked for."""


def export(conn: Connection, path: Path) -> int:
    """Write the log to `path` (.xlsx or .csv); returns the number of rows written."""
    suffix = path.suffix.lower()
    writers = {".csv": _export_csv, ".xlsx": _export_xlsx}
    if suffix not in writers:
        raise ExportError("audit.export_format", file=str(path))
    data = list(rows(conn))
    writers[suffix](data, path)
    return len(data)


def _export_csv(data: list[dict[str, Any]], path: Path) -> None:
    # utf-8-sig so Excel opens the Chinese text correctly; formulas defused as in xlsx exports.
    with atomic_open(path, "w", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(EXPORT_COLUMNS)
        for row in data:
            w.writerow([_csv_cell(row.get(c)) for c in EXPORT_COLUMNS])


def _csv_cell(value: Any) -> Any:
    from dataquality.safe_text import csv_value

    return csv_value(value)


def _export_xlsx(data: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    from dataquality.xlsx import put

    wb = Workbook()
    ws = wb.active
    ws.title = "audit"
    ws.append(list(EXPORT_COLUMNS))
    for r, row in enumerate(data, start=2):
        for c, name in enumerate(EXPORT_COLUMNS, start=1):
            put(ws.cell(row=r, column=c), row.get(name))
    ws.freeze_panes = "A2"
    with atomic_path(path) as tmp:
        wb.save(tmp)
