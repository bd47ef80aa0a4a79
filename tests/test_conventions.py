"""Conventions set (issue 11): short sentences written from the annotation GUIDE,
one phrasing class per line, each with a partial expectation (see fixtures/CONVENTIONS.md).

Runs the extractor once through the stable contract (`claimboard extract`) and
checks every line; failures are reported grouped by phrasing class.
"""
from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "conventions.jsonl"
REL = 0.01  # relative tolerance for floats and model sizes
VENDORS = ("nvidia", "amd", "intel", "google", "aws", "amazon", "graphcore", "groq",
           "sambanova", "huawei", "geforce")


def load_lines() -> list[dict]:
    return [json.loads(l) for l in FIXTURE.read_text(encoding="utf-8").splitlines() if l.strip()]


@functools.lru_cache(maxsize=1)
def run_extractor() -> tuple[dict, ...]:
    """One `extract` run over all lines (cached for the session)."""
    lines = load_lines()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps({"id": l["id"], "title": l.get("title", ""),
                                           "abstract": l["text"]}) + "\n" for l in lines),
                       encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "etl.cli", "extract", "--in", str(src),
                               "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"extract failed ({proc.returncode}): {proc.stderr[-2000:]}")
        rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines() if l.strip()]
    if len(rows) != len(lines):
        raise RuntimeError(f"extract wrote {len(rows)} lines for {len(lines)} inputs")
    return tuple(rows)


# ---- normalisation -------------------------------------------------------------------
def close(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) <= REL * max(abs(float(a)), abs(float(b)), 1e-12)
    except (TypeError, ValueError):
        return False


def same_sizes(exp, got) -> bool:
    exp, got = sorted(exp or []), sorted(float(g) for g in (got or []))
    return len(exp) == len(got) and all(close(e, g) for e, g in zip(exp, got))


def hw_key(name: str) -> str:
    words = str(name).lower().split()
    while len(words) > 1 and words[0] in VENDORS:
        words = words[1:]
    return re.sub(r"[\s\-_]", "", "".join(words))


def same_hw(exp, got) -> bool:
    return {hw_key(h) for h in exp or []} == {hw_key(h) for h in got or []}


def base_key(name: str) -> str:
    s = re.sub(r"['’]s\b", "", str(name).lower().strip())
    s = re.sub(r"^the\s+", "", s)
    return " ".join(re.sub(r"[-_]", " ", s).split())


def base_match(a: str, b: str) -> bool:
    """As written vs canonical: equal, or one is a whole-word part of the other."""
    a, b = base_key(a), base_key(b)
    return a == b or bool(a and b and (re.search(rf"\b{re.escape(a)}\b", b)
                                       or re.search(rf"\b{re.escape(b)}\b", a)))


def predicted_baselines(claim: dict) -> list[str]:
    if isinstance(claim.get("baselines"), list):
        return [b for b in claim["baselines"] if b]
    return [claim["baseline"]] if claim.get("baseline") else []


def same_baselines(exp, got) -> bool:
    return (len(exp) == len(got) and all(any(base_match(e, g) for g in got) for e in exp)
            and all(any(base_match(e, g) for e in exp) for g in got))


def text_key(t) -> str:
    return re.sub(r"\s+", "", str(t).lower().replace("×", "x"))


# ---- comparison --------------------------------------------------------------------------
def fmt(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def compare_field(field: str, exp, got: dict, where: str) -> str | None:
    if field not in got:
        return f"{where} {field}: expected {fmt(exp)}, got <missing field>"
    g = got[field]
    ok = {
        "model_sizes": lambda: same_sizes(exp, g),
        "gpu_counts": lambda: same_sizes(exp, g),
        "hardware": lambda: same_hw(exp, g),
        "high": lambda: close(exp, g), "low": lambda: close(exp, g),
        "multiplier": lambda: close(exp, g),
        "text": lambda: text_key(exp) == text_key(g),
        "metric": lambda: exp == g, "unit": lambda: exp == g,
        "better": lambda: exp == g, "qualifier": lambda: exp == g,
    }[field]()
    return None if ok else f"{where} {field}: expected {fmt(exp)}, got {fmt(g)}"


def match_claims(expected: list[dict], predicted: list[dict]):
    """Pair expected with predicted claims by (unit, high); break ties by metric."""
    free, pairs, missing = list(range(len(predicted))), [], []
    for e in expected:
        cands = [i for i in free if predicted[i].get("unit") == e["unit"]
                 and isinstance(predicted[i].get("high"), (int, float))
                 and abs(predicted[i]["high"] - e["high"]) <= 1e-6 * abs(e["high"])]
        pick = [i for i in cands if predicted[i].get("metric") == e.get("metric")] or cands
        if pick:
            pairs.append((e, predicted[pick[0]]))
            free.remove(pick[0])
        else:
            missing.append(e)
    return pairs, missing, [predicted[i] for i in free]


def line_failures(line: dict, got: dict) -> list[str]:
    lid, exp, out = line["id"], line["expect"], []
    for field in ("model_sizes", "gpu_counts", "hardware"):
        if field in exp:
            msg = compare_field(field, exp[field], got, f"{lid} paper")
            out += [msg] if msg else []
    claims = got.get("claims") or []
    if "n_claims" in exp and len(claims) != exp["n_claims"]:
        out.append(f"{lid} n_claims: expected {exp['n_claims']}, got {len(claims)}")
    if "claims" in exp:
        pairs, missing, spurious = match_claims(exp["claims"], claims)
        out += [f"{lid} claims: missing {fmt(e)}" for e in missing]
        out += [f"{lid} claims: spurious {fmt({k: c.get(k) for k in ('text', 'unit', 'high', 'metric')})}"
                for c in spurious]
        for e, c in pairs:
            where = f"{lid} claim {e['unit']}{e['high']:g}"
            for field, value in e.items():
                if field in ("unit", "high"):
                    continue
                if field == "baselines":
                    got_b = predicted_baselines(c)
                    if not same_baselines(value, got_b):
                        out.append(f"{where} baselines: expected {fmt(value)}, got {fmt(got_b)}")
                    continue
                msg = compare_field(field, value, c, where)
                out += [msg] if msg else []
    return out


def conventions_failures() -> dict[str, list[str]]:
    """class -> failure messages (line id, field, expected, got)."""
    failures: dict[str, list[str]] = defaultdict(list)
    for line, got in zip(load_lines(), run_extractor()):
        if got.get("id") not in (None, line["id"]):
            failures[line["class"]].append(f"{line['id']}: output line has id {got.get('id')}")
            continue
        failures[line["class"]] += line_failures(line, got)
    return {k: v for k, v in failures.items() if v}


def summary_table() -> str:
    lines, failures = load_lines(), conventions_failures()
    rows = []
    for cls in sorted({l["class"] for l in lines}):
        ids = [l["id"] for l in lines if l["class"] == cls]
        bad = {m.split()[0].rstrip(":") for m in failures.get(cls, [])}
        rows.append((cls, len(ids), len(bad)))
    rows.append(("TOTAL", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    return "\n".join([f"{'class':<14}{'lines':>7}{'failing':>9}"]
                     + [f"{c:<14}{n:>7}{b:>9}" for c, n, b in rows])


def test_every_convention_holds():
    failures = conventions_failures()
    report = "\n".join(f"[{cls}] {len(msgs)} failure(s)\n  " + "\n  ".join(msgs)
                       for cls, msgs in sorted(failures.items()))
    assert not failures, "conventions failing by class:\n" + report


if __name__ == "__main__":
    failures = conventions_failures()
    for cls, msgs in sorted(failures.items()):
        print(f"[{cls}] {len(msgs)} failure(s)")
        for m in msgs:
            print("  " + m)
    print()
    print(summary_table())
