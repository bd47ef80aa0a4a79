"""GPU counts (GUIDE section 3): every accelerator the work used, never a capacity or a motivation."""

from __future__ import annotations

import pytest

from tests._extract_helpers import out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We train on 8xA100 and get 2x throughput.", [8]),
        ("Experiments on 8x A100 GPUs show 2x throughput.", [8]),
        ("On a cluster of 64 H100s it is 1.4x faster.", [64]),
        ("On eight A100s it is 2x faster.", [8]),
        ("On an A100 GPU it is 2x faster.", [1]),
        ("On a single RTX 4090 it is 2x faster.", [1]),
        ("On 512 TPU v4 chips it is 2x faster.", [512]),
        ("Deployed across 32 Ascend NPUs it is 1.5x faster.", [32]),
        ("On 16 GCDs of MI250X it is 2x faster.", [16]),
        ("On 8 RDU sockets it is 2x faster.", [8]),
        ("Using two nodes of 8 GPUs it is 2x faster.", [16]),
        ("With 4 nodes with 8 A100 GPUs each it is 2x faster.", [32]),
        ("Using two 8-GPU nodes it is 2x faster.", [16]),
        ("On sixty-four GPUs it is 2x faster.", [64]),
        ("Scaling to 1K GPUs it is 2x faster.", [1000]),
        ("On four Gaudi 3 accelerators it is 2x faster.", [4]),
    ],
)
def test_count_forms(text, expected):
    assert out(text)["gpu_counts"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "The model exceeds the memory of a single GPU, so we shard it; it is 2x faster.",
        "It requires 800 NVIDIA V100 GPUs just to fit the model; ours is 2x faster.",
        "GPU clusters are costly; our system is 2x faster.",
    ],
)
def test_capacities_and_motivating_figures_are_no_counts(text):
    assert out(text)["gpu_counts"] == []


def test_a_device_count_is_no_multiplier_claim():
    assert [c["text"] for c in out("It runs 3x faster on 8x H100 GPUs than vLLM.")["claims"]] == ["3x"]
