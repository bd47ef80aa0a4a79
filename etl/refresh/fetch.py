"""Remote sources -> raw responses kept on disk -> normalised JSONL that ingest reads like a local file.

Two public APIs are fetched: Hugging Face daily papers (a JSON list per day) and the arXiv API
(Atom, paged). Every response body is written under ``<store>/raw/<source>/<day | q-hash>/`` before
it is parsed, so nothing fetched is lost and ``replay=True`` rebuilds a run offline from those files.

Layout: pure parsers and URL builders first; ``_Client`` is the only code that touches the network
or the raw folder; ``fetch_source`` ties them together and never lets a source's failure escape as
an exception: a source that is down or returns garbage yields a ``FetchResult`` with ``errors``.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import random
import re
import tempfile
import time
import urllib.error
import urllib.request
import xml.sax
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode

import feedparser

from etl.refresh.config import ArxivSource, FetchSettings, HFDailySource, RemoteSource

Progress = Callable[[str], None]

NORMALISED_NAME = "normalised.jsonl"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUS = frozenset({429, 503})
ARXIV_ABS_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v\d+)?$")
ARXIV_ERROR_ID = "arxiv.org/api/errors"
BODY_SNIPPET_BYTES = 200


@dataclass(frozen=True)
class Record:
    """One paper as ingest reads it from a JSONL line (``authors`` is a count)."""

    id: str  # arXiv id without version, e.g. "2611.09876"
    title: str | None
    abstract: str | None
    published: str | None  # YYYY-MM-DD
    authors: int | None
    upvotes: int | None
    source: str


RECORD_FIELDS = tuple(field.name for field in fields(Record))


@dataclass(frozen=True)
class FetchResult:
    source: str
    path: Path  # <store>/raw/<source>/normalised.jsonl: every paper this source has given so far
    records: tuple[Record, ...]  # this run's papers
    requests: int  # HTTP attempts made, retries included (responses read from disk when replaying)
    errors: tuple[str, ...]  # each names the source, the URL and what went wrong
    raw_paths: tuple[Path, ...]  # responses written (or read, when replaying) this run
    capped: bool  # max_requests or max_items stopped the run before the source was exhausted

    @property
    def items(self) -> int:
        return len(self.records)


class FetchError(Exception):
    """A request that failed for good; the message names the source and URL."""


class CapReached(Exception):
    """The run's request budget is spent."""


@dataclass(frozen=True)
class Request:
    url: str
    raw_key: str  # folder under raw/<source>/: the day, or a hash of the query
    suffix: str  # "json" | "xml"


@dataclass(frozen=True)
class Body:
    data: bytes
    problem: str | None = None  # the connection broke mid-body: data is what arrived


@dataclass(frozen=True)
class Page:
    """What one response body gave: records, what was wrong with it, and (arXiv) the total on offer."""

    records: tuple[Record, ...]
    problems: tuple[str, ...] = ()
    total: int | None = None


# ---------------------------------------------------------------------------------------------
# Pure: URLs, parsing, normalising, retry timing


def hf_days(today: date, days_back: int) -> list[date]:
    """Newest first, so the item cap keeps the most recent days."""
    return [today - timedelta(days=n) for n in range(days_back + 1)]


def hf_request(source: HFDailySource, day: date) -> Request:
    return Request(_with_query(source.base_url, {"date": day.isoformat()}), raw_key=day.isoformat(), suffix="json")


def arxiv_request(source: ArxivSource, start: int, size: int) -> Request:
    params = {
        "search_query": source.search_query,
        "start": start,
        "max_results": size,
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    # keyed by the query, not the host, so a replay finds it whatever base_url points at
    digest = hashlib.sha256(urlencode(params).encode()).hexdigest()[:16]
    return Request(_with_query(source.base_url, params), raw_key=f"q-{digest}", suffix="xml")


def _with_query(base_url: str, params: dict) -> str:
    return f"{base_url}{'&' if '?' in base_url else '?'}{urlencode(params)}"


def parse_hf_daily(data: bytes, source: str) -> Page:
    """A daily_papers response: a JSON list of {"paper": {"id", "title", "summary", "authors", ...}, ...}."""
    try:
        items = json.loads(data)
    except ValueError as exc:
        return Page((), (f"malformed JSON ({exc})",))
    if not isinstance(items, list):
        return Page((), (f"expected a JSON list of papers, got a JSON {type(items).__name__}",))
    records: list[Record] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        paper = item.get("paper") if isinstance(item, dict) else None
        if not isinstance(paper, dict) or not _clean(paper.get("id")):
            problems.append(f"entry {index} has no paper.id; skipped")
            continue
        authors = paper.get("authors")
        upvotes = paper.get("upvotes", item.get("upvotes"))
        records.append(
            Record(
                id=_clean(paper["id"]),
                title=_clean(paper.get("title")) or _clean(item.get("title")),
                abstract=_clean(paper.get("summary")) or _clean(item.get("summary")),
                published=_iso_day(paper.get("publishedAt")) or _iso_day(item.get("publishedAt")),
                authors=len(authors) if isinstance(authors, list) else None,
                upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
                source=source,
            )
        )
    return Page(tuple(records), tuple(problems))


def parse_arxiv_feed(data: bytes, source: str) -> Page:
    """An arXiv API Atom page. A document cut short keeps the entries completed before the cut."""
    feed = feedparser.parse(io.BytesIO(data))  # a stream: feedparser would fetch a body that looks like a URL
    entries = list(feed.entries)
    problems: list[str] = []
    malformed = feed.get("bozo_exception")
    if isinstance(malformed, xml.sax.SAXException):
        complete = data.count(b"</entry>")
        entries = entries[:complete]
        problems.append(f"malformed Atom ({malformed}); kept the {complete} complete entries before it")
    elif not feed.get("version", "").startswith("atom"):
        return Page((), (f"not an Atom feed (starts {data[:60]!r})",))
    records: list[Record] = []
    for entry in entries:
        entry_id = entry.get("id", "")
        if ARXIV_ERROR_ID in entry_id:
            problems.append(f"arXiv API error: {_clean(entry.get('summary')) or entry_id}")
            continue
        match = ARXIV_ABS_ID.search(entry_id)
        if not match:
            problems.append(f"entry id {entry_id!r} is not an arXiv abs URL; skipped")
            continue
        records.append(
            Record(
                id=match["id"],
                title=_clean(entry.get("title")),
                abstract=_clean(entry.get("summary")),
                published=_iso_day(entry.get("published")),
                authors=len(entry.get("authors", [])) or None,
                upvotes=None,
                source=source,
            )
        )
    total = feed.feed.get("opensearch_totalresults", "")
    return Page(tuple(records), tuple(problems), int(total) if str(total).isdigit() else None)


def _clean(value: object) -> str | None:
    """Text with its line wrapping and runs of spaces folded; None for anything else or blank."""
    return (" ".join(value.split()) or None) if isinstance(value, str) else None


def _iso_day(value: object) -> str | None:
    """YYYY-MM-DD of an ISO timestamp such as "2026-11-20T18:59:59.000Z"."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry: int, settings: FetchSettings, jitter: float) -> float:
    """Exponential (base * 2**(retry-1)), capped, with "equal jitter": half fixed, half random.

    The random half spreads clients that failed together; the fixed half keeps the wait growing.
    ``jitter`` is in [0, 1).
    """
    ceiling = min(settings.backoff_max, settings.backoff_base * 2 ** (retry - 1))
    return ceiling / 2 + jitter * ceiling / 2


def merge_records(previous: Iterable[Record], fresh: Iterable[Record]) -> list[Record]:
    """One record per id, the fresh one winning (upvotes grow, abstracts get revised); sorted by id."""
    by_id = {record.id: record for record in previous}
    by_id.update((record.id, record) for record in fresh)
    return [by_id[key] for key in sorted(by_id)]


def unique_by_id(records: Iterable[Record]) -> list[Record]:
    """First occurrence wins: the newest day (HF) or the earliest page (arXiv, pages can overlap)."""
    seen: dict[str, Record] = {}
    for record in records:
        seen.setdefault(record.id, record)
    return list(seen.values())


def jsonl(records: Iterable[Record]) -> bytes:
    return "".join(json.dumps(asdict(record), ensure_ascii=False) + "\n" for record in records).encode()


# ---------------------------------------------------------------------------------------------
# I/O edge: files


def raw_folder(store: Path, source_name: str) -> Path:
    return Path(store) / "raw" / source_name


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one (the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def read_normalised(path: Path) -> tuple[list[Record], list[str]]:
    """Records of an earlier run's normalised.jsonl; unreadable lines are reported, not fatal."""
    if not path.exists():
        return [], []
    records: list[Record] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            values = json.loads(line)
        except ValueError as exc:
            problems.append(f"{path}:{number}: malformed JSON ({exc}); line dropped")
            continue
        if isinstance(values, dict) and isinstance(values.get("id"), str):
            records.append(Record(**{name: values.get(name) for name in RECORD_FIELDS}))
        else:
            problems.append(f"{path}:{number}: not a record with an id; line dropped")
    return records, problems


# ---------------------------------------------------------------------------------------------
# I/O edge: HTTP


@dataclass(frozen=True)
class _Attempt:
    status: int | None  # None: no HTTP response at all (timeout, refused, reset)
    data: bytes = b""
    failure: str | None = None
    retry_after: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in RETRYABLE_STATUS or self.truncated


class _Client:
    """A source's requests for one run: politeness, retries, the request cap, and the raw folder.

    Replaying, it reads the newest stored response for each request instead of the network.
    """

    def __init__(self, source: str, raw_root: Path, settings: FetchSettings, replay: bool, report: Progress):
        self.source = source
        self.raw_root = raw_root
        self.settings = settings
        self.replay = replay
        self.report = report
        self.requests = 0
        self.raw_paths: list[Path] = []
        self._last_request: float | None = None  # time.monotonic() of the previous attempt

    def get(self, request: Request) -> Body:
        if self.requests >= self.settings.max_requests:
            raise CapReached
        return self._stored(request) if self.replay else self._fetched(request)

    def _stored(self, request: Request) -> Body:
        self.requests += 1
        folder = self.raw_root / request.raw_key
        stored = sorted(folder.glob(f"*.{request.suffix}"))
        if not stored:
            raise FetchError(f"{self.source}: replay: no stored response for {request.url} in {folder}")
        self.raw_paths.append(stored[-1])
        self.report(f"{self.source}: replaying {stored[-1]}")
        return Body(stored[-1].read_bytes())

    def _fetched(self, request: Request) -> Body:
        attempts = self.settings.retries + 1
        for number in range(1, attempts + 1):
            if number > 1 and self.requests >= self.settings.max_requests:
                raise FetchError(f"{self.source}: GET {request.url}: {outcome.failure} (request cap reached while retrying)")
            self._pause()
            self.requests += 1
            self.report(f"{self.source}: GET {request.url}" + (f" (attempt {number}/{attempts})" if number > 1 else ""))
            outcome = self._attempt(request.url)
            if outcome.ok:
                return self._keep(request, outcome.data)
            if not outcome.retryable or number == attempts:
                break
            delay = self._retry_delay(outcome, number)
            if delay > self.settings.max_retry_after:
                raise FetchError(
                    f"{self.source}: GET {request.url}: {outcome.failure}; server asked to retry after {delay:.0f} s,"
                    f" more than fetch.max_retry_after ({self.settings.max_retry_after:.0f} s)"
                )
            self.report(f"{self.source}: {outcome.failure}; retrying in {delay:.2f} s")
            time.sleep(delay)
        if outcome.truncated and outcome.data:
            return self._keep(request, outcome.data, problem=f"{outcome.failure} (after {number} attempts)")
        tries = f"gave up after {number} attempts" if number > 1 else "not retried"
        raise FetchError(f"{self.source}: GET {request.url}: {outcome.failure} ({tries})")

    def _retry_delay(self, outcome: _Attempt, retry: int) -> float:
        if outcome.status in RETRY_AFTER_STATUS:
            asked = parse_retry_after(outcome.retry_after, datetime.now(timezone.utc))
            if asked is not None:
                return asked
        return backoff_delay(retry, self.settings, random.random())

    def _pause(self) -> None:
        """Keep ``request_interval`` between the starts of consecutive requests."""
        if self._last_request is not None:
            wait = self.settings.request_interval - (time.monotonic() - self._last_request)
            if wait > 0:
                time.sleep(wait)
        self._last_request = time.monotonic()

    def _attempt(self, url: str) -> _Attempt:
        timeout = self.settings.timeout
        request = urllib.request.Request(url, headers={"User-Agent": self.settings.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                try:
                    return _Attempt(response.status, response.read())
                except http.client.IncompleteRead as exc:
                    return _Attempt(
                        response.status, exc.partial, f"response cut short after {len(exc.partial)} bytes", truncated=True
                    )
        except urllib.error.HTTPError as exc:
            snippet = _error_snippet(exc)
            failure = f"HTTP {exc.code} {exc.reason}" + (f": {snippet}" if snippet else "")
            return _Attempt(exc.code, failure=failure, retry_after=exc.headers.get("Retry-After"))
        except TimeoutError:
            return _Attempt(None, failure=f"timed out after {timeout:g} s")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return _Attempt(None, failure=f"timed out after {timeout:g} s")
            return _Attempt(None, failure=f"cannot connect ({exc.reason})")
        except (http.client.HTTPException, OSError) as exc:
            return _Attempt(None, failure=f"connection failed ({type(exc).__name__}: {exc})")

    def _keep(self, request: Request, data: bytes, problem: str | None = None) -> Body:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.raw_root / request.raw_key / f"{stamp}.{request.suffix}"
        write_atomic(path, data)
        self.raw_paths.append(path)
        return Body(data, problem)


def _error_snippet(error: urllib.error.HTTPError) -> str:
    """The start of an error response's body: APIs explain a 400 there."""
    try:
        return error.read(BODY_SNIPPET_BYTES).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""


# ---------------------------------------------------------------------------------------------
# Fetchers


@dataclass(frozen=True)
class _Harvest:
    records: list[Record]
    errors: list[str]
    capped: bool


def fetch_source(
    source: RemoteSource,
    store: Path,
    settings: FetchSettings,
    *,
    replay: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> FetchResult:
    """Fetch one remote source (or replay its stored responses) into <store>/raw/<name>/normalised.jsonl.

    The JSONL accumulates: this run's records replace earlier ones with the same id, and papers
    seen in earlier runs stay, so a snapshot built from it keeps everything ever fetched.
    """
    report = progress or (lambda message: None)
    folder = raw_folder(store, source.name)
    client = _Client(source.name, folder, settings, replay, report)
    try:
        if isinstance(source, HFDailySource):
            harvest = _fetch_hf_daily(source, client, settings, today or datetime.now(timezone.utc).date())
        else:
            harvest = _fetch_arxiv(source, client, settings)
    except OSError as exc:  # the raw folder is not writable: nothing fetched can be kept
        harvest = _Harvest([], [f"{source.name}: cannot store raw responses under {folder} ({exc})"], False)
    unique = unique_by_id(harvest.records)
    records = tuple(unique[: settings.max_items])
    capped = harvest.capped or len(unique) > settings.max_items
    errors = list(harvest.errors)
    path = folder / NORMALISED_NAME
    try:
        previous, problems = read_normalised(path)
        write_atomic(path, jsonl(merge_records(previous, records)))
        errors += problems
    except OSError as exc:
        errors.append(f"{source.name}: cannot write {path} ({exc})")
    if capped:
        report(f"{source.name}: stopped at the per-run cap (max_requests={settings.max_requests}, max_items={settings.max_items})")
    report(f"{source.name}: {len(records)} papers, {client.requests} requests, {len(errors)} errors")
    return FetchResult(
        source=source.name,
        path=path,
        records=records,
        requests=client.requests,
        errors=tuple(errors),
        raw_paths=tuple(client.raw_paths),
        capped=capped,
    )


def _fetch_hf_daily(source: HFDailySource, client: _Client, settings: FetchSettings, today: date) -> _Harvest:
    """One request per day; a failed day is reported and the other days are still fetched."""
    records: list[Record] = []
    errors: list[str] = []
    for day in hf_days(today, source.days_back):
        if len(records) >= settings.max_items:
            return _Harvest(records, errors, capped=True)
        request = hf_request(source, day)
        try:
            body = client.get(request)
        except CapReached:
            return _Harvest(records, errors, capped=True)
        except FetchError as exc:
            errors.append(str(exc))
            continue
        page = parse_hf_daily(body.data, source.name)
        records += page.records
        errors += _page_errors(source.name, request, body, page)
        client.report(f"{source.name} {day}: {len(page.records)} papers")
    return _Harvest(records, errors, capped=False)


def _fetch_arxiv(source: ArxivSource, client: _Client, settings: FetchSettings) -> _Harvest:
    """Pages of ``page_size`` until the feed's total is reached; a broken page ends the paging."""
    records: list[Record] = []
    errors: list[str] = []
    start = 0
    while True:
        remaining = settings.max_items - len(records)
        if remaining <= 0:
            return _Harvest(records, errors, capped=True)
        request = arxiv_request(source, start, min(source.page_size, remaining))
        try:
            body = client.get(request)
        except CapReached:
            return _Harvest(records, errors, capped=True)
        except FetchError as exc:
            return _Harvest(records, errors + [str(exc)], capped=False)
        page = parse_arxiv_feed(body.data, source.name)
        records += page.records
        page_errors = _page_errors(source.name, request, body, page)
        errors += page_errors
        client.report(f"{source.name} from {start}: {len(page.records)} papers (of {page.total})")
        start += min(source.page_size, remaining)
        if page_errors or not page.records or page.total is None or start >= page.total:
            return _Harvest(records, errors, capped=False)


def _page_errors(source: str, request: Request, body: Body, page: Page) -> list[str]:
    problems = ([body.problem] if body.problem else []) + list(page.problems)
    return [f"{source}: {request.url}: {problem}" for problem in problems]
