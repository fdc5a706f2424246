"""Change sets: normalised comparison, requesters, and tiers from rules/approval.yaml."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataquality.approve.changes import comparable, compute_changes, load_change_set
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.checks.values import TableValues
from dataquality.config import Config
from dataquality.errors import ConfigError
from dataquality.load.table import TEXT, Table

HEADER = ["客户编码", "客户名称", "业务员", "联系电话", "详细地址", "信用额度", "银行账号"]
ROW = ["C000001", "甲公司", "张伟", "13800000001", "上海", "1000", "62220000"]


def changes_of(write_xlsx, base_rows, new_rows, config, policy, header=HEADER, **kw):  # type: ignore[no-untyped-def]
    base = write_xlsx("base.xlsx", {"客户": [HEADER, *base_rows]})
    new = write_xlsx("new.xlsx", {"客户": [header, *new_rows]})
    return load_change_set(new, base, config, policy, **kw)[0]


@pytest.mark.parametrize("reformatted", [
    ["C000001", " 甲公司 ", "张伟", "１３８０００００００１", "上海", "1,000.00", "6222 0000"],
    ["c000001", "甲公司", " 张伟", "138 0000 0001", "上海", "1000.0", "６２２２００００"],
])
def test_reformatted_values_are_not_changes(write_xlsx, config, policy, reformatted) -> None:
    assert changes_of(write_xlsx, [ROW], [reformatted], config, policy) == []


def test_requester_from_column_or_option(write_xlsx, config, policy) -> None:
    changed = [*ROW[:5], "2000", ROW[6]]
    [c] = changes_of(write_xlsx, [ROW], [changed], config, policy, requested_by="王芳")
    assert (c.field, c.old, c.new, c.tier, c.requested_by) == ("credit_limit", "1000", "2000", 1, "王芳")
    [c] = changes_of(write_xlsx, [ROW], [[*changed, "李娜"]], config, policy, header=[*HEADER, "申请人"], requested_by="王芳")
    assert c.requested_by == "李娜"  # the column wins; the option fills empty cells only


def test_credit_tiers_by_size_and_direction(write_xlsx, config, policy) -> None:
    rows = [[f"C{i:06d}", "甲", "张伟", "13800000001", "上海", "1000000", "62220000"] for i in range(1, 7)]
    new = [r.copy() for r in rows]
    for r, value in zip(new, ["1100000", "1100001", "2000000", "2000001", "999999", "0"], strict=True):
        r[5] = value
    got = {c.key: c.tier for c in changes_of(write_xlsx, rows, new, config, policy)}
    assert got == {"C000001": 1, "C000002": 2, "C000003": 2, "C000004": 3, "C000005": 1, "C000006": 1}


def test_price_tiers_are_relative_and_text_prices_are_strictest(config, policy) -> None:
    old = pd.Series([100.0, 100.0, 100.0, 100.0, 0.0, 100.0])
    new = pd.Series([105.0, 94.0, 120.0, 121.0, 5.0, float("nan")])
    assert policy.tiers("product", "list_price", old, new).tolist() == [1, 2, 2, 3, 3, 3]
    assert policy.tiers("customer", "phone", old, new).tolist() == [0] * 6


def test_roles_accept_codes_and_chinese_names(policy) -> None:
    assert [policy.role(t).code for t in ("l1", "部门经理", "财务总监", "总经理", "Finance Director")] == ["L1", "L1", "L2", "L3", "L2"]
    assert policy.role("主管") is None
    assert [r.code for r in policy.required_roles(2)] == ["L1", "L2"]


def test_custom_policy_from_yaml(tmp_path: Path, config) -> None:
    (tmp_path / "approval.yaml").write_text(
        "roles: {L1: {labels: {en: boss}}, L2: {labels: {en: big boss}}}\n"
        "deleted_record_tier: 1\n"
        "fields:\n  customer.phone: [{change: absolute, max: 0, tier: 0}, {tier: 1}]\n"
        "  product.list_price: [{direction: decrease, tier: 2}, {tier: 1}]\n", encoding="utf-8")
    p = ApprovalPolicy.load(tmp_path, config)
    assert (p.deleted_record_tier, p.sensitive("customer"), p.role("boss").code) == (1, ("phone",), "L1")
    assert p.tiers("product", "list_price", pd.Series([10.0, 10.0]), pd.Series([9.0, 11.0])).tolist() == [2, 1]


@pytest.mark.parametrize("body, key", [
    ("roles: {L1: {}}\nfields: {customer.phone: 2}\n", "fields.customer.phone"),
    ("roles: {L1: {}}\nfields: {customer.nope: 1}\n", "fields.customer.nope"),
    ("roles: {L1: {}}\nfields: {customer.phone: [{tier: 1, direction: up}]}\n", "fields.customer.phone[0].direction"),
    ("roles: {L1: {}}\nfields: {customer.phone: [{tier: 1, max: -1}]}\n", "fields.customer.phone[0].max"),
    ("roles: {L1: {}, L3: {}}\n", "roles"),
    ("roles: {L1: {}}\ncolour: red\n", "colour"),
])
def test_bad_yaml_names_file_and_key(tmp_path: Path, config: Config, body: str, key: str) -> None:
    (tmp_path / "approval.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ApprovalPolicy.load(tmp_path, config)
    assert err.value.params["key"] == key and "approval.yaml" in err.value.params["file"]


# --- the change set against every cell compared (hypothesis) ------------------------------------------

# Spellings that are, and are not, the same value: reformatted numbers, full-width and spaced text,
# enum synonyms, dates written three ways, empty and whitespace-only cells.
SPELLINGS = {
    "customer_name": ["甲公司", " 甲公司", "甲公司 ", "甲  公司", "甲 公司", "乙公司", "ＡＢＣ", "ABC", "abc", "", " ", None],
    "customer_type": ["企业", "enterprise", "ENTERPRISE", "公司", "个人", "individual", "未知", "", None],
    "credit_limit": ["1000", "1,000.00", "１０００", "1000.0", "(1000)", "-1000", "2000", "abc", "", None],
    "created_on": ["2024-01-05", "2024/1/5", "2024年1月5日", "20240105", "45296", "2024-01-06", "not a date", None],
    "bank_account": ["6222 0000", "62220000", "６２２２００００", "62220001", None],
    "status": ["启用", "active", "停用", None],
    "requested_by": ["李娜", " 李娜 ", "", None],
}
KEYS = ["C000001", "c000001", " C000001", "C000002", "C000003", "C000004", "", None]
FIELDS = list(SPELLINGS)


def _table(rows: list[dict[str, str | None]], columns: list[str]) -> Table:
    data = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=TEXT) for c in ["customer_code", *columns]},
                        index=pd.RangeIndex(2, 2 + len(rows)))
    letters = {c: chr(ord("A") + i) for i, c in enumerate(["customer_code", *columns])}
    return Table("customer", Path("t.xlsx"), "客户", 1, data, columns=letters)


def _every_cell(table: Table, config: Config) -> dict[str, tuple[int, dict[str, tuple]]]:
    """The first record per key with every field's (raw, comparison text, number), cell by cell."""
    tv = TableValues(table, config.schemas["customer"], config)
    compared = {f: comparable(tv[f]) for f in FIELDS if tv.has(f)}
    out: dict[str, tuple[int, dict[str, tuple]]] = {}
    for i, (row, key) in enumerate(tv.keys.items()):
        if pd.isna(key) or key in out:
            continue
        out[key] = (row, {f: (tv[f].raw.iloc[i], text.iloc[i], number.iloc[i]) for f, (text, number) in compared.items()})
    return out


def _reference(incoming: Table, baseline: Table, config: Config, policy: ApprovalPolicy) -> set[tuple]:
    new, old = _every_cell(incoming, config), _every_cell(baseline, config)

    def tier(name: str, old_num: float, new_num: float) -> int:
        return int(policy.tiers("customer", name, pd.Series([old_num]), pd.Series([new_num])).iloc[0])

    found = set()
    for key, (row, cells) in new.items():
        if key not in old:
            found.add((key, "*", "create", None, None, row))
            for name, (raw, text, number) in cells.items():
                if name in policy.sensitive("customer") and name != "requested_by" and text != "":
                    found.add((key, name, "create", None, raw if not pd.isna(raw) else None, row,
                               tier(name, 0.0 if config.schemas["customer"].fields[name].is_numeric else float("nan"), number)))
            continue
        base_row, base_cells = old[key]
        for name, (raw, text, number) in cells.items():
            if name == "requested_by":
                continue
            if name not in base_cells:
                if text != "":
                    zero = 0.0 if config.schemas["customer"].fields[name].is_numeric else float("nan")
                    found.add((key, name, "change", None, raw, row, tier(name, zero, number)))
                continue
            old_raw, old_text, old_number = base_cells[name]
            if text != old_text:
                found.add((key, name, "change", None if pd.isna(old_raw) else old_raw, None if pd.isna(raw) else raw,
                           row, tier(name, old_number, number)))
    for key, (base_row, _) in old.items():
        if key not in new:
            found.add((key, "*", "delete", None, None, base_row))
    return found


row_values = st.fixed_dictionaries({"customer_code": st.sampled_from(KEYS),
                                    **{f: st.sampled_from(v) for f, v in SPELLINGS.items()}})


@settings(max_examples=150, deadline=None)
@given(base_rows=st.lists(row_values, min_size=1, max_size=6), new_rows=st.lists(row_values, min_size=1, max_size=6),
       base_columns=st.lists(st.sampled_from(FIELDS), unique=True), new_columns=st.lists(st.sampled_from(FIELDS), unique=True))
def test_change_set_is_every_cell_compared(config: Config, policy: ApprovalPolicy, base_rows, new_rows, base_columns,
                                           new_columns) -> None:
    """Only cells written differently are compared (the rest are skipped unread): the change set
    is still what comparing every cell's comparison text gives, with the same tiers."""
    incoming, baseline = _table(new_rows, new_columns), _table(base_rows, base_columns)
    got = set()
    for c in compute_changes([incoming], [baseline], config, policy):
        if c.field == "*":
            got.add((c.key, "*", c.kind, None, None, c.row if c.kind == "create" else c.baseline_row))
        else:
            got.add((c.key, c.field, c.kind, c.old, c.new, c.row, c.tier))
    assert got == _reference(incoming, baseline, config, policy)


def test_each_change_carries_its_records_name_into_the_request(write_xlsx, config, policy, store) -> None:
    """The approvers see "C000002 上海乙公司": the name is taken from the schema's name field, from the
    incoming file (from the baseline for a deleted record), kept with the request and vouched for by the chain."""
    from sqlalchemy import text as sql

    from dataquality.approve import audit, workflow

    from .scenario import SUBMITTER, write_scenario

    baseline, incoming, _ = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    names = {(c.key, c.field): c.record_name for c in changes}
    assert names[("C000002", "credit_limit")] == "上海乙公司" and names[("FG000005", "list_price")] == "轴承"
    assert names[("C000007", "*")] == "上海庚公司"  # deleted: named as the baseline names it
    workflow.submit(store, changes, {"incoming_path": str(incoming), "incoming_sha256": "-", "baseline_path": str(baseline),
                                     "baseline_sha256": "-"}, by=SUBMITTER, directory=policy.people)
    shown = {(v.key, v.field): v.record_name for v in workflow.list_requests(store, policy)}
    assert shown[("C000002", "credit_limit")] == "上海乙公司" and shown[("C000007", "*")] == "上海庚公司"
    with store.transaction() as conn:
        assert audit.verify(conn)[1] == []
    with store.engine.begin() as conn:  # a record renamed behind the chain's back would mislead the approver
        conn.execute(sql("UPDATE approve_requests SET record_name = '上海某大公司' WHERE key = 'C000002'"))
    with store.transaction() as conn:
        found = audit.verify(conn)[1]
    assert [(p.key, p.params["column"]) for p in found] == [("state_edited", "record_name")]
