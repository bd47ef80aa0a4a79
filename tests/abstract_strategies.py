"""Hypothesis strategies for abstract-like text, shared by the extractor's and the regex bridge's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

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

sentence_texts = st.lists(
    st.sampled_from(FRAGMENTS + ["Fig.", "No.", "et al.", "A", "B.", "3.", "!", "?", "  ", "\t", "“Q", "[1]"]), max_size=30
).map(" ".join)

FACT_FRAGMENTS = [
    "175B parameters", "1.3 billion parameters", "a trillion-parameter", "one trillion params", "from 124M to 1.5B",
    "8x7B", "LLaMA2-7B", "OPT 66B", "13B parameter", "2 TB", "7B tokens", "~1.5B", "\\sim1.5B", "hundreds of billions",
    "2,048 A100 GPUs", "8-GPU node", "a single GPU", "two RTX 4090 GPUs", "4 and 8 GPUs", "on 4090 GPU", "TPU v4",
    "H100", "NVIDIA A100 80GB", "MI250X", "Ascend 910B", "CPU memory", "CPUs", "GPU hours", "and", ",", " ",
]
facts_text = st.lists(
    st.one_of(st.sampled_from(FACT_FRAGMENTS), st.text(alphabet=SCAN_ALPHABET, max_size=3)), max_size=25
).map("".join)
