"""The hand-made tables with claims that exercise per-claim settings (issue 11): one claim measured
at two model sizes (stated), one against two baselines ("PEFT and vLLM"), one against a generic
baseline, and a claim whose sizes and GPU counts are unknown. Shared by the unit and browser tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from etl.normalise import baseline_kinds_expr
from etl.store import publish, record_run, write_snapshot
from support.stores import NEW_RUN, handmade_tables, manifest_for

MULTI_SIZE = "3.5x"  # TurboAttn: measured at 7B and 70B, stated in its sentence
MULTI_BASELINE = "40%"  # PagedServe: against PEFT and vLLM
GENERIC = "2x"  # the ViT paper: against the state of the art
MULTI_SIZE_SENTENCE = "TurboAttn runs 3.5x faster than FlashAttention-2 on LLaMA-7B and LLaMA-70B on H100."


def settings_tables(run_id: str = NEW_RUN) -> dict[str, pl.DataFrame]:
    tables = handmade_tables(run_id)
    claims = tables["claims"]
    text = pl.col("text")
    claims = claims.with_columns(
        model_sizes=pl.when(text == MULTI_SIZE).then(pl.lit([7e9, 70e9])).otherwise(pl.col("model_sizes")),
        model_sizes_from=pl.when(text == MULTI_SIZE).then(pl.lit("claim")).otherwise(pl.col("model_sizes_from")),
        sentence=pl.when(text == MULTI_SIZE).then(pl.lit(MULTI_SIZE_SENTENCE)).otherwise(pl.col("sentence")),
        baseline_raw=pl.when(text == MULTI_BASELINE).then(pl.lit("PEFT and vLLM"))
        .when(text == GENERIC).then(pl.lit("the state of the art")).otherwise(pl.col("baseline_raw")),
        baselines=pl.when(text == MULTI_BASELINE).then(pl.lit(["Hugging Face PEFT", "vLLM"]))
        .when(text == GENERIC).then(pl.lit(["the state of the art"])).otherwise(pl.col("baselines")),
    ).with_columns(baseline_kinds=baseline_kinds_expr("baselines"))
    return {**tables, "claims": claims}


def write_settings_store(store: Path) -> Path:
    tables = settings_tables()
    manifest = manifest_for(NEW_RUN, tables)
    write_snapshot(store, NEW_RUN, tables, manifest)
    publish(store, NEW_RUN)
    record_run(store, manifest)
    return store
