"""File-structure rules: findings about a sheet as a whole rather than a cell."""

from __future__ import annotations

from dataquality.checks.forms import BY_LOADER, IN_RUN
from dataquality.checks.registry import describe
from dataquality.issue import Severity

UNKNOWN_COLUMN = describe(
    "FIL001",
    "unknown-column",
    Severity.INFO,
    "file",
    """A column header matches no field of the entity; the column is ignored.

    Why: a misspelt header means its data is silently not checked (and not imported).
    Bad: a column headed 客户编号 where the schema knows 客户编码 and 客户代码.
    Good: rename the header, or add it as an alias in schemas/customer.yaml.
    """,
    engine=BY_LOADER,
)

DUPLICATE_COLUMN = describe(
    "FIL002",
    "duplicate-column",
    Severity.WARNING,
    "file",
    """Two columns have headers that mean the same field; only the first is read.

    Why: the second column's values are neither checked nor imported, and nobody notices which one the system took.
    Bad: a phone column 联系电话 in H and another 电话 in Q.
    Good: one column per field; delete or rename the other.
    """,
    engine=BY_LOADER,
)

SUMMARY_ROW = describe(
    "FIL003",
    "summary-row-ignored",
    Severity.INFO,
    "file",
    """A totals or subtotal row (合计, 小计, 华东区小计, Subtotal, Total for East ...) is left out of the checks; subtotals are said once.

    Why: a totals line is not a customer or a product; importing it creates a bogus record.
    Bad: a last row 合计 | | | 1,250,000 under the customer list, or 华东区 | 小计 | 300 under each region.
    Good: remove totals rows from an import file (dq reads past them, an ERP import may not).
    """,
    engine=BY_LOADER,
)

MISSING_COLUMN = describe(
    "FIL004",
    "required-column-missing",
    Severity.ERROR,
    "file",
    """A required field has no column in the sheet; every other column is still checked.

    Why: a master without its key or name cannot be imported; the rest of the sheet is still worth fixing.
    Bad: a customer list without a 客户编码 column.
    Good: add the column (dq template shows every field), or map the column that holds it with dq map.
    """,
    engine=BY_LOADER,
)

UNREADABLE_INPUT = describe(
    "FIL005",
    "input-not-checked",
    Severity.ERROR,
    "file",
    """An input file or sheet could not be read, or holds no recognisable master; the other inputs are still checked.

    Why: a file that is silently skipped looks like a clean file.
    Bad: a damaged .xls, or a sheet named 客户 whose header dq cannot recognise.
    Good: save the workbook again in Excel as .xlsx, or map its columns with dq map FILE -o mapping.yaml.
    """,
    engine=BY_LOADER,
)

WEAK_HEADER = describe(
    "FIL006",
    "column-matched-by-spelling",
    Severity.INFO,
    "file",
    """A column was matched to a field only by a similar spelling of its header, not by a known name.

    Why: a guess must never be silent: the person who knows the file confirms it.
    Bad: a column headed 'Custmer Code' read as the customer code.
    Good: rename the header, or confirm the mapping in a mapping file (dq map).
    """,
    engine=BY_LOADER,
)

UNCONFIRMED_COLUMN = describe(
    "FIL007",
    "column-values-do-not-fit",
    Severity.WARNING,
    "file",
    """A column found by a generic header (类别, 状态, 条码, Category) holds values of which almost none fit the field; its cells are not checked.

    Why: a generic name in another system's export often means something else; one warning beats a flood of false errors.
    Bad: a column 类别 holding 饮料 and 零食 read as the product category (FG/RM/SF).
    Good: map the column to the right field or to nothing in a mapping file (dq map), or convert its values.
    """,
    engine=BY_LOADER,
)

BY_VALUES = describe(
    "FIL010",
    "column-read-by-values",
    Severity.INFO,
    "file",
    """A column whose header names no field was read as one because its values are unambiguous (USCC, e-mail, GTIN, mobile numbers); said once per column.

    Why: a column a person recognises at a glance (国标码 holding EAN-13 barcodes) must be checked, and a guess must never be silent.
    Bad: a column 国标码 of 6901234567892 … read as nothing, its broken check digits never reported.
    Good: the column read as the barcode and said once; rename its header or confirm it with dq map.
    """,
    engine=BY_LOADER,
)

MAPPING_UNUSED = describe(
    "FIL011",
    "mapping-matches-no-input",
    Severity.WARNING,
    "file",
    """A sheet mapping of a mapping file matches none of the files checked; said once per mapping.

    Why: a layout set once (dq map -o) that stops matching, because next month's export is named differently, falls silent: its columns are then matched as usual and the report shows missing columns instead.
    Bad: a mapping for goods_export_2024-03.xlsx while goods_export_2024-04.xlsx is checked.
    Good: a file pattern for every month (goods_export_*.xlsx, as dq map -o writes it).
    """,
    engine=BY_LOADER,
)

BY_VALUES_ONLY = describe(
    "FIL012",
    "headers-not-recognised",
    Severity.WARNING,
    "file",
    """No header of a sheet names a known field (or the sheet has no header row); dq read the columns whose values reveal a field (FIL010) and checked them, and nothing else. Said once per sheet.

    Why: a table dq does not know is still worth checking on what it can tell, but the person must know the rest was not checked.
    Bad: a headerless export of customers whose e-mail and mobile columns are read, its other columns silently left out.
    Good: map the columns once (dq map FILE -o mapping.yaml, then --mapping) so every column is read.
    """,
    engine=BY_LOADER,
)

NOT_CHECKED = describe(
    "FIL013",
    "sheet-not-checked",
    Severity.ERROR,
    "file",
    """A readable sheet or file in which neither the headers nor the values reveal a customer, supplier or product table: nothing of it was checked.

    Why: a file that is silently skipped looks like a clean file; it is not unreadable either, so the way on is to say which column holds which field.
    Bad: a sheet with the headers 甲, 乙, 丙 given as the customer master.
    Good: dq map FILE -o mapping.yaml, name the entity, header row and fields, then dq validate FILE --mapping mapping.yaml.
    """,
    engine=BY_LOADER,
)

SHIFTED_ROW = describe(
    "FIL014",
    "row-wider-than-header",
    Severity.ERROR,
    "file",
    """A CSV line has more values than its header has columns: a separator inside an unquoted value has shifted its cells, so none of them is checked as the field above it.

    Why: an address such as 24, place Kléber written without quotes moves the city into the region column and the country into the phone column; the record is imported wrong, and checking its cells only produces false alarms.
    Bad: ALFKI,Alfreds,Obere Str. 57,Berlin written as ALFKI,Alfreds,24, place Kléber,Strasbourg.
    Good: the value in quotes ("24, place Kléber"), as every spreadsheet program writes it.
    """,
    engine=BY_LOADER,
)

VARIANT_ROWS = describe(
    "FIL015",
    "variant-rows-read-with-their-product",
    Severity.INFO,
    "file",
    """A product is written as a head row and its variants below (the variant rows leave the name and the other product-level cells empty); they were read with their head's values, as cells merged down would be. Said once per sheet.

    Why: an e-commerce export (Shopify, WooCommerce, Vendure) writes a product's name once; a variant row without it is not a product without a name, and a hundred 'name missing' errors would all be false.
    Bad: 'Product name is required but empty' on every size and colour of a T-shirt.
    Good: the variants read as the T-shirt's; a row that has no head above it is still reported.
    """,
    engine=BY_LOADER,
)

NOT_A_RECORD = describe(
    "FIL008",
    "row-not-a-record",
    Severity.INFO,
    "file",
    """A row that is not a record is left out of the checks: a sign-off row (制表人/审核/批准), a note under the table (注：…, with the rows under it), the header repeated on each page, a template's description or example rows (必填, 最多255字符, 示例), or another table whose header is not recognised.

    Why: such a line is not a customer or a product; importing it creates a bogus record.
    Bad: 批准： | 审核： | 编制： between the suppliers, 注：1、… under the price list, 必填 | 选填 | 最多50字符 under a template's header.
    Good: keep notes, signatures, repeated headers and descriptions out of an import file (dq reads past them, an ERP import may not).
    """,
    engine=BY_LOADER,
)

DIGITS_LOST = describe(
    "TYP006",
    "number-lost-digits",
    Severity.ERROR,
    "file",
    """An identifier (account, barcode, code) of 16 or more digits is stored as a number, so Excel kept only 15 significant digits.

    Why: the real number is lost; a bank account read back with zeros or invented digits sends money to nobody.
    Bad: a bank account 6222021234567891234 typed into a number cell (Excel keeps 6222021234567890000).
    Good: format the column as text (@) before typing, and type the number again from the source document.
    """,
    engine=BY_LOADER,
)

NO_RECORDS = describe(
    "FIL009",
    "no-records",
    Severity.WARNING,
    "file",
    """A sheet has a recognised header but no records under it.

    Why: an empty template sent for import imports nothing, and nobody notices until the data is missing.
    Bad: the customer template with its header row only.
    Good: fill in the records below the header, or leave the sheet out.
    """,
    engine=BY_LOADER,
)

RULE_NOT_RUN = describe(
    "RUL001",
    "rule-not-run",
    Severity.INFO,
    "file",
    """A record rule could not run on a sheet that has some of the fields it reads but not all; said once per sheet and rule.

    Why: a rule that skips in silence looks like a rule that found nothing; the person reading the report must know what was not checked.
    Bad: a customer sheet without a grade column: the credit cap by grade (CUS001) is not checked, and nothing says so.
    Good: add the column (or map it with dq map), or switch the rule off in rules/rules.yaml if the check is not wanted.
    """,
    engine=IN_RUN,
)

RULE_NOT_CONFIGURED = describe(
    "RUL002",
    "rule-not-configured",
    Severity.INFO,
    "file",
    """A record rule of this entity could not run because the entity's schema does not give its settings; said once per sheet and rule.

    Why: a company schema written before a rule existed (or copied without its record_rules) turns the rule off without a word, and the report reads as if the check had passed.
    Bad: a customer schema without record_rules.one_code_per_uscc: one company under two customer codes (CUS003) is never looked for.
    Good: add the rule's settings under record_rules in the schema (see the shipped schemas/), or switch the rule off in rules/rules.yaml.
    """,
    engine=IN_RUN,
)
