"""The extractor alone: papers per CPU-second in one process, papers/s with the worker pool, old
code beside new in the same run, and proof that the output stayed identical.

Three inputs, the ones issue 16 names: the dev gold's abstracts (tests/fixtures/gold_dev.jsonl),
the conventions set's sentences (tests/fixtures/conventions.jsonl, each as a one-sentence
abstract under its title) and a synthetic corpus from bench/corpus.py (--synthetic, 100k by
default). ``etl.extract.extract_all`` runs on each in a fresh child process, as the ETL calls
it: once in one process (CLAIMBOARD_EXTRACT_WORKERS=1) and, on inputs big enough for the pool,
once with --workers processes.

``--baseline REF`` runs the same on the code of a git ref (bench/baseline.py) and checks the two
outputs equal: the claims and facts frames, every column and row, in order. ``--save DIR`` /
``--compare DIR`` do the same across runs. A difference names the input, frame, column and first
differing row, and the exit status is 1.

examples:
  python bench/extract_bench.py --baseline 3ae8245                    # new beside old, identity checked
  python bench/extract_bench.py --synthetic 20k --repeat 3 --profile  # best of 3, cProfile of one run
  python bench/extract_bench.py --save /tmp/extract-before            # keep outputs for a later --compare
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402

from bench.baseline import baseline_tree, describe  # noqa: E402
from bench.corpus import generate, parse_size  # noqa: E402
from etl.extract import RECORD_SCHEMA  # noqa: E402
from etl.extract.batch import PARALLEL_MIN_ROWS  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
#: issue 16: 1M abstracts in under a minute on two cores needs about this much from one process
TARGET_PER_CPU_SECOND = 10_000

#: one timed extraction in a fresh interpreter: argv = code tree, input Parquet, output prefix,
#: workers, repeat, profile (0/1); prints the best run's wall and CPU seconds (pool included)
_CHILD = r"""
import cProfile, json, os, pstats, sys, time
code, source, out, workers, repeat, profile = sys.argv[1:7]
sys.path.insert(0, code)
os.environ["CLAIMBOARD_EXTRACT_WORKERS"] = workers
import polars as pl
import etl
from etl.extract import extract_all
papers = pl.read_parquet(source)
best = None
for _ in range(int(repeat)):
    before, t0 = os.times(), time.perf_counter()
    claims, facts = extract_all(papers)
    wall, after = time.perf_counter() - t0, os.times()
    cpu = sum(after[:4]) - sum(before[:4])
    if best is None or wall < best[0]:
        best = (wall, cpu)
claims.write_parquet(out + "-claims.parquet")
facts.write_parquet(out + "-facts.parquet")
if profile == "1":
    stats = cProfile.Profile()
    stats.runcall(extract_all, papers)
    pstats.Stats(stats, stream=sys.stderr).sort_stats("tottime").print_stats(20)
print(json.dumps({"wall": best[0], "cpu": best[1], "claims": claims.height, "code": os.path.dirname(etl.__file__)}))
"""


def gold_papers() -> pl.DataFrame:
    rows = [json.loads(line) for line in (FIXTURES / "gold_dev.jsonl").open(encoding="utf-8")]
    return pl.DataFrame([(r["id"], r["title"], r["abstract"]) for r in rows], schema=RECORD_SCHEMA, orient="row")


def conventions_papers() -> pl.DataFrame:
    rows = [json.loads(line) for line in (FIXTURES / "conventions.jsonl").open(encoding="utf-8")]
    return pl.DataFrame([(r["id"], r.get("title", ""), r["text"]) for r in rows], schema=RECORD_SCHEMA, orient="row")


def synthetic_papers(size: int, seed: int) -> pl.DataFrame:
    return pl.DataFrame(
        [(f"p{i}", r["title"], r["abstract"]) for i, r in enumerate(generate(size, seed))], schema=RECORD_SCHEMA, orient="row"
    )


def run_child(code: Path, source: Path, out: Path, workers: int, repeat: int, profile: bool = False) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(code), str(source), str(out), str(workers), str(repeat), "1" if profile else "0"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(code)},
    )
    if proc.returncode != 0:
        raise SystemExit(f"extraction with the code in {code} failed:\n{proc.stderr[-3000:]}")
    if profile:
        print(proc.stderr)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if Path(result["code"]).resolve() != (code / "etl").resolve():
        raise SystemExit(f"the child imported etl from {result['code']}, not from {code}")
    return {**result, "claims_frame": pl.read_parquet(f"{out}-claims.parquet"), "facts_frame": pl.read_parquet(f"{out}-facts.parquet")}


def first_difference(label: str, new: pl.DataFrame, old: pl.DataFrame) -> str | None:
    try:
        assert_frame_equal(new, old)
        return None
    except AssertionError as exc:
        detail = str(exc).splitlines()[0]
    if new.columns == old.columns and new.height == old.height:
        for column in new.columns:
            differs = new[column].ne_missing(old[column])
            if differs.any():
                row = differs.arg_true()[0]
                return f"{label}: column {column!r} differs first at row {row}: {old[column][row]!r} -> {new[column][row]!r}"
    return f"{label}: {detail}"


def differences(name: str, new: dict, old: dict, against: str) -> list[str]:
    return [d for kind in ("claims", "facts")
            if (d := first_difference(f"{name} {kind} ({against})", new[f"{kind}_frame"], old[f"{kind}_frame"]))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 3)[3],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", default="100k", help="synthetic corpus size (default 100k)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the best is shown (default 1)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pool size for the pool figure")
    parser.add_argument("--baseline", metavar="REF", help="also run the code of this git ref and check the outputs equal")
    parser.add_argument("--save", type=Path, metavar="DIR", help="write the outputs here")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="check the outputs equal those saved here")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process run of the synthetic corpus")
    args = parser.parse_args(argv)

    size = parse_size(args.synthetic)
    trees = {"new": ROOT, **({"old": baseline_tree(args.baseline)} if args.baseline else {})}
    synthetic = f"synthetic-{size}-s{args.seed}"
    print(f"generating {size} synthetic papers…", file=sys.stderr, flush=True)
    inputs = {"gold": gold_papers(), "conventions": conventions_papers(), synthetic: synthetic_papers(size, args.seed)}
    if args.baseline:
        print(f"old: {describe(args.baseline)}\nnew: the working tree ({describe('HEAD')})\n")
    header = f"{'input':>20} {'papers':>7} {'claims':>7}" + "".join(
        f" {label + ' 1 process':>20} {label + f' {args.workers} workers':>16}" for label in trees)
    print(header + "\n" + "-" * len(header))
    problems: list[str] = []
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="extract-bench-") as work:
        for name, papers in inputs.items():
            source = Path(work) / f"{name}.parquet"
            papers.write_parquet(source)
            cells = []
            results = {}
            for label, code in trees.items():
                print(f"  {name}, {label} code…", file=sys.stderr, flush=True)
                one = run_child(code, source, Path(work) / f"{name}-{label}-1", 1, args.repeat,
                                profile=args.profile and label == "new" and name == synthetic)
                results[label] = one
                rates[f"{label} {name}"] = papers.height / one["cpu"]
                cell = f"{papers.height / one['cpu']:>11,.0f}/CPU-s"
                pooled = ""
                if papers.height >= PARALLEL_MIN_ROWS and args.workers > 1:
                    many = run_child(code, source, Path(work) / f"{name}-{label}-n", args.workers, args.repeat)
                    problems += differences(name, many, one, f"{label}: pool vs one process")
                    pooled = f"{papers.height / many['wall']:>9,.0f}/s"
                cells.append(f" {cell:>20} {pooled:>16}")
            print(f"{name:>20} {papers.height:>7} {results['new']['claims']:>7}" + "".join(cells), flush=True)
            if "old" in results:
                problems += differences(name, results["new"], results["old"], "new vs old code")
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                for kind in ("claims", "facts"):
                    results["new"][f"{kind}_frame"].write_parquet(args.save / f"{name}-{kind}.parquet")
            if args.compare:
                saved = {f"{kind}_frame": args.compare / f"{name}-{kind}.parquet" for kind in ("claims", "facts")}
                if all(path.exists() for path in saved.values()):
                    problems += differences(name, results["new"], {k: pl.read_parquet(p) for k, p in saved.items()},
                                            f"vs {args.compare}")
                else:
                    problems.append(f"{name}: nothing saved in {args.compare} (run --save with the same --synthetic/--seed)")

    rate = rates[f"new {synthetic}"]
    print(f"\ntarget: >= {TARGET_PER_CPU_SECOND:,} papers per CPU-second in one process; {synthetic}: {rate:,.0f}"
          + (f" (old code: {rates[f'old {synthetic}']:,.0f})" if args.baseline else "")
          + f" -> {'reached' if rate >= TARGET_PER_CPU_SECOND else 'not reached'}")
    if args.baseline or args.compare:
        print("outputs identical (claims and facts of every input)" if not problems else "OUTPUTS DIFFER:")
    for line in problems:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
