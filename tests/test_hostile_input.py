"""Hostile input: every reader and the extractor take arbitrary text/bytes without raising.

Arbitrary unicode, very long lines, NUL bytes, HTML, binary, mixed encodings and malformed
JSON/CSV go in; out come records that satisfy the schema's basic rules, quarantine rows that each
carry a reason, or a per-file error naming the file. Never an unhandled exception.

The example budget is ``CLAIMBOARD_FUZZ_EXAMPLES`` (default 200 per property);
``scripts/fuzz.py`` runs the same properties with a budget of 100k+ cases in total.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl import pipeline
from etl.extract import extract_record
from etl.ingest import read_source
from etl.ingest.dedup import merge_duplicates
from etl.ingest.listing import parse_listing
from etl.ingest.rules import RULES
from etl.pipeline import StageClock

EXAMPLES = int(os.environ.get("CLAIMBOARD_FUZZ_EXAMPLES", "200"))
#: examples run per property, read by scripts/fuzz.py
CASES: Counter[str] = Counter()

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=list(HealthCheck),
    database=None,
)
# The end-to-end property runs the whole transform per example: a quarter of the budget.
fuzz_slow = settings(fuzz, max_examples=max(EXAMPLES // 4, 10))

# ---------------------------------------------------------------- strategies

HOSTILE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "</script>",
    "\x00", "\ufeff", "\u202e", "\u2028", "\r\n", "\r", "\t", "\u00a0", "\x1c", "&lt;", "&#x3C;", "%00",
    "2.1x", "3.5×", "45%", "10 times", "than vLLM", "on 8 A100 GPUs", "LLaMA2-7B", "175B", "1e308x",
    "99999999999999999999x", "NaN", "inf", "-0", "𝟐.𝟏x", "٢٫١x", "Ⅻ", "\U0001F600", "\ud7ff", "Ｘ",
    "Subscribe", "Daily Papers", "Mar 20", "·", "Published on Mar 20, 2024", "Authors: 5", "Upvote 12",
    "e.g.", "vs.", "(", ")", "\"", "'", ",", ";", ".", " ", "\n", "\n\n",
]
fragments = st.sampled_from(HOSTILE)
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(fragments, st.text(max_size=12)), max_size=60).map("".join),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(1, 20_000)),  # very long lines
)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)
prose = st.lists(words, min_size=45, max_size=70).map(lambda ws: " ".join(ws) + ".")  # a usable abstract

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]


@st.composite
def encoded(draw, text: st.SearchStrategy[str]) -> bytes:
    """Text in some encoding, sometimes with raw garbage bytes spliced in (mixed encodings)."""
    data = draw(text).encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=40)) + data[at:]
    return data


def json_values() -> st.SearchStrategy:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), hostile_text, prose
    )
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


KEYS = ["title", "abstract", "published", "authors", "upvotes", "arxiv_id", "Title", " ABSTRACT ", "summary", "x"]


@st.composite
def jsonl_line(draw) -> str:
    kind = draw(st.sampled_from(["object", "object", "value", "garbage"]))
    if kind == "object":
        obj = draw(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), json_values(), max_size=7))
        return json.dumps(obj, ensure_ascii=draw(st.booleans()))
    if kind == "value":
        return json.dumps(draw(json_values()))
    return draw(hostile_text).replace("\n", " ").replace("\r", " ")


jsonl_text = st.lists(jsonl_line() | st.just(""), max_size=12).map("\n".join)


@st.composite
def csv_text(draw) -> str:
    header = draw(st.lists(st.sampled_from(KEYS) | st.text(max_size=6), min_size=1, max_size=6))
    cells = st.one_of(hostile_text, prose, st.just(""), st.just('"'), st.just('a,"b""c"'))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 1), max_size=6))

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value

    return "\n".join(",".join(cell(c) for c in row) for row in [header, *rows])


@st.composite
def listing_text(draw) -> str:
    blocks = []
    for _ in range(draw(st.integers(0, 6))):
        blocks.append(draw(st.one_of(words.map(str.title), hostile_text)))
        blocks.append(draw(st.one_of(prose, hostile_text, st.just(""))))
        blocks.append(draw(st.sampled_from(["", "·", "Published on Mar 20, 2024", "Authors: 5", "Upvote 12", "Mar 20"])))
    return draw(st.sampled_from(["\n", "\n\n", "\r\n", "\r"])).join(blocks)


# ---------------------------------------------------------------- checks


def read_bytes_as(tmp: Path, suffix: str, data: bytes):
    path = tmp / f"input{suffix}"
    path.write_bytes(data)
    return path, read_source(path)


def check_read(path: Path, read) -> None:
    """A file either fails as a whole (error naming it, nothing kept) or every entry is accounted for."""
    if read.error is not None:
        assert read.error.startswith(str(path)), read.error
        assert read.records.is_empty() and read.quarantine.is_empty()
        return
    assert read.quarantine["reason"].null_count() == 0
    assert (read.quarantine["reason"].str.len_chars() > 0).all()
    assert read.quarantine["source"].str.starts_with(str(path)).all()
    assert read.quarantine["stage"].eq("ingest").all()
    for record in read.quarantine["record"]:
        json.loads(record)  # the rejected row itself is kept, as JSON
    recs = read.records
    assert recs["title"].null_count() == 0 and recs["abstract"].null_count() == 0
    assert (recs["abstract"].str.len_chars() >= RULES.min_abstract_chars).all()
    assert (recs["title"].str.len_chars() <= RULES.max_title_chars).all()
    assert recs["paper_id"].null_count() == 0


def check_extraction(title: str, abstract: str) -> None:
    rec = extract_record(title, abstract)
    for c in rec.claims:
        assert 0 <= c.start < c.end <= len(abstract)
        assert abstract[c.start : c.end] == c.text
        assert c.low <= c.high
        assert c.multiplier > 0 and c.multiplier != float("inf")
        assert 0.0 <= c.confidence <= 1.0
        assert c.unit in ("x", "%")
    assert all(0 < s < float("inf") for s in rec.model_sizes)
    assert all(n > 0 for n in rec.gpu_counts)


# ---------------------------------------------------------------- properties


@fuzz
@given(text=st.one_of(hostile_text, listing_text()))
def test_parse_listing_never_raises_and_numbers_lines(text):
    CASES["parse_listing"] += 1
    entries = parse_listing(text, "page.txt")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    assert all(1 <= e["line"] <= lines and e["source"] == "page.txt" for e in entries)
    assert [e["line"] for e in entries] == sorted(e["line"] for e in entries)


@fuzz
@given(data=st.one_of(encoded(listing_text()), encoded(hostile_text), st.binary(max_size=2_000)))
def test_a_listing_file_of_any_bytes_is_read_or_reported(data):
    CASES["read_listing"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path, read = read_bytes_as(Path(tmp), ".txt", data)
        check_read(path, read)
        if read.error is None:  # every listing entry is a record or a quarantine row
            entries = parse_listing(data.decode(read.encoding, errors="replace").removeprefix("\ufeff"), str(path))
            assert read.records.height + read.quarantine.height == len(entries)
        else:
            assert b"\x00" in data, read.error  # only a binary file is refused as a whole


@fuzz
@given(text=jsonl_text, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_every_jsonl_line_is_a_record_or_quarantined_with_a_reason(text, encoding):
    CASES["read_jsonl"] += 1
    data = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        path, read = read_bytes_as(Path(tmp), ".jsonl", data)
        check_read(path, read)
        if b"\x00" not in data:
            assert read.error is None, read.error
            decoded = data.decode(read.encoding, errors="replace").removeprefix("\ufeff")
            nonblank = [ln for ln in decoded.replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln.strip()]
            assert read.records.height + read.quarantine.height == len(nonblank)


@fuzz
@given(data=st.one_of(encoded(csv_text()), encoded(hostile_text), st.binary(max_size=1_000)))
def test_a_csv_file_of_any_bytes_is_read_or_reported(data):
    CASES["read_csv"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path, read = read_bytes_as(Path(tmp), ".csv", data)
        check_read(path, read)


@fuzz
@given(title=hostile_text, abstract=st.one_of(hostile_text, prose.map(lambda p: p + " 2.1x higher throughput than vLLM.")))
def test_the_extractor_never_raises_and_offsets_hold(title, abstract):
    CASES["extract_record"] += 1
    check_extraction(title, abstract)


@fuzz_slow
@given(
    papers=st.lists(
        st.tuples(
            st.one_of(words.map(str.title), hostile_text.filter(lambda t: t.strip())),
            st.builds(lambda p, h: p + " " + h, prose, hostile_text),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_whole_transform_loses_nothing_and_lets_no_bad_row_in(papers):
    """Hostile papers through extract, normalise and validate: every paper ends up valid or in
    quarantine with a reason; every claim that is kept belongs to a kept paper and quotes it."""
    CASES["transform"] += 1
    lines = [json.dumps({"title": t, "abstract": a, "arxiv_id": f"2401.{i:05d}"}) for i, (t, a) in enumerate(papers)]
    with tempfile.TemporaryDirectory() as tmp:
        path, read = read_bytes_as(Path(tmp), ".jsonl", "\n".join(lines).encode())
        check_read(path, read)
        ingested, _ = merge_duplicates(read.records)
    tables = pipeline.transform(ingested, StageClock())
    bad_papers = tables.quarantine.filter(pl.col("record").str.contains('"content_hash"', literal=True))
    assert tables.papers.height + bad_papers.height == ingested.height  # nothing silently dropped
    assert set(tables.papers["paper_id"]) <= set(ingested["paper_id"])
    assert tables.quarantine["reason"].null_count() == 0
    claims = tables.claims.join(tables.papers.select("paper_id", "abstract"), on="paper_id", how="left")
    assert claims["abstract"].null_count() == 0
    for row in claims.select("abstract", "start", "end", "text", "multiplier").iter_rows():
        abstract, start, end, text, multiplier = row
        assert abstract[start:end] == text
        assert 0 < multiplier < float("inf")


# ---------------------------------------------------------------- known hostile cases, pinned


LONG = "word " * 60


@pytest.mark.parametrize(
    "name, content",
    [
        ("nul.txt", "Title\n" + LONG + "\x00"),
        ("nul.jsonl", json.dumps({"title": "t", "abstract": LONG}) + "\x00\n"),
        ("only-bom.csv", "\ufeff"),
        ("header-only.csv", "title,abstract\n"),
        ("no-columns.csv", "x,y\n1,2\n"),
        ("unclosed-quote.csv", 'title,abstract\n"a,' + "b" * 10 + "\n"),
        ("huge-line.txt", "T\n" + "x" * 2_000_000 + ".\n"),
        ("html.txt", "<script>alert(1)</script>\n<img src=x onerror=alert(1)> " + LONG + "\n"),
        ("nan.jsonl", '{"title": NaN, "abstract": Infinity, "upvotes": 1e999}\n'),
        ("wrong-types.jsonl", '{"title": ["a"], "abstract": {"b": 1}, "authors": 3.5, "upvotes": "many"}\n[]\n"x"\n'),
    ],
)
def test_pinned_hostile_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    read = read_source(path)
    check_read(path, read)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("[" * 100_000, id="deeply-nested-json"),
        pytest.param('{"title": "t", "abstract": "a", "upvotes": ' + "1" * 5000 + "}", id="5000-digit-int"),
        pytest.param('{"title": "\\ud800", "abstract": "a"}', id="lone-surrogate-escape"),
    ],
)
def test_one_hostile_jsonl_line_is_quarantined_and_the_rest_of_the_file_kept(tmp_path, line):
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"title": "A good paper", "abstract": LONG})
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    read = read_source(path)
    assert read.error is None, read.error
    assert read.records.height == 1 and read.quarantine.height == 1
