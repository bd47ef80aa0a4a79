"""The alias registry: raw mentions onto canonical names, never forced onto a wrong one."""

import re
import tomllib

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.normalise import (
    REGISTRY_PATH,
    baseline_class,
    canonical_baseline,
    claim_id,
    claim_ids,
    hardware_canonical,
    hardware_family,
    join_columns,
    mention_key,
    model_families,
    normalise_claims,
    normalise_facts,
    paper_models,
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("vLLM", "vLLM"),
        ("the vLLM serving system", "vLLM"),
        ("Huggingface Accelerate", "Hugging Face Accelerate"),
        ("Megatron LM", "Megatron-LM"),
        ("megatron-lm", "Megatron-LM"),
        ("DeepSpeed-Zero-Inference", "DeepSpeed-Inference"),
        ("NVIDIA's CUTLASS", "CUTLASS"),
        ("FlashAttention2-based Transformers", "FlashAttention-2"),
        ("FlashAttention", "FlashAttention"),
        ("TensorRT-LLM", "TensorRT-LLM"),
        ("TensorRT", "TensorRT"),
        ("Deepspeed", "DeepSpeed"),  # case typo
    ],
)
def test_known_baselines_are_canonicalised(raw, canonical):
    assert canonical_baseline(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["the baseline", "existing works", "vLLMX-like prototype systems", "", "   ", None],
)
def test_unknown_baselines_stay_null(raw):
    assert canonical_baseline(raw) is None


@pytest.mark.parametrize("raw", ["the state-of-the-art", "state-of-the-art (SOTA) techniques"])
def test_the_state_of_the_art_is_one_generic_baseline(raw):
    # issue 11: a generic baseline is canonical too, with the class "generic" (the Baselines view separates it)
    assert canonical_baseline(raw) == "the state of the art"


@pytest.mark.parametrize(
    ("raw", "family", "canonical"),
    [
        ("A100-80GB-SXM4", "A100", "A100 80GB"),
        ("NVIDIA A100 40GB GPUs", "A100", "A100 40GB"),
        ("A100", "A100", "A100"),  # no variant stated: family only
        ("H100 SXM5", "H100", "H100 SXM"),
        ("H100 PCIe", "H100", "H100 PCIe"),
        ("V100", "V100", "V100"),
        ("V100S", "V100S", "V100S"),  # a different device, not a V100 variant
        ("Nvidia 4090", "RTX 4090", "RTX 4090"),
        ("TPUv4", "TPU v4", "TPU v4"),
        ("TPU v3", "TPU v3", "TPU v3"),
        ("MI250X", "MI250X", "MI250X"),
        ("MI250", "MI250", "MI250"),
    ],
)
def test_hardware_keeps_variants_apart(raw, family, canonical):
    assert hardware_family(raw) == family
    assert hardware_canonical(raw) == canonical


@pytest.mark.parametrize("raw", ["GPU", "GPUs", "Tenstorrent Wormhole n300 (unknown to the registry)", "A900"])
def test_unknown_hardware_is_not_forced(raw):
    assert hardware_family(raw) is None


def test_model_families_are_case_sensitive_and_ordered():
    text = "We evaluate LLaMA2-7B, Llama-3 and OPT-66B; we opt for Mixtral 8x7B."
    assert model_families(text) == ["LLaMA 2", "LLaMA 3", "OPT", "Mixtral"]


def test_mention_key_folds_spelling():
    assert mention_key("The Megatron_LM ") == mention_key("megatron-lm") == "megatron lm"


def test_claim_id_is_stable_and_distinct():
    assert claim_id("p1", 10, "2x") == claim_id("p1", 10, "2x")
    assert len({claim_id("p1", 10, "2x"), claim_id("p1", 11, "2x"), claim_id("p2", 10, "2x")}) == 3


def _facts_raw():
    return pl.DataFrame(
        {
            "paper_id": ["p1", "p2"],
            "system": ["Fast", None],
            "is_systems": [True, False],
            "model_sizes": [[7e9, 7e10], []],
            "gpu_counts": [[8, 1], []],
            "hardware_raw": [["A100-80GB", "GPU-less"], []],
        },
        schema_overrides={"model_sizes": pl.List(pl.Float64), "gpu_counts": pl.List(pl.Int64),
                          "hardware_raw": pl.List(pl.Utf8)},
    )


def test_normalise_facts_sets_shared_axes():
    papers = pl.DataFrame({"paper_id": ["p1", "p2"], "abstract": ["LLaMA2-70B on A100s", "no models"]})
    facts = normalise_facts(_facts_raw(), papers)
    p1, p2 = facts.sort("paper_id").iter_rows(named=True)
    assert p1["model_size_params"] == 7e10 and p1["gpu_count"] == 8
    assert p1["hardware"] == ["A100 80GB"] and p1["hardware_family"] == ["A100"]
    assert p1["hardware_primary"] == "A100 80GB" and p1["models"] == ["LLaMA 2"]
    assert p2["model_size_params"] is None and p2["gpu_count"] is None and p2["hardware"] == []


def test_normalise_claims_adds_ids_baselines_and_axes():
    claims_raw = pl.DataFrame(
        {"paper_id": ["p1", "p2"], "start": [3, 5], "text": ["2x", "30%"], "baseline_raw": ["vLLM", "PEFT and vLLM"],
         # each claim's own effective setting comes from the extractor (etl.setting), never a paper-wide copy
         "model_sizes": [[], [7e9, 7e10]], "gpu_counts": [[8], []], "hardware_raw": [["A100-80GB"], []],
         "model_sizes_from": [None, "claim"], "gpu_counts_from": ["paper", None], "hardware_from": ["claim", None]},
        schema_overrides={"gpu_counts": pl.List(pl.Int64), "model_sizes": pl.List(pl.Float64),
                          "hardware_raw": pl.List(pl.Utf8)},
    )
    claims = normalise_claims(claims_raw).sort("paper_id")
    assert claims.columns[0] == "claim_id"
    assert claims["baseline"].to_list() == ["vLLM", "Hugging Face PEFT"]  # the first name it finds
    assert claims["baselines"].to_list() == [["vLLM"], ["Hugging Face PEFT", "vLLM"]]
    assert claims["baseline_raw"].to_list() == ["vLLM", "PEFT and vLLM"]
    assert claims["gpu_counts"].to_list() == [[8], []]
    assert claims["hardware"].to_list() == [["A100 80GB"], []]  # the claim's canonical devices, a list
    assert claims["model_sizes"].to_list() == [[], [7e9, 7e10]]  # every size the claim was measured at
    assert claims["hardware_from"].to_list() == ["claim", None]
    # each canonical baseline has its kind, in the same order; no scalar copies of the setting
    assert claims["baseline_kinds"].to_list() == [["system"], [baseline_class("Hugging Face PEFT"), "system"]]
    assert not {"model_size_params", "gpu_count", "hardware_list"} & set(claims.columns)


def test_normalise_claims_without_setting_columns_gives_unknown_settings():
    claims_raw = pl.DataFrame({"paper_id": ["p1"], "start": [3], "text": ["2x"], "baseline_raw": [None]},
                              schema_overrides={"baseline_raw": pl.Utf8})
    claims = normalise_claims(claims_raw)
    row = claims.row(0, named=True)
    assert {k: row[k] for k in ("hardware", "gpu_counts", "baselines", "baseline_kinds", "gpu_counts_from")} == {
        "hardware": [], "gpu_counts": [], "baselines": [], "baseline_kinds": [], "gpu_counts_from": None}


# ------------------------------------------------- the vectorised paths equal the per-row ones

TRICKY_TEXTS = [
    "OPT OPT, LLaMA-1x Qwen25 Flan-T5 éOPT _OPT 2OPT Mixtral 8x7B.",
    "We use Qwen2",  # a mention at the very end of the text
    "ends with OPT", "xOPT ", "OPTéLLaMA and ²BERT", "Llama-3.1 and GPT3", "", "nothing here",
    "Vision Transformer; ViT-B", "Gemma 2 and Gemma-2 then Qwen2x", "ⒶBERT and \u0301Falcon",
    "“Qwen2” — Mistral",
    "日本Gemma and ٣Vicuna", "‿ViT", "Phi4-mini, Phi-3-mini", "LLaMA-1", "Qwen25",
]


def _models_per_row(texts: list[str]) -> list[list[str]]:
    papers = pl.DataFrame({"paper_id": [str(i) for i in range(len(texts))], "abstract": texts})
    return paper_models(papers)["models"].to_list()


def test_paper_models_equals_model_families_on_tricky_texts():
    assert _models_per_row(TRICKY_TEXTS) == [model_families(t) for t in TRICKY_TEXTS]


_ALIASES = sorted({a for m in tomllib.loads(REGISTRY_PATH.read_text())["model"] for a in [m["name"], *m["aliases"]]})
# separators, word characters (ASCII and not) and marks that \w and the ASCII boundary see differently
_AROUND = [" ", "", "-", ".", ",", "_", "x", "s", "1", "2", ".5", "é", "²", "Ⓐ", "\u0301", "日", "—", "’", "Ⅻ", "٣",
           "‿"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_ALIASES + _AROUND), max_size=12).map("".join), min_size=1, max_size=30))
def test_paper_models_equals_model_families_on_generated_texts(texts):
    assert _models_per_row(texts) == [model_families(t) for t in texts]


def test_non_ascii_word_characters_are_letters_or_digits():
    """model_trigger relies on it: every non-ASCII character re's \\w matches is a Unicode letter or digit."""
    chars = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    words = pl.Series(re.findall(r"\w", chars))
    assert words.str.contains(r"^[\p{L}\p{N}]$").all()


def test_claim_ids_equal_claim_id_per_row():
    frame = pl.DataFrame(
        {"paper_id": ["p1", "p1", "p2", "ünï", None], "start": [3, 4, 3, 0, 7],
         "text": ["2x", "2x", "2x", "×3", None]}
    )
    expected = [claim_id(p, s, t) for p, s, t in frame.iter_rows()]
    assert claim_ids(frame).to_list() == expected


def test_one_number_stating_two_metrics_gives_two_distinct_claim_ids():
    """'reduces latency and energy by 20%-50%' is two claims at one place: both must pass the
    uniqueness check (they were both quarantined as duplicates), the first keeping the plain id."""
    frame = pl.DataFrame({"paper_id": ["p1", "p1", "p1"], "start": [3, 3, 9], "text": ["20%", "20%", "2x"],
                          "metric": ["latency", "energy", "speedup"]})
    ids = claim_ids(frame).to_list()
    assert len(set(ids)) == 3
    assert ids[0] == claim_id("p1", 3, "20%") and ids[2] == claim_id("p1", 9, "2x")


def test_models_follow_paper_ids_when_facts_are_not_in_paper_order():
    """Not one facts row per paper in order: by id, the last paper of an id wins, an unknown id has none."""
    papers = pl.DataFrame({"paper_id": ["a", "b", "a"], "abstract": ["OPT here", "BERT here", "GPT-3 here"]})
    facts_raw = _facts_raw().with_columns(paper_id=pl.Series(["b", "a"]))
    facts_raw = pl.concat([facts_raw, facts_raw.head(1).with_columns(paper_id=pl.lit("zzz"))])
    assert normalise_facts(facts_raw, papers)["models"].to_list() == [["BERT"], ["GPT-3"], []]


@pytest.mark.parametrize("how", ["left", "inner"])
def test_join_columns_equals_the_join(how):
    left = pl.DataFrame({"k": ["a", "b", None, "c", "a", "x"], "v": [1, 2, 3, 4, 5, 6], "s": list("uvwxyz")})
    right = pl.DataFrame({"k": ["c", "a", "a", None, "b"], "w": [10.0, 20.0, 30.0, 40.0, 50.0]})
    assert join_columns(left, right, "k", how).equals(left.join(right, on="k", how=how))
    assert join_columns(left, left, "k", how) is None  # clashing names: the caller joins itself
