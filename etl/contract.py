"""The output object of the extract contract (README: `claimboard extract`), one per paper.

`claimboard extract` writes it and `claimboard eval` scores it, so both read the same fields.
"""

from __future__ import annotations

from typing import Any

from etl import normalise
from etl.extract import RecordExtraction


def record_to_output(paper_id: Any, rec: RecordExtraction) -> dict[str, Any]:
    """The contract's output object for one paper."""
    hardware = [normalise.hardware_family(raw) for raw in rec.hardware_raw]
    return {
        "id": paper_id,
        "system": rec.system,
        "is_systems": rec.is_systems,
        "model_sizes": [float(s) for s in rec.model_sizes],
        "gpu_counts": [int(n) for n in rec.gpu_counts],
        "hardware": list(dict.fromkeys(h for h in hardware if h)),
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
                "qualifier": c.qualifier,
                "confidence": c.confidence,
            }
            for c in rec.claims
        ],
    }


def empty_output(paper_id: Any = None) -> dict[str, Any]:
    return record_to_output(paper_id, RecordExtraction())
