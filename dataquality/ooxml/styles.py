"""styles.xml through lxml: the cell formats a writer needs (a fill on a cell's own format, fonts,
number formats), added to the workbook's own; nothing the workbook has is changed or renumbered."""

from __future__ import annotations

import copy

from lxml import etree

from dataquality.ooxml import OoxmlError
from dataquality.ooxml.names import MAIN
from dataquality.ooxml.parts import parse, serialise

# The number formats every workbook has without declaring them (ECMA-376 18.8.30).
BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
_FIRST_CUSTOM_FORMAT = 164

# CT_Stylesheet's children in schema order: a section dq adds goes before the first one after it.
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles", "colors", "extLst")

MINIMAL = (f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>').encode()


class Styles:
    """A workbook's styles part (or, for a workbook without one, a minimal one) with formats added."""

    def __init__(self, data: bytes | None) -> None:
        self.root = parse(data if data is not None else MINIMAL, "styles.xml")
        if etree.QName(self.root).localname != "styleSheet":
            raise OoxmlError("styles.xml has no <styleSheet>")
        self._ns = etree.QName(self.root).namespace
        self._items = {section: self._elements(section) for section in ("fonts", "fills", "cellXfs")}
        self.numfmts = {int(el.get("numFmtId", "-1")): el.get("formatCode", "")
                        for el in self._elements("numFmts") if (el.get("numFmtId") or "").isdigit()}
        self._clones: dict[tuple[int, str, str | None], int] = {}
        self._fills: dict[str, int] = {}
        self.changed = False  # set when something is added: an unchanged part is copied as it was

    def _q(self, name: str) -> str:
        return f"{{{self._ns}}}{name}" if self._ns else name

    def _section(self, name: str, create: bool = True) -> etree._Element | None:
        found = self.root.find(self._q(name))
        if found is None and create:
            found = etree.Element(self._q(name))
            later = next((el for el in self.root if isinstance(el.tag, str) and etree.QName(el).localname in _ORDER
                          and _ORDER.index(etree.QName(el).localname) > _ORDER.index(name)), None)
            if later is not None:
                later.addprevious(found)
            else:
                self.root.append(found)
        return found

    def _elements(self, section: str) -> list[etree._Element]:
        found = self._section(section, create=False)
        return [el for el in found if isinstance(el.tag, str)] if found is not None else []

    def _add(self, section: str, element: etree._Element) -> int:
        """Append `element` to `section` (made when missing); returns its index."""
        items = self._items[section]
        parent = self._section(section)
        assert parent is not None
        parent.append(element)
        parent.set("count", str(len(items) + 1))
        items.append(element)
        self.changed = True
        return len(items) - 1

    def _new(self, name: str, children: tuple[tuple[str, dict[str, str]], ...] = (), **attrs: str) -> etree._Element:
        el = etree.Element(self._q(name), **attrs)
        for child, child_attrs in children:
            etree.SubElement(el, self._q(child), **child_attrs)
        return el

    # ------------------------------------------------------------------ what a cell format says

    def _xf(self, style: int) -> etree._Element | None:
        xfs = self._items["cellXfs"]
        if 0 <= style < len(xfs):
            return xfs[style]
        return xfs[0] if xfs else None

    def number_format(self, style: int) -> str:
        """The number format code of cell format `style` ('General', '@', 'yyyy-mm-dd' ...)."""
        xf = self._xf(style)
        fmt_id = int(xf.get("numFmtId", "0")) if xf is not None and (xf.get("numFmtId") or "").isdigit() else 0
        return self.numfmts.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "General")

    # ------------------------------------------------------------------ formats added

    def numfmt_id(self, code: str) -> int:
        """The id of number format `code`: a built-in one, one the workbook has, or one added."""
        for known in (BUILTIN_FORMATS, self.numfmts):
            found = next((fmt_id for fmt_id, c in known.items() if c == code), None)
            if found is not None:
                return found
        fmt_id = max([_FIRST_CUSTOM_FORMAT - 1, *self.numfmts]) + 1
        self.numfmts[fmt_id] = code
        section = self._section("numFmts")
        assert section is not None
        section.append(self._new("numFmt", numFmtId=str(fmt_id), formatCode=code))
        section.set("count", str(len([el for el in section if isinstance(el.tag, str)])))
        self.changed = True
        return fmt_id

    def fill(self, rgb: str) -> int:
        """The id of a solid fill of colour `rgb` (ARGB, e.g. FFFF9999), added once."""
        if rgb not in self._fills:
            pattern = self._new("patternFill", (("fgColor", {"rgb": rgb}), ("bgColor", {"indexed": "64"})), patternType="solid")
            fill = self._new("fill")
            fill.append(pattern)
            self._fills[rgb] = self._add("fills", fill)
        return self._fills[rgb]

    def font(self, *, bold: bool = False, italic: bool = False, underline: bool = False, color: str | None = None,
             size: float = 11, name: str = "Calibri") -> int:
        """The id of a new font (children in the schema's order)."""
        children: list[tuple[str, dict[str, str]]] = [(flag, {}) for flag, on in (("b", bold), ("i", italic)) if on]
        if underline:
            children.append(("u", {}))
        children.append(("sz", {"val": f"{size:g}"}))
        if color is not None:
            children.append(("color", {"rgb": color}))
        children.append(("name", {"val": name}))
        return self._add("fonts", self._new("font", tuple(children)))

    def xf(self, *, number_format: str | None = None, font: int = 0, fill: int = 0, wrap: bool = False,
           vertical: str | None = None) -> int:
        """The id of a new cell format."""
        attrs = {"numFmtId": str(self.numfmt_id(number_format) if number_format else 0), "fontId": str(font),
                 "fillId": str(fill), "borderId": "0", "xfId": "0"}
        attrs.update({flag: "1" for flag, on in (("applyNumberFormat", number_format), ("applyFont", font),
                                                 ("applyFill", fill), ("applyAlignment", wrap or vertical)) if on})
        align = {k: v for k, v in (("vertical", vertical), ("wrapText", "1" if wrap else None)) if v}
        return self._add("cellXfs", self._new("xf", (("alignment", align),) if align else (), **attrs))

    def with_fill(self, style: int, rgb: str, number_format: str | None = None) -> int:
        """Cell format `style` with a solid `rgb` fill: the cell keeps its font, border, alignment
        and (unless `number_format` is given) number format."""
        key = (style, rgb, number_format)
        found = self._clones.get(key)
        if found is None:
            base = self._xf(style)
            xf = copy.deepcopy(base) if base is not None else self._new("xf", numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
            xf.set("fillId", str(self.fill(rgb)))
            xf.set("applyFill", "1")
            if number_format is not None:
                xf.set("numFmtId", str(self.numfmt_id(number_format)))
                xf.set("applyNumberFormat", "1")
            found = self._clones[key] = self._add("cellXfs", xf)
        return found

    def to_bytes(self) -> bytes:
        return serialise(self.root)
