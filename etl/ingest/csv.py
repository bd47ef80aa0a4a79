"""CSV files with a header row -> entries: ``parse_csv`` on a whole text, ``CsvReader`` a
record-aligned chunk at a time; Polars parses both."""

from __future__ import annotations

import io
import re

import polars as pl

from etl.ingest.records import first_present, quarantine_frame, typed_entries
from etl.ingest.rules import ENTRY_SCHEMA, PY_WHITESPACE, RAW_COLUMNS, RULES


def parse_csv(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries of a CSV file with a header row; ``line`` is the record number (header excluded).

    Raises ValueError when the file is not CSV or lacks a title or abstract column: then no row
    can be used, and the caller reports the file.
    """
    if not text.strip():
        return pl.DataFrame(schema=ENTRY_SCHEMA), quarantine_frame([])
    table = _read_csv_bytes(text.encode("utf-8"))
    _check_csv_columns(table)
    return _csv_entries(table, 0), quarantine_frame([])


def _read_csv_bytes(data: bytes) -> pl.DataFrame:
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"malformed CSV: {str(exc).splitlines()[0]}") from exc


def _check_csv_columns(table: pl.DataFrame) -> None:
    by_name = {column.strip().lower(): column for column in table.columns}
    for required in ("title", "abstract"):
        if first_present(by_name, RULES.columns[required]) is None:
            found = ", ".join(table.columns) or "none"
            raise ValueError(f"CSV has no {required} column (columns: {found})")


def _csv_entries(table: pl.DataFrame, records_before: int) -> pl.DataFrame:
    by_name = {column.strip().lower(): column for column in table.columns}
    raw = table.select(
        *(
            (pl.col(column) if (column := first_present(by_name, aliases)) else pl.lit(None, pl.Utf8)).alias(name)
            for name, aliases in RAW_COLUMNS.items()
        ),
        line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + records_before,
    )
    return typed_entries(raw)


class CsvReader:
    """The first chunk is read with its header; later chunks get the header's bytes put back in
    front, so every chunk parses as the whole file would."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.header: bytes | None = None
        self.columns: list[str] = []
        self.records = 0
        self.held = b""  # leading blank text, or everything when the header cannot be isolated
        self.whole = False

    def feed(self, data: bytes, last: bool = False) -> tuple[pl.DataFrame, list[dict]]:
        if self.whole or self.header is None:
            data = self.held + data
            self.held = b""
            if self.whole or _blank_utf8(data):
                self.held = data
                return pl.DataFrame(schema=ENTRY_SCHEMA), []
            table = _read_csv_bytes(data)
            _check_csv_columns(table)
            self.columns = table.columns
            self.header = _csv_header(data, table.columns)
            if self.header is None:  # cannot tell where the header ends: read the file as one piece
                self.whole, self.held = True, data
                return pl.DataFrame(schema=ENTRY_SCHEMA), []
        else:
            table = _read_csv_bytes(self.header + data)
            if table.columns != self.columns:
                raise ValueError(f"malformed CSV: columns changed to {', '.join(table.columns)}")
        entries = _csv_entries(table, self.records)
        self.records += table.height
        return entries, []

    def finish(self) -> tuple[pl.DataFrame, list[dict]]:
        if not self.whole:
            return pl.DataFrame(schema=ENTRY_SCHEMA), []
        table = _read_csv_bytes(self.held)
        self.held, self.whole = b"", False
        return _csv_entries(table, 0), []


#: any run of Python whitespace, as UTF-8 bytes
_BLANK_UTF8 = re.compile(b"(?:" + b"|".join(re.escape(c.encode()) for c in PY_WHITESPACE) + b")*")


def _blank_utf8(data: bytes) -> bool:
    """``not data.decode().strip()`` without decoding: only Python whitespace characters."""
    return _BLANK_UTF8.fullmatch(data) is not None


def _csv_header(data: bytes, columns: list[str]) -> bytes | None:
    """The leading bytes of ``data`` that read as exactly the header: up to the first record end."""
    start = quotes = 0
    for _ in range(1000):
        end = data.find(b"\n", start)
        if end < 0:
            return None
        quotes += data.count(b'"', start, end)
        start = end + 1
        if quotes % 2:
            continue
        try:
            head = pl.read_csv(io.BytesIO(data[:start]), infer_schema=False)
        except pl.exceptions.PolarsError:
            continue
        if head.columns == columns and head.height == 0:
            return data[:start]
    return None
