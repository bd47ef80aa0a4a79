"""The reviewed papers in the gold format of tests/fixtures/GUIDE.md: what readers confirmed.

A paper is reviewed when at least one correction of it was applied in the snapshot (accept,
reject, set or add). Its claims are the snapshot's claims after corrections: rejected ones gone,
added ones in, edited values as corrected. ``claimboard eval --gold reviewed.jsonl`` then scores
the extractor against them.
"""

from __future__ import annotations

import polars as pl

GOLD_CLAIM_FIELDS = ("text", "low", "high", "unit", "metric", "better", "multiplier", "baseline", "qualifier")


def reviewed_gold(papers: pl.DataFrame, claims: pl.DataFrame, facts: pl.DataFrame,
                  corrections: pl.DataFrame | None) -> list[dict]:
    """One gold record per reviewed paper, in paper id order."""
    if corrections is None or corrections.is_empty():
        return []
    reviewed = corrections.filter(pl.col("status") == "applied")["paper_id"].unique().sort().to_list()
    if not reviewed:
        return []
    chosen = papers.filter(pl.col("paper_id").is_in(reviewed)).sort("paper_id")
    fact_rows = {row["paper_id"]: row for row in facts.filter(pl.col("paper_id").is_in(reviewed)).iter_rows(named=True)}
    by_paper: dict[str, list[dict]] = {}
    for row in claims.filter(pl.col("paper_id").is_in(reviewed)).sort("paper_id", "start").iter_rows(named=True):
        claim = {name: row.get(name) for name in GOLD_CLAIM_FIELDS if name != "baseline"}
        claim["baseline"] = row.get("baseline_raw") if row.get("baseline_raw") is not None else row.get("baseline")
        by_paper.setdefault(row["paper_id"], []).append(claim)
    out = []
    for paper in chosen.iter_rows(named=True):
        fact = fact_rows.get(paper["paper_id"], {})
        out.append({
            "id": paper["paper_id"],
            "title": paper["title"],
            "system": paper.get("system"),
            "is_systems": paper["is_systems"],
            "model_sizes": list(fact.get("model_sizes") or []),
            "gpu_counts": list(fact.get("gpu_counts") or []),
            "hardware": list(fact.get("hardware") or []),
            "claims": by_paper.get(paper["paper_id"], []),
            "abstract": paper["abstract"],
        })
    return out
