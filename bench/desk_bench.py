"""The import desk's timings (issue 24), on this machine, never as a timed test:

    python bench/desk_bench.py 100000            # 100,000 customers (gen_master.py, 17 columns)
    python bench/desk_bench.py 1048576 --windows 20 --edits 0   # the largest sheet Excel holds

It writes the master once (/tmp/dq-bench-desk-customers-N.xlsx), then through dataquality.desk as
`dq serve` does: upload (kept, read with the CLI's limits, checked, the grid's Parquet written) to
the first window of 100 rows; later windows (random pages, with and without filters) p50/p95;
cell edits to their re-checked row p50/p95. Targets: first window <= 10 s, window p95 <= 200 ms,
edit p95 <= 300 ms; the largest sheet opens on the rows with issues.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dataquality.approve import accounts, audit  # noqa: E402
from dataquality.approve.tiers import ApprovalPolicy  # noqa: E402
from dataquality.config import Config  # noqa: E402
from dataquality.desk import actions, intake  # noqa: E402
from dataquality.desk.grid import Filters  # noqa: E402
from dataquality.store import open_store  # noqa: E402

PASSWORD = "correct horse battery staple 2026"
TARGETS = {"first window": 10.0, "window p95": 0.200, "edit p95": 0.300}


def master(rows: int) -> Path:
    path = Path(f"/tmp/dq-bench-desk-customers-{rows}.xlsx")
    if not path.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_master.py"), "customer", str(rows), str(path)], check=True)
    return path


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", type=int, nargs="?", default=100_000)
    ap.add_argument("--windows", type=int, default=100)
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args()
    source = master(args.rows)
    config = Config.load()
    policy = ApprovalPolicy.load(config=config)
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        store = open_store(f"sqlite:///{state / 'dq.db'}")
        audit.bind_key(store.engine, secrets.token_bytes(32))
        admin = next(iter(policy.directory().people.values())).name
        accounts.add_user(store, policy, admin, ("admin", "clerk"), PASSWORD, bootstrap=True)
        clerk = accounts.authenticate(store, policy, admin, PASSWORD)

        t0 = time.perf_counter()
        with open(source, "rb") as fh:
            job, _ = intake.create(store, state, config, clerk, fh, source.name)
        bench = actions.bench_of(store, job, config)
        first = bench.window(0, 0, 100, Filters(with_issues=True), "zh")
        opened = time.perf_counter() - t0
        total = len(bench.tables[0])
        print(f"rows {total}, columns {len(bench.tables[0].data.columns)}, rows with issues {first['total']}")
        print(f"upload to first window (rows with issues): {opened:.2f} s")

        rng = random.Random(7)
        counts = bench.grid.issue_counts(0)
        rules = list(counts["rule"]) or [None]
        windows = []
        for n in range(args.windows):
            filters = Filters() if n % 2 == 0 else Filters(rule=rng.choice(rules))
            offset = rng.randrange(0, max(1, total - 100)) if n % 2 == 0 else 0
            t = time.perf_counter()
            bench.window(0, offset, 100, filters, "zh")
            windows.append(time.perf_counter() - t)
        print(f"window of 100 rows: p50 {p(windows, 50) * 1000:.0f} ms, p95 {p(windows, 95) * 1000:.0f} ms")

        edits = []
        rows = list(bench.tables[0].data.index)
        field = "customer_name" if "customer_name" in bench.tables[0].data.columns else bench.tables[0].data.columns[0]
        for n in range(args.edits):
            row = rng.choice(rows)
            t = time.perf_counter()
            actions.edit_cell(store, config, clerk, job, bench.tables[0].sheet, int(row), field, f"基准测试公司{n}")
            edits.append(time.perf_counter() - t)
        if edits:
            print(f"cell edit to its re-checked row: p50 {p(edits, 50) * 1000:.0f} ms, p95 {p(edits, 95) * 1000:.0f} ms")
        measured = {"first window": opened, "window p95": p(windows, 95), "edit p95": p(edits, 95) if edits else 0.0}
        for name, limit in TARGETS.items():
            print(f"{name}: {measured[name]:.3f} s (target {limit} s) {'PASS' if measured[name] <= limit else 'FAIL'}")
        bench.close()
        store.close()
    os._exit(0)


if __name__ == "__main__":
    main()
