"""What a record rule may look at beyond its own table (kept apart so rule families never import the runner)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dataquality.checks.values import TableValues
from dataquality.config import Config


@dataclass
class CheckContext:
    """The other tables checked in the same run, and the configuration."""

    config: Config
    tables: list[TableValues] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)

    def of(self, entity: str) -> list[TableValues]:
        """The loaded tables of `entity` (e.g. the customer master when checking products)."""
        return [t for t in self.tables if t.schema.name == entity]
