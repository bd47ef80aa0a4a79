"""Ingest: listing pages (both layouts), JSONL, CSV, messy files, quarantine, dedup, the seeds."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from etl.ingest import dedup as ingest_dedup
from etl.ingest import expand_paths, ingest, read_source
from etl.ingest.dedup import merge_duplicates, near_duplicate_pairs
from etl.ingest.listing import parse_listing
from etl.ingest.records import normalise_titles, paper_id, split_valid
from etl.ingest.rules import ENTRY_SCHEMA, PAPER_SCHEMA, RULES
from etl.schemas import QUARANTINE_COLUMNS
from test_ingest_properties import NOISE  # the page-header lines seen in the seeds

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"

ABSTRACT_1 = (
    "Unified visual grounding pursues a simple and generic technical route to leverage multi-task "
    "data with less task-specific design. We present a parallel vertex diffusion model that scales "
    "to high-dimensional outputs and reaches state-of-the-art accuracy with 2x fewer steps."
)
ABSTRACT_2 = (
    "Auto-regressive models have achieved impressive results in 2D image generation by modeling joint "
    "distributions in grid space. In this paper, we extend auto-regressive models to 3D domains and "
    "train a 3.6B model on 8 A100 GPUs, 4.5x faster than the diffusion baseline."
)
ABSTRACT_3 = (
    "Sampling is a basic operation in many inference-time algorithms of large language models (LLMs). "
    "We propose OSCA, which finds an optimal mix of inference configurations and reaches better "
    "accuracy than the best single configuration with 128x less compute on code generation."
)

LAYOUT_BLANK_LINES = f"""new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Jan 7

Parallel Vertex Diffusion for Unified Visual Grounding

{ABSTRACT_1}

  • 7 authors
·
Mar 13, 2023

Pushing Auto-regressive Models for 3D Shape Generation

{ABSTRACT_2}

  • 12 authors
·
Feb 19, 2024 1
"""

LAYOUT_COMPACT = f"""Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribeScaling LLM Inference with Optimized Sample Compute Allocation
{ABSTRACT_3}
Pushing Auto-regressive Models for 3D Shape Generation
{ABSTRACT_2}
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def reasons(quarantine: pl.DataFrame) -> list[str]:
    return quarantine["reason"].to_list()


# --- listing pages ------------------------------------------------------------------------------


def test_blank_line_layout_reads_titles_abstracts_and_metadata():
    entries = parse_listing(LAYOUT_BLANK_LINES, "page.txt")
    assert [(e["title"], e["published"], e["authors_count"], e["upvotes"]) for e in entries] == [
        ("Parallel Vertex Diffusion for Unified Visual Grounding", date(2023, 3, 13), 7, None),
        ("Pushing Auto-regressive Models for 3D Shape Generation", date(2024, 2, 19), 12, 1),
    ]
    assert [e["abstract"] for e in entries] == [ABSTRACT_1, ABSTRACT_2]
    assert {e["source"] for e in entries} == {"page.txt"}
    assert entries[0]["line"] == 13  # the title's line


def test_compact_layout_strips_subscribe_glued_to_the_first_title():
    entries = parse_listing(LAYOUT_COMPACT, "page.txt")
    assert [e["title"] for e in entries] == [
        "Scaling LLM Inference with Optimized Sample Compute Allocation",
        "Pushing Auto-regressive Models for 3D Shape Generation",
    ]
    assert [e["abstract"] for e in entries] == [ABSTRACT_3, ABSTRACT_2]
    assert all(e["published"] is None and e["upvotes"] is None for e in entries)


@pytest.mark.parametrize("noise", NOISE)
def test_header_noise_is_never_an_entry(noise):
    text = f"{noise}\n{noise}\nA Real Title\n{noise}\n{ABSTRACT_1}\n{noise}\n"
    entries = parse_listing(text, "page.txt")
    assert [(e["title"], e["abstract"]) for e in entries] == [("A Real Title", ABSTRACT_1)]


def test_crlf_and_trailing_spaces_parse_like_plain_newlines():
    messy = "\r\n".join(line + "  \t" for line in LAYOUT_BLANK_LINES.split("\n"))
    assert parse_listing(messy, "p") == parse_listing(LAYOUT_BLANK_LINES, "p")


def test_title_with_a_final_question_mark_stays_a_title():
    title = "Good things come in small packages: Should we adopt Lite-GPUs in AI infrastructure?"
    entries = parse_listing(f"{title}\n{ABSTRACT_1}\n", "p")
    assert [(e["title"], e["abstract"]) for e in entries] == [(title, ABSTRACT_1)]


def test_missing_abstracts_titles_and_orphan_metadata_are_quarantined(tmp_path):
    short = "We propose a fast kernel. It is twice as fast as the baseline on eight GPUs in total."
    text = (
        "  • 3 authors\n·\nJan 2, 2024\n"  # metadata before any paper
        "Title Without Abstract\n"
        f"Title With Abstract\n{ABSTRACT_1}\n"
        f"{ABSTRACT_2}\n"  # abstract without a title
        f"Title With Short Abstract\n{short}\n"
    )
    read = read_source(write(tmp_path, "page.txt", text))
    assert read.error is None
    assert read.records["title"].to_list() == ["Title With Abstract"]
    assert reasons(read.quarantine) == [
        "title and abstract missing",
        "abstract missing",
        "title missing",
        f"abstract too short ({len(short)} chars < {RULES.min_abstract_chars})",
    ]
    assert read.quarantine["source"].to_list() == [f"{tmp_path / 'page.txt'}:{n}" for n in (1, 4, 7, 8)]
    orphan = json.loads(read.quarantine["record"][0])
    assert orphan["authors_count"] == 3 and orphan["published"] == "2024-01-02"
    assert read.entries == 5


def test_quarantine_and_records_have_the_contract_columns(tmp_path):
    read = read_source(write(tmp_path, "page.txt", LAYOUT_BLANK_LINES + "Lonely Title\n"))
    assert read.records.schema == pl.Schema(PAPER_SCHEMA)
    assert read.quarantine.schema == pl.Schema(QUARANTINE_COLUMNS)
    assert read.quarantine.row(0, named=True)["stage"] == "ingest"


# --- messy files ----------------------------------------------------------------------------------


def test_empty_file_reads_as_no_entries(tmp_path):
    for name in ("empty.txt", "empty.jsonl", "empty.csv"):
        read = read_source(write(tmp_path, name, ""))
        assert (read.error, read.entries) == (None, 0)


def test_binary_file_is_an_error_naming_the_file(tmp_path):
    path = write(tmp_path, "blob.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    read = read_source(path)
    assert read.error == f"{path}: binary file (contains NUL bytes)"
    assert read.records.is_empty() and read.quarantine.is_empty()


def test_windows_1252_file_decodes_and_records_its_encoding(tmp_path):
    text = f"\u201cQuoted\u201d Serving \u2013 Fast\n{ABSTRACT_1}\n"
    read = read_source(write(tmp_path, "page.txt", text.encode("cp1252")))
    assert read.encoding == "cp1252"
    assert read.records["title"].to_list() == ["\u201cQuoted\u201d Serving \u2013 Fast"]


def test_bytes_undefined_in_cp1252_fall_back_to_latin_1(tmp_path):
    read = read_source(write(tmp_path, "page.txt", b"Caf\xe9 \x81 Title\n" + ABSTRACT_1.encode()))
    assert read.encoding == "latin-1"
    assert read.records["title"].to_list() == ["Caf\xe9 \x81 Title"]


def test_utf8_bom_is_not_part_of_the_first_line(tmp_path):
    read = read_source(write(tmp_path, "page.txt", b"\xef\xbb\xbfnew\n" + LAYOUT_COMPACT.encode()))
    assert read.records.height == 2 and read.quarantine.is_empty()


def test_missing_file_and_unsupported_type_are_errors(tmp_path):
    assert read_source(tmp_path / "gone.txt").error.startswith(f"{tmp_path / 'gone.txt'}: cannot read")
    assert "unsupported file type '.pdf'" in read_source(write(tmp_path, "paper.pdf", "x")).error


# --- JSONL / CSV --------------------------------------------------------------------------------


def test_jsonl_reads_fields_and_quarantines_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {"id": "arXiv:2401.12345v2", "title": "Paged\n  Attention", "abstract": ABSTRACT_1,
             "published": "2024-01-15T08:00:00Z", "authors": ["A", "B", "C"], "upvotes": 12}
        ),
        "",
        json.dumps({"title": "No Abstract Here", "authors": 4}),
        '{"title": "Truncated", "abstract": "We pro',
        "[1, 2]",
        json.dumps({"ID": "p7", "Title": "Case-Insensitive Keys", "Summary": ABSTRACT_2, "authors": "5"}),
    ]
    path = write(tmp_path, "papers.jsonl", "\n".join(lines))
    read = read_source(path)
    assert read.error is None and read.format == "jsonl"
    first, second = read.records.to_dicts()
    assert first | {"content_hash": None} == {
        "paper_id": "2401.12345", "title": "Paged Attention", "abstract": ABSTRACT_1,
        "published": date(2024, 1, 15), "authors_count": 3, "upvotes": 12,
        "sources": [str(path)], "content_hash": None,
        "url": "https://arxiv.org/abs/2401.12345", "url_kind": None,  # url_kind is set once merged
    }
    assert first["content_hash"] == hashlib.sha256(f"Paged Attention\n{ABSTRACT_1}".encode()).hexdigest()
    assert (second["paper_id"], second["authors_count"]) == (paper_id("Case-Insensitive Keys"), 5)
    assert reasons(read.quarantine) == [
        "malformed JSON: Unterminated string starting at (column 36)",
        "not a JSON object but list",
        "abstract missing",
    ]
    assert read.quarantine["source"].to_list() == [f"{path}:4", f"{path}:5", f"{path}:3"]
    assert json.loads(read.quarantine["record"][0]) == {"raw": lines[3]}


def test_jsonl_wrong_types_are_quarantined_not_guessed(tmp_path):
    lines = [
        {"title": ["Two", "Parts"], "abstract": ABSTRACT_1},
        {"title": ABSTRACT_1 + " " + ABSTRACT_2, "abstract": "x" * 300},  # fields swapped upstream
        {"title": "Odd Metadata", "abstract": ABSTRACT_1, "published": "13/03/2023", "upvotes": "many",
         "authors": {"n": 3}},
    ]
    read = read_source(write(tmp_path, "p.jsonl", "\n".join(map(json.dumps, lines))))
    assert reasons(read.quarantine) == [
        "title missing",
        f"title too long ({len(ABSTRACT_1 + ABSTRACT_2) + 1} chars > {RULES.max_title_chars})",
    ]
    assert read.records.select("title", "published", "authors_count", "upvotes").rows() == [
        ("Odd Metadata", None, None, None)
    ]


def test_csv_reads_columns_case_insensitively(tmp_path):
    rows = pl.DataFrame(
        {
            "Title": ["Serving Fast", "No Abstract"],
            "abstract": [ABSTRACT_1, None],
            "published": ["2023-05-01", "not a date"],
            "authors": ["Ann Lee; Bo Chen; Cy Park", "7"],
            "extra": ["ignored", "ignored"],
        }
    )
    path = tmp_path / "papers.csv"
    rows.write_csv(path)
    read = read_source(path)
    assert read.records.select("title", "published", "authors_count", "upvotes").rows() == [
        ("Serving Fast", date(2023, 5, 1), 3, None)
    ]
    assert reasons(read.quarantine) == ["abstract missing"]
    assert read.quarantine["source"].to_list() == [f"{path}:2"]


def test_csv_without_abstract_column_is_an_error(tmp_path):
    path = write(tmp_path, "papers.csv", "title,year\nA Paper,2024\n")
    assert read_source(path).error == f"{path}: CSV has no abstract column (columns: title, year)"


def test_malformed_csv_is_an_error(tmp_path):
    path = write(tmp_path, "papers.csv", 'title,abstract\n"unclosed,quote\nx,y,z,w\n')
    error = read_source(path).error
    assert error is not None and error.startswith(f"{path}: malformed CSV")


# --- ingest over several files --------------------------------------------------------------------


def test_unreadable_file_is_reported_while_the_others_load(tmp_path):
    good = write(tmp_path, "a.txt", LAYOUT_BLANK_LINES)
    broken = write(tmp_path, "b.jsonl", b"\x00\x01\x02")
    also_good = write(tmp_path, "c.jsonl", json.dumps({"title": "T", "abstract": ABSTRACT_3}) + "\n")
    messages: list[str] = []
    result = ingest([good, broken, tmp_path / "missing.csv", also_good], progress=messages.append)
    assert result.papers.height == 3
    assert [e.split(":")[0] for e in result.errors] == [str(broken), str(tmp_path / "missing.csv")]
    assert [i["path"] for i in result.inputs] == [str(good), str(also_good)]
    assert result.inputs[0]["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert result.inputs[0]["entries"] == 2 and result.inputs[0]["format"] == "listing"
    assert len(messages) == 5


def test_ingest_uses_the_given_file_reader(tmp_path):
    path = write(tmp_path, "a.txt", LAYOUT_COMPACT)
    seen: list[Path] = []

    def reader(p: Path):
        seen.append(p)
        return read_source(p)

    assert ingest([tmp_path], read_source=reader).papers.height == 2
    assert seen == [path]


def test_directory_reads_supported_files_sorted(tmp_path):
    write(tmp_path, "b.txt", LAYOUT_COMPACT)
    write(tmp_path, "a.txt", LAYOUT_BLANK_LINES)
    write(tmp_path, "notes.pdf", "ignored")
    result = ingest([tmp_path])
    assert [Path(i["path"]).name for i in result.inputs] == ["a.txt", "b.txt"]
    assert (result.papers.height, result.merged, result.errors) == (3, 1, [])
    shared = result.papers.filter(pl.col("title").str.starts_with("Pushing")).row(0, named=True)
    assert shared["sources"] == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    assert (shared["published"], shared["authors_count"], shared["upvotes"]) == (date(2024, 2, 19), 12, 1)


def test_directory_without_supported_files_is_an_error(tmp_path):
    assert ingest([tmp_path]).errors == [f"{tmp_path}: no .txt, .md, .jsonl, .ndjson, .csv files in directory"]


# --- ids and dedup ---------------------------------------------------------------------------


def test_paper_id_prefers_arxiv_and_normalises_titles():
    assert paper_id("Anything", "https://arxiv.org/abs/2309.06180v1") == "2309.06180"
    assert paper_id("Anything", "cs/0601001") == "cs/0601001"
    expected = "t" + hashlib.sha1(b"efficient llm serving").hexdigest()[:16]
    assert paper_id("Efficient  LLM-Serving!") == expected
    assert paper_id("\uff25fficient LLM serving") == expected  # full-width E, NFKC
    assert paper_id("Efficient LLM Serving", "p17") == expected  # not an arXiv id


def records(*rows: dict) -> pl.DataFrame:
    """Records as read_source makes them, from (title, abstract, source, metadata) dicts."""
    entries = pl.DataFrame(
        [{"abstract": ABSTRACT_1, "line": n} | row for n, row in enumerate(rows, start=1)],
        schema=ENTRY_SCHEMA,
    )
    frames = [split_valid(entries[i : i + 1], row.get("source", "s.txt"))[0] for i, row in enumerate(rows)]
    return pl.concat(frames)


def test_exact_duplicates_merge_keeping_the_richest_metadata():
    papers, merged = merge_duplicates(
        records(
            {"title": "Llumnix: Dynamic Scheduling for LLM Serving", "source": "b.txt", "upvotes": 3},
            {"title": "LLUMNIX - dynamic scheduling for LLM serving", "source": "a.txt",
             "abstract": ABSTRACT_1 + " More.", "published": date(2024, 6, 3), "authors_count": 9, "upvotes": 1},
        )
    )
    assert merged == 1
    paper = papers.row(0, named=True)
    assert paper["title"] == "Llumnix: Dynamic Scheduling for LLM Serving"
    assert paper["abstract"] == ABSTRACT_1 + " More."
    assert (paper["published"], paper["authors_count"], paper["upvotes"]) == (date(2024, 6, 3), 9, 3)
    assert paper["sources"] == ["a.txt", "b.txt"]
    assert paper["content_hash"] == hashlib.sha256(f"{paper['title']}\n{paper['abstract']}".encode()).hexdigest()
    assert papers.schema == pl.Schema(PAPER_SCHEMA)


@pytest.mark.parametrize(
    "variant",
    [
        "Scaling LLMs Inference with Optimized Sample Compute Allocation",  # LLM vs LLMs
        "Scaling LLM Inference with Optimised Sample Compute Allocation",  # spelling
        "Scalng LLM Inference with Optimized Sample Compute Allocation",  # typo near the start
        "Scaling LLM Inference with Optimized Sample-Compute Allocation.",  # punctuation
    ],
)
def test_near_identical_titles_merge(variant):
    original = "Scaling LLM Inference with Optimized Sample Compute Allocation"
    papers, merged = merge_duplicates(records({"title": original}, {"title": variant}, {"title": original}))
    assert (merged, papers["title"].to_list()) == (2, [original])


@pytest.mark.parametrize(
    "first, second",
    [
        ("Scalable Vector Search", "Scaling Vector Search for Retrieval-Augmented Generation"),
        ("Llama 2: Open Foundation and Fine-Tuned Chat Models",
         "Llama 3: Open Foundation and Fine-Tuned Chat Models"),
        ("Qwen2 Technical Report", "Qwen2.5 Technical Report"),
        ("A Multi-Task Supervised Compression Model for Split Computing",
         "SC2 Benchmark: Supervised Compression for Split Computing"),  # closest distinct seed pair
    ],
)
def test_different_papers_with_similar_titles_stay_apart(first, second):
    papers, merged = merge_duplicates(records({"title": first}, {"title": second}))
    assert (merged, papers.height) == (0, 2)


def survey_titles() -> tuple[list[str], dict[str, str]]:
    """More titles sharing their first characters than ``max_block_size``, and near-identical
    variants (variant -> original) of the first and the last."""
    # distinct 16-letter topics: unrelated titles stay well under the cutoff
    digests = (hashlib.sha1(str(i).encode()).hexdigest()[:16] for i in range(RULES.max_block_size + 50))
    topics = ["".join(chr(ord("a") + int(digit, 16)) for digit in digest) for digest in digests]
    titles = [f"A Survey of Large Language Models for Topic {topic}" for topic in topics]
    return titles, {f"{titles[0]}s": titles[0], f"A Survey of Large Language Model for Topic {topics[-1]}": titles[-1]}


def test_near_duplicates_are_found_inside_oversized_blocks():
    titles, variants = survey_titles()
    keys = pl.Series(titles + list(variants)).str.to_lowercase().str.replace_all(" ", "")
    found = {frozenset(pair) for pair in near_duplicate_pairs(keys)}
    spaceless = {v.lower().replace(" ", ""): t.lower().replace(" ", "") for v, t in variants.items()}
    assert found == {frozenset(pair) for pair in spaceless.items()}


def test_merging_in_small_batches_changes_nothing(monkeypatch):
    """Candidate pairs are made, sifted and scored a batch at a time so that memory stays bounded
    at a million papers; batches of a few pairs merge exactly as one batch does."""
    titles, variants = survey_titles()
    files, _ = expand_paths([SEEDS])
    surveys = records(*({"title": title} for title in [*titles, *variants]))
    both = pl.concat([*(read_source(path).records for path in files), surveys])
    keys = normalise_titles(both["title"]).str.replace_all(" ", "")
    papers, merged = merge_duplicates(both)
    pairs = near_duplicate_pairs(keys)
    monkeypatch.setattr(ingest_dedup, "PAIR_BATCH", 3)
    monkeypatch.setattr(ingest_dedup, "MERGE_BATCH", 2)
    assert near_duplicate_pairs(keys) == pairs
    batched, merged_in_batches = merge_duplicates(both)
    assert merged_in_batches == merged == 102  # the seeds' 100 and the two survey variants
    assert_frame_equal(batched, papers)


@pytest.mark.parametrize(
    "first, second",
    [
        ("Efficient Transformers for Video Understanding", "Efficient Transformers for Vision Understanding"),
        ("Fast Large Language Model Inference on Commodity GPUs",
         "Fast Large Language Model Inference on Commodity CPUs"),
    ],
)
def test_near_identical_titles_with_different_abstracts_stay_apart(first, second):
    papers, merged = merge_duplicates(
        records({"title": first, "abstract": ABSTRACT_1}, {"title": second, "abstract": ABSTRACT_2})
    )
    assert (merged, papers.height) == (0, 2)
    same_abstract, merged = merge_duplicates(records({"title": first}, {"title": second}))
    assert merged == 1  # the same abstract under both: one paper, one title mistyped


def test_records_sharing_an_arxiv_id_merge_even_with_revised_titles():
    papers, merged = merge_duplicates(
        records(
            {"title": "Efficient Memory Management for LLM Serving", "arxiv_id": "2309.06180"},
            {"title": "PagedAttention: Efficient Memory Management for Large Language Model Serving",
             "arxiv_id": "2309.06180v2"},
        )
    )
    assert (merged, papers["paper_id"].to_list()) == (1, ["2309.06180"])


def test_merging_is_idempotent_and_empty_safe():
    papers, _ = merge_duplicates(records({"title": "A"}, {"title": "a!"}, {"title": "B"}))
    again, merged = merge_duplicates(papers)
    assert merged == 0 and again.equals(papers)
    empty, merged = merge_duplicates(pl.DataFrame(schema=PAPER_SCHEMA))
    assert (empty.height, merged) == (0, 0)


# --- the bundled seeds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds():
    return ingest([SEEDS])


def test_seeds_counts(seeds):
    assert seeds.errors == []
    assert [i["entries"] for i in seeds.inputs] == [88, 43, 100, 274, 101]
    assert (seeds.papers.height, seeds.merged, seeds.quarantine.height) == (506, 100, 0)
    assert seeds.papers["paper_id"].is_unique().all()
    assert seeds.papers.schema == pl.Schema(PAPER_SCHEMA)


def test_seeds_known_papers(seeds):
    by_title = {row["title"]: row for row in seeds.papers.iter_rows(named=True)}
    vertex = by_title["Parallel Vertex Diffusion for Unified Visual Grounding"]
    assert (vertex["published"], vertex["authors_count"], vertex["upvotes"]) == (date(2023, 3, 13), 7, None)
    pushing = by_title["Pushing Auto-regressive Models for 3D Shape Generation at Capacity and Scalability"]
    assert (pushing["published"], pushing["authors_count"], pushing["upvotes"]) == (date(2024, 2, 19), 12, 1)
    assert [Path(s).name[:3] for s in pushing["sources"]] == ["001", "004"]
    nvme = by_title["Adding NVMe SSDs to Enable and Accelerate 100B Model Fine-tuning on a Single GPU"]
    assert (nvme["upvotes"], len(nvme["sources"])) == (4, 4)
    assert "Scaling LLM Inference with Optimized Sample Compute Allocation" in by_title


def test_seeds_contain_no_page_chrome(seeds):
    titles = seeds.papers["title"]
    assert not titles.str.contains(r"(?i)subscribe|trending papers|byAK|^daily papers$|^new$").any()
    assert not titles.str.contains(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d+").any()
    assert seeds.papers["abstract"].str.len_chars().min() >= RULES.min_abstract_chars
    assert seeds.papers["title"].str.len_chars().max() < RULES.listing.prose_min_chars
