"""End-to-end throughput of the extract contract: `claimboard extract --in IN.jsonl --out OUT.jsonl`
on a 50k-abstract JSONL (read, extract, write), in abstracts/s, against the target of 10,000/s
(issue 16).

The input is a synthetic corpus (bench/corpus.py) written as {"id", "title", "abstract"} lines,
cached under --work; --input takes any JSONL instead. Each run is a fresh `python -m etl.cli
extract --quiet` child; wall time and CPU time (the child and its worker processes) are reported,
the median of --repeat runs. With --compare DIR (another checkout, e.g. the main branch) the two
codes run alternately on the same input, so that the load of the machine hits both alike, and
their outputs are compared byte for byte.

examples:
  python bench/contract_bench.py                     # 50k, the default workers (one per core)
  python bench/contract_bench.py --workers 1 2 --repeat 3
  python bench/contract_bench.py --compare /path/to/main --workers 1 2
  python bench/contract_bench.py --quick             # 20k, one run
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import generate, parse_size  # noqa: E402

TARGET = 10_000  # abstracts/s end to end (issue 16)


def make_input(size: int, work: Path, seed: int) -> Path:
    """{"id", "title", "abstract"} lines of the synthetic corpus (cached)."""
    path = work / f"contract-{size}-s{seed}.jsonl"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for index, record in enumerate(generate(size, seed)):
                line = {"id": f"s{seed}-{index:07d}", "title": record["title"], "abstract": record["abstract"]}
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        tmp.replace(path)
    return path


def run_once(code: Path, source: Path, out: Path, workers: int | None) -> dict:
    """One `extract` child on ``code`` (a checkout): wall and CPU seconds (child and its workers)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    if workers:
        env["CLAIMBOARD_EXTRACT_WORKERS"] = str(workers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "etl.cli", "extract", "--in", str(source), "--out", str(out), "--quiet"],
        cwd=code, env=env, capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"extract on {code} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


_EXTRACTOR = r"""
import json, sys, time
import polars as pl
from etl.extract import RECORD_SCHEMA, extract_all
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
cpu = 0.0
for i in range(0, len(lines), 15_000):
    records = [json.loads(line) for line in lines[i : i + 15_000]]
    papers = pl.DataFrame({"paper_id": [str(k) for k in range(len(records))], "title": [r["title"] for r in records],
                           "abstract": [r["abstract"] for r in records]}, schema=RECORD_SCHEMA)
    t0 = time.process_time()
    extract_all(papers)
    cpu += time.process_time() - t0
print(json.dumps({"cpu": cpu}))
"""


def extractor_cpu(code: Path, source: Path) -> float:
    """CPU seconds of extract_all alone on the input's papers, one process, 15k-paper frames (as a
    worker of `extract` runs it): what the contract cannot go below."""
    env = {**os.environ, "PYTHONPATH": str(code), "CLAIMBOARD_EXTRACT_WORKERS": "1"}
    proc = subprocess.run([sys.executable, "-c", _EXTRACTOR, str(source)], cwd=code, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"extract_all on {code} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["cpu"]


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=parse_size, default=parse_size("50k"), help="abstracts (default 50k)")
    parser.add_argument("--input", type=Path, help="an existing JSONL of {id, title, abstract} instead of the synthetic one")
    parser.add_argument("--workers", type=int, nargs="+", default=[0],
                        help="CLAIMBOARD_EXTRACT_WORKERS values to run (default: unset, one worker per core)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per code and worker count; the median is reported")
    parser.add_argument("--compare", type=Path, help="another checkout to run alternately with this one (e.g. main)")
    parser.add_argument("--quick", action="store_true", help="20k abstracts, one run")
    parser.add_argument("--no-extractor", action="store_true", help="skip the extract_all-only reference run")
    parser.add_argument("--work", type=Path, default=Path("/tmp/claimboard-bench"), help="inputs and outputs (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.repeat = parse_size("20k"), 1

    source = args.input or make_input(args.size, args.work, args.seed)
    lines = count_lines(source)
    codes = {"this": ROOT, **({"compare": args.compare.resolve()} if args.compare else {})}
    load_before = os.getloadavg()[0]
    results: dict[tuple[str, int], list[dict]] = {}
    outputs: dict[str, Path] = {}
    for workers in args.workers:
        for _ in range(args.repeat):
            for name, code in codes.items():  # alternate, so that load hits both alike
                out = args.work / f"contract-out-{name}.jsonl"
                results.setdefault((name, workers), []).append(run_once(code, source, out, workers or None))
                outputs[name] = out
            if args.compare and not filecmp.cmp(outputs["this"], outputs["compare"], shallow=False):
                print(f"OUTPUTS DIFFER: {outputs['this']} vs {outputs['compare']}", file=sys.stderr)
                return 1

    extractor = None if args.no_extractor else extractor_cpu(ROOT, source)
    load_after = os.getloadavg()[0]

    print(f"claimboard extract on {lines:,} abstracts ({source}), median of {args.repeat} run(s); "
          f"CPU: the command and its worker processes; load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"{'code':<12} {'workers':>7} {'wall s':>8} {'CPU s':>8} {'abstracts/s':>12} {'per CPU-s':>10}  runs (wall/CPU s)")
    for (name, workers), runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        label = args.compare.name or str(args.compare) if name == "compare" else "this"
        spread = " ".join(f"{r['wall']:.1f}/{r['cpu']:.1f}" for r in runs)
        print(f"{label[:12]:<12} {workers or 'default':>7} {wall:8.2f} {cpu:8.2f} {lines / wall:12,.0f} {lines / cpu:10,.0f}  {spread}")
    if extractor:
        print(f"{'extract_all':<12} {'alone':>7} {'':>8} {extractor:8.2f} {'':>12} {lines / extractor:10,.0f}  "
              "(this code's extractor, in-process, 15k-paper frames: the floor of the CPU column)")
    if args.compare:
        print("outputs byte-identical to the compared checkout's")
    best = max(lines / statistics.median(r["wall"] for r in runs) for (name, _), runs in results.items() if name == "this")
    print(f"target {TARGET:,} abstracts/s end to end: {'reached' if best >= TARGET else 'not reached'} ({best:,.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
