"""Issue 27: the same rules through the same engine forms on Spark, in local mode with two executor
threads (opt-in: DQ_TEST_SPARK=1, pip install '.[spark]' and a Java runtime, see docs/scale.md)."""

from __future__ import annotations

import os

import pytest
from engine_data import FIELDS, issue_keys, planted_tables, weird_pool

from dataquality.checks import sql
from dataquality.pipeline import run, validate

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(os.environ.get("DQ_TEST_SPARK") != "1",
                       reason="Spark is opt-in: DQ_TEST_SPARK=1 with pip install '.[spark]' and Java 17"),
]
# A table of the session has no Excel rows: rows are numbered by key, so everything but row identity.
DB_FIELDS = tuple(f for f in FIELDS if f not in ("row", "related_rows"))


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pip install '.[spark]'")
    from dataquality.engines.sources import spark_connect

    con = spark_connect("local[2]")
    yield con
    con._session.stop()


def test_a_session_table_is_checked_where_it_lives(spark, config) -> None:
    """`--source spark:session#products`: the table of the running session, no file, same issues as pandas."""
    import pandas as pd

    tables = planted_tables(13, weird_pool(60, seed=131), customers=300, products=2_000, suppliers=200)
    names = {}
    for t in tables:
        frame = pd.DataFrame({c: t.data[c].astype(object).where(t.data[c].notna(), None) for c in t.data.columns})
        spark._session.createDataFrame(frame.astype(object), schema=", ".join(f"{c} string" for c in frame.columns)) \
            .createOrReplaceTempView(f"{t.entity}_master")
        names[t.entity] = f"spark:session#{t.entity}_master"
    reference = validate(tables, config)
    result = run(config, sources=tuple(names.values()))
    assert {"SUP001", "SUP002", "PRD003", "PRD005", "UNQ001", "IDN002"} <= {i.rule for i in result.issues}
    assert issue_keys(result.issues, DB_FIELDS) == issue_keys(reference, DB_FIELDS)
    assert spark._session.sparkContext._jsc is not None  # the caller's session is not stopped by dq


def test_group_rules_shuffle_by_the_normalised_key(spark) -> None:
    """The duplicate rules' GROUP BY runs on the executors, partitioned by the key (not collected to the driver)."""
    import ibis

    frame = spark._session.createDataFrame([(str(i), f"item {i % 50}", f"C{i}") for i in range(500)], "r string, name string, code string")
    frame.createOrReplaceTempView("dq_groups")
    t = spark.table("dq_groups")
    found = sql.group_conflicts(t, [sql.match_key(t.name)], t.code)
    plan = spark._session.sql(str(ibis.to_sql(found, dialect="pyspark")))._jdf.queryExecution().executedPlan().toString()
    assert "hashpartitioning(__gk0" in plan
    assert found.count().execute() == 500
