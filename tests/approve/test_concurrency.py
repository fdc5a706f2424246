"""Two approvers at the same moment, in two processes on one database: nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from dataquality.approve import audit, workflow
from dataquality.approve.db import approvals

from .test_workflow import INFO, SUBMITTER, change

ROOT = Path(__file__).resolve().parents[2]

APPROVER = """
import sys, time
from dataquality.approve import workflow
from dataquality.approve import audit
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.store import open_store
url, name, role, start, ids = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:]
policy = ApprovalPolicy.load(config=Config.load())
store = open_store(url)
audit.bind_key(store.engine, bytes(range(32)))
while time.time() < start:
    time.sleep(0.001)
for rid in ids:
    try:
        workflow.approve(store, policy, int(rid), name, role)
        print("ok", rid)
    except workflow.WorkflowError as exc:
        print("refused", rid, exc.key)
store.close()
"""


def test_two_approvers_at_once_lose_nothing(store, policy, db_url: str) -> None:
    shared = [change(key=f"C{i:06d}", tier=2) for i in range(1, 16)]  # both processes approve these
    own_a = [change(key=f"C{i:06d}", tier=1, new="150000") for i in range(16, 21)]
    own_b = [change(key=f"C{i:06d}", tier=1, new="150000") for i in range(21, 26)]
    race = [change(key="C000099", tier=1, new="150000")]  # the same person tries it from both sides
    res = workflow.submit(store, shared + own_a + own_b + race, INFO, by=SUBMITTER)
    ids = list(res.created)
    shared_ids, a_ids, b_ids, race_id = ids[:15], ids[15:20], ids[20:25], ids[25]
    start = time.time() + 4  # both processes are loaded and waiting before this moment
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    a = subprocess.Popen([sys.executable, "-c", APPROVER, db_url, "赵敏", "L1", str(start),
                          *map(str, [x for pair in zip(shared_ids, a_ids + [race_id] * 10, strict=False) for x in pair])],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    b = subprocess.Popen([sys.executable, "-c", APPROVER, db_url, "杨磊", "L2", str(start), *map(str, shared_ids)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c = subprocess.Popen([sys.executable, "-c", APPROVER, db_url, "陈静", "L1", str(start), *map(str, b_ids), str(race_id)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = [p.communicate(timeout=300) for p in (a, b, c)]
    for p, (_out, err) in zip((a, b, c), outs, strict=True):
        assert p.returncode == 0, err
    a_out, b_out, c_out = (o for o, _ in outs)
    assert b_out.count("ok") == 15
    # The race request: 赵敏 may approve it once; 陈静 approves it too (a second distinct L1 is harmless).
    assert a_out.count(f"ok {race_id}\n") == 1
    with store.transaction() as conn:
        n_approvals = conn.execute(select(func.count()).select_from(approvals)).scalar()
        count, problems = audit.verify(conn)
    expected = 15 * 2 + 5 + 5 + 2
    assert n_approvals == expected
    assert count == 1 + len(ids) + expected and problems == []  # the submission, its requests, the approvals
    states = {v.id: v for v in workflow.list_requests(store, policy)}
    assert all(states[i].status == "approved" for i in ids)
    assert all(states[i].present == (("赵敏", "L1"), ("杨磊", "L2")) for i in shared_ids)
