"""Shared helpers for the report tests: the demo run and synthetic issue lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from dataquality.config import Config
from dataquality.demo import write_demo
from dataquality.issue import Issue, Severity
from dataquality.pipeline import Result, run

ROOT = Path(__file__).resolve().parents[1]


def demo_result(folder: Path, config: Config, lang: str = "en") -> Result:
    """Write the demo workbooks into `folder` and check them."""
    return run(config, write_demo(folder), lang)


def many_issues(n: int) -> list[Issue]:
    """`n` issues over two sheets, three departments and three severities (for scale tests)."""
    sevs = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    depts = ["销售部", "财务部", "生产部"]
    return [
        Issue(rule=("FMT001", "ENM001", "REQ001")[i % 3], severity=sevs[i % 3], entity=("customer", "product")[i % 2],
              file="big.xlsx", sheet="客户主数据", row=i + 2, key=f"C{i:06d}", field="customer_code",
              value=f"v{i}", column="A", department=depts[i % 3])
        for i in range(n)
    ]


def rewritten(source: Path, target: Path, change: Callable[[str, bytes], bytes | None] = lambda name, data: data,
              add: Mapping[str, bytes] | None = None, rename: Mapping[str, str] | None = None) -> Path:
    """A copy of the zip (workbook) `source` at `target`: each part's bytes through change(name, data)
    (None leaves the part out), parts renamed by `rename`, and the parts of `add` added."""
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr((rename or {}).get(info.filename, info.filename), data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return target
