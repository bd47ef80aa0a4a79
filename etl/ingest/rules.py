"""Ingest rules and row shapes: ``rules/ingest.toml`` parsed once (``RULES``), the frame schemas every
reader and the merge share, and how a Python character set or literal is spelled as a Rust regex,
since the vectorised readers run the rules' checks in Polars and must match what Python would."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

RULES_PATH = Path(__file__).resolve().parent.parent / "rules" / "ingest.toml"

PAPER_SCHEMA: dict[str, pl.DataType] = {
    "paper_id": pl.Utf8(),
    "title": pl.Utf8(),
    "abstract": pl.Utf8(),
    "published": pl.Date(),
    "authors_count": pl.Int32(),
    "upvotes": pl.Int32(),
    "sources": pl.List(pl.Utf8()),
    "content_hash": pl.Utf8(),
    "url": pl.Utf8(),  # the paper's page (records.link_expr), else a title search (records.with_links)
    "url_kind": pl.Utf8(),  # "arxiv" | "hf" | "search"; null in records until merged
}

#: what every reader produces: one row per entry, typed, not yet validated
ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "title": pl.Utf8(),
    "abstract": pl.Utf8(),
    "published": pl.Date(),
    "authors_count": pl.Int32(),
    "upvotes": pl.Int32(),
    "arxiv_id": pl.Utf8(),
    "url": pl.Utf8(),
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
    "url": pl.Utf8(),
    "line": pl.Int64(),
}

#: what str.strip() and str.split() treat as whitespace (str.isspace). Polars' default strip_chars
#: (Rust's char::is_whitespace) keeps \x1c-\x1f, so the vectorised readers always name this set.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def rx_chars(chars: str) -> str:
    """``chars`` as the body of a Rust regex character class."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def rx_literal(text: str) -> str:
    """``text`` as a Rust regex matching exactly it."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


WS_CLASS = rx_chars(PY_WHITESPACE)


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
    chunk_bytes: int


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
        chunk_bytes=int(raw["reading"]["chunk_mib"] * 2**20),
    )


RULES = load_rules()

#: RAW_SCHEMA text column -> names accepted for it in JSONL keys / CSV headers
RAW_COLUMNS = {name: RULES.columns[name] for name in RAW_SCHEMA if name != "line"}
