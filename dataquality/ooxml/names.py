"""The namespaces, relationship types and content types of SpreadsheetML that dq writes."""

from __future__ import annotations

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

REL_WORKSHEET = RELATIONSHIPS + "/worksheet"
REL_COMMENTS = RELATIONSHIPS + "/comments"
REL_VML = RELATIONSHIPS + "/vmlDrawing"
REL_STYLES = RELATIONSHIPS + "/styles"
REL_OFFICE_DOCUMENT = RELATIONSHIPS + "/officeDocument"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_WORKBOOK_MACROS = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def suffix(rel_type: str) -> str:
    """The last word of a relationship type ('worksheet', 'comments'): the same in transitional and strict files."""
    return rel_type.rsplit("/", 1)[-1]
