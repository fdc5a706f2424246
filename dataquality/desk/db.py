"""Tables of the import desk in the project database: import jobs, the clerk's edits, layouts.

The schema is made by Alembic revision 0006 (dataquality/migrations/versions); a test holds these
objects and the revision equal. A job's upload lives in the state folder (desk/<random>/); the row
here says whose it is and when it expires, so a job survives a restart of `dq serve`.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

meta = MetaData()

# One import: the uploaded file (kept under STATE/desk/<id>/, never served back raw), its owner
# (a person id of the staff list) and the sheet, header row, entity and mapping the clerk confirmed.
jobs = Table(
    "desk_jobs", meta,
    Column("id", String(40), primary_key=True),
    Column("owner_id", String(200), nullable=False),
    Column("owner_name", String(200), nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("stored", Text, nullable=False),  # the file's path relative to the state folder
    Column("size", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("choice", Text),  # JSON: sheet, header_row, entity, columns, values (None: dq's own choice)
    Column("confirmed", Integer, nullable=False, server_default="0"),  # mapping confirmed (or remembered)
    Column("layout_key", String(64)),
    Column("submission_id", Integer),
    Index("ix_desk_jobs_owner", "owner_id"),
)

# The clerk's edits as events: an edit of a cell, a certain fix, a mapped enumeration value. Each
# belongs to a batch (one click); undo marks the newest live batch undone. The current values of a
# job are its upload with the live events applied in order.
edits = Table(
    "desk_edits", meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(40), nullable=False),
    Column("batch", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # edit | fix | value
    Column("sheet", String(200)),
    Column("row", Integer, nullable=False),
    Column("field", String(64), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("rules", String(200)),  # the rules whose fix it is (kind fix)
    Column("actor", String(200), nullable=False),
    Column("at", String(40), nullable=False),
    Column("undone", Integer, nullable=False, server_default="0"),
    Index("ix_desk_edits_job", "job_id", "batch"),
)

# The layout memory: a set of headers, the header row and the entity -> the confirmed mapping and
# the value mapping of enumerated fields, applied to the next upload of the same layout.
layouts = Table(
    "desk_layouts", meta,
    Column("key", String(64), primary_key=True),
    Column("entity", String(64), nullable=False),
    Column("header_row", Integer, nullable=False),
    Column("headers", Text, nullable=False),  # JSON list
    Column("columns", Text, nullable=False),  # JSON: header -> field or null
    Column("values", Text, nullable=False),  # JSON: field -> {value as written: allowed value}
    Column("updated_at", String(40), nullable=False),
    Column("updated_by", String(200), nullable=False),
)
