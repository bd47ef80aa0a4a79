"""The output object of the extract contract (README: `claimboard extract`), one per paper.

`claimboard extract` writes it and `claimboard eval` scores it, so both read the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from etl import normalise
from etl.extract import RecordExtraction


class _Names:
    """The registry look-ups of the output, each asked once per distinct mention (one batch's
    worth: the registry can be reloaded between batches)."""

    def __init__(self) -> None:
        self._device: dict[str, str | None] = {}
        self._unknown: dict[str, bool] = {}
        self._baseline: dict[str | None, tuple[str | None, list[str]]] = {}

    def device(self, raw: str) -> str | None:
        """The device's family, or the mention as written when it reads like an unknown device."""
        try:
            return self._device[raw]
        except KeyError:
            family = normalise.hardware_family(raw)
            self._unknown[raw] = not family and normalise.device_shaped(raw)
            value = self._device[raw] = family or (raw if normalise.device_shaped(raw) else None)
            return value

    def unknown(self, raw: str) -> bool:
        self.device(raw)
        return self._unknown[raw]

    def baseline(self, raw: str | None) -> tuple[str | None, list[str]]:
        try:
            found = self._baseline[raw]
        except KeyError:
            found = self._baseline[raw] = (normalise.canonical_baseline(raw), normalise.canonical_baselines(raw))
        return found[0], list(found[1])


def record_to_output(paper_id: Any, rec: RecordExtraction, names: _Names | None = None) -> dict[str, Any]:
    """The contract's output object for one paper (``names``: look-ups shared by a batch)."""
    names = names or _Names()
    hardware = [names.device(raw) for raw in rec.hardware_raw]
    return {
        "id": paper_id,
        "system": rec.system,
        "is_systems": rec.is_systems,
        "model_sizes": [float(s) for s in rec.model_sizes],
        "gpu_counts": [int(n) for n in rec.gpu_counts],
        # a device the registry does not know is kept as written, and flagged in hardware_unknown
        "hardware": list(dict.fromkeys(h for h in hardware if h)),
        "hardware_unknown": list(dict.fromkeys(raw for raw in rec.hardware_raw if names.unknown(raw))),
        "claims": [_claim_output(c, names) for c in rec.claims],
    }


def records_to_outputs(paper_ids: list[Any], recs: list[RecordExtraction]) -> list[dict[str, Any]]:
    """record_to_output of each pair, the registry look-ups shared."""
    names = _Names()
    return [record_to_output(pid, rec, names) for pid, rec in zip(paper_ids, recs)]


def _claim_output(c, names: _Names) -> dict[str, Any]:
    canonical, baselines = names.baseline(c.baseline_raw)
    return {
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
        "baseline_canonical": canonical,
        "baselines": baselines,
        "qualifier": c.qualifier,
        "confidence": c.confidence,
        **claim_setting(c, names),
    }


def claim_setting(c, names: _Names | None = None) -> dict[str, Any]:
    """The claim's effective setting (GUIDE section 4) in the contract's shape."""
    names = names or _Names()
    hardware = [names.device(raw) for raw in c.hardware_raw]
    return {
        "model_sizes": [float(s) for s in c.model_sizes],
        "gpu_counts": [int(n) for n in c.gpu_counts],
        "hardware": list(dict.fromkeys(h for h in hardware if h)),
        "setting_from": {"model_sizes": c.model_sizes_from, "gpu_counts": c.gpu_counts_from, "hardware": c.hardware_from},
    }


def empty_output(paper_id: Any = None) -> dict[str, Any]:
    return record_to_output(paper_id, RecordExtraction())


def _claim_rows(claims, sizes_col, gpus_col) -> Iterator[tuple]:
    """(paper_id, the contract's claim fields..., the setting and where each value came from) per claim."""
    return _rows(claims.select(
        "paper_id", "text", "start", "end", "low", "high", "unit", "metric", "better", "multiplier", "baseline_raw",
        "qualifier", "confidence", sizes_col, gpus_col, "hardware_raw", "model_sizes_from", "gpu_counts_from",
        "hardware_from",
    ))


def _rows(frame) -> Iterator[tuple]:
    """frame.rows(), column by column (faster for list columns)."""
    return zip(*(series.to_list() for series in frame.get_columns()))


def frames_to_lines(paper_ids: list[Any], claims, facts) -> list[str]:
    """``json.dumps(o, ensure_ascii=False)`` of each of ``records_to_outputs(paper_ids,
    records_from_frames(claims, facts))`` (one per row of ``facts``, the frames ``extract_all``
    gave), written straight from the frames: the same text, character for character (the
    encoder's string escaping, float.__repr__ with NaN / Infinity, ", " and ": " separators, the
    keys in order), without the per-paper objects and dicts in between (tests/test_contract_fastpath.py
    compares them). A paper id that is not a string goes through json.dumps."""
    import polars as pl

    names = _Names()
    device, unknown, baseline = names.device, names.unknown, names.baseline
    sizes_col = pl.col("model_sizes").cast(pl.List(pl.Float64))
    gpus_col = pl.col("gpu_counts").cast(pl.List(pl.Int64))

    def strs(values) -> str:
        return "[" + ", ".join(map(_value, values)) + "]" if values else "[]"

    def canonical(hardware_raw: list[str]) -> str:
        return strs(dict.fromkeys(h for h in map(device, hardware_raw) if h)) if hardware_raw else "[]"

    by_paper: dict[str, list[str]] = {}
    rows = _claim_rows(claims, sizes_col, gpus_col)
    for (pid, text, start, end, low, high, unit, metric, better, multiplier, baseline_raw, qualifier, confidence,
         sizes, gpus, hardware_raw, sizes_from, gpus_from, hardware_from) in rows:
        canonical_baseline, baselines = baseline(baseline_raw)
        claim = (
            f'{{"text": {_value(text)}, "start": {_value(start)}, "end": {_value(end)}, "low": {_value(low)}, '
            f'"high": {_value(high)}, "unit": {_value(unit)}, "metric": {_value(metric)}, "better": {_value(better)}, '
            f'"multiplier": {_value(multiplier)}, "baseline": {_value(baseline_raw)}, '
            f'"baseline_canonical": {_value(canonical_baseline)}, "baselines": {strs(baselines)}, '
            f'"qualifier": {_value(qualifier)}, "confidence": {_value(confidence)}, '
            f'"model_sizes": {_floats(sizes)}, "gpu_counts": {_ints(gpus)}, "hardware": {canonical(hardware_raw)}, '
            f'"setting_from": {{"model_sizes": {_value(sizes_from)}, "gpu_counts": {_value(gpus_from)}, '
            f'"hardware": {_value(hardware_from)}}}}}'
        )
        try:
            by_paper[pid].append(claim)
        except KeyError:
            by_paper[pid] = [claim]
    rows = _rows(facts.select("paper_id", "system", "is_systems", sizes_col, gpus_col, "hardware_raw"))
    return [
        f'{{"id": {_str(paper_id) if type(paper_id) is str else _dumps(paper_id)}, "system": {_value(system)}, '
        f'"is_systems": {_value(is_systems)}, "model_sizes": {_floats(sizes)}, "gpu_counts": {_ints(gpus)}, '
        f'"hardware": {canonical(hardware_raw)}, '
        f'"hardware_unknown": {strs(dict.fromkeys(raw for raw in hardware_raw if unknown(raw))) if hardware_raw else "[]"}, '
        f'"claims": [{", ".join(by_paper.get(pid, ()))}]}}'
        for paper_id, (pid, system, is_systems, sizes, gpus, hardware_raw) in zip(paper_ids, rows)
    ]


#: the pieces of json.dumps(..., ensure_ascii=False): its string escaping, its float and int text
_str = json.encoder.encode_basestring
_dumps = json.JSONEncoder(ensure_ascii=False).encode
_INF = float("inf")


def _float(x: float) -> str:
    if x != x:
        return "NaN"
    if x == _INF:
        return "Infinity"
    if x == -_INF:
        return "-Infinity"
    return float.__repr__(x)


def _value(v: Any) -> str:
    """json.dumps(v, ensure_ascii=False) of a scalar (str, None, bool, int, float); else json.dumps."""
    kind = type(v)
    if kind is str:
        return _str(v)
    if v is None:
        return "null"
    if kind is bool:
        return "true" if v else "false"
    if kind is float:
        return _float(v)
    if kind is int:
        return int.__repr__(v)
    return _dumps(v)


def _floats(values: list[float]) -> str:
    return "[" + ", ".join(map(_float, values)) + "]" if values else "[]"


def _ints(values: list[int]) -> str:
    return "[" + ", ".join(map(int.__repr__, values)) + "]" if values else "[]"
