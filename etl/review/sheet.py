"""The spreadsheet round trip: the review queue as CSV, the filled-in CSV back as corrections.

Export: one claim a row: the anchor (``paper_id``, ``text``, ``sentence``, ``metric``: the metric
the extractor gave it), ``priority`` and ``why``, the current value of every editable field
(``current_<field>``), an empty ``decision`` column (``accept``, ``reject`` or ``edit``), one
``set_<field>`` column per editable field for edits, ``note`` and ``who``.

A row with decision ``add`` (a row the reviewer writes, e.g. a copy of a row of the same paper)
records a missed claim: ``paper_id``, ``text`` and ``sentence`` locate it in the abstract (``metric``
may stay empty), the ``set_<field>`` columns give its values, at least set_metric, set_multiplier,
set_high and set_unit.

Cells are written through the csv module; a text cell starting with ``=``, ``+``, ``-``, ``@``
(also after leading whitespace), a tab or a carriage return is prefixed with ``'`` so a spreadsheet
never runs it as a formula (``etl.store.neutralise_cell``, the rule every CSV of the project
follows; ``restore_cell`` removes the prefix again on import).

Import is all or nothing: every bad row is reported by line and column and nothing is appended
unless every row is good. Lists are written ``a; b``; ``null`` clears a nullable field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from etl.review.corrections import (
    ADD_REQUIRED,
    EDITABLE_FIELDS,
    Anchor,
    Correction,
    CorrectionError,
    check_value,
    make_correction,
)
from etl.store import neutralise_cell, restore_cell

ANCHOR_COLUMNS = ("paper_id", "text", "sentence", "metric")
DECISIONS = {"accept": "accept", "reject": "reject", "edit": "set", "add": "add"}
#: anchor columns a row must fill in; an ``add`` row names a missed claim, its metric is set_metric
ANCHOR_REQUIRED = {"add": ("paper_id", "text", "sentence")}
NULL = "null"


class SheetError(ValueError):
    """A CSV that cannot be imported; ``problems`` are "line N, column C: what" strings."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def safe_cell(value: Any) -> str:
    """A cell as text, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        value = "; ".join(safe_cell(v) if not isinstance(v, str) else v for v in value)
    text = str(value)
    return neutralise_cell(text)


def unsafe_cell(text: str) -> str:
    """The inverse of ``safe_cell``'s formula guard."""
    return restore_cell(text)


def editable_in(claims: pl.DataFrame) -> list[str]:
    """The editable fields this claims frame has columns for (older or newer frames lack some)."""
    return [name for name in EDITABLE_FIELDS if name in claims.columns]


def sheet_columns(fields: Sequence[str]) -> list[str]:
    return [*ANCHOR_COLUMNS, "claim_id", "priority", "why", *(f"current_{f}" for f in fields), "decision",
            *(f"set_{f}" for f in fields), "note", "who"]


def write_sheet(queue: pl.DataFrame, out: Path) -> int:
    """Write the queue (``review_queue``'s frame) as CSV; returns the number of rows."""
    fields = editable_in(queue)
    columns = sheet_columns(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(columns)
    for row in queue.iter_rows(named=True):
        cells = {name: row.get(name) for name in (*ANCHOR_COLUMNS, "claim_id", "priority", "why")}
        cells |= {f"current_{f}": row[f] for f in fields}
        writer.writerow([safe_cell(cells.get(name)) for name in columns])
    Path(out).write_text(buffer.getvalue(), encoding="utf-8")
    return queue.height


def parse_cell(name: str, text: str) -> Any:
    """A ``set_<name>`` cell -> the field's value (then checked); raises CorrectionError."""
    kind = EDITABLE_FIELDS[name]
    text = unsafe_cell(text.strip())
    if text.lower() == NULL:
        return check_value(name, [] if isinstance(kind, str) and kind.startswith("list") else None)
    if kind == "bool":
        lowered = text.lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise CorrectionError(f"expected true or false, got {text!r}")
        return lowered in ("true", "yes", "1")
    if isinstance(kind, str) and kind.startswith("list"):
        parts = [p.strip() for p in text.split(";") if p.strip()]
        inner = kind[5:-1]
        try:
            values = [float(p) if inner == "float" else int(p) if inner == "int" else unsafe_cell(p) for p in parts]
        except ValueError as err:
            raise CorrectionError(f"expected {inner} values separated by ';', got {text!r}") from err
        return check_value(name, values)
    if kind in ("float", "float?", "multiplier"):
        try:
            return check_value(name, float(text))
        except ValueError as err:
            raise CorrectionError(f"expected a number, got {text!r}") from err
    if kind == "int?":
        try:
            return check_value(name, int(text))
        except ValueError as err:
            raise CorrectionError(f"expected a whole number, got {text!r}") from err
    return check_value(name, text)


@dataclass(frozen=True)
class SheetImport:
    corrections: tuple[Correction, ...]
    skipped: int  # rows with an empty decision


def read_sheet(path: Path, who: str | None = None) -> SheetImport:
    """Every decided row as a Correction; raises SheetError listing every bad row (line, column)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise SheetError([f"{path}: cannot read ({err})"]) from err
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in (*ANCHOR_COLUMNS, "decision") if c not in header]
    if missing:
        raise SheetError([f"line 1: missing column(s) {', '.join(missing)}"])
    unknown = [c for c in header if c.startswith("set_") and c[4:] not in EDITABLE_FIELDS]
    if unknown:
        raise SheetError([f"line 1, column {c}: not an editable field" for c in unknown])
    problems: list[str] = []
    corrections: list[Correction] = []
    skipped = 0
    line = 2
    for row in reader:
        start, line = line, reader.line_num + 1
        if None in row:  # more cells than header columns
            problems.append(f"line {start}: {len(row[None])} cell(s) more than the header has")
            continue
        decision = (row.get("decision") or "").strip().lower()
        if not decision:
            skipped += 1
            continue
        if decision not in DECISIONS:
            problems.append(f"line {start}, column decision: expected accept, reject, edit or add, got {decision!r}")
            continue
        action = DECISIONS[decision]
        values = {c: unsafe_cell(row.get(c) or "") for c in ANCHOR_COLUMNS}
        empty = [c for c in ANCHOR_REQUIRED.get(action, ANCHOR_COLUMNS) if not values[c].strip()]
        if empty:
            problems += [f"line {start}, column {c}: empty (the anchor of the claim)" for c in empty]
            continue
        fields: dict[str, Any] = {}
        unreadable: set[str] = set()
        for column in header:
            if column.startswith("set_") and (row.get(column) or "").strip():
                try:
                    fields[column[4:]] = parse_cell(column[4:], row[column])
                except CorrectionError as err:
                    problems.append(f"line {start}, column {column}: {err}")
                    unreadable.add(column[4:])
        if action == "add":
            missing = [f for f in ADD_REQUIRED if fields.get(f) is None and f not in unreadable]
            problems += [f"line {start}, column set_{f}: add needs a value" for f in missing]
        if action == "set" and not fields and not any(p.startswith(f"line {start},") for p in problems):
            problems.append(f"line {start}, column decision: edit needs at least one set_ column filled in")
            continue
        if action in ("accept", "reject") and fields:
            problems.append(f"line {start}, column decision: {decision} takes no set_ values "
                            f"({', '.join('set_' + f for f in fields)}); use edit")
            continue
        if any(p.startswith(f"line {start},") for p in problems):
            continue
        anchor = Anchor(values["paper_id"].strip(), values["text"], values["sentence"], values["metric"].strip() or None)
        try:
            corrections.append(make_correction(anchor, action, fields, note=(row.get("note") or "").strip() or None,
                                               who=(row.get("who") or "").strip() or who))
        except CorrectionError as err:
            problems.append(f"line {start}: {err}")
    if problems:
        raise SheetError(problems)
    return SheetImport(tuple(corrections), skipped)
