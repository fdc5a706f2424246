"""/api/v1/imports over a real served app (uvicorn on loopback), real SQLite with its audit key,
real workbooks: every endpoint, and the bad inputs (wrong token, another clerk's import, an
unreadable file, a bad mapping) answered with a clear error and nothing changed."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dq_cli import dq
from openpyxl import load_workbook
from served import Served
from sqlalchemy import func, select

from dataquality.approve import accounts, workflow
from dataquality.approve.db import audit_log
from dataquality.desk.db import edits, jobs
from dataquality.web.app import WebSettings, create_app

from .conftest import APPROVER, CLERK, OTHER_CLERK, account, baseline_file, erp_export


@pytest.fixture
def api(tmp_path: Path, desk_store: Any, config: Any, policy: Any, write_xlsx: Any) -> Iterator[dict[str, Any]]:
    baseline = baseline_file(write_xlsx)
    settings = WebSettings(lang="en", baseline=baseline)
    served = Served(create_app(desk_store, policy, config, settings, state_dir=tmp_path / "state"))
    tokens = {name: accounts.issue_token(desk_store, policy, account(desk_store, policy, name))
              for name in (CLERK, OTHER_CLERK, APPROVER)}
    try:
        yield {"url": served.url + "/api/v1", "tokens": tokens, "store": desk_store, "export": erp_export(write_xlsx),
               "tmp": tmp_path, "baseline": baseline}
    finally:
        served.stop()


def call(api: dict[str, Any], method: str, path: str, who: str = CLERK, token: str | None = None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or api['tokens'][who]}"}
    return httpx.request(method, api["url"] + path, headers=headers, timeout=120, **kw)


def upload(api: dict[str, Any], path: Path, who: str = CLERK, mapping: bytes | None = None) -> httpx.Response:
    files: dict[str, Any] = {"file": (path.name, path.read_bytes())}
    if mapping is not None:
        files["mapping"] = ("mapping.yaml", mapping)
    return call(api, "POST", "/imports", who, files=files)


def counts(store: Any) -> tuple[int, int, int]:
    with store.transaction() as conn:
        return (conn.execute(select(func.count()).select_from(jobs)).scalar(),
                conn.execute(select(func.count()).select_from(edits)).scalar(),
                conn.execute(select(func.count()).select_from(audit_log)).scalar())


def test_upload_reads_the_export_and_the_issues_are_dq_validates_json(api: dict[str, Any]) -> None:
    res = upload(api, api["export"])
    assert res.status_code == 201, res.text
    body = res.json()
    [table] = body["tables"]
    assert (table["sheet"], table["entity"], table["header_row"], table["records"]) == ("客户", "customer", 2, 7)
    assert table["mapping"]["K"] == "bank_account" and table["mapping"]["A"] == "customer_code"
    assert body["summary"]["by_rule"]["ENM001"] == 1
    issues = call(api, "GET", f"/imports/{body['id']}/issues")
    assert issues.status_code == 200
    cli = dq("validate", api["export"].name, "-f", "json", cwd=api["export"].parent)
    assert cli.returncode == 1, cli.stderr
    ours, theirs = issues.json(), json.loads(cli.stdout)
    # Only the times of the two runs differ: when each report was made (and so first seen).
    for report in (ours, theirs):
        at = report.pop("generated_at")
        assert {i.pop("first_seen") for i in report["issues"]} == {at}
    assert ours == theirs


def test_a_mapping_file_is_applied_and_a_bad_one_is_refused_with_nothing_kept(api: dict[str, Any]) -> None:
    good = ("sheets:\n  - file: customers_*.xlsx\n    header_row: 2\n    entity: customer\n"
            "    columns:\n      \"申请人\\nRequester\": null\n").encode()
    res = upload(api, api["export"], mapping=good)
    assert res.status_code == 201, res.text
    assert "L" not in res.json()["tables"][0]["mapping"]  # the requester column read as nothing
    # The change set of a mapped import is computed from its tables, read as the mapping read them.
    routed = call(api, "GET", f"/imports/{res.json()['id']}/changes").json()
    assert {(r["key"], r["field"], r["tier"]) for r in routed} >= {("C000004", "bank_account", 3)}
    before = counts(api["store"])
    bad = b"sheets:\n  - file: '*'\n    columns:\n      Bank: no_such_field\n"
    res = upload(api, api["export"], mapping=bad)
    assert res.status_code == 422
    assert res.json()["error"].startswith("config.") and "no_such_field" in res.json()["message"]
    assert counts(api["store"]) == before
    assert len(list((api["tmp"] / "state" / "desk").iterdir())) == 1  # only the first import's folder


def test_an_unreadable_file_is_a_clear_error_and_nothing_is_kept(api: dict[str, Any]) -> None:
    broken = api["tmp"] / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    before = counts(api["store"])
    res = upload(api, broken)
    assert res.status_code == 422, res.text
    assert "broken.xlsx" in res.json()["message"] and res.json()["message_zh"]
    assert counts(api["store"]) == before
    assert not (api["tmp"] / "state" / "desk").exists() or not any((api["tmp"] / "state" / "desk").iterdir())


def test_wrong_token_and_another_clerks_import_and_an_approver_are_refused(api: dict[str, Any]) -> None:
    job = upload(api, api["export"]).json()["id"]
    before = counts(api["store"])
    assert call(api, "GET", f"/imports/{job}/issues", token="not-a-token").status_code == 401
    for method, path, kw in (("GET", f"/imports/{job}/issues", {}),
                             ("PATCH", f"/imports/{job}/cells", {"json": {"sheet": "客户", "row": 3, "field": "grade", "value": "A"}}),
                             ("POST", f"/imports/{job}/fix", {"json": {"scope": "all"}}),
                             ("GET", f"/imports/{job}/download?kind=fixed", {}),
                             ("POST", f"/imports/{job}/submit", {})):
        res = call(api, method, path, OTHER_CLERK, **kw)
        assert res.status_code == 404 and res.json()["error"] == "desk.not_found", (path, res.text)
    assert call(api, "GET", "/imports", OTHER_CLERK).json() == []
    res = upload(api, api["export"], who=APPROVER)  # an approver without the clerk role
    assert res.status_code == 403 and res.json()["error"] == "desk.clerks_only"
    assert counts(api["store"]) == before


def test_edit_rechecks_the_row_and_its_duplicates_and_undo_takes_it_back(api: dict[str, Any]) -> None:
    job = upload(api, api["export"]).json()["id"]
    res = call(api, "PATCH", f"/imports/{job}/cells", json={"sheet": "客户", "row": 4, "field": "customer_name", "value": "上海甲公司"})
    assert res.status_code == 200, res.text
    rules = {i["rule"] for i in res.json()["issues"]}
    assert "CUS002" in rules  # the same name as row 3 under another code: a record rule, re-checked at once
    report = call(api, "GET", f"/imports/{job}/issues").json()
    assert {(i["row"], i["rule"]) for i in report["issues"]} >= {(3, "CUS002"), (4, "CUS002")}
    bad = call(api, "PATCH", f"/imports/{job}/cells", json={"sheet": "客户", "row": 4, "field": "no_field", "value": "x"})
    assert bad.status_code == 422 and bad.json()["error"] == "desk.no_such_cell"
    assert call(api, "POST", f"/imports/{job}/undo").json() == {"cells": 1}
    report = call(api, "GET", f"/imports/{job}/issues").json()
    assert not any(i["rule"] == "CUS002" for i in report["issues"])


def test_fix_all_is_dq_fix_and_the_download_matches_it_cell_by_cell(api: dict[str, Any]) -> None:
    job = upload(api, api["export"]).json()["id"]
    preview = call(api, "POST", f"/imports/{job}/fix", json={"scope": "all", "preview": True}).json()
    assert preview["applied"] is False and preview["count"] > 0
    assert call(api, "GET", f"/imports/{job}/issues").json()["summary"]["by_rule"].get("FMT002")  # nothing changed yet
    done = call(api, "POST", f"/imports/{job}/fix", json={"scope": "all"}).json()
    assert done["applied"] and done["count"] == preview["count"]
    res = call(api, "GET", f"/imports/{job}/download", params={"kind": "fixed"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("application/vnd.openxml")
    ours = load_workbook(io.BytesIO(res.content))
    out = api["tmp"] / "by_dq_fix.xlsx"
    fixed = dq("fix", api["export"], "-o", out)
    assert fixed.returncode in (0, 1), fixed.stderr
    theirs = load_workbook(out)
    assert _cells(ours["客户"]) == _cells(theirs["客户"])
    annotated = call(api, "GET", f"/imports/{job}/download", params={"kind": "annotated"})
    assert annotated.status_code == 200 and load_workbook(io.BytesIO(annotated.content)).sheetnames[0] == "客户"
    assert call(api, "GET", f"/imports/{job}/download", params={"kind": "raw"}).status_code == 422


def _cells(ws: Any) -> list[tuple[Any, ...]]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_submit_routes_the_bank_account_change_to_its_approvers(api: dict[str, Any], policy: Any) -> None:
    job = upload(api, api["export"]).json()["id"]
    routed = call(api, "GET", f"/imports/{job}/changes").json()
    bank = next(r for r in routed if r["key"] == "C000004" and r["field"] == "bank_account")
    assert bank["tier"] >= 1 and bank["roles"] == [f"L{n}" for n in range(1, bank["tier"] + 1)]
    res = call(api, "POST", f"/imports/{job}/submit")
    assert res.status_code == 200, res.text
    made = workflow.list_requests(api["store"], policy)
    request = next(v for v in made if v.key == "C000004" and v.field == "bank_account")
    assert request.submitted_by and request.status == "pending" and request.id in res.json()["created"]
    with api["store"].transaction() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))]
    assert "desk_upload" in actions and "desk_submit" in actions and "submit" in actions


def test_the_openapi_document_describes_the_imports(api: dict[str, Any]) -> None:
    doc = httpx.get(api["url"] + "/openapi.json").json()
    for path, method in (("/imports", "post"), ("/imports/{import_id}/issues", "get"), ("/imports/{import_id}/cells", "patch"),
                         ("/imports/{import_id}/fix", "post"), ("/imports/{import_id}/download", "get"),
                         ("/imports/{import_id}/submit", "post")):
        assert method in doc["paths"][path], path
    assert "CellIn" in doc["components"]["schemas"] and "FixIn" in doc["components"]["schemas"]
