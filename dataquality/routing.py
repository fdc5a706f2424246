"""Who must fix an issue: rules/routing.yaml routes by entity, field and rule to a department."""

from __future__ import annotations

from functools import lru_cache

from dataquality.config import Config

FROM_RECORD = "from_record"


class Router:
    """Decides the department responsible for an issue; the first matching route wins."""

    def __init__(self, config: Config) -> None:
        self._routes = config.routes
        self._default = config.default_department
        self.department = lru_cache(maxsize=4096)(self._department)  # type: ignore[method-assign]

    def _department(self, entity: str | None, field: str | None, rule: str | None, record_department: str | None) -> str | None:
        for route in self._routes:
            if route.entity and route.entity != entity:
                continue
            if route.fields and field not in route.fields:
                continue
            if route.rules and rule not in route.rules:
                continue
            if route.department == FROM_RECORD:
                if record_department:
                    return record_department
                continue
            return route.department
        return record_department or self._default
