"""CSV cells that a spreadsheet would run as a formula, neutralised the way OWASP recommends.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or their full-width forms), possibly after
leading whitespace, or that starts with a tab or carriage return, is prefixed with a single quote
``'``: spreadsheets then show it as text, and the value stays readable. Only text cells are
touched: a number such as -3.5 in a numeric column stays a number. Every CSV the project writes
goes through ``csv_text`` (the CLI export and the dashboard's CSV download share it) or, when it
writes rows itself, ``neutralise_cell`` (the review sheet, which reads cells back with ``restore_cell``).
"""

from __future__ import annotations

import re

import polars as pl

#: the first character after any leading whitespace that makes a spreadsheet evaluate a cell,
#: or a leading tab / CR (OWASP "CSV Injection")
FORMULA_RE = r"^(?:[\t\r]|[ \t\r\n\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20])"
QUOTE = "'"


def neutralise_cell(value: object) -> object:
    """One value as ``neutralise_formulas`` writes it (for code that writes rows itself)."""
    if isinstance(value, str) and re.match(FORMULA_RE, value):
        return QUOTE + value
    return value


def restore_cell(text: str) -> str:
    """The inverse of ``neutralise_cell`` for a cell read back (a spreadsheet round trip): the
    leading ``'`` is dropped only where ``neutralise_cell`` would have added it."""
    if text.startswith(QUOTE) and re.match(FORMULA_RE, text[1:]):
        return text[1:]
    return text


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell that could start a formula prefixed by ``'``."""
    text = [name for name, dtype in frame.schema.items()
            if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)]
    return frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(FORMULA_RE))
        .then(pl.lit(QUOTE) + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in text
    )


def csv_text(frame: pl.DataFrame) -> str:
    """The one CSV writer: ``frame.write_csv()`` after ``neutralise_formulas``."""
    return neutralise_formulas(frame).write_csv()
