"""The ETL run: ingest -> extract -> normalise -> validate -> store, timed stage by stage.

``transform`` is the pure middle (papers in, validated tables out); ``run_etl`` adds the
edges: reading sources, writing the snapshot, switching "current", recording the run.
A run that fails at any point is recorded with its error and leaves the previous snapshot
current.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from etl import extract, ingest, normalise, validate
from etl.store import DEFAULT_STORE, new_run_id, prune, publish, record_run, write_snapshot
from etl.schemas import empty_quarantine

BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "data" / "seeds"
DEFAULT_KEEP = 5

Progress = Callable[[str], None]
#: papers -> (raw claims, raw facts); a refresh passes one that reuses cached extractions.
ExtractFn = Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]


@dataclass
class StageClock:
    """Seconds spent per stage, in the order the stages ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, progress: Progress | None) -> Iterator[None]:
        if progress:
            progress(f"{name}…")
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 4)


@dataclass(frozen=True)
class Tables:
    papers: pl.DataFrame
    claims: pl.DataFrame
    facts: pl.DataFrame
    quarantine: pl.DataFrame  # without run_id


def transform(
    papers: pl.DataFrame, clock: StageClock, progress: Progress | None = None, extract_fn: ExtractFn = extract.extract_all
) -> Tables:
    """Papers (as ingested) -> validated papers, claims, facts and the quarantine."""
    with clock.stage("extract", progress):
        claims_raw, facts_raw = extract_fn(papers)
    with clock.stage("normalise", progress):
        papers = normalise.normalise_papers(papers, facts_raw)
        facts = normalise.normalise_facts(facts_raw, papers)
    with clock.stage("validate", progress):
        papers, bad_papers = validate.validate_papers(papers)
        facts, bad_facts = validate.validate_facts(facts.join(papers.select("paper_id"), on="paper_id", how="semi"))
    with clock.stage("normalise", progress):
        claims = normalise.normalise_claims(claims_raw, facts)
    with clock.stage("validate", progress):
        claims, bad_claims = validate.validate_claims(claims, papers)
    return Tables(papers, claims, facts, pl.concat([bad_papers, bad_facts, bad_claims]))


def quarantine_by_reason(quarantine: pl.DataFrame) -> dict[str, int]:
    """Counts per kind of reason (the reason without its per-row detail in parentheses)."""
    kinds = quarantine.select(
        kind=pl.col("stage") + pl.lit(": ") + pl.col("reason").str.replace(r"\s*\(.*$", "")
    )
    return dict(kinds.group_by("kind").len().sort("len", descending=True).iter_rows())


def run_etl(
    sources: Sequence[Path],
    store: Path,
    *,
    keep: int = DEFAULT_KEEP,
    trigger: str = "manual",
    progress: Progress | None = None,
    read_source: Callable[[Path], ingest.SourceRead] = ingest.read_source,
    extract_fn: ExtractFn = extract.extract_all,
    manifest_extra: Mapping[str, object] | None = None,
    annotate: Callable[[Tables], Mapping[str, object]] | None = None,
) -> dict:
    """Run the whole ETL on ``sources`` and publish a snapshot; returns the run's manifest.

    Raises the stage's error after recording a failed run; the previous snapshot stays current.
    ``manifest_extra`` adds fields to every run record (failed ones too); ``annotate`` adds
    fields computed from the finished tables (a refresh's new/changed/removed counts).
    """
    run_id = new_run_id()
    clock = StageClock()
    manifest: dict = {
        "run_id": run_id,
        "trigger": trigger,
        "started": datetime.now(UTC).isoformat(),
        "status": "running",
        "extractor_version": extract.EXTRACTOR_VERSION,
        "sources": [str(s) for s in sources],
        **(manifest_extra or {}),
    }
    try:
        with clock.stage("ingest", progress):
            ingested = ingest.ingest(list(sources), progress=progress, read_source=read_source)
        tables = transform(ingested.papers, clock, progress, extract_fn)
        quarantine = pl.concat([ingested.quarantine, tables.quarantine]).select(
            pl.lit(run_id).alias("run_id"), *empty_quarantine().columns
        )
        manifest |= {
            "inputs": ingested.inputs,
            "errors": ingested.errors,
            "merged_duplicates": ingested.merged,
            "counts": {
                "papers": tables.papers.height,
                "systems_papers": int(tables.papers["is_systems"].sum()),
                "claims": tables.claims.height,
                "facts": tables.facts.height,
                "quarantine": quarantine.height,
                "warnings": int(tables.claims["warning"].is_not_null().sum())
                + int(tables.facts["warning"].is_not_null().sum()),
            },
            "quarantine_by_reason": quarantine_by_reason(quarantine),
        }
        if annotate:
            manifest |= annotate(tables)
        with clock.stage("store", progress):
            manifest |= {"status": "ok", "finished": datetime.now(UTC).isoformat(), "stage_seconds": clock.seconds}
            frames = {"papers": tables.papers, "claims": tables.claims, "facts": tables.facts, "quarantine": quarantine}
            write_snapshot(store, run_id, frames, manifest)
            publish(store, run_id)
            prune(store, keep)
        manifest["stage_seconds"] = clock.seconds
    except Exception as err:
        manifest |= {
            "status": "failed",
            "finished": datetime.now(UTC).isoformat(),
            "stage_seconds": clock.seconds,
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(limit=8),
        }
        record_run(store, manifest)
        raise
    record_run(store, manifest)
    return manifest


# ------------------------------------------------------------------------------ CLI


def configure_etl(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", action="append", type=Path, metavar="PATH",
        help="listing page (.txt), JSONL or CSV file, or a folder of them; repeatable "
        f"(default: the bundled corpus in {BUNDLED_CORPUS.relative_to(BUNDLED_CORPUS.parent.parent)})",
    )
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE, help="store directory (default: %(default)s)")
    parser.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="snapshots to keep (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress display, summary only")
    parser.epilog = (
        "examples:\n"
        "  claimboard etl                                   # bundled corpus -> data/store\n"
        "  claimboard etl --source listings/ --source extra.jsonl --store /srv/claimboard\n"
        "  claimboard etl --source papers.csv --keep 10\n"
        "A record that cannot be used goes to the snapshot's quarantine table with its reason;\n"
        "an unreadable file is reported by name and the other files still load."
    )


def run_etl_command(args: argparse.Namespace) -> int:
    from etl.lock import store_lock
    from etl.report import print_run_summary, run_with_status

    def run(progress: Progress | None) -> dict:
        with store_lock(args.store):
            return run_etl(args.source or [BUNDLED_CORPUS], args.store, keep=args.keep, progress=progress)

    status, manifest = run_with_status(
        "ETL", run, args.quiet, f"the previous snapshot (if any) is still current in {args.store}"
    )
    if manifest is not None:
        print_run_summary(manifest, args.store)
    return status
