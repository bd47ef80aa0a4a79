"""JSON-lines files -> entries, and quarantine rows for lines that are not JSON objects.

``parse_jsonl`` is the reference (``json.loads`` line by line). ``JsonlReader`` reads a chunk with
``pl.read_ndjson`` wherever a few cheap checks prove Polars reads the line exactly as ``json.loads``
would (``_jsonl_fast_rows``), and sends every other line through the reference code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from etl.ingest.files import LineBlock, split_lines
from etl.ingest.records import first_present, quarantine_frame, typed_entries
from etl.ingest.rules import ENTRY_SCHEMA, RAW_COLUMNS, RAW_SCHEMA, WS_CLASS, rx_chars, rx_literal


def parse_jsonl(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries of a JSON-lines file, and quarantine rows for lines that are not JSON objects.

    Line numbers count every line, blank ones included, so they match an editor's.
    """
    rows: list[dict] = []
    rejects: list[dict] = []
    for number, line in enumerate(split_lines(text), start=1):
        row, reject = _json_line(line, number, source)
        if row is not None:
            rows.append(row)
        elif reject is not None:
            rejects.append(reject)
    return typed_entries(pl.DataFrame(rows, schema=RAW_SCHEMA)), quarantine_frame(rejects)


def _json_line(line: str, number: int, source: str) -> tuple[dict | None, dict | None]:
    """(RAW_SCHEMA row, None), (None, quarantine row), or (None, None) for a blank line."""
    if not line.strip():
        return None, None
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        reason = f"malformed JSON: {exc.msg} (column {exc.colno})"
        return None, _reject(source, number, {"raw": line[:2000]}, reason)
    except (RecursionError, ValueError) as exc:  # nesting too deep, an integer too long
        reason = f"unreadable JSON: {type(exc).__name__}: {str(exc)[:120]}"
        return None, _reject(source, number, {"raw": line[:2000]}, reason)
    if not isinstance(value, dict):
        return None, _reject(source, number, {"raw": line[:2000]}, f"not a JSON object but {type(value).__name__}")
    by_name = {str(key).strip().lower(): item for key, item in value.items()}
    row = {name: _json_text(name, first_present(by_name, aliases)) for name, aliases in RAW_COLUMNS.items()}
    if any(isinstance(v, str) and not _encodable(v) for v in row.values()):
        reason = "text holds a lone surrogate escape (not Unicode)"
        return None, _reject(source, number, {"raw": line[:2000]}, reason)
    return row | {"line": number}, None


def _json_text(name: str, value: object) -> str | None:
    """A JSON value as text for the typed pass; a list of authors counts as its length,
    other lists and objects are not text (a title given as a list is a missing title)."""
    if name == "authors" and isinstance(value, list):
        return str(len(value))
    if value is None or isinstance(value, (list, dict)):
        return None
    return str(value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reject(source: str, line: int, record: dict, reason: str) -> dict:
    return {"stage": "ingest", "source": f"{source}:{line}", "record": json.dumps(record), "reason": reason}


# --- the same, on whole columns ---------------------------------------------------------------


#: a line with this many [ or { goes through json.loads: Python gives up nesting near depth 1000,
#: Polars at 1024, and the two must agree on every line
MAX_JSON_BRACKETS = 128


@dataclass(frozen=True)
class _JsonRules:
    """What the Polars JSON path reads, and the regexes that send a line to ``_json_line`` instead."""

    schema: dict[str, pl.DataType]  # every usable alias as text
    columns: dict[str, tuple[str, ...]]  # RAW column -> its usable aliases, in order
    alias_tokens: list[str]  # '"title":' ..., to find a key given twice
    escaped_key: str  # a key holding a backslash escape (it may decode to an alias)
    variant_key: str  # a key json.loads + strip().lower() maps to an alias, but not spelled like it
    alias_value: str  # an alias whose value Polars would render unlike str(): bool, float, object, ...
    surrogate: str  # a \\ud800-\\udfff escape


@cache
def _json_rules() -> _JsonRules:
    # an alias not already stripped and lowercase never matches a key (keys are), so it is never read
    columns = {name: tuple(a for a in aliases if a == a.strip().lower()) for name, aliases in RAW_COLUMNS.items()}
    aliases = list(dict.fromkeys(a for names in columns.values() for a in names))
    authors = [a for a in aliases if a in columns["authors"]]
    others = [a for a in aliases if a not in authors]

    def one_of(names: list[str]) -> str:
        return "(?:" + "|".join(map(rx_literal, names)) + ")"

    ci = f"(?i:{one_of(aliases)})"
    variants = [v for alias in aliases for v in _case_variants(alias)]
    variant_forms = [f"[{WS_CLASS}]+{ci}[{WS_CLASS}]*", f"{ci}[{WS_CLASS}]+", *variants]
    number_not_int = r"-?[0-9]+[.eE]|-?[0-9]{19}"
    value_checks = []
    if others:  # text, null or an integer (Polars renders integers as str() does)
        value_checks.append(f'"{one_of(others)}"(?: +:|: *(?:[^" n0-9-]|{number_not_int}))')
    if authors:  # ... or a list (counted); a string that looks like one would be ambiguous
        value_checks.append(f'"{one_of(authors)}"(?: +:|: *(?:[^" n0-9\\[-]|{number_not_int}|"\\[))')
    return _JsonRules(
        schema={alias: pl.Utf8() for alias in aliases},
        columns=columns,
        alias_tokens=[f'"{alias}":' for alias in aliases],
        escaped_key=r'(?:\{|,) *"[^"\\]*\\',
        variant_key='"(?:' + "|".join(variant_forms) + ')" *:',
        alias_value="|".join(value_checks) or "$^",
        surrogate=r"\\u[dD][89a-fA-F]",
    )


def _case_variants(alias: str) -> list[str]:
    """Rust regexes for ``alias`` with at least one character in another case (Python's lower()
    maps A-Z and the Kelvin sign onto a-z and k)."""
    out = []
    for j, char in enumerate(alias):
        others = sorted({c for c in (char.upper(), "\u212a") if c != char and len(c) == 1 and c.lower() == char})
        if not others:
            continue
        before, after = alias[:j], alias[j + 1 :]
        out.append(
            (f"(?i:{rx_literal(before)})" if before else "")
            + f"[{rx_chars(''.join(others))}]"
            + (f"(?i:{rx_literal(after)})" if after else "")
        )
    return out


def _jsonl_fast_rows(block: LineBlock) -> np.ndarray:
    """Lines Polars reads exactly as ``_json_line`` would: one object, ``{`` first and ``}`` last,
    no raw control characters, every alias key spelled plainly once with a string, null, integer
    (or, for authors, list) value, no surrogate escapes, shallow nesting."""
    data = np.frombuffer(block.data, np.uint8)
    starts, ends = block.offsets[:-1], block.offsets[1:]
    stops = ends - (data[ends - 1] == 0x0A)
    fast = stops > starts
    rows = np.flatnonzero(fast)
    fast[rows] = (data[starts[rows]] == 0x7B) & (data[stops[rows] - 1] == 0x7D)
    if len(block.controls):
        fast[np.searchsorted(block.offsets, block.controls, side="right") - 1] = False
    if not fast.any():
        return fast
    rules = _json_rules()
    line = pl.col("line")
    keys = line.str.extract_many(rules.alias_tokens)
    flags = pl.DataFrame(block.series()).select(
        line.str.contains(rules.escaped_key).alias("escaped"),
        line.str.contains(rules.variant_key).alias("variant"),
        line.str.contains(rules.alias_value).alias("value"),
        line.str.contains(rules.surrogate).alias("surrogate"),
        (line.str.count_matches(r"[\[{]") >= MAX_JSON_BRACKETS).alias("deep"),
        (keys.list.len() > keys.list.n_unique()).alias("twice"),
    )
    suspect = flags.select(pl.any_horizontal(pl.all()).fill_null(True)).to_series().to_numpy()
    return fast & ~suspect


def _jsonl_block(block: LineBlock, first_line: int, source: str) -> tuple[pl.DataFrame, list[dict]]:
    """RAW_SCHEMA rows and quarantine rows of one chunk of a JSON-lines file."""
    fast_mask = _jsonl_fast_rows(block)
    starts, ends = block.offsets[:-1], block.offsets[1:]
    data = np.frombuffer(block.data, np.uint8)
    blank = (ends - starts) == (data[ends - 1] == 0x0A)  # nothing but the newline
    fast = np.flatnonzero(fast_mask)
    slow = np.flatnonzero(~fast_mask & ~blank)
    frames: list[pl.DataFrame] = []
    if len(fast):
        parsed, failed = _read_json_rows(block, fast, whole=len(slow) == 0)
        for frame, rows in parsed:
            raw, retry = _raw_from_json(frame, rows + first_line)
            frames.append(raw.filter(~pl.Series(retry)) if retry.any() else raw)
            failed.append(rows[retry])
        slow = np.union1d(slow, np.concatenate(failed)) if failed else slow
    rows_slow, rejects = [], []
    for index in slow.tolist():
        row, reject = _json_line(block.text(index), first_line + index, source)
        if row is not None:
            rows_slow.append(row)
        elif reject is not None:
            rejects.append(reject)
    if rows_slow:
        frames.append(pl.DataFrame(rows_slow, schema=RAW_SCHEMA))
    raw = pl.concat(frames) if frames else pl.DataFrame(schema=RAW_SCHEMA)
    return (raw.sort("line") if len(frames) > 1 else raw), rejects


def _read_json_rows(
    block: LineBlock, rows: np.ndarray, whole: bool
) -> tuple[list[tuple[pl.DataFrame, np.ndarray]], list[np.ndarray]]:
    """``pl.read_ndjson`` on these lines: ([(frame, rows it holds)], [rows Polars rejects]). A chunk
    holding a line Polars cannot read is halved until that line is alone."""
    data = block.data if whole else block.gather(rows)  # blank lines in a whole chunk are skipped
    try:
        frame = pl.read_ndjson(data, schema=_json_rules().schema)
        if frame.height == len(rows):
            return [(frame, rows)], []
    except pl.exceptions.PolarsError:
        pass
    if len(rows) == 1:
        return [], [rows]
    half = len(rows) // 2
    first, first_failed = _read_json_rows(block, rows[:half], whole=False)
    second, second_failed = _read_json_rows(block, rows[half:], whole=False)
    return first + second, first_failed + second_failed


def _raw_from_json(frame: pl.DataFrame, lines: np.ndarray) -> tuple[pl.DataFrame, np.ndarray]:
    """RAW_SCHEMA rows from Polars-read objects (first present alias wins; a list of authors counts
    as its length), and which rows to read again with json.loads."""
    columns = _json_rules().columns
    raw = frame.select(
        *(
            (pl.coalesce(*(pl.col(a) for a in aliases)) if aliases else pl.lit(None, pl.Utf8)).alias(name)
            for name, aliases in columns.items()
        ),
        line=pl.Series(lines, dtype=pl.Int64),
    )
    retry = np.zeros(raw.height, bool)
    listed = raw["authors"].str.starts_with("[").fill_null(False).arg_true()
    if len(listed):
        counts = []
        for index, text in zip(listed.to_list(), raw["authors"].gather(listed).to_list(), strict=True):
            try:
                counts.append(str(len(json.loads(text))))
            except (ValueError, TypeError, RecursionError):
                counts.append(None)
                retry[index] = True
        raw = raw.with_columns(raw["authors"].scatter(listed, pl.Series(counts, dtype=pl.Utf8)))
    return raw, retry


class JsonlReader:
    """JSON-lines chunks -> entries and quarantine rows; every line stands alone."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.next_line = 1

    def feed(self, data: bytes, last: bool = False) -> tuple[pl.DataFrame, list[dict]]:
        block = LineBlock.of(data)
        raw, rejects = _jsonl_block(block, self.next_line, self.source)
        self.next_line += block.newlines
        return typed_entries(raw), rejects

    def finish(self) -> tuple[pl.DataFrame, list[dict]]:
        return pl.DataFrame(schema=ENTRY_SCHEMA), []
