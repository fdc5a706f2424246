"""The layout memory: an export layout (its set of headers, the header row, the entity) remembered
with the mapping the clerk confirmed and the value mapping of enumerated fields, so that the next
upload of the same layout skips the columns step (and says so)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from dataquality.approve import audit
from dataquality.config import normalise_header
from dataquality.desk.db import layouts
from dataquality.store import Store


@dataclass(frozen=True)
class Layout:
    """A remembered layout and what the clerk confirmed for it."""

    key: str
    entity: str
    header_row: int
    headers: tuple[str, ...]
    columns: Mapping[str, str | None]  # header as written -> field (None: not a dq field)
    values: Mapping[str, Mapping[str, str]]  # field -> {value as written: allowed value}


def layout_key(headers: Iterable[str], header_row: int, entity: str) -> str:
    """The layout's identity: the set of its headers (normalised, order ignored), header row, entity."""
    cells = sorted({normalise_header(h) for h in headers if str(h).strip()})
    raw = json.dumps([entity, int(header_row), cells], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def recall(store: Store, key: str) -> Layout | None:
    with store.transaction() as conn:
        row = conn.execute(select(layouts).where(layouts.c.key == key)).first()
    if row is None:
        return None
    return Layout(row.key, row.entity, row.header_row, tuple(json.loads(row.headers)), json.loads(row.columns),
                  json.loads(row.values))


def remember(store: Store, layout: Layout, by: str) -> None:
    """Save (or replace) the layout's confirmed mapping; an audit event says who taught it."""
    row = {"entity": layout.entity, "header_row": layout.header_row,
           "headers": json.dumps(list(layout.headers), ensure_ascii=False),
           "columns": json.dumps(dict(layout.columns), ensure_ascii=False),
           "values": json.dumps({k: dict(v) for k, v in layout.values.items()}, ensure_ascii=False),
           "updated_at": audit.now(), "updated_by": by}
    with store.transaction() as conn:
        found = conn.execute(select(layouts.c.key).where(layouts.c.key == layout.key)).first()
        if found:
            conn.execute(layouts.update().where(layouts.c.key == layout.key).values(**row))
        else:
            conn.execute(layouts.insert().values(key=layout.key, **row))
        audit.append(conn, "desk_layout", actor=by, entity="layout", key=layout.key[:16],
                     data={"entity": layout.entity, "header_row": layout.header_row, "columns": dict(layout.columns),
                           "values": {k: dict(v) for k, v in layout.values.items()}})
