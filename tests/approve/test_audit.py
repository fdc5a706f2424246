"""The audit log is append-only (database triggers) and hash-chained (`verify` finds any tampering)."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dataquality.approve import audit, workflow
from dataquality.approve.audit import ExportError

from .conftest import guards_down
from .test_workflow import INFO, SUBMITTER, change


@pytest.fixture
def logged(store, policy):  # type: ignore[no-untyped-def]
    """A store with six audit rows: a submission, three requests, an approval and a rejection."""
    res = workflow.submit(store, [change(key="C000001"), change(key="C000002"), change(key="C000003", new="=HYPERLINK(1)")], INFO,
                          by=SUBMITTER)
    workflow.approve(store, policy, res.created[0], "赵敏", "L1", comment="-leading minus")
    workflow.reject(store, policy, res.created[1], "杨磊", "no")
    return store


def _tamper(store, sql: str) -> None:  # type: ignore[no-untyped-def]
    """What an administrator with raw database access could do: drop the guard, edit, put the guard back."""
    with store.engine.begin() as conn, guards_down(conn):
        conn.execute(text(sql))


def _problems(store) -> list[tuple[int | None, str]]:  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        return [(p.seq, p.key) for p in audit.verify(conn)[1]]


def test_intact_chain_verifies(logged) -> None:
    with logged.transaction() as conn:
        assert audit.verify(conn) == (6, [])


@pytest.mark.parametrize("sql", ["UPDATE approve_audit SET actor = 'x' WHERE seq = 3", "DELETE FROM approve_audit WHERE seq = 6"])
def test_database_refuses_updates_and_deletes(logged, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        with logged.engine.begin() as conn:
            conn.execute(text(sql))
    assert _problems(logged) == []


def test_edited_row_is_detected(logged) -> None:
    _tamper(logged, "UPDATE approve_audit SET new_value = '9999999' WHERE seq = 3")
    found = _problems(logged)
    # The edited event no longer vouches for its request: the tables disagree with the chain too.
    assert found[0] == (3, "edited") and {k for _, k in found[1:]} <= {"state_edited", "state_unlogged"}


def test_deleted_row_is_detected(logged) -> None:
    _tamper(logged, "DELETE FROM approve_audit WHERE seq = 4")
    # The request that row recorded is no longer vouched for by any sealed event either.
    assert _problems(logged) == [(5, "gap"), (5, "broken_link"), (None, "state_unlogged")]


def test_deleted_newest_row_is_detected(logged) -> None:
    _tamper(logged, "DELETE FROM approve_audit WHERE seq = 6")
    # The rejection it recorded is still in the tables: they no longer match the chain.
    assert _problems(logged) == [(None, "head_mismatch"), (None, "state_edited"), (None, "approval_unlogged")]


def _insert(store, row: dict) -> None:  # type: ignore[no-untyped-def]
    row = {**row, "hash": audit.row_hash(row)}
    with store.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO approve_audit ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"), row)


def test_inserted_row_is_detected(logged) -> None:
    with logged.transaction() as conn:
        last = list(audit.rows(conn))[-1]
    # A forged approval appended with a perfect link and an unkeyed hash: not sealed with the key.
    _insert(logged, {**last, "seq": 7, "action": "approve", "actor": "ghost", "prev_hash": last["hash"], "alg": None})
    assert _problems(logged) == [(7, "unkeyed"), (None, "head_mismatch")]


def test_row_inserted_mid_chain_is_detected(logged) -> None:
    with logged.transaction() as conn:
        second = list(audit.rows(conn))[2]
    _insert(logged, {**second, "seq": 25, "actor": "ghost", "prev_hash": second["hash"]})
    assert _problems(logged) == [(25, "gap"), (25, "broken_link"), (25, "edited"), (None, "head_mismatch")]


def test_export_csv_and_xlsx(logged, tmp_path) -> None:
    with logged.transaction() as conn:
        assert audit.export(conn, tmp_path / "log.csv") == 6
        assert audit.export(conn, tmp_path / "log.xlsx") == 6
        with pytest.raises(ExportError):
            audit.export(conn, tmp_path / "log.pdf")
    with open(tmp_path / "log.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["action"] for r in rows] == ["submit", "request", "request", "request", "approve", "reject"]
    assert rows[3]["new_value"] == "'=HYPERLINK(1)"  # a formula stays text
    ws = load_workbook(tmp_path / "log.xlsx")["audit"]
    cell = ws.cell(row=5, column=11)
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"
    assert ws.cell(row=6, column=12).value == "-leading minus"
