"""Ingest: paper listing pages, JSONL and CSV files -> one deduplicated papers frame + quarantine.

Each reader turns text into *entries* (title, abstract, metadata, line number). Entries without a
usable title or abstract go to quarantine with a plain-English reason; the rest become *records*
(one per entry, papers schema). ``merge_duplicates`` folds records of the same paper into one row.
What counts as noise, metadata, an abstract or a duplicate lives in ``rules/ingest.toml``.
Only ``read_source`` and ``ingest`` touch the file system.

Two implementations read each format, with one meaning:

- ``parse_listing`` / ``parse_jsonl`` / ``parse_csv`` take a whole decoded text and work line by line
  in Python. They are the reference: short, and what the tests pin down.
- ``read_source`` streams a file in line-aligned chunks (``[reading] chunk_mib``) and parses each
  chunk with whole-column Polars work: ``pl.read_ndjson`` for JSON lines that a few cheap checks
  prove Polars reads exactly as ``json.loads`` would (every other line goes through the reference
  code), a vectorised line classifier and entry assembler for listing pages, ``pl.read_csv`` per
  record-aligned chunk. Memory stays about one chunk plus the records kept.
"""

from __future__ import annotations

import codecs
import gc
import hashlib
import io
import json
import os
import re
import tomllib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow as pa
from rapidfuzz import fuzz, process

RULES_PATH = Path(__file__).with_name("rules") / "ingest.toml"

PAPER_SCHEMA: dict[str, pl.DataType] = {
    "paper_id": pl.Utf8(),
    "title": pl.Utf8(),
    "abstract": pl.Utf8(),
    "published": pl.Date(),
    "authors_count": pl.Int32(),
    "upvotes": pl.Int32(),
    "sources": pl.List(pl.Utf8()),
    "content_hash": pl.Utf8(),
}
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "stage": pl.Utf8(),
    "source": pl.Utf8(),
    "record": pl.Utf8(),
    "reason": pl.Utf8(),
}
#: what every reader produces: one row per entry, typed, not yet validated
ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "title": pl.Utf8(),
    "abstract": pl.Utf8(),
    "published": pl.Date(),
    "authors_count": pl.Int32(),
    "upvotes": pl.Int32(),
    "arxiv_id": pl.Utf8(),
    "line": pl.Int64(),
}
#: JSONL/CSV fields as text, typed afterwards in one Polars pass
RAW_SCHEMA: dict[str, pl.DataType] = {
    "title": pl.Utf8(),
    "abstract": pl.Utf8(),
    "published": pl.Utf8(),
    "authors": pl.Utf8(),
    "upvotes": pl.Utf8(),
    "arxiv_id": pl.Utf8(),
    "line": pl.Int64(),
}
INT32_MAX = 2**31 - 1
#: whitespace that marks an abstract for the (slow) collapsing regex; other Unicode spaces stay
MESSY_WHITESPACE = ("  ", "\n", "\t", "\r", "\u00a0")
TITLE_HASH = r"^t[0-9a-f]+$"
#: what str.strip() and str.split() treat as whitespace (str.isspace). Polars' default strip_chars
#: (Rust's char::is_whitespace) keeps \x1c-\x1f, so the vectorised readers always name this set.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
UTF8_BOM = b"\xef\xbb\xbf"


def _rx_chars(chars: str) -> str:
    """``chars`` as the body of a Rust regex character class."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def _rx_literal(text: str) -> str:
    """``text`` as a Rust regex matching exactly it."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


WS_CLASS = _rx_chars(PY_WHITESPACE)


# ---------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class ListingRules:
    noise_lines: frozenset[str]  # casefolded
    noise_pattern: re.Pattern[str]
    glued_prefixes: tuple[str, ...]
    glued_prefix: re.Pattern[str]
    short_line_chars: int
    prose_min_chars: int
    sentence_min_words: int
    metadata_patterns: tuple[re.Pattern[str], ...]
    months: dict[str, int]  # "jan" -> 1


@dataclass(frozen=True)
class Rules:
    formats: dict[str, str]
    encodings: tuple[str, ...]
    listing: ListingRules
    columns: dict[str, tuple[str, ...]]
    min_abstract_chars: int
    max_title_chars: int
    arxiv_patterns: tuple[str, ...]
    title_hash_chars: int
    fuzzy_cutoff: float
    require_equal_numbers: bool
    block_chars: int
    max_block_size: int
    neighbour_window: int
    abstract_prefix_chars: int
    abstract_cutoff: float
    chunk_bytes: int = 16 * 2**20


def load_rules(path: Path = RULES_PATH) -> Rules:
    """Parse the TOML once; compile its patterns."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    listing = raw["listing"]
    glued = "|".join(re.escape(prefix) for prefix in listing["glued_prefixes"])
    months = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    return Rules(
        formats=raw["formats"],
        encodings=tuple(raw["decoding"]["encodings"]),
        listing=ListingRules(
            noise_lines=frozenset(line.casefold() for line in listing["noise_lines"]),
            noise_pattern=re.compile("|".join(f"(?:{p})" for p in listing["noise_patterns"])),
            glued_prefixes=tuple(listing["glued_prefixes"]),
            glued_prefix=re.compile(rf"^(?:{glued})(?=[^\sa-z])"),
            short_line_chars=listing["short_line_chars"],
            prose_min_chars=listing["prose_min_chars"],
            sentence_min_words=listing["sentence_min_words"],
            metadata_patterns=tuple(re.compile(m["pattern"]) for m in listing["metadata"]),
            months={name: number for number, name in enumerate(months, start=1)},
        ),
        columns={name: tuple(aliases) for name, aliases in raw["records"]["columns"].items()},
        min_abstract_chars=raw["validation"]["min_abstract_chars"],
        max_title_chars=raw["validation"]["max_title_chars"],
        arxiv_patterns=tuple(raw["ids"]["arxiv_id_patterns"]),
        title_hash_chars=raw["ids"]["title_hash_chars"],
        fuzzy_cutoff=raw["dedup"]["fuzzy_cutoff"],
        require_equal_numbers=raw["dedup"]["require_equal_numbers"],
        block_chars=raw["dedup"]["block_chars"],
        max_block_size=raw["dedup"]["max_block_size"],
        neighbour_window=raw["dedup"]["neighbour_window"],
        abstract_prefix_chars=raw["dedup"]["abstract_prefix_chars"],
        abstract_cutoff=raw["dedup"]["abstract_cutoff"],
        chunk_bytes=int(raw.get("reading", {}).get("chunk_mib", 16) * 2**20),
    )


RULES = load_rules()
#: RAW_SCHEMA text column -> names accepted for it in JSONL keys / CSV headers
RAW_COLUMNS = {name: RULES.columns[name] for name in RAW_SCHEMA if name != "line"}


# ---------------------------------------------------------------------------------------------
# Listing pages

#: what a listing line that is not page chrome is
META, ABSTRACT, TITLE = 0, 1, 2
#: metadata fields a listing line can state
META_FIELDS = ("authors_count", "upvotes", "published")


def parse_listing(text: str, source: str) -> list[dict]:
    """Entries of a copied paper-listing page, in page order.

    Works line by line, so both layouts parse alike: blank-line separated blocks with metadata
    after the abstract, and the compact one-line-title / one-line-abstract form. Page chrome is
    skipped; a title without an abstract, an abstract without a title, and metadata lines without
    a paper all come back as entries with the missing fields None, for quarantine downstream.
    """
    rules = RULES.listing
    rows = []
    for number, raw_line in enumerate(_lines(text), start=1):
        line = _strip_line(raw_line, rules)
        if not line:
            continue
        kind, fields = _line_kind(line, rules)
        if kind is not None:
            rows.append((number, kind, line, fields))
    return _assemble(rows, source)


def _strip_line(raw_line: str, rules: ListingRules) -> str:
    line = raw_line.strip()
    if line.startswith(rules.glued_prefixes):
        line = rules.glued_prefix.sub("", line, count=1)
    return line


def _line_kind(line: str, rules: ListingRules) -> tuple[int | None, dict | None]:
    """(META, fields), (ABSTRACT, None) or (TITLE, None) for a stripped non-empty line;
    (None, None) for page chrome."""
    fields = None
    if len(line) < rules.short_line_chars:  # noise and metadata are short; most lines are not
        if _is_noise(line, rules):
            return None, None
        fields = _metadata_fields(line, rules)
    if fields is not None:
        return META, fields
    return (ABSTRACT if _is_abstract(line, rules) else TITLE), None


def _assemble(rows: list[tuple[int, int, str | None, dict | None]], source: str) -> list[dict]:
    """Entries from (line number, kind, text, fields) rows: a title opens an entry; an abstract
    completes the title before it or opens its own; metadata attaches to the last entry opened
    unless that entry already states one of its fields (then it opens an entry of its own)."""
    entries: list[dict] = []
    current: dict | None = None  # the entry metadata lines attach to
    awaiting_abstract: dict | None = None  # a title not yet followed by its abstract
    for number, kind, line, fields in rows:
        if kind == META:
            if current is None or any(current[name] is not None for name in fields):
                current = _entry(source, number)
                entries.append(current)
            current.update(fields)
        elif kind == ABSTRACT:
            if awaiting_abstract is None:
                current = _entry(source, number)
                entries.append(current)
            else:
                awaiting_abstract = None
            current["abstract"] = line
        else:
            current = awaiting_abstract = _entry(source, number, title=line)
            entries.append(current)
    return entries


def _lines(text: str) -> list[str]:
    """Split on \\n, \\r\\n and \\r only (str.splitlines also splits on \\x1c, U+2028, ... inside text)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _entry(source: str, line: int, title: str | None = None) -> dict:
    return {
        "title": title,
        "abstract": None,
        "published": None,
        "authors_count": None,
        "upvotes": None,
        "arxiv_id": None,
        "source": source,
        "line": line,
    }


def _is_noise(line: str, rules: ListingRules) -> bool:
    return line.casefold() in rules.noise_lines or rules.noise_pattern.fullmatch(line) is not None


def _metadata_fields(line: str, rules: ListingRules) -> dict | None:
    """The fields a metadata line states ({} for a bare separator), or None if it is not metadata."""
    for pattern in rules.metadata_patterns:
        match = pattern.fullmatch(line)
        if match is None:
            continue
        groups = {name: value for name, value in match.groupdict().items() if value is not None}
        fields = {name: _int32(groups[name]) for name in ("authors_count", "upvotes") if name in groups}
        if "year" in groups:
            fields["published"] = _date(groups["year"], groups["month"], groups["day"], rules)
        return fields
    return None


def _is_abstract(line: str, rules: ListingRules) -> bool:
    """Abstracts are long prose; titles are short and rarely end with a period."""
    return len(line) >= rules.prose_min_chars or (
        line.endswith(".") and len(line.split()) >= rules.sentence_min_words
    )


def _int32(digits: str) -> int | None:
    value = int(digits)
    return value if value <= INT32_MAX else None


def _date(year: str, month: str, day: str, rules: ListingRules) -> date | None:
    try:
        return date(int(year), rules.months[month[:3].lower()], int(day))
    except ValueError:  # "Feb 30, 2024", year 0
        return None


# --- the same, on whole columns ---------------------------------------------------------------

#: one classified listing line (chrome dropped); ``has_<field>`` says the line states the field
#: (possibly as None, e.g. an author count too big for Int32)
ROW_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "kind": pl.Int8(),
    "text": pl.Utf8(),
    "authors_count": pl.Int32(),
    "upvotes": pl.Int32(),
    "published": pl.Date(),
    "has_authors_count": pl.Boolean(),
    "has_upvotes": pl.Boolean(),
    "has_published": pl.Boolean(),
}
#: short lines made only of these characters are classified by Polars; on them Python's re and Rust's
#: regex agree (\d, \s, \w, case, casefold == lower). Other short lines go through _line_kind.
SAFE_LINE = r"^[\t\x20-\x7e\x{2022}\x{b7}]*$"


@dataclass(frozen=True)
class _ListingPatterns:
    noise_lines: list[str]
    noise: str  # Rust regex matching a whole noise line
    metadata: tuple[tuple[str, frozenset[str]], ...]  # (Rust regex for the whole line, named groups)


@cache
def _listing_patterns() -> _ListingPatterns | None:
    """The listing rules as Polars regexes, or None when Polars cannot compile one of them."""
    rules = RULES.listing
    noise = rf"^(?:{rules.noise_pattern.pattern})$"
    metadata = tuple((rf"^(?:{p.pattern})$", frozenset(p.groupindex)) for p in rules.metadata_patterns)
    probe = pl.Series(["probe"], dtype=pl.Utf8)
    try:
        for pattern in (noise, *(p for p, _ in metadata)):
            probe.str.contains(pattern)
    except pl.exceptions.PolarsError:
        return None
    return _ListingPatterns(sorted(rules.noise_lines), noise, metadata)


def _strip_glued(text: pl.Expr) -> pl.Expr:
    """``_strip_line``'s glued-prefix removal: the first prefix followed by a character that is
    neither whitespace nor a-z is cut."""
    chain = None
    for prefix in RULES.listing.glued_prefixes:
        glued = text.str.contains(f"^{_rx_literal(prefix)}[^a-z{WS_CLASS}]")
        rest = text.str.slice(len(prefix))
        chain = pl.when(glued).then(rest) if chain is None else chain.when(glued).then(rest)
    return text if chain is None else chain.otherwise(text)


def classify_listing_lines(lines: pl.Series, first_line: int = 1) -> pl.DataFrame:
    """``_line_kind`` for every line of a Series at once: one ROW_SCHEMA row per line that is
    neither blank nor page chrome, in line order (numbered from ``first_line``)."""
    rules = RULES.listing
    frame = (
        pl.DataFrame({"raw": lines})
        .select(
            line=pl.int_range(pl.len(), dtype=pl.Int64) + first_line,
            text=_strip_glued(pl.col("raw").str.strip_chars(PY_WHITESPACE)),
        )
        .filter(pl.col("text").str.len_bytes() > 0)
    )
    short = frame["text"].str.len_chars() < rules.short_line_chars
    decided, undecided = _classify_short(frame.filter(short))
    undecided.append(frame.filter(~short))
    parts = [*decided, _abstract_or_title(pl.concat(undecided))]
    return pl.concat([part.select(list(ROW_SCHEMA)).cast(ROW_SCHEMA) for part in parts]).sort("line")


def _classify_short(frame: pl.DataFrame) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """Short lines -> (ROW_SCHEMA rows decided here, [line, text] rows still abstract-or-title)."""
    patterns = _listing_patterns()
    if frame.is_empty():
        return [], []
    if patterns is None:
        safe_mask = pl.Series([False] * frame.height)
    else:
        safe_mask = frame["text"].str.contains(SAFE_LINE)
    decided, undecided = [], []
    safe = frame.filter(safe_mask)
    if safe.height:
        text = pl.col("text")
        noise = text.str.to_lowercase().is_in(patterns.noise_lines) | text.str.contains(patterns.noise)
        meta = pl.coalesce(
            *(pl.when(text.str.contains(p)).then(pl.lit(k, pl.Int8)) for k, (p, _) in enumerate(patterns.metadata))
        )
        safe = safe.with_columns(noise=noise, meta=meta).filter(~pl.col("noise"))
        decided.append(_metadata_rows(safe.filter(pl.col("meta").is_not_null()), patterns))
        undecided.append(safe.filter(pl.col("meta").is_null()).select("line", "text"))
    unsafe = frame.filter(~safe_mask)
    if unsafe.height:
        rules = RULES.listing
        rows = []
        for number, line in unsafe.select("line", "text").iter_rows():
            kind, fields = _line_kind(line, rules)
            if kind is not None:
                rows.append(_row_dict(number, kind, line, fields))
        decided.append(pl.DataFrame(rows, schema=ROW_SCHEMA))
    return decided, undecided


def _row_dict(number: int, kind: int, line: str, fields: dict | None) -> dict:
    row = {"line": number, "kind": kind, "text": None if kind == META else line}
    for name in META_FIELDS:
        row[name] = (fields or {}).get(name)
        row[f"has_{name}"] = fields is not None and name in fields
    return row


def _metadata_rows(frame: pl.DataFrame, patterns: _ListingPatterns) -> pl.DataFrame:
    """``_metadata_fields`` for rows whose ``meta`` column names the first pattern they match."""
    groups: dict[str, pl.Expr] = {name: pl.lit(None, pl.Utf8) for name in ("authors_count", "upvotes", "year", "month", "day")}
    for k, (pattern, names) in enumerate(patterns.metadata):
        wanted = [name for name in groups if name in names]
        if not wanted:
            continue
        extracted = pl.col("text").str.extract_groups(pattern)
        for name in wanted:
            groups[name] = pl.when(pl.col("meta") == k).then(extracted.struct.field(name)).otherwise(groups[name])
    frame = frame.select("line", *(expr.alias(f"g_{name}") for name, expr in groups.items()))
    year = pl.col("g_year").str.to_integer(strict=False)
    month = (
        pl.col("g_month").str.slice(0, 3).str.to_lowercase()
        .replace_strict(RULES.listing.months, default=None, return_dtype=pl.Int64)
    )
    day = pl.col("g_day").str.to_integer(strict=False)
    iso = pl.format(
        "{}-{}-{}",
        year.cast(pl.Utf8).str.zfill(4), month.cast(pl.Utf8).str.zfill(2), day.cast(pl.Utf8).str.zfill(2),
    )
    valid = year.is_between(1, 9999) & month.is_not_null() & day.is_between(1, 31)
    return frame.select(
        "line",
        kind=pl.lit(META, pl.Int8),
        text=pl.lit(None, pl.Utf8),
        authors_count=_to_int32(pl.col("g_authors_count")),
        upvotes=_to_int32(pl.col("g_upvotes")),
        published=pl.when(valid).then(iso.str.to_date("%Y-%m-%d", strict=False)),
        has_authors_count=pl.col("g_authors_count").is_not_null(),
        has_upvotes=pl.col("g_upvotes").is_not_null(),
        has_published=pl.col("g_year").is_not_null(),
    )


def _abstract_or_title(frame: pl.DataFrame) -> pl.DataFrame:
    """``_is_abstract`` on [line, text] rows: ABSTRACT or TITLE rows."""
    rules = RULES.listing
    text = frame["text"]
    abstract = (text.str.len_chars() >= rules.prose_min_chars).to_numpy().copy()
    maybe = (~pl.Series(abstract) & text.str.ends_with(".")).arg_true().to_numpy()
    if len(maybe):
        words = text.gather(maybe).str.count_matches(f"[^{WS_CLASS}]+")
        abstract[maybe] = (words >= rules.sentence_min_words).to_numpy()
    kinds = np.where(abstract, ABSTRACT, TITLE).astype(np.int8)
    return frame.select(
        "line",
        kind=pl.Series(kinds),
        text="text",
        **{name: pl.lit(None, dtype) for name, dtype in ROW_SCHEMA.items() if name in META_FIELDS},
        **{f"has_{name}": pl.lit(False) for name in META_FIELDS},
    )


def _creates(rows: pl.DataFrame) -> pl.Series:
    """Which rows open an entry in ``_assemble`` when it starts fresh at ``rows[0]``: every title,
    an abstract unless a title comes before it (metadata lines between count for nothing), and -
    never here - metadata (the callers check that case)."""
    kind = pl.col("kind")
    previous = pl.when(kind != META).then(kind).shift(1).forward_fill().fill_null(-1)
    return rows.select((kind == TITLE) | ((kind == ABSTRACT) & (previous != TITLE))).to_series()


def assemble_listing_rows(rows: pl.DataFrame, source: str) -> pl.DataFrame:
    """``_assemble`` for ROW_SCHEMA rows, as an ENTRY_SCHEMA frame: whole-column when the
    metadata never repeats a field within an entry (the normal page), else through ``_assemble``."""
    if rows.is_empty():
        return pl.DataFrame(schema=ENTRY_SCHEMA)
    creates = _creates(rows)
    opened = creates.arg_true()
    first = int(opened[0]) if len(opened) else rows.height
    parts = []
    if first:  # metadata before any paper: each conflicting line opens an entry; rare, in Python
        parts.append(_assemble_in_python(rows[:first], source))
    if first < rows.height:
        rest = _assemble_columns(rows[first:], creates[first:])
        parts.append(rest if rest is not None else _assemble_in_python(rows[first:], source))
    return pl.concat(parts)


def _assemble_in_python(rows: pl.DataFrame, source: str) -> pl.DataFrame:
    tuples = []
    for row in rows.iter_rows(named=True):
        fields = {name: row[name] for name in META_FIELDS if row[f"has_{name}"]} if row["kind"] == META else None
        tuples.append((row["line"], row["kind"], row["text"], fields))
    return pl.DataFrame(_assemble(tuples, source), schema=ENTRY_SCHEMA)


def _assemble_columns(rows: pl.DataFrame, creates: pl.Series) -> pl.DataFrame | None:
    """``_assemble`` on rows whose first row opens an entry, or None if a metadata line would open
    one (it repeats a field its entry already states). Then each entry is the run of rows from one
    opening row to the next, holding at most one title, one abstract and one value per field."""
    frame = rows.with_columns(entry=creates.cast(pl.UInt32).cum_sum())
    repeats = pl.any_horizontal(
        pl.col(f"has_{name}")
        & (pl.col(name).is_not_null().cast(pl.UInt32).cum_sum().over("entry") > pl.col(name).is_not_null().cast(pl.UInt32))
        for name in META_FIELDS
    )
    if frame.select(repeats.any()).item():
        return None
    kind = pl.col("kind")
    return frame.group_by("entry", maintain_order=True).agg(
        title=pl.col("text").filter(kind == TITLE).first(),
        abstract=pl.col("text").filter(kind == ABSTRACT).first(),
        published=pl.col("published").drop_nulls().first(),
        authors_count=pl.col("authors_count").drop_nulls().first(),
        upvotes=pl.col("upvotes").drop_nulls().first(),
        arxiv_id=pl.lit(None, pl.Utf8),
        line=pl.col("line").first(),
    ).select(list(ENTRY_SCHEMA)).cast(ENTRY_SCHEMA)


def _open_at_last_entry(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows before the last row that opens an entry, the rest). Nothing after an opening row
    touches an entry opened before it, so the rest can wait for the next chunk's lines."""
    opened = _creates(rows).arg_true()
    cut = int(opened[-1]) if len(opened) else 0
    return rows[:cut], rows[cut:]


# ---------------------------------------------------------------------------------------------
# JSONL and CSV


def parse_jsonl(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries of a JSON-lines file, and quarantine rows for lines that are not JSON objects.

    Line numbers count every line, blank ones included, so they match an editor's.
    """
    rows: list[dict] = []
    rejects: list[dict] = []
    for number, line in enumerate(_lines(text), start=1):
        row, reject = _json_line(line, number, source)
        if row is not None:
            rows.append(row)
        elif reject is not None:
            rejects.append(reject)
    return typed_entries(pl.DataFrame(rows, schema=RAW_SCHEMA)), _quarantine(rejects)


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
    row = {name: _json_text(name, _first_present(by_name, aliases)) for name, aliases in RAW_COLUMNS.items()}
    if any(isinstance(v, str) and not _encodable(v) for v in row.values()):
        reason = "text holds a lone surrogate escape (not Unicode)"
        return None, _reject(source, number, {"raw": line[:2000]}, reason)
    return row | {"line": number}, None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- JSON lines on whole columns --------------------------------------------------------------

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
        return "(?:" + "|".join(map(_rx_literal, names)) + ")"

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
            (f"(?i:{_rx_literal(before)})" if before else "")
            + f"[{_rx_chars(''.join(others))}]"
            + (f"(?i:{_rx_literal(after)})" if after else "")
        )
    return out


@dataclass
class _Block:
    """One chunk of a file as UTF-8 bytes with \\r\\n and \\r made \\n, cut into lines."""

    data: bytes
    offsets: np.ndarray  # line i is data[offsets[i]:offsets[i + 1]], its "\n" included
    controls: np.ndarray  # positions of control bytes other than "\n"
    newlines: int

    @classmethod
    def of(cls, data: bytes) -> _Block:
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        array = np.frombuffer(data, np.uint8)
        low = np.flatnonzero(array < 0x20)
        newline = array[low] == 0x0A
        ends = low[newline] + 1
        newlines = len(ends)
        if data and data[-1] != 0x0A:
            ends = np.append(ends, len(data))
        offsets = np.zeros(len(ends) + 1, np.int64)
        offsets[1:] = ends
        return cls(data, offsets, low[~newline], newlines)

    @property
    def count(self) -> int:
        return len(self.offsets) - 1

    def series(self) -> pl.Series:
        """Every line (with its "\\n") as a Polars string column, without copying line by line."""
        array = pa.LargeStringArray.from_buffers(self.count, pa.py_buffer(self.offsets), pa.py_buffer(self.data))
        return pl.Series("line", pl.from_arrow(array))

    def text(self, index: int) -> str:
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        if end > start and self.data[end - 1] == 0x0A:
            end -= 1
        return self.data[start:end].decode("utf-8")

    def gather(self, rows: np.ndarray) -> bytes:
        """The bytes of these lines (ascending), runs of neighbours copied at once."""
        if len(rows) == 0:
            return b""
        breaks = np.flatnonzero(np.diff(rows) != 1)
        firsts = np.concatenate(([rows[0]], rows[breaks + 1]))
        lasts = np.concatenate((rows[breaks], [rows[-1]]))
        parts = [self.data[self.offsets[a] : self.offsets[b + 1]] for a, b in zip(firsts.tolist(), lasts.tolist())]
        return b"".join(parts)


def _jsonl_fast_rows(block: _Block) -> np.ndarray:
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


def _jsonl_block(block: _Block, first_line: int, source: str) -> tuple[pl.DataFrame, list[dict]]:
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
    block: _Block, rows: np.ndarray, whole: bool
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


def parse_csv(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries of a CSV file with a header row; ``line`` is the record number (header excluded).

    Raises ValueError when the file is not CSV or lacks a title or abstract column: then no row
    can be used, and the caller reports the file.
    """
    if not text.strip():
        return pl.DataFrame(schema=ENTRY_SCHEMA), _quarantine([])
    table = _read_csv_bytes(text.encode("utf-8"))
    _check_csv_columns(table)
    return _csv_entries(table, 0), _quarantine([])


def _read_csv_bytes(data: bytes) -> pl.DataFrame:
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"malformed CSV: {str(exc).splitlines()[0]}") from exc


def _check_csv_columns(table: pl.DataFrame) -> None:
    by_name = {column.strip().lower(): column for column in table.columns}
    for required in ("title", "abstract"):
        if _first_present(by_name, RULES.columns[required]) is None:
            found = ", ".join(table.columns) or "none"
            raise ValueError(f"CSV has no {required} column (columns: {found})")


def _csv_entries(table: pl.DataFrame, records_before: int) -> pl.DataFrame:
    by_name = {column.strip().lower(): column for column in table.columns}
    raw = table.select(
        *(
            (pl.col(column) if (column := _first_present(by_name, aliases)) else pl.lit(None, pl.Utf8)).alias(name)
            for name, aliases in RAW_COLUMNS.items()
        ),
        line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + records_before,
    )
    return typed_entries(raw)


def _first_present(by_name: dict[str, object], aliases: tuple[str, ...]) -> object:
    return next((by_name[alias] for alias in aliases if by_name.get(alias) is not None), None)


def _json_text(name: str, value: object) -> str | None:
    """A JSON value as text for the typed pass; a list of authors counts as its length,
    other lists and objects are not text (a title given as a list is a missing title)."""
    if name == "authors" and isinstance(value, list):
        return str(len(value))
    if value is None or isinstance(value, (list, dict)):
        return None
    return str(value)


def typed_entries(raw: pl.DataFrame) -> pl.DataFrame:
    """RAW_SCHEMA text -> ENTRY_SCHEMA types; values that do not parse become null.

    published takes an ISO date (a timestamp's date part); authors an integer or a list of names
    separated by ";" (else ","); upvotes an integer.
    """
    authors = pl.col("authors").str.strip_chars()
    names = pl.when(authors.str.contains(";")).then(authors.str.split(";")).otherwise(authors.str.split(","))
    return raw.select(
        "title",
        "abstract",
        pl.col("published").str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        pl.coalesce(_to_int32(authors), names.list.len().cast(pl.Int32)).alias("authors_count"),
        _to_int32(pl.col("upvotes").str.strip_chars()).alias("upvotes"),
        "arxiv_id",
        "line",
    )


def _to_int32(text: pl.Expr) -> pl.Expr:
    return text.str.to_integer(strict=False).cast(pl.Int32, strict=False)


# ---------------------------------------------------------------------------------------------
# Validation: entries -> records + quarantine


def split_valid(entries: pl.DataFrame, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records (papers schema, one per usable entry) and quarantine rows for the rest."""
    cleaned = clean_text(entries).with_columns(reason=_rejection_reason())
    rejected = cleaned.filter(pl.col("reason").is_not_null())
    quarantine = rejected.select(
        stage=pl.lit("ingest"),
        source=pl.format("{}:{}", pl.lit(source), pl.col("line")),
        record=pl.struct([name for name in ENTRY_SCHEMA if name != "line"]).struct.json_encode(),
        reason="reason",
    )
    records = cleaned.filter(pl.col("reason").is_null()).select(
        paper_id=paper_id_expr(pl.col("title"), pl.col("arxiv_id")),
        title="title",
        abstract="abstract",
        published="published",
        authors_count="authors_count",
        upvotes="upvotes",
        sources=pl.concat_list(pl.lit(source)),
        content_hash=content_hash_expr(pl.col("title"), pl.col("abstract")),
    )
    return records, quarantine


def clean_text(entries: pl.DataFrame) -> pl.DataFrame:
    """Titles and abstracts on one line with single spaces (JSON titles wrap, pages double-space);
    blank means missing."""
    return entries.with_columns(
        _collapse_whitespace(pl.col("title")),
        pl.col("abstract").map_batches(_collapse_messy_whitespace, return_dtype=pl.Utf8),
    ).with_columns(_blank_to_null("title"), _blank_to_null("abstract"))


def _collapse_whitespace(text: pl.Expr) -> pl.Expr:
    # not r"\s+": that rewrites every single space and is five times slower
    return text.str.replace_all(r"\s{2,}|[^\S ]", " ").str.strip_chars()


def _collapse_messy_whitespace(abstracts: pl.Series) -> pl.Series:
    """``_collapse_whitespace`` on the rows a cheap literal scan flags: abstracts are long, and a
    whole-column regex pass costs seconds per million of them."""
    abstracts = abstracts.str.strip_chars()
    text = pl.col("abstract")
    singles = "".join(ws for ws in MESSY_WHITESPACE if len(ws) == 1)
    checks = [text.str.contains(ws, literal=True) for ws in MESSY_WHITESPACE if len(ws) > 1]
    if singles:  # one pass over the column for all the single characters
        checks.append(text.str.contains(f"[{_rx_chars(singles)}]"))
    messy = pl.DataFrame({"abstract": abstracts}).select(pl.any_horizontal(checks)).to_series()
    rows = messy.fill_null(False).arg_true()
    cleaned = pl.select(_collapse_whitespace(pl.lit(abstracts.gather(rows)))).to_series()
    return abstracts.scatter(rows, cleaned)


def _blank_to_null(name: str) -> pl.Expr:
    return pl.when(pl.col(name).str.len_chars() > 0).then(pl.col(name)).alias(name)


def _rejection_reason() -> pl.Expr:
    title, abstract = pl.col("title"), pl.col("abstract")
    min_abstract, max_title = RULES.min_abstract_chars, RULES.max_title_chars
    return (
        pl.when(title.is_null() & abstract.is_null())
        .then(pl.lit("title and abstract missing"))
        .when(title.is_null())
        .then(pl.lit("title missing"))
        .when(abstract.is_null())
        .then(pl.lit("abstract missing"))
        .when(abstract.str.len_chars() < min_abstract)
        .then(pl.format("abstract too short ({} chars < {})", abstract.str.len_chars(), pl.lit(min_abstract)))
        .when(title.str.len_chars() > max_title)
        .then(pl.format("title too long ({} chars > {})", title.str.len_chars(), pl.lit(max_title)))
    )


def _reject(source: str, line: int, record: dict, reason: str) -> dict:
    return {"stage": "ingest", "source": f"{source}:{line}", "record": json.dumps(record), "reason": reason}


def _quarantine(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA)


# ---------------------------------------------------------------------------------------------
# Ids and hashes


def normalised_title(title: pl.Expr) -> pl.Expr:
    """Lowercase NFKC with every run of punctuation/whitespace collapsed to one space."""
    return title.map_batches(normalise_titles, return_dtype=pl.Utf8)


def normalise_titles(titles: pl.Series) -> pl.Series:
    """``normalised_title`` on a Series; NFKC, the slow step, only runs on non-ASCII titles
    (ASCII text is already NFKC)."""
    rows = titles.str.contains(r"[^\x00-\x7F]").fill_null(False).arg_true()
    titles = titles.scatter(rows, titles.gather(rows).str.normalize("NFKC"))
    # [\W_]+ would rewrite every single space; this leaves them be
    return titles.str.to_lowercase().str.replace_all(r"[\W_]{2,}|[^\w ]|_", " ").str.strip_chars()


def arxiv_id_expr(text: pl.Expr) -> pl.Expr:
    """The bare arXiv id in an id field ("arXiv:2401.12345v2", an abs/ URL, ...), else null."""
    return pl.coalesce(*(text.str.extract(pattern, 1) for pattern in RULES.arxiv_patterns))


def paper_id_expr(title: pl.Expr, arxiv_id: pl.Expr) -> pl.Expr:
    """arXiv id when known, else "t" + the first hex digits of sha1(normalised title)."""
    pairs = pl.struct(title.alias("title"), arxiv_id_expr(arxiv_id).alias("arxiv"))
    return pairs.map_batches(_paper_ids, return_dtype=pl.Utf8)


def _paper_ids(pairs: pl.Series) -> pl.Series:
    """``paper_id_expr`` on a struct Series; titles are only hashed where no arXiv id is known."""
    titles, arxiv = pairs.struct.field("title"), pairs.struct.field("arxiv").cast(pl.Utf8)
    missing = arxiv.is_null().arg_true()
    if len(missing) == 0:
        return arxiv
    digests = _hex_digests(normalise_titles(titles.gather(missing).cast(pl.Utf8)), hashlib.sha1, RULES.title_hash_chars)
    return arxiv.scatter(missing, pl.select(pl.lit("t") + pl.lit(digests)).to_series())


def paper_id(title: str, arxiv_id: str | None = None) -> str:
    """Stable paper id; the same definition ``paper_id_expr`` applies to whole frames."""
    return pl.select(paper_id_expr(pl.lit(title, pl.Utf8), pl.lit(arxiv_id, pl.Utf8))).item()


def content_hash_expr(title: pl.Expr, abstract: pl.Expr) -> pl.Expr:
    """sha256 hex of title + "\\n" + abstract: changes exactly when the text a claim cites changes."""
    text = pl.concat_str(title, pl.lit("\n"), abstract)
    return text.map_batches(lambda texts: _hex_digests(texts, hashlib.sha256), return_dtype=pl.Utf8)


def _hex_digests(texts: pl.Series, algorithm: Callable, chars: int | None = None) -> pl.Series:
    as_bytes = texts.cast(pl.Binary).to_list()  # UTF-8 already: cheaper than str.encode per row
    with _no_gc():  # a million short-lived strings would set off the cycle collector over and over
        digests = [None if data is None else algorithm(data).hexdigest()[:chars] for data in as_bytes]
    return pl.Series(digests, dtype=pl.Utf8)


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Deduplication


def merge_duplicates(records: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """One row per paper, and how many records were folded into another.

    Records are one paper when their titles match after normalisation (spaces ignored, so
    "Auto-regressive" == "Autoregressive"), when they share an arXiv id, or when their titles are
    near-identical (``near_duplicate_pairs``) and their abstracts open alike. The merged row keeps
    the title first seen in the biggest title variant, the longest abstract, the earliest date, the largest authors and
    upvote counts, and every source. Idempotent: merging papers again merges nothing.
    """
    if records.is_empty():
        return pl.DataFrame(schema=PAPER_SCHEMA), 0
    frame = records.with_row_index("row").with_columns(
        key=normalised_title(pl.col("title")).str.replace_all(" ", ""),
        arxiv_id=pl.when(~pl.col("paper_id").str.contains(TITLE_HASH)).then(pl.col("paper_id")),
    )
    keys = frame.group_by("key", maintain_order=True).agg(
        first_row=pl.col("row").min(),
        count=pl.len(),
        abstract_head=pl.col("abstract").first().str.head(RULES.abstract_prefix_chars),
    )
    canonical = _canonical_keys(keys, frame)
    frame = frame.with_columns(group=pl.col("key").replace(canonical)).with_columns(
        is_canonical=pl.col("key") == pl.col("group")
    )
    longest_first = pl.col("abstract").str.len_chars()
    papers = frame.group_by("group", maintain_order=True).agg(
        pl.col("paper_id", "content_hash").first(),
        pl.col("title").filter("is_canonical").first(),
        pl.col("abstract").sort_by(longest_first, descending=True, maintain_order=True).first(),
        pl.col("published").min(),
        pl.col("authors_count").max(),
        pl.col("upvotes").max(),
        pl.col("arxiv_id").min(),
        pl.col("sources").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
        records=pl.len(),
    )
    merged_rows = (papers["records"] > 1).arg_true()
    recomputed = papers[merged_rows].select(
        paper_id=paper_id_expr(pl.col("title"), pl.col("arxiv_id")),
        content_hash=content_hash_expr(pl.col("title"), pl.col("abstract")),
    )
    papers = papers.with_columns(
        papers[name].scatter(merged_rows, recomputed[name]) for name in recomputed.columns
    )
    return papers.select(list(PAPER_SCHEMA)).cast(PAPER_SCHEMA), records.height - papers.height


#: candidate pairs scored per round; pairs whose keys an earlier round already joined are skipped
MERGE_BATCH = 1 << 18


def _canonical_keys(keys: pl.DataFrame, frame: pl.DataFrame) -> dict[str, str]:
    """Key -> the key of its connected component seen most often (then first).

    The edges: keys carrying the same arXiv id, and near-identical keys (``near_duplicate_pairs``)
    whose abstracts open alike (``abstract_cutoff``: one edit apart, "... for Video" / "... for
    Vision" are different papers, and their abstracts say so). Candidate pairs are scored in rounds,
    and a pair whose keys are already in one component is not scored at all: it could not change
    the components, and near-duplicates come in clusters.
    """
    key_series = keys["key"]
    components = _Components(keys.height)
    components.union(*_shared_arxiv_pairs(frame, keys))
    first, second = _candidate_pairs(key_series)
    possible = _KeyProfile.of(key_series).may_match(first, second)
    first, second = first[possible], second[possible]
    if len(first):
        values = _object_array(key_series)
        heads = keys["abstract_head"]
        numbers = _number_ids(key_series) if RULES.require_equal_numbers else None
        for start in range(0, len(first), MERGE_BATCH):
            a, b = first[start : start + MERGE_BATCH], second[start : start + MERGE_BATCH]
            a, b = _near_identical(a, b, components, None, values, numbers)
            if len(a):
                used, where = np.unique(np.concatenate([a, b]), return_inverse=True)
                texts = _object_array(heads.gather(used))  # each head converted once per round
                scores = process.cpdist(
                    texts[where[: len(a)]], texts[where[len(a) :]],
                    scorer=fuzz.ratio, score_cutoff=RULES.abstract_cutoff, dtype=np.uint8, workers=_workers(len(a)),
                )
                confirmed = np.flatnonzero(scores)
                components.union(a[confirmed], b[confirmed])
    members = np.flatnonzero(components.involved)
    if len(members) == 0:
        return {}
    ranked = (
        pl.DataFrame({"member": members, "root": components.roots(members)})
        .join(keys.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("member"), "key", "count", "first_row"), on="member")
        .sort(["root", "count", "first_row"], descending=[False, True, False])
    )
    chosen = ranked.group_by("root", maintain_order=True).agg(chosen=pl.col("key").first())
    mapping = ranked.join(chosen, on="root").filter(pl.col("key") != pl.col("chosen"))
    return dict(zip(mapping["key"].to_list(), mapping["chosen"].to_list(), strict=True))


def _near_identical(
    a: np.ndarray, b: np.ndarray, components: _Components | None, profile: _KeyProfile | None,
    values: np.ndarray, numbers: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs whose keys score at least ``fuzzy_cutoff`` (and state the same numbers),
    leaving out pairs already in one component; ``profile`` first drops hopeless pairs cheaply."""
    if profile is not None:
        possible = profile.may_match(a, b)
        a, b = a[possible], b[possible]
    if components is not None and len(a):
        apart = components.roots(a) != components.roots(b)
        a, b = a[apart], b[apart]
    if len(a) == 0:
        return a, b
    scores = process.cpdist(
        values[a], values[b], scorer=fuzz.ratio, score_cutoff=RULES.fuzzy_cutoff, dtype=np.uint8, workers=_workers(len(a))
    )
    hits = np.flatnonzero(scores)
    a, b = a[hits], b[hits]
    if numbers is not None:
        same = numbers[a] == numbers[b]
        a, b = a[same], b[same]
    return a, b


def near_duplicate_pairs(keys: pl.Series) -> set[tuple[str, str]]:
    """Pairs of distinct spaceless title keys that are near-identical, found within blocks.

    Keys sharing their first ``block_chars`` characters form a block, and so do keys sharing their
    last ones, so a typo or "LLM"/"LLMs" anywhere but at both ends is found. A block is compared
    all against all; an oversized one by sorted neighbourhood (``_neighbour_pairs``). The work stays
    about n x block size rather than n^2. The candidates are index pairs built with NumPy
    (``_candidate_pairs``), and rapidfuzz only scores a pair that a cheap lower bound on its edit
    distance leaves a chance (``_KeyProfile.may_match``).
    """
    keys = keys.rename("key").cast(pl.Utf8)
    first, second = _candidate_pairs(keys)
    if len(first) == 0:
        return set()
    values = _object_array(keys)
    numbers = _number_ids(keys) if RULES.require_equal_numbers else None
    a, b = _near_identical(first, second, None, _KeyProfile.of(keys), values, numbers)
    return set(zip(values[a].tolist(), values[b].tolist(), strict=True))


def _workers(pairs: int) -> int:
    """rapidfuzz threads for scoring this many pairs: two when it pays for starting them."""
    return 2 if pairs >= 50_000 and (os.cpu_count() or 1) > 1 else 1


def _object_array(series: pl.Series) -> np.ndarray:
    out = np.empty(len(series), dtype=object)
    out[:] = series.to_list()
    return out


def _candidate_pairs(keys: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(first, second) key indices of every candidate pair: all pairs within each block of at
    most ``max_block_size`` keys, sorted neighbours within each bigger one; head blocks, then tail."""
    index = np.arange(len(keys), dtype=np.int64)
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for end, backward in ((_head, False), (_tail, True)):
        block = pl.select(end(pl.lit(keys, pl.Utf8), RULES.block_chars).cast(pl.Categorical).to_physical()).to_series()
        block = block.fill_null(len(keys) + 1).to_numpy().astype(np.int64)  # nulls share a block too
        size = np.bincount(block)[block]
        small = (size > 1) & (size <= RULES.max_block_size)
        for pair in (_pairs_within(index[small], block[small]), _neighbour_pairs(keys, index[size > RULES.max_block_size], block, backward)):
            firsts.append(pair[0])
            seconds.append(pair[1])
    return np.concatenate(firsts), np.concatenate(seconds)


def _head(key: pl.Expr, n: int) -> pl.Expr:
    return key.str.head(n)


def _tail(key: pl.Expr, n: int) -> pl.Expr:
    return key.str.tail(n)


def _pairs_within(index: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of keys (first before second in key order) sharing a block."""
    order = np.argsort(block, kind="stable")
    index, block = index[order], block[order]
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]]) if len(block) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, len(block)])
    position = np.arange(len(block)) - np.repeat(starts, sizes)
    later = np.repeat(sizes, sizes) - 1 - position  # keys after this one in its block
    first = np.repeat(np.arange(len(index)), later)
    step = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later) + 1
    return index[first], index[first + step]


def _neighbour_pairs(keys: pl.Series, index: np.ndarray, block: np.ndarray, backward: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sorted neighbourhood of every oversized block: each key with the next ``neighbour_window``
    keys, the block sorted forward (a head block) or by reversed key (a tail block), so titles that
    differ in one spot sit side by side. Sorting every key of these blocks at once keeps each block
    together: its keys share their first (reversed: last) ``block_chars`` characters."""
    if len(index) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ordered = index[_code_point_order(keys.gather(index), backward)]
    block = block[ordered]
    firsts, seconds = [], []
    for offset in range(1, RULES.neighbour_window + 1):
        same = block[:-offset] == block[offset:]
        firsts.append(ordered[:-offset][same])
        seconds.append(ordered[offset:][same])
    return np.concatenate(firsts), np.concatenate(seconds)


def _code_point_order(keys: pl.Series, backward: bool) -> np.ndarray:
    """The stable order of ``sorted(keys)``, or with ``backward`` of ``sorted(keys, key=lambda k: k[::-1])``
    (reversed by Python: Polars reverses by grapheme). Polars compares strings as UTF-8 bytes, which
    is code point order."""
    if backward:
        keys = pl.Series([None if key is None else key[::-1] for key in keys.to_list()], dtype=pl.Utf8)
    frame = pl.DataFrame({"key": keys}).with_row_index("index")
    return frame.sort("key", maintain_order=True, nulls_last=True)["index"].to_numpy().astype(np.int64)


def _utf8_buffers(series: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string Series: row i is bytes[offsets[i]:offsets[i + 1]] (null: empty)."""
    arrow = series.cast(pl.Utf8).to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    _, offsets_buffer, data_buffer = arrow.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[arrow.offset : arrow.offset + len(series) + 1]
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def _number_ids(keys: pl.Series) -> np.ndarray:
    """An integer per key, equal for two keys exactly when ``_numbers`` is."""
    numbers = keys.str.extract_all(r"[0-9]+").list.join(",")
    rows = keys.str.contains(r"[^\x00-\x7F]").fill_null(False).arg_true()
    if len(rows):  # Python's \d also matches other scripts' digits
        python = [None if key is None else ",".join(_numbers(key)) for key in keys.gather(rows).to_list()]
        numbers = numbers.scatter(rows, pl.Series(python, dtype=pl.Utf8))
    return numbers.fill_null("\x00").cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)


def _numbers(key: str) -> list[str]:
    return re.findall(r"\d+", key)


#: character bins for the edit-distance bound: 32 (a-z, digits on 5, the rest on 1), and 8 coarse
#: ones (letters dealt round by frequency, so every bin gets a fair share; the rest on the last)
_FINE_BINS = np.full(256, 31, np.int32)
_FINE_BINS[np.arange(ord("a"), ord("z") + 1)] = np.arange(26)
_FINE_BINS[np.arange(ord("0"), ord("9") + 1)] = 26 + np.arange(10) % 5
_COARSE_OF_FINE = np.full(32, 7, np.int64)
_COARSE_OF_FINE[np.frombuffer(b"etaoinsrhldcumfpgwybvkxjqz", np.uint8) - ord("a")] = np.arange(26) % 8


@dataclass
class _KeyProfile:
    """Per key: length (negative: the counts are not exact - a non-ASCII key, or a count over
    254), character counts in 32 bins, and in 8 bins capped at 31 packed in one 64-bit word."""

    lengths: np.ndarray
    fine: np.ndarray
    coarse: np.ndarray

    @classmethod
    def of(cls, keys: pl.Series) -> _KeyProfile:
        n = len(keys)
        offsets, data = _utf8_buffers(keys)
        fine = np.zeros((n, 32), np.uint8)
        exact = (~keys.str.contains(r"[^\x00-\x7F]")).fill_null(False).to_numpy()
        mapping = np.zeros((32, 8), np.float32)  # float: BLAS; the sums are small integers, exact
        mapping[np.arange(32), _COARSE_OF_FINE] = 1
        coarse = np.zeros((n, 8), np.uint8)
        binned = _FINE_BINS[data]
        step = 1 << 14  # keeps bincount's table in cache
        for start in range(0, n, step):
            stop = min(start + step, n)
            rows = np.repeat(np.arange(0, (stop - start) * 32, 32, dtype=np.int32), np.diff(offsets[start : stop + 1]))
            rows += binned[offsets[start] : offsets[stop]]
            counts = np.bincount(rows, minlength=(stop - start) * 32).reshape(stop - start, 32)
            exact[start:stop] &= counts.max(axis=1, initial=0) < 255
            fine[start:stop] = np.minimum(counts, 255)
            coarse[start:stop] = np.minimum(counts.astype(np.float32) @ mapping, 31)
        lengths = keys.str.len_chars().fill_null(0).to_numpy().astype(np.float32)
        lengths[~exact] *= -1
        lengths[~exact] -= 0.5  # below zero even for an empty key
        return cls(lengths, fine, np.ascontiguousarray(coarse).view(np.uint64).ravel())

    def may_match(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """False where fuzz.ratio(a, b) certainly stays under ``fuzzy_cutoff``.

        ratio = 100 x (1 - indel distance / (len a + len b)), and the indel distance is at least
        the difference of the lengths, and at least the L1 distance between the two keys'
        character counts (an insertion or deletion changes one count by one; merging characters
        into bins or capping counts keeps it a lower bound). The coarse word is compared first,
        with bit tricks; the 32 bins for the few pairs left. Non-ASCII keys get the length bound
        only. One unit of slack leaves float rounding to rapidfuzz. Two threads share the work
        (NumPy lets go of the GIL).
        """
        step = 1 << 19
        spans = [(start, min(start + step, len(a))) for start in range(0, len(a), step)]
        keep = np.empty(len(a), bool)
        if len(spans) < 4:
            for start, stop in spans:
                keep[start:stop] = self._may_match(a[start:stop], b[start:stop])
            return keep
        with ThreadPoolExecutor(2, thread_name_prefix="ingest-dedup") as pool:
            for (start, stop), part in zip(spans, pool.map(lambda span: self._may_match(a[span[0] : span[1]], b[span[0] : span[1]]), spans)):
                keep[start:stop] = part
        return keep

    def _may_match(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        high, low = np.uint64(0x8080808080808080), np.uint64(0x0101010101010101)
        lx, ly = self.lengths[x], self.lengths[y]
        inexact = (lx < 0) | (ly < 0)
        lx, ly = np.abs(lx), np.abs(ly)
        budget = lx + ly
        budget *= np.float32(1.0 - RULES.fuzzy_cutoff / 100.0)
        budget += np.float32(1.0)
        # per byte: the signed difference, its absolute value; then all 8 summed in the top byte
        signed = self.coarse[x]
        signed |= high
        signed -= self.coarse[y]
        signed ^= high
        sign = signed >> np.uint64(7)
        sign &= low
        signed ^= sign * np.uint64(0xFF)
        signed += sign
        signed *= low
        signed >>= np.uint64(56)
        possible = signed.astype(np.float32) <= budget
        if inexact.any():
            rows = np.flatnonzero(inexact)
            possible[rows] = np.abs(lx[rows] - ly[rows]) <= budget[rows]
        rows = np.flatnonzero(possible & ~inexact)
        if len(rows):
            fa, fb = self.fine[x[rows]], self.fine[y[rows]]
            distance = (np.maximum(fa, fb) - np.minimum(fa, fb)).sum(axis=1, dtype=np.uint16)
            possible[rows[distance > budget[rows]]] = False
        return possible


class _Components:
    """Union-find over key indices (union by size), with vectorised root lookup."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)
        self.size = np.ones(n, np.int64)
        self.involved = np.zeros(n, bool)  # keys with an edge: the ones a component is chosen for

    def roots(self, nodes: np.ndarray) -> np.ndarray:
        roots = self.parent[nodes]
        while True:
            up = self.parent[roots]
            if np.array_equal(up, roots):
                return roots
            roots = up

    def union(self, a: np.ndarray, b: np.ndarray) -> None:
        if len(a) == 0:
            return
        self.involved[a] = True
        self.involved[b] = True
        parent, size = self.parent, self.size
        for x, y in zip(self.roots(a).tolist(), self.roots(b).tolist(), strict=True):
            while parent[x] != x:
                x = int(parent[x])
            while parent[y] != y:
                y = int(parent[y])
            if x == y:
                continue
            if size[x] > size[y]:
                x, y = y, x
            parent[x] = y
            size[y] += size[x]


def _shared_arxiv_pairs(frame: pl.DataFrame, keys: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Key indices of keys carrying the same arXiv id (a title revised between versions)."""
    shared = (
        frame.filter(pl.col("arxiv_id").is_not_null())
        .group_by("arxiv_id")
        .agg(pl.col("key").unique(maintain_order=True))
        .filter(pl.col("key").list.len() > 1)
        .select(first=pl.col("key").list.first(), other=pl.col("key").list.slice(1))
        .explode("other")
    )
    index = keys.select("key", index=pl.int_range(pl.len(), dtype=pl.Int64))
    pairs = (
        shared.join(index.rename({"key": "first", "index": "a"}), on="first")
        .join(index.rename({"key": "other", "index": "b"}), on="other")
    )
    return pairs["a"].to_numpy(), pairs["b"].to_numpy()


# ---------------------------------------------------------------------------------------------
# I/O edges


@dataclass(frozen=True)
class SourceRead:
    """One file's outcome. ``error`` set means the file gave nothing (records/quarantine empty)."""

    path: Path
    records: pl.DataFrame
    quarantine: pl.DataFrame
    error: str | None = None
    format: str | None = None
    sha256: str | None = None
    encoding: str | None = None
    size: int | None = None  # bytes read; 0 for an empty file

    @property
    def entries(self) -> int:
        return self.records.height + self.quarantine.height


@dataclass(frozen=True)
class IngestResult:
    papers: pl.DataFrame
    quarantine: pl.DataFrame
    errors: list[str] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    merged: int = 0


def _read_listing(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(parse_listing(text, source), schema=ENTRY_SCHEMA), _quarantine([])


#: the whole-text reference readers (``read_source`` streams instead, with the same results)
READERS: dict[str, Callable[[str, str], tuple[pl.DataFrame, pl.DataFrame]]] = {
    "listing": _read_listing,
    "jsonl": parse_jsonl,
    "csv": parse_csv,
}


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: the first of ``[decoding] encodings`` that fits.

    UTF-8 is expected (a BOM is dropped); a file that is not UTF-8 is most likely Windows-1252
    (copied from a browser on Windows), and latin-1, the last resort, maps every byte, so
    a text file always decodes. The encoding used is recorded with the input, not guessed silently.
    ``read_source`` applies the same rule chunk by chunk (``_as_utf8``).
    """
    *preferred, last_resort = RULES.encodings
    for encoding in preferred:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError:
            continue
    return data.decode(last_resort, errors="replace").removeprefix("\ufeff"), last_resort


# --- chunked readers: feed(UTF-8 chunk) -> (entries, JSON quarantine rows); finish() -> the rest


class _ListingReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.next_line = 1
        self.pending: pl.DataFrame | None = None  # classified rows from the last entry opened on

    def feed(self, data: bytes, last: bool = False) -> tuple[pl.DataFrame, list[dict]]:
        block = _Block.of(data)
        rows = classify_listing_lines(block.series(), self.next_line)
        self.next_line += block.newlines
        if self.pending is not None:
            rows, self.pending = pl.concat([self.pending, rows]), None
        if not last:
            rows, self.pending = _open_at_last_entry(rows)
        return assemble_listing_rows(rows, self.source), []

    def finish(self) -> tuple[pl.DataFrame, list[dict]]:
        rows, self.pending = self.pending, None
        if rows is None:
            return pl.DataFrame(schema=ENTRY_SCHEMA), []
        return assemble_listing_rows(rows, self.source), []


class _JsonlReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.next_line = 1

    def feed(self, data: bytes, last: bool = False) -> tuple[pl.DataFrame, list[dict]]:
        block = _Block.of(data)
        raw, rejects = _jsonl_block(block, self.next_line, self.source)
        self.next_line += block.newlines
        return typed_entries(raw), rejects

    def finish(self) -> tuple[pl.DataFrame, list[dict]]:
        return pl.DataFrame(schema=ENTRY_SCHEMA), []


class _CsvReader:
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


_BLANK_UTF8 = re.compile(
    rb"(?:[\t\n\x0b\x0c\r\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)*"
)


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


READER_CLASSES: dict[str, Callable[[str], _ListingReader | _JsonlReader | _CsvReader]] = {
    "listing": _ListingReader,
    "jsonl": _JsonlReader,
    "csv": _CsvReader,
}


def _cut_lines(buffer: bytes) -> int:
    """Where the complete lines in ``buffer`` end (0: none yet). A \\r is only a line end when the
    next byte is known not to be \\n."""
    end = buffer.rfind(b"\n") + 1
    if end:
        return end
    return buffer.rfind(b"\r", 0, len(buffer) - 1) + 1


def _cut_records(buffer: bytes) -> int:
    """Where the complete CSV records in ``buffer`` end: after a \\n outside double quotes."""
    end = buffer.rfind(b"\n")
    if end < 0:
        return 0
    quotes = buffer.count(b'"', 0, end)
    while quotes % 2:
        previous = buffer.rfind(b"\n", 0, end)
        if previous < 0:
            return 0
        quotes -= buffer.count(b'"', previous, end)
        end = previous
    return end + 1


CUTTERS: dict[str, Callable[[bytes], int]] = {"listing": _cut_lines, "jsonl": _cut_lines, "csv": _cut_records}


def _chunks(
    handle: BinaryIO, size: int, cut: Callable[[bytes], int], on_read: Callable[[bytes], None] | None
) -> Iterator[tuple[bytes, bool]]:
    """The file as consecutive (piece, is_last) of about ``size`` bytes, each ending where ``cut``
    says (the last: at the end of the file). A line longer than ``size`` makes its piece longer.
    One read ahead tells the last piece, so a reader need not hold its end back for more."""
    def read() -> bytes:
        data = handle.read(size)
        if on_read is not None and data:
            on_read(data)  # every byte read is seen once, even if the reader stops early
        return data

    pending = b""
    data = read()
    while data:
        following = read()
        buffer = pending + data if pending else data
        if not following:
            yield buffer, True
            return
        end = cut(buffer)
        if end:
            yield buffer[:end], False
            pending = buffer[end:]
        else:
            pending = buffer
        data = following
    if pending:  # pragma: no cover - the loop hands everything over at the end of the file
        yield pending, True


def _valid_utf8(data: bytes) -> bool:
    """``data.decode("utf-8")`` would succeed (Arrow's validator: same rules, no str built)."""
    if data.isascii():
        return True
    offsets = np.array([0, len(data)], np.int64)
    array = pa.LargeStringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _as_utf8(data: bytes, encoding: str, last_resort: bool) -> bytes | None:
    """A chunk decoded with ``encoding`` as UTF-8 bytes, or None if it does not decode (never for
    the last resort, which replaces what it cannot map, as ``decode`` does)."""
    if codecs.lookup(encoding).name == "utf-8":
        return data if _valid_utf8(data) else None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if not last_resort:
            return None
        text = data.decode(encoding, errors="replace")
    return text.encode("utf-8")


class _Binary(Exception):
    """The file holds a NUL byte."""


class _Undecodable(Exception):
    """A chunk does not decode with the encoding being tried."""


class _Digest:
    """sha256 of a file fed chunk by chunk, hashed on a worker thread (hashlib lets go of the GIL
    for big buffers, so hashing overlaps parsing); a NUL byte raises _Binary after hashing."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.pool: ThreadPoolExecutor | None = None
        self.pending: deque[Future] = deque()
        self.size = 0

    def update(self, data: bytes) -> None:
        self.size += len(data)
        if len(data) < 1 << 20 and not self.pending:
            self.sha.update(data)
        else:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-sha256")
            self.pending.append(self.pool.submit(self.sha.update, data))
            while len(self.pending) > 2:
                self.pending.popleft().result()
        if b"\x00" in data:
            raise _Binary

    def hexdigest(self) -> str:
        self.close()
        return self.sha.hexdigest()

    def close(self) -> None:
        while self.pending:
            self.pending.popleft().result()
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


@dataclass
class _Parsed:
    records: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    invalid: list[pl.DataFrame] = field(default_factory=list)

    def add(self, entries: pl.DataFrame, rejects: list[dict], source: str) -> None:
        self.rejects.extend(rejects)
        if entries.height:
            records, invalid = split_valid(entries, source)
            self.records.append(records)
            if invalid.height:
                self.invalid.append(invalid)


def _parse_pass(
    handle: BinaryIO, file_format: str, source: str, encoding: str, last_resort: bool, size: int,
    on_read: Callable[[bytes], None] | None,
) -> _Parsed:
    """One read of the whole file with one encoding. Raises _Undecodable, _Binary (from on_read),
    or the reader's ValueError - that one only once every chunk is known to decode."""
    reader = READER_CLASSES[file_format](source)
    parsed = _Parsed()
    error: ValueError | None = None
    first = True
    for chunk, last in _chunks(handle, size, CUTTERS[file_format], on_read):
        data = _as_utf8(chunk, encoding, last_resort)
        if data is None:
            raise _Undecodable
        if first:
            data, first = data.removeprefix(UTF8_BOM), False
        if error is not None:
            continue  # the file's encoding still decides what is reported
        try:
            parsed.add(*reader.feed(data, last), source)
        except ValueError as exc:
            error = exc
    if error is None:
        try:
            parsed.add(*reader.finish(), source)
        except ValueError as exc:
            error = exc
    if error is not None:
        raise error
    return parsed


def read_source(path: Path, chunk_bytes: int | None = None) -> SourceRead:
    """Read one listing page / JSONL / CSV file; never raises.

    A file that cannot be used at all (missing, unsupported extension, binary, malformed CSV)
    yields ``error`` = "<path>: <what is wrong>"; bad entries inside a usable file go to quarantine.
    The file is read ``chunk_bytes`` (default ``[reading] chunk_mib``) at a time, cut at line ends
    (CSV: record ends), so memory stays about one chunk plus the records kept; the result is the
    same as reading it whole. An empty file reads as no entries, ``size`` 0.
    """
    path = Path(path)
    empty = pl.DataFrame(schema=PAPER_SCHEMA), _quarantine([])
    file_format = RULES.formats.get(path.suffix.lower())
    if file_format is None:
        expected = ", ".join(RULES.formats)
        error = f"{path}: unsupported file type {path.suffix!r} (expected {expected})"
        return SourceRead(path, *empty, error=error)
    size = max(int(chunk_bytes or RULES.chunk_bytes), 1)
    source = str(path)
    digest = _Digest()
    try:
        with open(path, "rb") as handle:
            parsed, encoding, error = _read_file(handle, file_format, source, size, digest)
            sha256 = digest.hexdigest()
    except OSError as exc:
        return SourceRead(path, *empty, error=f"{path}: cannot read ({exc.strerror or exc})", format=file_format)
    finally:
        digest.close()
    meta = {"format": file_format, "sha256": sha256, "encoding": encoding, "size": digest.size}
    if error is not None:
        return SourceRead(path, *empty, error=f"{path}: {error}", **meta)
    records = pl.concat(parsed.records) if parsed.records else empty[0]
    quarantine = pl.concat([_quarantine(parsed.rejects), *parsed.invalid])
    return SourceRead(path, records, quarantine, **meta)


def _read_file(
    handle: BinaryIO, file_format: str, source: str, size: int, digest: _Digest
) -> tuple[_Parsed | None, str | None, str | None]:
    """(parsed, encoding, error): the first pass hashes every byte and stops at a NUL byte; an
    encoding that fails part-way sends the file round again with the next one."""
    *preferred, last_resort = RULES.encodings
    encodings = [*preferred, last_resort]
    for attempt, encoding in enumerate(encodings):
        is_last = attempt == len(encodings) - 1
        if attempt:
            handle.seek(0)
        try:
            return _parse_pass(handle, file_format, source, encoding, is_last, size, digest.update if attempt == 0 else None), encoding, None
        except _Binary:
            _drain(handle, size, digest)
            return None, None, "binary file (contains NUL bytes)"
        except _Undecodable:
            if attempt == 0:
                try:
                    _drain(handle, size, digest)
                except _Binary:
                    return None, None, "binary file (contains NUL bytes)"
        except ValueError as exc:
            if attempt == 0:
                _drain(handle, size, digest)
            return None, encoding, str(exc)
    raise AssertionError("the last resort encoding always decodes")  # pragma: no cover


def _drain(handle: BinaryIO, size: int, digest: _Digest) -> None:
    """Hash (and NUL-check) the rest of the file after a first pass stopped early."""
    binary = False
    while data := handle.read(size):
        try:
            digest.update(data)
        except _Binary:
            binary = True
    if binary:
        raise _Binary


def expand_paths(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Files to read (a directory contributes its supported files, sorted) and errors for the rest."""
    files: list[Path] = []
    errors: list[str] = []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in RULES.formats)
        if not found:
            errors.append(f"{path}: no {', '.join(RULES.formats)} files in directory")
        files.extend(found)
    return files, errors


def ingest(
    paths: Sequence[Path],
    progress: Callable[[str], None] | None = None,
    read_source: Callable[[Path], SourceRead] = read_source,
) -> IngestResult:
    """Read every source, quarantine unusable entries, merge duplicates; one bad file never stops the rest.

    ``inputs`` lists the files read successfully (path, format, sha256 of the bytes, encoding, entries).
    ``read_source`` reads one file; a caller may pass its own (a cache keyed by content, a fake in tests).
    """
    report = progress or (lambda message: None)
    files, errors = expand_paths(paths)
    reads = []
    for path in files:
        read = read_source(path)
        report(read.error or _read_summary(read))
        reads.append(read)
    good = [read for read in reads if read.error is None]
    papers, merged = merge_duplicates(pl.concat([r.records for r in good] or [pl.DataFrame(schema=PAPER_SCHEMA)]))
    report(f"{papers.height} papers ({merged} duplicate entries merged)")
    return IngestResult(
        papers=papers,
        quarantine=pl.concat([r.quarantine for r in good] or [_quarantine([])]),
        errors=errors + [read.error for read in reads if read.error is not None],
        inputs=[
            {"path": str(r.path), "format": r.format, "sha256": r.sha256, "encoding": r.encoding, "entries": r.entries}
            for r in good
        ],
        merged=merged,
    )


def _read_summary(read: SourceRead) -> str:
    if read.size == 0:
        return f"{read.path}: empty file, 0 entries"
    encoding = "" if read.encoding in (None, RULES.encodings[0]) else f", decoded as {read.encoding}"
    return f"{read.path}: {read.entries} entries, {read.quarantine.height} quarantined{encoding}"
