#!/usr/bin/env python3
"""dq per engine on a big Parquet product master against a hand-written DuckDB query (issue 27).

usage:  python bench/bench_scale.py [--rows 1000000 10000000] [--engines duckdb postgres spark]
                                    [--pg URL] [--cache DIR] [--memory-limit 1GB] [--hand-memory-limit 4GB]
        python bench/run.py --only engines      (1M and 10M rows on DuckDB)

For each size it writes the master once (bench/parquet_master.py: the shared generator's product
rows in chunks, codes of 8 digits, 0.1 % planted defects) and the matching schema copy, then runs,
each in its own process so that its peak memory is its own:
  - the hand-written query: one DuckDB SQL statement over the Parquet file doing the same checks
    dq does on these columns (code pattern and prefix, required fields, duplicate codes, unknown
    category and unit, one item under several codes, prices that are not numbers, price below cost),
    returning the failing rows;
  - `dq validate FILE --engine duckdb --entity product` (and `--source` on PostgreSQL after a COPY,
    `--engine spark` on local[2] when asked).
It prints wall time, peak RSS (the child's ru_maxrss) and the ratio to the hand-written query.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import parquet_master  # noqa: E402

# The checks dq runs on these columns, written by hand: the failing rows of each, counted.
HAND_QUERY = r"""
WITH c AS (
  SELECT row_number() OVER () AS r, upper(trim(内部编码)) AS code, trim(品名) AS name, trim(规格型号) AS spec,
         trim(类别) AS cat, trim(单位) AS unit, 标准售价 AS price, 标准成本 AS cost
  FROM read_parquet('{path}')
), failing AS (
  SELECT r FROM c WHERE code IS NULL OR code = '' OR NOT regexp_full_match(code, '(FG|SF|RM)[0-9]{{8}}')
  UNION ALL SELECT r FROM c WHERE name IS NULL OR name = '' OR spec IS NULL OR spec = ''
  UNION ALL SELECT r FROM c WHERE cat NOT IN ('FG', 'SF', 'RM', '成品', '半成品', '原材料', '原料')
  UNION ALL SELECT r FROM c WHERE unit NOT IN ('PCS', 'SET', 'KG', 'M', 'L', 'BOX', 'G', '个', '套', '千克', '米', '升', '箱', '克')
  UNION ALL SELECT r FROM c WHERE regexp_full_match(code, '(FG|SF|RM)[0-9]{{8}}')
                              AND substr(code, 1, 2) <> CASE cat WHEN '成品' THEN 'FG' WHEN '半成品' THEN 'SF'
                                                                 WHEN '原材料' THEN 'RM' ELSE cat END
  UNION ALL SELECT r FROM c WHERE price IS NOT NULL AND TRY_CAST(replace(price, ',', '') AS DOUBLE) IS NULL
  UNION ALL SELECT r FROM c WHERE TRY_CAST(price AS DOUBLE) < TRY_CAST(cost AS DOUBLE)
  UNION ALL SELECT r FROM c SEMI JOIN (SELECT code FROM c GROUP BY code HAVING count(*) > 1) d USING (code)
  UNION ALL SELECT r FROM c SEMI JOIN (SELECT lower(name) AS n, lower(spec) AS s, unit AS u FROM c WHERE code IS NOT NULL
                                       GROUP BY ALL HAVING min(code) <> max(code)) g
                            ON lower(c.name) = g.n AND lower(c.spec) = g.s AND c.unit = g.u
)
SELECT count(*) AS findings, count(DISTINCT r) AS rows FROM failing
"""

HAND_SCRIPT = """
import duckdb, sys, time
con = duckdb.connect(config={{"memory_limit": "{limit}", "temp_directory": "{tmp}"}})
print(con.execute(sys.argv[1]).fetchall())
"""


# A child's ru_maxrss starts from the memory of the process that forked it (Linux records the
# forking process's high-water mark at exec, and subprocess forks with vfork): this process may
# hold a large master it has just written, so each measured command is started by a small Python
# in between, which reports the command's own peak (RUSAGE_CHILDREN).
_LAUNCH = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)\n"
)


def _measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str, int]:
    """(wall seconds, peak RSS in MB, last line of output, exit code) of a child process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _LAUNCH, *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=env, text=True)
    wall = time.perf_counter() - start
    lines = [ln for ln in done.stdout.strip().splitlines() if ln.strip()]
    peak = [ln for ln in lines if ln.startswith("PEAK_KB ")]
    if not peak:
        return wall, float("nan"), lines[-1] if lines else "", done.returncode or 1
    _, kb, code = peak[-1].split()
    lines = [ln for ln in lines if not ln.startswith("PEAK_KB ")]
    return wall, int(kb) / 1024, lines[-1] if lines else "", int(code)


def _dq() -> list[str]:
    return [sys.executable, "-m", "dataquality"]


def _master(rows: int, cache: Path) -> tuple[Path, Path]:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"products-{rows}.parquet"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr, flush=True)
        parquet_master.write(rows, path)
    schemas = parquet_master.schema_dir(cache / "schemas-8-digit-codes")
    return path, schemas


def _hand(path: Path, limit: str, tmp: Path) -> tuple[float, float, str, int]:
    return _measured([sys.executable, "-c", HAND_SCRIPT.format(limit=limit, tmp=tmp), HAND_QUERY.format(path=path)])


def _copy_to_postgres(path: Path, url: str) -> str:
    """The Parquet master as table public.bench_products (text columns); the --source spec."""
    import psycopg
    import pyarrow.parquet as pq

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    pf = pq.ParquetFile(path)
    cols = pf.schema_arrow.names
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS public.bench_products")
        conn.execute("CREATE TABLE public.bench_products (" + ", ".join(f'"{c}" text' for c in cols) + ")")
        with conn.cursor().copy("COPY public.bench_products FROM STDIN") as copy:
            for batch in pf.iter_batches(batch_size=100_000):
                for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):  # bench set-up only
                    copy.write_row(row)
        conn.execute("ANALYZE public.bench_products")
    return f"{url}#public.bench_products"


def run(rows_list: list[int], engines: list[str], cache: Path, pg: str | None, limit: str,
        hand_limit: str | None = None) -> list[dict]:
    results = []
    tmp = Path(tempfile.mkdtemp(prefix="dq-bench-spill-"))
    for rows in rows_list:
        path, schemas = _master(rows, cache)
        hand = _hand(path, hand_limit or limit, tmp)
        # A hand-written query that failed (out of memory at 100M rows and 1 GB) is no yardstick.
        base_wall = hand[0] if hand[3] == 0 else None
        print(f"{rows:>12,} hand-written DuckDB  wall {hand[0]:7.1f} s  peak {hand[1]:7.0f} MB  exit {hand[3]}  {hand[2][:160]}",
              flush=True)
        results.append({"rows": rows, "engine": f"hand-written DuckDB query ({hand_limit or limit})", "wall": hand[0],
                        "rss": hand[1], "out": hand[2], "ratio": 1.0 if base_wall else None, "exit": hand[3]})
        for engine in engines:
            base = [*_dq(), "validate", "--quiet", "--format", "json", "--schemas", str(schemas), "--fail-on", "never",
                    "--entity", "product", "-o", str(tmp / "out")]
            env = dict(os.environ, DQ_DUCKDB_MEMORY_LIMIT=limit, DQ_DUCKDB_TEMP_DIR=str(tmp))
            if engine == "postgres":
                if not pg:
                    continue
                spec = _copy_to_postgres(path, pg)
                cmd = [*base, "--source", spec]
            else:
                cmd = [*base, "--engine", engine, str(path)]
            got = _measured(cmd, env)
            issues = _issue_count(tmp / "out")
            ratio = got[0] / base_wall if base_wall else None
            print(f"{rows:>12,} dq --engine {engine:<9} wall {got[0]:7.1f} s  peak {got[1]:7.0f} MB  "
                  f"issues {issues}  exit {got[3]}  ratio {_ratio(ratio)}", flush=True)
            results.append({"rows": rows, "engine": engine, "wall": got[0], "rss": got[1], "issues": issues, "ratio": ratio,
                            "exit": got[3]})
    return results


def _issue_count(out: Path) -> str:
    import json

    found = sorted(out.glob("*.json"))
    if not found:
        return "?"
    data = json.loads(found[-1].read_text(encoding="utf-8"))
    issues = data.get("issues", data) if isinstance(data, dict) else data
    return f"{len(issues):,}" if isinstance(issues, list) else "?"


def _ratio(ratio: float | None) -> str:
    return f"{ratio:.1f}×" if ratio is not None else "–"


def table(results: list[dict]) -> str:
    lines = ["| rows | run | wall | peak RSS | issues | exit | × hand-written |", "|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['engine']} | {r['wall']:.1f} s | {r['rss']:,.0f} MB | {r.get('issues', '–')} | "
                     f"{r.get('exit', 0)} | {_ratio(r['ratio'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    p.add_argument("--engines", nargs="+", default=["duckdb"], choices=["duckdb", "postgres", "spark"])
    p.add_argument("--pg", help="PostgreSQL URL for --engines postgres (the master is copied into public.bench_products)")
    p.add_argument("--cache", type=Path, default=HERE / ".cache")
    p.add_argument("--memory-limit", default="1GB", help="DuckDB's memory limit for dq and the hand-written query")
    p.add_argument("--hand-memory-limit", help="the hand-written query's own limit (its window and DISTINCT do not all "
                                               "spill: at 100M rows it needs more than 1GB)")
    a = p.parse_args(argv)
    results = run(a.rows, a.engines, a.cache, a.pg, a.memory_limit, a.hand_memory_limit)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
