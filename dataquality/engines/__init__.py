"""A second engine: the same rules compiled to Ibis expressions (DuckDB, PostgreSQL, Spark).

pandas stays the reference engine (Excel files, `dq fix`). The pipeline's load stage calls
`open_sources` (files opened in DuckDB or Spark, database tables where they live) and its validate
stage `runner.check_sources`: `pipeline.run(config, files, engine="duckdb")` returns the same
`Result` as the pandas engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataquality.config import Config
from dataquality.errors import InputError
from dataquality.i18n import text
from dataquality.issue import Issue
from dataquality.result import Progress

ENGINES = ("pandas", "duckdb", "spark")


def open_sources(config: Config, inputs: Sequence[Path], lang: str = "en", progress: Progress | None = None,
                 engine: str = "duckdb", sources: Sequence[str] = (), entity: str | None = None) -> tuple[str, list[Any]]:
    """The backend's name and the opened inputs: `inputs` (files) or `sources` (URL#schema.table); one backend per run."""
    from dataquality.engines.sources import (
        connect,
        connect_url,
        db_source,
        file_sources,
        split_source,
    )

    if entity is not None and entity not in config.schemas:
        raise InputError("engine.unknown_entity", entity=entity, known=", ".join(sorted(config.schemas)))
    if sources and inputs:
        raise InputError("engine.mixed")
    if sources:
        urls = {split_source(s)[0] for s in sources}
        if len(urls) > 1:
            raise InputError("engine.one_database")
        con = connect_url(next(iter(urls)), config.engine_settings)
        if progress:
            progress(text("progress.reading", lang, file=", ".join(split_source(s)[2] for s in sources)))
        return con.name, [db_source(con, s, config, entity) for s in sources]
    con = connect("duckdb" if engine == "pandas" else engine, config.engine_settings)
    if progress:
        progress(text("progress.reading", lang, file=", ".join(str(p) for p in inputs)))
    return con.name, file_sources(con, [Path(p) for p in inputs], config, lang)


def check_where_they_live(config: Config, sources: Sequence[str], lang: str = "en", progress: Progress | None = None,
                          entity: str | None = None, stats: dict[str, Any] | None = None) -> list[Issue]:
    """The issues of database tables (URL#schema.table), checked in their database."""
    name, srcs = open_sources(config, [], lang, progress, sources=sources, entity=entity)
    if progress:
        progress(text("engine.checking", lang, engine=name))
    return check_and_close(srcs, config, stats)


def check_and_close(sources: Sequence[Any], config: Config, stats: dict[str, Any] | None = None) -> list[Issue]:
    """`runner.check_sources` over `sources`, then their connections closed (the database is the
    company's: dq's connection and its settings go with the run). A database that ran out of disk
    or memory is said as such (`sources.out_of_room`), exit 2, not as a bug."""
    from dataquality.engines.runner import check_sources
    from dataquality.engines.sources import out_of_room

    try:
        return check_sources(list(sources), config, stats)
    except Exception as exc:
        room = out_of_room(exc, config)
        if room is None:
            raise
        raise room from None
    finally:
        close_sources(sources)


def close_sources(sources: Sequence[Any]) -> None:
    """Disconnect the backends of `sources`: a company's database gets its connection back, and
    DuckDB removes what it spilled to its temporary folder (dq leaves by os._exit, which would
    leave gigabytes of spill files behind)."""
    for backend in {id(b): b for b in (s.table._find_backend() for s in sources)}.values():
        if backend.name == "pyspark":  # the session may be the caller's own (spark:session, a notebook): it stays
            continue
        try:
            backend.disconnect()
        except Exception:  # noqa: BLE001, S110 - a connection already gone is closed enough
            pass
