"""Devices (GUIDE section 3): families and generations, digits kept, classes only when run on."""

from __future__ import annotations

import pytest

from etl.normalise import hardware_family
from tests._extract_helpers import out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Experiments on NVIDIA T4 and L4 GPUs show a 2x speedup.", {"T4", "L4"}),
        ("We run on P100 and K80 GPUs.", {"P100", "K80"}),
        ("On an A10G instance the server is 2x faster.", {"A10G"}),
        ("On RTX A6000 and A5000 cards it is 1.5x faster.", {"A6000", "A5000"}),
        ("A consumer RTX 4070 runs it 2x faster.", {"RTX 4070"}),
        ("On AMD MI250X and MI300X GPUs it is 2x faster.", {"MI250X", "MI300X"}),
        ("On Intel Gaudi 3 accelerators it is 2x faster.", {"Gaudi3"}),
        ("On TPU v5e and TPU v5p it is 2x cheaper.", {"TPU v5e", "TPU v5p"}),
        ("Deployed on AWS Trainium and Inferentia2 chips.", {"Trainium", "Inferentia2"}),
        ("Runs on a Graphcore IPU and a Groq LPU.", {"Graphcore IPU", "Groq LPU"}),
        ("Evaluated on the SambaNova SN40L.", {"SN40L"}),
        ("On a Jetson AGX Orin it is 3x faster.", {"Jetson AGX Orin"}),
        ("On an Apple M2 laptop it is 2x faster.", {"Apple M2"}),
        ("On Intel Xeon CPUs the engine is 3.3x faster.", {"CPU", "Xeon"}),
        ("On AMD EPYC servers it is 2x faster.", {"EPYC"}),
        ("On a GH200 Grace Hopper superchip it is 2x faster.", {"GH200"}),
        ("Our evaluation on Ascend NPUs shows a 2x speedup.", {"Ascend", "NPU"}),
    ],
)
def test_device_families_and_generations(text, expected):
    assert set(out(text)["hardware"]) == expected


@pytest.mark.parametrize(("raw", "family"), [("RTX 4070", "RTX 4070"), ("Gaudi 3", "Gaudi3"), ("Gaudi", "Gaudi"),
                                            ("RTX 4080", "RTX 4080"), ("A800", "A800"), ("TPU v4", "TPU v4")])
def test_fuzzy_matching_never_changes_a_digit(raw, family):
    assert hardware_family(raw) == family


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Inference on commodity CPUs is 2x faster.", ["CPU"]),
        ("We offload weights to CPU memory and get 2x throughput on an A100.", ["A100"]),
        ("CPU-GPU transfers dominate; on an A100 we are 2x faster.", ["A100"]),
        ("The kernels run on x86 platforms and are 1.7x faster.", ["CPU"]),
        ("An FPGA accelerator achieves 3x lower latency.", ["FPGA"]),
        ("Chips have DSP, FPGA, GPU resources; our scheduler is 2x faster.", []),
        ("It adapts to interconnects such as Huawei Ascend and is 2x faster on H100.", ["H100"]),
    ],
)
def test_device_classes_only_when_the_work_runs_on_them(text, expected):
    assert out(text)["hardware"] == expected


def test_an_architecture_counts_only_without_a_model():
    assert out("On Hopper GPUs the kernel is 1.4x faster.")["hardware"] == ["Hopper"]
    assert out("On Hopper GPUs such as the H100 the kernel is 1.4x faster.")["hardware"] == ["H100"]


def test_a_device_only_used_as_baseline_is_not_the_papers():
    assert out("Our FPGA design is 6x more energy-efficient than an A100.")["hardware"] == ["FPGA"]


def test_an_unknown_device_is_kept_as_written_and_flagged():
    found = out("On a Tenstorrent Wormhole n300 card and an Alveo U50 it is 2x faster.")
    assert "Alveo U50" in found["hardware"] and found["hardware_unknown"] == ["Alveo U50"]
