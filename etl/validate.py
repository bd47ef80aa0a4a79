"""Validate stage, part 2: split each table into the rows that pass and the quarantine.

Suspicious-but-plausible values stay in the data with a ``warning`` (the rules table below);
rows that fail a schema check (etl/schemas.py) go to quarantine with the failed check named.
Nothing is dropped silently: every removed row is a quarantine row with a reason.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from etl.schemas import (
    ClaimInAbstractSchema,
    ClaimSchema,
    FactSchema,
    PaperSchema,
    empty_quarantine,
)

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


def split_valid(
    frame: pl.DataFrame, model: type[pa.DataFrameModel], source: pl.Expr, hide: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate lazily; return (rows that pass, quarantine rows naming every failed check).

    A failure not tied to a row (a missing column, a wrong dtype) is a bug in an earlier
    stage, not bad data, so it is raised rather than quarantined.
    """
    try:
        return model.validate(frame, lazy=True), empty_quarantine()
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
    return model.validate(valid, lazy=True), quarantine_rows(frame, source, reasons, hide)


def validate_papers(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return split_valid(papers, PaperSchema, pl.col("sources").list.join(", "))


def validate_facts(facts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return split_valid(flag_warnings(facts, "facts"), FactSchema, pl.col("paper_id"))


def validate_claims(claims: pl.DataFrame, papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Claims must belong to a valid paper and their offsets must point at their text."""
    orphans = claims.join(papers.select("paper_id"), on="paper_id", how="anti")
    orphan_reasons = pl.DataFrame(
        {"index": range(orphans.height), "reason": "paper_id not in papers"},
        schema={"index": pl.UInt32, "reason": pl.Utf8},
    )
    with_abstract = flag_warnings(claims, "claims").join(
        papers.select("paper_id", "abstract"), on="paper_id", how="inner"
    )
    valid, bad = split_valid(with_abstract, ClaimInAbstractSchema, pl.col("paper_id"), hide=("abstract",))
    quarantine = pl.concat([quarantine_rows(orphans, pl.col("paper_id"), orphan_reasons), bad])
    return valid.select(list(ClaimSchema.to_schema().columns)), quarantine
