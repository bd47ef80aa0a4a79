"""Property tests of the Python/Rust regex bridge (etl.textscan): wherever a Python pattern matches,
its Rust over-approximation does too, so scanning a column in Rust first loses nothing."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from abstract_strategies import SCAN_ALPHABET, claimish, facts_text, odd_claimish, sentence_texts
from etl.extract import CLAIM_SCHEMA, candidate_sentences, extract_facts, find_candidates, find_gpu_counts, find_hardware, find_model_sizes
from etl.extract.rules import CLAIMS_TRIGGER, SENTENCE_SCANS
from etl.extract.setting import paper_hardware


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
    # the paper-level devices are the finder's less passing and baseline-only mentions (etl.extract.setting)
    assert facts["hardware_raw"] == paper_hardware(both)
    assert set(facts["hardware_raw"]) <= set(find_hardware(both))


@settings(max_examples=500, deadline=None)
@example("It is 3\x1ctimes faster.")  # a separator that is whitespace only in Python
@given(text=st.one_of(claimish, odd_claimish, st.text(max_size=120)))
def test_claims_prefilter_fires_wherever_a_candidate_is_found(text):
    """The Polars prefilter may only ever over-approximate the Python candidate grammar."""
    if find_candidates(text):
        assert pl.Series([text]).str.contains(CLAIMS_TRIGGER).item()


@settings(max_examples=300, deadline=None)
@example(["2x and 3x", "é 2x, ü 30x", "", "xx"])  # ASCII texts (byte offsets) beside others (split pieces)
@given(texts=st.lists(st.text(alphabet="ab x2.é\u00a0ü€", max_size=40), max_size=6))
def test_column_spans_are_the_character_offsets_of_the_rust_matches(texts):
    """ColumnScan.spans reads ASCII texts by byte offsets and the others by split pieces: both give
    each match's character offsets, in row order."""
    import re

    from etl.textscan import ColumnScan

    scan = ColumnScan.of(r"\d+x", r"[0-9]+x")
    got = scan.spans(pl.Series(texts, dtype=pl.Utf8), "\ue000").to_list()
    assert got == [[offset for m in re.finditer(r"[0-9]+x", t) for offset in m.span()] for t in texts]
