"""The state database's schema under Alembic (dataquality/migrations, docs/state-database.md).

The central test writes a database WITH dq 0.1.0's OWN CODE (commit ec013e3, taken from this
repository's history by `git archive`, run in a subprocess by tests/state_0_1_0.py), upgrades it
with today's code and compares its schema with a new database's: tables, columns (type,
nullability, default), primary keys, foreign keys, indices, unique constraints, triggers (and on
PostgreSQL their functions and the sequences). Its rows survive, and the audit chain verifies
(`dq audit verify`) after the seal issue 14 adds on first use. Where the history is not at hand
(a source tarball), the SQLite variant reads tests/data/state-0.1.0.sql, that script's database as
written by 0.1.0 (regenerate: `python tests/test_migrations.py --dump`).

Run `python tests/test_migrations.py --dump` from the repository root to regenerate the dump.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import state_0_1_0
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from pg import fresh_postgres_database
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import Connection

from dataquality.approve import audit as approve_audit
from dataquality.approve import db as approve_db
from dataquality.approve import workflow
from dataquality.approve.stores import open_approval_store
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.desk import db as desk_db
from dataquality.errors import EXIT_USAGE
from dataquality.issue import Issue, Severity, Status
from dataquality.store import (
    HEAD_REVISION,
    LEGACY_TABLE,
    SCRIPT_LOCATION,
    StoreError,
    backup_path,
    create_store_engine,
    current_revision,
    head_revision,
    migrate,
    open_store,
)
from dataquality.track import db as track_db
from dataquality.track.tracker import Sla, track
from dataquality.track.workdays import WorkCalendar

ROOT = Path(__file__).resolve().parents[1]
RELEASE_0_1_0 = "ec013e3"
LAST_PRE_ALEMBIC = "98892e3"  # main just before Alembic: 0.1.0's scheme with issue 14's `approve` migration 3
WRITER = ROOT / "tests" / "state_0_1_0.py"
DUMP = ROOT / "tests" / "data" / "state-0.1.0.sql"
TABLES_0_1_0 = ("approve_submissions", "approve_requests", "approve_approvals", "approve_audit", "approve_audit_head",
                "track_runs", "track_issues", "track_events", "track_run_counts", "track_locks")


# --- dq 0.1.0 ---------------------------------------------------------------------------------


def _archive_0_1_0(dest: Path, commit: str = RELEASE_0_1_0) -> str | None:
    """Extract 0.1.0's package (or `commit`'s) and its default configuration into `dest`; the
    reason when impossible."""
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit,
                               "dataquality", "schemas", "rules", "reports"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0:
        return (done.stderr.decode(errors="replace").strip().splitlines() or ["git archive failed"])[-1]
    tar_path = dest / "0.1.0.tar"
    tar_path.write_bytes(done.stdout)
    with tarfile.open(tar_path) as tar:
        tar.extractall(dest, filter="data")
    tar_path.unlink()
    return None


@pytest.fixture(scope="session")
def release_0_1_0(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A checkout of dq 0.1.0 (None when this repository's history is not at hand)."""
    dest = tmp_path_factory.mktemp("dq-0.1.0")
    reason = _archive_0_1_0(dest)
    if reason is not None:
        _NO_RELEASE.append(reason)
        return None
    return dest


_NO_RELEASE: list[str] = []


def write_with_0_1_0(release: Path, url: str) -> None:
    """Run tests/state_0_1_0.py with 0.1.0's code (not today's) against `url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQ_")}
    done = subprocess.run([sys.executable, str(WRITER), url], cwd=release, env={**env, "PYTHONPATH": str(release)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def load_dump(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(DUMP.read_text(encoding="utf-8"))
    conn.close()


@pytest.fixture(params=["sqlite", "sqlite-dump", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database as dq 0.1.0 wrote it (see tests/state_0_1_0.py for its rows)."""
    if request.param == "sqlite-dump":
        path = tmp_path / "state" / "dq.db"
        path.parent.mkdir()
        load_dump(path)
        yield f"sqlite:///{path}"
        return
    release = request.getfixturevalue("release_0_1_0")
    if release is None:
        pytest.skip(f"dq 0.1.0 not at hand ({'; '.join(_NO_RELEASE)}): the sqlite-dump variant covers SQLite")
    if request.param == "sqlite":
        (tmp_path / "state").mkdir()
        url = f"sqlite:///{tmp_path / 'state' / 'dq.db'}"
        write_with_0_1_0(release, url)
        yield url
        return
    for url in fresh_postgres_database(request):
        write_with_0_1_0(release, url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'dq.db'}"
        return
    yield from fresh_postgres_database(request)


def fresh_url(old_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if old_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'new.db'}"
    else:
        yield from fresh_postgres_database(request)


# --- what a schema is made of -----------------------------------------------------------------


def schema(url: str) -> dict[str, Any]:
    """Everything about the database's structure that a migration could get wrong."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            out: dict[str, Any] = {}
            for table in sorted(insp.get_table_names()):
                out[table] = {
                    "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("autoincrement"))
                                for c in insp.get_columns(table)],
                    "pk": insp.get_pk_constraint(table),
                    "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                                   f.get("name") or "") for f in insp.get_foreign_keys(table)),
                    "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                      for i in insp.get_indexes(table)),
                    "unique": sorted((u.get("name") or "", tuple(u["column_names"]))
                                     for u in insp.get_unique_constraints(table)),
                }
            out["<triggers>"] = triggers(conn)
            if conn.dialect.name == "sqlite":
                # The statements SQLite keeps: every table, index and trigger exactly as created.
                out["<sql>"] = sorted((t, n, " ".join((s or "").split())) for t, n, s in conn.exec_driver_sql(
                    "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
            else:
                out["<sequences>"] = sorted(insp.get_sequence_names())
                out["<functions>"] = sorted(tuple(r) for r in conn.exec_driver_sql(
                    "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = 'public'"))
            return out
    finally:
        engine.dispose()


def triggers(conn: Connection) -> list[tuple[str, ...]]:
    if conn.dialect.name == "sqlite":
        return sorted(tuple(r) for r in conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
    return sorted(tuple(r) for r in conn.exec_driver_sql(
        "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"))


def rows(url: str, tables: tuple[str, ...] = TABLES_0_1_0, columns: dict[str, list[str]] | None = None
         ) -> dict[str, list[dict[str, Any]]]:
    """Every row of `tables` (only `columns[table]` when given), in primary-key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn, only=list(tables))
            out = {}
            for name in tables:
                table = meta.tables[name]
                cols = [table.c[c] for c in columns[name]] if columns else list(table.c)
                out[name] = [dict(r._mapping) for r in conn.execute(select(*cols).order_by(*table.primary_key))]
            return out
    finally:
        engine.dispose()


# --- the tests --------------------------------------------------------------------------------


def test_a_database_of_0_1_0_upgrades_to_the_schema_of_a_new_one(old_database: str, tmp_path: Path,
                                                                request: pytest.FixtureRequest, monkeypatch) -> None:
    before = rows(old_database)
    assert len(before["approve_audit"]) == 5 and len(before["track_issues"]) == 3  # what state_0_1_0.py wrote
    assert LEGACY_TABLE in schema(old_database)

    open_store(old_database).close()

    for new_url in fresh_url(old_database, tmp_path, request):
        open_store(new_url).close()
        upgraded, new = schema(old_database), schema(new_url)
        assert LEGACY_TABLE not in upgraded
        assert upgraded.keys() == new.keys()
        for part in upgraded:
            assert upgraded[part] == new[part], part
    # Every row of 0.1.0 is as it was; the audit log's new columns are NULL on them.
    filled = {t: r for t, r in before.items() if r}
    assert rows(old_database, tuple(filled), {t: list(r[0]) for t, r in filled.items()}) == filled
    assert {(r["data"], r["alg"], r["key_id"]) for r in rows(old_database, ("approve_audit",))["approve_audit"]} == {(None,) * 3}

    # Upgraded by a command without the key, the 0.1.0 chain is not sealed by any later ordinary use
    # (issue 23): verify says nothing vouches for it - and does not say how to seal it - until the key
    # holder seals it explicitly, naming the log he checked; `dq audit verify` then passes.
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    from dataquality.cli import main

    db = ["--db", old_database, "--state-dir", str(state), "--lang", "en"]
    unsealed = CliRunner().invoke(main, ["audit", "verify", *db])
    assert unsealed.exit_code == 1 and "no row of the log is sealed with the key" in unsealed.output, unsealed.output
    assert "seal-legacy" not in unsealed.output and "to seal" not in unsealed.output  # no advice to take the step that would seal
    head = unsealed.output.split("Audit head: ")[1].split()[0]
    with pytest.raises(Exception) as err:
        open_approval_store(old_database, state)  # an ordinary writing command: refused, nothing sealed
    assert getattr(err.value, "key", "") == "keys.missing"
    sealed = CliRunner().invoke(main, ["audit", "seal-legacy", "--expect-head", head, *db])
    assert sealed.exit_code == 0, sealed.output
    store = open_approval_store(old_database, state)
    with store.transaction() as conn:
        actions = [r.action for r in conn.execute(select(approve_db.audit_log.c.action).order_by(approve_db.audit_log.c.seq))]
    store.close()
    assert actions == ["request", "request", "approve", "approve", "reject", "seal"]
    result = CliRunner().invoke(main, ["audit", "verify", *db])
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 6 rows" in result.output


def test_a_database_of_0_1_0_is_sealed_in_its_upgrade_by_the_key_holder(old_database: str, tmp_path: Path) -> None:
    """Upgraded by a command that makes its key (dq serve, dq apply), the 0.1.0 chain is sealed inside the
    upgrade's transaction: the only place besides `dq audit seal-legacy` where that happens."""
    state = tmp_path / "state"
    store = open_approval_store(old_database, state)
    with store.transaction() as conn:
        actions = [r.action for r in conn.execute(select(approve_db.audit_log.c.action).order_by(approve_db.audit_log.c.seq))]
        assert approve_audit.verify(conn) == (6, [])
    store.close()
    assert actions == ["request", "request", "approve", "approve", "reject", "seal"]


def test_todays_code_carries_on_with_the_upgraded_history(old_database: str, config: Config) -> None:
    """The approval requests keep their state, and the next `dq check` continues 0.1.0's issue
    history: the same issues keep their numbers, the one resolved in run 2 is reopened, none is new."""
    with open_store(old_database) as store:
        policy = ApprovalPolicy.load(config=config)
        assert [(v.id, v.status) for v in workflow.list_requests(store, policy)] == [(1, "approved"), (2, "rejected")]
        issues = [Issue(rule, Severity(sev), *args, **kw) for rule, sev, args, kw in state_0_1_0.ISSUES]
        run = track(store, issues, now=state_0_1_0.DAY1 + dt.timedelta(days=2), sla=Sla(state_0_1_0.SLA_DAYS, WorkCalendar()),
                    entities=["customer", "product"], files=["customers.xlsx"], project="demo")
    assert run.run_id == 3 and run.counts["new"] == 0 and run.counts["reopened"] == 1
    assert [(i.rule, i.status) for i in run.issues] == [("CUS001", Status.OPEN), ("CUS002", Status.OPEN),
                                                         ("PRD001", Status.REOPENED)]
    after = rows(old_database, ("track_issues",))["track_issues"]
    assert [(r["number"], r["rule"], r["status"], r["times_seen"]) for r in after] == [
        (1, "CUS001", "open", 3), (2, "CUS002", "open", 3), (3, "PRD001", "reopened", 2)]


CRASH_MID_UPGRADE = """
import os, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "before_cursor_execute")
def die(conn, cursor, statement, *args):
    if "CREATE TABLE approve_users" in statement:  # revision 0002 has already altered approve_audit
        os._exit(9)

from dataquality.store import open_store
open_store(sys.argv[1])
"""


def test_a_process_killed_mid_upgrade_loses_nothing(old_database: str, tmp_path: Path,
                                                    request: pytest.FixtureRequest) -> None:
    """The upgrade is one transaction: killed halfway, the database is still 0.1.0's, rows and all,
    and the next start upgrades it."""
    before = schema(old_database), rows(old_database)
    done = subprocess.run([sys.executable, "-c", CRASH_MID_UPGRADE, old_database], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 9, done.stderr
    assert (schema(old_database), rows(old_database)) == before
    open_store(old_database).close()
    for new_url in fresh_url(old_database, tmp_path, request):
        open_store(new_url).close()
        assert schema(old_database) == schema(new_url)


@pytest.mark.parametrize("old_database", ["sqlite", "sqlite-dump"], indirect=True)
def test_an_sqlite_database_is_copied_before_its_schema_changes(old_database: str) -> None:
    """PostgreSQL is backed up by its owner (docs/state-database.md); an SQLite file is copied."""
    path = Path(old_database.removeprefix("sqlite:///"))
    before = schema(old_database), rows(old_database)
    open_store(old_database).close()
    copy = backup_path(path, head_revision())
    assert (schema(f"sqlite:///{copy}"), rows(f"sqlite:///{copy}")) == before
    assert not list(path.parent.glob("*.partial"))
    # At the newest revision already: no new copy, and the first one is kept as it was.
    stamp = copy.stat().st_mtime_ns
    open_store(old_database).close()
    assert copy.stat().st_mtime_ns == stamp and len(list(path.parent.glob("*.bak"))) == 1


def test_a_new_database_is_not_copied(tmp_path: Path) -> None:
    open_store(f"sqlite:///{tmp_path / 'dq.db'}").close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".db-wal" and p.suffix != ".db-shm") == ["dq.db"]


def test_a_database_of_main_before_alembic_is_stamped_at_0002(db_url: str, tmp_path: Path,
                                                              request: pytest.FixtureRequest) -> None:
    """Databases made between 0.1.0 and Alembic (`approve` 1-3, `track` 1) are revision 0002: stamped
    there (nothing of 0001-0002 runs), then upgraded to the head, the same schema as a new database."""
    code = tmp_path / "pre-alembic"
    code.mkdir()
    reason = _archive_0_1_0(code, LAST_PRE_ALEMBIC)
    if reason is not None:
        pytest.skip(f"commit {LAST_PRE_ALEMBIC} not at hand ({reason})")
    done = subprocess.run([sys.executable, "-c", "import sys; from dataquality.store import open_store; open_store(sys.argv[1]).close()",
                           db_url], cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert LEGACY_TABLE in schema(db_url)
    open_store(db_url).close()
    assert rows(db_url, ("alembic_version",)) == {"alembic_version": [{"version_num": HEAD_REVISION}]}
    for new_url in fresh_url(db_url, tmp_path, request):
        open_store(new_url).close()
        assert schema(db_url) == schema(new_url)


def test_upgrading_twice_is_a_no_op(old_database: str) -> None:
    open_store(old_database).close()
    first = schema(old_database), rows(old_database, (*TABLES_0_1_0, "alembic_version"))
    open_store(old_database).close()
    assert (schema(old_database), rows(old_database, (*TABLES_0_1_0, "alembic_version"))) == first
    engine = create_store_engine(old_database)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        assert MigrationContext.configure(conn).get_current_heads() == (head_revision(),)  # Alembic agrees
    engine.dispose()


def test_the_head_named_in_store_is_alembics_head() -> None:
    """store.HEAD_REVISION spares opening a current database the Alembic import: it must be the newest."""
    assert HEAD_REVISION == head_revision() == ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()
    assert len(ScriptDirectory(str(SCRIPT_LOCATION)).get_heads()) == 1  # one line of history, no branches


def test_todays_table_objects_agree_with_the_newest_revision(db_url: str) -> None:
    """What the code queries with (approve/db.py, track/db.py) is what the revisions made: Alembic's
    own comparison finds no difference."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    open_store(db_url).close()
    engine = create_engine(db_url)
    meta = MetaData()
    for source in (approve_db.meta, track_db.meta, desk_db.meta):
        for table in source.tables.values():
            table.to_metadata(meta)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(ctx, meta) if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    finally:
        engine.dispose()
    assert diff == []


def test_a_database_newer_than_this_code_is_an_exit_2_message(db_url: str, tmp_path: Path) -> None:
    open_store(db_url).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError) as err:
        open_store(db_url)
    assert err.value.key == "store.newer_schema" and err.value.exit_code == EXIT_USAGE
    assert "9999" in err.value.message("en") and "更新版本" in err.value.message("zh")
    # ...and through the command line: one line, exit 2, no traceback.
    from dataquality.cli import main

    state = tmp_path / "cli-state"
    state.mkdir()
    result = CliRunner().invoke(main, ["audit", "verify", "--db", db_url, "--state-dir", str(state), "--lang", "en"])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "newer version of dq" in result.output and "Traceback" not in result.output


def test_unknown_pre_alembic_versions_are_refused_and_nothing_changes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_migrations (component VARCHAR(64), version INTEGER, applied_at DATETIME)"))
        conn.execute(text("INSERT INTO schema_migrations VALUES ('approve', 1, '2026-11-01'), ('approve', 7, '2026-11-02')"))
    engine.dispose()
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert err.value.key == "store.unknown_legacy" and "approve 7" in err.value.message("en")
    assert set(schema(url)) == {"schema_migrations", "<triggers>", "<sql>"}  # rolled back: nothing created


def test_a_failing_revision_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    """A table of 0.1.0 already there without any version table (made by hand): the upgrade fails
    as one clear message and rolls back entirely."""
    url = f"sqlite:///{tmp_path / 'hand.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE track_locks (name VARCHAR(64) PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert err.value.key == "store.migration_failed" and "track_locks" in err.value.message("en")
    assert [t for t in schema(url) if not t.startswith("<")] == ["track_locks"]


def test_two_processes_opening_a_new_database_together_migrate_once(db_url: str, tmp_path: Path) -> None:
    """Started together on a database that does not exist yet: both open it, one migration ran."""
    go = tmp_path / "go"
    opener = (
        "import sys, time, pathlib\n"
        "from dataquality.store import open_store\n"
        "while not pathlib.Path(sys.argv[2]).exists():\n"
        "    time.sleep(0.005)\n"
        "open_store(sys.argv[1]).close()\n"
        "print('opened')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", opener, db_url, str(go)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and out.strip() == "opened", err
    assert rows(db_url, ("alembic_version",)) == {"alembic_version": [{"version_num": head_revision()}]}
    if db_url.startswith("sqlite"):
        assert schema(db_url) == schema(_new_sqlite(tmp_path))


def test_migrate_stops_at_a_given_revision_and_continues_from_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    engine = create_store_engine(url)
    migrate(engine, revision="0001")
    with engine.connect() as conn:
        assert current_revision(conn) == "0001"
        assert "data" not in {c["name"] for c in inspect(conn).get_columns("approve_audit")}
    engine.dispose()
    open_store(url).close()
    assert schema(url) == schema(_new_sqlite(tmp_path))


def _new_sqlite(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    open_store(url).close()
    return url


def test_the_wheel_ships_the_revisions_and_upgrades_without_alembic_ini(tmp_path: Path) -> None:
    """Installed from the wheel and run from an unrelated folder, dq finds its revisions in the
    package and upgrades a database of 0.1.0."""
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path / "dist")],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("dq_masterdata-*.whl")  # the distribution's own name (issue 25)
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert {"dataquality/migrations/env.py", "dataquality/migrations/script.py.mako",
            "dataquality/migrations/versions/0001_dq_0_1_0.py"} <= set(names)
    assert not any(n.endswith("alembic.ini") for n in names)
    load_dump(tmp_path / "dq.db")
    code = ("import sys, dataquality.store as s\n"
            "assert s.__file__.startswith(sys.argv[2]), s.__file__\n"
            "s.open_store(sys.argv[1]).close()\n")
    run = subprocess.run([sys.executable, "-c", code, f"sqlite:///{tmp_path / 'dq.db'}", str(site)], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert rows(f"sqlite:///{tmp_path / 'dq.db'}", ("alembic_version",)) == {"alembic_version": [{"version_num": HEAD_REVISION}]}


# --- the checked-in dump ------------------------------------------------------------------------


def regenerate_dump() -> None:
    """Write tests/data/state-0.1.0.sql: tests/state_0_1_0.py run by 0.1.0's code, as SQLite's .dump."""
    with tempfile.TemporaryDirectory() as tmp:
        release = Path(tmp) / "release"
        release.mkdir()
        reason = _archive_0_1_0(release)
        if reason is not None:
            raise SystemExit(f"cannot extract dq 0.1.0: {reason}")
        path = Path(tmp) / "dq.db"
        write_with_0_1_0(release, f"sqlite:///{path}")
        conn = sqlite3.connect(path)
        lines = list(conn.iterdump())
        conn.close()
    DUMP.parent.mkdir(exist_ok=True)
    DUMP.write_text(
        "-- A state database written by dq 0.1.0's own code (tests/state_0_1_0.py run with PYTHONPATH at\n"
        "-- `git archive ec013e3`); regenerate with `python tests/test_migrations.py --dump`.\n"
        + "\n".join(lines) + "\n", encoding="utf-8")


def test_the_dump_is_what_0_1_0_writes(release_0_1_0: Path | None, tmp_path: Path) -> None:
    """The checked-in dump has the schema and as many rows as 0.1.0's code writes today (their
    timestamps, and so the audit hashes, differ), so the sqlite-dump variant tests what the git one does."""
    if release_0_1_0 is None:
        pytest.skip(f"dq 0.1.0 not at hand ({'; '.join(_NO_RELEASE)})")
    live = tmp_path / "live.db"
    write_with_0_1_0(release_0_1_0, f"sqlite:///{live}")
    dumped = tmp_path / "dumped.db"
    load_dump(dumped)
    assert schema(f"sqlite:///{dumped}") == schema(f"sqlite:///{live}")
    counted = {t: len(r) for t, r in rows(f"sqlite:///{dumped}").items()}
    assert counted == {t: len(r) for t, r in rows(f"sqlite:///{live}").items()}
    assert counted["approve_audit"] == 5 and counted["track_events"] >= 3


if __name__ == "__main__":
    if sys.argv[1:] != ["--dump"]:
        raise SystemExit("usage: python tests/test_migrations.py --dump")
    regenerate_dump()
    print(f"wrote {DUMP.relative_to(ROOT)}")
