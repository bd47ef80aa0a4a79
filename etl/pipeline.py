"""The ETL run: ingest -> extract -> normalise -> validate -> store, timed stage by stage.

``transform`` is the pure middle (papers in, validated tables out); ``run_etl`` adds the
edges: reading sources, writing the snapshot, switching "current", recording the run.
A run that fails at any point is recorded with its error and leaves the previous snapshot
current.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from etl import extract, ingest, normalise, review, validate
from etl.store import check_shrink, new_run_id, prune, publish, record_run, write_snapshot
from etl.schemas import empty_quarantine


def bundled_corpus() -> Path:
    """The sample listing pages: ``etl/seeds`` in an installed wheel (the repository's data/seeds,
    packaged there as ``etl.seeds``), else data/seeds of a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "seeds"
    return packaged if packaged.is_dir() else here.parent / "data" / "seeds"


BUNDLED_CORPUS = bundled_corpus()
DEFAULT_KEEP = 5
#: a run yielding fewer papers than this fraction of the current snapshot's is not published
#: without ``allow_shrink`` (``--allow-shrink``); a run yielding none never is
DEFAULT_MIN_FRACTION = 0.5

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
            release_freed_memory()
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 4)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_MALLOC_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system after a stage (glibc's ``malloc_trim``).

    What a stage freed stays in the process otherwise, and the next stage's peak stacks on it:
    about 0.1 GB per 333k abstracts after ingest. A no-op where the C library has no malloc_trim.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


@dataclass(frozen=True)
class Tables:
    papers: pl.DataFrame
    claims: pl.DataFrame
    facts: pl.DataFrame
    quarantine: pl.DataFrame  # without run_id
    corrections: pl.DataFrame | None = None  # one row per correction with its status (etl.review)
    corrections_counts: dict | None = None  # the manifest's "corrections" key


@dataclass
class Work:
    """The frames between the steps of ``transform``; each step fills in its part."""

    papers: pl.DataFrame
    extract_fn: ExtractFn
    claims: pl.DataFrame | None = None  # raw until the claims are normalised
    facts: pl.DataFrame | None = None  # raw until the facts are normalised
    quarantined: list[pl.DataFrame] = field(default_factory=list)
    corrections: review.CorrectionsFile | None = None  # the readers' decisions (etl.review)
    applied: review.Applied | None = None


def _extract(work: Work) -> None:
    work.claims, work.facts = work.extract_fn(work.papers)


def _normalise_papers_and_facts(work: Work) -> None:
    work.papers = normalise.normalise_papers(work.papers, work.facts)
    work.facts = normalise.normalise_facts(work.facts, work.papers)


def _validate_papers_and_facts(work: Work) -> None:
    work.papers, bad_papers = validate.validate_papers(work.papers)
    work.facts, bad_facts = validate.validate_facts(work.facts.join(work.papers.select("paper_id"), on="paper_id", how="semi"))
    work.quarantined += [bad_papers, bad_facts]


def _normalise_claims(work: Work) -> None:
    work.claims = normalise.normalise_claims(work.claims)


def _review(work: Work) -> None:
    file = work.corrections
    work.applied, bad = review.review_claims(
        work.claims, work.papers, file.corrections if file else (), file.bad if file else (),
        check=validate.validate_claims, derive=normalise.with_baseline_kinds, check_papers=validate.validate_papers,
    )
    work.claims = work.applied.claims
    if work.applied.papers is not None:  # a paper field (is_systems) set through one of its claims
        work.papers = work.applied.papers
    work.quarantined.append(bad)


def _validate_claims(work: Work) -> None:
    work.claims, bad_claims = validate.validate_claims(work.claims, work.papers)
    work.quarantined.append(bad_claims)


@dataclass(frozen=True)
class Step:
    stage: str  # the name it is timed and reported under
    run: Callable[[Work], None]


#: The order of ``transform``. Claims carry their own setting from the extractor (a value taken
#: from the paper is checked against the same ranges as the claim's own), so they are normalised
#: on their own; readers' corrections are applied to normalised claims and checked by the same
#: validation. Normalise and validate run once for papers and facts and once for claims; their
#: seconds add up under one name each.
STEPS = (
    Step("extract", _extract),
    Step("normalise", _normalise_papers_and_facts),
    Step("validate", _validate_papers_and_facts),
    Step("normalise", _normalise_claims),
    Step("review", _review),  # readers' corrections, before validation: corrected rows pass the same checks
    Step("validate", _validate_claims),
)


def transform(
    papers: pl.DataFrame, clock: StageClock, progress: Progress | None = None, extract_fn: ExtractFn = extract.extract_all,
    corrections: review.CorrectionsFile | None = None,
) -> Tables:
    """Papers (as ingested) -> validated papers, claims, facts and the quarantine, by ``STEPS``."""
    work = Work(papers, extract_fn, corrections=corrections)
    for step in STEPS:
        with clock.stage(step.stage, progress):
            step.run(work)
    applied = work.applied
    return Tables(work.papers, work.claims, work.facts, pl.concat(work.quarantined),
                  applied.corrections if applied else None, applied.counts() if applied else None)


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
    allow_shrink: bool = False,
    min_fraction: float = DEFAULT_MIN_FRACTION,
    corrections: Path | None = None,
) -> dict:
    """Run the whole ETL on ``sources`` and publish a snapshot; returns the run's manifest.

    Raises the stage's error after recording a failed run; the previous snapshot stays current.
    ``manifest_extra`` adds fields to every run record (failed ones too); ``annotate`` adds
    fields computed from the finished tables (a refresh's new/changed/removed counts).
    ``corrections``: the corrections file (default ``<store>/corrections.jsonl``), applied by the review step.

    A run whose sources yield no paper, or fewer than ``min_fraction`` of the current snapshot's,
    fails with ``ShrinkRefused`` (recorded, nothing published) unless ``allow_shrink``: a missing
    or emptied source must not replace a good snapshot.
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
        with clock.stage("review", progress):
            decisions = review.read_corrections(review.corrections_path(store, corrections))
        tables = transform(ingested.papers, clock, progress, extract_fn, decisions)
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
            "warnings_by_kind": validate.warnings_by_kind(tables.claims, tables.facts),
            "corrections": tables.corrections_counts,
            "corrections_file": {"path": str(decisions.path), "sha256": decisions.sha256},
        }
        if annotate:
            manifest |= annotate(tables)
        if not allow_shrink:
            check_shrink(store, tables.papers.height, min_fraction, ingested.errors)
        with clock.stage("store", progress):
            manifest |= {"status": "ok", "finished": datetime.now(UTC).isoformat(), "stage_seconds": clock.seconds}
            frames = {"papers": tables.papers, "claims": tables.claims, "facts": tables.facts, "quarantine": quarantine,
                      "corrections": tables.corrections}
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
