"""`dq template`: an import workbook generated from an entity schema, so it can never drift from the checks.

One data sheet (display-name headers, required columns marked, rules as header notes and input
messages, Excel data validation wherever Excel can express the rule, codes formatted as text),
a hidden sheet of drop-down lists, and an instructions sheet.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from dataquality.config import Bound, Config, EntitySchema, FieldSpec
from dataquality.errors import DQError
from dataquality.fileio import atomic_path
from dataquality.i18n import has, text
from dataquality.xlsx import column_letter, put

DEFAULT_ROWS = 1000
REQUIRED_FILL = "F8CBAD"  # header of a required column
OPTIONAL_FILL = "DDEBF7"  # header of an optional column
# Lengths of the identifiers whose format the identifier rules check (Excel can only check length).
IDENTIFIER_LENGTHS = {"uscc": (18, 18), "gtin": (8, 14)}
# Excel's limits on data-validation texts.
_TITLE_MAX, _PROMPT_MAX = 32, 255
_EXCEL_TEXT_MAX = 32767
_CJK = re.compile(r"[\u4e00-\u9fff]")


class TemplateError(DQError):
    """A template that cannot be made (unknown entity)."""


@dataclass(frozen=True)
class Validation:
    """An Excel data validation for one column, before it is bound to cells."""

    type: str | None  # None: any value, input message only
    operator: str | None = None
    formula1: str | None = None
    formula2: str | None = None
    error_key: str = "template.error.any"


# --- the rule in words ----------------------------------------------------------------------


def _regex_parts(pattern: str, lang: str) -> list[str] | None:
    """A simple anchored pattern in words, e.g. ^C\\d{6}$ -> ['C', '6 digits']; None when too complex."""
    import re._parser as sre  # the stdlib's own regex parser: no second regex grammar here
    from re._constants import (
        ANY,
        AT,
        BRANCH,
        CATEGORY,
        CATEGORY_DIGIT,
        IN,
        LITERAL,
        MAX_REPEAT,
        RANGE,
        SUBPATTERN,
    )

    def unit(items: list) -> str | None:
        """'digit', 'letter' or a literal character for one position."""
        if len(items) != 1:
            return None
        op, av = items[0]
        if op == LITERAL:
            return chr(av)
        if op == IN:
            if av == [(CATEGORY, CATEGORY_DIGIT)]:
                return "digit"
            if av == [(RANGE, (65, 90))]:
                return "upper"
            if av == [(RANGE, (48, 57))]:
                return "digit"
        if op == ANY:
            return "any"
        return None

    def count(kind: str, lo: int, hi: int) -> str:
        n = str(lo) if lo == hi else (f"{lo}–{hi}" if hi < 65535 else f"≥{lo}")
        return text(f"template.regex.{kind}", lang, n=n)

    try:
        parsed = sre.parse(pattern)
    except re.error:
        return None
    parts: list[str] = []
    literal = ""
    for op, av in parsed:
        u = unit([(op, av)]) if op in (LITERAL, IN, ANY) else None
        if op == AT:
            continue
        if op == LITERAL:
            literal += chr(av)
            continue
        if literal:
            parts.append(literal)
            literal = ""
        if u in ("digit", "upper", "any"):
            parts.append(count(u, 1, 1))
        elif op == MAX_REPEAT:
            lo, hi, sub = av
            inner = unit(list(sub))
            if inner not in ("digit", "upper", "any"):
                return None
            parts.append(count(inner, lo, hi))
        elif op == SUBPATTERN and len(av[3]) == 1 and av[3][0][0] == BRANCH:
            alternatives = []
            for alt in av[3][0][1][1]:
                if not all(o == LITERAL for o, _ in alt):
                    return None
                alternatives.append("".join(chr(a) for _, a in alt))
            parts.append("/".join(alternatives))
        else:
            return None
    if literal:
        parts.append(literal)
    return parts


def _length(spec: FieldSpec) -> tuple[int, int] | None:
    """The text length a code must have, from its pattern or identifier; None when any length goes."""
    if spec.identifier in IDENTIFIER_LENGTHS:
        return IDENTIFIER_LENGTHS[spec.identifier]
    if spec.pattern is None:
        return None
    import re._parser as sre

    try:
        lo, hi = sre.parse(spec.pattern).getwidth()
    except re.error:
        return None
    if lo == 0 and hi >= _EXCEL_TEXT_MAX:
        return None
    return lo, min(hi, _EXCEL_TEXT_MAX)


def _bound_words(b: Bound) -> str:
    return b.value if isinstance(b.value, str) else f"{b.value:,}"


def _choices(spec: FieldSpec, config: Config) -> list[str]:
    """What a drop-down offers: canonical values first, then the synonyms dq also accepts."""
    if spec.type == "enum":
        out = list(spec.values)
        for synonyms in spec.values.values():
            out.extend(synonyms)
        return list(dict.fromkeys(out))
    ref = config.references.get(spec.reference or "")
    if ref is None:
        return []
    names = [str(r["name"]).strip() for r in ref.records]
    aliases = [str(a) for r in ref.records for a in (r.get("aliases") or ())]
    return list(dict.fromkeys(names + aliases))


def rule_lines(spec: FieldSpec, schema: EntitySchema, config: Config, lang: str) -> list[str]:
    """A field's rules in plain words, one per line, in `lang`."""
    lines: list[str] = []
    if spec.description:
        lines.append(spec.description.get(lang) or spec.description.get("en", ""))
    if spec.required:
        lines.append(text("template.rule.required", lang))
    elif spec.required_when:
        other = schema.fields[spec.required_when.field]
        lines.append(text("template.rule.required_when", lang, other=other.label(lang), values=", ".join(spec.required_when.values)))
    else:
        lines.append(text("template.rule.optional", lang))
    if spec.type == "enum":
        shown = [f"{c} ({'/'.join(s)})" if s else c for c, s in spec.values.items()]
        lines.append(text("template.rule.enum", lang, values=", ".join(shown)))
    elif spec.type in ("integer", "decimal", "date"):
        lines.append(text(f"template.rule.{spec.type}", lang))
    if spec.reference:
        lines.append(text("template.rule.reference", lang, list=text(f"template.list.{spec.reference}", lang)
                          if has(f"template.list.{spec.reference}") else spec.reference))
    if spec.pattern:
        parts = _regex_parts(spec.pattern, lang)
        words = " + ".join(parts) if parts else spec.pattern
        lines.append(text("template.rule.pattern", lang, words=words))
        if "upper" in spec.clean:
            lines.append(text("template.rule.upper", lang))
    if spec.identifier and has(f"template.identifier.{spec.identifier}"):
        lines.append(text(f"template.identifier.{spec.identifier}", lang))
    for bound, side in ((spec.min, "min"), (spec.max, "max")):
        if bound is None:
            continue
        kind = "date_" if spec.type == "date" else ""
        key = f"template.rule.{kind}{side}{'_exclusive' if bound.exclusive else ''}"
        if bound.value == "today":
            key = f"template.rule.{side}_today"
        lines.append(text(key, lang, value=_bound_words(bound)))
    if spec.unique:
        lines.append(text("template.rule.unique", lang))
    if spec.text:
        lines.append(text("template.rule.text", lang))
    return lines


# --- Excel data validation ------------------------------------------------------------------


def _date_formula(b: Bound) -> str:
    if b.value == "today":
        return "TODAY()"
    d = dt.date.fromisoformat(str(b.value))
    return f"DATE({d.year},{d.month},{d.day})"


def _range_validation(kind: str, lo: Bound | None, hi: Bound | None) -> Validation:
    """A whole/decimal/date validation for the bounds (Excel has no 'any number', so a wide range)."""
    fmt = _date_formula if kind == "date" else (lambda b: repr(b.value))
    if lo is not None and hi is not None and not lo.exclusive and not hi.exclusive:
        return Validation(kind, "between", fmt(lo), fmt(hi), f"template.error.{kind}")
    if lo is not None and hi is None:
        return Validation(kind, "greaterThan" if lo.exclusive else "greaterThanOrEqual", fmt(lo), None, f"template.error.{kind}")
    if hi is not None and lo is None:
        return Validation(kind, "lessThan" if hi.exclusive else "lessThanOrEqual", fmt(hi), None, f"template.error.{kind}")
    if lo is not None and hi is not None:  # an exclusive end: keep the stricter single condition Excel can express
        return Validation(kind, "greaterThan" if lo.exclusive else "greaterThanOrEqual", fmt(lo), None, f"template.error.{kind}")
    if kind == "date":
        return Validation(kind, "between", "DATE(1900,1,1)", "DATE(9999,12,31)", "template.error.date")
    return Validation(kind, "between", "-1E+15", "1E+15", f"template.error.{kind}")


def validation_for(spec: FieldSpec, list_range: str | None) -> Validation:
    """The Excel data validation that expresses `spec` as far as Excel can."""
    if list_range is not None:
        return Validation("list", None, list_range, None, "template.error.list")
    if spec.type == "integer":
        return _range_validation("whole", spec.min, spec.max)
    if spec.type == "decimal":
        return _range_validation("decimal", spec.min, spec.max)
    if spec.type == "date":
        return _range_validation("date", spec.min, spec.max)
    length = _length(spec)
    if length is not None:
        lo, hi = length
        if lo == hi:
            return Validation("textLength", "equal", str(lo), None, "template.error.length")
        return Validation("textLength", "between", str(lo), str(hi), "template.error.length")
    return Validation(None)


def _clip(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"


# --- the workbook ---------------------------------------------------------------------------


def data_sheet_title(schema: EntitySchema, lang: str) -> str:
    """A sheet name the loader recognises, in the template's language where the schema has one."""
    for name in schema.sheet_names:
        if bool(_CJK.search(name)) == (lang == "zh"):
            return name
    return schema.sheet_names[0] if schema.sheet_names else schema.label(lang)


def _width(spec: FieldSpec, label: str, choices: list[str]) -> float:
    def shown(s: str) -> int:  # a CJK character is about two Latin characters wide
        return len(s) + len(_CJK.findall(s))

    widest = max([shown(label) + 4, *(shown(c) + 3 for c in choices[:50]), 12])
    if spec.text or spec.is_numeric or spec.type == "date":
        widest = max(widest, 16)
    if spec.type == "string" and not spec.pattern and not spec.identifier and not spec.reference:
        widest = max(widest, 28)  # names and addresses
    return min(widest, 48)


def build(schema: EntitySchema, config: Config, lang: str = "zh", rows: int = DEFAULT_ROWS) -> Workbook:
    """The template workbook for `schema`: data sheet, instructions sheet and a hidden list sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = data_sheet_title(schema, lang)
    lists = wb.create_sheet(text("template.lists_sheet", lang))
    lists.sheet_state = "hidden"
    bold = Font(bold=True)
    last = rows + 1
    list_col = 0
    fields = list(schema.fields.values())
    for i, spec in enumerate(fields, start=1):
        letter = column_letter(i - 1)
        label = spec.label(lang)
        words = rule_lines(spec, schema, config, lang)
        gap = "" if lang == "zh" else " "  # each line ends with its own full stop
        sentence = gap.join(words)
        header = ws.cell(row=1, column=i)
        put(header, label)
        header.font = Font(bold=True, color="9C0006" if spec.required else "1F3864")
        colour = REQUIRED_FILL if spec.required else OPTIONAL_FILL
        header.fill = PatternFill("solid", start_color=colour, end_color=colour)
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.comment = Comment("\n".join([f"{label} ({spec.name})", *words]), "dq template", width=300, height=40 + 18 * len(words))
        choices = _choices(spec, config)
        list_range = None
        if choices:
            list_col += 1
            list_letter = column_letter(list_col - 1)
            put(lists.cell(row=1, column=list_col), f"list: {spec.name}")
            for r, value in enumerate(choices, start=2):
                put(lists.cell(row=r, column=list_col), value)
            list_range = f"{quote_sheetname(lists.title)}!${list_letter}$2:${list_letter}${len(choices) + 1}"
        v = validation_for(spec, list_range)
        dv = DataValidation(
            type=v.type, operator=v.operator, formula1=v.formula1, formula2=v.formula2, allow_blank=True,
            showInputMessage=True, showErrorMessage=v.type is not None, errorStyle="stop",
            promptTitle=_clip(label, _TITLE_MAX), prompt=_clip(sentence, _PROMPT_MAX),
            errorTitle=_clip(text("template.error_title", lang, field=label), _TITLE_MAX),
            error=_clip(f"{text(v.error_key, lang)}{gap}{sentence}", _PROMPT_MAX),
        )
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
        ws.column_dimensions[letter].width = _width(spec, label, choices)
        if spec.text:
            # Text format before anything is typed: Excel keeps leading zeros and long digit runs.
            ws.column_dimensions[letter].number_format = "@"
            for r in range(2, last + 1):
                ws.cell(row=r, column=i).number_format = "@"
        elif spec.type == "date":
            for r in range(2, last + 1):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30
    lists.freeze_panes = "A2"
    for cell in lists[1]:
        cell.font = bold
    _instructions(wb, schema, config, lang, ws.title, rows)
    return wb


def _instructions(wb: Workbook, schema: EntitySchema, config: Config, lang: str, data_title: str, rows: int) -> Worksheet:
    ws = wb.create_sheet(text("template.instructions_sheet", lang), 1)
    title = ws.cell(row=1, column=1)
    put(title, text("template.instructions_title", lang, entity=schema.label(lang)))
    title.font = Font(bold=True, size=14)
    lines = [text(f"template.instructions.{n}", lang, sheet=data_title, rows=rows) for n in range(1, 7)]
    lines.append(text("template.instructions.source", lang, schema=Path(schema.source).name,
                      date=dt.date.today().isoformat()))
    for r, line in enumerate(lines, start=2):
        put(ws.cell(row=r, column=1), line)
    start = len(lines) + 3
    headers = [text(f"template.instructions_column.{k}", lang) for k in ("column", "field", "required", "rules")]
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=start, column=c)
        put(cell, h)
        cell.font = Font(bold=True)
    for i, spec in enumerate(schema.fields.values(), start=1):
        required = "template.yes" if spec.required else ("template.conditional" if spec.required_when else "template.no")
        # "label (name)" in one cell: never a header match, so the loader skips this sheet.
        row = [column_letter(i - 1), f"{spec.label(lang)} ({spec.name})", text(required, lang),
               "\n".join(rule_lines(spec, schema, config, lang)[1:]) or "-"]
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=start + i, column=c)
            put(cell, value)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for letter, width in zip("ABCD", (8, 30, 10, 80), strict=True):
        ws.column_dimensions[letter].width = width
    return ws


def default_name(entity: str, config: Config, lang: str) -> Path:
    """The file a template is written to when no -o is given: 客户导入模板.xlsx, Customer-import-template.xlsx."""
    if entity not in config.schemas:
        raise TemplateError("template.unknown_entity", entity=entity, choices=", ".join(sorted(config.schemas)))
    return Path(text("template.default_name", lang, label=config.schemas[entity].label(lang)))


def write(entity: str, config: Config, output: Path, lang: str = "zh", rows: int = DEFAULT_ROWS) -> Path:
    """Build the template for `entity` and write it to `output` atomically."""
    if entity not in config.schemas:
        raise TemplateError("template.unknown_entity", entity=entity, choices=", ".join(sorted(config.schemas)))
    if output.suffix.lower() != ".xlsx":
        raise TemplateError("template.output_suffix", output=str(output))
    wb = build(config.schemas[entity], config, lang, rows)
    with atomic_path(output) as tmp:
        wb.save(tmp)
    return output
