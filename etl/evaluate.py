"""Scoring extraction against a gold JSONL (GUIDE.md format); `claimboard eval` runs it.

Claims match on paper id + `high` + `unit`, greedily one-to-one; matched pairs are then
compared field by field. Paper facts are scored as micro set-F1 over all papers.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MULTIPLIER_REL_TOL = 0.01
HOLDOUT_BUCKETS = 3  # of 10: ~30% of papers are held out from rule tuning


# ───────────────────────────── pure scoring ─────────────────────────────


def normalise_baseline(text: str | None) -> str | None:
    """Lower-case, collapse whitespace, strip a leading 'the ' and trailing punctuation."""
    if text is None:
        return None
    t = " ".join(text.lower().split())
    t = re.sub(r"^the\s+", "", t)
    t = t.rstrip(" .,;:!?")
    return t or None


def same_value(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def multiplier_ok(gold: float, pred: float) -> bool:
    return math.isclose(float(gold), float(pred), rel_tol=MULTIPLIER_REL_TOL)


def match_claims(gold: list[dict], pred: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """Greedy one-to-one pairs on (high, unit); returns (pairs, unmatched gold, unmatched pred)."""
    free = list(pred)
    pairs, missed = [], []
    for g in gold:
        hit = next((p for p in free if p["unit"] == g["unit"] and same_value(p["high"], g["high"])), None)
        if hit is None:
            missed.append(g)
        else:
            free.remove(hit)
            pairs.append((g, hit))
    return pairs, missed, free


@dataclass
class Score:
    """Counts behind one precision/recall/F1 figure."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += int(ok)
        self.total += 1

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0


@dataclass
class Report:
    papers: int = 0
    claims: Score = field(default_factory=Score)
    metric: Accuracy = field(default_factory=Accuracy)
    baseline: Accuracy = field(default_factory=Accuracy)
    multiplier: Accuracy = field(default_factory=Accuracy)
    model_sizes: Score = field(default_factory=Score)
    gpu_counts: Score = field(default_factory=Score)
    hardware: Score = field(default_factory=Score)
    is_systems: Accuracy = field(default_factory=Accuracy)
    system: Accuracy = field(default_factory=Accuracy)
    # per-claim effective setting on matched claims (GUIDE section 4): F1 over (claim, value) pairs
    claim_model_sizes: Score = field(default_factory=Score)
    claim_gpu_counts: Score = field(default_factory=Score)
    claim_hardware: Score = field(default_factory=Score)
    setting: Accuracy = field(default_factory=Accuracy)  # matched claims whose whole setting is right
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def score(s: Score) -> dict[str, float]:
            return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn}

        def acc(a: Accuracy) -> dict[str, float]:
            return {"accuracy": a.value, "right": a.right, "total": a.total}

        return {
            "papers": self.papers,
            "claims": score(self.claims),
            "metric": acc(self.metric),
            "baseline": acc(self.baseline),
            "multiplier": acc(self.multiplier),
            "model_sizes": score(self.model_sizes),
            "gpu_counts": score(self.gpu_counts),
            "hardware": score(self.hardware),
            "is_systems": acc(self.is_systems),
            "system": acc(self.system),
            "claim_model_sizes": score(self.claim_model_sizes),
            "claim_gpu_counts": score(self.claim_gpu_counts),
            "claim_hardware": score(self.claim_hardware),
            "setting": acc(self.setting),
        }


def set_counts(gold: Iterable, pred: Iterable, key: Callable[[Any], Any] = lambda v: v) -> tuple[int, int, int]:
    g, p = {key(v) for v in gold}, {key(v) for v in pred}
    return len(g & p), len(p - g), len(g - p)


def _size_key(v: float) -> float:
    return float(f"{float(v):.3g}")


def _hardware_key(v: str) -> str:
    """Spelling-insensitive: "TPUv3" is "TPU v3", "ARM Cortex-A72" is "ARM-Cortex A72"."""
    return re.sub(r"[\s_-]+", "", v.lower())


def _system_key(v: str | None) -> str | None:
    return " ".join(v.lower().split()) if v else None


SETTING_FIELDS = (("model_sizes", _size_key), ("gpu_counts", int), ("hardware", _hardware_key))


def gold_effective_setting(claim: dict, paper: dict) -> dict[str, list]:
    """GUIDE section 4: per field, the claim's own values, else the paper's value when the
    paper-level list holds exactly one, else empty."""
    out = {}
    for name, key in SETTING_FIELDS:
        own = claim.get(name) or []
        paper_values = list(dict.fromkeys(key(v) for v in paper.get(name) or []))
        out[name] = list(own) if own else (list(paper.get(name)) if len(paper_values) == 1 else [])
    return out


def score_setting(report: Report, pid: str, pairs: list[tuple[dict, dict]], gold: dict) -> None:
    """Per-claim setting of matched claims: (claim, value) pair counts per field, whole-setting accuracy."""
    for g, p in pairs:
        expected, whole = gold_effective_setting(g, gold), True
        for name, key in SETTING_FIELDS:
            counts = set_counts(expected[name], p.get(name) or [], key)
            getattr(report, f"claim_{name}").add(*counts)
            if counts[1] or counts[2]:
                whole = False
                report.errors.append(f"{pid} setting {name} {g['text']!r}: gold={expected[name]} pred={p.get(name)}")
        report.setting.add(whole)


def score_paper(report: Report, gold: dict, pred: dict) -> None:
    """Add one paper's comparison to the report (and its errors, for --errors)."""
    pid = gold["id"]
    report.papers += 1
    pairs, missed, spurious = match_claims(gold.get("claims", []), pred.get("claims", []))
    report.claims.add(len(pairs), len(spurious), len(missed))
    report.errors += [f"{pid} FN {g['text']!r} {g['metric']} baseline={g['baseline']!r}" for g in missed]
    report.errors += [f"{pid} FP {p['text']!r} {p['metric']} baseline={p['baseline']!r}" for p in spurious]
    for g, p in pairs:
        checks = {
            "metric": g["metric"] == p["metric"],
            "baseline": normalise_baseline(g["baseline"]) == normalise_baseline(p["baseline"]),
            "multiplier": multiplier_ok(g["multiplier"], p["multiplier"]),
        }
        for name, ok in checks.items():
            getattr(report, name).add(ok)
            if not ok:
                report.errors.append(f"{pid} {name} {g['text']!r}: gold={g[name]!r} pred={p[name]!r}")
    score_setting(report, pid, pairs, gold)
    for name, key in (("model_sizes", _size_key), ("gpu_counts", int), ("hardware", _hardware_key)):
        counts = set_counts(gold.get(name, []), pred.get(name, []), key)
        getattr(report, name).add(*counts)
        if counts[1] or counts[2]:
            report.errors.append(f"{pid} {name}: gold={gold.get(name)} pred={pred.get(name)}")
    report.is_systems.add(bool(gold.get("is_systems")) == bool(pred.get("is_systems")))
    if bool(gold.get("is_systems")) != bool(pred.get("is_systems")):
        report.errors.append(f"{pid} is_systems: gold={gold.get('is_systems')} pred={pred.get('is_systems')}")
    ok = _system_key(gold.get("system")) == _system_key(pred.get("system"))
    report.system.add(ok)
    if not ok:
        report.errors.append(f"{pid} system: gold={gold.get('system')!r} pred={pred.get('system')!r}")


def evaluate(gold: list[dict], pred: list[dict]) -> Report:
    """Score predictions (by id) against gold; a paper without a prediction scores as empty."""
    by_id = {p.get("id"): p for p in pred}
    report = Report()
    for g in gold:
        score_paper(report, g, by_id.get(g["id"], {}))
    return report


def in_holdout(paper_id: str) -> bool:
    """Stable 30% held-out split by id hash (never used to tune rules)."""
    return int(hashlib.sha1(paper_id.encode()).hexdigest(), 16) % 10 < HOLDOUT_BUCKETS


def select_subset(gold: list[dict], subset: str) -> list[dict]:
    if subset == "all":
        return gold
    return [g for g in gold if in_holdout(g["id"]) == (subset == "holdout")]


def predict(gold: list[dict]) -> list[dict]:
    """Run the extractor on the gold's own titles and abstracts."""
    import polars as pl

    from etl.extract import extract_records
    from etl.contract import record_to_output

    papers = pl.DataFrame(
        {"paper_id": [str(i) for i in range(len(gold))], "title": [g.get("title", "") for g in gold],
         "abstract": [g.get("abstract", "") for g in gold]}
    )
    return [record_to_output(g["id"], rec) for g, rec in zip(gold, extract_records(papers))]


def load_jsonl(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
