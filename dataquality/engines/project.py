"""dq.yaml entities that live in a database: `product: {url: ..., table: schema.table}`.

The URL may name environment variables (`${ERP_URL}` or `postgresql+psycopg://dq:${ERP_PASSWORD}@erp/erp`)
so no password needs to be written into dq.yaml.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dataquality.config import Config
from dataquality.errors import ConfigError
from dataquality.issue import Issue

_KEYS = {"url", "table"}


def parse_source(path: Path, key: str, raw: Mapping[str, Any]) -> str:
    """'URL#table' for a dq.yaml entity given as {url, table}; ConfigError naming the key when wrong."""
    extra = set(raw) - _KEYS
    if extra:
        raise ConfigError("project.unknown_key", file=str(path), key=f"{key}.{sorted(extra)[0]}", allowed=", ".join(sorted(_KEYS)))
    for part in ("url", "table"):
        value = raw.get(part)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("project.source_part", file=str(path), key=f"{key}.{part}")
    url = os.path.expandvars(str(raw["url"]).strip())
    if "${" in url:
        raise ConfigError("project.source_env", file=str(path), key=f"{key}.url")
    return f"{url}#{str(raw['table']).strip()}"


def source_issues(sources: Mapping[str, str], config: Config, lang: str, progress: Any = None) -> list[Issue]:
    """The issues of each database entity, checked where it lives (one connection per distinct database)."""
    from dataquality.engines import check_where_they_live
    from dataquality.engines.sources import split_source

    by_url: dict[str, list[tuple[str, str]]] = {}
    for entity, spec in sources.items():
        by_url.setdefault(split_source(spec)[0], []).append((entity, spec))
    issues: list[Issue] = []
    for items in by_url.values():
        for entity, spec in items:
            issues += check_where_they_live(config, [spec], lang, progress, entity=entity)
    return issues
