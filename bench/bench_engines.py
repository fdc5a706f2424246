"""Every rule on a generated product master, per engine: python bench/bench_engines.py [ROWS] [--pg URL] [--spark].

Engines: pandas (the reference), DuckDB (in-process, the table handed over as Arrow), PostgreSQL
(the table loaded first with COPY, then checked where it lives with `--source`), Spark (local[2],
needs the 'spark' extra and Java). Each prints wall time, this process's CPU seconds, its peak
memory, and whether its issues equal pandas' (rule, field, key, severity, value; rows too where
the engine sees Excel rows).
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_groups import synthetic_products  # noqa: E402

from dataquality.config import Config  # noqa: E402
from dataquality.pipeline import validate  # noqa: E402

SAME = ("rule", "field", "key", "severity", "value", "fixed_value")


def _keys(issues, fields=SAME) -> list:
    return sorted(repr(tuple(getattr(i, f) for f in fields)) for i in issues)


def _descendants_cpu() -> float:
    """CPU seconds of this process's living descendants (Spark's JVM), from /proc; 0 elsewhere."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    me, total = os.getpid(), 0.0
    for pid in cpu:
        p = parent.get(pid)
        while p and p != me:
            p = parent.get(p)
        if p == me:
            total += cpu[pid]
    return total


def _timed(label: str, fn):
    wall, cpu, child = time.perf_counter(), time.process_time(), _descendants_cpu()
    out = fn()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    used = time.process_time() - cpu
    extra = _descendants_cpu() - child
    jvm = f" (+{extra:.1f} s in child processes)" if extra > 0.5 else ""
    print(f"{label:<34} wall {time.perf_counter() - wall:7.1f} s   cpu {used:7.1f} s{jvm}   peak rss {rss:7.0f} MB", flush=True)
    return out


def _same(found, reference, fields) -> str:
    return "not compared (--skip-pandas)" if reference is None else str(_keys(found, fields) == _keys(reference, fields))


def _sources_for(con, table):
    from dataquality.engines.sources import loaded_source

    return [loaded_source(con, table)]


def _load_postgres(url: str, table) -> None:
    import psycopg

    data = table.data
    buf = io.StringIO()
    data.to_csv(buf, index=False, header=False)
    buf.seek(0)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DROP TABLE IF EXISTS public.bench_products")
        conn.execute(f"CREATE TABLE public.bench_products ({', '.join(f'{c} text' for c in data.columns)})")
        with conn.cursor().copy("COPY public.bench_products FROM STDIN WITH (FORMAT csv)") as copy:
            while chunk := buf.read(1 << 20):
                copy.write(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--pg", help="PostgreSQL URL (SQLAlchemy syntax) to load the table into and check it there")
    parser.add_argument("--spark", action="store_true", help="also run on local Spark")
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    config = Config.load()
    table = synthetic_products(args.rows)
    print(f"rows: {len(table):,}, columns: {len(table.data.columns)}")
    reference = None
    if not args.skip_pandas:
        reference = _timed("pandas", lambda: validate([table], config))
        print(f"  -> {len(reference):,} issues")

    import ibis

    from dataquality.engines.runner import check_sources

    con = ibis.duckdb.connect()
    found = _timed("duckdb", lambda: check_sources(_sources_for(con, table), config))
    print(f"  -> {len(found):,} issues, same as pandas (with rows): {_same(found, reference, SAME + ('row',))}")
    if args.pg:
        from dataquality.pipeline import run

        _timed("postgres: COPY the table in", lambda: _load_postgres(args.pg, table))
        result = _timed("postgres: check where it lives", lambda: run(config, sources=(f"{args.pg}#public.bench_products",), source_entity="product"))
        print(f"  -> {len(result.issues):,} issues, same as pandas: {_same(result.issues, reference, SAME)}")
    if args.spark:
        from pyspark.sql import SparkSession

        session = _timed("spark: start local[2]", lambda: SparkSession.builder.master("local[2]").config("spark.driver.memory", "3g").getOrCreate())
        scon = ibis.pyspark.connect(session)
        found = _timed("spark", lambda: check_sources(_sources_for(scon, table), config))
        print(f"  -> {len(found):,} issues, same as pandas (with rows): {_same(found, reference, SAME + ('row',))}")


if __name__ == "__main__":
    main()
