"""Validate stage, part 1: the table definitions. Each class reads like a table definition.

Pandera DataFrameModels on Polars frames. ``etl.validate`` runs them lazily, sends every
failing row to quarantine with the check it failed, and keeps the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from etl.vocab import (
    GPU_COUNT_RANGE,
    METRICS,
    MODEL_SIZE_RANGE,
    MULTIPLIER_MAX,
    QUALIFIERS,
    STAGES,
    UNITS,
)

__all__ = [  # the vocabularies are re-exported: the dashboard reads them with the table shapes
    "GPU_COUNT_RANGE", "METRICS", "MODEL_SIZE_RANGE", "MULTIPLIER_MAX", "QUALIFIERS", "STAGES", "UNITS",
    "ClaimInAbstractSchema", "ClaimSchema", "FactSchema", "PaperSchema", "QuarantineSchema",
    "QUARANTINE_COLUMNS", "URL_KINDS", "empty_quarantine", "frame_dtypes",
]

#: what a paper's ``url`` is: its arXiv abstract page, its Hugging Face paper page, or (no id
#: known) an arXiv search for its title
URL_KINDS = ("arxiv", "hf", "search")


class PaperSchema(pa.DataFrameModel):
    """One row per distinct paper (duplicates across sources already merged)."""

    paper_id: str = pa.Field(unique=True, str_length={"min_value": 1})
    title: str = pa.Field(str_length={"min_value": 1})
    abstract: str = pa.Field(str_length={"min_value": 1})
    system: Optional[str] = pa.Field(nullable=True)
    is_systems: bool
    published: Optional[dt.date] = pa.Field(nullable=True)
    authors_count: Optional[pl.Int32] = pa.Field(nullable=True, ge=1)
    upvotes: Optional[pl.Int32] = pa.Field(nullable=True, ge=0)
    sources: list[str]
    content_hash: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    url: str = pa.Field(str_length={"min_value": 1})  # https://arxiv.org/abs/<id>, https://huggingface.co/papers/<id> or a title search
    url_kind: str = pa.Field(isin=URL_KINDS)

    class Config:
        strict = "filter"


SETTING_SOURCES = ["claim", "paper"]
#: what a canonical baseline is (etl.aliases.baseline_kinds_expr; "unknown": not in the registry)
BASELINE_KINDS = ["system", "hardware", "method", "generic", "unknown"]
#: each claim's effective setting (GUIDE section 4), as the extractor attaches it
#: (etl.extract.setting.attach_settings); normalise maps hardware_raw to hardware (canonical names)
SETTING_SCHEMA = {
    "model_sizes": pl.List(pl.Float64), "gpu_counts": pl.List(pl.Int64), "hardware_raw": pl.List(pl.Utf8),
    "model_sizes_from": pl.Utf8, "gpu_counts_from": pl.Utf8, "hardware_from": pl.Utf8,
}


class ClaimSchema(pa.DataFrameModel):
    """One row per quantitative claim, at its own place on the shared axes (GUIDE section 4).

    model_sizes / gpu_counts / hardware (canonical devices): the claim's effective setting, lists
    (a claim measured at several sizes keeps them all); *_from: where each came from (claim |
    paper | null when unknown). No scalar copies: the dashboard derives what it plots from the
    lists. baselines: canonical names; baseline_kinds: the kind of each, in the same order.
    """

    claim_id: str = pa.Field(unique=True)
    paper_id: str
    text: str = pa.Field(str_length={"min_value": 1})
    start: pl.Int64 = pa.Field(ge=0)
    end: pl.Int64 = pa.Field(gt=0)
    sentence: str
    low: float = pa.Field(gt=0)
    high: float = pa.Field(gt=0)
    unit: str = pa.Field(isin=UNITS)
    metric: str = pa.Field(isin=METRICS)
    better: bool
    multiplier: float = pa.Field(gt=0, le=MULTIPLIER_MAX)
    baseline_raw: Optional[str] = pa.Field(nullable=True)
    baseline: Optional[str] = pa.Field(nullable=True)
    qualifier: Optional[str] = pa.Field(nullable=True, isin=QUALIFIERS)
    confidence: float = pa.Field(ge=0, le=1)
    baselines: list[str]
    baseline_kinds: list[str]
    model_sizes: list[float]
    gpu_counts: list[int]
    hardware: list[str]
    model_sizes_from: Optional[str] = pa.Field(nullable=True, isin=SETTING_SOURCES)
    gpu_counts_from: Optional[str] = pa.Field(nullable=True, isin=SETTING_SOURCES)
    hardware_from: Optional[str] = pa.Field(nullable=True, isin=SETTING_SOURCES)
    warning: Optional[str] = pa.Field(nullable=True)
    correction_id: Optional[str] = pa.Field(nullable=True)  # the reader's correction applied (etl.review)
    extracted: Optional[str] = pa.Field(nullable=True)  # JSON: the extracted values that correction changed

    @pa.dataframe_check(error=f"every claim model size in [{MODEL_SIZE_RANGE[0]:.0e}, {MODEL_SIZE_RANGE[1]:.0e}]")
    def claim_model_sizes_in_range(cls, data: PolarsData) -> pl.LazyFrame:
        lo, hi = MODEL_SIZE_RANGE
        return data.lazyframe.select(pl.col("model_sizes").list.eval(pl.element().is_between(lo, hi)).list.all())

    @pa.dataframe_check(error=f"every claim GPU count in [{GPU_COUNT_RANGE[0]}, {GPU_COUNT_RANGE[1]}]")
    def claim_gpu_counts_in_range(cls, data: PolarsData) -> pl.LazyFrame:
        lo, hi = GPU_COUNT_RANGE
        return data.lazyframe.select(pl.col("gpu_counts").list.eval(pl.element().is_between(lo, hi)).list.all())

    @pa.dataframe_check(error="a setting value has a source and a source has a value")
    def setting_sources_match_values(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.all_horizontal(
            (pl.col(source).is_null() == (pl.col(values).list.len() == 0))
            for values, source in (("model_sizes", "model_sizes_from"), ("gpu_counts", "gpu_counts_from"),
                                   ("hardware", "hardware_from"))
        ))

    @pa.dataframe_check(error="one kind per baseline (system | hardware | method | generic | unknown)")
    def one_kind_per_baseline(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("baseline_kinds").list.len() == pl.col("baselines").list.len())
            & pl.col("baseline_kinds").list.eval(pl.element().is_in(BASELINE_KINDS)).list.all()
        )

    @pa.dataframe_check(error="low <= high")
    def low_le_high(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("low") <= pl.col("high"))

    @pa.dataframe_check(error="start < end")
    def start_before_end(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("start") < pl.col("end"))

    class Config:
        strict = "filter"


class ClaimInAbstractSchema(ClaimSchema):
    """A claim checked against its paper's abstract: the offsets must point at the text.

    ``text_at_offsets`` is abstract[start:end] (``etl.validate.text_at_offsets``), cut before the
    check so the claims never carry a copy of their papers' abstracts.
    """

    text_at_offsets: str

    @pa.dataframe_check(error="abstract[start:end] == text")
    def offsets_point_at_text(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("text_at_offsets") == pl.col("text"))

    class Config:
        strict = False


class FactSchema(pa.DataFrameModel):
    """One row per paper: the facts stated in its abstract and the shared axes they give."""

    paper_id: str = pa.Field(unique=True)
    model_sizes: list[float]
    gpu_counts: list[int]
    hardware_raw: list[str]
    hardware: list[str]
    hardware_family: list[str]
    hardware_unknown: list[str]  # devices the registry does not know, kept as written in hardware
    models: list[str]
    model_size_params: Optional[float] = pa.Field(
        nullable=True, ge=MODEL_SIZE_RANGE[0], le=MODEL_SIZE_RANGE[1]
    )
    gpu_count: Optional[pl.Int64] = pa.Field(nullable=True, ge=GPU_COUNT_RANGE[0], le=GPU_COUNT_RANGE[1])
    hardware_primary: Optional[str] = pa.Field(nullable=True)
    warning: Optional[str] = pa.Field(nullable=True)

    @pa.dataframe_check(error=f"every model size in [{MODEL_SIZE_RANGE[0]:.0e}, {MODEL_SIZE_RANGE[1]:.0e}]")
    def model_sizes_in_range(cls, data: PolarsData) -> pl.LazyFrame:
        lo, hi = MODEL_SIZE_RANGE
        return data.lazyframe.select(
            pl.col("model_sizes").list.eval(pl.element().is_between(lo, hi)).list.all()
        )

    @pa.dataframe_check(error=f"every GPU count in [{GPU_COUNT_RANGE[0]}, {GPU_COUNT_RANGE[1]}]")
    def gpu_counts_in_range(cls, data: PolarsData) -> pl.LazyFrame:
        lo, hi = GPU_COUNT_RANGE
        return data.lazyframe.select(pl.col("gpu_counts").list.eval(pl.element().is_between(lo, hi)).list.all())

    class Config:
        strict = "filter"


class QuarantineSchema(pa.DataFrameModel):
    """A row that did not make it into the snapshot, with where it came from and why."""

    run_id: str
    stage: str = pa.Field(isin=STAGES)
    source: str
    record: str  # the offending record as JSON
    reason: str = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True


def frame_dtypes(model: type[pa.DataFrameModel]) -> dict[str, pl.DataType]:
    """The Polars dtypes of a model's columns, in its order: a frame shape written once, in the model."""
    return {name: column.dtype.type for name, column in model.to_schema().columns.items()}


#: the quarantine shape every stage returns (run_id is added by the pipeline)
QUARANTINE_COLUMNS = {name: dtype for name, dtype in frame_dtypes(QuarantineSchema).items() if name != "run_id"}


def empty_quarantine() -> pl.DataFrame:
    """The quarantine shape every stage returns (run_id is added by the pipeline)."""
    return pl.DataFrame(schema=QUARANTINE_COLUMNS)
