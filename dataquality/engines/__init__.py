"""A second engine: the same rules compiled to Ibis expressions (DuckDB, PostgreSQL, Spark).

pandas stays the reference engine (Excel files, `dq fix`); `run_engine` checks files in DuckDB
(or Spark) and database tables where they live, and returns the same `Result` as pipeline.run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataquality.config import Config
from dataquality.i18n import text
from dataquality.issue import sort_key
from dataquality.result import Progress, Result


def run_engine(config: Config, inputs: Sequence[Path | str], lang: str = "en", progress: Progress | None = None,
               engine: str = "duckdb", sources: Sequence[str] = (), entity: str | None = None,
               stats: dict[str, Any] | None = None) -> Result:
    """Check `inputs` (files) and `sources` (URL#schema.table) with the Ibis engine; one backend per run."""
    from dataquality.engines.runner import check_sources
    from dataquality.engines.sources import (
        connect,
        connect_url,
        db_source,
        file_sources,
        split_source,
    )
    from dataquality.errors import InputError

    started = dt.datetime.now().astimezone()
    if entity is not None and entity not in config.schemas:
        raise InputError("engine.unknown_entity", entity=entity, known=", ".join(sorted(config.schemas)))
    if sources and inputs:
        raise InputError("engine.mixed")
    if sources:
        urls = {split_source(s)[0] for s in sources}
        if len(urls) > 1:
            raise InputError("engine.one_database")
        con = connect_url(next(iter(urls)))
        if progress:
            progress(text("progress.reading", lang, file=", ".join(split_source(s)[2] for s in sources)))
        srcs = [db_source(con, s, config, entity) for s in sources]
    else:
        con = connect(engine)
        if progress:
            progress(text("progress.reading", lang, file=", ".join(str(p) for p in inputs)))
        srcs = file_sources(con, [Path(p) for p in inputs], config, lang)
    if progress:
        progress(text("engine.checking", lang, engine=con.name))
    issues = sorted(check_sources(srcs, config, stats), key=sort_key)
    tables = [s.loaded for s in srcs if s.loaded is not None]
    result = Result(issues, tables, [Path(p) for p in inputs], started)
    first_seen = started.isoformat(timespec="seconds")
    result.issues = [i.with_tracking(first_seen=first_seen) for i in result.issues]
    return result
