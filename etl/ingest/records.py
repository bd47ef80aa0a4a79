"""Entries -> records: typed fields, whitespace cleaned, unusable entries to quarantine with a
plain-English reason (``[validation]``), and each record's paper id and content hash."""

from __future__ import annotations

import hashlib
from urllib.parse import quote_plus

import polars as pl

from etl.frames import hex_digests
from etl.ingest.rules import ENTRY_SCHEMA, RULES, rx_chars
from etl.schemas import QUARANTINE_COLUMNS


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
        pl.coalesce(to_int32(authors), names.list.len().cast(pl.Int32)).alias("authors_count"),
        to_int32(pl.col("upvotes").str.strip_chars()).alias("upvotes"),
        "arxiv_id",
        pl.col("url").str.strip_chars(),
        "line",
    )


def to_int32(text: pl.Expr) -> pl.Expr:
    """Digits -> Int32; null where the text is not an integer or the number does not fit."""
    return text.str.to_integer(strict=False).cast(pl.Int32, strict=False)


def first_present(by_name: dict[str, object], aliases: tuple[str, ...]) -> object:
    """The value under the first alias present (``[records.columns]``: first present wins)."""
    return next((by_name[alias] for alias in aliases if by_name.get(alias) is not None), None)


# --- validation: entries -> records + quarantine ----------------------------------------------


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
    arxiv_id = pl.coalesce(pl.col("arxiv_id"), pl.when(pl.col("url").str.contains(PAPER_PAGE)).then(pl.col("url")))
    records = cleaned.filter(pl.col("reason").is_null()).select(
        paper_id=paper_id_expr(pl.col("title"), arxiv_id),
        title="title",
        abstract="abstract",
        published="published",
        authors_count="authors_count",
        upvotes="upvotes",
        sources=pl.concat_list(pl.lit(source)),
        content_hash=content_hash_expr(pl.col("title"), pl.col("abstract")),
        url=link_expr(pl.col("url"), arxiv_id),
        url_kind=pl.lit(None, pl.Utf8),  # set once duplicates are merged (``with_links``)
    )
    return records, quarantine


def clean_text(entries: pl.DataFrame) -> pl.DataFrame:
    """Titles and abstracts on one line with single spaces (JSON titles wrap, pages double-space);
    blank means missing."""
    return entries.with_columns(
        _collapse_whitespace(pl.col("title")),
        pl.col("abstract").map_batches(_collapse_messy_whitespace, return_dtype=pl.Utf8),
    ).with_columns(_blank_to_null("title"), _blank_to_null("abstract"))


#: whitespace that marks an abstract for the (slow) collapsing regex; other Unicode spaces stay
MESSY_WHITESPACE = ("  ", "\n", "\t", "\r", "\u00a0")


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
        checks.append(text.str.contains(f"[{rx_chars(singles)}]"))
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


def quarantine_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=QUARANTINE_COLUMNS)


# --- links ------------------------------------------------------------------------------------

ARXIV_ABS = "https://arxiv.org/abs/"
HF_PAPER = "https://huggingface.co/papers/"
ARXIV_SEARCH = "https://arxiv.org/search/?searchtype=title&query="
#: a link that names a paper: an arXiv abs/pdf page or a Hugging Face paper page (Rust regex)
PAPER_PAGE = r"(?i)^(?:https?://)?(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf)|huggingface\.co/papers)/"
HF_PAGE = r"(?i)^(?:https?://)?(?:www\.)?huggingface\.co/papers/"


def link_expr(url: pl.Expr, arxiv_id: pl.Expr) -> pl.Expr:
    """A record's paper page: the Hugging Face page when its link is one, else the arXiv abstract
    page of its arXiv id (from the id field or an arXiv link), else null (``with_links`` then
    makes it a title search). Any other link is not a paper page and is ignored."""
    bare = arxiv_id_expr(arxiv_id)
    return (
        pl.when(url.str.contains(HF_PAGE) & bare.is_not_null()).then(pl.lit(HF_PAPER) + bare)
        .when(bare.is_not_null()).then(pl.lit(ARXIV_ABS) + bare)
    )


def url_rank(url: pl.Expr) -> pl.Expr:
    """Which of a paper's links wins when records merge: arXiv abstract page, then Hugging Face
    page, then anything else (a title search, rebuilt from the merged title), then none."""
    return (
        pl.when(url.str.starts_with(ARXIV_ABS)).then(0)
        .when(url.str.starts_with(HF_PAPER)).then(1)
        .when(url.is_not_null()).then(2)
        .otherwise(3)
    )


def with_links(papers: pl.DataFrame) -> pl.DataFrame:
    """Every paper gets ``url`` (never null) and ``url_kind`` ("arxiv" | "hf" | "search"): its
    page when a source named it, else an arXiv search for its title. Idempotent."""
    if "url" not in papers.columns:
        papers = papers.with_columns(url=pl.lit(None, pl.Utf8))
    rank = url_rank(pl.col("url"))
    search = pl.lit(ARXIV_SEARCH) + pl.col("title").map_batches(quote_titles, return_dtype=pl.Utf8)
    return papers.with_columns(
        url=pl.when(rank <= 1).then(pl.col("url")).otherwise(search),
        url_kind=pl.when(rank == 0).then(pl.lit("arxiv")).when(rank == 1).then(pl.lit("hf")).otherwise(pl.lit("search")),
    )


#: ASCII characters quote_plus keeps as they are
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote_titles(titles: pl.Series) -> pl.Series:
    """``urllib.parse.quote_plus`` of each title: whole-column replacements for printable ASCII
    titles (nearly all), quote_plus itself for the others."""
    titles = titles.fill_null("")
    ascii_rows = titles.str.contains(r"^[\x20-\x7e]*$")
    # "%" first and " " -> "+" last, so no replacement rewrites what an earlier one wrote
    specials = ["%", *(chr(c) for c in range(0x21, 0x7F) if chr(c) not in _URL_SAFE and chr(c) != "%")]
    quoted = titles
    for char in specials:
        quoted = quoted.str.replace_all(char, f"%{ord(char):02X}", literal=True)
    quoted = quoted.str.replace_all(" ", "+", literal=True)
    others = (~ascii_rows).arg_true()
    if len(others):
        quoted = quoted.scatter(others, pl.Series([quote_plus(t) for t in titles.gather(others)], dtype=pl.Utf8))
    return quoted


# --- ids and hashes ---------------------------------------------------------------------------

#: a paper id made from its title (``paper_id_expr``), not an arXiv id
TITLE_HASH = r"^t[0-9a-f]+$"


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
    digests = hex_digests(normalise_titles(titles.gather(missing).cast(pl.Utf8)), hashlib.sha1, RULES.title_hash_chars)
    return arxiv.scatter(missing, pl.select(pl.lit("t") + pl.lit(digests)).to_series())


def paper_id(title: str, arxiv_id: str | None = None) -> str:
    """Stable paper id; the same definition ``paper_id_expr`` applies to whole frames."""
    return pl.select(paper_id_expr(pl.lit(title, pl.Utf8), pl.lit(arxiv_id, pl.Utf8))).item()


def content_hash_expr(title: pl.Expr, abstract: pl.Expr) -> pl.Expr:
    """sha256 hex of title + "\\n" + abstract: changes exactly when the text a claim cites changes."""
    pairs = pl.struct(title.alias("title"), abstract.alias("abstract"))
    return pairs.map_batches(_content_hashes, return_dtype=pl.Utf8)


#: rows joined and hashed at a time: the joined texts of every row would weigh as much as the abstracts
HASH_ROWS = 1 << 14


def _content_hashes(pairs: pl.Series) -> pl.Series:
    """``content_hash_expr`` on a struct Series, ``HASH_ROWS`` rows at a time."""
    text = pl.concat_str("title", pl.lit("\n"), "abstract")
    parts = [
        hex_digests(part.select(text).to_series(), hashlib.sha256)
        for part in pairs.struct.unnest().iter_slices(HASH_ROWS)
    ]
    return pl.concat(parts) if parts else pl.Series(dtype=pl.Utf8)
