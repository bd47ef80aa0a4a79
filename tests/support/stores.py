"""Snapshot stores for the dashboard tests: a small hand-made one and one from the real ETL.

The hand-made store is deterministic and hostile (HTML/JS and Markdown in titles and
sentences, a warning, nulls on every axis) and holds two snapshots, so "new since the
previous snapshot" has something to compare against. Builders only: the fixtures
(``handmade_store``, ``pipeline_store``, ``big_store``) are in tests/conftest.py; tests, the
browser tests and bench/ import this module as ``support.stores``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl

from etl.normalise import baseline_kinds_expr
from etl.schemas import empty_quarantine
from etl.store import publish, record_run, write_snapshot

SEEDS = Path(__file__).resolve().parents[2] / "data" / "seeds"
OLD_RUN = "20261116T060000Z-aaaaaa"
NEW_RUN = "20261123T060000Z-bbbbbb"
HOSTILE_TITLE = '<script>alert("title")</script> Fast<b>LLM</b>: [click](javascript:alert(1))'

#: paper_id, title, system, is_systems, published, model size, GPUs, hardware
PAPERS = [
    ("2401.00001", "PagedServe: Serving LLMs with Paged KV Caches", "PagedServe", True, "2024-01-10", 7e9, 8, "A100"),
    ("2401.00002", "TurboAttn: Faster Attention Kernels", "TurboAttn", True, "2024-02-01", 70e9, 8, "H100"),
    ("2401.00003", HOSTILE_TITLE, "FastLLM", True, "2024-03-05", 13e9, 1, "A100"),
    ("2401.00004", "MegaTrain: Training Trillion-Parameter Models", "MegaTrain", True, "2024-04-20", 1e12, 2048, "H100"),
    ("2401.00005", "TinyServe: Edge Inference", "TinyServe", True, "2024-05-11", 1.3e9, 1, None),
    ("2401.00006", "A Study of Vision Transformers", None, False, "2024-06-01", None, None, "V100"),
    ("2401.00007", "SpecDecode: Speculative Decoding at Scale", "SpecDecode", True, None, 70e9, 64, "A100"),
]
NEW_PAPER_IDS = {"2401.00006", "2401.00007"}  # not in the older snapshot

#: paper_id, text, sentence, metric, better, multiplier, baseline, warning
CLAIMS = [
    ("2401.00001", "2.1x", "PagedServe achieves 2.1x higher throughput than vLLM.", "throughput", True, 2.1, "vLLM", None),
    ("2401.00001", "40%", "It reduces latency by 40% compared to TGI.", "latency", True, 1 / 0.6, "TGI", None),
    ("2401.00002", "3.5x", "TurboAttn runs 3.5x faster than FlashAttention-2 on H100.", "speedup", True, 3.5, "FlashAttention-2", None),
    ("2401.00002", "1.8x", "and serves 1.8x more requests than vLLM.", "throughput", True, 1.8, "vLLM", None),
    ("2401.00003", "4x", 'FastLLM is 4x faster than vLLM </script><script>alert("s")</script> [x](javascript:alert(2)) *bold*.', "speedup", True, 4.0, "vLLM", None),
    ("2401.00003", "5%", "at the cost of 5% extra memory.", "memory", False, 1 / 1.05, None, "regression"),
    ("2401.00004", "1.3x", "MegaTrain trains 1.3x faster than Megatron-LM on 2048 GPUs.", "speedup", True, 1.3, "Megatron-LM", None),
    ("2401.00004", "45%", "and cuts cost by 45% versus DeepSpeed.", "cost", True, 1 / 0.55, "DeepSpeed", None),
    ("2401.00005", "10x", "TinyServe uses 10x less energy than llama.cpp.", "energy", True, 10.0, "llama.cpp", "multiplier above 5 on a single device"),
    ("2401.00006", "2x", "Our ViT trains 2x faster.", "speedup", True, 2.0, None, None),
    ("2401.00007", "2.8x", "SpecDecode gives 2.8x higher throughput than vLLM at 64 GPUs.", "throughput", True, 2.8, "vLLM", None),
    ("2401.00007", "3x", "with 3x lower latency than TGI.", "latency", True, 3.0, "TGI", None),
]


#: (claim text, axis) whose value the claim's own sentence states (the rest come from the paper)
STATED = {("3.5x", "hardware"), ("1.3x", "gpu_counts"), ("2.8x", "gpu_counts")}

#: papers whose link is a Hugging Face page / a title search (the rest link to arXiv)
HF_PAPERS = {"2401.00002"}
SEARCH_PAPERS = {"2401.00006"}


def paper_url(paper_id: str, title: str) -> tuple[str, str]:
    from urllib.parse import quote_plus

    if paper_id in SEARCH_PAPERS:
        return f"https://arxiv.org/a/search?query={quote_plus(title)}", "search"
    if paper_id in HF_PAPERS:
        return f"https://huggingface.co/papers/{paper_id}", "hf"
    return f"https://arxiv.org/abs/{paper_id}", "arxiv"


def handmade_tables(run_id: str, paper_ids: set[str] | None = None) -> dict[str, pl.DataFrame]:
    """The four snapshot tables, optionally limited to some papers."""
    papers = [p for p in PAPERS if paper_ids is None or p[0] in paper_ids]
    facts_by_id = {p[0]: p for p in papers}
    claims = [c for c in CLAIMS if c[0] in facts_by_id]
    paper_rows = pl.DataFrame(
        {
            "paper_id": [p[0] for p in papers],
            "title": [p[1] for p in papers],
            "abstract": [" ".join(c[2] for c in claims if c[0] == p[0]) or p[1] for p in papers],
            "system": [p[2] for p in papers],
            "is_systems": [p[3] for p in papers],
            "published": [dt.date.fromisoformat(p[4]) if p[4] else None for p in papers],
            "authors_count": pl.Series([3] * len(papers), dtype=pl.Int32),
            "upvotes": pl.Series([10] * len(papers), dtype=pl.Int32),
            "sources": [["tests/support/stores.py"] for _ in papers],
            "content_hash": [hashlib.sha256(p[1].encode()).hexdigest() for p in papers],
            # the columns the paper-links work adds: arXiv / Hugging Face pages, else a title search
            "url": [paper_url(p[0], p[1])[0] for p in papers],
            "url_kind": [paper_url(p[0], p[1])[1] for p in papers],
        },
        schema_overrides={"published": pl.Date},
    )
    facts = pl.DataFrame(
        {
            "paper_id": [p[0] for p in papers],
            "model_sizes": [[p[5]] if p[5] else [] for p in papers],
            "gpu_counts": [[p[6]] if p[6] else [] for p in papers],
            "hardware_raw": [[p[7]] if p[7] else [] for p in papers],
            "hardware": [[p[7]] if p[7] else [] for p in papers],
            "hardware_family": [[p[7]] if p[7] else [] for p in papers],
            "models": [[] for _ in papers],
            "model_size_params": [p[5] for p in papers],
            "gpu_count": [p[6] for p in papers],
            "hardware_primary": [p[7] for p in papers],
            "warning": [None for _ in papers],
        },
        schema_overrides={
            "model_sizes": pl.List(pl.Float64), "gpu_counts": pl.List(pl.Int64), "models": pl.List(pl.Utf8),
            "model_size_params": pl.Float64, "gpu_count": pl.Int64, "hardware_primary": pl.Utf8, "warning": pl.Utf8,
        },
    )
    claim_rows = pl.DataFrame(
        {
            "claim_id": [f"{c[0]}#{i}" for i, c in enumerate(claims)],
            "paper_id": [c[0] for c in claims],
            "text": [c[1] for c in claims],
            "start": [0 for _ in claims],
            "end": [len(c[1]) for c in claims],
            "sentence": [c[2] for c in claims],
            "low": [float(c[1].rstrip("x%")) for c in claims],
            "high": [float(c[1].rstrip("x%")) for c in claims],
            "unit": ["%" if c[1].endswith("%") else "x" for c in claims],
            "metric": [c[3] for c in claims],
            "better": [c[4] for c in claims],
            "multiplier": [c[5] for c in claims],
            "baseline_raw": [c[6] for c in claims],
            "baseline": [c[6] for c in claims],
            "qualifier": [None for _ in claims],
            "confidence": [0.9 for _ in claims],
            "baselines": [[c[6]] if c[6] else [] for c in claims],
            # each claim's effective setting (GUIDE section 4): the paper's single value, or the
            # claim's own where its sentence states it (STATED)
            "model_sizes": [[facts_by_id[c[0]][5]] if facts_by_id[c[0]][5] else [] for c in claims],
            "gpu_counts": [[facts_by_id[c[0]][6]] if facts_by_id[c[0]][6] else [] for c in claims],
            "hardware": [[facts_by_id[c[0]][7]] if facts_by_id[c[0]][7] else [] for c in claims],
            **{f"{axis}_from": [None if not facts_by_id[c[0]][at] else "claim" if (c[1], axis) in STATED else "paper"
                                for c in claims]
               for axis, at in (("model_sizes", 5), ("gpu_counts", 6), ("hardware", 7))},
            "warning": [c[7] for c in claims],
        },
        schema_overrides={
            "qualifier": pl.Utf8, "warning": pl.Utf8, "baseline": pl.Utf8, "baseline_raw": pl.Utf8,
            "baselines": pl.List(pl.Utf8), "model_sizes": pl.List(pl.Float64), "gpu_counts": pl.List(pl.Int64),
            "hardware": pl.List(pl.Utf8), "model_sizes_from": pl.Utf8, "gpu_counts_from": pl.Utf8, "hardware_from": pl.Utf8,
        },
    ).with_columns(baseline_kinds=baseline_kinds_expr("baselines"))
    quarantine = pl.DataFrame(
        {
            "run_id": [run_id, run_id],
            "stage": ["validate", "extract"],
            "source": ["seeds/000.txt", "seeds/001.txt"],
            "record": ['{"title": "<img src=x onerror=alert(1)>"}', '{"title": "Broken"}'],
            "reason": ["multiplier <= 1e6", "abstract[start:end] == text"],
        }
    ).select("run_id", *empty_quarantine().columns)
    return {"papers": paper_rows, "claims": claim_rows, "facts": facts, "quarantine": quarantine}


def tiled_tables(run_id: str, copies: int) -> dict[str, pl.DataFrame]:
    """The hand-made tables ``copies`` times over (ids suffixed "~k", multipliers spread), for
    tests of what the dashboard does with many claims: 12 claims and 7 papers per copy."""
    base = handmade_tables(run_id)

    def tiled(frame: pl.DataFrame, *ids: str) -> pl.DataFrame:
        out = pl.concat([frame.with_columns(copy=pl.lit(i)) for i in range(copies)])
        return out.with_columns([pl.col(c) + "~" + pl.col("copy").cast(pl.String) for c in ids]).drop("copy")

    claims = tiled(base["claims"], "claim_id", "paper_id").with_columns(
        multiplier=pl.col("multiplier") * (1 + (pl.int_range(0, pl.len()) % 97) / 97))
    return {"papers": tiled(base["papers"], "paper_id"), "claims": claims, "facts": tiled(base["facts"], "paper_id"),
            "quarantine": base["quarantine"]}


def tiled_store(store: Path, copies: int) -> Path:
    """A store whose current snapshot is ``tiled_tables(NEW_RUN, copies)``."""
    tables = tiled_tables(NEW_RUN, copies)
    write_snapshot(store, NEW_RUN, tables, manifest_for(NEW_RUN, tables))
    publish(store, NEW_RUN)
    return store


def manifest_for(run_id: str, tables: dict[str, pl.DataFrame]) -> dict:
    day = dt.datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S")
    return {
        "run_id": run_id,
        "started": day.isoformat() + "+00:00",
        "finished": (day + dt.timedelta(seconds=42)).isoformat() + "+00:00",
        "status": "ok",
        "trigger": "manual",
        "extractor_version": "9.9.9-handmade",
        "warnings_by_kind": {"regression": 1, "multiplier above 5 on a single device": 1},
        "counts": {name: frame.height for name, frame in tables.items()}
        | {"systems_papers": int(tables["papers"]["is_systems"].sum())},
    }


def write_handmade_store(store: Path) -> Path:
    """Two published snapshots (the newer one current) and their run history."""
    older = set(p[0] for p in PAPERS) - NEW_PAPER_IDS
    for run_id, ids in ((OLD_RUN, older), (NEW_RUN, None)):
        tables = handmade_tables(run_id, ids)
        manifest = manifest_for(run_id, tables)
        write_snapshot(store, run_id, tables, manifest)
        publish(store, run_id)
        record_run(store, manifest)
    return store


def write_pipeline_store(store: Path) -> dict:
    """Run the real ETL on the bundled corpus into ``store``; returns its manifest."""
    from etl.pipeline import run_etl

    return run_etl(sources=sorted(SEEDS.glob("*.txt")), store=store)
