"""Per-claim settings (GUIDE section 4): binding by the sentence's grammar, effective setting."""

from __future__ import annotations

import pytest

from etl.extract.setting import bind_sentence, effective, sentence_mentions
from tests._extract_helpers import claims, one


def setting(c: dict) -> tuple:
    return c["model_sizes"], c["gpu_counts"], c["hardware"]


def test_a_claim_takes_the_setting_of_its_own_sentence():
    c = one("FlashServe achieves 2.3x higher throughput for LLaMA2-70B on 8 H100s than vLLM.")
    assert setting(c) == ([7e10], [8], ["H100"])
    assert c["setting_from"] == {"model_sizes": "claim", "gpu_counts": "claim", "hardware": "claim"}


def test_respectively_pairs_settings_with_claims_in_order():
    a, b = claims("It is 2.1x and 3.4x faster than vLLM on LLaMA-7B and LLaMA-70B, respectively.")
    assert (a["model_sizes"], b["model_sizes"]) == ([7e9], [7e10])


def test_segments_give_each_claim_its_own_values():
    a, b = claims("X serves 2.1x more requests on 7B models and 3.4x more on 70B models than vLLM.")
    assert (a["model_sizes"], b["model_sizes"]) == ([7e9], [7e10])


def test_a_leading_setting_is_shared_and_outranks_a_trailing_one():
    a, b = claims("With 16 GPUs the speedup is 1.3x, rising to 2.4x with 64 GPUs.")
    assert (a["gpu_counts"], b["gpu_counts"]) == ([16], [64])


def test_a_setup_sentence_right_before_the_claim_counts():
    text = "On 64 A100 GPUs, we train GPT-3 175B. It is 1.5x faster than Megatron-LM. We also study 8 V100 GPUs."
    c = one(text)
    assert setting(c) == ([1.75e11], [64], ["A100"])


def test_a_device_only_named_as_baseline_is_not_the_claims():
    c = one("Our FPGA accelerator is 6x more energy-efficient than an A100 GPU.")
    assert c["hardware"] == ["FPGA"]


def test_the_baselines_own_setting_is_not_the_claims():
    c = one("On TPU v5e, serving Gemma-7B is 2.3x cheaper than on TPU v4.")
    assert c["hardware"] == ["TPU v5e"]


def test_a_clause_boundary_stops_binding():
    a, b = claims("X reduces latency by 2x on 8 GPUs; on 64 GPUs it improves throughput by 3x.")
    assert (a["gpu_counts"], b["gpu_counts"]) == ([8], [64])


@pytest.mark.parametrize(
    ("own", "paper", "expected"),
    [([7e9], [7e9, 7e10], ([7e9], "claim")), ([], [7e10], ([7e10], "paper")), ([], [7e9, 7e10], ([], None)), ([], [], ([], None))],
)
def test_effective_setting_rule(own, paper, expected):
    assert effective(own, paper) == expected


def test_a_paper_with_several_values_gives_none_to_a_claim_that_states_none():
    text = "We study LLaMA-7B and LLaMA-70B. Caches grow with context. X reduces memory by 4x compared to vLLM."
    assert one(text)["model_sizes"] == [] and one(text)["setting_from"]["model_sizes"] is None


def test_bind_sentence_is_declarative_over_mentions():
    text = "2.1x on 7B models and 3.4x on 70B models"
    spans = [(0, 4), (text.index("3.4x"), text.index("3.4x") + 4)]
    bound = bind_sentence(text, spans, sentence_mentions(text))
    assert [b["model_sizes"] for b in bound] == [[7e9], [7e10]]


def test_a_bare_gpu_count_gives_no_device_and_no_device_source():
    # "2048 GPUs" is a count: its number is not a device ("\d{4} GPU" reads "1080 GPU"), so the
    # claim has no device of its own and hardware has no source (ClaimSchema: source iff values)
    c = one("Our system achieves a 2.1x speedup over Megatron on 2048 GPUs.")
    assert c["gpu_counts"] == [2048] and c["setting_from"]["gpu_counts"] == "claim"
    assert c["hardware"] == [] and c["setting_from"]["hardware"] is None
