"""API shapes of bulk import and export."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class ImportEntity(StrEnum):
    ORGANIZATIONS = "organizations"
    UNITS = "units"
    MEMBERS = "members"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class RowError(BaseModel):
    row: int = Field(description="Row number as the spreadsheet shows it (the header is row 1)")
    column: str | None = Field(description="The column's header in the file, when one is at fault")
    message: str


class ImportReport(BaseModel):
    entity: ImportEntity
    dry_run: bool
    valid: bool = Field(description="True when no row has an error")
    rows: int = Field(description="Data rows read (empty rows skipped)")
    created: int = Field(description="Rows written (0 for a dry run or a file with errors)")
    error_count: int
    errors: list[RowError] = Field(description="At most the first 1,000 errors")
    refs: dict[str, str] = Field(
        default_factory=dict,
        description="New id of each row that has a ref (only for files of at most 1,000 rows)",
    )
