"""Issue 26.4 and 27: every rule declares how it runs on a database engine (checks/forms.py), next to
the rule, and none of them runs Python once per row there."""

from __future__ import annotations

import duckdb
import ibis
import pytest
from engine_data import planted_tables, weird_pool

import dataquality.checks  # noqa: F401 - registers the rules
from dataquality.checks import forms
from dataquality.checks.registry import BUILTIN_ORIGIN, REGISTRY, active_rules
from dataquality.engines import runner
from dataquality.engines.sources import loaded_source
from dataquality.i18n import text

BUILTIN = [r for r in active_rules() if r.origin == BUILTIN_ORIGIN]
# The only rule of dataquality that stays in pandas, and why (its message says so in both languages).
PANDAS_ONLY = {"APR001": "approval"}


def test_every_registered_rule_has_an_engine_form() -> None:
    assert len(BUILTIN) > 50
    for rule in REGISTRY.values():
        assert isinstance(rule.engine, forms.EngineForm), rule.code
    undeclared = [r.code for r in BUILTIN if r.engine is forms.UNDECLARED]
    assert undeclared == [], "declare these rules' engine forms next to them (checks/forms.py)"


def test_pandas_only_rules_say_why_in_both_languages() -> None:
    only = {r.code: r.engine.reason for r in BUILTIN if r.engine.how == forms.PANDAS}
    assert only == PANDAS_ONLY
    for reason in {*only.values(), forms.UNDECLARED.reason}:
        en, zh = text(f"engine.why.{reason}", "en"), text(f"engine.why.{reason}", "zh")
        assert en and zh and en != zh and "engine.why" not in en
    with pytest.raises(ValueError):
        forms.pandas_only("")


def test_each_form_fits_its_rule() -> None:
    for rule in BUILTIN:
        form = rule.engine
        if rule.scope == "record":
            assert form.how == forms.SQL and form.rows is not None and form.needs is not None, rule.code
        elif rule.scope == "field" and rule.code != "CNV002":
            assert form.per_cell or form.rows is not None, rule.code
        elif rule.scope == "file":
            assert form.how in (forms.LOADER, forms.RUN, forms.READING), rule.code


def test_supplier_rules_run_in_the_database() -> None:
    for code in ("SUP001", "SUP002", "CUS002", "CUS003", "PRD003", "UNQ001"):
        assert REGISTRY[code].engine.how == forms.SQL and REGISTRY[code].engine.rows is not None


def test_a_plugin_rule_without_a_form_runs_in_pandas_and_says_so() -> None:
    from dataquality.checks.registry import _origin, field_rule, unregister

    _origin.append("dq-plugin-test")
    try:
        @field_rule("ZZZ901", "plugin-rule", applies=lambda f: False,
                    texts={p: {"en": "x", "zh": "x"} for p in ("title", "message", "hint")})
        def _plugin(v, t):  # pragma: no cover - never applies
            return v.raw.isna()
    finally:
        _origin.pop()
    try:
        assert REGISTRY["ZZZ901"].engine is forms.UNDECLARED
    finally:
        unregister("ZZZ901")


def test_no_rule_runs_python_per_row_on_duckdb(config, monkeypatch: pytest.MonkeyPatch) -> None:
    """On DuckDB every planted rule runs as SQL or on distinct values: no Python UDF is registered
    (DuckDB would call it once per row), and no rule of dataquality pulls its table into pandas."""
    registered: list[str] = []
    original = duckdb.DuckDBPyConnection.create_function

    def create_function(self, name, *args, **kwargs):
        registered.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "create_function", create_function)
    pulled: list[str] = []
    prepare = runner._prepare

    def watched(source, cfg):
        p = prepare(source, cfg)
        pulled.extend(plan.rule.code for plan, _ in p.pulled)
        return p

    monkeypatch.setattr(runner, "_prepare", watched)
    con = ibis.duckdb.connect()
    tables = planted_tables(5, weird_pool(40, seed=5), customers=300, products=1_500, suppliers=200)
    issues = runner.check_sources([loaded_source(con, t) for t in tables], config)
    assert {"SUP001", "SUP002", "PRD003", "UNQ001", "FMT001"} <= {i.rule for i in issues}
    assert registered == [], f"Python UDFs on DuckDB: {registered}"
    assert pulled == [], f"rules pulled into pandas: {pulled}"
    non_internal = con.raw_sql("SELECT function_name FROM duckdb_functions() WHERE NOT internal AND function_type = 'scalar'").fetchall()
    assert non_internal == []
