"""ClaimBoard's extractor against a peer, quantulum3, side by side in one run on the same abstracts.

Speed: abstracts/s of ClaimBoard's frame-level extractor (``etl.extract.extract_claims`` on a
Polars frame, the call the ETL makes) and of quantulum3 (``quantulum3.parser.parse`` once per
abstract), and their ratio, on two sets of abstracts:

* gold: the dev gold's abstracts (tests/fixtures/gold_dev.jsonl). quantulum3 parses each once;
  ClaimBoard gets one frame of the gold repeated --gold-repeat times (240 abstracts take it
  milliseconds, too short to time).
* synthetic: a corpus from bench/corpus.py (--synthetic 10k, all of it JSONL). ClaimBoard runs on
  all of it, quantulum3 on a fixed random sample (--peer-sample) of the same abstracts. This is
  the headline ratio: distinct abstracts, the case the ETL meets.

Quality: claim precision / recall / F1 of each on the dev gold, scored by etl.evaluate (its
``evaluate``: claims match on paper + ``high`` + ``unit``, greedily one to one), as
``claimboard eval`` does. quantulum3's claims are the quantities it returns with a multiplier or
percent unit (the QUANTULUM3 CLAIMS comment in this file has the mapping).

quantulum3 iterates over sets when it resolves ambiguous units, so its output depends on the hash
seed: without a fixed PYTHONHASHSEED this script re-executes itself with PYTHONHASHSEED=0.
quantulum3 and scikit-learn come from the `bench` extra: pip install -e ".[bench]".

examples:
  python bench/peer_bench.py --quick                  # ~1 min: synthetic 2k, quantulum3 on gold + 60 of it
  python bench/peer_bench.py                          # ~2 min: synthetic 10k, quantulum3 on gold + 300 of it
  python bench/peer_bench.py --synthetic 0            # gold only
  python bench/peer_bench.py --seed-check --json /tmp/peer.json   # also rerun quantulum3 under seed 1
  python bench/peer_bench.py --baseline 3ae8245       # also time an older ClaimBoard on the same synthetic abstracts
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import subprocess
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_GOLD = ROOT / "tests" / "fixtures" / "gold_dev.jsonl"
REEXEC_MARK = "CLAIMBOARD_PEER_BENCH_REEXEC"
FIXED_SEED = "0"
TARGET_RATIO = 1000.0

# ───────────────────────────── QUANTULUM3 CLAIMS ─────────────────────────────
# quantulum3 (0.10.0) has no "multiplier" unit. What its parse() returns for the spellings in
# GUIDE.md (looked at on the dev gold):
#   "2.1x", "2.1×", "1.95X", "2.1 x", "2-4×"  -> unit 'dimensionless', surface ends in x/X/×
#        (a bare number, "2,048" or "two", is also 'dimensionless', so the surface decides)
#   "3 times", "6.0times", "41-137times"     -> unit 'count' (surfaces instance/time/count), surface has "times"
#   "45%", "45 percent", "30 %"              -> unit 'percentage'
#   "10-fold"        -> '10', 'dimensionless', no marker in the surface: not a claim
#   "$2\times$"      -> '$2', unit 'dollar': not a claim
#   "an order of magnitude", "doubles", "twice", "halves" -> nothing, or a bare 'dimensionless'
#        number ('half' = 0.5): not a claim
# A range comes back as one quantity: value = midpoint, uncertainty = half-width; so
# low = value - uncertainty and high = value + uncertainty ("2-4×" -> 3 ± 1 -> 2, 4).
# Every such quantity counts, repeats included (the gold annotates a repeated number once), and
# quantulum3 has no metric, baseline or multiplier: those are None / NaN, which only the field
# accuracies (not printed here) would look at.
_X_SUFFIXES = ("x", "X", "×")


def quantulum_unit(quantity: Any) -> str | None:
    """'x', '%' or None (not a claim) for one quantulum3 Quantity; the mapping above."""
    name, surface = quantity.unit.name, quantity.surface.strip()
    if name == "percentage":
        return "%"
    if name == "dimensionless" and surface.endswith(_X_SUFFIXES):
        return "x"
    if name == "count" and "times" in surface.lower():
        return "x"
    return None


def quantulum_claims(quantities: list) -> list[dict]:
    """The claim dicts (etl.evaluate's fields) of one abstract's quantulum3 quantities."""
    claims = []
    for q in quantities:
        unit = quantulum_unit(q)
        if unit is None:
            continue
        spread = float(q.uncertainty or 0.0)
        claims.append({
            "text": q.surface, "low": float(q.value) - spread, "high": float(q.value) + spread, "unit": unit,
            "metric": None, "baseline": None, "multiplier": math.nan,
        })
    return claims


# ───────────────────────────── hash seed ─────────────────────────────


def fixed_hash_seed() -> str | None:
    seed = os.environ.get("PYTHONHASHSEED", "")
    return seed if seed.isdigit() else None


def ensure_fixed_hash_seed() -> None:
    """Re-execute this script with PYTHONHASHSEED=0 unless a fixed seed is already set."""
    if fixed_hash_seed() is not None:
        return
    print(f"PYTHONHASHSEED is {os.environ.get('PYTHONHASHSEED', 'unset')!r}: quantulum3's output varies with the "
          f"hash seed, so re-running this script with PYTHONHASHSEED={FIXED_SEED}", flush=True)
    env = {**os.environ, "PYTHONHASHSEED": FIXED_SEED, REEXEC_MARK: "1"}
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], env)


# ───────────────────────────── inputs ─────────────────────────────


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_gold(path: Path) -> list[dict]:
    from etl.evaluate import load_jsonl

    return load_jsonl(path)


def synthetic_corpus(size: int, work: Path, seed: int) -> list[dict]:
    """``size`` synthetic papers from bench/corpus.py (all JSONL, cached under ``work``)."""
    from bench.corpus import write_corpus

    out = work / f"corpus-{size}-s{seed}-jsonl"
    marker = out / ".complete"
    if not marker.exists():
        t0 = time.perf_counter()
        progress(f"generating a synthetic corpus of {size:,} papers (bench/corpus.py, seed {seed}) -> {out}")
        write_corpus(size, out, seed, listing_share=0.0)
        marker.write_text("ok")
        progress(f"  generated in {time.perf_counter() - t0:.1f}s")
    papers = []
    for path in sorted(out.glob("papers-*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if isinstance(rec.get("abstract"), str) and isinstance(rec.get("title"), str):
                    papers.append({"id": f"syn-{len(papers):07d}", "title": rec["title"], "abstract": rec["abstract"]})
    return papers


def papers_frame(papers: list[dict], repeat: int = 1):
    """A Polars frame (paper_id, title, abstract), the papers repeated with distinct ids."""
    import polars as pl

    from etl.extract import RECORD_SCHEMA

    rows = [(f"{p['id']}#{r}" if repeat > 1 else p["id"], p.get("title") or "", p.get("abstract") or "")
            for r in range(repeat) for p in papers]
    return pl.DataFrame(rows, schema=RECORD_SCHEMA, orient="row")


# ───────────────────────────── ClaimBoard ─────────────────────────────


def claimboard_claims(claims_frame) -> dict[str, list[dict]]:
    """Claims per paper id, as etl.evaluate reads them, from extract_claims' frame."""
    by_id: dict[str, list[dict]] = defaultdict(list)
    for row in claims_frame.iter_rows(named=True):
        by_id[row["paper_id"]].append({
            "text": row["text"], "low": row["low"], "high": row["high"], "unit": row["unit"],
            "metric": row["metric"], "baseline": row["baseline_raw"], "multiplier": row["multiplier"],
        })
    return by_id


def time_claimboard(frame, runs: int, label: str) -> dict:
    """Best-of-``runs`` wall time of extract.extract_claims on ``frame``."""
    from etl import extract

    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        claims = extract.extract_claims(frame)
        times.append(time.perf_counter() - t0)
        progress(f"  ClaimBoard on {label}: run {i + 1}/{runs}: {frame.height:,} abstracts in {times[-1]:.3f}s "
                 f"({frame.height / times[-1]:,.0f}/s), {claims.height:,} claims")
    best = min(times)
    return {"abstracts": frame.height, "seconds": best, "runs": times, "rate": frame.height / best, "set": label}


def time_baseline(ref: str, frame, runs: int, peer_rate: float) -> dict:
    """The extractor of git ref ``ref`` on the same frame, in a fresh child process with one worker."""
    import tempfile

    from bench.baseline import baseline_tree, describe
    from bench.extract_bench import run_child

    progress(f"ClaimBoard at {ref}: extract_all on the synthetic frame…")
    with tempfile.TemporaryDirectory(prefix="peer-baseline-") as work:
        source = Path(work) / "papers.parquet"
        frame.write_parquet(source)
        old = run_child(baseline_tree(ref), source, Path(work) / "old", 1, runs)
    rate = frame.height / old["wall"]
    return {"ref": describe(ref), "rate": rate, "ratio": rate / peer_rate}


# ───────────────────────────── quantulum3 ─────────────────────────────


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def load_quantulum() -> dict:
    """Import quantulum3, load its classifier, and say how it loaded (warnings and log lines kept)."""
    handler = _Collect()
    logging.getLogger().addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            import quantulum3  # noqa: F401
            from quantulum3 import classifier, language, parser
        except ImportError as exc:
            raise SystemExit(f"quantulum3 is not installed ({exc}): pip install -e \".[bench]\"") from exc
        parser.parse("warm-up: 2.1x higher throughput and 45% less memory than a 3 GB baseline")
        clf = classifier.classifier("en_US")
        built_with = None
        if classifier.USE_CLF:
            import joblib

            with open(language.topdir("en_US").joinpath("clf.joblib"), "rb") as fh:
                built_with = joblib.load(fh).get("scikit-learn_version")
    logging.getLogger().removeHandler(handler)
    from importlib.metadata import PackageNotFoundError, version

    try:
        sklearn_version = version("scikit-learn")
    except PackageNotFoundError:
        sklearn_version = None
    return {
        "version": version("quantulum3"),
        "classifier_loaded": bool(clf.loaded),
        "classifier_built_with_sklearn": built_with,
        "sklearn": sklearn_version,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught] + handler.messages,
    }


def run_quantulum(papers: list[dict], label: str) -> tuple[dict, dict[str, list[dict]], list[list]]:
    """quantulum3.parser.parse on each abstract: timing, claims per id, raw quantities."""
    from quantulum3 import parser

    claims, raw = {}, []
    total, last = 0.0, time.perf_counter()
    for i, p in enumerate(papers, 1):
        t0 = time.perf_counter()
        quantities = parser.parse(p["abstract"])
        total += time.perf_counter() - t0
        claims[p["id"]] = quantulum_claims(quantities)
        raw.append([(q.surface, q.value, q.uncertainty, q.unit.name, list(q.span)) for q in quantities])
        if time.perf_counter() - last > 10 or i == len(papers):
            last = time.perf_counter()
            progress(f"  quantulum3 on {label}: {i}/{len(papers)} abstracts, {total:.1f}s ({i / total:.1f}/s)")
    timing = {"abstracts": len(papers), "seconds": total, "rate": len(papers) / total if total else math.nan, "set": label}
    return timing, claims, raw


def _claim_keys(claims: list[dict]) -> list[tuple]:
    return [(c["text"], round(c["high"], 9), c["unit"]) for c in claims]


def seed_check(gold_path: Path, seed: str, gold: list[dict], raw: list[list], claims: dict[str, list[dict]]) -> dict:
    """Run quantulum3 on the gold again in a child under another PYTHONHASHSEED and compare."""
    progress(f"seed check: quantulum3 on the gold again under PYTHONHASHSEED={seed} (child process)…")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_dump-quantulum", str(gold_path)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"seed-check child failed:\n{proc.stderr[-2000:]}")
    other = json.loads(proc.stdout)
    mine = json.loads(json.dumps(raw))  # tuples -> lists, as the child's JSON has them
    differ = sum(a != b for a, b in zip(mine, other["raw"]))
    claims_differ = sum(_claim_keys(claims[g["id"]]) != _claim_keys(c) for g, c in zip(gold, other["claims"]))
    score = _score(gold, {g["id"]: c for g, c in zip(gold, other["claims"])})
    return {"seed": seed, "abstracts_with_different_quantities": differ, "abstracts_with_different_claims": claims_differ,
            **score}


def dump_quantulum(gold_path: Path) -> int:
    """(internal, for --seed-check) print quantulum3's raw output and claims on the gold as JSON."""
    gold = load_gold(gold_path)
    load_quantulum()
    _, claims, raw = run_quantulum(gold, f"gold (PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED')})")
    print(json.dumps({"raw": raw, "claims": [claims[g["id"]] for g in gold]}, default=float))
    return 0


# ───────────────────────────── report ─────────────────────────────


def _rate(t: dict | None) -> str:
    return f"{t['rate']:,.1f}" if t else "-"


def print_report(res: dict) -> None:
    cb, qt = res["claimboard"], res["quantulum3"]
    print()
    print(f"peer benchmark — Python {res['python']}, polars {res['polars']}, quantulum3 {qt['version']} "
          f"(scikit-learn {qt['sklearn']}), PYTHONHASHSEED={res['hash_seed']}"
          + (" (set by this script's re-exec)" if res["reexec"] else ""))
    print(f"  ClaimBoard: etl.extract.extract_claims on one Polars frame (extractor {res['extractor_version']}, "
          f"CLAIMBOARD_EXTRACT_WORKERS={res['workers']}), best of {res['runs']} runs")
    print("  quantulum3: quantulum3.parser.parse per abstract, its multiplier/percent quantities as claims; classifier "
          + ("loaded" if qt["classifier_loaded"] else "NOT loaded (heuristic fallback)")
          + f" (clf.joblib built with scikit-learn {qt['classifier_built_with_sklearn']})")
    gold_n = res["gold_papers"]
    syn = res.get("synthetic_size")
    cols = ("extractor", f"abstracts/s gold ({gold_n})", "abstracts/s synthetic" + (f" ({syn:,})" if syn else ""),
            "P", "R", "F1", "tp", "fp", "fn")
    rows = []
    for name, r in (("ClaimBoard", cb), (f"quantulum3 {qt['version']}", qt)):
        s = r["score"]
        rows.append((name, _rate(r["speed_gold"]), _rate(r.get("speed_synthetic")),
                     f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["tp"]), str(s["fp"]), str(s["fn"])))
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))
    print()
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print()
    g = res["ratio_gold"]
    print(f"speed ratio ClaimBoard / quantulum3: gold {g:,.0f}x"
          + (f", synthetic {res['ratio_synthetic']:,.0f}x (headline)" if res.get("ratio_synthetic") else ""))
    cbg, qtg = cb["speed_gold"], qt["speed_gold"]
    print(f"  gold: ClaimBoard {cbg['abstracts']:,} abstracts (the {gold_n} gold x{res['gold_repeat']}, one frame) in {cbg['seconds']:.3f}s; quantulum3 {qtg['abstracts']} in {qtg['seconds']:.1f}s")
    if syn:
        cbs, qts = cb["speed_synthetic"], qt["speed_synthetic"]
        print(f"  synthetic: bench/corpus.py --size {syn} (seed {res['synthetic_seed']}): ClaimBoard all {cbs['abstracts']:,} "
              f"in {cbs['seconds']:.3f}s; quantulum3 a sample of {qts['abstracts']} of them in {qts['seconds']:.1f}s")
    if res.get("baseline"):
        b = res["baseline"]
        print(f"  old code ({b['ref']}): {b['rate']:,.0f} abstracts/s on the same synthetic abstracts, {b['ratio']:,.0f}x quantulum3")
    headline = res.get("ratio_synthetic") or g
    met = headline >= TARGET_RATIO and cb["score"]["f1"] > qt["score"]["f1"]
    print(f"target (>= {TARGET_RATIO:,.0f}x quantulum3's abstracts/s and a higher claim F1): "
          f"{'met' if met else 'NOT met'} ({headline:,.0f}x; F1 {cb['score']['f1']:.3f} vs {qt['score']['f1']:.3f})")
    if cb.get("eval_crosscheck"):
        c = cb["eval_crosscheck"]
        same = (c["tp"], c["fp"], c["fn"]) == (cb["score"]["tp"], cb["score"]["fp"], cb["score"]["fn"])
        print(f"cross-check: `claimboard eval` path (extract_record per paper) claim F1 {c['f1']:.3f} "
              + ("(same counts as the frame)" if same else f"(DIFFERENT: tp {c['tp']} fp {c['fp']} fn {c['fn']})"))
    if qt["warnings"]:
        print("quantulum3 warnings while loading:")
        for w in qt["warnings"]:
            print(f"  {w}")
    if res.get("seed_check"):
        sc = res["seed_check"]
        print(f"seed check: under PYTHONHASHSEED={sc['seed']} quantulum3's quantities differ on "
              f"{sc['abstracts_with_different_quantities']} of {gold_n} gold abstracts, its claims on "
              f"{sc['abstracts_with_different_claims']}; claim P/R/F1 {sc['precision']:.3f}/{sc['recall']:.3f}/{sc['f1']:.3f}")


# ───────────────────────────── main ─────────────────────────────


def _score(gold: list[dict], by_id: dict[str, list[dict]]) -> dict:
    from etl.evaluate import evaluate

    s = evaluate(gold, [{"id": g["id"], "claims": by_id.get(g["id"], [])} for g in gold]).claims
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn}


def parse_size(text: str) -> int:
    from bench.corpus import parse_size as corpus_size

    return 0 if text in ("0", "none") else corpus_size(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("Speed:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="gold JSONL (default tests/fixtures/gold_dev.jsonl)")
    parser.add_argument("--synthetic", type=parse_size, default=None, metavar="SIZE",
                        help="synthetic corpus size: 10k (default), 2k with --quick, 0 to skip")
    parser.add_argument("--synthetic-seed", type=int, default=0, help="bench/corpus.py seed (default 0)")
    parser.add_argument("--peer-sample", type=int, default=None, metavar="N",
                        help="synthetic abstracts quantulum3 parses (default 300, 60 with --quick)")
    parser.add_argument("--gold-repeat", type=int, default=None, metavar="R",
                        help="ClaimBoard's gold frame is the gold repeated R times (default 50, 10 with --quick)")
    parser.add_argument("--runs", type=int, default=None, help="ClaimBoard timing runs, best kept (default 3, 1 with --quick)")
    parser.add_argument("--workers", type=int, default=1,
                        help="CLAIMBOARD_EXTRACT_WORKERS for ClaimBoard (default 1: one process, like quantulum3)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/claimboard-bench"),
                        help="where synthetic corpora are cached (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smaller sets and one timing run (about a minute)")
    parser.add_argument("--seed-check", action="store_true",
                        help="also run quantulum3 on the gold under PYTHONHASHSEED=1 and compare")
    parser.add_argument("--baseline", metavar="REF",
                        help="also time the extractor of this git ref on the synthetic abstracts (a child process, one worker)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--_dump-quantulum", dest="dump_quantulum", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ensure_fixed_hash_seed()
    if args.dump_quantulum:
        return dump_quantulum(args.dump_quantulum)
    synthetic = args.synthetic if args.synthetic is not None else (2_000 if args.quick else 10_000)
    peer_sample = args.peer_sample if args.peer_sample is not None else (60 if args.quick else 300)
    gold_repeat = args.gold_repeat or (10 if args.quick else 50)
    runs = args.runs or (1 if args.quick else 3)
    os.environ["CLAIMBOARD_EXTRACT_WORKERS"] = str(args.workers)

    import polars as pl

    from etl import extract
    from etl.evaluate import evaluate, predict

    gold = load_gold(args.gold)
    progress(f"gold: {len(gold)} abstracts from {args.gold}")

    # ── ClaimBoard: quality on the gold (the frame path), then speed
    progress("ClaimBoard: extract_claims on the gold frame (warm-up and scoring)…")
    gold_frame = papers_frame(gold)
    cb_claims = claimboard_claims(extract.extract_claims(gold_frame))
    cb_score = _score(gold, cb_claims)
    cross = evaluate(gold, predict(gold)).claims
    cb = {"score": cb_score, "eval_crosscheck": {"f1": cross.f1, "tp": cross.tp, "fp": cross.fp, "fn": cross.fn}}
    cb["speed_gold"] = time_claimboard(papers_frame(gold, gold_repeat), runs, f"gold x{gold_repeat}")
    syn_papers: list[dict] = []
    if synthetic:
        syn_papers = synthetic_corpus(synthetic, args.work, args.synthetic_seed)
        cb["speed_synthetic"] = time_claimboard(papers_frame(syn_papers), runs, f"synthetic {synthetic:,}")

    # ── quantulum3: quality and speed on the gold, speed on a sample of the synthetic corpus
    progress("quantulum3: loading (units, entities, classifier)…")
    qt = load_quantulum()
    if not qt["classifier_loaded"]:
        progress("WARNING: quantulum3's classifier did not load: it falls back to heuristic disambiguation")
    qt["speed_gold"], qt_claims, qt_raw = run_quantulum(gold, "gold")
    qt["score"] = _score(gold, qt_claims)
    if synthetic and peer_sample:
        sample = random.Random(args.synthetic_seed).sample(syn_papers, min(peer_sample, len(syn_papers)))
        qt["speed_synthetic"], _, _ = run_quantulum(sample, f"synthetic sample of {len(sample)}")

    res = {
        "python": platform.python_version(), "polars": pl.__version__, "extractor_version": extract.EXTRACTOR_VERSION,
        "hash_seed": os.environ.get("PYTHONHASHSEED"), "reexec": os.environ.get(REEXEC_MARK) == "1",
        "workers": args.workers, "runs": runs, "gold_papers": len(gold), "gold_repeat": gold_repeat,
        "synthetic_size": synthetic or None, "synthetic_seed": args.synthetic_seed,
        "claimboard": cb, "quantulum3": qt,
        "ratio_gold": cb["speed_gold"]["rate"] / qt["speed_gold"]["rate"],
    }
    if "speed_synthetic" in cb and "speed_synthetic" in qt:
        res["ratio_synthetic"] = cb["speed_synthetic"]["rate"] / qt["speed_synthetic"]["rate"]
        if args.baseline:
            res["baseline"] = time_baseline(args.baseline, papers_frame(syn_papers), runs, qt["speed_synthetic"]["rate"])
    if args.seed_check:
        res["seed_check"] = seed_check(args.gold, "1" if res["hash_seed"] != "1" else "2", gold, qt_raw, qt_claims)
    print_report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
