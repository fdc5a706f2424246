"""Bodies of the imports API (/api/v1/imports): typed, so the OpenAPI document describes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from dataquality.desk.finish import Routed


class TableOut(BaseModel):
    """A table read from the upload: where, what, and which column holds which field."""

    sheet: str | None
    entity: str
    header_row: int
    records: int
    mapping: dict[str, str] = Field(description="Column letter -> field.")


class ImportOut(BaseModel):
    """A new import: its id, the tables read and the summary of the JSON report."""

    id: str
    file: str
    remembered_layout: bool = Field(description="The layout was seen before: its confirmed mapping was applied.")
    tables: list[TableOut]
    summary: dict[str, Any]


class ImportListed(BaseModel):
    id: str
    file: str
    owner: str
    created_at: str
    expires_at: str
    submission: int | None


class CellIn(BaseModel):
    """One cell's new value: the sheet (null for a CSV file), the Excel row and the field."""

    sheet: str | None = None
    row: int = Field(ge=1, le=1_048_576)
    field: str = Field(min_length=1, max_length=64)
    value: str | None = Field(None, max_length=32_767, description="The new text; empty or null clears the cell.")


class RowIssues(BaseModel):
    """The issues of the edited row after the edit (the JSON report's issue contract)."""

    sheet: str | None
    row: int
    issues: list[dict[str, Any]]


class FixIn(BaseModel):
    """Which certain fixes: every one `dq fix` makes (all), one rule's, one column's or one cell's."""

    scope: Literal["all", "rule", "field", "cell"] = "all"
    sheet: str | None = None
    rule: str | None = Field(None, max_length=16)
    field: str | None = Field(None, max_length=64)
    row: int | None = Field(None, ge=1, le=1_048_576)
    preview: bool = Field(False, description="Only list the fixes, change nothing.")


class FixOut(BaseModel):
    count: int = Field(description="Cells changed (or, with preview, that would change).")
    applied: bool
    fixes: list[dict[str, Any]]


class RoutedOut(BaseModel):
    """A sensitive change with its tier and the roles that must approve it."""

    entity: str
    key: str
    field: str
    kind: str
    old: str | None
    new: str | None
    tier: int
    roles: list[str]

    @classmethod
    def of(cls, routed: Routed) -> RoutedOut:
        c = routed.change
        return cls(entity=c.entity, key=c.key, field=c.field, kind=c.kind, old=c.old, new=c.new, tier=c.tier,
                   roles=list(routed.roles))


class ImportSubmitted(BaseModel):
    submission: int
    created: list[int]
    revised: list[int]
    unchanged: list[int]
    withdrawn: list[int]
    no_approval: int
    routed: list[RoutedOut]
