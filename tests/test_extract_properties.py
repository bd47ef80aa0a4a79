"""Property tests: the extractor never raises and its claims always satisfy the invariants."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abstract_strategies import claimish, sentence_texts, texts
from etl.extract import candidate_sentences, extract_record
from etl.extract.rules import RULES



def check_invariants(title: str, abstract: str) -> None:
    rec = extract_record(title, abstract)
    for c in rec.claims:
        assert abstract[c.start : c.end] == c.text
        assert c.start < c.end
        assert c.low <= c.high
        assert c.multiplier > 0
        assert 0.0 <= c.confidence <= 1.0
        assert c.unit in ("x", "%")
    assert all(s > 0 for s in rec.model_sizes)
    assert all(n > 0 for n in rec.gpu_counts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(max_size=80), abstract=texts)
def test_never_raises_and_offsets_hold(title, abstract):
    check_invariants(title, abstract)


@settings(max_examples=200, deadline=None)
@given(abstract=claimish)
def test_claim_like_text_keeps_invariants(abstract):
    check_invariants("X: y", abstract)


def _python_sentences(text: str) -> list[str]:
    """The GUIDE's sentence rule written plainly: a boundary is [.!?] + whitespace before a capital,
    digit, bracket or quote, unless the text since the last boundary ends with an abbreviation."""
    abbreviations = tuple(RULES["sentences"]["abbreviations"])
    out, start = [], 0
    space = r"(?:(?![\x1c-\x1f])\s)"  # Unicode White_Space, as in Rust (Python's \s adds \x1c-\x1f)
    for m in re.finditer(rf"(?<=[.!?]){space}+(?=[A-Z0-9(\[“\"\\])", text):
        if text[start : m.start()].lower().endswith(abbreviations):
            continue
        out.append((start, text[start : m.start()]))
        start = m.end()
    if start < len(text):
        out.append((start, text[start:]))
    return out


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(sentence_texts, st.text(max_size=200)))
def test_polars_sentence_split_matches_the_plain_rule(text):
    frame = pl.DataFrame({"paper_id": ["p"], "abstract": [text]})
    got = list(candidate_sentences(frame).select("start", "text").iter_rows())
    # sentences that can hold a claim, and those that frame a comparison for the next ones (carry_over_re)
    frames = RULES["baseline"]["carry_over_re"].replace("^", "")
    want = [(s, t) for s, t in _python_sentences(text)
            if re.search(RULES["prefilter"]["claims_re"].replace("(?i)", ""), t, re.I) or re.search(frames, t, re.I)]
    assert got == want
    assert all(text[s : s + len(t)] == t for s, t in got)
