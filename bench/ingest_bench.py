"""Ingest one big file per format in bounded memory: size, seconds, abstracts/s and peak RSS.

For each format (JSONL, CSV, listing page) a file of about --size bytes is written from deterministic
synthetic papers (bench/corpus.py, derived from the bundled data/seeds), then ingested - read in
chunks, quarantined, deduplicated - by etl.ingest.ingest in a fresh child process, so the peak RSS
(resource.getrusage ru_maxrss) is that file's alone; --read-only times read_source without the merge. Files are kept under --work and reused when
they already have the requested size.

examples:
  python bench/ingest_bench.py                          # 1 GB of each format (a few minutes each)
  python bench/ingest_bench.py --size 50MB              # a quick run
  python bench/ingest_bench.py --formats jsonl listing --size 1GB --work /tmp/cb-ingest
  python bench/ingest_bench.py --size 200MB --chunk-mib 4   # smaller chunks, lower peak
  python bench/ingest_bench.py --read-only              # the streaming read alone, no dedup
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import _CHROME, _listing_entry, generate, seed_papers  # noqa: E402

FORMATS = {"jsonl": ".jsonl", "csv": ".csv", "listing": ".txt"}
CSV_COLUMNS = ["title", "abstract", "published", "authors", "upvotes", "arxiv_id"]

_CHILD = r"""
import json, resource, sys, time
from functools import partial
from pathlib import Path
sys.path.insert(0, {root!r})
from etl import ingest
path, chunk_mib, read_only = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "1"
read_source = partial(ingest.read_source, chunk_bytes=int(chunk_mib * 2**20) if chunk_mib > 0 else None)
t0, c0 = time.perf_counter(), time.process_time()
if read_only:  # read_source alone: the streaming part, without merging duplicates
    read = read_source(path)
    out = {{"errors": [read.error] if read.error else [], "entries": read.entries, "papers": read.records.height,
           "quarantined": read.quarantine.height, "merged": 0}}
else:
    report = lambda message: print("  child:", message, file=sys.stderr, flush=True)
    result = ingest.ingest([path], progress=report, read_source=read_source)
    out = {{"errors": result.errors, "entries": sum(i["entries"] for i in result.inputs), "papers": result.papers.height,
           "quarantined": result.quarantine.height, "merged": result.merged}}
out |= {{"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}
print(json.dumps(out))
"""


def parse_bytes(text: str) -> int:
    """'1GB' -> 10**9, '50MB' -> 50 * 10**6, '500k' -> 500_000, '2000' -> 2000."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 50MB, 1GB, 500k)")
    return int(float(m.group(1)) * {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[m.group(2).lower()])


def write_files(paths: dict[str, Path], size: int, seed: int) -> dict[str, int]:
    """Write about ``size`` bytes of the same synthetic papers in each format, in one pass of the
    generator (it is the slow part); returns the papers written per format."""
    seeds = seed_papers()
    outs, writers, papers = {}, {}, {}
    for file_format, path in paths.items():
        out = open(path.with_suffix(path.suffix + ".part"), "w", encoding="utf-8", newline="")  # noqa: SIM115
        outs[file_format], papers[file_format] = out, 0
        if file_format == "csv":
            writers[file_format] = csv.writer(out)
            writers[file_format].writerow(CSV_COLUMNS)
        elif file_format == "listing":
            out.write("\n".join(_CHROME) + "\n")
    open_formats = set(paths)
    next_report = time.perf_counter() + 5
    try:
        # the generator is deterministic; a 1M-paper pass (~1.7 GB of JSONL) covers any size here
        for count, record in enumerate(generate(10**9, seed, seeds), start=1):
            for file_format in list(open_formats):
                out = outs[file_format]
                if file_format == "jsonl":
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                elif file_format == "csv":
                    writers[file_format].writerow([record[name] if record[name] is not None else "" for name in CSV_COLUMNS])
                else:
                    out.write(_listing_entry(record))
                papers[file_format] += 1
                if count % 1000 == 0 and out.tell() >= size:
                    open_formats.discard(file_format)
            if not open_formats:
                break
            if count % 1000 == 0 and time.perf_counter() >= next_report:
                done = ", ".join(f"{f} {outs[f].tell() / 1e6:,.0f} MB" for f in paths)
                print(f"  writing ({count:,} papers): {done} of {size / 1e6:,.0f} MB each", flush=True)
                next_report += 5
    finally:
        for out in outs.values():
            out.close()
    for path in paths.values():
        os.replace(path.with_suffix(path.suffix + ".part"), path)
    return papers


def run_child(path: Path, chunk_mib: float, read_only: bool) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD.format(root=str(ROOT)), str(path), str(chunk_mib), "1" if read_only else "0"],
        stdout=subprocess.PIPE, stderr=None, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ingest of {path} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("examples:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=parse_bytes, default=parse_bytes("1GB"), help="bytes per file: 50MB, 1GB, ... (default 1GB)")
    parser.add_argument("--formats", nargs="+", choices=list(FORMATS), default=list(FORMATS), help="formats to run (default: all three)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/claimboard-ingest-bench"), help="where the files are written and kept")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--chunk-mib", type=float, default=0, help="read chunk in MiB (default: [reading] chunk_mib of the rules)")
    parser.add_argument("--read-only", action="store_true", help="time read_source alone (streaming, quarantine) without merging duplicates")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    paths = {f: args.work / f"ingest-{f}-{args.size}-s{args.seed}{FORMATS[f]}" for f in args.formats}
    missing = {f: p for f, p in paths.items() if not (p.exists() and p.stat().st_size >= args.size)}
    for file_format in paths.keys() - missing.keys():
        print(f"{file_format}: reusing {paths[file_format]} ({paths[file_format].stat().st_size / 1e6:,.0f} MB)", flush=True)
    if missing:
        t0 = time.perf_counter()
        print(f"writing {', '.join(str(p) for p in missing.values())} ...", flush=True)
        papers = write_files(missing, args.size, args.seed)
        for file_format, path in missing.items():
            print(f"{file_format}: {papers[file_format]:,} papers, {path.stat().st_size / 1e6:,.0f} MB", flush=True)
        print(f"written in {time.perf_counter() - t0:.0f}s", flush=True)
    rows = []
    for file_format, path in paths.items():
        print(f"{file_format}: ingesting in a child process ...", flush=True)
        out = run_child(path, args.chunk_mib, args.read_only)
        if out["errors"]:
            print(f"{file_format}: errors: {out['errors']}", flush=True)
        out |= {"format": file_format, "mb": path.stat().st_size / 1e6, "rate": out["entries"] / out["seconds"]}
        print(
            f"{file_format}: {out['mb']:,.0f} MB, {out['entries']:,} entries in {out['seconds']:.1f}s "
            f"({out['rate']:,.0f} abstracts/s, {out['cpu']:.1f}s CPU), peak RSS {out['peak_rss_mb']:,.0f} MB",
            flush=True,
        )
        rows.append(out)

    print()
    kept = "records" if args.read_only else "papers"
    print(f"{'format':8} {'size MB':>8} {'entries':>10} {kept:>10} {'quarant.':>9} {'seconds':>8} {'CPU s':>7} {'abstracts/s':>12} {'peak RSS MB':>12}")
    for r in rows:
        print(
            f"{r['format']:8} {r['mb']:>8,.0f} {r['entries']:>10,} {r['papers']:>10,} {r['quarantined']:>9,} "
            f"{r['seconds']:>8.1f} {r['cpu']:>7.1f} {r['rate']:>12,.0f} {r['peak_rss_mb']:>12,.0f}"
        )
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
