"""Ingest reads files in bounded, line-aligned chunks: the same papers and quarantine as reading whole.

``read_source(path, chunk_bytes=k)`` with tiny k puts entries, lines and multi-byte characters across
chunk boundaries; every result is compared with the whole-text reference readers (``decode`` +
``READERS`` + ``split_valid``, what ingest did before it streamed). Also: empty, truncated, non-UTF-8
and binary files, and the whole-column readers against the line-by-line ones on generated input.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from etl import ingest
from etl.ingest import dedup as ingest_dedup, files as ingest_files, jsonl as ingest_jsonl, listing as ingest_listing
from etl.ingest import READERS, SourceRead, read_source
from etl.ingest.files import decode
from etl.ingest.listing import parse_listing
from etl.ingest.records import split_valid
from etl.ingest.rules import ENTRY_SCHEMA, PAPER_SCHEMA, PY_WHITESPACE, RULES
from etl.schemas import QUARANTINE_COLUMNS

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
CHUNKS = [1, 2, 7, 64, 300, 4096]

#: generated cases per property: a third of the hostile-input budget (``make fuzz`` raises it)
EXAMPLES = max(int(os.environ.get("CLAIMBOARD_FUZZ_EXAMPLES", "200")) // 3, 20)
settings.register_profile(
    "ingest-stream", max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)

ABSTRACT = (
    "We present a serving system that batches requests across GPUs and reaches 2.1x higher "
    "throughput than vLLM on LLaMA2-7B with 8 A100s, while keeping tail latency within the SLO "
    "for 99% of requests on production traces. Its scheduler adapts batch sizes to memory pressure."
)


def reference_read(path: Path) -> SourceRead:
    """What ``read_source`` returned before it streamed: decode the whole file, parse the whole text."""
    data = path.read_bytes()
    file_format = RULES.formats[path.suffix.lower()]
    digest = hashlib.sha256(data).hexdigest()
    empty = pl.DataFrame(schema=PAPER_SCHEMA), pl.DataFrame(schema=QUARANTINE_COLUMNS)
    if b"\x00" in data:
        return SourceRead(path, *empty, error=f"{path}: binary file (contains NUL bytes)", format=file_format, sha256=digest)
    text, encoding = decode(data)
    try:
        entries, rejects = READERS[file_format](text, str(path))
    except ValueError as exc:
        return SourceRead(path, *empty, error=f"{path}: {exc}", format=file_format, sha256=digest, encoding=encoding)
    records, invalid = split_valid(entries, str(path))
    return SourceRead(path, records, pl.concat([rejects, invalid]), format=file_format, sha256=digest, encoding=encoding)


def assert_same_read(actual: SourceRead, expected: SourceRead) -> None:
    assert (actual.error, actual.format, actual.sha256, actual.encoding) == (
        expected.error, expected.format, expected.sha256, expected.encoding
    )
    assert_frame_equal(actual.records, expected.records)
    assert_frame_equal(actual.quarantine, expected.quarantine)


def check_all_chunk_sizes(path: Path, chunks: list[int] = CHUNKS) -> SourceRead:
    expected = reference_read(path)
    assert_same_read(read_source(path), expected)
    for size in chunks:
        assert_same_read(read_source(path, chunk_bytes=size), expected)
    return expected


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def listing_entry(n: int, abstract: str = ABSTRACT) -> str:
    return f"Fast Serving Number {n} \u00d7 Caf\u00e9\n\n{abstract} (run {n})\n\n  \u2022 {n % 9 + 1} authors\n\u00b7\nMar {n % 28 + 1}, 2024 {n}\n\n"


# --- each format, chunk sizes from one byte up ------------------------------------------------


def test_listing_chunks_match_whole_file(tmp_path):
    text = (
        "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
        + "".join(listing_entry(n) for n in range(12))
        + "Title Without Abstract\n\n  \u2022 3 authors\n\u00b7\nJan 2, 2024\n"  # metadata with a title only
        + f"{ABSTRACT}\n"  # an abstract without a title
        + "  \u2022 4 authors\n  \u2022 5 authors\n"  # the second repeats a field: an entry of its own
        + "Compact Title\n" + ABSTRACT.replace("vLLM", "Orca") + "\n"
        + "Short One\nWe propose a fast kernel. It is twice as fast as the baseline on eight GPUs.\n"
        + "Truncated Last Title\nWe present a syst"  # no newline at the end
    )
    expected = check_all_chunk_sizes(write(tmp_path, "page.txt", text))
    assert expected.records.height == 14 and expected.quarantine.height == 5


def test_listing_metadata_before_any_paper_and_crlf(tmp_path):
    text = "\r\n".join(
        ["  \u2022 3 authors", "\u00b7", "Jan 2, 2024", "  \u2022 7 authors", "SubscribeFirst Title", ABSTRACT, "\u00b7"]
    ) + "\r" + "Second Title\r" + ABSTRACT + "\r\n"
    expected = check_all_chunk_sizes(write(tmp_path, "page.txt", text))
    assert expected.records["title"].to_list() == ["First Title", "Second Title"]


def test_jsonl_chunks_match_whole_file(tmp_path):
    lines = [json.dumps({"title": f"Paper {n} \u00e9", "abstract": ABSTRACT, "published": "2024-03-01",
                         "authors": n % 5, "upvotes": n, "arxiv_id": f"2401.{10000 + n}" if n % 2 else None},
                        ensure_ascii=bool(n % 3)) for n in range(10)]
    lines += [
        "",
        "   ",
        '{"title": "Truncated", "abstract": "We pro',
        "[1, 2]",
        json.dumps({"Title": "Case Variant Key", "Summary": ABSTRACT, "authors": ["A", "B"]}),
        json.dumps({"title": "Listed Authors", "abstract": ABSTRACT, "authors": ["A", {"n": 1}, None]}),
        '{"title": "Dup", "title": "Dup Wins Last", "abstract": ' + json.dumps(ABSTRACT) + "}",
        '{"title": "Bool", "abstract": ' + json.dumps(ABSTRACT) + ', "upvotes": true, "id": 12}',
        '{"title": "Lone \\ud800 surrogate", "abstract": ' + json.dumps(ABSTRACT) + "}",
        '{"title": "No Abstract", "authors": 4}',
        '{"title": "Tail", "abstract": "We pr',  # truncated last line, no newline
    ]
    expected = check_all_chunk_sizes(write(tmp_path, "papers.jsonl", "\r\n".join(lines[:5]) + "\n" + "\n".join(lines[5:])))
    assert expected.records.height == 14
    assert [r.split(":")[0] for r in expected.quarantine["reason"]][:4] == [
        "malformed JSON", "not a JSON object but list", "text holds a lone surrogate escape (not Unicode)", "malformed JSON"
    ]


def test_csv_chunks_match_whole_file(tmp_path):
    rows = pl.DataFrame(
        {
            "Title": [f"Paper {n}, \"quoted\"" for n in range(8)] + ["No Abstract"],
            "abstract": [ABSTRACT.replace("GPUs", "GPUs,\nwith a line break") if n % 3 == 0 else ABSTRACT for n in range(8)] + [None],
            "authors": ["Ann Lee; Bo Chen", "7", None, "x", "3", "4", "5", "6", "1"],
            "published": ["2023-05-01"] * 9,
        }
    )
    text = rows.write_csv().replace("\n", "\r\n", 3)
    expected = check_all_chunk_sizes(write(tmp_path, "papers.csv", text.rstrip("\n")))  # no final newline
    assert (expected.records.height, expected.quarantine.height) == (8, 1)


def test_csv_errors_match_whole_file(tmp_path):
    check_all_chunk_sizes(write(tmp_path, "no_abstract.csv", "title,year\nA Paper,2024\n"))
    check_all_chunk_sizes(write(tmp_path, "unclosed.csv", 'title,abstract\n"unclosed,quote\nx,y,z,w\n'))
    check_all_chunk_sizes(write(tmp_path, "blank_first.csv", "\n\n \ntitle,abstract\nT," + ABSTRACT + "\n"))


# --- empty, blank, truncated, non-UTF-8, binary --------------------------------------------------


@pytest.mark.parametrize("name", ["empty.txt", "empty.jsonl", "empty.csv"])
def test_empty_file_is_no_entries_and_is_reported(tmp_path, name):
    path = write(tmp_path, name, b"")
    read = read_source(path, chunk_bytes=1)
    assert (read.error, read.entries, read.size, read.encoding) == (None, 0, 0, "utf-8")
    assert read.sha256 == hashlib.sha256(b"").hexdigest()
    messages: list[str] = []
    ingest.ingest([path], progress=messages.append)
    assert messages[0] == f"{path}: empty file, 0 entries"


@pytest.mark.parametrize("name", ["blank.txt", "blank.jsonl", "blank.csv"])
def test_whitespace_only_file_is_no_entries(tmp_path, name):
    path = write(tmp_path, name, "  \n\t\r\n\u3000\n\n")
    for size in (None, 1, 3):
        read = read_source(path, chunk_bytes=size)
        assert (read.error, read.entries) == (None, 0)


def test_truncated_files_are_reported_not_fatal(tmp_path):
    good = json.dumps({"title": "Whole Paper", "abstract": ABSTRACT})
    jsonl = write(tmp_path, "cut.jsonl", good + "\n" + good[:40])
    txt = write(tmp_path, "cut.txt", listing_entry(1) + "Cut Title\n" + ABSTRACT[:60])
    csv = write(tmp_path, "cut.csv", f'title,abstract\nWhole,"{ABSTRACT}"\nCut,"{ABSTRACT[:50]}')
    result = ingest.ingest([jsonl, txt, csv])
    assert result.papers.height == 2  # the complete JSONL and listing entries
    by_source = dict(zip(result.quarantine["source"], result.quarantine["reason"], strict=True))
    assert by_source[f"{jsonl}:2"].startswith("malformed JSON: Unterminated string")
    assert (by_source[f"{txt}:9"], by_source[f"{txt}:10"]) == ("abstract missing", "abstract missing")  # cut mid-abstract
    assert result.errors and result.errors[0].startswith(f"{csv}: malformed CSV")
    for path in (jsonl, txt, csv):
        check_all_chunk_sizes(path, [1, 5, 64])


def test_cp1252_file_restarts_with_the_fallback_encoding(tmp_path):
    # the first chunks are valid UTF-8; a later one is not, so the whole file is read again as cp1252
    head = "".join(listing_entry(n) for n in range(5))
    tail = "\u201cQuoted\u201d Serving \u2013 Fast\n" + ABSTRACT + "\n"
    path = write(tmp_path, "page.txt", head.encode("cp1252", errors="replace") + tail.encode("cp1252"))
    expected = check_all_chunk_sizes(path, [1, 50, 400])
    assert expected.encoding == "cp1252"
    assert "\u201cQuoted\u201d Serving \u2013 Fast" in expected.records["title"].to_list()
    messages: list[str] = []
    ingest.ingest([path], progress=messages.append)
    assert messages[0].endswith("decoded as cp1252")


def test_bytes_undefined_in_cp1252_fall_back_to_latin_1(tmp_path):
    lines = [json.dumps({"title": f"T{n}", "abstract": ABSTRACT}) for n in range(6)]
    data = "\n".join(lines[:3]).encode() + b'\n{"title": "Caf\xe9 \x81", "abstract": ' + json.dumps(ABSTRACT).encode() + b"}\n" + "\n".join(lines[3:]).encode()
    path = write(tmp_path, "papers.jsonl", data)
    expected = check_all_chunk_sizes(path, [1, 100])
    assert expected.encoding == "latin-1"
    assert "Caf\xe9 \x81" in expected.records["title"].to_list()


def test_utf8_bom_and_multibyte_characters_across_chunks(tmp_path):
    text = "\ufeff" + "".join(listing_entry(n, ABSTRACT.replace("system", "syst\u00e8me \U0001f600")) for n in range(4))
    expected = check_all_chunk_sizes(write(tmp_path, "page.txt", text), [1, 2, 3, 5])
    assert expected.encoding == "utf-8" and expected.records.height == 4


def test_nul_byte_late_in_the_file_makes_it_binary(tmp_path):
    data = ("".join(listing_entry(n) for n in range(20))).encode() + b"\x00tail"
    path = write(tmp_path, "page.txt", data)
    for size in (None, 16, 1000):
        read = read_source(path, chunk_bytes=size)
        assert read.error == f"{path}: binary file (contains NUL bytes)"
        assert read.sha256 == hashlib.sha256(data).hexdigest() and read.entries == 0


def test_nul_bytes_in_two_chunks_are_reported_not_raised(tmp_path):
    data = b"x\x00" + b"y" * 100 + b"\x00z\n"
    path = write(tmp_path, "page.txt", data)
    read = read_source(path, chunk_bytes=8)
    assert read.error == f"{path}: binary file (contains NUL bytes)"
    assert read.sha256 == hashlib.sha256(data).hexdigest()


def test_nul_byte_after_undecodable_bytes_is_still_binary(tmp_path):
    path = write(tmp_path, "page.jsonl", b'{"title": "\xff"}\n' * 50 + b"\x00")
    assert read_source(path, chunk_bytes=8).error == f"{path}: binary file (contains NUL bytes)"


def test_chunks_are_bounded_and_line_aligned():
    import io

    data = b"".join(b"x" * (n % 13) + b"\n" for n in range(500)) + b"tail"
    chunks = list(ingest_files.read_chunks(io.BytesIO(data), 64, ingest_files.cut_lines, None))
    pieces = [piece for piece, _ in chunks]
    assert b"".join(pieces) == data
    assert [last for _, last in chunks] == [False] * (len(chunks) - 1) + [True]
    assert all(piece.endswith(b"\n") for piece in pieces[:-1])
    assert max(map(len, pieces)) <= 64 + 64 + 13  # the last piece takes the final read too


def test_seeds_read_in_small_chunks_match(tmp_path):
    for path in sorted(SEEDS.iterdir()):
        assert_same_read(read_source(path, chunk_bytes=4096), reference_read(path))


# --- generated input: whole-column readers == line-by-line readers --------------------------------

words = st.text(alphabet=string.ascii_letters + "\u00e9\u00d7-", min_size=1, max_size=9)
titles = st.lists(words, min_size=1, max_size=8).map(" ".join)
prose = st.lists(words, min_size=40, max_size=60).map(lambda ws: " ".join(ws) + ".")
listing_lines = st.one_of(
    titles,
    prose,
    st.lists(words, min_size=12, max_size=18).map(lambda ws: " ".join(ws) + "."),
    st.sampled_from(
        ["", "  ", "new", "Subscribe", "SubscribeNew Title", "Subscribeword", "Mar 20", "\u00b7", "  \u2022 7 authors",
         "\u2022 1 author", "- 99999999999 authors", "Feb 30, 2024", "Feb 29, 2024 7", "Jan 1, 0000", "Dec 31, 9999 4",
         "Sept 3, 2023", "\u0663 authors", "Mar 2", "DAILY PAPERS", "\x1c", "\u3000title\u3000", "A title.\x0b"]
    ),
    st.text(max_size=40),
)


@settings(settings.get_profile("ingest-stream"))
@given(st.lists(listing_lines, max_size=40), st.sampled_from(["\n", "\r\n", "\r"]), st.integers(1, 200))
def test_listing_columns_match_python(lines, newline, chunk):
    text = newline.join(lines)
    expected = pl.DataFrame(parse_listing(text, "p.txt"), schema=ENTRY_SCHEMA)
    rows = ingest_listing.classify_listing_lines(pl.Series(ingest_files.split_lines(text)), 1)
    assert_frame_equal(ingest_listing.assemble_listing_rows(rows, "p.txt"), expected)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.txt"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        assert_same_read(read_source(path, chunk_bytes=chunk), reference_read(path))


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["\ud800", "\udfff", "\udc00x", "\ud83d\ude00", "x\\y", "[A, B]", "2024-01-05", " 12 ", "\u212a"]),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
json_keys = st.sampled_from(
    ["title", "abstract", "summary", "id", "arxiv_id", "authors", "authors_count", "upvotes", "likes", "published",
     "Title", " abstract", "ABSTRACT ", "li\u212ae", "x", "title"]
)


@st.composite
def json_line(draw) -> str:
    kind = draw(st.sampled_from(["object", "object", "object", "raw", "value"]))
    if kind == "object":
        pairs = draw(st.lists(st.tuples(json_keys, json_values | prose), max_size=6))
        body = ", ".join(f"{json.dumps(k, ensure_ascii=draw(st.booleans()))}: {json.dumps(v)}" for k, v in pairs)
        line = "{" + body + "}"
        if draw(st.booleans()):
            line = line.replace('": ', '":', 1)
        return line
    if kind == "value":
        return json.dumps(draw(json_values))
    return draw(st.sampled_from(['{"title": 1e400}', '{"title": NaN}', "{", '{"title": "a"} x', " {}", "{} ", '{"title":\t"t"}',
                                 '{"ti\\u0074le": "escaped key", "abstract": "' + "a" * 250 + '"}', "[" * 150 + "]" * 150]))


@settings(settings.get_profile("ingest-stream"))
@given(st.lists(json_line() | st.just(""), max_size=15), st.integers(1, 300))
def test_jsonl_columns_match_python(lines, chunk):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.jsonl"
        path.write_bytes("\n".join(lines).encode("utf-8", errors="surrogatepass"))
        expected = reference_read(path)
        assert_same_read(read_source(path), expected)
        assert_same_read(read_source(path, chunk_bytes=chunk), expected)


@settings(settings.get_profile("ingest-stream"))
@given(st.binary(max_size=64))
def test_utf8_check_matches_python(data):
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert ingest_files.valid_utf8(data) == valid


def test_python_whitespace_set_is_str_isspace():
    assert set(PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_only_ascii_uppercase_and_kelvin_lowercase_onto_alias_letters():
    letters = set("".join(a for aliases in RULES.columns.values() for a in aliases))
    onto = {chr(c) for c in range(0x110000) if chr(c).lower() in letters and chr(c) not in letters}
    assert onto <= set(string.ascii_uppercase) | {"\u212a"}


def test_listing_metadata_columns_match_python():
    lines = ["  \u2022 7 authors", "- 12 authors", "* 1 author", "\u00b7", "\u2022", "Feb 19, 2024 1", "Feb 30, 2024",
             "Jan 1, 0000", "Sept 3, 2023 99999999999", "Dec 31, 9999", "March 9, 2021", "Mar 20", "new", "NEW"]
    rows = ingest_listing.classify_listing_lines(pl.Series(lines))
    expected = []
    for n, line in enumerate(lines, start=1):
        line = ingest_listing._strip_line(line, RULES.listing)
        kind, fields = ingest_listing._line_kind(line, RULES.listing)
        if kind is not None:
            expected.append(ingest_listing._row_dict(n, kind, line, fields))
    assert_frame_equal(rows, pl.DataFrame(expected, schema=ingest_listing.ROW_SCHEMA))
    assert rows.filter(pl.col("line") == 6).row(0, named=True)["published"] == date(2024, 2, 19)


def test_jsonl_fast_path_takes_plain_lines_and_leaves_the_rest():
    plain = json.dumps({"title": "T", "abstract": ABSTRACT, "authors": ["A"], "upvotes": 3, "arxiv_id": None})
    odd = [
        plain.replace('"title"', '"Title"'), plain.replace('"title"', '"ti\\u0074le"'), plain.replace('"upvotes": 3', '"upvotes": 3.0'),
        plain.replace('"upvotes": 3', '"upvotes": true'), plain + " ", plain.replace("{", '{"title": "X", ', 1),
        plain.replace('"title":', '"title" :'), plain.replace('"T"', '"\\udc00"'),
    ]
    block = ingest_files.LineBlock.of("\n".join([plain, *odd, plain]).encode())
    assert ingest_jsonl._jsonl_fast_rows(block).tolist() == [True] + [False] * len(odd) + [True]


def test_near_duplicate_prefilter_never_drops_a_match():
    rng = np.random.default_rng(7)
    base = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789\u00e9"), size=rng.integers(5, 80))) for _ in range(300)]
    variants = [k[: len(k) // 2] + "x" + k[len(k) // 2 + 1 :] for k in base] + [k + "s" for k in base]
    keys = pl.Series(base + variants)
    first, second = np.triu_indices(len(keys), 1)
    from rapidfuzz import fuzz, process

    values = np.array(keys.to_list(), dtype=object)
    scores = process.cpdist(values[first], values[second], scorer=fuzz.ratio, score_cutoff=RULES.fuzzy_cutoff)
    kept = ingest_dedup._KeyProfile.of(keys).may_match(first.astype(np.int64), second.astype(np.int64))
    assert not (scores > 0)[~kept].any()
    assert kept.mean() < 0.5  # and it does prune (keys with "é" only get the length bound)
