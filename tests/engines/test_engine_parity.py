"""Issues 15, 26 and 27: the Ibis engine gives exactly the pandas engine's issues, on DuckDB in every
run and on PostgreSQL where a server and psycopg are available (Spark: opt-in), on planted masters
and on many hypothesis-generated ones."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import ibis
import pytest
from engine_data import FIELDS, issue_keys, planted_tables, weird_pool, weird_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg import fresh_postgres_database

from dataquality.demo import write_demo
from dataquality.engines.runner import check_sources
from dataquality.engines.sources import loaded_source
from dataquality.load.table import Table
from dataquality.pipeline import run, validate

# Every rule the planted tables must trigger, so a parity that holds because nothing is found cannot pass.
PLANTED_RULES = {
    "REQ001", "REQ002", "TYP001", "TYP003", "TYP004", "FMT001", "FMT002", "FMT003", "FMT004", "FMT005", "ENM001",
    "RNG001", "UNQ001", "IDN001", "IDN002", "IDN003", "IDN004", "IDN005", "REF001",
    "CUS001", "CUS002", "CUS003", "PRD001", "PRD002", "PRD003", "PRD004", "PRD005", "SUP001", "SUP002",
}
# Enough generated masters to matter: each one a small customer, product and supplier master (190
# records) with hypothesis' strings planted in about a tenth of the cells, so one example is a few
# hundred planted values. The suite's run keeps within CI's time (a PostgreSQL example costs ~9 s,
# a DuckDB one ~4 s); DQ_PARITY_EXAMPLES=200 runs a thorough pass (nightly, or before a release).
_MORE = int(os.environ.get("DQ_PARITY_EXAMPLES", "0"))
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
EXAMPLES = settings(max_examples=_MORE or 20, deadline=None, derandomize=True, suppress_health_check=_HEALTH)
PG_EXAMPLES = settings(max_examples=_MORE or 6, deadline=None, derandomize=True, suppress_health_check=_HEALTH)
small_masters = st.tuples(st.lists(weird_text, min_size=10, max_size=60), st.integers(0, 2**32 - 1))


def _small(pool: list[str], seed: int) -> list[Table]:
    return planted_tables(seed, pool, customers=40, products=120, suppliers=30, share=0.1)


def _duckdb_issues(tables: list[Table], config):
    con = ibis.duckdb.connect()
    return check_sources([loaded_source(con, t) for t in tables], config)


def test_demo_data_gives_the_same_issues_on_duckdb(tmp_path: Path, config) -> None:
    files = write_demo(tmp_path)
    reference = run(config, files)
    engine = run(config, files, engine="duckdb")
    assert reference.issues, "the demo data has planted problems"
    assert issue_keys(engine.issues) == issue_keys(reference.issues)
    assert engine.exit_code() == reference.exit_code() == 1


def test_planted_tables_give_the_same_issues_on_duckdb(config) -> None:
    tables = planted_tables(7, weird_pool(120, seed=71))
    reference = validate(tables, config)
    assert PLANTED_RULES <= {i.rule for i in reference}
    assert issue_keys(_duckdb_issues(tables, config)) == issue_keys(reference)


@EXAMPLES
@given(masters=small_masters)
def test_generated_masters_give_the_same_issues_on_duckdb(config, masters: tuple[list[str], int]) -> None:
    tables = _small(*masters)
    reference = validate(tables, config)
    assert reference, "planted problems are found"
    assert issue_keys(_duckdb_issues(tables, config)) == issue_keys(reference)


# --- PostgreSQL: the table is checked where it lives --------------------------------------------------

# A DB table has no Excel rows: rows are numbered by key, so compare everything but row identity.
DB_FIELDS = tuple(f for f in FIELDS if f not in ("row", "related_rows"))


@pytest.fixture
def pg_url(request: pytest.FixtureRequest):
    yield from fresh_postgres_database(request)


def _to_postgres(url: str, tables: list[Table], names: dict[str, str]) -> None:
    psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL engine needs psycopg: pip install '.[postgres]'")
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        for t in tables:
            cols = list(t.data.columns)
            conn.execute(f'CREATE TABLE {names[t.entity]} ({", ".join(f"{c} text" for c in cols)})')
            with conn.cursor().copy(f'COPY {names[t.entity]} ({", ".join(cols)}) FROM STDIN') as copy:
                for rec in t.data.itertuples(index=False):  # test set-up: load the planted rows
                    copy.write_row([None if isinstance(v, float) else v for v in rec])


@pytest.mark.postgres
def test_planted_tables_give_the_same_issues_on_a_postgres_source(pg_url: str, config) -> None:
    pool = weird_pool(80, seed=78)
    tables = planted_tables(7, pool, customers=1_000, products=5_000)
    names = {"customer": "public.customer_master", "product": "public.product_master", "supplier": "public.supplier_master"}
    _to_postgres(pg_url, tables, names)
    reference = validate(tables, config)
    result = run(config, sources=tuple(f"{pg_url}#{n}" for n in names.values()))
    assert PLANTED_RULES - {"PRD005"} <= {i.rule for i in reference}
    assert issue_keys(result.issues, DB_FIELDS) == issue_keys(reference, DB_FIELDS)
    # Each finding names its record by key, and a row number 1..n in key order.
    assert all(1 <= i.row <= 5_000 for i in result.issues if i.entity == "product")


@pytest.mark.postgres
@PG_EXAMPLES
@given(masters=small_masters)
def test_generated_masters_give_the_same_issues_on_postgres(pg_url: str, config, masters: tuple[list[str], int]) -> None:
    tables = _small(*masters)
    schema = f"s{uuid.uuid4().hex[:10]}"  # one database for all examples: a schema of its own each
    psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL engine needs psycopg: pip install '.[postgres]'")
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    names = {t.entity: f"{schema}.{t.entity}_master" for t in tables}
    _to_postgres(pg_url, tables, names)
    reference = validate(tables, config)
    result = run(config, sources=tuple(f"{pg_url}#{n}" for n in names.values()))
    assert issue_keys(result.issues, DB_FIELDS) == issue_keys(reference, DB_FIELDS)


@pytest.mark.postgres
def test_one_postgres_table_with_entity(pg_url: str, config) -> None:
    tables = planted_tables(3, ["", "\u3000", "ＦＧ１２３４５６"], customers=50, products=400, suppliers=0)[1:]
    _to_postgres(pg_url, tables, {"product": "product_master"})
    result = run(config, sources=(f"{pg_url}#product_master",), source_entity="product")
    assert issue_keys(result.issues, DB_FIELDS) == issue_keys(validate(tables, config), DB_FIELDS)


# --- Spark (opt-in: DQ_TEST_SPARK=1 with the 'spark' extra and a Java runtime) ----------------------


@pytest.mark.spark
@pytest.mark.skipif(os.environ.get("DQ_TEST_SPARK") != "1", reason="Spark parity is opt-in: DQ_TEST_SPARK=1 and pip install '.[spark]'")
def test_planted_tables_give_the_same_issues_on_spark(config) -> None:
    from pyspark.sql import SparkSession

    session = SparkSession.builder.master("local[2]").getOrCreate()
    con = ibis.pyspark.connect(session)
    tables = planted_tables(11, weird_pool(60, seed=107), customers=500, products=3_000, suppliers=300)
    sources = [loaded_source(con, t) for t in tables]
    assert issue_keys(check_sources(sources, config)) == issue_keys(validate(tables, config))
