"""Ingest: paper listing pages, JSONL and CSV files -> one deduplicated papers frame + quarantine.

Each reader turns text into *entries* (title, abstract, metadata, line number). Entries without a
usable title or abstract go to quarantine with a plain-English reason; the rest become *records*
(one per entry, papers schema). ``merge_duplicates`` folds records of the same paper into one row.
What counts as noise, metadata, an abstract or a duplicate lives in ``rules/ingest.toml``.
Only ``read_source`` and ``ingest`` touch the file system.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
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
    )


RULES = load_rules()
#: RAW_SCHEMA text column -> names accepted for it in JSONL keys / CSV headers
RAW_COLUMNS = {name: RULES.columns[name] for name in RAW_SCHEMA if name != "line"}


# ---------------------------------------------------------------------------------------------
# Listing pages


def parse_listing(text: str, source: str) -> list[dict]:
    """Entries of a copied paper-listing page, in page order.

    Works line by line, so both layouts parse alike: blank-line separated blocks with metadata
    after the abstract, and the compact one-line-title / one-line-abstract form. Page chrome is
    skipped; a title without an abstract, an abstract without a title, and metadata lines without
    a paper all come back as entries with the missing fields None, for quarantine downstream.
    """
    rules = RULES.listing
    entries: list[dict] = []
    current: dict | None = None  # the entry metadata lines attach to
    awaiting_abstract: dict | None = None  # a title not yet followed by its abstract
    for number, raw_line in enumerate(_lines(text), start=1):
        line = raw_line.strip()
        if line.startswith(rules.glued_prefixes):
            line = rules.glued_prefix.sub("", line, count=1)
        if not line:
            continue
        fields = None
        if len(line) < rules.short_line_chars:  # noise and metadata are short; most lines are not
            if _is_noise(line, rules):
                continue
            fields = _metadata_fields(line, rules)
        if fields is not None:
            if current is None or any(current[name] is not None for name in fields):
                current = _entry(source, number)
                entries.append(current)
            current.update(fields)
        elif _is_abstract(line, rules):
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


# ---------------------------------------------------------------------------------------------
# JSONL and CSV


def parse_jsonl(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries of a JSON-lines file, and quarantine rows for lines that are not JSON objects.

    Line numbers count every line, blank ones included, so they match an editor's.
    """
    rows: list[dict] = []
    rejects: list[dict] = []
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"malformed JSON: {exc.msg} (column {exc.colno})"
            rejects.append(_reject(source, number, {"raw": line[:2000]}, reason))
            continue
        except (RecursionError, ValueError) as exc:  # nesting too deep, an integer too long
            reason = f"unreadable JSON: {type(exc).__name__}: {str(exc)[:120]}"
            rejects.append(_reject(source, number, {"raw": line[:2000]}, reason))
            continue
        if not isinstance(value, dict):
            rejects.append(_reject(source, number, {"raw": line[:2000]}, f"not a JSON object but {type(value).__name__}"))
            continue
        by_name = {str(key).strip().lower(): item for key, item in value.items()}
        row = {name: _json_text(name, _first_present(by_name, aliases)) for name, aliases in RAW_COLUMNS.items()}
        if any(isinstance(v, str) and not _encodable(v) for v in row.values()):
            rejects.append(_reject(source, number, {"raw": line[:2000]}, "text holds a lone surrogate escape (not Unicode)"))
            continue
        rows.append(row | {"line": number})
    return typed_entries(pl.DataFrame(rows, schema=RAW_SCHEMA)), _quarantine(rejects)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_csv(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Entries of a CSV file with a header row; ``line`` is the record number (header excluded).

    Raises ValueError when the file is not CSV or lacks a title or abstract column: then no row
    can be used, and the caller reports the file.
    """
    if not text.strip():
        return pl.DataFrame(schema=ENTRY_SCHEMA), _quarantine([])
    try:
        table = pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"malformed CSV: {str(exc).splitlines()[0]}") from exc
    by_name = {column.strip().lower(): column for column in table.columns}
    for required in ("title", "abstract"):
        if _first_present(by_name, RULES.columns[required]) is None:
            found = ", ".join(table.columns) or "none"
            raise ValueError(f"CSV has no {required} column (columns: {found})")
    raw = table.select(
        *(
            (pl.col(column) if (column := _first_present(by_name, aliases)) else pl.lit(None, pl.Utf8)).alias(name)
            for name, aliases in RAW_COLUMNS.items()
        ),
        line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
    )
    return typed_entries(raw), _quarantine([])


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
    messy = pl.select(
        pl.any_horizontal(abstracts.str.contains(ws, literal=True) for ws in MESSY_WHITESPACE)
    ).to_series()
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
    digests = normalised_title(title).map_batches(
        lambda keys: _hex_digests(keys, hashlib.sha1, RULES.title_hash_chars), return_dtype=pl.Utf8
    )
    return pl.coalesce(arxiv_id_expr(arxiv_id), pl.lit("t") + digests)


def paper_id(title: str, arxiv_id: str | None = None) -> str:
    """Stable paper id; the same definition ``paper_id_expr`` applies to whole frames."""
    return pl.select(paper_id_expr(pl.lit(title, pl.Utf8), pl.lit(arxiv_id, pl.Utf8))).item()


def content_hash_expr(title: pl.Expr, abstract: pl.Expr) -> pl.Expr:
    """sha256 hex of title + "\\n" + abstract: changes exactly when the text a claim cites changes."""
    text = pl.concat_str(title, pl.lit("\n"), abstract)
    return text.map_batches(lambda texts: _hex_digests(texts, hashlib.sha256), return_dtype=pl.Utf8)


def _hex_digests(texts: pl.Series, algorithm: Callable, chars: int | None = None) -> pl.Series:
    as_bytes = texts.cast(pl.Binary).to_list()  # UTF-8 already: cheaper than str.encode per row
    digests = [None if data is None else algorithm(data).hexdigest()[:chars] for data in as_bytes]
    return pl.Series(digests, dtype=pl.Utf8)


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
    edges = _confirmed_by_abstracts(near_duplicate_pairs(keys["key"]), keys) | _shared_arxiv_pairs(frame)
    canonical = _canonical_keys(edges, keys)
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


def near_duplicate_pairs(keys: pl.Series) -> set[tuple[str, str]]:
    """Pairs of distinct spaceless title keys that are near-identical, found within blocks.

    Keys sharing their first ``block_chars`` characters form a block, and so do keys sharing their
    last ones, so a typo or "LLM"/"LLMs" anywhere but at both ends is found. A block is compared
    all against all; an oversized one by sorted neighbourhood (``_neighbours``). The work stays
    about n x block size rather than n^2; pairs (two-key blocks, neighbours) are scored in one call.
    """
    pairs: set[tuple[str, str]] = set()
    firsts: list[str] = []
    seconds: list[str] = []
    for end, order in ((_head, _forward), (_tail, _backward)):
        blocks = (
            pl.DataFrame({"key": keys})
            .group_by(end(pl.col("key"), RULES.block_chars).alias("block"))
            .agg("key")
            .filter(pl.col("key").list.len() > 1)
        )
        for block in blocks["key"].to_list():
            if len(block) == 2:
                firsts.append(block[0])
                seconds.append(block[1])
            elif len(block) <= RULES.max_block_size:
                scores = process.cdist(
                    block, block, scorer=fuzz.ratio, score_cutoff=RULES.fuzzy_cutoff, dtype=np.uint8
                )
                pairs.update((block[i], block[j]) for i, j in zip(*np.nonzero(scores), strict=True) if i < j)
            else:
                for first, second in _neighbours(sorted(block, key=order)):
                    firsts.append(first)
                    seconds.append(second)
    scores = process.cpdist(firsts, seconds, scorer=fuzz.ratio, score_cutoff=RULES.fuzzy_cutoff, dtype=np.uint8)
    pairs.update((firsts[i], seconds[i]) for i in np.flatnonzero(scores))
    if RULES.require_equal_numbers:
        pairs = {(a, b) for a, b in pairs if _numbers(a) == _numbers(b)}
    return pairs


def _head(key: pl.Expr, n: int) -> pl.Expr:
    return key.str.head(n)


def _tail(key: pl.Expr, n: int) -> pl.Expr:
    return key.str.tail(n)


def _forward(key: str) -> str:
    return key


def _backward(key: str) -> str:
    return key[::-1]


def _neighbours(ordered: list[str]) -> Iterator[tuple[str, str]]:
    """Each key with the next ``neighbour_window`` keys. Keys sharing a start (a head block) sorted
    forward, or an end (a tail block) sorted backward, put titles that differ in one spot side by side."""
    for offset in range(1, RULES.neighbour_window + 1):
        yield from zip(ordered, ordered[offset:])


def _confirmed_by_abstracts(pairs: set[tuple[str, str]], keys: pl.DataFrame) -> set[tuple[str, str]]:
    """The pairs whose abstracts open alike too: one edit apart, "... for Video" / "... for Vision"
    or "... on GPUs" / "... on CPUs" are different papers, and their abstracts say so."""
    candidates = sorted(pairs)
    if not candidates:
        return set()
    heads = dict(keys.select("key", "abstract_head").iter_rows())
    scores = process.cpdist(
        [heads[a] for a, _ in candidates],
        [heads[b] for _, b in candidates],
        scorer=fuzz.ratio,
        score_cutoff=RULES.abstract_cutoff,
        dtype=np.uint8,
    )
    return {pair for pair, score in zip(candidates, scores, strict=True) if score}


def _numbers(key: str) -> list[str]:
    return re.findall(r"\d+", key)


def _shared_arxiv_pairs(frame: pl.DataFrame) -> set[tuple[str, str]]:
    """Title keys that carry the same arXiv id (a title revised between versions)."""
    shared = (
        frame.filter(pl.col("arxiv_id").is_not_null())
        .group_by("arxiv_id")
        .agg(pl.col("key").unique(maintain_order=True))
        .filter(pl.col("key").list.len() > 1)
    )
    return {(keys[0], other) for keys in shared["key"].to_list() for other in keys[1:]}


def _canonical_keys(edges: set[tuple[str, str]], keys: pl.DataFrame) -> dict[str, str]:
    """Key -> the key of its connected component seen most often (then first)."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in edges:
        parent[root(a)] = root(b)
    components: dict[str, list[str]] = defaultdict(list)
    for key in parent:
        components[root(key)].append(key)
    in_components = keys.filter(pl.col("key").is_in(list(parent))).select("key", "first_row", "count")
    rank = {key: (-count, first_row) for key, first_row, count in in_components.iter_rows()}
    canonical: dict[str, str] = {}
    for members in components.values():
        chosen = min(members, key=rank.__getitem__)
        canonical.update({member: chosen for member in members if member != chosen})
    return canonical


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
    """
    *preferred, last_resort = RULES.encodings
    for encoding in preferred:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError:
            continue
    return data.decode(last_resort, errors="replace").removeprefix("\ufeff"), last_resort


def read_source(path: Path) -> SourceRead:
    """Read one listing page / JSONL / CSV file; never raises.

    A file that cannot be used at all (missing, unsupported extension, binary, malformed CSV)
    yields ``error`` = "<path>: <what is wrong>"; bad entries inside a usable file go to quarantine.
    """
    path = Path(path)
    empty = pl.DataFrame(schema=PAPER_SCHEMA), _quarantine([])
    file_format = RULES.formats.get(path.suffix.lower())
    if file_format is None:
        expected = ", ".join(RULES.formats)
        error = f"{path}: unsupported file type {path.suffix!r} (expected {expected})"
        return SourceRead(path, *empty, error=error)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return SourceRead(path, *empty, error=f"{path}: cannot read ({exc.strerror or exc})", format=file_format)
    digest = hashlib.sha256(data).hexdigest()
    if b"\x00" in data:
        error = f"{path}: binary file (contains NUL bytes)"
        return SourceRead(path, *empty, error=error, format=file_format, sha256=digest)
    text, encoding = decode(data)
    try:
        entries, rejects = READERS[file_format](text, str(path))
    except ValueError as exc:
        error = f"{path}: {exc}"
        return SourceRead(path, *empty, error=error, format=file_format, sha256=digest, encoding=encoding)
    records, invalid = split_valid(entries, str(path))
    return SourceRead(
        path, records, pl.concat([rejects, invalid]), format=file_format, sha256=digest, encoding=encoding
    )


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
        report(read.error or f"{path}: {read.entries} entries, {read.quarantine.height} quarantined")
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
