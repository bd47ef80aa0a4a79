"""Table-driven checks of each pattern family of the extractor, on short realistic sentences."""

from __future__ import annotations

import polars as pl
import pytest

from etl.extract import (
    CLAIM_SCHEMA,
    FACT_SCHEMA,
    extract_claims,
    extract_claims_from_text,
    extract_facts,
    extract_record,
    find_gpu_counts,
    find_hardware,
    find_model_sizes,
    find_system,
)


def only_claim(text: str):
    claims = extract_claims_from_text(text)
    assert len(claims) == 1, claims
    return claims[0]


@pytest.mark.parametrize(
    ("sentence", "text", "high"),
    [
        ("Our system achieves 2.1x higher throughput than vLLM.", "2.1x", 2.1),
        ("Our system achieves 2.1× higher throughput than vLLM.", "2.1×", 2.1),
        ("Our system achieves 2.1X higher throughput than vLLM.", "2.1X", 2.1),
        ("Our system achieves 2.1 times higher throughput than vLLM.", "2.1 times", 2.1),
        ("It achieves 6.0times higher energy efficiency than GPUs.", "6.0times", 6.0),
        ("It runs up to 2times faster than the baseline.", "2times", 2.0),
        ("It delivers 2.4\\times speedup over CUTLASS.", "2.4\\times", 2.4),
        ("It delivers 2.4$\\times$ speedup over CUTLASS.", "2.4$\\times$", 2.4),
        ("It yields 8{times} higher resolution than prior methods.", "8{times}", 8.0),
        ("It gives a 3-fold reduction in memory.", "3-fold", 3.0),
        ("It serves 1,000x more requests than the baseline.", "1,000x", 1000.0),
        ("It accelerates linear attention by twice in runtime.", "twice", 2.0),
        ("It reduces memory usage by four times.", "four times", 4.0),
        ("It is an order of magnitude faster than prior work.", "an order of magnitude", 10.0),
        ("It reduces swap load by two orders of magnitude.", "two orders of magnitude", 100.0),
        ("The method doubles throughput on A100.", "doubles", 2.0),
        ("The method halves latency for long prompts.", "halves", 2.0),
    ],
)
def test_multiplier_spellings(sentence, text, high):
    claim = only_claim(sentence)
    assert (claim.text, claim.high, claim.unit) == (text, high, "x")


@pytest.mark.parametrize(
    ("sentence", "low", "high", "unit"),
    [
        ("It is 2-4× faster than FlashAttention.", 2, 4, "x"),
        ("It is 5.3x to 15.2x faster than FlashAttention.", 5.3, 15.2, "x"),
        ("It increases throughput by 1.2X to 4.1X over vLLM.", 1.2, 4.1, "x"),
        ("It is between 1.5 and 2x faster than PyTorch.", 1.5, 2, "x"),
        ("It reduces latency by 72.3% to 90.3% compared with Orca.", 72.3, 90.3, "%"),
        ("It improves service capacity by 44% - 63%.", 44, 63, "%"),
    ],
)
def test_ranges_are_one_claim(sentence, low, high, unit):
    claim = only_claim(sentence)
    assert (claim.low, claim.high, claim.unit) == (low, high, unit)
    assert claim.multiplier == pytest.approx(high if unit == "x" else 1 / (1 - high / 100) if "reduc" in sentence else 1 + high / 100, rel=1e-3)


def test_list_gives_one_claim_per_number():
    claims = extract_claims_from_text("It achieves 2.9x and 1.55x speedups for prefilling and decoding.")
    assert [c.high for c in claims] == [2.9, 1.55]
    assert {c.metric for c in claims} == {"speedup"}


@pytest.mark.parametrize(
    ("sentence", "metric", "better", "multiplier"),
    [
        ("It reduces latency by 60% compared to vLLM.", "latency", True, 2.5),
        ("The resulting model is 45% smaller than BERT.", "memory", True, 1 / 0.55),
        ("Training is 28% faster than Megatron-LM.", "speedup", True, 1.28),
        ("It improves throughput by 30% over Orca.", "throughput", True, 1.3),
        ("The runtime adds 5% overhead to training.", "speedup", False, 1 / 1.05),
        ("It requires only 55% of the compute of the baseline.", "compute", True, 100 / 55),
        ("We reduce the total compute to 64% of that of the dense model.", "compute", True, 100 / 64),
        ("It reduces energy consumption by 40%.", "energy", True, 1 / 0.6),
        ("It reduces cost by 77% relative to on-demand instances.", "cost", True, 1 / 0.23),
    ],
)
def test_percent_direction_and_multiplier(sentence, metric, better, multiplier):
    claim = only_claim(sentence)
    assert (claim.unit, claim.metric, claim.better) == ("%", metric, better)
    assert claim.multiplier == pytest.approx(multiplier, rel=1e-3)


@pytest.mark.parametrize("spelling", ["45\\%", "50{%}", "45%"])
def test_percent_spellings(spelling):
    claim = only_claim(f"It uses {spelling} less memory than the baseline.")
    assert claim.text == spelling and claim.unit == "%" and claim.metric == "memory"


@pytest.mark.parametrize(
    ("sentence", "qualifier"),
    [
        ("It is up to 3x faster than vLLM.", "up to"),
        ("It is on average 3x faster than vLLM.", "average"),
        ("It achieves an average of 3x speedup over vLLM.", "average"),
        ("It is at least 3x faster than vLLM.", "at least"),
        ("It is more than 3x faster than vLLM.", "over"),
        ("It is over 3x faster than vLLM.", "over"),
        ("It is ~3x faster than vLLM.", "about"),
        ("It is nearly 3x faster than vLLM.", "about"),
        ("It is roughly 3x faster than vLLM.", "about"),
        ("It is 3x faster than vLLM.", None),
    ],
)
def test_qualifiers(sentence, qualifier):
    assert only_claim(sentence).qualifier == qualifier


def test_less_than_overhead_is_an_up_to_regression():
    claim = only_claim("The design needs less than 1% area and power overhead.")
    assert (claim.better, claim.qualifier) == (False, "up to")
    assert claim.multiplier == pytest.approx(1 / 1.01, rel=1e-3)


@pytest.mark.parametrize(
    ("sentence", "baseline"),
    [
        ("It is 3x faster than vLLM on A100 GPUs.", "vLLM"),
        ("It achieves a 2x speedup over the state of the art.", "the state of the art"),
        ("Compared to DeepSpeed, our system trains 2x faster.", "DeepSpeed"),
        ("It yields 2x higher throughput compared with Orca.", "Orca"),
        ("It outperforms Megatron-LM by 1.3x in throughput.", "Megatron-LM"),
        ("It improves throughput by 1.5x relative to TGI.", "TGI"),
        ("It is 2x faster vs. PyTorch eager.", "PyTorch eager"),
        ("It outperforms the state-of-the-art serving system vLLM with speedups of 1.4-11.2x.", "vLLM"),
        ("It reaches 7.73x over FP16 and 2.53x compared to INT8 quantization.", "FP16"),
        ("It improves cost by 2x over hosted APIs.", "hosted APIs"),
        ("It achieves a 2x speedup.", None),
    ],
)
def test_baselines(sentence, baseline):
    assert extract_claims_from_text(sentence)[0].baseline_raw == baseline


def test_respectively_distributes_conjuncts():
    claims = extract_claims_from_text(
        "It achieves 41-137x and 631-1074x speedup over GPU and CPU baseline, respectively."
    )
    assert [c.baseline_raw for c in claims] == ["GPU baseline", "CPU baseline"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Our model reaches 61.4% accuracy on ImageNet.",
        "It improves top-1 accuracy by 2.1% over ResNet-50.",
        "The results were published in 2023 and 2024.",
        "We collect a dataset of 1,200 papers and 37M images.",
        "Decoding takes 20 ms per token and reaches 1,200 tokens/s.",
        "It sustains 55.2% Model FLOPs Utilization on 12,288 GPUs.",
        "It achieves 90% scaling efficiency when moving from 8 to 256 GPUs.",
        "Performance improved from 51.1% to 62.5% after fine-tuning.",
        "We use 16x16 matrix tiles and 128x128 images.",
        "Training costs for frontier models are doubling every few months.",
        "We train with half-precision arithmetic.",
        "We convert half of the attention heads to streaming heads.",
        "Loss scales smoothly across three orders of magnitude of compute.",
        "The Mixtral 8x7B model is evaluated.",
    ],
)
def test_non_claims_are_not_extracted(sentence):
    assert extract_claims_from_text(sentence) == []


def test_repeated_number_in_another_sentence_is_one_claim():
    text = "It is up to 3x faster than vLLM. In summary, our system is 3x faster than vLLM."
    assert len(extract_claims_from_text(text)) == 1


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("We evaluate LLaMA2-7B and OPT-66B.", [7e9, 66e9]),
        ("We train a 175B parameter model.", [175e9]),
        ("We train a 1.3 billion parameter model.", [1.3e9]),
        ("Trillion-parameter models need new systems.", [1e12]),
        ("We run Llama 3.1-8B and Llama 3.2-3B.", [8e9, 3e9]),
        ("Models from 124M to 1.5B parameters.", [124e6, 1.5e9]),
        ("For 22 Billion, 175 Billion, and 1 Trillion parameters we report results.", [22e9, 175e9, 1e12]),
        ("The model is trained on 2 trillion tokens and 5B steps.", []),
    ],
)
def test_model_sizes(text, sizes):
    assert find_model_sizes(text) == pytest.approx(sizes)


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("We train on 2,048 A100 GPUs.", [2048]),
        ("It runs on a single GPU.", [1]),
        ("Training on 12,288 GPUs.", [12288]),
        ("It yields 2x throughput on an 8-GPU system.", [8]),
        ("We use 48 A100 GPU cards.", [48]),
        ("We use two RTX 4090 GPUs.", [2]),
        ("It reaches 100% weak scaling efficiency on 1024 and 3072 MI250X GPUs.", [1024, 3072]),
        ("It saved over 35,000 GPU hours.", []),
        ("It reduces time by 35% on 4090 GPU.", []),
    ],
)
def test_gpu_counts(text, counts):
    assert find_gpu_counts(text) == counts


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("We evaluate on NVIDIA A100 and H100 GPUs.", ["NVIDIA A100", "H100"]),
        ("Implemented on the Xilinx Alveo U280 FPGA.", ["Xilinx Alveo U280", "FPGA"]),
        ("It runs on TPU v4 pods and Ascend NPUs.", ["TPU v4", "Ascend", "NPUs"]),  # a model and its class (GUIDE 3)
        ("On a single RTX 4090 GPU.", ["RTX 4090"]),
        ("We report CPU utilization of the servers.", []),
        ("It scores 94.6 on MATH500 with 8 GPUs.", []),  # a benchmark name, not an H500
        ("Served on DGX-A100 nodes.", ["DGX-A100"]),
    ],
)
def test_hardware_mentions(text, mentions):
    assert find_hardware(text) == mentions


@pytest.mark.parametrize(
    ("title", "abstract", "system"),
    [
        ("FlightLLM: Efficient Large Language Model Inference on FPGAs", "", "FlightLLM"),
        ("Run, Don't Walk: Chasing Higher FLOPS", "We propose FasterNet, a new family of networks.", "FasterNet"),
        ("Scaling Laws for Neural Language Models", "We study empirical scaling laws.", None),
        ("Next Block Prediction: Video Generation", "We propose Next Block Prediction (NBP), a framework.", "NBP"),
    ],
)
def test_system_name(title, abstract, system):
    assert find_system(title, abstract) == system


def test_record_offsets_and_facts():
    abstract = "On 8 A100 GPUs, our system serves LLaMA2-13B with up to 2.2x higher throughput than vLLM."
    rec = extract_record("Serve: fast serving", abstract)
    assert [abstract[c.start : c.end] for c in rec.claims] == [c.text for c in rec.claims] == ["2.2x"]
    assert (rec.system, rec.is_systems, rec.gpu_counts, rec.model_sizes) == ("Serve", True, [8], [13e9])


def test_frame_functions_match_schema_and_record():
    papers = pl.DataFrame(
        {
            "paper_id": ["a", "b", "c"],
            "title": ["Fast: serving", "A study of birds", None],
            "abstract": ["It is 3x faster than vLLM on 4 H100 GPUs.", "Birds sing at dawn.", None],
        }
    )
    claims, facts = extract_claims(papers), extract_facts(papers)
    assert dict(claims.schema) == CLAIM_SCHEMA and dict(facts.schema) == FACT_SCHEMA
    assert claims["paper_id"].to_list() == ["a"]
    assert facts["gpu_counts"].to_list() == [[4], [], []]
    empty = papers.head(0)
    assert extract_claims(empty).is_empty() and dict(extract_claims(empty).schema) == CLAIM_SCHEMA
