"""Time the annotated workbook on a large product sheet:
python bench/annotate_bench.py 100000            (writes /tmp/dq-bench-products-N.xlsx once, then annotates it)
python bench/annotate_bench.py 100000 every-row  (worst case: one more warning on every row, so 100k comments)"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from make_products import main as make_products  # noqa: E402

from dataquality.config import Config  # noqa: E402
from dataquality.issue import Issue, Severity  # noqa: E402
from dataquality.pipeline import run  # noqa: E402
from dataquality.report import (  # noqa: E402
    ReportOptions,  # noqa: E402
    annotated_xlsx,
    html,
)


def bench(rows: int, every_row: bool = False) -> None:
    src = Path(f"/tmp/dq-bench-products-{rows}.xlsx")
    if not src.exists():
        make_products(rows, src)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    t0 = time.perf_counter()
    result = run(Config.load(), [src], "zh")
    if every_row:
        [table] = result.tables
        extra = [Issue(rule="FMT002", severity=Severity.WARNING, entity="product", file=src.name, sheet=table.sheet,
                       row=int(r), key=None, field="product_name", value="x", column="B") for r in table.data.index]
        result.issues.extend(extra)
    t1, c1 = time.perf_counter(), time.process_time()
    out = Path("/tmp/dq-bench-out")
    [written] = annotated_xlsx.write(result, ReportOptions(lang="zh", out=out))
    t2, c2 = time.perf_counter(), time.process_time()
    page = html.write(result, ReportOptions(lang="zh", out=out))
    t3 = time.perf_counter()
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before, "the input changed"
    print(f"{rows} rows, {len(result.issues)} issues: validate {t1 - t0:.1f}s, annotate {t2 - t1:.1f}s wall / {c2 - c1:.1f}s CPU "
          f"({written.stat().st_size / 1e6:.1f} MB), html {t3 - t2:.1f}s ({page.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, "every-row" in sys.argv[2:])
