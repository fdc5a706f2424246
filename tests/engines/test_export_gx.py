"""Issue 15: Great Expectations runs dq's exported suite on dq's cleaned values and fails the same rows."""

from __future__ import annotations

import json
from collections import defaultdict

import pandas as pd
import pytest
from engine_data import planted_tables, weird_pool

from dataquality.export import cleaned_frame, gx_suite
from dataquality.pipeline import validate

gx = pytest.importorskip("great_expectations")


def _suite(data: dict):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    configs = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta")).to_domain_obj() for e in data["expectations"]]
    return gx.ExpectationSuite(name=data["name"], expectations=configs)


def _gx_failures(frame: pd.DataFrame, suite) -> dict[tuple[str, str], set[int]]:
    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("dq").add_dataframe_asset("cleaned")
             .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame}))
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"]})
    out: dict[tuple[str, str], set[int]] = {}
    for r in result.results:
        meta = r.expectation_config.meta
        out[(meta["dq_rule"], meta["field"])] = {int(u["row"]) for u in r.result.get("unexpected_index_list") or []}
    return out


@pytest.mark.parametrize("entity", ["customer", "product"])
def test_gx_fails_the_rows_dq_fails(config, entity: str) -> None:
    tables = [t for t in planted_tables(21, weird_pool(60, seed=39), customers=1_500, products=2_500) if t.entity == entity]
    data, skipped = gx_suite(config, entity)
    data = json.loads(json.dumps(data))  # what `dq export gx` writes, read back
    assert {"IDN001", "IDN002"} & set(skipped) and "REQ001" not in skipped
    found = _gx_failures(cleaned_frame(tables, config), _suite(data))
    dq: dict[tuple[str, str], set[int]] = defaultdict(set)
    for issue in validate(tables, config):
        # GX's pattern also fails what dq reports as a formatted number (FMT005) rather than FMT001.
        rule = "FMT001" if issue.rule == "FMT005" else issue.rule
        dq[(rule, issue.field or "")].add(issue.row)
    assert found, "the suite has expectations"
    assert sum(len(rows) for rows in found.values()) > 50, "the planted problems are found"
    # A cell showing an Excel error (#N/A) is TYP004's finding alone in dq; the exported check fails it too.
    errors = defaultdict(set)
    for (rule, name), rows in dq.items():
        if rule == "TYP004":
            errors[name] |= rows
    for key, rows in found.items():
        assert rows - (errors[key[1]] if key[0] not in ("REQ001", "TYP004") else set()) == dq.get(key, set()), key
