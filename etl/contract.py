"""The output object of the extract contract (README: `claimboard extract`), one per paper.

`claimboard extract` writes it and `claimboard eval` scores it, so both read the same fields.
"""

from __future__ import annotations

from typing import Any

from etl import normalise
from etl.extract import RecordExtraction


def record_to_output(paper_id: Any, rec: RecordExtraction) -> dict[str, Any]:
    """The contract's output object for one paper."""
    hardware = [normalise.hardware_family(raw) or (raw if normalise.device_shaped(raw) else None)
                for raw in rec.hardware_raw]
    return {
        "id": paper_id,
        "system": rec.system,
        "is_systems": rec.is_systems,
        "model_sizes": [float(s) for s in rec.model_sizes],
        "gpu_counts": [int(n) for n in rec.gpu_counts],
        # a device the registry does not know is kept as written, and flagged in hardware_unknown
        "hardware": list(dict.fromkeys(h for h in hardware if h)),
        "hardware_unknown": list(dict.fromkeys(
            raw for raw in rec.hardware_raw if not normalise.hardware_family(raw) and normalise.device_shaped(raw)
        )),
        "claims": [
            {
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "low": c.low,
                "high": c.high,
                "unit": c.unit,
                "metric": c.metric,
                "better": c.better,
                "multiplier": c.multiplier,
                "baseline": c.baseline_raw,
                "baseline_canonical": normalise.canonical_baseline(c.baseline_raw),
                "baselines": normalise.canonical_baselines(c.baseline_raw),
                "qualifier": c.qualifier,
                "confidence": c.confidence,
                **claim_setting(c),
            }
            for c in rec.claims
        ],
    }


def claim_setting(c) -> dict[str, Any]:
    """The claim's effective setting (GUIDE section 4) in the contract's shape."""
    hardware = [normalise.hardware_family(raw) or (raw if normalise.device_shaped(raw) else None)
                for raw in c.hardware_raw]
    return {
        "model_sizes": [float(s) for s in c.model_sizes],
        "gpu_counts": [int(n) for n in c.gpu_counts],
        "hardware": list(dict.fromkeys(h for h in hardware if h)),
        "setting_from": {"model_sizes": c.model_sizes_from, "gpu_counts": c.gpu_counts_from, "hardware": c.hardware_from},
    }


def empty_output(paper_id: Any = None) -> dict[str, Any]:
    return record_to_output(paper_id, RecordExtraction())
