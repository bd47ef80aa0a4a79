"""Frame helpers the stages share: joins rebuilt from row positions, gathers that keep text buffers
shared, a hash-based uniqueness check and per-row hex digests."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import polars as pl


def join_rows(left: pl.DataFrame, right: pl.DataFrame, on: str, how: str) -> tuple[pl.Series, pl.Series]:
    """The row positions ``left.join(right, on=on, how=how)`` pairs up, in that join's row order.

    A join without ``maintain_order`` orders its rows as Polars sees fit (and not always in the
    left frame's order); it decides from the keys alone, so joining only the keys with their
    row numbers gives the same pairs in the same order. Gathering the other columns by them
    (``take``) then rebuilds the join's result without carrying every column through it.
    """
    pairs = left.select(on).with_row_index("_left").join(
        right.select(on).with_row_index("_right"), on=on, how=how
    )
    return pairs["_left"], pairs["_right"]


def take(frame: pl.DataFrame, rows: pl.Series, *columns: str) -> pl.DataFrame:
    """``frame[rows]`` of ``columns`` (default all; a null row number gives a null row), or the frame
    itself when rows are 0..n-1. Text is never copied whole: see docs/architecture.md, "Gathering rows"."""
    if columns:
        frame = frame.select(columns)
    if rows.len() == frame.height and not rows.null_count() and rows.equals(
        pl.int_range(frame.height, dtype=rows.dtype, eager=True)
    ):
        return frame
    if max(frame.n_chunks("all"), default=1) > 1 and not rows.null_count():
        return frame[rows]
    return frame.lazy().select(pl.all().gather(rows)).collect()


def join_columns(left: pl.DataFrame, right: pl.DataFrame, on: str, how: str) -> pl.DataFrame | None:
    """``left.join(right, on=on, how=how)`` through ``join_rows``; None if column names would clash."""
    if set(left.columns) & set(right.columns) - {on}:
        return None
    at_left, at_right = join_rows(left, right, on, how)
    return take(left, at_left).hstack(take(right.drop(on), at_right).get_columns())


def distinct(values: pl.Series) -> bool:
    """True when no two values are equal, judged by their hashes (fast).

    False means "maybe not": a hash collision (rare) or two nulls (duplicates to Pandera too).
    """
    return values.hash().n_unique() == values.len()


def hex_digests(texts: pl.Series, algorithm: Callable, chars: int | None = None) -> pl.Series:
    """Hex digest of each text (its first ``chars`` characters), null for null."""
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
