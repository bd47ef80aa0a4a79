"""Schemas and the quarantine split: a bad row lands in quarantine with the check it failed."""

import datetime as dt
import json

import polars as pl
import pytest

from etl.schemas import ClaimInAbstractSchema, ClaimSchema, PaperSchema
from etl.validate import (
    flag_warnings,
    quarantine_rows,
    split_valid,
    validate_claims,
    validate_facts,
    validate_papers,
)

ABSTRACT = "Our system achieves 2.1x higher throughput than vLLM and cuts latency by 40%."


def papers(**overrides) -> pl.DataFrame:
    row = {
        "paper_id": "p1", "title": "Fast: serving", "abstract": ABSTRACT, "system": "Fast",
        "is_systems": True, "published": dt.date(2024, 1, 2), "authors_count": 3, "upvotes": 1,
        "sources": ["a.txt"], "content_hash": "0" * 64, "url": "https://arxiv.org/abs/2401.00001", "url_kind": "arxiv",
    } | overrides
    return pl.DataFrame([row], schema_overrides={"authors_count": pl.Int32, "upvotes": pl.Int32})


def claim(**overrides) -> dict:
    return {
        "claim_id": "c1", "paper_id": "p1", "text": "2.1x", "start": 20, "end": 24,
        "sentence": ABSTRACT, "low": 2.1, "high": 2.1, "unit": "x", "metric": "throughput",
        "better": True, "multiplier": 2.1, "baseline_raw": "vLLM", "baseline": "vLLM",
        "qualifier": None, "confidence": 0.9, "baselines": ["vLLM"], "model_sizes": [7e9], "gpu_counts": [8],
        "hardware": ["A100"], "model_sizes_from": "claim", "gpu_counts_from": "paper", "hardware_from": "claim",
        "baseline_kinds": ["system"],
    } | overrides


def claims(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema_overrides={"qualifier": pl.Utf8, "hardware": pl.List(pl.Utf8),
                                                      "start": pl.Int64, "end": pl.Int64,
                                                      "gpu_counts": pl.List(pl.Int64), "model_sizes": pl.List(pl.Float64)})


def facts(**overrides) -> pl.DataFrame:
    row = {
        "paper_id": "p1", "model_sizes": [7e9], "gpu_counts": [8], "hardware_raw": ["A100"],
        "hardware": ["A100"], "hardware_family": ["A100"], "hardware_unknown": [], "models": ["LLaMA 2"],
        "model_size_params": 7e9, "gpu_count": 8, "hardware_primary": "A100",
    } | overrides
    return pl.DataFrame([row], schema_overrides={"gpu_counts": pl.List(pl.Int64), "gpu_count": pl.Int64,
                                                 "model_sizes": pl.List(pl.Float64), "hardware_unknown": pl.List(pl.Utf8)})


def test_offsets_fixture_is_right():
    assert ABSTRACT[20:24] == "2.1x"


def test_valid_claim_passes_untouched():
    valid, quarantine = validate_claims(claims(claim()), papers())
    assert valid.height == 1 and quarantine.is_empty()
    assert valid.columns == list(ClaimSchema.to_schema().columns)


@pytest.mark.parametrize(
    ("bad", "check"),
    [
        ({"start": 21}, "abstract[start:end] == text"),
        ({"multiplier": 5e6}, "less_than_or_equal_to(1000000.0)"),
        ({"multiplier": 0.0}, "greater_than(0)"),
        ({"metric": "accuracy"}, "isin"),
        ({"unit": "ms"}, "isin"),
        ({"low": 3.0}, "low <= high"),
        ({"qualifier": "roughly"}, "isin"),
        ({"confidence": 1.5}, "less_than_or_equal_to(1)"),
    ],
)
def test_bad_claim_goes_to_quarantine_with_the_failed_check(bad, check):
    good = claim(claim_id="c0")
    valid, quarantine = validate_claims(claims(good, claim(**bad)), papers())
    assert valid["claim_id"].to_list() == ["c0"]
    assert quarantine.height == 1
    row = quarantine.row(0, named=True)
    assert check in row["reason"] and row["stage"] == "validate" and row["source"] == "p1"
    record = json.loads(row["record"])
    assert record["claim_id"] == "c1" and "abstract" not in record


def test_claim_of_unknown_paper_is_quarantined():
    valid, quarantine = validate_claims(claims(claim(paper_id="ghost")), papers())
    assert valid.is_empty()
    assert quarantine["reason"].to_list() == ["paper_id not in papers"]


def test_duplicate_claim_ids_are_quarantined_not_dropped():
    valid, quarantine = validate_claims(claims(claim(), claim()), papers())
    assert valid.is_empty() and quarantine.height == 2
    assert all("field_uniqueness" in r for r in quarantine["reason"])


def test_several_failures_of_one_row_are_all_named():
    _, quarantine = validate_claims(claims(claim(metric="accuracy", multiplier=-1.0)), papers())
    reason = quarantine["reason"].item()
    assert "metric" in reason and "multiplier" in reason


def test_suspicious_values_stay_with_a_warning():
    flagged = flag_warnings(claims(claim(multiplier=2000.0, high=2000.0, low=2000.0)), "claims")
    assert flagged["warning"].item() == "multiplier over 1000x"
    assert flag_warnings(claims(claim()), "claims")["warning"].item() is None


def test_year_like_gpu_count_is_flagged_and_kept():
    valid, quarantine = validate_facts(facts(gpu_counts=[2024], gpu_count=2024))
    assert quarantine.is_empty()
    assert valid["warning"].item() == "GPU count looks like a year"


def test_power_of_two_cluster_size_is_not_a_year():
    valid, _ = validate_facts(facts(gpu_counts=[2048], gpu_count=2048))
    assert valid["warning"].item() is None


def test_token_count_like_model_size_is_flagged():
    valid, _ = validate_facts(facts(model_sizes=[5e12], model_size_params=5e12))
    assert "token count" in valid["warning"].item()


def test_out_of_range_fact_is_quarantined():
    valid, quarantine = validate_facts(facts(model_sizes=[1e15], model_size_params=1e15))
    assert valid.is_empty()
    assert "model size" in quarantine["reason"].item() or "model_size_params" in quarantine["reason"].item()


def test_paper_with_duplicate_id_or_empty_title_is_quarantined():
    frame = pl.concat([papers(), papers(paper_id="p2", title="")])
    valid, quarantine = validate_papers(frame)
    assert valid["paper_id"].to_list() == ["p1"]
    assert "title" in quarantine["reason"].item() and quarantine["source"].item() == "a.txt"


def test_missing_column_is_a_bug_not_bad_data():
    with pytest.raises(Exception, match="metric"):
        validate_claims(claims(claim()).drop("metric"), papers())


# ------------------------------------- the fast paths give what Pandera and plain joins give


def test_rows_that_pass_are_what_pandera_returns():
    """No second validation: the rows left after quarantine are returned as the schema would."""
    frame = pl.concat([papers(), papers(paper_id="p2", title=""), papers(paper_id="p3")]).with_columns(extra=pl.lit(1))
    valid, quarantine = validate_papers(frame)
    assert quarantine.height == 1
    assert valid.equals(PaperSchema.validate(frame.filter(pl.col("paper_id") != "p2")))
    assert "extra" not in valid.columns  # strict="filter"


def test_unique_columns_skip_pandera_only_when_they_cannot_fail():
    """Distinct ids: same result as the full schema; repeated ones (nulls too) are still reported."""
    frame = pl.concat([papers(), papers(paper_id="p2")])
    assert validate_papers(frame)[0].equals(PaperSchema.validate(frame))
    _, quarantine = validate_papers(pl.concat([papers(), papers(title="")]))
    assert quarantine["reason"].to_list() == [
        "paper_id: field_uniqueness (got p1)",
        "paper_id: field_uniqueness (got p1); title: str_length(1, None) (got )",
    ]


def _validate_claims_by_joins(claims_frame: pl.DataFrame, papers_frame: pl.DataFrame):
    """validate_claims as plain joins, the way it was first written."""
    claims_frame = claims_frame.with_columns(  # the review stage's origin columns, null when absent
        pl.lit(None, dtype=pl.Utf8).alias(c) for c in ("correction_id", "extracted") if c not in claims_frame.columns
    )
    orphans = claims_frame.join(papers_frame.select("paper_id"), on="paper_id", how="anti")
    reasons = pl.DataFrame({"index": range(orphans.height), "reason": "paper_id not in papers"},
                           schema={"index": pl.UInt32, "reason": pl.Utf8})
    with_abstract = flag_warnings(claims_frame, "claims").join(
        papers_frame.select("paper_id", "abstract"), on="paper_id", how="inner"
    ).with_columns(text_at_offsets=pl.col("abstract").str.slice(pl.col("start"), pl.col("end") - pl.col("start")))
    valid, bad = split_valid(with_abstract, ClaimInAbstractSchema, pl.col("paper_id"), hide=("abstract", "text_at_offsets"))
    quarantine = pl.concat([quarantine_rows(orphans, pl.col("paper_id"), reasons), bad])
    return valid.select(list(ClaimSchema.to_schema().columns)), quarantine


def test_claims_against_papers_in_any_order_equal_the_plain_joins():
    other = "Baseline: 3.0x faster than TGI. " + ABSTRACT
    paper_rows = pl.concat([papers(paper_id=f"p{i}", abstract=other if i % 2 else ABSTRACT) for i in (3, 1, 2, 4)])
    rows = [claim(claim_id=f"c{i}", paper_id=f"p{i % 6}") for i in range(30)]
    rows += [claim(claim_id="dup", paper_id="p2"), claim(claim_id="dup", paper_id="p4"), claim(claim_id="bad", start=0)]
    frame = claims(*rows)
    got, expected = validate_claims(frame, paper_rows), _validate_claims_by_joins(frame, paper_rows)
    assert got[0].equals(expected[0]) and got[1].equals(expected[1])
    assert got[1].height > 5 and got[0].height > 5


def test_offsets_are_checked_the_same_when_the_abstracts_are_cut_a_few_rows_at_a_time(monkeypatch):
    """text_at_offsets gathers OFFSET_CHECK_ROWS abstracts at a time; slices of 4 give the plain joins' result."""
    import etl.validate

    monkeypatch.setattr(etl.validate, "OFFSET_CHECK_ROWS", 4)
    other = "Baseline: 3.0x faster than TGI. " + ABSTRACT
    paper_rows = pl.concat([papers(paper_id=f"p{i}", abstract=other if i % 2 else ABSTRACT) for i in (3, 1, 2, 4)])
    shifted = {"start": 52, "end": 56}  # "2.1x" where the other abstract has it, not where ABSTRACT has
    rows = [claim(claim_id=f"c{i}", paper_id=f"p{i % 5}", **(shifted if i % 3 == 0 else {})) for i in range(17)]
    frame = claims(*rows)
    got, expected = validate_claims(frame, paper_rows), _validate_claims_by_joins(frame, paper_rows)
    assert got[0].equals(expected[0]) and got[1].equals(expected[1])
    assert got[0].height > 3 and got[1].height > 3  # some claims pass, some point elsewhere or have no paper
