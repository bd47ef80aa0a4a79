"""Static exports of a view, each saying where it came from.

Provenance (the filter as a query string and a sentence, the dashboard URL when there is one,
the snapshot run id, the extractor version and the manifest's count of readers' corrections
applied / stale / invalid / superseded / rejected / added) is embedded where the format has a place for
it, and written to a ``<file>.meta.json`` sidecar where it has not:

    png   tEXt chunks: Title (the filter sentence), Source (URL or query), Comment (JSON)
    svg   <title> and a <metadata id="claimboard-provenance"> element holding the JSON
    html  <meta name="claimboard:*"> tags and a <script type="application/json"> block
    csv   trailing columns (export_query, snapshot_run_id, extractor_version, corrections_applied) on every
          row, so the one file the browser downloads keeps it and any CSV reader can read it
          (a "#" comment header would trip plain readers); the CLI adds the sidecar as well.
          Text cells that a spreadsheet would run as a formula get a leading ' (etl.store.csv_text)
    pdf   sidecar JSON (CLI only)

PNG/SVG/PDF are rendered by kaleido, each in its own headless Chromium (about 4 s). Renders are
bounded per process: one at a time, at most ``RENDER_WAITING`` more waiting, any further request
refused at once with a "busy, try again" ``ExportBusy``; and rendered images are kept in a small
LRU cache keyed by filter + snapshot run id + format (``IMAGE_CACHE_ITEMS`` / ``IMAGE_CACHE_BYTES``),
so the same chart asked for again costs nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from xml.sax.saxutils import escape as xml_escape

import kaleido
import kaleido.errors
import plotly.graph_objects as go
import polars as pl

from dashboard.data import Board
from dashboard.filters import Filters
from dashboard.views import View, csv_rows
from etl.store import csv_text

FORMATS = ("png", "svg", "pdf", "html", "csv")
SIDECAR_FORMATS = ("pdf", "csv")
SIDECAR_SUFFIX = ".meta.json"
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf", "html": "text/html",
               "csv": "text/csv", "json": "application/json"}
IMAGE_SIZE = {"width": 1200, "height": 700}
PNG_SCALE = 2
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

RENDER_TIMEOUT_S = 120  # a render that takes longer is abandoned with an error, never a hang
RENDER_WAITING = 2  # image exports that may wait for the one running; more are refused as busy
IMAGE_CACHE_ITEMS = 32
IMAGE_CACHE_BYTES = 64 << 20
RENDER_ERRORS = tuple(getattr(kaleido.errors, name) for name in kaleido.errors.__all__)


class ExportError(RuntimeError):
    """An export could not be made (no Chromium for kaleido, a bad format)."""


class ExportBusy(ExportError):
    """Too many image exports are running or waiting: try again in a few seconds."""


class RenderQueue:
    """One render at a time with at most ``waiting`` more queued; the next is refused at once."""

    def __init__(self, waiting: int = RENDER_WAITING):
        self.waiting = waiting
        self._slots = threading.BoundedSemaphore(1 + waiting)
        self._running = threading.Lock()

    def run(self, render: Callable[[], bytes]) -> bytes:
        if not self._slots.acquire(blocking=False):
            raise ExportBusy(f"The image exporter is busy (1 export running, {self.waiting} waiting); "
                             "try again in a few seconds, or export HTML or CSV, which need no browser.")
        try:
            with self._running:
                return render()
        finally:
            self._slots.release()


class ImageCache:
    """Rendered images by (query, snapshot run id, format): a bounded LRU, thread-safe."""

    def __init__(self, items: int = IMAGE_CACHE_ITEMS, max_bytes: int = IMAGE_CACHE_BYTES):
        self.items, self.max_bytes = items, max_bytes
        self._data: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: tuple, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.items or sum(map(len, self._data.values())) > self.max_bytes:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


RENDERS = RenderQueue()
IMAGES = ImageCache()


def extractor_version(board: Board) -> str:
    """The version that extracted this snapshot, as its manifest records it."""
    return str(board.snapshot.manifest.get("extractor_version") or "unknown")


CORRECTION_STATUSES = ("applied", "stale", "invalid", "superseded", "rejected", "added")


def corrections_counts(board: Board) -> dict[str, int]:
    """The manifest's ``corrections`` counts (readers' corrections applied, stale, ... in this
    snapshot); zeros for a snapshot built before corrections existed."""
    recorded = board.snapshot.manifest.get("corrections")
    recorded = recorded if isinstance(recorded, dict) else {}
    return {k: int(recorded.get(k) or 0) if isinstance(recorded.get(k) or 0, int | float) else 0
            for k in CORRECTION_STATUSES}


def provenance(board: Board, filters: Filters, url: str | None = None) -> dict:
    """Where an export came from, as a small JSON-able dict."""
    return {
        "generator": "ClaimBoard",
        "view": filters.tab,
        "filter": filters.describe(),
        "query": filters.to_query(),
        "url": url,
        "snapshot_run_id": board.run_id,
        "extractor_version": extractor_version(board),
        "corrections": corrections_counts(board),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


SLUG_CHARS = 40


def filter_slug(filters: Filters) -> str:
    """A short, file-name-safe slug of the filter: "throughput-vllm-7-70" (plus a short hash of
    the whole query, so two different views never share a name); "all" for no filter."""
    import hashlib
    import re

    words = [value for key, value in filters.to_params() if key not in ("tab", "sort")]
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(words).lower()).strip("-")[:SLUG_CHARS].strip("-")
    query = filters.replace(tab="landscape", sort=()).to_query()
    if not query:
        return "all"
    return f"{slug or 'filter'}-{hashlib.sha256(query.encode()).hexdigest()[:6]}"


def file_stem(filters: Filters, board: Board) -> str:
    """``claimboard-<view>-<filter slug>-<run id>``: the view and the filter in the name."""
    return f"claimboard-{filters.tab}-{filter_slug(filters)}-{board.run_id}"


def output_names(fmt: str, name: str) -> list[str]:
    """The files ``export_files`` makes for ``name``: the export, then its sidecar if it has one."""
    return [name, name + SIDECAR_SUFFIX] if fmt in SIDECAR_FORMATS else [name]


def export_files(view: View, fmt: str, name: str, meta: dict) -> dict[str, bytes]:
    """File name -> bytes: the export itself first, then for pdf/csv a sidecar."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        stamped = csv_rows(view.rows).with_columns(
            export_query=pl.lit(meta["query"]),
            snapshot_run_id=pl.lit(meta["snapshot_run_id"]),
            extractor_version=pl.lit(meta["extractor_version"]),
            corrections_applied=pl.lit((meta.get("corrections") or {}).get("applied", 0)),
        )
        body = csv_text(stamped).encode("utf-8")  # formula cells neutralised (etl.store.csvsafe)
    elif fmt == "html":
        body = html_with_provenance(view.figure, meta)
    else:
        image = cached_image(view.figure, fmt, (meta["view"], meta["query"], meta["snapshot_run_id"], fmt))
        body = {"png": png_with_provenance, "svg": svg_with_provenance}.get(fmt, lambda data, _: data)(image, meta)
    files = {name: body}
    if fmt in SIDECAR_FORMATS:
        files[name + SIDECAR_SUFFIX] = json.dumps(meta, indent=2).encode("utf-8")
    return files


def cached_image(fig: go.Figure, fmt: str, key: tuple) -> bytes:
    """``static_image`` through the image cache and the render queue."""
    image = IMAGES.get(key)
    if image is None:
        # a request that waited in the queue behind the same chart finds it cached
        image = RENDERS.run(lambda: IMAGES.get(key) or static_image(fig, fmt))
        IMAGES.put(key, image)
    return image


def static_image(fig: go.Figure, fmt: str) -> bytes:
    """PNG/SVG/PDF bytes from a kaleido browser, bounded in time (call it through ``RENDERS``).

    Each call starts its own browser (about 4 s): kaleido's long-lived sync server can wait
    forever on a browser that stalls under load, and an export must fail, not hang.
    """
    opts = {"format": fmt, "scale": PNG_SCALE if fmt == "png" else 1, **IMAGE_SIZE}
    render = kaleido.calc_fig(fig.to_dict(), opts=opts, kopts={"timeout": RENDER_TIMEOUT_S})
    try:
        return asyncio.run(asyncio.wait_for(render, RENDER_TIMEOUT_S + 30))
    except TimeoutError as err:
        raise ExportError(f"{fmt.upper()} export took longer than {RENDER_TIMEOUT_S} s and was abandoned") from err
    except RENDER_ERRORS as err:
        raise ExportError(f"{fmt.upper()} export needs a Chrome/Chromium for kaleido: {err}") from err


# ---------------------------------------------------------------- embedding


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_provenance(png: bytes, meta: dict) -> bytes:
    """Insert tEXt chunks right after IHDR (text is Latin-1 by the spec; JSON is kept ASCII)."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    ihdr_end = len(PNG_SIGNATURE) + 8 + struct.unpack(">I", png[8:12])[0] + 4
    texts = {
        "Title": meta["filter"],
        "Source": meta["url"] or meta["query"] or "(all claims)",
        "Software": "ClaimBoard",
        "Comment": json.dumps(meta, ensure_ascii=True),
    }
    chunks = b"".join(
        png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1", "replace"))
        for key, value in texts.items()
    )
    return png[:ihdr_end] + chunks + png[ihdr_end:]


def png_text_chunks(png: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG (to read an export's provenance back)."""
    texts, at = {}, len(PNG_SIGNATURE)
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        if kind == b"tEXt":
            key, _, value = data.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        at += 12 + length
    return texts


def svg_with_provenance(svg: bytes, meta: dict) -> bytes:
    """A <title> and <metadata> as the first children of the root <svg> element."""
    text = svg.decode("utf-8")
    root_end = text.index(">", text.index("<svg")) + 1
    inserted = (
        f"<title>{xml_escape(meta['filter'])}</title>"
        f'<metadata id="claimboard-provenance">{xml_escape(json.dumps(meta))}</metadata>'
    )
    return (text[:root_end] + inserted + text[root_end:]).encode("utf-8")


def html_with_provenance(fig: go.Figure, meta: dict) -> bytes:
    """A standalone page (plotly.js inlined) with the provenance in <meta> tags and JSON."""
    page = fig.to_html(full_html=True, include_plotlyjs=True, config={"displaylogo": False})
    safe_json = json.dumps(meta, indent=2).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    tags = "".join(
        f'<meta name="claimboard:{key}" content="{xml_escape(json.dumps(value) if isinstance(value, dict) else str(value), {chr(34): "&quot;"})}">'
        for key, value in meta.items()
        if value is not None
    )
    head = (
        f"<title>{xml_escape(meta['filter'])}</title>{tags}"
        f'<script type="application/json" id="claimboard-provenance">{safe_json}</script>'
    )
    return page.replace("<head>", "<head>" + head, 1).encode("utf-8")
