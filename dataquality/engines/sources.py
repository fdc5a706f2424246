"""Where the engine's tables come from: files read by dq's loader, Parquet, or a database table.

A database source is written `URL#schema.table` (or `URL#table`), e.g.
`postgresql+psycopg://dq:secret@db/erp#public.product_master` or `duckdb:///master.duckdb#main.product`.
Its columns are matched to fields by the same header names and aliases as a sheet's headers.
Rows of a database table are numbered 1.. in the order of the key, then the other fields, so the
numbering does not depend on the physical order in the database. Rows of a Parquet file read by
DuckDB are numbered in the file's order, as a person opening it sees them (and without sorting the
whole file, which at 100M rows would spill tens of GB).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from dataquality.config import Config, header_key
from dataquality.engines.runner import ROW, Source
from dataquality.errors import DQError, InputError
from dataquality.load import Table, load_file

ENGINES = ("pandas", "duckdb", "spark")


# DuckDB's memory limit when dq.yaml sets none: the engine spills to disk beyond it, so a run's
# memory stays flat however many rows (docs/scale.md).
MEMORY_LIMIT = "1GB"  # with Python's own share, 10M rows peak at about 1.3 GB (docs/scale.md)
# Every result dq reads is ordered by dq (or by an ORDER BY): DuckDB need not keep the insertion
# order, which lets its operators stream and spill with less memory (DuckDB's advice for big data).
DUCKDB_FIXED = {"preserve_insertion_order": False}
# Spark masters written as --source URLs (before '#'): a cluster, YARN, Kubernetes, local threads,
# or `spark:session`, the session already running in this process (a notebook, spark-submit).
SPARK_MASTERS = ("spark://", "yarn", "k8s://", "local", "spark:session", "sc://")


def connect(engine: str, settings: Mapping[str, str] | None = None) -> Any:
    """An in-process backend for files: DuckDB, or Spark when the 'spark' extra is installed."""
    if engine == "spark":
        return spark_connect(spark_master(settings or {}))
    return ibis.duckdb.connect(**duckdb_settings(settings or {}), **DUCKDB_FIXED)


def duckdb_settings(settings: Mapping[str, str]) -> dict[str, str]:
    """DuckDB's memory limit and spill folder: dq.yaml `engine:` (memory_limit, temp_directory), then
    DQ_DUCKDB_MEMORY_LIMIT and DQ_DUCKDB_TEMP_DIR, else 1GB and a folder under the system's temp (docs/scale.md)."""
    import tempfile

    limit = os.environ.get("DQ_DUCKDB_MEMORY_LIMIT") or settings.get("memory_limit") or MEMORY_LIMIT
    spill = os.environ.get("DQ_DUCKDB_TEMP_DIR") or settings.get("temp_directory") or os.path.join(tempfile.gettempdir(), "dq-duckdb-spill")
    return {"memory_limit": limit, "temp_directory": spill}


def spark_master(settings: Mapping[str, str]) -> str:
    """The Spark master for files: DQ_SPARK_MASTER, dq.yaml `engine.spark_master`, else the running session or local[2]."""
    return os.environ.get("DQ_SPARK_MASTER") or settings.get("spark_master") or "spark:session"


def spark_connect(master: str) -> Any:
    """An Ibis backend on Spark: the session running in this process (`spark:session`, else local[2]
    when there is none), or a new one on `master` (spark://host:7077, yarn, k8s://..., local[4])."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise InputError("engine.spark_missing") from exc
    session = SparkSession.getActiveSession() if master == "spark:session" else None
    if session is None:
        builder = SparkSession.builder.appName("dq").master("local[2]" if master == "spark:session" else master)
        # Group rules shuffle by their normalised key: as many partitions as the cluster has cores, not 200.
        session = builder.config("spark.sql.adaptive.enabled", "true").getOrCreate()
    return ibis.pyspark.connect(session)


def _arrow_text(table: Table) -> pa.Table:
    data = table.data
    arrays = {ROW: pa.array(data.index.to_numpy(dtype="int64"))}
    for name in data.columns:
        col = data[name]
        arrays[name] = pa.array(col.astype(object).where(col.notna(), None).to_numpy(dtype=object), type=pa.string())
    return pa.table(arrays)


def register(con: Any, data: pa.Table) -> ir.Table:
    """An Arrow table as an Ibis table on `con`: a temporary table (DuckDB, so its memory limit and
    spill folder apply), a session-scoped temporary view (Spark), else a memtable."""
    import uuid

    name = f"dq_input_{uuid.uuid4().hex[:12]}"
    if con.name == "duckdb":
        return con.create_table(name, data, temp=True)
    if con.name != "pyspark":
        return ibis.memtable(data)
    con._session.createDataFrame(data).createOrReplaceTempView(name)  # Arrow keeps NULLs (pandas would give NaN)
    return con.table(name)


def loaded_source(con: Any, table: Table) -> Source:
    """A Table read by dq's loader, handed to the engine (file-structure findings stay with it)."""
    return Source(table.entity, register(con, _arrow_text(table)), table.path, table.sheet, table.header_row,
                  dict(table.columns), loaded=table)


def file_sources(con: Any, paths: Sequence[Path], config: Config, lang: str) -> list[Source]:
    """Files through dq's loader (sheets, header detection, file-structure rules), then into the engine."""
    out: list[Source] = []
    for path in paths:
        path = Path(path)
        if path.suffix.lower() == ".parquet":
            out.append(parquet_source(con, path, config))
            continue
        for table in load_file(path, config, lang):
            t = register(con, _arrow_text(table))
            out.append(Source(table.entity, t, table.path, table.sheet, table.header_row, dict(table.columns), loaded=table))
    return out


def _match_columns(columns: Sequence[str], config: Config, entity: str | None, where: str) -> tuple[str, dict[str, str]]:
    """(entity, field -> column name) for a database table's or Parquet file's columns."""
    candidates = [config.schemas[entity]] if entity else list(config.schemas.values())
    best: tuple[int, str, dict[str, str]] | None = None
    for schema in candidates:
        index = schema.header_index()
        found: dict[str, str] = {}
        for col in columns:
            name = index.get(header_key(col))
            if name is not None and name not in found:
                found[name] = col
        score = len(found) + (2 if schema.key in found else 0)
        if found and (best is None or score > best[0]):
            best = (score, schema.name, found)
    if best is None:
        raise InputError("engine.no_fields", source=where)
    return best[1], best[2]


def _as_source(t: ir.Table, config: Config, entity: str | None, where: str, path: Path, sheet: str | None,
               position: str | None = None) -> Source:
    """`t`'s matched columns as text, with ROW: 1 + the column `position` (the file's own order), or
    else the rank in the order of the key, then the other fields."""
    entity, found = _match_columns([c for c in t.columns if c != position], config, entity, where)
    schema = config.schemas[entity]
    text = {name: t[col].cast("string") for name, col in found.items()}
    if position is not None:
        numbered = t.mutate(**{ROW: t[position].cast("int64") + 1})
    else:
        order = [text[schema.key]] if schema.key in text else []
        order += [text[n] for n in sorted(text) if n != schema.key]
        numbered = t.mutate(**{ROW: ibis.row_number().over(order_by=order) + 1})
    view = numbered.select(numbered[ROW].cast("int64").name(ROW), **{n: numbered[c].cast("string") for n, c in found.items()})
    return Source(entity, view, path, sheet, 0, dict(found))


def parquet_source(con: Any, path: Path, config: Config, entity: str | None = None) -> Source:
    if not path.is_file():
        raise InputError("engine.unreadable", source=str(path), problem="not found")
    try:
        t = con.read_parquet(str(path))
        position = None
        if con.name == "duckdb" and _POSITION not in t.columns:  # DuckDB numbers a file's rows as it reads them
            t, position = con.read_parquet(str(path), file_row_number=True), _POSITION
    except Exception as exc:  # a file that is not Parquet
        raise InputError("engine.unreadable", source=str(path), problem=str(exc).splitlines()[0]) from exc
    return _as_source(t, config, entity, str(path), path, None, position)


_POSITION = "file_row_number"  # DuckDB's read_parquet(file_row_number=true): 0.. in the file's order


def split_source(spec: str) -> tuple[str, str | None, str]:
    """'URL#schema.table' -> (URL, schema or None, table)."""
    url, sep, name = spec.rpartition("#")
    if not sep or not url or not name:
        raise InputError("engine.bad_source", source=spec)
    schema, dot, table = name.rpartition(".")
    return url, (schema if dot else None), table


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def connect_url(url: str, settings: Mapping[str, str] | None = None) -> Any:
    """An Ibis backend for a database URL (postgresql[+driver]://, duckdb:///file) in SQLAlchemy's URL
    syntax, or a Spark master (spark://host:7077, yarn, local[2], spark:session) whose catalog holds the table."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url.startswith(SPARK_MASTERS):
        return spark_connect(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError("engine.bad_source", source=_redact(url)) from exc
    backend = parsed.get_backend_name()
    try:
        if backend in ("postgresql", "postgres"):
            query = dict(parsed.query)
            host = query.pop("host", None) or parsed.host or "localhost"
            port = int(query.pop("port", None) or parsed.port or 5432)
            return ibis.postgres.connect(host=str(host), port=port, user=parsed.username or None,
                                         password=parsed.password or None, database=parsed.database or None)
        if backend == "duckdb":
            return ibis.duckdb.connect(parsed.database or ":memory:", **duckdb_settings(settings or {}), **DUCKDB_FIXED)
    except Exception as exc:  # cannot connect: say where and why, no traceback
        raise InputError("engine.unreadable", source=_redact(url), problem=str(exc).strip().splitlines()[0]) from exc
    raise InputError("engine.bad_source", source=_redact(url))


def db_source(con: Any, spec: str, config: Config, entity: str | None) -> Source:
    """The table named after '#' in `spec`, read where it lives."""
    url, schema, table = split_source(spec)
    try:
        t = con.table(table, database=schema) if schema else con.table(table)
    except Exception as exc:
        raise InputError("engine.unreadable", source=f"{_redact(url)}#{schema + '.' if schema else ''}{table}",
                         problem=str(exc).strip().splitlines()[0]) from exc
    where = f"{schema + '.' if schema else ''}{table}"
    return _as_source(t, config, entity, where, Path(where), None)


def out_of_room(exc: Exception, config: Config) -> DQError | None:
    """A DQError for a database that ran out of disk or memory (None for any other error)."""
    said = str(exc)
    name = type(exc).__name__
    settings = duckdb_settings(config.engine_settings)
    if "No space left on device" in said or "ENOSPC" in said or "DiskFull" in name:
        return DQError("engine.disk_full", folder=settings["temp_directory"])
    if name == "OutOfMemoryException" or "Out of Memory" in said:
        return DQError("engine.out_of_memory", limit=settings["memory_limit"], folder=settings["temp_directory"])
    return None
