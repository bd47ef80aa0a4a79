"""The review queue: claims ordered by what most needs a human. Pure; no I/O.

A claim's priority adds up its reasons (each also named in ``why``):

- low confidence: ``1 - confidence`` (0 to 1), times 2;
- a flagged value (the validate stage's ``warning``): 1.5;
- a setting taken from the paper rather than the claim's own sentence (``*_from == "paper"``): 0.5 each;
- an outlier against the same baseline and metric: the log-multiplier's |z| within its
  (baseline, metric) group of at least ``OUTLIER_MIN_GROUP`` claims, when over ``OUTLIER_Z``: |z|.

Claims a reader already decided on (``correction_id`` set) are left out.
"""

from __future__ import annotations

import polars as pl

OUTLIER_MIN_GROUP = 4
OUTLIER_Z = 2.0
SETTING_FROM_COLUMNS = ("model_sizes_from", "gpu_counts_from", "hardware_from")


def review_queue(claims: pl.DataFrame, limit: int | None = None) -> pl.DataFrame:
    """The undecided claims, highest ``priority`` first (ties: paper, then position), with ``why``."""
    frame = claims
    if "correction_id" in frame.columns:
        frame = frame.filter(pl.col("correction_id").is_null())
    parts: list[tuple[pl.Expr, pl.Expr]] = []  # (score, reason text or null)
    low = (1 - pl.col("confidence").fill_null(0)).clip(0, 1) * 2
    parts.append((low, pl.when(pl.col("confidence") < 0.8).then(pl.format("confidence {}", pl.col("confidence").round(2)))))
    if "warning" in frame.columns:
        flagged = pl.col("warning").is_not_null()
        parts.append((pl.when(flagged).then(1.5).otherwise(0.0), pl.when(flagged).then(pl.format("flagged: {}", pl.col("warning")))))
    for column in SETTING_FROM_COLUMNS:
        if column in frame.columns:
            from_paper = pl.col(column) == "paper"
            parts.append((pl.when(from_paper).then(0.5).otherwise(0.0),
                          pl.when(from_paper).then(pl.lit(f"{column.removesuffix('_from')} from the paper"))))
    group = [pl.col("baseline").fill_null("(none)"), pl.col("metric")]
    logm = pl.col("multiplier").log()
    z = ((logm - logm.mean().over(group)) / logm.std().over(group)).abs()
    big = (pl.len().over(group) >= OUTLIER_MIN_GROUP) & (z > OUTLIER_Z)
    parts.append((pl.when(big).then(z).otherwise(0.0),
                  pl.when(big).then(pl.format("outlier vs {} ({}): |z| {}", pl.col("baseline").fill_null("no baseline"),
                                              pl.col("metric"), z.round(1)))))
    scored = frame.with_columns(
        priority=pl.sum_horizontal([score.fill_null(0.0).fill_nan(0.0) for score, _ in parts]).round(3),
        why=pl.concat_str([reason for _, reason in parts], separator="; ", ignore_nulls=True),
    ).sort(["priority", "paper_id", "start"], descending=[True, False, False])
    return scored.head(limit) if limit is not None else scored
