"""ETL throughput at several corpus sizes: per-stage seconds, abstracts/s, peak RSS, and a no-change refresh.

For each size a synthetic corpus is generated (bench/corpus.py, cached under --work) and the whole
ETL runs on it through etl.pipeline.run_etl in a fresh child process (so peak RSS is per size);
the manifest's stage_seconds give the per-stage figures. Further children then time `claimboard
refresh` on the same store: one that fills the refresh caches, a no-change one, and one after 1% of
the abstracts were edited (the edited file is restored afterwards).

``--baseline REF`` also runs the ETL with the code of a git ref (bench/baseline.py), one size at a
time, old then new, so both figures come from the same run (refresh timings: new code only).

examples:
  python bench/etl_bench.py --quick                 # 10k and 100k
  python bench/etl_bench.py --sizes 1M --baseline 3ae8245 --no-refresh   # old code beside new at 1M
  python bench/etl_bench.py --sizes 10k 100k 1M     # the full table
  python bench/etl_bench.py --sizes 50k --no-refresh --work /tmp/cb-bench
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import baseline_tree, describe  # noqa: E402
from bench.corpus import parse_size, write_corpus  # noqa: E402

STAGES = ("ingest", "extract", "normalise", "validate", "store")
#: issue 16, at 1M abstracts on two cores
TARGET_RATE = 20_000  # abstracts/s end to end
TARGET_PEAK_MB = 2_500

_CHILD = r"""
import json, subprocess, sys, threading, time
from pathlib import Path
import psutil
mode, source, store, root = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
# the command as a user runs it: `claimboard etl` or `claimboard refresh`
cmd = [sys.executable, "-m", "etl.cli", mode, "--store", str(store), "--source", str(source), "--quiet"]


def tree_rss(pid):  # RSS summed over a process and its descendants (the extraction workers)
    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # a worker that just exited
            pass
    return total


t0 = time.perf_counter()
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
peak_total = 0
def sample():
    global peak_total
    while proc.poll() is None:
        peak_total = max(peak_total, tree_rss(proc.pid))
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
output = proc.communicate()[0]
out = {"exit": proc.returncode, "tail": output[-300:], "wall": time.perf_counter() - t0}
if mode == "etl":
    if proc.returncode != 0:
        sys.exit(f"claimboard etl failed ({proc.returncode}):\n{output[-3000:]}")
    run_id = json.loads((store / "current").read_text())["run_id"]
    # the run log's record has the store stage's seconds too (the snapshot's manifest is written inside it)
    records = [json.loads(line) for line in (store / "runs.jsonl").read_text().splitlines() if line.strip()]
    record = next(r for r in reversed(records) if r.get("run_id") == run_id)
    out.update(stages=record["stage_seconds"], counts=record["counts"])
import resource
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
out["peak_total_mb"] = peak_total / 2**20
print(json.dumps(out))
"""


WORKERS: int | None = None  # None: the extractor's default (one worker process per core)


def _child(mode: str, source: Path, store: Path, root: Path = ROOT) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root), **({"CLAIMBOARD_EXTRACT_WORKERS": str(WORKERS)} if WORKERS else {})}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(source), str(store), str(root)],
        capture_output=True, text=True, check=False, env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def corpus(size: int, work: Path, seed: int) -> Path:
    out = work / f"corpus-{size}-s{seed}"
    marker = out / ".complete"
    if not marker.exists():
        t0 = time.perf_counter()
        write_corpus(size, out, seed)
        marker.write_text("ok")
        print(f"  generated {size} papers in {time.perf_counter() - t0:.1f}s -> {out}", flush=True)
    return out


def refresh_available() -> bool:
    return Path(sys.executable).with_name("claimboard").exists()


def edit_abstracts(source: Path, share: float) -> tuple[Path, bytes, int]:
    """Append a sentence to ``share`` of all abstracts, all in the first JSONL shard.

    Returns (edited file, its original bytes, papers edited) so the caller can restore it.
    """
    shards = sorted(source.glob("*.jsonl"))
    total = sum(1 for shard in shards for _ in shard.open(encoding="utf-8"))
    target, original = shards[0], shards[0].read_bytes()
    lines = original.decode("utf-8").splitlines()
    want = max(1, round(share * total))
    step = max(1, len(lines) // want)
    edited = 0
    for i in range(0, len(lines), step):
        if edited == want:
            break
        record = json.loads(lines[i])
        record["abstract"] = record.get("abstract", "") + " The code is released."
        lines[i] = json.dumps(record, ensure_ascii=False)
        edited += 1
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target, original, edited


def bench_size(size: int, work: Path, seed: int, refresh: bool, code: str = "new", root: Path = ROOT) -> dict:
    source = corpus(size, work, seed)
    store = work / (f"store-{size}" if code == "new" else f"store-{size}-{code}")
    subprocess.run(["rm", "-rf", str(store)], check=True)
    print(f"  etl ({code} code)…", flush=True)
    etl = _child("etl", source, store, root)
    row = {"size": size, "code": code, **etl}
    if refresh:
        # the first refresh fills the refresh caches (parsed sources, extractions); the second is the no-change one
        print("  refresh (fills its caches)…", flush=True)
        row["refresh_first"] = _child("refresh", source, store)
        print("  refresh, nothing changed…", flush=True)
        row["refresh"] = _child("refresh", source, store)
        target, original, edited = edit_abstracts(source, 0.01)
        try:
            print(f"  refresh, {edited} abstracts (1%) edited…", flush=True)
            row["refresh_changed"] = {**_child("refresh", source, store), "edited": edited}
        finally:
            target.write_bytes(original)
    return row


def print_table(rows: list[dict]) -> None:
    head = (f"{'code':>4} {'papers':>9} " + " ".join(f"{s:>15}" for s in STAGES)
            + f" {'end-to-end':>16} {'wall':>7} {'peak RSS':>9} {'all':>8} {'refresh':>8} {'1% edit':>8}")
    print("\nseconds (abstracts/s) per stage; end to end = sum of stages; wall = `claimboard etl` from start-up to exit;")
    print("peak RSS = of the largest process (the ETL or a worker); all = peak sum over the ETL and its workers (sampled);")
    print("refresh = wall time of a no-change `claimboard refresh` (after one that filled its caches);")
    print("1% edit = wall time of a refresh after 1% of the abstracts were edited")
    print(head)
    print("-" * len(head))
    for row in rows:
        n = row["counts"]["papers"]
        cells = []
        for stage in STAGES:
            sec = row["stages"].get(stage, 0.0)
            cells.append(f"{sec:6.2f} ({n / sec if sec else 0:6.0f})")
        total = sum(row["stages"].values())
        print(f"{row.get('code', 'new'):>4} {n:>9} " + " ".join(f"{c:>15}" for c in cells)
              + f" {total:6.2f} ({n / total:7.0f}) {row['wall']:6.1f}s {row['peak_rss_mb']:7.0f}MB {row['peak_total_mb']:6.0f}MB"
              + f" {_refresh_cell(row.get('refresh')):>8} {_refresh_cell(row.get('refresh_changed')):>8}")


def print_targets(rows: list[dict]) -> None:
    """Issue 16's ETL target, judged on the wall time of the command (start-up and writing included)."""
    for row in rows:
        if row["size"] < 1_000_000:
            continue
        rate = row["counts"]["papers"] / row["wall"]
        ok = rate >= TARGET_RATE and row["peak_rss_mb"] < TARGET_PEAK_MB
        print(f"target at {row['size']:,} abstracts ({row.get('code', 'new')} code): >= {TARGET_RATE:,}/s end to end, "
              f"peak RSS < {TARGET_PEAK_MB:,} MB: {rate:,.0f}/s ({row['wall']:.0f} s wall), peak RSS "
              f"{row['peak_rss_mb']:,.0f} MB (all processes {row['peak_total_mb']:,.0f} MB) -> {'reached' if ok else 'not reached'}")


def _refresh_cell(run: dict | None) -> str:
    if run is None:
        return "-"
    return f"{run['wall']:.2f}s" if run["exit"] == 0 else f"exit {run['exit']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("examples:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=None, help="corpus sizes (default 10k 100k 1M)")
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--work", type=Path, default=Path("/tmp/claimboard-bench"), help="corpora and stores (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-refresh", action="store_true", help="skip the refresh timings")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--baseline", metavar="REF", help="also run the ETL with the code of this git ref, beside the new")
    parser.add_argument("--workers", type=int, default=None,
                        help="CLAIMBOARD_EXTRACT_WORKERS for the runs (default: one extraction process per core)")
    args = parser.parse_args(argv)
    global WORKERS
    WORKERS = args.workers
    sizes = args.sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    args.work.mkdir(parents=True, exist_ok=True)
    refresh = not args.no_refresh and refresh_available()
    old = baseline_tree(args.baseline) if args.baseline else None
    if old:
        print(f"old: {describe(args.baseline)}\nnew: the working tree ({describe('HEAD')})")
    rows = []
    for size in sizes:
        print(f"size {size}…", flush=True)
        if old:
            rows.append(bench_size(size, args.work, args.seed, False, "old", old))
        rows.append(bench_size(size, args.work, args.seed, refresh))
        print_table(rows[-2 if old else -1:])
    print_table(rows)
    print_targets(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
