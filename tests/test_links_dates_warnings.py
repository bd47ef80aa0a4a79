"""Where a paper comes from (issue 13): every paper has a url and url_kind; dates come from the
sources that state them; the ETL summary and manifest list the warning kinds with counts."""

from __future__ import annotations

import io
import json
from datetime import date

import polars as pl
from rich.console import Console

from etl import ingest
from etl.ingest.listing import parse_listing
from etl.ingest.records import ARXIV_SEARCH, with_links
from etl.pipeline import BUNDLED_CORPUS, run_etl
from etl.report import print_run_summary
from etl.store import SnapshotStore
from etl.validate import warnings_by_kind

ABSTRACT = "We present a serving system that shares caches across tenants and measure it carefully. " * 4


def test_jsonl_ids_and_links_give_arxiv_or_hf_pages_others_a_title_search(tmp_path):
    rows = [
        {"id": "arXiv:2401.00001v2", "title": "Alpha Serving", "abstract": ABSTRACT},
        {"url": "https://huggingface.co/papers/2401.00002", "title": "Beta Serving", "abstract": ABSTRACT},
        {"link": "http://arxiv.org/pdf/2401.00003v1", "title": "Gamma Serving", "abstract": ABSTRACT},
        {"url": "https://example.org/2401.00004", "title": "Delta: Serving & More?", "abstract": ABSTRACT},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (tmp_path / "b.csv").write_text(f'title,abstract,arxiv_id\nEpsilon Serving,"{ABSTRACT}",2401.00005\n', encoding="utf-8")

    papers = ingest.ingest([tmp_path]).papers.sort("title")

    assert papers.select("title", "paper_id", "url", "url_kind").rows() == [
        ("Alpha Serving", "2401.00001", "https://arxiv.org/abs/2401.00001", "arxiv"),
        ("Beta Serving", "2401.00002", "https://huggingface.co/papers/2401.00002", "hf"),
        ("Delta: Serving & More?", papers["paper_id"][2], ARXIV_SEARCH + "Delta%3A+Serving+%26+More%3F", "search"),
        ("Epsilon Serving", "2401.00005", "https://arxiv.org/abs/2401.00005", "arxiv"),
        ("Gamma Serving", "2401.00003", "https://arxiv.org/abs/2401.00003", "arxiv"),
    ]
    assert papers["paper_id"][2].startswith("t")  # another site's link names no arXiv paper


def test_merged_duplicates_keep_the_arxiv_page_over_hf_over_a_search(tmp_path):
    (tmp_path / "page.txt").write_text(f"Alpha Serving\n\n{ABSTRACT}\n", encoding="utf-8")
    (tmp_path / "hf.jsonl").write_text(json.dumps(
        {"id": "2401.00001", "url": "https://huggingface.co/papers/2401.00001", "title": "Alpha Serving", "abstract": ABSTRACT}
    ), encoding="utf-8")
    (tmp_path / "ax.jsonl").write_text(json.dumps({"id": "2401.00001", "title": "Alpha  serving", "abstract": ABSTRACT}),
                                       encoding="utf-8")

    papers = ingest.ingest([tmp_path]).papers

    assert papers.select("paper_id", "url", "url_kind").rows() == [
        ("2401.00001", "https://arxiv.org/abs/2401.00001", "arxiv")
    ]
    assert with_links(papers).equals(papers)  # idempotent


def test_listing_day_headers_without_a_year_give_no_date_per_paper_lines_do():
    # the bundled pages open with a day header ("Mar 20"): the page's day, without a year, and the
    # papers under it carry their own dates from other years (data/seeds/001: "Jan 7" above 2017-2025)
    text = f"Jan 7\n\nAlpha Serving\n\n{ABSTRACT}\n\n  • 3 authors\n·\nMar 13, 2023\n\nBeta Serving\n\n{ABSTRACT}\n"
    entries = parse_listing(text, "page.txt")
    assert [(e["title"], e["published"]) for e in entries] == [("Alpha Serving", date(2023, 3, 13)), ("Beta Serving", None)]


def test_bundled_corpus_links_dates_and_warning_kinds(tmp_path):
    manifest = run_etl([BUNDLED_CORPUS], tmp_path / "store")
    papers = SnapshotStore(tmp_path / "store").read("papers")

    assert papers["url"].null_count() == 0 and set(papers["url_kind"]) == {"search"}  # no ids in the pages
    assert papers["url"].str.starts_with(ARXIV_SEARCH).all()
    # offline, the pages' own "Mon D, YYYY" lines are the only dates; `refresh` with [resolve] adds more
    assert (papers.height, papers["published"].is_not_null().sum()) == (506, 43)

    kinds = manifest["warnings_by_kind"]
    assert kinds == {"low extraction confidence": 54, "multiplier over 1000x": 7}  # extractor 1.3.0 (issue 11)
    assert sum(kinds.values()) >= manifest["counts"]["warnings"] == 61
    out = io.StringIO()
    print_run_summary(manifest, tmp_path / "store", Console(file=out, width=100))
    text = out.getvalue()
    assert "flagged rows by warning" in text
    assert any("low extraction confidence" in line and "54" in line for line in text.splitlines())


def test_warnings_by_kind_counts_each_reason_of_a_row():
    claims = pl.DataFrame({"warning": ["a; b", "a", None]})
    facts = pl.DataFrame({"warning": ["c", None]})
    assert warnings_by_kind(claims, facts) == {"a": 2, "b": 1, "c": 1}
    assert warnings_by_kind(pl.DataFrame({"warning": pl.Series([], dtype=pl.Utf8)})) == {}
