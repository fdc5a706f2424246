"""Where the engine keeps the run's derived table between its queries.

The derived table (engines/runner.py `_narrow`) is computed once and read by every record rule and
by the failing-rows query. Ibis's `cache()` makes it a temporary table; on DuckDB that table lives
in memory, and what exceeds the memory limit is spilled to the temp folder uncompressed (about
160 bytes a row for a product master: 16 GB at 100M rows). On DuckDB the table is written instead
into a database file of its own in the spill folder, compressed as DuckDB stores tables (about
2.5× smaller), and read back through the same buffer pool, so memory stays within the limit.
The look-up tables of values computed in Python (engines/derived.py: a field's unusual distinct
values) are written into the same file, a slice at a time. The file is removed when the run's
tables are released; a file left by a process that was killed is removed by the next run that
keeps a table in the same folder. Other engines keep Ibis's cache and memtables.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir
import pyarrow as pa

CATALOG = "dq_kept"
_FILE = re.compile(r"^dq-kept-(\d+)-\d+\.duckdb(\.wal)?$")
_names = itertools.count()


def keep(t: ir.Table) -> ir.Table:
    """`t` computed now and kept for the run's queries (release it with `release`)."""
    con = t._find_backend()
    if con.name != "duckdb":
        return t.cache()
    _attach(con)
    name = f"derived_{os.getpid()}_{next(_names)}"
    return con.create_table(name, t, database=f"{CATALOG}.main")


def stored(con: Any, chunks: Iterable[pa.Table]) -> ir.Table:
    """A DuckDB table in the kept file holding `chunks` (a look-up table computed in Python, one
    slice of distinct values at a time): written as it is made, so that no more than one slice of
    it is held in Python. It goes with the kept file (`release`, `forget`)."""
    _attach(con)
    name = f"lookup_{os.getpid()}_{next(_names)}"
    raw = con.con
    for i, chunk in enumerate(chunks):
        view = f"__dq_chunk_{name}"
        raw.register(view, chunk)
        try:
            verb = f"CREATE TABLE {CATALOG}.main.{name} AS" if i == 0 else f"INSERT INTO {CATALOG}.main.{name}"
            raw.execute(f"{verb} SELECT * FROM {view}").fetchall()
        finally:
            raw.unregister(view)
    return con.table(name, database=(CATALOG, "main"))


def release(t: ir.Table) -> None:
    """Drop a table `keep` made; on DuckDB, the kept file (and its look-up tables) goes with the last of them."""
    con = t._find_backend()
    if con.name != "duckdb":
        t.release()
        return
    con.drop_table(t.op().name, database=f"{CATALOG}.main", force=True)
    if not _sql(con, f"SELECT 1 FROM duckdb_tables() WHERE database_name = '{CATALOG}' AND table_name LIKE 'derived%'"):
        _detach(con)


def forget(con: Any) -> None:
    """The kept file removed whatever it holds (a run that stopped before or while keeping its table).

    Called while the run's own error may be on its way out: a connection DuckDB has invalidated
    (a fatal error) cannot detach, and that must not hide the error; the file is then a stale one,
    removed by the next run (`_remove_stale`)."""
    if getattr(con, "name", None) != "duckdb":
        return
    with contextlib.suppress(duckdb.FatalException, duckdb.ConnectionException):
        _detach(con)


def _attached(con: Any) -> Path | None:
    rows = _sql(con, f"SELECT path FROM duckdb_databases() WHERE database_name = '{CATALOG}'")
    return Path(rows[0][0]) if rows else None


def _attach(con: Any) -> None:
    if _attached(con) is not None:
        return
    folder = Path(_sql(con, "SELECT current_setting('temp_directory')")[0][0] or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    path = folder / f"dq-kept-{os.getpid()}-{next(_names)}.duckdb"
    _sql(con, f"ATTACH '{_quoted(path)}' AS {CATALOG}")


def _detach(con: Any) -> None:
    path = _attached(con)
    if path is None:
        return
    _sql(con, f"DETACH {CATALOG}")
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _remove_stale(folder: Path) -> None:
    """Kept files of processes that no longer run (a killed dq)."""
    for entry in folder.iterdir():
        found = _FILE.match(entry.name)
        if found is None or _alive(int(found.group(1))):
            continue
        with contextlib.suppress(OSError):
            entry.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would end the process, not probe it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _sql(con: Any, statement: str) -> list[tuple[Any, ...]]:
    """Run `statement` on DuckDB and read its result to the end (a result left open blocks the connection)."""
    return con.raw_sql(statement).fetchall()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
