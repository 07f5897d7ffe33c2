"""Spreadsheets in and out: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 from Excel on Chinese
Windows, UTF-16) and Excel .xlsx (openpyxl), as plain rows of text cells.

Columns are matched by header: each column has a Chinese header, an English code and a few
aliases; a leading ``*`` (required marker) and a trailing remark in brackets
(``类型（代码或中文）``) are ignored.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

XLSX_MAGIC = b"PK\x03\x04"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | None


class TableError(ValueError):
    """The file cannot be read as a table at all (the message is shown to the user)."""


@dataclass(frozen=True)
class ColumnSpec:
    field: str  # the English code, also accepted as a header
    header: str  # the Chinese header written on export
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)  # (row number, cells)


def read_table(data: bytes) -> Table:
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(decode_text(data))


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableError("文件编码无法识别：请保存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx") from exc


def _read_csv(text: str) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _table(reader)


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError("无法读取 .xlsx 文件（文件损坏或不是 Excel 工作簿）") from exc
    try:
        sheet = workbook.worksheets[0]
        return _table(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _table(rows: Iterable[Sequence[object]]) -> Table:
    iterator = iter(rows)
    header_row = next(iterator, None)
    if header_row is None:
        raise TableError("文件是空的：第一行应为列标题")
    table = Table(headers=[cell_text(c) or "" for c in header_row])
    for number, raw in enumerate(iterator, start=2):
        cells = [cell_text(c) for c in raw]
        if any(c is not None for c in cells):
            table.rows.append((number, cells))
    return table


def cell_text(value: object) -> Cell:
    """A cell as trimmed text; dates as YYYY-MM-DD, whole numbers without ``.0``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        text = value.date().isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    text = text.strip()
    return text or None


_REMARK = re.compile(r"[（(\[【].*$")


def header_key(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lstrip("*").strip()
    return _REMARK.sub("", text).strip().lower().replace(" ", "_")


def match_columns(
    headers: Sequence[str], specs: Sequence[ColumnSpec]
) -> tuple[dict[str, int], list[str]]:
    """Column index per field, and problems (unknown, repeated or missing required columns)."""
    lookup: dict[str, ColumnSpec] = {}
    for spec in specs:
        for name in (spec.field, spec.header, *spec.aliases):
            lookup[header_key(name)] = spec
    positions: dict[str, int] = {}
    problems: list[str] = []
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        found = lookup.get(header_key(header))
        if found is None:
            problems.append(f"未知的列：{header}")
        elif found.field in positions:
            problems.append(f"重复的列：{header}")
        else:
            positions[found.field] = index
    for spec in specs:
        if spec.required and spec.field not in positions:
            problems.append(f"缺少必需的列：{spec.header}（{spec.field}）")
    return positions, problems


def csv_bytes(rows: Iterable[Sequence[Cell]], *, bom: bool = False) -> bytes:
    """Rows as CSV text in UTF-8 (with a BOM first, so that Excel shows Chinese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(["" if c is None else c for c in row] for row in rows)
    data = buffer.getvalue().encode("utf-8")
    return codecs.BOM_UTF8 + data if bom else data


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
