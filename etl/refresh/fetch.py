"""Remote sources -> raw responses kept on disk -> normalised JSONL that ingest reads like a local file.

Two public APIs are fetched: Hugging Face daily papers (a JSON list per day) and the arXiv API
(Atom, paged). Every response body is written under ``<store>/raw/<source>/<day | q-hash>/`` before
it is parsed, so nothing fetched is lost and ``replay=True`` rebuilds a run offline from those files.

Layout: pure parsers and URL builders first; ``Client`` is the only code that touches the network
or the raw folder; ``fetch_source`` ties them together and never lets a source's failure escape as
an exception: a source that is down or returns garbage yields a ``FetchResult`` with ``errors``.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import random
import re
import time
import urllib.error
import urllib.request
import xml.sax
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import feedparser
import numpy as np

from etl.ingest.records import ARXIV_ABS, HF_PAPER
from etl.refresh.config import ArxivSource, FetchSettings, HFDailySource, RemoteSource
from etl.store.atomic import atomic_write_bytes

Progress = Callable[[str], None]

NORMALISED_NAME = "normalised.jsonl"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUS = frozenset({429, 503})
ARXIV_ABS_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v\d+)?$")
ARXIV_ERROR_ID = "arxiv.org/api/errors"
BODY_SNIPPET_BYTES = 200
READ_BYTES = 1 << 16  # one socket read: the byte cap and the deadline are checked between reads
MAX_JSON_DEPTH = 64  # a daily_papers body nests 4 deep; deeper is refused before json.loads recurses
JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
DEFAULT_PORTS = {"http": 80, "https": 443}


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
    url: str | None = None  # the paper's page: Hugging Face for HF daily papers, the abs page for arXiv


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


class DeadlineReached(FetchError):
    """The source's ``source_deadline`` passed: the source stops for this run."""


class RedirectRefused(Exception):
    """A redirect off the request's own scheme family (http/https), host or port."""


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


def json_depth(data: bytes, block: int = 1 << 20) -> int:
    """How deep ``[`` / ``{`` nest in a JSON text (brackets inside strings do not count); linear,
    without recursion, memory about one ``block``."""
    text = JSON_STRING.sub(b"", data)
    depth = deepest = 0
    for start in range(0, len(text), block):
        array = np.frombuffer(text, np.uint8, count=min(block, len(text) - start), offset=start)
        steps = np.isin(array, (0x5B, 0x7B)).astype(np.int32) - np.isin(array, (0x5D, 0x7D)).astype(np.int32)
        if not steps.any():
            continue
        running = np.cumsum(steps, dtype=np.int64) + depth
        deepest = max(deepest, int(running.max()))
        depth = int(running[-1])
    return deepest


def parse_hf_daily(data: bytes, source: str) -> Page:
    """A daily_papers response: a JSON list of {"paper": {"id", "title", "summary", "authors", ...}, ...}."""
    depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        return Page((), (f"JSON nested too deeply ({depth} levels, more than {MAX_JSON_DEPTH}); response skipped",))
    try:
        items = json.loads(data)
    except ValueError as exc:
        return Page((), (f"malformed JSON ({exc})",))
    except RecursionError:  # not reached after the depth check; kept so no body can escape as one
        return Page((), ("JSON nested too deeply; response skipped",))
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
                authors=(len(authors) or None) if isinstance(authors, list) else None,  # [] is unknown, as for arXiv
                upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
                source=source,
                url=HF_PAPER + _clean(paper["id"]),
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
                url=ARXIV_ABS + match["id"],
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
    atomic_write_bytes(path, data)  # the one atomic writer (etl.store.atomic)


def prune_raw(raw_root: Path, keep: int = 3, max_age_days: float = 30.0, now: float | None = None) -> list[Path]:
    """Delete stored responses under ``<store>/raw``: per request folder (``raw/<source>/<key>/``)
    all but the newest ``keep``, and any older than ``max_age_days`` (by mtime); a folder left
    empty goes too. ``normalised.jsonl`` (every paper fetched so far) and anything that is not a
    response file are never touched, so no paper is lost: only the ability to replay old requests.
    Returns the files removed. Call it under the store lock (refresh holds it)."""
    root = Path(raw_root)
    if not root.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - max_age_days * 86_400
    removed: list[Path] = []
    for source in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.is_symlink()):
            responses = sorted(  # the names are UTC stamps, so name order is time order
                p for p in folder.iterdir()
                if p.is_file() and not p.is_symlink() and not p.name.startswith(".") and p.suffix in (".json", ".xml")
            )
            for position, path in enumerate(reversed(responses)):
                try:
                    if position >= keep or path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed.append(path)
                except FileNotFoundError:
                    continue
            try:
                folder.rmdir()  # only if now empty
            except OSError:
                pass
    return removed


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
    permanent: bool = False  # too large, or a refused redirect: asking again gives the same answer
    late: bool = False  # the source's deadline passed during this attempt

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def retryable(self) -> bool:
        if self.permanent:
            return False
        return self.status is None or self.status in RETRYABLE_STATUS or self.truncated


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to http(s) on the request's own host and port: a redirect elsewhere
    (another port on the same machine, ftp://, file://) is refused, and the request fails."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if new.scheme not in DEFAULT_PORTS or _origin(new) != _origin(old):
            fp.close()
            raise RedirectRefused(f"HTTP {code} redirect to {newurl} refused (only http(s) on {old.netloc} is followed)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url) -> tuple[str, int | None]:
    try:
        port = url.port
    except ValueError:
        return ("", None)
    return ((url.hostname or "").lower(), port or DEFAULT_PORTS.get(url.scheme))


class Client:
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
        self.deadline = time.monotonic() + settings.source_deadline
        self._opener = urllib.request.build_opener(_SameOriginRedirects)

    def get(self, request: Request) -> Body:
        if self.requests >= self.settings.max_requests:
            raise CapReached
        return self._stored(request) if self.replay else self._fetched(request)

    def _remaining(self, url: str) -> float:
        """Seconds left before the source's deadline; DeadlineReached when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached(
                f"{self.source}: GET {url}: stopped at fetch.source_deadline ({self.settings.source_deadline:g} s"
                " for the whole source); the rest of this source is skipped this run"
            )
        return left

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
            self._pause(request.url)
            self.requests += 1
            self.report(f"{self.source}: GET {request.url}" + (f" (attempt {number}/{attempts})" if number > 1 else ""))
            outcome = self._attempt(request.url)
            if outcome.late:
                self._remaining(request.url)  # raises: the deadline passed during the attempt
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
            if delay >= self._remaining(request.url):
                raise DeadlineReached(
                    f"{self.source}: GET {request.url}: {outcome.failure}; a retry in {delay:.0f} s would pass"
                    f" fetch.source_deadline ({self.settings.source_deadline:g} s); the rest of this source is skipped"
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

    def _pause(self, url: str) -> None:
        """Keep ``request_interval`` between the starts of consecutive requests."""
        if self._last_request is not None:
            wait = self.settings.request_interval - (time.monotonic() - self._last_request)
            if wait > 0:
                if wait >= self._remaining(url):
                    raise DeadlineReached(
                        f"{self.source}: GET {url}: the next request (request_interval) would pass"
                        f" fetch.source_deadline ({self.settings.source_deadline:g} s); the rest of this source is skipped"
                    )
                time.sleep(wait)
        self._remaining(url)
        self._last_request = time.monotonic()

    def _attempt(self, url: str) -> _Attempt:
        """One GET. Each socket operation waits at most ``timeout`` (less when the source's deadline
        is nearer), the body is read ``READ_BYTES`` at a time and abandoned past ``max_response_bytes``
        or the deadline, and redirects are followed only within the request's origin."""
        timeout = min(self.settings.timeout, self._remaining(url))
        request = urllib.request.Request(url, headers={"User-Agent": self.settings.user_agent})
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return self._read_body(url, response)
        except RedirectRefused as exc:
            return _Attempt(None, failure=f"{exc}", permanent=True)
        except urllib.error.HTTPError as exc:
            snippet = _error_snippet(exc)
            failure = f"HTTP {exc.code} {exc.reason}" + (f": {snippet}" if snippet else "")
            return _Attempt(exc.code, failure=failure, retry_after=exc.headers.get("Retry-After"))
        except TimeoutError:
            return _Attempt(None, failure=f"timed out after {timeout:g} s", late=time.monotonic() >= self.deadline)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return _Attempt(None, failure=f"timed out after {timeout:g} s", late=time.monotonic() >= self.deadline)
            return _Attempt(None, failure=f"cannot connect ({exc.reason})")
        except (http.client.HTTPException, OSError) as exc:
            return _Attempt(None, failure=f"connection failed ({type(exc).__name__}: {exc})")

    def _read_body(self, url: str, response: http.client.HTTPResponse) -> _Attempt:
        cap = self.settings.max_response_bytes
        too_big = f"response larger than fetch.max_response_bytes ({cap:,} bytes); not kept, not retried"
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > cap:
            return _Attempt(response.status, failure=f"{too_big} (Content-Length {int(declared):,})", permanent=True)
        parts: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() >= self.deadline:
                return _Attempt(None, failure=f"body still arriving after {size:,} bytes at the deadline", late=True)
            try:
                part = response.read1(READ_BYTES)
            except http.client.IncompleteRead as exc:
                data = b"".join(parts) + exc.partial
                return _Attempt(response.status, data, f"response cut short after {len(data)} bytes", truncated=True)
            if not part:
                data = b"".join(parts)
                if response.length:  # read1 ends quietly when the connection closes before Content-Length
                    return _Attempt(response.status, data, f"response cut short after {len(data)} bytes", truncated=True)
                return _Attempt(response.status, data)
            size += len(part)
            if size > cap:
                return _Attempt(response.status, failure=too_big, permanent=True)
            parts.append(part)

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
    client = Client(source.name, folder, settings, replay, report)
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


def _fetch_hf_daily(source: HFDailySource, client: Client, settings: FetchSettings, today: date) -> _Harvest:
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
        except DeadlineReached as exc:
            return _Harvest(records, errors + [str(exc)], capped=False)
        except FetchError as exc:
            errors.append(str(exc))
            continue
        page = parse_page(parse_hf_daily, body.data, source.name)
        records += page.records
        errors += _page_errors(source.name, request, body, page)
        client.report(f"{source.name} {day}: {len(page.records)} papers")
    return _Harvest(records, errors, capped=False)


def _fetch_arxiv(source: ArxivSource, client: Client, settings: FetchSettings) -> _Harvest:
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
        page = parse_page(parse_arxiv_feed, body.data, source.name)
        records += page.records
        page_errors = _page_errors(source.name, request, body, page)
        errors += page_errors
        client.report(f"{source.name} from {start}: {len(page.records)} papers (of {page.total})")
        start += min(source.page_size, remaining)
        if page_errors or not page.records or page.total is None or start >= page.total:
            return _Harvest(records, errors, capped=False)


def parse_page(parser: Callable[[bytes, str], Page], data: bytes, source: str) -> Page:
    """A parser's page; one that raises (RecursionError, MemoryError on a hostile body...) fails
    that response only: the raw body is already kept, so a replay reproduces it."""
    try:
        return parser(data, source)
    except Exception as exc:  # noqa: BLE001 - a bad response must not end the refresh
        return Page((), (f"response could not be parsed ({type(exc).__name__}: {exc}); skipped",))


def _page_errors(source: str, request: Request, body: Body, page: Page) -> list[str]:
    problems = ([body.problem] if body.problem else []) + list(page.problems)
    return [f"{source}: {request.url}: {problem}" for problem in problems]
