"""Property tests: the extractor never raises and its claims always satisfy the invariants."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from etl.extract import (
    CLAIM_SCHEMA,
    CLAIMS_TRIGGER,
    RULES,
    SENTENCE_SCANS,
    candidate_sentences,
    extract_facts,
    extract_record,
    find_candidates,
    find_gpu_counts,
    find_hardware,
    find_model_sizes,
)

FRAGMENTS = [
    "2.1x", "2.1×", "3.5 times", "6.0times", "2.4\\times", "8{times}", "3-fold", "1,000x", "45%", "45\\%",
    "50{%}", "2-4×", "5.3x to 15.2x", "between 1.5 and 2x", "72.3% to 90.3%", "twice", "half", "doubles",
    "an order of magnitude", "up to", "on average", "at least", "more than", "~", "nearly", "faster",
    "higher throughput", "lower latency", "less memory", "reduces cost by", "overhead", "than vLLM",
    "compared to", "over", "outperforms", "respectively", "of the compute", "(", ")", ",", ";", ".", " ",
    "LLaMA2-7B", "175B parameters", "2,048 A100 GPUs", "a single GPU", "RTX 4090", "e.g.", "vs.", "\n",
]
claimish = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join)
#: characters on which Python's and Rust's regex engines disagree (whitespace, word characters,
#: case folding, digits), mixed with the ones the rules are about
SCAN_ALPHABET = (
    "ab xX%×.,-_2359 TtBbMm\n\t\x1c\x1f\xa0\u2009\u3000\u212a\u017f\u0130\u0131\xb2\u0663\u0301\xe9\u2028"
)
odd_claimish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=SCAN_ALPHABET, max_size=3)), max_size=30).map(
    "".join
)
texts = st.one_of(st.text(max_size=400), claimish, st.builds(lambda a, b: a + b, claimish, st.text(max_size=60)))


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


sentence_texts = st.lists(
    st.sampled_from(FRAGMENTS + ["Fig.", "No.", "et al.", "A", "B.", "3.", "!", "?", "  ", "\t", "“Q", "[1]"]), max_size=30
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(sentence_texts, st.text(max_size=200)))
def test_polars_sentence_split_matches_the_plain_rule(text):
    frame = pl.DataFrame({"paper_id": ["p"], "abstract": [text]})
    got = list(candidate_sentences(frame).select("start", "text").iter_rows())
    want = [(s, t) for s, t in _python_sentences(text) if re.search(RULES["prefilter"]["claims_re"].replace("(?i)", ""), t, re.I)]
    assert got == want
    assert all(text[s : s + len(t)] == t for s, t in got)


@settings(max_examples=400, deadline=None)
@example("It is \u0663x faster than vLLM.")  # a digit beyond 0-9
@example("It has a 2x \u017fpeedup over vLLM.")  # long s, which case-folds to s
@example("It gives 2x h\u0130gher and 3x h\u0131gher throughput.")  # dotted and dotless i
@example("We compared x\u00b2 y with vLLM and got 2x.")  # a numeral that is a word character only in Python
@example("It is 2x faster\x1cthan vLLM.")  # a separator that is whitespace only in Python
@given(text=st.one_of(sentence_texts, claimish, odd_claimish, st.text(max_size=200), st.text(alphabet=SCAN_ALPHABET, max_size=120)))
def test_rust_scans_find_exactly_what_python_finds(text):
    """Each sentence scan's Rust spans, checked by ColumnScan.matches, are Python's finditer.

    An extra Rust match is caught by its check; a missed one would not be, so this is the test of
    each over-approximation (Unicode whitespace, case folding, word boundaries).
    """
    frame = pl.DataFrame({"paper_id": ["p"], "abstract": [text]})
    for row in candidate_sentences(frame).iter_rows(named=True):
        for name, scan in SENTENCE_SCANS.items():
            got = [m.span() for m in scan.matches(row["text"], row[name])]
            assert got == [m.span() for m in scan.python.finditer(row["text"])], name


FACT_FRAGMENTS = [
    "175B parameters", "1.3 billion parameters", "a trillion-parameter", "one trillion params", "from 124M to 1.5B",
    "8x7B", "LLaMA2-7B", "OPT 66B", "13B parameter", "2 TB", "7B tokens", "~1.5B", "\\sim1.5B", "hundreds of billions",
    "2,048 A100 GPUs", "8-GPU node", "a single GPU", "two RTX 4090 GPUs", "4 and 8 GPUs", "on 4090 GPU", "TPU v4",
    "H100", "NVIDIA A100 80GB", "MI250X", "Ascend 910B", "CPU memory", "CPUs", "GPU hours", "and", ",", " ",
]
facts_text = st.lists(
    st.one_of(st.sampled_from(FACT_FRAGMENTS), st.text(alphabet=SCAN_ALPHABET, max_size=3)), max_size=25
).map("".join)


@settings(max_examples=300, deadline=None)
@example("It has \u0663B parameters on \u0663 GPUs and A\u0663\u0663 ones.")  # digits beyond 0-9
@example("We train a 7B model on 8 A100 GPUs\x1cand a single\x1cGPU.")
@given(text=st.one_of(facts_text, st.text(max_size=200)))
def test_frame_facts_equal_the_plain_finders(text):
    """The fact scans over the column (Rust spans, triggers) find what the finders find on their own."""
    papers = pl.DataFrame({"paper_id": ["p"], "title": ["T"], "abstract": [text]})
    facts = extract_facts(papers, claims=pl.DataFrame(schema=CLAIM_SCHEMA)).row(0, named=True)
    both = "T. " + text
    assert facts["model_sizes"] == find_model_sizes(both)
    assert facts["gpu_counts"] == find_gpu_counts(both)
    assert facts["hardware_raw"] == find_hardware(both)


@settings(max_examples=500, deadline=None)
@example("It is 3\x1ctimes faster.")  # a separator that is whitespace only in Python
@given(text=st.one_of(claimish, odd_claimish, st.text(max_size=120)))
def test_claims_prefilter_fires_wherever_a_candidate_is_found(text):
    """The Polars prefilter may only ever over-approximate the Python candidate grammar."""
    if find_candidates(text):
        assert pl.Series([text]).str.contains(CLAIMS_TRIGGER).item()
