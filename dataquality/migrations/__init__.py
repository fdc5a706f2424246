"""The state database's schema history, as Alembic revisions (docs/state-database.md).

`dataquality.store.open_store` upgrades every database it opens to the newest revision here;
env.py and script.py.mako serve both that and the `alembic` command of a developer adding a
revision. A revision, once released, is never edited: the next change is a new revision.
"""
