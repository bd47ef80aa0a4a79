"""Text clean-up before extraction: cleaned copy, offsets valid on the stored abstract."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.extract.cleanup import clean
from tests._extract_helpers import claims


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("acceler- ation", "acceleration"),
        ("CPU- and GPU-based", "CPU- and GPU-based"),
        ("$2.1\\times$", "2.1×"),
        ("2.5{times}", "2.5×"),
        ("65.8\\%", "65.8%"),
        ("1.5--3.2", "1.5-3.2"),
        ("5 . 5 x", "5.5 x"),
        ("30−45%", "30-45%"),
        ("2–4×", "2-4×"),
        ("$\\sim$3x", "~3x"),
    ],
)
def test_clean_rules(raw, cleaned):
    assert clean(raw).text == cleaned


@pytest.mark.parametrize(
    ("text", "written", "high"),
    [
        ("Our SpMM kernel is up to $10.2\\times$ faster than cuSPARSE.", "10.2\\times$", 10.2),
        ("The sys- tem reduces la- tency by 48\\%.", "48\\%", 48),
        ("The semantic cache yields 5 . 5 x lower latency.", "5 . 5 x", 5.5),
        ("Speedups range from 2.1$\\times$--3.4$\\times$ across models.", "2.1$\\times$--3.4$\\times$", 3.4),
    ],
)
def test_claims_keep_offsets_on_the_stored_text_and_show_the_cleaned_sentence(text, written, high):
    (c,) = claims(text)
    assert text[c["start"] : c["end"]] == c["text"] == written and c["high"] == high


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab 12.$\\%{}timesx-−–", max_size=60))
def test_offset_map_covers_every_cleaned_character(text):
    cleaned = clean(text)
    for i in range(len(cleaned.text)):
        s, e = cleaned.original_span(i, i + 1)
        assert 0 <= s <= e <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab 12.$\\%{}timesx-−–—\u00a0\x1c", max_size=80))
def test_the_rust_scan_finds_what_python_finds(text):
    import polars as pl

    from etl.extract.cleanup import SCAN

    spans = SCAN.spans(pl.Series([text]), "\ue000").to_list()[0]
    assert clean(text, spans).text == clean(text).text
