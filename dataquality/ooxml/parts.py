"""The small XML parts that tie a workbook together, edited through lxml: relationships and content types."""

from __future__ import annotations

from pathlib import PurePosixPath

from lxml import etree

from dataquality.ooxml import OoxmlError
from dataquality.ooxml.names import CONTENT_TYPES, PACKAGE_RELATIONSHIPS

# Parts come from users' files: no DTD, no entities resolved, nothing fetched.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def parse(data: bytes, what: str) -> etree._Element:
    """The root element of an XML part; OoxmlError naming the part when it is not XML."""
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise OoxmlError(f"{what} is not well-formed XML: {exc}") from None


def serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def resolve(base_part: str, target: str) -> str:
    """A relationship's target (relative to the part that owns the relationship) as a zip entry name."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in f"{PurePosixPath(base_part).parent}/{target}".split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def rels_name(part: str) -> str:
    """The relationships part of `part` (xl/worksheets/sheet1.xml -> xl/worksheets/_rels/sheet1.xml.rels)."""
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / (path.name + ".rels"))


class Relationships:
    """The relationships of one part (`owner`): what it links to, by id and type."""

    def __init__(self, owner: str, data: bytes | None) -> None:
        self.owner = owner
        self.name = rels_name(owner)
        self.root = parse(data, self.name) if data is not None else etree.Element(f"{{{PACKAGE_RELATIONSHIPS}}}Relationships",
                                                                                   nsmap={None: PACKAGE_RELATIONSHIPS})
        self.changed = False  # set when something is added: an unchanged part is copied as it was

    def _entries(self) -> list[etree._Element]:
        return [el for el in self.root if isinstance(el.tag, str) and etree.QName(el).localname == "Relationship"]

    def targets(self, type_suffix: str) -> list[tuple[str, str]]:
        """(id, part name) of every internal relationship whose type ends with `/type_suffix`."""
        return [(el.get("Id", ""), resolve(self.owner, el.get("Target", ""))) for el in self._entries()
                if el.get("Type", "").rsplit("/", 1)[-1] == type_suffix and el.get("TargetMode") != "External"]

    def target(self, rel_id: str) -> str | None:
        """The part that relationship `rel_id` points to (None: no such internal relationship)."""
        for el in self._entries():
            if el.get("Id") == rel_id and el.get("TargetMode") != "External":
                return resolve(self.owner, el.get("Target", ""))
        return None

    def free_id(self, stem: str) -> str:
        taken = {el.get("Id") for el in self._entries()}
        n = 1
        while f"{stem}{n}" in taken:
            n += 1
        return f"{stem}{n}"

    def add(self, rel_type: str, part: str, stem: str) -> str:
        """Link to `part` (a zip entry name); returns the new relationship's id."""
        rel_id = self.free_id(stem)
        ns = etree.QName(self.root).namespace
        etree.SubElement(self.root, f"{{{ns}}}Relationship" if ns else "Relationship",
                         Id=rel_id, Type=rel_type, Target="/" + part)
        self.changed = True
        return rel_id

    def remove(self, rel_id: str) -> None:
        for el in self._entries():
            if el.get("Id") == rel_id:
                self.root.remove(el)
                self.changed = True

    def to_bytes(self) -> bytes:
        return serialise(self.root)


class ContentTypes:
    """[Content_Types].xml: the type of each part, by its name or its extension."""

    NAME = "[Content_Types].xml"

    def __init__(self, data: bytes) -> None:
        self.root = parse(data, self.NAME)
        if etree.QName(self.root).localname != "Types":
            raise OoxmlError(f"{self.NAME} has no <Types>")
        self._ns = etree.QName(self.root).namespace or CONTENT_TYPES

    def _children(self, name: str) -> list[etree._Element]:
        return [el for el in self.root if isinstance(el.tag, str) and etree.QName(el).localname == name]

    def add_override(self, part: str, content_type: str) -> None:
        name = "/" + part
        if not any(el.get("PartName") == name for el in self._children("Override")):
            etree.SubElement(self.root, f"{{{self._ns}}}Override", PartName=name, ContentType=content_type)

    def add_default(self, extension: str, content_type: str) -> None:
        if not any((el.get("Extension") or "").lower() == extension.lower() for el in self._children("Default")):
            # Defaults come before overrides in the schema.
            overrides = self._children("Override")
            el = etree.Element(f"{{{self._ns}}}Default", Extension=extension, ContentType=content_type)
            if overrides:
                overrides[0].addprevious(el)
            else:
                self.root.append(el)

    def override(self, part: str) -> str | None:
        """The content type given to `part` by name (None: it has none of its own)."""
        return next((el.get("ContentType") for el in self._children("Override") if el.get("PartName") == "/" + part), None)

    def set_override(self, part: str, content_type: str) -> None:
        self.remove_override(part)
        self.add_override(part, content_type)

    def remove_override(self, part: str) -> None:
        for el in self._children("Override"):
            if el.get("PartName") == "/" + part:
                self.root.remove(el)

    def to_bytes(self) -> bytes:
        return serialise(self.root)
