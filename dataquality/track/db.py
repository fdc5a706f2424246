"""The tracking tables in the state database (the same database as the approvals).

- track_runs: one row per `dq check` run (when, which files, counts, report folder, exit code).
- track_issues: one row per problem ever seen, keyed by its fingerprint, with its stable number.
- track_events: the history of each issue, one row per run that saw or resolved it.
- track_run_counts: the trend: issues per run by severity and department.
- track_locks: the run lock that keeps two `dq check` runs on one database apart.
- track_corrections: the rows of correction lists that came back (`dq corrections import`): the
  value a department entered, who and when, and what became of it.

Timestamps are ISO-8601 text with their UTC offset (portable across SQLite and PostgreSQL, and
the calendar day a person sees is kept); `day` columns hold the local date YYYY-MM-DD.

These are the table objects the code queries with; the schema is made by the Alembic revisions in
dataquality/migrations/versions (a test holds the two equal): a change here is a new revision there.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

TS = String(40)
meta = MetaData()

runs = Table(
    "track_runs",
    meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", TS, nullable=False),
    Column("day", String(10), nullable=False),
    Column("finished_at", TS),
    Column("status", String(16), nullable=False),  # running, done, failed (reports not written), aborted (the process died)
    Column("project", Text),
    Column("files", Text),  # JSON list of input files
    Column("digest", String(64), nullable=False),  # of the issue set: a re-run on the same data is recognised by it
    Column("rerun_of", Integer),
    Column("report_dir", Text),
    Column("fail_on", String(16)),
    Column("exit_code", Integer),
    Column("errors", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("infos", Integer, nullable=False, default=0),
    Column("new", Integer, nullable=False, default=0),
    Column("reopened", Integer, nullable=False, default=0),
    Column("resolved", Integer, nullable=False, default=0),
    Column("overdue", Integer, nullable=False, default=0),
)

issues = Table(
    "track_issues",
    meta,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("rule", String(32), nullable=False),
    Column("entity", String(64)),
    Column("key", Text),
    Column("field", String(128)),
    Column("severity", String(16), nullable=False),
    Column("department", String(128)),
    Column("status", String(16), nullable=False),
    Column("first_seen", TS, nullable=False),
    Column("last_seen", TS, nullable=False),
    Column("opened_at", TS, nullable=False),  # start of the current open period (first_seen, or the reopening)
    Column("resolved_at", TS),
    Column("times_seen", Integer, nullable=False),
    Column("times_reopened", Integer, nullable=False, default=0),
    Column("first_run", Integer, ForeignKey("track_runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("track_runs.id"), nullable=False),
    Column("file", Text),
    Column("sheet", Text),
    Column("row", Integer),
    Column("value", Text),
    Column("message_params", Text),  # JSON of the Issue's params, so `dq issues show` can say what is wrong
)
Index("ix_track_issues_status", issues.c.status)
Index("ix_track_issues_department", issues.c.department)

events = Table(
    "track_events",
    meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", Integer, ForeignKey("track_issues.number"), nullable=False),
    Column("run_id", Integer, ForeignKey("track_runs.id"), nullable=False),
    Column("at", TS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("department", String(128)),
    Column("file", Text),
    Column("sheet", Text),
    Column("row", Integer),
    Column("value", Text),
)
Index("ix_track_events_number", events.c.number)
Index("ix_track_events_run", events.c.run_id)

run_counts = Table(
    "track_run_counts",
    meta,
    Column("run_id", Integer, ForeignKey("track_runs.id"), primary_key=True),
    Column("severity", String(16), primary_key=True),
    Column("department", String(128), primary_key=True),  # "-" when no department
    Column("issues", Integer, nullable=False),
)

locks = Table(
    "track_locks",
    meta,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", TS, nullable=False),
)


corrections = Table(
    "track_corrections",
    meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", Integer, ForeignKey("track_issues.number"), nullable=False),
    Column("imported_at", TS, nullable=False),
    Column("list_file", Text),
    Column("department", String(128)),
    Column("old_value", Text),
    Column("new_value", Text, nullable=False),
    Column("done_by", Text),
    Column("done_on", TS),
    Column("outcome", String(16), nullable=False),  # applied, requested (a change request), refused
    Column("request_id", Integer),
    Column("reason", Text),  # refused: why (the rule the value still breaks ...)
)
Index("ix_track_corrections_number", corrections.c.number)
