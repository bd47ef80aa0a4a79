"""Metric by governing noun and verb, two-metric numbers, and baselines (issue 11 item 4)."""

from __future__ import annotations

import pytest

from tests._extract_helpers import claims, one


@pytest.mark.parametrize(
    ("text", "metric"),
    [
        ("The cluster scheduler shortens average job completion time by 1.9x.", "speedup"),
        ("Mixing spot and on-demand instances yields 2.1x higher throughput per dollar.", "cost"),
        ("The new kernels deliver 1.3x higher TFLOPS per GPU during pre-training.", "throughput"),
        ("It improves GPU utilization by 2x.", "throughput"),
        ("It cuts communication volume by 4x compared with ZeRO.", "memory"),
        ("Our models reduced latency (by up to 95%) and energy consumption of devices (by up to 88%).", "latency"),
        ("X reaches 421,000 SPS, which is 54x faster than Habitat (7699 SPS).", "throughput"),
    ],
)
def test_metric_by_head_noun(text, metric):
    assert claims(text)[0]["metric"] == metric


@pytest.mark.parametrize(("text", "metrics"), [
    ("Our sparse attention reduces latency and memory by 90% at 128K context.", {"latency", "memory"}),
    ("Operator fusion lowers both energy and cost by 2.5x.", {"energy", "cost"}),
])
def test_one_number_two_metrics_is_two_claims(text, metrics):
    found = claims(text)
    assert {c["metric"] for c in found} == metrics and len({c["text"] for c in found}) == 1


def test_regression_of_a_lower_is_better_metric():
    c = one("The software emulation incurs 20-26% higher kernel latency.")
    assert c["better"] is False


@pytest.mark.parametrize(
    ("text", "baselines"),
    [
        ("Our router achieves 2x the throughput of SGLang on multi-turn traffic.", ["SGLang"]),
        ("The trainer matches DeepSpeed in throughput while using 5x less memory.", ["DeepSpeed"]),
        ("Compared to vLLM, our system is simpler. It serves 2x more requests.", ["vLLM"]),
        ("It is 2x faster than PEFT and vLLM.", ["Hugging Face PEFT", "vLLM"]),
        ("The server outperforms TensorRT-LLM by 1.4x.", ["TensorRT-LLM"]),
    ],
)
def test_baselines(text, baselines):
    assert claims(text)[0]["baselines"] == baselines


def test_respectively_distributes_baselines():
    a, b = claims("The server outperforms TensorRT-LLM and SGLang by 1.4x and 1.7x, respectively.")
    assert (a["baseline"], b["baseline"]) == ("TensorRT-LLM", "SGLang")


def test_a_lead_in_across_a_clause_boundary_loses():
    a, b = claims("The schedule outperforms GPipe by 1.4x; against PipeDream, the gain is 1.2x.")
    assert (a["baseline"], b["baseline"]) == ("GPipe", "PipeDream")


def test_named_examples_of_a_generic_baseline_are_distributed():
    found = claims("Compared to compilers like Triton and Ladder, our VM achieves 1.75x and 2.61x speedups, respectively.")
    assert [c["baseline"] for c in found] == ["Triton", "Ladder"]


def test_every_canonical_baseline_has_a_class():
    from etl.normalise import baseline_class, registry

    classes = {baseline_class(name) for name in registry().baseline_kind}
    assert None not in classes and classes <= {"system", "hardware", "method", "generic"}
    assert [baseline_class(n) for n in ("vLLM", "A100", "LoRA", "the state of the art")] == [
        "system", "hardware", "method", "generic"]
