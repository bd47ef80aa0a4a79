"""Extraction of whole frames: text columns in, claims and facts frames out, large frames in
slices by a process pool."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from etl.extract.claims import (
    CLAIM_FIELDS,
    Claim,
    claims_from_texts,
)
from etl.extract.cleanup import (
    clean_texts,
    restore_offsets,
)
from etl.extract.facts import (
    FACT_SCHEMA,
    facts_from_texts,
    systems_score_expr,
)
from etl.extract.setting import (
    attach_settings,
)
from etl.schemas import SETTING_SCHEMA


@dataclass
class RecordExtraction:
    """Everything extracted from one title + abstract."""

    claims: list[Claim] = field(default_factory=list)
    system: str | None = None
    is_systems: bool = False
    model_sizes: list[float] = field(default_factory=list)
    gpu_counts: list[int] = field(default_factory=list)
    hardware_raw: list[str] = field(default_factory=list)


RECORD_SCHEMA = {"paper_id": pl.Utf8, "title": pl.Utf8, "abstract": pl.Utf8}


# ───────────────────────────── entry points ─────────────────────────────


def extract_records(papers: pl.DataFrame) -> list[RecordExtraction]:
    """One RecordExtraction per row of a paper_id/title/abstract frame, in row order.

    The same frame-level path the ETL runs; paper ids must be unique.
    """
    return records_from_frames(*extract_all(papers))


def records_from_frames(claims: pl.DataFrame, facts: pl.DataFrame) -> list[RecordExtraction]:
    """One RecordExtraction per row of ``facts``, in its order, with its rows of ``claims``."""
    by_paper: dict[str, list[Claim]] = {}
    for pid, *fields in claims.select("paper_id", *CLAIM_FIELDS, *SETTING_SCHEMA).iter_rows():
        by_paper.setdefault(pid, []).append(Claim(*fields))
    return [
        RecordExtraction(by_paper.get(pid, []), system, is_systems, sizes, gpus, hardware)
        for pid, system, is_systems, sizes, gpus, hardware in facts.select(list(FACT_SCHEMA)).iter_rows()
    ]


def extract_record(title: str, abstract: str) -> RecordExtraction:
    """Claims and facts of one paper (a one-row extract_records)."""
    return extract_records(pl.DataFrame([("", title, abstract)], schema=RECORD_SCHEMA, orient="row"))[0]


def text_columns(papers: pl.DataFrame) -> pl.DataFrame:
    return papers.select(
        pl.col("paper_id").cast(pl.Utf8),
        pl.col("title").cast(pl.Utf8).fill_null(""),
        pl.col("abstract").cast(pl.Utf8).fill_null(""),
    ).with_columns(score=systems_score_expr())


#: Frames of at least PARALLEL_MIN_ROWS papers are extracted in slices of SLICE_ROWS by spawned
#: worker processes (CLAIMBOARD_EXTRACT_WORKERS; docs/architecture.md, "Performance notes")
PARALLEL_MIN_ROWS = 20_000
SLICE_ROWS = 50_000


def extract_workers() -> int:
    try:
        return max(1, int(os.environ.get("CLAIMBOARD_EXTRACT_WORKERS") or os.cpu_count() or 1))
    except ValueError:
        return 1


def extract_claims(papers: pl.DataFrame) -> pl.DataFrame:
    """One row per claim (columns CLAIM_SCHEMA), each with its effective setting."""
    return _extract_slice(papers)[0]


def extract_facts(papers: pl.DataFrame, claims: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per paper (columns FACT_SCHEMA); ``claims`` (extract_claims of the same papers)
    is reused for is_systems when given, else extracted here."""
    texts = text_columns(papers)
    return facts_from_texts(texts, claims_from_texts(texts) if claims is None else claims)


def _extract_slice(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    # issue 11: extraction reads a cleaned copy of the abstracts that need one (LaTeX, PDF
    # hyphenation, spaced decimals, dashes); claim offsets are mapped back onto the stored text
    texts, cleaned = clean_texts(text_columns(papers))
    claims = claims_from_texts(texts)
    facts = facts_from_texts(texts, claims)
    return restore_offsets(attach_settings(claims, texts, facts), cleaned), facts


def extract_all(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(claims, facts) of a papers frame; the claims are extracted once and reused for is_systems.

    Large frames are cut into slices extracted by worker processes (see PARALLEL_MIN_ROWS). Only
    the text columns travel, and only a few slices at a time: the whole frame pickled into the
    pool's queue at once would be a second copy of every abstract in this process.
    """
    workers = extract_workers()
    if workers == 1 or papers.height < PARALLEL_MIN_ROWS:
        return _extract_slice(papers)
    texts = papers.select("paper_id", "title", "abstract")
    slices = (texts.slice(i, SLICE_ROWS) for i in range(0, texts.height, SLICE_ROWS))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        parts = list(_in_order(pool, _extract_slice, slices, in_flight=workers + 1))
    return pl.concat([c for c, _ in parts]), pl.concat([f for _, f in parts])


#: PR_SET_PDEATHSIG from <linux/prctl.h>: the signal a process gets when its parent dies
PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 1.0


def _die_with_parent(parent_pid: int) -> None:
    """Worker initializer: a worker whose ETL process dies (even by SIGKILL) exits too, instead of
    waiting forever on its pipe. On Linux the kernel sends SIGKILL (prctl PR_SET_PDEATHSIG); a
    watchdog thread polling the parent pid covers other systems and a parent that died before
    the prctl took effect."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(WATCHDOG_SECONDS)

    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=watch, name="claimboard-parent-watchdog", daemon=True).start()


def _in_order(pool: ProcessPoolExecutor, fn, items, in_flight: int):
    """``pool.map(fn, items)`` with at most ``in_flight`` items submitted and not yet returned."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
