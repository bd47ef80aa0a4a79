"""Normalise, validate and store at scale: seconds, rows/s, CPU seconds and peak RSS per stage.

The stages after extract are timed on saved extractor outputs, so a 1M-paper run does not have
to wait for the extractor. Inputs are made once from a corpus (ingest + extract, saved as
papers/claims_raw/facts_raw Parquet under --inputs) and tiled --scale times with distinct
paper ids ("<id>~<k>" for copy k > 0, whose abstracts also end in " (copy k)", so that no
abstract repeats) to reach larger sizes; a tiled set is cached as Parquet next to the inputs,
so every copy has its own string buffers, as a real run would.

normalise and validate run through etl.pipeline.transform itself (its extract step returns
the saved frames), so their seconds are the pipeline's own stage clock; store writes and
publishes a snapshot into a scratch store as etl.pipeline.run_etl does. Peak RSS per stage is
sampled from /proc every few milliseconds while the stage runs (the whole process, inputs
included); "rss before" is the process RSS with the inputs loaded.

examples:
  python bench/stages_bench.py --make-inputs /tmp/cb-100k      # once: ingest + extract (a few minutes)
  python bench/stages_bench.py                                  # the stages at 1x (about 100k papers)
  python bench/stages_bench.py --scale 10 --repeat 3            # 10x (about 1M papers), best of 3
  python bench/stages_bench.py --scale 10 --profile normalise   # cProfile of one stage (or: all)
  python bench/stages_bench.py --save-outputs /tmp/out-before   # keep the output tables ...
  python bench/stages_bench.py --compare /tmp/out-before        # ... and check a later run against them
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from etl import pipeline  # noqa: E402
from etl.schemas import empty_quarantine  # noqa: E402
from etl.store import load_snapshot, new_run_id, prune, publish, write_snapshot  # noqa: E402

INPUTS = ("papers", "claims_raw", "facts_raw")
OUTPUTS = ("papers", "claims", "facts", "quarantine")
STAGES = ("normalise", "validate", "store")
DEFAULT_INPUTS = Path("/tmp/stages-100k")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE / 2**20


class RssSampler:
    """Peak RSS per named stage, sampled by a background thread; CPU seconds per stage too."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.current: str | None = None
        self.peaks: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._cpu_mark = time.process_time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def sample(self) -> None:
        if self.current:
            self.peaks[self.current] = max(self.peaks.get(self.current, 0.0), rss_mb())

    def enter(self, stage: str | None) -> None:
        self.sample()
        now = time.process_time()  # all threads: Polars' and the sampler's (negligible)
        if self.current:
            self.cpu[self.current] = self.cpu.get(self.current, 0.0) + now - self._cpu_mark
        self._cpu_mark = now
        self.current = stage
        self.sample()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.enter(None)
        self._stop.set()
        self._thread.join()


# ------------------------------------------------------------------------------ inputs


def make_inputs(corpus: Path, out: Path) -> None:
    """Ingest + extract a corpus once; save what the later stages start from."""
    from etl import extract, ingest

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"ingest {corpus}…", flush=True)
    papers = ingest.ingest([corpus]).papers
    print(f"  {papers.height} papers in {time.perf_counter() - t0:.1f}s; extract…", flush=True)
    claims_raw, facts_raw = extract.extract_all(papers)
    print(f"  {claims_raw.height} claims in {time.perf_counter() - t0:.1f}s", flush=True)
    for name, frame in zip(INPUTS, (papers, claims_raw, facts_raw)):
        frame.write_parquet(out / f"{name}.parquet")
    print(f"saved {', '.join(INPUTS)} to {out}", flush=True)


def tiled_inputs(inputs: Path, scale: int) -> Path:
    """The inputs repeated ``scale`` times with distinct paper ids, cached as Parquet."""
    if scale == 1:
        return inputs
    out = inputs / f"x{scale}-distinct"
    if (out / ".complete").exists():
        return out
    print(f"tiling the inputs {scale}x into {out}…", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        base = pl.read_parquet(inputs / f"{name}.parquet")
        copies = [base] + [
            base.with_columns(
                pl.col("paper_id") + pl.lit(f"~{k}"),
                # each copy's abstracts distinct too, as in a real corpus (or Parquet would
                # dictionary-encode the repeats); appended, so every claim's offsets still hold
                *([pl.col("abstract") + pl.lit(f" (copy {k})")] if name == "papers" else []),
            )
            for k in range(1, scale)
        ]
        pl.concat(copies).write_parquet(out / f"{name}.parquet")
        del base, copies
    (out / ".complete").write_text("ok")
    return out


def load_inputs(path: Path) -> dict[str, pl.DataFrame]:
    missing = [n for n in INPUTS if not (path / f"{n}.parquet").exists()]
    if missing:
        raise SystemExit(f"{path} lacks {', '.join(missing)}: make them with --make-inputs CORPUS --inputs {path}")
    return {name: pl.read_parquet(path / f"{name}.parquet") for name in INPUTS}


# ------------------------------------------------------------------------------ one run


@contextmanager
def maybe_profile(on: bool, sink: list[cProfile.Profile]):
    if not on:
        yield
        return
    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        sink.append(prof)


def run_once(frames: dict[str, pl.DataFrame], store: Path, profile: set[str]) -> dict:
    """One pass of normalise + validate (pipeline.transform) and store; seconds and RSS per stage."""
    clock = pipeline.StageClock()
    profiles: dict[str, list[cProfile.Profile]] = {s: [] for s in STAGES}
    result: dict = {}
    with RssSampler() as rss:
        prof_stack: list = []

        def progress(message: str) -> None:
            stage = message.rstrip("…")
            if prof_stack:  # the previous stage ended
                prof_stack.pop().__exit__(None, None, None)
            rss.enter(stage)
            if stage in profile:
                cm = maybe_profile(True, profiles[stage])
                cm.__enter__()
                prof_stack.append(cm)

        tables = pipeline.transform(
            frames["papers"], clock, progress,
            extract_fn=lambda _papers: (frames["claims_raw"], frames["facts_raw"]),
        )
        if prof_stack:
            prof_stack.pop().__exit__(None, None, None)
        rss.enter(None)
        run_id = new_run_id()
        quarantine = tables.quarantine.select(pl.lit(run_id).alias("run_id"), *empty_quarantine().columns)
        outputs = {"papers": tables.papers, "claims": tables.claims, "facts": tables.facts, "quarantine": quarantine}
        rss.enter("store")
        with maybe_profile("store" in profile, profiles["store"]):
            t0 = time.perf_counter()
            write_snapshot(store, run_id, outputs, {"run_id": run_id, "status": "ok"})
            publish(store, run_id)
            prune(store, 1)
            clock.seconds["store"] = time.perf_counter() - t0
        rss.enter(None)
        result["rss"] = dict(rss.peaks)
        result["cpu"] = dict(rss.cpu)
    result["seconds"] = {s: clock.seconds.get(s, 0.0) for s in STAGES}
    result["outputs"] = outputs
    result["profiles"] = profiles
    return result


# ------------------------------------------------------------------------------ output


def compare(outputs: dict[str, pl.DataFrame], saved: Path) -> list[str]:
    """Differences between these outputs and saved ones (run_id aside); empty when identical."""
    problems = []
    for name in OUTPUTS:
        old = pl.read_parquet(saved / f"{name}.parquet")
        new = outputs[name].drop("run_id", strict=False)
        old = old.drop("run_id", strict=False)
        if old.schema != new.schema:
            problems.append(f"{name}: schema {dict(old.schema)} != {dict(new.schema)}")
            continue
        if old.height != new.height:
            problems.append(f"{name}: {old.height} rows before, {new.height} now")
            continue
        if not old.equals(new, null_equal=True):
            # same rows in another order?
            key = [c for c in new.columns if new.schema[c] != pl.Object]
            same_set = old.sort(key, nulls_last=True).equals(new.sort(key, nulls_last=True), null_equal=True)
            problems.append(f"{name}: values differ" + (" (same rows, other order)" if same_set else ""))
    return problems


def print_profile(stage: str, profiles: list[cProfile.Profile], top: int) -> None:
    if not profiles:
        return
    out = io.StringIO()
    stats = pstats.Stats(profiles[0], stream=out)
    for extra in profiles[1:]:
        stats.add(extra)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    print(f"\n=== cProfile: {stage} (top {top} by own time) ===")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


def print_table(rows: dict[str, int], runs: list[dict], rss_before: float, peak_mb: float) -> None:
    print(f"\nrss before (inputs loaded): {rss_before:.0f} MB; {len(runs)} run(s), best wall seconds shown "
          f"(all runs in brackets); CPU s = least process CPU time (user + sys, all threads) of a run")
    head = f"{'stage':<10} {'rows':>9} {'seconds':>9} {'rows/s':>11} {'CPU s':>7} {'peak RSS':>10}  runs"
    print(head)
    print("-" * (len(head) + 20))
    total = 0.0
    for stage in STAGES:
        secs = [r["seconds"][stage] for r in runs]
        best = min(secs)
        total += best
        peak = max(r["rss"].get(stage, 0.0) for r in runs)
        n = rows[stage]
        cpu = min(r["cpu"].get(stage, 0.0) for r in runs)
        print(f"{stage:<10} {n:>9} {best:9.2f} {n / best if best else 0:11,.0f} {cpu:7.2f} {peak:8.0f}MB  "
              f"[{', '.join(f'{s:.2f}' for s in secs)}]")
    print(f"{'total':<10} {'':>9} {total:9.2f}")
    print(f"process peak RSS (ru_maxrss): {peak_mb:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("examples:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--inputs", type=Path, default=DEFAULT_INPUTS,
                        help="folder of papers/claims_raw/facts_raw.parquet (default %(default)s)")
    parser.add_argument("--make-inputs", type=Path, metavar="CORPUS",
                        help="first ingest + extract this corpus (folder or file) into --inputs")
    parser.add_argument("--scale", type=int, default=1, help="tile the inputs this many times (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the table shows the best (default 1)")
    parser.add_argument("--store", type=Path, help="scratch store for the store stage (default: a temp dir, removed)")
    parser.add_argument("--profile", choices=(*STAGES, "all"), action="append", default=[],
                        help="cProfile this stage (repeatable; 'all' for every one), printed after the table")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print (default %(default)s)")
    parser.add_argument("--save-outputs", type=Path, metavar="DIR", help="write the output tables here as Parquet")
    parser.add_argument("--compare", type=Path, metavar="DIR",
                        help="check the outputs (and the snapshot read back) equal ones saved with --save-outputs")
    args = parser.parse_args(argv)
    if args.scale < 1 or args.repeat < 1:
        parser.error("--scale and --repeat must be at least 1")
    if args.make_inputs:
        make_inputs(args.make_inputs, args.inputs)

    path = tiled_inputs(args.inputs, args.scale)
    t0 = time.perf_counter()
    frames = load_inputs(path)
    rss_before = rss_mb()
    print(f"loaded {frames['papers'].height} papers, {frames['claims_raw'].height} raw claims "
          f"from {path} in {time.perf_counter() - t0:.1f}s (rss {rss_before:.0f} MB)", flush=True)
    profile = set(STAGES) if "all" in args.profile else set(args.profile)

    runs = []
    problems: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="stages-bench-")) if args.store is None else args.store
    try:
        for i in range(args.repeat):
            print(f"run {i + 1}/{args.repeat}…", flush=True)
            run = run_once(frames, scratch, profile)
            print("  " + ", ".join(f"{s} {run['seconds'][s]:.2f}s" for s in STAGES), flush=True)
            runs.append(run)
            if i + 1 < args.repeat:
                run["outputs"] = None  # keep only the last run's tables in memory
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before any reading back
        if args.compare:  # the tables in memory, and as read back from the snapshot just written
            snapshot = load_snapshot(scratch)
            problems += compare(runs[-1]["outputs"], args.compare)
            problems += [f"read back: {p}" for p in compare(
                {name: getattr(snapshot, name) for name in OUTPUTS}, args.compare
            )]
    finally:
        if args.store is None:
            shutil.rmtree(scratch, ignore_errors=True)

    outputs = runs[-1]["outputs"]
    rows = {
        "normalise": frames["claims_raw"].height + frames["facts_raw"].height,
        "validate": sum(outputs[n].height for n in ("papers", "claims", "facts", "quarantine")),
        "store": sum(outputs[n].height for n in OUTPUTS),
    }
    print(f"\noutputs: {outputs['papers'].height} papers, {outputs['claims'].height} claims, "
          f"{outputs['facts'].height} facts, {outputs['quarantine'].height} quarantined; "
          f"rows = normalise: raw claims + facts in; validate, store: rows out")
    print_table(rows, runs, rss_before, peak_mb)
    for stage in STAGES:
        print_profile(stage, [p for r in runs for p in r["profiles"][stage]], args.top)

    status = 0
    if args.save_outputs:
        args.save_outputs.mkdir(parents=True, exist_ok=True)
        for name in OUTPUTS:
            outputs[name].write_parquet(args.save_outputs / f"{name}.parquet")
        print(f"\nsaved the output tables to {args.save_outputs}")
    if args.compare:
        print(f"\ncompare with {args.compare} (in memory and read back from the snapshot): "
              + ("identical" if not problems else "DIFFERENT"))
        for p in problems:
            print(f"  {p}")
        status = 1 if problems else 0
    return status


if __name__ == "__main__":
    raise SystemExit(main())
