"""Listing-page titles -> arXiv ids and dates, through the arXiv API (``[resolve]`` in the config).

A listing page gives a title and an abstract but no id, so its papers link to an arXiv title
search and often have no date. ``resolve_titles`` asks the arXiv API for each such title
(``ti:"..."``), accepts an entry whose title is the same paper's (normalised titles equal, or
near-identical by the ingest ``[dedup]`` cutoff), and writes one JSONL record per resolved paper:
the listing's own title and abstract with the arXiv id, the abstract page and the submission date.
Ingest reads that file like any JSONL source, so the record merges with the listing paper (same
title), which then has its arXiv id (as paper_id), its abs page as ``url`` and the earliest date.

Polite like the fetchers (it uses their client: User-Agent with a contact, ``request_interval``
between requests, retries with backoff, Retry-After, ``max_requests``, ``source_deadline``; every
response kept under ``<store>/raw/<name>/`` for ``refresh --replay``), and cached: each title is
looked up once (``<store>/cache/arxiv_titles.json``: found or not, and when); a title not found is
asked again after ``retry_days``. Deleting the cache only costs the requests again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import polars as pl
from rapidfuzz import fuzz

from etl import ingest
from etl.ingest.records import ARXIV_ABS, normalise_titles
from etl.ingest.rules import RULES
from etl.refresh.caches import CACHE_DIR, read_json, write_cache_file
from etl.refresh.config import ResolveSettings
from etl.refresh.fetch import (
    CapReached, DeadlineReached, FetchError, FetchSettings, Request, Client, parse_page, parse_arxiv_feed, raw_folder, write_atomic,
)

Progress = Callable[[str], None]

CACHE_NAME = "arxiv_titles.json"  # normalised title -> {"id", "title", "published", "checked"}
OUTPUT_NAME = "arxiv_titles.jsonl"  # what ingest reads: one record per resolved listing paper
RAW_NAME = "arxiv-titles"  # <store>/raw/<RAW_NAME>/t-<hash>/<stamp>.xml
CANDIDATES = 5  # entries asked for per title


@dataclass(frozen=True)
class ResolveResult:
    path: Path  # the JSONL of resolved papers (an input of the run)
    titles: int  # listing papers without an id
    resolved: int  # of those, with an arXiv id (from the cache or this run)
    looked_up: int  # titles asked for this run
    requests: int
    errors: tuple[str, ...]
    capped: bool  # titles left for a later run (max_titles, max_requests or the deadline)

    def summary(self) -> dict:
        return {"path": str(self.path), "titles": self.titles, "resolved": self.resolved, "looked_up": self.looked_up,
                "requests": self.requests, "capped": self.capped, "errors": list(self.errors)}


def title_request(settings: ResolveSettings, title: str) -> Request:
    """An arXiv API search for the title's words as a phrase in the title field."""
    words = " ".join(normalise_titles(pl.Series([title], dtype=pl.Utf8)).item().split())
    params = {"search_query": f'ti:"{words}"', "start": 0, "max_results": CANDIDATES}
    digest = hashlib.sha256(words.encode()).hexdigest()[:16]  # keyed by the words, not the host (replay)
    base = settings.base_url
    return Request(f"{base}{'&' if '?' in base else '?'}{urlencode(params)}", raw_key=f"t-{digest}", suffix="xml")


def title_key(title: str) -> str:
    """The cache key: the normalised title without spaces (as ingest's duplicate merge compares)."""
    return normalise_titles(pl.Series([title], dtype=pl.Utf8)).item().replace(" ", "")


def best_match(title: str, candidates) -> dict | None:
    """The candidate (a fetch ``Record``) that is this title's paper: equal normalised titles, else
    the most similar at or above ingest's ``[dedup] fuzzy_cutoff``; None when none is."""
    key = title_key(title)
    best, best_score = None, RULES.fuzzy_cutoff
    for record in candidates:
        if not record.title:
            continue
        score = 100.0 if title_key(record.title) == key else fuzz.ratio(key, title_key(record.title))
        if score >= best_score and (best is None or score > best_score):
            best, best_score = record, score
    if best is None:
        return None
    return {"id": best.id, "title": best.title, "published": best.published}


def unresolved_papers(sources: tuple[Path, ...]) -> pl.DataFrame:
    """The papers of the local sources that have no id (their link is a title search)."""
    papers = ingest.ingest(list(sources)).papers
    return papers.filter(pl.col("url_kind") == "search").select("title", "abstract")


def resolve_titles(
    sources: tuple[Path, ...],
    store: Path,
    fetch: FetchSettings,
    settings: ResolveSettings,
    *,
    replay: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> ResolveResult:
    """Look up the local sources' id-less titles (cache first), then write ``<store>/cache/arxiv_titles.jsonl``.

    Never raises for a network problem: a failed title is reported in ``errors`` and asked again
    next run; the records already resolved are written whatever happens.
    """
    report = progress or (lambda message: None)
    today = today or datetime.now(timezone.utc).date()
    cache_dir = Path(store) / CACHE_DIR
    cache_path, output = cache_dir / CACHE_NAME, cache_dir / OUTPUT_NAME
    cache: dict = read_json(cache_path) or {}
    papers = unresolved_papers(sources)
    client = Client(RAW_NAME, raw_folder(store, RAW_NAME), fetch, replay, report)
    errors: list[str] = []
    looked_up, capped = 0, False
    for title in papers["title"]:
        key = title_key(title)
        if not _due(cache.get(key), today, settings.retry_days):
            continue
        if looked_up >= settings.max_titles:
            capped = True
            break
        request = title_request(settings, title)
        try:
            body = client.get(request)
        except CapReached:
            capped = True
            break
        except DeadlineReached as exc:
            errors.append(str(exc))
            capped = True
            break
        except FetchError as exc:
            if not replay:  # replaying, a title never asked has no stored response: not an error
                errors.append(str(exc))
            continue
        looked_up += 1
        page = parse_page(parse_arxiv_feed, body.data, RAW_NAME)
        if page.problems and not page.records:
            errors += [f"{RAW_NAME}: {request.url}: {problem}" for problem in page.problems]
            continue  # asked again next run
        cache[key] = (best_match(title, page.records) or {"id": None}) | {"checked": today.isoformat()}
    write_cache_file(cache_path, lambda tmp: tmp.write_text(json.dumps(cache, sort_keys=True), encoding="utf-8"))
    lines = []
    for title, abstract in papers.select("title", "abstract").iter_rows():
        hit = cache.get(title_key(title)) or {}
        if hit.get("id"):
            lines.append(json.dumps({"id": hit["id"], "title": title, "abstract": abstract, "published": hit.get("published"),
                                     "url": ARXIV_ABS + hit["id"]}, ensure_ascii=False))
    data = "".join(line + "\n" for line in lines).encode()
    try:
        if not output.exists() or output.read_bytes() != data:  # same bytes: the input hash stays
            write_atomic(output, data)
    except OSError as exc:
        errors.append(f"{RAW_NAME}: cannot write {output} ({exc})")
    report(f"{RAW_NAME}: {len(lines)} of {papers.height} listing titles resolved, {looked_up} looked up, "
           f"{client.requests} requests, {len(errors)} errors")
    return ResolveResult(output, papers.height, len(lines), looked_up, client.requests, tuple(errors), capped)


def _due(entry: dict | None, today: date, retry_days: int) -> bool:
    """A title is asked for when never looked up, or not found more than ``retry_days`` ago."""
    if entry is None:
        return True
    if entry.get("id"):
        return False
    try:
        checked = date.fromisoformat(entry.get("checked", ""))
    except (TypeError, ValueError):
        return True
    return (today - checked).days >= retry_days
