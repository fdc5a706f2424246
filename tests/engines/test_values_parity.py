"""Values as a person reads them (issue 22) give the same issues on the Ibis engine as on pandas:
the engine reads each column's distinct values (the decimal separator, the date order and the
phone region are decided on them) and the row's country with each phone number."""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from builders import customer, product
from engine_data import FIELDS, issue_keys
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg import fresh_postgres_database

from dataquality.engines.runner import check_sources
from dataquality.engines.sources import loaded_source
from dataquality.load.table import TEXT, Table
from dataquality.pipeline import run, validate

PRICES = ["¥1,200.00", "12.50元", "1,200 RMB", "USD 30", "$12.50", "15%", "12.5万", "（300.00）", "€8", "12abc", "US$ 4.5",
          "1,200.00-", "CNY 100", "12.5", "1,200", "1.2亿", "(3)", None]
EUROPEAN = ["1.200,50", "12,5", "1.200", "8", "3,75 €", "1.234.567,8", "0,5", "x"]
CURRENCIES = ["CNY", "人民币", "USD", "美元", "EUR", "JPY", "HKD", None, "$"]
DATES = ["2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "5-Mar-2024", "March 5, 2024", "2024-03-05T10:30:00Z",
         "05/03/2024", "25/03/2024", "03/27/2024", "45356", "2024-02-30", None]
PHONES = ["13812345678", "+86 138 1234 5678", "(021)61234567", "(206) 555-0100", "(425) 555-0199", "212-555-0143",
          "555-0100", "020 7946 0958", "+1 650 253 0000", "1381234567", None]
COUNTRIES = ["US", "美国", "United Kingdom", "中国", None, None, "Amerika", "DE"]
ALL_RULES = {"TYP001", "TYP003", "TYP007", "TYP008", "IDN003", "IDN004", "IDN007", "RNG001"}


def _tables(seed: int, rows: int = 400) -> list[Table]:
    rng = np.random.default_rng(seed)

    def pick(pool: list, n: int) -> list:
        return [pool[i] for i in rng.integers(0, len(pool), n)]

    cus = pd.DataFrame([customer(i) for i in range(1, rows + 1)])
    cus["created_on"] = pick(DATES, rows)
    cus["phone"] = pick(PHONES, rows)
    cus["country"] = pick(COUNTRIES, rows)
    prd = pd.DataFrame([product(i) for i in range(1, rows + 1)])
    prd["list_price"] = pick(PRICES, rows)
    prd["cost_price"] = pick(EUROPEAN, rows)
    prd["currency"] = pick(CURRENCIES, rows)
    return [_table("customer", cus), _table("product", prd)]


def _table(entity: str, data: pd.DataFrame) -> Table:
    data = data.astype(object).where(data.notna(), None)
    data.index = pd.RangeIndex(2, len(data) + 2, name="row")
    for c in data.columns:
        data[c] = data[c].map(lambda x: None if x is None else str(x)).astype(TEXT)
    letters = {c: chr(ord("A") + i) for i, c in enumerate(data.columns)}
    return Table(entity, Path(f"{entity}.xlsx"), entity, 1, data, letters, {c: c for c in data.columns})


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_written_values_give_the_same_issues_on_duckdb(config, seed: int) -> None:
    tables = _tables(seed)
    reference = validate(tables, config)
    assert ALL_RULES <= {i.rule for i in reference}
    con = ibis.duckdb.connect()
    assert issue_keys(check_sources([loaded_source(con, t) for t in tables], config)) == issue_keys(reference)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest):
    yield from fresh_postgres_database(request)


@pytest.mark.postgres
def test_written_values_give_the_same_issues_on_a_postgres_source(pg_url: str, config) -> None:
    psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL engine needs psycopg: pip install '.[postgres]'")
    tables = _tables(5, rows=600)
    conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://")
    names = {"customer": "public.customer_master", "product": "public.product_master"}
    with psycopg.connect(conninfo) as conn:
        for t in tables:
            cols = list(t.data.columns)
            conn.execute(f'CREATE TABLE {names[t.entity]} ({", ".join(f"{c} text" for c in cols)})')
            with conn.cursor().copy(f'COPY {names[t.entity]} ({", ".join(cols)}) FROM STDIN') as copy:
                for rec in t.data.itertuples(index=False):  # test set-up: load the rows
                    copy.write_row([None if isinstance(v, float) else v for v in rec])
    reference = validate(tables, config)
    result = run(config, sources=tuple(f"{pg_url}#{n}" for n in names.values()))
    fields = tuple(f for f in FIELDS if f not in ("row", "related_rows"))  # a DB table numbers its rows by key
    assert ALL_RULES <= {i.rule for i in reference}
    assert issue_keys(result.issues, fields) == issue_keys(reference, fields)
