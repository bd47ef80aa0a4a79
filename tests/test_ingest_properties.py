"""Ingest properties: readers never raise, and every entry ends up as a record or in quarantine."""

from __future__ import annotations

import json
import string
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.ingest import read_source
from etl.ingest.listing import parse_listing
from etl.ingest.rules import PAPER_SCHEMA, RULES
from etl.schemas import QUARANTINE_COLUMNS

settings.register_profile(
    "ingest", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ingest")

NOISE = [
    "new",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Mar 20",
    "Jan 7",
]
ENTRY_KEYS = {"title", "abstract", "published", "authors_count", "upvotes", "arxiv_id", "url", "source", "line"}

words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=9)
titles = (
    st.lists(words, min_size=1, max_size=8)
    .map(lambda ws: " ".join(ws))
    .filter(lambda t: t.casefold() not in RULES.listing.noise_lines and not t.startswith("Subscribe"))
)
long_words = st.text(alphabet=string.ascii_letters, min_size=3, max_size=9)
long_abstracts = st.lists(long_words, min_size=60, max_size=90).map(lambda ws: " ".join(ws) + ".")  # >= 240 chars
short_abstracts = st.lists(words, min_size=12, max_size=18).map(lambda ws: " ".join(ws) + ".")
metadata = st.fixed_dictionaries(
    {
        "authors_count": st.integers(1, 60),
        "published": st.dates(date(1990, 1, 1), date(2030, 12, 31)),
        "upvotes": st.none() | st.integers(1, 999),
    }
)
entries = st.tuples(titles, st.sampled_from(["long", "short", "missing"]), st.none() | metadata)


def read_text(text: str | bytes, suffix: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return read_source(path)


def assert_well_formed(read) -> None:
    assert read.records.schema == pl.Schema(PAPER_SCHEMA)
    assert read.quarantine.schema == pl.Schema(QUARANTINE_COLUMNS)
    if read.error is not None:
        assert read.entries == 0 and read.error.startswith(str(read.path))


@given(st.text())
def test_parse_listing_never_raises(text):
    for entry in parse_listing(text, "page.txt"):
        assert entry.keys() == ENTRY_KEYS
        assert entry["title"] is not None or entry["abstract"] is not None or entry["line"] >= 1


@given(st.binary(), st.sampled_from([".txt", ".md", ".jsonl", ".ndjson", ".csv"]))
def test_read_source_never_raises_on_bytes(data, suffix):
    assert_well_formed(read_text(data, suffix))


@given(st.text(), st.sampled_from([".txt", ".jsonl", ".csv"]))
def test_read_source_never_raises_on_text(text, suffix):
    assert_well_formed(read_text(text, suffix))


def render(entry, abstracts, metadata_line_ends: str) -> list[str]:
    title, kind, meta = entry
    lines = [title] + ([abstracts[title]] if kind != "missing" else [])
    if meta and kind != "missing":
        day = meta["published"]
        date_line = f"{day:%b} {day.day}, {day.year}" + (f" {meta['upvotes']}" if meta["upvotes"] else "")
        lines += [f"  • {meta['authors_count']} authors", "·", date_line + metadata_line_ends]
    return lines


@given(
    st.lists(entries, max_size=12, unique_by=lambda e: e[0]),
    st.data(),
    st.booleans(),
    st.sampled_from(["", "  ", "\t"]),
)
def test_every_listing_entry_is_a_record_or_quarantined(generated, data, blank_lines, trailing):
    abstracts = {
        title: data.draw(long_abstracts if kind == "long" else short_abstracts) for title, kind, _ in generated
    }
    lines: list[str] = data.draw(st.lists(st.sampled_from(NOISE), max_size=3))
    for entry in generated:
        for line in render(entry, abstracts, trailing):
            lines.append(line)
            lines += data.draw(st.lists(st.sampled_from(NOISE), max_size=1))
    read = read_text(("\n\n" if blank_lines else "\n").join(lines), ".txt")

    assert read.error is None
    assert read.entries == len(generated)
    kept = [(title, meta) for title, kind, meta in generated if kind == "long"]
    assert read.records["title"].to_list() == [title for title, _ in kept]
    for (_, meta), row in zip(kept, read.records.iter_rows(named=True), strict=True):
        if meta:
            assert (row["published"], row["authors_count"], row["upvotes"]) == (
                meta["published"], meta["authors_count"], meta["upvotes"]
            )
    assert not set(read.records["title"]) & set(NOISE)
    expected = {"short": "abstract too short", "missing": "abstract missing"}
    expected_reasons = [expected[kind] for _, kind, _ in generated if kind != "long"]
    assert [reason.split(" (")[0] for reason in read.quarantine["reason"]] == expected_reasons


#: text files: a NUL byte makes a file binary (reported as an error), so none here
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
json_records = st.dictionaries(
    st.sampled_from(["title", "abstract", "id", "published", "authors", "upvotes", "Title", "summary"]),
    json_values | long_abstracts,
    max_size=6,
)
garbage_lines = texts.map(lambda t: t.replace("\n", " ").replace("\r", " "))


@given(st.lists(st.one_of(json_records.map(json.dumps), garbage_lines, json_values.map(json.dumps)), max_size=10))
def test_every_jsonl_line_is_a_record_or_quarantined(lines):
    read = read_text("\n".join(lines), ".jsonl")
    assert read.error is None
    assert read.entries == sum(1 for line in lines if line.strip())


@given(
    st.lists(
        st.tuples(st.none() | texts, st.none() | texts | long_abstracts, st.none() | texts),
        max_size=10,
    )
)
def test_every_csv_row_is_a_record_or_quarantined(rows):
    frame = pl.DataFrame(rows, schema={"title": pl.Utf8, "abstract": pl.Utf8, "authors": pl.Utf8}, orient="row")
    read = read_text(frame.write_csv(), ".csv")
    assert read.error is None
    assert read.entries == len(rows)
