"""The extractor alone: papers per CPU-second in one process, papers/s with the worker pool, and
proof that a change left its output identical.

Three inputs, the ones issue 16 names: the dev gold's abstracts (tests/fixtures/gold_dev.jsonl),
the conventions set's sentences (tests/fixtures/conventions.jsonl, each as a one-sentence
abstract under its title) and a synthetic corpus from bench/corpus.py (--synthetic, 100k by
default). ``etl.extract.extract_all`` runs on each as the ETL calls it; ``--save DIR`` writes its
claims and facts frames as Parquet, ``--compare DIR`` checks a later run's frames equal them
(every column, every row, in order) and exits 1 when one differs, naming the input, column and
first differing row.

examples:
  python bench/extract_bench.py --save /tmp/extract-before           # on the old code: figures + outputs
  python bench/extract_bench.py --compare /tmp/extract-before        # on the new code: figures + identity
  python bench/extract_bench.py --synthetic 20k --repeat 3 --profile # best of 3, cProfile of one run
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402

from bench.corpus import generate, parse_size  # noqa: E402
from etl.extract import RECORD_SCHEMA, batch, extract_all  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
#: issue 16: one process; the pool's figure is what two cores give
TARGET_PER_CPU_SECOND = 10_000


def gold_papers() -> pl.DataFrame:
    rows = [json.loads(line) for line in (FIXTURES / "gold_dev.jsonl").open(encoding="utf-8")]
    return pl.DataFrame([(r["id"], r["title"], r["abstract"]) for r in rows], schema=RECORD_SCHEMA, orient="row")


def conventions_papers() -> pl.DataFrame:
    rows = [json.loads(line) for line in (FIXTURES / "conventions.jsonl").open(encoding="utf-8")]
    return pl.DataFrame([(r["id"], r.get("title", ""), r["text"]) for r in rows], schema=RECORD_SCHEMA, orient="row")


def synthetic_papers(size: int, seed: int) -> pl.DataFrame:
    records = generate(size, seed)
    return pl.DataFrame(
        [(f"p{i}", r["title"], r["abstract"]) for i, r in enumerate(records)], schema=RECORD_SCHEMA, orient="row"
    )


def timed(papers: pl.DataFrame, workers: int, repeat: int) -> tuple[float, float, tuple[pl.DataFrame, pl.DataFrame]]:
    """(best wall seconds, CPU seconds of that run incl. worker processes, outputs)."""
    os.environ["CLAIMBOARD_EXTRACT_WORKERS"] = str(workers)
    best = (float("inf"), 0.0, None)
    for _ in range(repeat):
        before = os.times()
        t0 = time.perf_counter()
        out = extract_all(papers)
        wall = time.perf_counter() - t0
        after = os.times()
        cpu = sum(after[:4]) - sum(before[:4])
        if wall < best[0]:
            best = (wall, cpu, out)
    return best


def first_difference(name: str, kind: str, new: pl.DataFrame, old: pl.DataFrame) -> str | None:
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
                return f"{name} {kind}: column {column!r} differs first at row {row}: {old[column][row]!r} -> {new[column][row]!r}"
    return f"{name} {kind}: {detail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", default="100k", help="synthetic corpus size (default 100k)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; the best is shown (default 1)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pool size for the pool figure")
    parser.add_argument("--save", type=Path, metavar="DIR", help="write the outputs here")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="check the outputs equal those saved here")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process run of the synthetic corpus")
    args = parser.parse_args(argv)

    size = parse_size(args.synthetic)
    print(f"generating {size} synthetic papers…", file=sys.stderr, flush=True)
    synthetic_name = f"synthetic-{size}-s{args.seed}"
    inputs = {"gold": gold_papers(), "conventions": conventions_papers(), synthetic_name: synthetic_papers(size, args.seed)}
    differences: list[str] = []
    per_cpu_second: dict[str, float] = {}
    print(f"{'input':>20} {'papers':>8} {'claims':>7} {'1 process':>22} {f'{args.workers} workers':>16}")
    for name, papers in inputs.items():
        print(f"  {name}…", file=sys.stderr, flush=True)
        wall1, cpu1, (claims, facts) = timed(papers, 1, args.repeat)
        per_cpu_second[name] = papers.height / cpu1
        pooled = ""
        if papers.height >= batch.PARALLEL_MIN_ROWS and args.workers > 1:
            wall_n, _, (claims_n, facts_n) = timed(papers, args.workers, args.repeat)
            differences += filter(None, [first_difference(f"{name} (pool)", "claims", claims_n, claims),
                                         first_difference(f"{name} (pool)", "facts", facts_n, facts)])
            pooled = f"{papers.height / wall_n:>9,.0f}/s"
        print(f"{name:>20} {papers.height:>8} {claims.height:>7} {per_cpu_second[name]:>9,.0f}/CPU-s ({cpu1:5.2f}s) {pooled:>16}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            claims.write_parquet(args.save / f"{name}-claims.parquet")
            facts.write_parquet(args.save / f"{name}-facts.parquet")
        if args.compare:
            for kind, frame in (("claims", claims), ("facts", facts)):
                saved = args.compare / f"{name}-{kind}.parquet"
                if not saved.exists():
                    differences.append(f"{name} {kind}: nothing saved as {saved} (run --save with the same --synthetic/--seed)")
                    continue
                differences += filter(None, [first_difference(name, kind, frame, pl.read_parquet(saved))])
    synthetic = inputs[synthetic_name]
    rate = per_cpu_second[synthetic_name]
    print(f"\ntarget: >= {TARGET_PER_CPU_SECOND:,} papers per CPU-second in one process; synthetic: {rate:,.0f} "
          f"({'reached' if rate >= TARGET_PER_CPU_SECOND else 'not reached'})")
    if args.profile:
        os.environ["CLAIMBOARD_EXTRACT_WORKERS"] = "1"
        profile = cProfile.Profile()
        profile.runcall(extract_all, synthetic)
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)
    if args.compare:
        print("outputs identical to " + str(args.compare) if not differences else "OUTPUTS DIFFER:")
    for line in differences:
        print("  " + line)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
