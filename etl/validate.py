"""Validate stage, part 2: split each table into the rows that pass and the quarantine.

Suspicious-but-plausible values stay in the data with a ``warning`` (the rules table below);
rows that fail a schema check (etl/schemas.py) go to quarantine with the failed check named.
Nothing is dropped silently: every removed row is a quarantine row with a reason.
"""

from __future__ import annotations

from functools import cache

import pandera.polars as pa
import polars as pl

from etl.frames import distinct, join_rows, take
from etl.schemas import (
    ClaimInAbstractSchema,
    ClaimSchema,
    FactSchema,
    PaperSchema,
    empty_quarantine,
)

ORIGIN = ("correction_id", "extracted")

#: (table, condition, reason): values kept but flagged so the dashboard can show them as such.
WARNING_RULES: list[tuple[str, pl.Expr, str]] = [
    ("claims", pl.col("multiplier") > 1000, "multiplier over 1000x"),
    ("claims", pl.col("multiplier") < 0.1, "regression of more than 10x"),
    ("claims", pl.col("confidence") < 0.5, "low extraction confidence"),
    (
        "facts",
        pl.col("model_sizes").list.eval(pl.element() > 2e12).list.any(),
        "model size over 2T parameters: may be a token count",
    ),
    (
        "facts",
        pl.col("model_sizes").list.eval(pl.element() < 1e6).list.any(),
        "model size under 1M parameters: may not be a parameter count",
    ),
    (
        "facts",
        # publication years; 2048 (a power of two, a common cluster size) stays out of range
        pl.col("gpu_counts").list.eval(pl.element().is_between(1990, 2035)).list.any(),
        "GPU count looks like a year",
    ),
    ("facts", pl.col("gpu_counts").list.eval(pl.element() > 100_000).list.any(), "GPU count over 100,000"),
]


def flag_warnings(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Add the ``warning`` column: the reasons of every rule that fires, joined by '; '."""
    reasons = [pl.when(cond).then(pl.lit(reason)) for t, cond, reason in WARNING_RULES if t == table]
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return frame.with_columns(warning=pl.when(joined != "").then(joined).otherwise(None))


def warnings_by_kind(*tables: pl.DataFrame) -> dict[str, int]:
    """Rows flagged per warning reason (``WARNING_RULES``) over the tables' ``warning`` columns,
    most frequent first. A row flagged for two reasons counts under both, so the counts can add
    up to more than the flagged rows."""
    reasons = [t["warning"].drop_nulls().str.split("; ").explode() for t in tables if "warning" in t.columns]
    if not reasons:
        return {}
    counts = pl.concat(reasons).value_counts(name="rows").sort(["rows", "warning"], descending=[True, False])
    return dict(counts.iter_rows())


def quarantine_rows(
    frame: pl.DataFrame, source: pl.Expr, reasons: pl.DataFrame, hide: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Quarantine rows for the rows of ``frame`` at the positions (``index``) in ``reasons``.

    ``hide`` names columns left out of the JSON record (context joined in only to check it).
    """
    if reasons.is_empty():
        return empty_quarantine()
    return (
        frame.with_row_index("index")
        .join(reasons, on="index")
        .select(
            stage=pl.lit("validate"),
            source=source,
            record=pl.struct(pl.exclude("index", "reason", *hide)).struct.json_encode(),
            reason=pl.col("reason"),
        )
    )


@cache
def _schemas(model: type[pa.DataFrameModel]) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema, tuple[str, ...]]:
    """The model's schema, the same without its per-column uniqueness checks, and those columns."""
    schema = model.to_schema()
    unique = tuple(name for name, column in schema.columns.items() if column.unique)
    return schema, schema.update_columns({name: {"unique": False} for name in unique}), unique


def _as_validated(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame:
    """What ``schema.validate`` returns for rows known to pass every check, without checking again.

    Validation leaves a frame as it is apart from dropping the columns a ``strict="filter"``
    schema does not name (nothing here coerces, adds columns, fills defaults or orders them);
    a schema that does any of that is simply validated.
    """
    columns = schema.columns.values()
    if schema.coerce or schema.ordered or schema.add_missing_columns or any(
        c.coerce or c.regex or c.default is not None for c in columns
    ):
        return schema.validate(frame, lazy=True)
    if schema.strict == "filter":
        return frame.select([c for c in frame.columns if c in schema.columns])
    return frame


def split_valid(
    frame: pl.DataFrame, model: type[pa.DataFrameModel], source: pl.Expr, hide: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate lazily; return (rows that pass, quarantine rows naming every failed check).

    A failure not tied to a row (a missing column, a wrong dtype) is a bug in an earlier
    stage, not bad data, so it is raised rather than quarantined.

    A uniqueness check that cannot fail (all hashes distinct) is skipped: docs/architecture.md,
    "Performance notes".
    """
    schema, without_unique, unique = _schemas(model)
    if unique and all(name in frame.columns and distinct(frame[name]) for name in unique):
        schema = without_unique
    try:
        return schema.validate(frame, lazy=True), empty_quarantine()
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    if cases["index"].null_count():
        raise ValueError(f"{model.__name__}: table-level failure\n{cases.filter(pl.col('index').is_null())}")
    reasons = (
        cases.with_columns(pl.col("index").cast(pl.UInt32))
        .group_by("index", maintain_order=True)
        .agg(
            reason=pl.concat_str(
                pl.col("column"), pl.lit(": "), pl.col("check"), pl.lit(" (got "),
                pl.col("failure_case").str.slice(0, 80), pl.lit(")"),
            ).unique(maintain_order=True).str.join("; ")
        )
    )
    bad = reasons["index"]
    valid = frame.with_row_index("index").filter(~pl.col("index").is_in(bad.implode())).drop("index")
    # every row-level failure is in ``bad``, so the rest pass: no second validation
    return _as_validated(schema, valid), quarantine_rows(frame, source, reasons, hide)


def validate_papers(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return split_valid(papers, PaperSchema, pl.col("sources").list.join(", "))


def validate_facts(facts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return split_valid(flag_warnings(facts, "facts"), FactSchema, pl.col("paper_id"))


#: claims whose abstracts are gathered at a time by text_at_offsets
OFFSET_CHECK_ROWS = 65_536


def text_at_offsets(abstracts: pl.Series, rows: pl.Series, start: pl.Series, end: pl.Series) -> pl.Series:
    """``abstracts[rows[i]][start[i]:end[i]]`` for every i (character offsets).

    The abstracts are gathered a slice of rows at a time and only the cut text is kept: every
    claim's whole abstract gathered at once would copy most of the abstracts (0.9 GB at 1M papers).
    """
    cut = pl.col("abstract").str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
    parts = [
        take(abstracts.to_frame("abstract"), rows.slice(offset, OFFSET_CHECK_ROWS))
        .with_columns(start=start.slice(offset, OFFSET_CHECK_ROWS), end=end.slice(offset, OFFSET_CHECK_ROWS))
        .select(cut.alias("text_at_offsets")).to_series()
        for offset in range(0, rows.len(), OFFSET_CHECK_ROWS)
    ]
    return pl.concat(parts) if parts else pl.Series("text_at_offsets", [], dtype=pl.Utf8)


def validate_claims(claims: pl.DataFrame, papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Claims must belong to a valid paper and their offsets must point at their text (in the
    claim's own ``abstract`` when it carries one, else in its paper's)."""
    # origin columns of the review stage (etl.review): null on a claim no reader corrected
    claims = claims.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in ORIGIN if c not in claims.columns)
    flagged = flag_warnings(claims, "claims")
    # the inner join's rows from the ids alone; the claim columns are then gathered (not hashed
    # through the join); an anti join keeps the rows the inner one does not, in order
    at_claim, at_paper = join_rows(claims, papers, "paper_id", "inner")
    orphans = claims.with_row_index("_row").filter(~pl.col("_row").is_in(at_claim.implode())).drop("_row")
    checked = take(flagged, at_claim)
    own = "abstract" in checked.columns
    checked = checked.with_columns(text_at_offsets(
        checked["abstract"] if own else papers["abstract"],
        pl.int_range(checked.height, dtype=pl.UInt32, eager=True) if own else at_paper,
        checked["start"], checked["end"],
    ))
    orphan_reasons = pl.DataFrame(
        {"index": range(orphans.height), "reason": "paper_id not in papers"},
        schema={"index": pl.UInt32, "reason": pl.Utf8},
    )
    valid, bad = split_valid(checked, ClaimInAbstractSchema, pl.col("paper_id"), hide=("text_at_offsets", "abstract"))
    quarantine = pl.concat([quarantine_rows(orphans, pl.col("paper_id"), orphan_reasons), bad])
    return valid.select(list(ClaimSchema.to_schema().columns)), quarantine
