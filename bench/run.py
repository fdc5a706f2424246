#!/usr/bin/env python3
"""The performance benchmark of issue 12: every comparison, one table of ratios, targets and pass/fail.

usage:  python bench/run.py [--rows 200000] [--quick] [--repeat 3] [--cache DIR] [--only NAME ...]

Data comes from bench/gen_master.py (generated once, cached under DIR, default
$TMPDIR/dq-bench-cache). Every timing is a whole fresh process (start-up included); the bare
read is `fastexcel.read_excel(f).load_sheet(0).to_pandas()` of the same file, run interleaved
with `dq` (bare, dq, bare, dq, ...) and compared by medians. Peak memory is the child's maximum
resident set (os.wait4), compared with the bare read's peak of the same file (which holds the
loaded frame plus the interpreter).

--quick: 50,000 rows unless --rows is given, no 1M-row steps, one run of each side measurement
(the headline dq-vs-bare ratios stay medians of --repeat runs, at least 3).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GEN = HERE / "gen_master.py"
PY = sys.executable
BARE = ("import fastexcel, sys\n"
        "df = fastexcel.read_excel(sys.argv[1]).load_sheet(0).to_pandas()\n"
        "print(int(df.memory_usage(deep=True).sum()))\n")


@dataclass
class Run:
    seconds: float
    peak_mb: float
    code: int
    out: str = ""


@dataclass
class Row:
    name: str
    measured: str
    value: float | None
    target: float | None
    unit: str = "x"
    note: str = ""
    ok: bool | None = field(default=None)

    def verdict(self) -> str:
        if self.ok is not None:
            return "PASS" if self.ok else "FAIL"
        if self.value is None or self.target is None:
            return "-"
        return "PASS" if self.value <= self.target else "FAIL"


class BenchFailed(Exception):
    """A measured command did not run: the figures would be meaningless."""


def run(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Run:
    """One fresh process: wall time and peak RSS (of that child alone, via wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode not in (0, 1):
            sys.stderr.write(f"! {' '.join(map(str, argv))} exited {proc.returncode}:\n{err.read().decode('utf-8', 'replace')[-2000:]}\n")
            raise BenchFailed(f"{' '.join(map(str, argv[:4]))} ... exited {proc.returncode} (its error is above); nothing was measured")
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, text)


def dq(*args: object) -> list[str]:
    return [PY, "-m", "dataquality", *map(str, args)]


def bare(path: Path) -> list[str]:
    return [PY, "-c", BARE, str(path)]


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def peak(runs: list[Run]) -> float:
    return max(r.peak_mb for r in runs)


def interleaved(a: list[str], b: list[str], repeat: int, cwd: Path | None = None, before_b=None) -> tuple[list[Run], list[Run]]:
    """a, b, a, b ...: both sides see the same machine load (a command that fails stops the benchmark, see run)."""
    ra, rb = [], []
    for _ in range(repeat):
        ra.append(run(a, cwd))
        if before_b:
            before_b()
        rb.append(run(b, cwd))
    return ra, rb


_PROBE = """
import importlib.metadata as m, sys
import fastexcel, dataquality
missing = []
for name in sys.argv[1:]:
    try:
        m.version(name)
    except m.PackageNotFoundError:
        missing.append(name)
if missing:
    sys.exit("not installed: " + ", ".join(missing))
"""


def _requirements() -> list[str]:
    """The distribution names pyproject.toml's [project] dependencies ask for (what the checkout
    needs now: an editable install made before a dependency was added lacks it)."""
    import re
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as fh:
        wanted = tomllib.load(fh).get("project", {}).get("dependencies", [])
    return [re.split(r"[\s\[<>=!~;(]", req.strip(), maxsplit=1)[0] for req in wanted if req.strip()]


def _imports_project(python: str) -> str | None:
    """None when `python` imports fastexcel and dataquality and has every dependency pyproject.toml
    names installed, else the last line of what is wrong."""
    probe = subprocess.run([python, "-c", _PROBE, *_requirements()], capture_output=True, text=True)
    return None if probe.returncode == 0 else (probe.stderr.strip().splitlines() or ["import failed"])[-1]


def project_python(cache: Path) -> str:
    """An interpreter that runs this checkout: this one, a virtualenv beside it (.venv, venv,
    .venv-ci) or $DQ_BENCH_PYTHON, else one made once under the cache folder (pip install of the
    checkout in editable mode, so it follows the code; installed again when pyproject.toml names a
    dependency it lacks; about a minute with a warm pip cache). Exit 2 with one line when none can be had."""
    candidates = [os.environ.get("DQ_BENCH_PYTHON"), PY,
                  *(str(ROOT / v / "bin" / "python") for v in (".venv", "venv", ".venv-ci"))]
    made = cache / "python"
    candidates.append(str(made / "bin" / "python"))
    first_error = None
    for python in (c for c in candidates if c and Path(c).exists()):
        error = _imports_project(python)
        if error is None:
            return python
        first_error = first_error or f"{python}: {error}"
    print(f"  {PY} cannot import the project ({first_error}); installing it into {made} ...", flush=True)
    try:
        if not (made / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(made)], check=True)
        # (Again into an existing one: it follows the code, but not dependencies added since.)
        subprocess.run([str(made / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(ROOT)], check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"bench/run.py: cannot make a Python for the project ({exc}); install it with "
              f"pip install -e '.[test]' and run the benchmark with that Python.", file=sys.stderr)
        sys.exit(2)
    if _imports_project(str(made / "bin" / "python")) is not None:
        print(f"bench/run.py: {made} still cannot import the project; run pip install -e '.[test]'.", file=sys.stderr)
        sys.exit(2)
    return str(made / "bin" / "python")


def compile_project() -> None:
    """The checkout's bytecode, written as `pip install` writes it for an installed dq. An editable
    install reads the sources; where PYTHONDONTWRITEBYTECODE is set (as on the machine the targets
    are measured on) every dq command would otherwise compile its 70 modules again, about 0.2 s
    of CPU the bare read (its libraries compiled at install) does not pay. Python still checks
    each file against its source, so a changed module is never run from stale bytecode."""
    import compileall

    compileall.compile_dir(str(ROOT / "dataquality"), quiet=1)


class Data:
    """Generated workbooks, cached by their generator arguments."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        cache.mkdir(parents=True, exist_ok=True)

    def get(self, entity: str, rows: int, *extra: str) -> Path:
        tag = "".join(extra).replace("--", "-").replace(" ", "") or "-plain"
        path = self.cache / f"{entity}-{rows}{tag}.xlsx"
        if not path.exists():
            print(f"  generating {path.name} ...", flush=True)
            tmp = path.with_name(path.stem + ".tmp.xlsx")
            subprocess.run([PY, str(GEN), entity, str(rows), str(tmp), *extra], check=True, stdout=subprocess.DEVNULL)
            tmp.replace(path)
        return path


def human(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.a = args
        self.data = Data(args.cache)
        self.rows: list[Row] = []
        self.work = Path(tempfile.mkdtemp(prefix="dq-bench-"))
        self.validate_times: dict[int, float] = {}

    def add(self, row: Row) -> None:
        self.rows.append(row)
        value = "-" if row.value is None else f"{row.value:.2f}{row.unit}"
        target = "-" if row.target is None else f"<= {row.target:g}{row.unit}"
        print(f"  {row.name:<44} {value:>9} {target:>10}  {row.verdict():<4}  {row.measured}", flush=True)

    def out(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        return path

    # ------------------------------------------------------------------ the comparisons
    def validate_vs_bare(self, label: str, path: Path, fmt: str = "json", target: float = 1.5, memory: bool = False) -> float:
        out = self.out("validate")
        # --quiet with only the console format would print nothing: the console report is measured without it.
        cmd = dq("validate", path, "--format", fmt, "--out", out, *([] if fmt == "console" else ["--quiet"]))
        rb, rd = interleaved(bare(path), cmd, self.a.repeat)
        tb, td = median(rb), median(rd)
        self.add(Row(f"validate {label} ({fmt})", f"dq {td:.2f}s vs bare read {tb:.2f}s, median of {self.a.repeat}", td / tb, target))
        if memory:
            frame_mb = int(rb[0].out.strip().splitlines()[-1]) / 2**20
            self.add(Row(f"peak memory, validate {label}", f"dq {peak(rd):.0f} MB vs bare read {peak(rb):.0f} MB (frame {frame_mb:.0f} MB)",
                         peak(rd) / peak(rb), 3.0))
        return td

    def startup(self) -> None:
        for args in (["--version"], ["--help"]):
            runs = [run(dq(*args)) for _ in range(max(3, self.a.repeat))]
            self.add(Row(f"dq {args[0]}", f"median of {len(runs)}", median(runs), 0.3, unit="s"))

    def reports(self) -> None:
        """Each format's cost on top of validation: (validate + format) - (validate alone), paired per round."""
        n = 100_000
        path = self.data.get("product", n, "--pathological")
        formats = ("json", "html", "junit", "xlsx", "corrections")
        extra: dict[str, list[float]] = {f: [] for f in formats}
        base_times: list[float] = []
        issues = None
        for _ in range(self.side_repeat):
            base = run(dq("validate", path, "--quiet")).seconds
            base_times.append(base)
            for fmt in formats:
                out = self.out(f"report-{fmt}")
                r = run(dq("validate", path, "--format", fmt, "--out", out, "--quiet"))
                extra[fmt].append(r.seconds - base)
                if fmt == "json" and issues is None:
                    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
                    issues = report.get("summary", {}).get("total") or len(report.get("issues", []))
        tb = statistics.median(base_times)
        for fmt in formats:
            cost = statistics.median(extra[fmt])
            self.add(Row(f"report {fmt}, {human(n)} pathological", f"+{cost:.2f}s on {tb:.2f}s validation ({issues or '?'} issues)",
                         cost, 5.0, unit="s"))

    def fix(self) -> None:
        path = self.data.get("product", self.a.rows, "--canonical", "--fixable", "5000", "--defect-rate", "0")
        out = self.out("fix")
        out.mkdir()
        rv, rf = interleaved(dq("validate", path, "--format", "json", "--out", out / "v", "--quiet"),
                             dq("fix", path, "-o", out / "fixed.xlsx"), self.side_repeat)
        tv, tf = median(rv), median(rf)
        self.add(Row(f"fix {human(self.a.rows)}, 5000 fixable cells", f"fix {tf:.2f}s vs validate {tv:.2f}s", tf / tv, 2.0))
        rb = [run(bare(path))]
        self.add(Row(f"peak memory, fix {human(self.a.rows)}", f"fix {peak(rf):.0f} MB vs bare read {peak(rb):.0f} MB", peak(rf) / peak(rb), 3.0))

    def check(self) -> None:
        products = self.data.get("product", self.a.rows)
        customers = self.data.get("customer", 50_000)
        times = []
        for _ in range(self.side_repeat):
            project = self.out("project")
            subprocess.run(dq("init", project, "--lang", "en"), check=True, stdout=subprocess.DEVNULL)
            config = project / "dq.yaml"
            text = config.read_text(encoding="utf-8")
            text = text.replace("customer: [data/customers.xlsx]", f"customer: [{json.dumps(str(customers))}]")
            text = text.replace("product: [data/products.xlsx]", f"product: [{json.dumps(str(products))}]")
            config.write_text(text, encoding="utf-8")
            first = run(dq("check", "-c", config, "--quiet"))
            second = run(dq("check", "-c", config, "--quiet"))
            times.append((first.seconds, second.seconds))
        t1 = statistics.median(t[0] for t in times)
        t2 = statistics.median(t[1] for t in times)
        self.add(Row(f"check {human(self.a.rows)}+50k, second run", f"second {t2:.2f}s vs first {t1:.2f}s", t2 / t1, 1.3))

    def changes(self) -> None:
        base = self.data.get("product", self.a.rows)
        new = self.data.get("product", self.a.rows, "--mutate", "0.01")
        work = self.out("changes")
        work.mkdir()
        (work / ".dq").mkdir()  # --state-dir names an existing folder (dq refuses to guess a new one)
        rv, rc = interleaved(dq("validate", base, "--format", "json", "--out", work / "v", "--quiet"),
                             dq("changes", "show", new, "--baseline", base, "--format", "json", "--state-dir", work / ".dq"),
                             self.side_repeat, cwd=work)
        tv, tc = median(rv), median(rc)
        self.add(Row(f"changes show {human(self.a.rows)}, 1% changed", f"changes {tc:.2f}s vs validate {tv:.2f}s", tc / tv, 2.0))

    def linearity(self, sizes: list[int]) -> None:
        times = {}
        for n in sizes:
            path = self.data.get("product", n)
            if n in self.validate_times:
                times[n] = self.validate_times[n]
                continue
            out = self.out("lin")
            times[n] = median([run(dq("validate", path, "--format", "json", "--out", out, "--quiet")) for _ in range(self.side_repeat)])
        steps = []
        worst = 0.0
        for a, b in zip(sizes, sizes[1:], strict=False):
            growth = (times[b] / times[a]) / (b / a)  # 1.0 = exactly linear, < 1 = start-up cost amortised
            worst = max(worst, growth)
            steps.append(f"{human(a)}->{human(b)}: x{times[b] / times[a]:.1f} for x{b / a:g} rows")
        per_row = ", ".join(f"{human(n)} {times[n]:.2f}s" for n in sizes)
        self.add(Row("linearity (time growth / row growth, worst)", f"{per_row}; " + "; ".join(steps), worst, 1.2))

    # ------------------------------------------------------------------ driver
    @property
    def side_repeat(self) -> int:
        return 1 if self.a.quick else self.a.repeat

    def main(self) -> None:
        only = set(self.a.only or [])

        def want(name: str) -> bool:
            return not only or name in only

        rows = self.a.rows
        print(f"dq benchmark: {human(rows)} rows, repeat {self.a.repeat}, data in {self.data.cache}", flush=True)
        if want("startup"):
            self.startup()
        if want("validate"):
            p = self.data.get("product", rows)
            self.validate_times[rows] = self.validate_vs_bare(f"products {human(rows)}", p, memory=True)
            c = self.data.get("customer", rows)
            self.validate_vs_bare(f"customers {human(rows)}", c, memory=True)
            patho = self.data.get("product", rows, "--pathological")
            self.validate_vs_bare(f"pathological {human(rows)}", patho, "json", 3.0, memory=True)
            self.validate_vs_bare(f"pathological {human(rows)}", patho, "console", 3.0)
        if want("million") and not self.a.quick:
            p = self.data.get("product", 1_000_000)
            self.validate_times[1_000_000] = self.validate_vs_bare("products 1M", p, memory=True)
        if want("reports"):
            self.reports()
        if want("fix"):
            self.fix()
        if want("check"):
            self.check()
        if want("changes"):
            self.changes()
        if "engines" in only:  # minutes of data generation: only when asked for by name
            self.engines()
        if want("linearity"):
            sizes = [10_000, 100_000, rows] if rows > 100_000 else [10_000, rows]
            if not self.a.quick:
                sizes.append(1_000_000)
            self.linearity(sorted(set(sizes)))
        self.table()
        shutil.rmtree(self.work, ignore_errors=True)

    def engines(self) -> None:
        """Issue 27: dq per engine on a Parquet master against a hand-written DuckDB query (bench_scale.py)."""
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_scale

        engines = ["duckdb", *(["postgres"] if self.a.pg else []), *(["spark"] if self.a.spark else [])]
        found = bench_scale.run(self.a.engine_rows, engines, Path(self.data.cache), self.a.pg, "2GB")
        print(bench_scale.table(found), flush=True)
        for r in found:
            if r["engine"].startswith("hand-written"):
                continue
            label = f"{r['engine']} {human(r['rows'])} (Parquet) vs hand-written DuckDB"
            ratio = r["ratio"] if r["ratio"] is not None else float("nan")  # the hand-written query failed
            self.add(Row(label, f"{r['wall']:.1f} s, {r['issues']} issues, exit {r['exit']}", ratio, 5.0))
            self.add(Row(f"{r['engine']} {human(r['rows'])} peak memory", f"{r['rss']:.0f} MB", r["rss"] / 1024, 2.0, " GB"))

    def table(self) -> None:
        print()
        print("| measurement | value | target | result | detail |")
        print("|---|---:|---:|---|---|")
        for r in self.rows:
            value = "-" if r.value is None else f"{r.value:.2f}{r.unit}"
            target = "-" if r.target is None else f"<= {r.target:g}{r.unit}"
            print(f"| {r.name} | {value} | {target} | {r.verdict()} | {r.measured} |")
        failed = [r for r in self.rows if r.verdict() == "FAIL"]
        print(f"\n{len(self.rows) - len(failed)} of {len(self.rows)} at or under target" + (f"; over: {', '.join(r.name for r in failed)}" if failed else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=None, help="Rows of the main files (default 200000; 50000 with --quick).")
    p.add_argument("--quick", action="store_true", help="Smaller data, single side runs, no 1M-row steps.")
    p.add_argument("--repeat", type=int, default=3, help="Runs per side of each dq-vs-bare comparison (at least 3).")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dq-bench-cache", help="Where generated data is kept.")
    p.add_argument("--only", nargs="*", choices=["startup", "validate", "million", "reports", "fix", "check", "changes", "linearity",
                                                  "engines"],
                   help="Run only these comparisons (engines: only when named; 1M and 10M Parquet rows, see bench_scale.py).")
    p.add_argument("--engine-rows", type=int, nargs="+", default=[1_000_000, 10_000_000],
                   help="Rows of the Parquet masters of --only engines (100000000 on request).")
    p.add_argument("--pg", help="--only engines: also PostgreSQL at this URL (the master copied in with COPY).")
    p.add_argument("--spark", action="store_true", help="--only engines: also Spark (local[2]; the 'spark' extra).")
    a = p.parse_args()
    a.repeat = max(3, a.repeat)
    if a.rows is None:
        a.rows = 50_000 if a.quick else 200_000
    python = project_python(Path(a.cache))
    if python != PY:  # measure with the interpreter that has the project (same arguments)
        os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])
    compile_project()
    try:
        Bench(a).main()
    except BenchFailed as exc:
        print(f"bench/run.py: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
