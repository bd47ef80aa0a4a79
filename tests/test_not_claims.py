"""Numbers that describe the problem are not claims (GUIDE section 3)."""

from __future__ import annotations

import pytest

from tests._extract_helpers import claims


@pytest.mark.parametrize(
    "text",
    [
        "Existing KV-cache managers waste up to 60% of GPU memory through fragmentation.",
        "Prior offloading systems lose up to 40% of their throughput to PCIe stalls.",
        "Attention accounts for 70% of decode time at long context lengths.",
        "The scheduler keeps 99% of requests within their 200 ms time-to-first-token target.",
        "In production traces, 80% of requests share a prompt prefix.",
        "Demand for LLM inference capacity is projected to grow 10x by 2027.",
        "Scaling laws suggest that tokens should grow 20x for every 10x increase in parameters.",
        "Stragglers inflate tail latency by 3x in existing serving systems.",
        "Our model attains an error of 7.8%, outperforming existing methods in accuracy by 28%.",
    ],
)
def test_problem_numbers_are_no_claims(text):
    assert claims(text) == []


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Although attention takes 60% of runtime, our kernel makes it 3.2x faster than FlashAttention-2.", 1),
        ("LoRA tuning reaches the same quality at 40% of the cost of full fine-tuning.", 1),
        ("Tracing adds less than 5% overhead to training.", 1),
    ],
)
def test_the_works_own_numbers_stay(text, n):
    assert len(claims(text)) == n
