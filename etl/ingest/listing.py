"""Listing pages (paper lists copied from a web page) -> entries.

``parse_listing`` is the reference, line by line in Python; ``classify_listing_lines`` and
``assemble_listing_rows`` do the same on whole columns, and ``ListingReader`` feeds them one
chunk at a time. What a line means (page chrome, metadata, abstract, title) is ``[listing]``
in ``rules/ingest.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import polars as pl

from etl.ingest.files import LineBlock, split_lines
from etl.ingest.records import to_int32
from etl.ingest.rules import ENTRY_SCHEMA, PY_WHITESPACE, RULES, WS_CLASS, ListingRules, rx_literal

#: what a listing line that is not page chrome is
META, ABSTRACT, TITLE = 0, 1, 2

#: metadata fields a listing line can state
META_FIELDS = ("authors_count", "upvotes", "published")

#: a count above this does not fit the Int32 columns: it reads as unknown
INT32_MAX = 2**31 - 1


def parse_listing(text: str, source: str) -> list[dict]:
    """Entries of a copied paper-listing page, in page order.

    Works line by line, so both layouts parse alike: blank-line separated blocks with metadata
    after the abstract, and the compact one-line-title / one-line-abstract form. Page chrome is
    skipped; a title without an abstract, an abstract without a title, and metadata lines without
    a paper all come back as entries with the missing fields None, for quarantine downstream.
    """
    rules = RULES.listing
    rows = []
    for number, raw_line in enumerate(split_lines(text), start=1):
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


def _entry(source: str, line: int, title: str | None = None) -> dict:
    return {
        "title": title,
        "abstract": None,
        "published": None,
        "authors_count": None,
        "upvotes": None,
        "arxiv_id": None,
        "url": None,
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
        glued = text.str.contains(f"^{rx_literal(prefix)}[^a-z{WS_CLASS}]")
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
        authors_count=to_int32(pl.col("g_authors_count")),
        upvotes=to_int32(pl.col("g_upvotes")),
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
        url=pl.lit(None, pl.Utf8),
        line=pl.col("line").first(),
    ).select(list(ENTRY_SCHEMA)).cast(ENTRY_SCHEMA)


def _open_at_last_entry(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows before the last row that opens an entry, the rest). Nothing after an opening row
    touches an entry opened before it, so the rest can wait for the next chunk's lines."""
    opened = _creates(rows).arg_true()
    cut = int(opened[-1]) if len(opened) else 0
    return rows[:cut], rows[cut:]


class ListingReader:
    """Listing chunks -> entries. An entry may go on in the next chunk, so the rows from the last
    one opened wait for it (``_open_at_last_entry``)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.next_line = 1
        self.pending: pl.DataFrame | None = None  # classified rows from the last entry opened on

    def feed(self, data: bytes, last: bool = False) -> tuple[pl.DataFrame, list[dict]]:
        block = LineBlock.of(data)
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
