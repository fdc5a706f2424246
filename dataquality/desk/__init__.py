"""The import desk (issue 24): a clerk's upload checked, fixed and submitted through `dq serve`.

No web code here: `jobs` keeps uploads and their rows in the project database, `layouts` remembers
mappings per export layout, `bench` (the workbench) holds a job's tables, issues, edits and fixes,
`grid` serves windows of rows from a Parquet copy through DuckDB, `finish` writes downloads and
compares with the baseline before submitting. dataquality/web/desk_pages.py and
dataquality/web/api/imports.py only parse and render.
"""
