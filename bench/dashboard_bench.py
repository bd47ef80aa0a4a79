"""Dashboard speed at scale: a synthetic N-claim snapshot, the real server, the real callbacks over HTTP.

1. Builds a real snapshot of N claims (and ~N/0.6 papers with their facts) by tiling the bundled
   corpus's snapshot (``etl.pipeline.run_etl`` on data/seeds) and varying ids, titles, dates,
   multipliers, model sizes, GPU counts, hardware and baselines so filters have real work; it is
   written with ``etl.store.write_snapshot`` + ``publish`` and cached under --work.
2. Times loading it the way a server worker does (``SnapshotCache.get``) in a fresh process.
3. Starts ``gunicorn -w 2 -b 127.0.0.1:<free port> dashboard.app:server`` on it, waits for it,
   and replays what a browser sends: GET / and /_dash-layout, then every callback request of
   the initial load and of each interaction (filter changes, views, table pages), built from
   /_dash-dependencies and the layout exactly as dash-renderer builds them (output, outputs,
   inputs with the current prop values, state, changedPropIds), firing the callbacks a
   changed prop triggers, in order. Requests go one at a time, so each latency is one server
   round trip; a second pass replays the interactions with a browser's 6 parallel connections
   and reports the wall time from the user's change to the last response. Every request sends
   ``Accept-Encoding`` (--accept-encoding, default gzip), so the server compresses as it does
   for a browser; latency is until the last (compressed) byte arrived, decoding not included.
   Before that, the page's JavaScript and CSS (what a browser fetches on a first visit) are
   fetched a few times each, the first time per worker being the one that compresses it. After
   it, the large callback responses (>= 50 KB) are replayed with no Accept-Encoding and with
   gzip, br and zstd, interleaved, so what compressing adds to latency is seen under one load.
   Each round ends with a CSV export of a narrow view.
4. Prints p50 / p95 / max latency and the bytes on the wire (compressed) and decoded (the JSON,
   HTML or JS itself) per callback and per interaction, the CPU time and size of the largest
   response in each encoding at a few levels, each process's memory from /proc/PID/smaps_rollup
   (RSS, PSS, private = USS, anonymous, peak) after load and warm-up, after the rounds of
   callbacks and at the end, the view files' sizes, and each target with "reached" / "not
   reached": a worker's RSS < 500 MB after load and after a round of callbacks, its private
   memory < 250 MB (what one more worker adds), callback p95 < 200 ms, first load < 1 s (a
   worker's snapshot load and its first /_dash-layout), decoded figure payload < 2 MB.
   ``--code CHECKOUT`` serves another checkout's dashboard (an older one, on a store its own
   code wrote) to compare old and new in one session.

examples:
  python bench/dashboard_bench.py --quick                  # 100k claims, 5 rounds, a few minutes
  python bench/dashboard_bench.py                          # 1M claims, 12 rounds
  python bench/dashboard_bench.py --claims 300k --rounds 20 --json out.json
  python bench/dashboard_bench.py --store data/store       # an existing store, nothing generated
  python bench/dashboard_bench.py --quick --profile        # + cProfile of the slowest callback, in-process
  python bench/dashboard_bench.py --quick --accept-encoding "gzip, deflate, br, zstd"   # what Chromium sends
  python bench/dashboard_bench.py --quick --accept-encoding ""                          # no compression
  python bench/dashboard_bench.py --store OLD_STORE --code /path/to/old/checkout        # an older dashboard
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime as dt
import gzip
import html.parser
import http.client
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from dash.fingerprint import check_fingerprint  # noqa: E402

import polars as pl  # noqa: E402

from bench.corpus import parse_size  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))  # the helpers shared with the tests: tests/support
from support.dash_client import Callback, decode, layout_props, parse_id, prop_key  # noqa: E402
from support.servers import free_port, gunicorn_command, serving  # noqa: E402

TARGET_P95_MS = 200
TARGET_BYTES = 2_000_000
TARGET_RSS_MB = 500  # a worker's RSS at 1M claims, after load and after a round of callbacks
TARGET_PRIVATE_MB = 250  # what one more worker adds: its private memory (USS) after a round of callbacks
TARGET_LOAD_S = 1.0  # first load: a worker's snapshot load, and its first /_dash-layout
BROWSER_CONNECTIONS = 6  # what a browser opens per host over HTTP/1.1
ACCEPT_ENCODING = "gzip"  # sent with every request; --accept-encoding
HEAVY_BYTES = 50_000  # callback responses this large (decoded) are replayed in every encoding
ENCODINGS = {"none": "", "gzip": "gzip", "br": "br", "zstd": "zstd"}  # the encoding pass: name -> Accept-Encoding
# what headless Chromium fetches after the page's <script>s on a first visit (Dash 4.4: the
# async chunks of the dropdowns, date picker, graph and table, and plotly.js itself), under
# /_dash-component-suites/; one this server does not have is skipped
PAGE_CHUNKS = ["dash/dcc/async-dropdown.js", "dash/dcc/async-datepicker.js", "dash/dcc/async-graph.js",
               "plotly/package_data/plotly.min.js", "dash_ag_grid/async-community.js"]
HARDWARE = ["A100", "H100", "V100", "A10G", "L40S", "RTX 4090", "TPU v4", "TPU v5e", "MI250X", "MI300X", "Gaudi2",
            "CPU", "FPGA", "Ascend NPU", "Jetson Orin"]
BASELINES = ["vLLM", "TGI", "DeepSpeed", "Megatron-LM", "FlashAttention-2", "PyTorch", "TensorRT-LLM", "FasterTransformer",
             "llama.cpp", "ZeRO", "HuggingFace Transformers", "SGLang", "GPU", "CPU", "A100", "H100"]
BASELINE_KINDS = {"GPU": "hardware", "CPU": "hardware", "A100": "hardware", "H100": "hardware", "ZeRO": "method",
                  "FlashAttention-2": "method"}
SIZES_B = [0.125, 0.35, 1.3, 2.7, 7, 8, 13, 14, 30, 34, 40, 65, 70, 72, 175, 405, 540, 1000]
GPUS = [1, 1, 1, 2, 4, 8, 8, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- the synthetic snapshot


def base_snapshot(work: Path):
    """The bundled corpus's snapshot (the real ETL on data/seeds), built once under --work."""
    from etl.pipeline import run_etl
    from etl.store import load_snapshot

    store = work / "base-store"
    if load_snapshot(store) is None:
        log(f"  ETL on the bundled corpus -> {store}")
        run_etl([ROOT / "data" / "seeds"], store)
    return load_snapshot(store)


def tile(frame: pl.DataFrame, copies: int) -> tuple[pl.DataFrame, np.ndarray]:
    index = np.tile(np.arange(frame.height), copies)
    return frame[index], np.repeat(np.arange(copies), frame.height)


def vary(column: str, copy_no: pl.Expr) -> pl.Expr:
    """``id`` for the first copy, ``id~7`` for the eighth: unique, and the original ids stay."""
    return pl.when(copy_no == 0).then(pl.col(column)).otherwise(pl.col(column) + "~" + copy_no.cast(pl.String))


def synthesize(base, claims_n: int, seed: int) -> dict[str, pl.DataFrame]:
    """N claims and the papers and facts they belong to (~N/0.6 papers, as in the bundled corpus)."""
    rng = np.random.default_rng(seed)
    copies = math.ceil(claims_n / base.claims.height)
    papers, paper_copy = tile(base.papers, copies)
    n = papers.height
    day0 = dt.date(2019, 1, 1)
    days = rng.integers(0, (dt.date(2025, 12, 31) - day0).days, n)
    published = pl.Series(days + (day0 - dt.date(1970, 1, 1)).days, dtype=pl.Int32).cast(pl.Date)
    papers = papers.with_columns(
        copy_no=pl.Series(paper_copy, dtype=pl.Int64),
        published_new=pl.when(pl.Series(rng.random(n) < 0.9)).then(published).otherwise(pl.col("published")),
        upvotes=pl.Series(rng.zipf(2.0, n).clip(0, 5000) - 1, dtype=pl.Int32),
    ).with_columns(
        paper_id=vary("paper_id", pl.col("copy_no")),
        title=pl.when(pl.col("copy_no") == 0).then(pl.col("title"))
        .otherwise(pl.col("title") + " (v" + pl.col("copy_no").cast(pl.String) + ")"),
        published=pl.col("published_new"),
    ).drop("copy_no", "published_new")

    facts, fact_copy = tile(base.facts, copies)
    facts = facts.with_columns(paper_id=vary("paper_id", pl.Series(fact_copy)))

    claims, claim_copy = tile(base.claims, copies)
    claims = claims.head(claims_n)
    claim_copy = claim_copy[:claims_n]
    m = claims.height

    def replaced(column: str, values: list, keep: float) -> pl.Expr:
        """The original value with probability ``keep``, else one of ``values`` (nulls stay null)."""
        choice = pl.Series(values, dtype=base.claims.schema[column])[rng.integers(0, len(values), m)]
        kept = pl.Series(rng.random(m) < keep)
        return pl.when(pl.col(column).is_null() | kept).then(pl.col(column)).otherwise(choice)

    def replaced_list(column: str, values: list, keep: float) -> pl.Expr:
        """The original list with probability ``keep`` (and always when empty), else a one-value list."""
        choice = pl.Series([[v] for v in values], dtype=base.claims.schema[column])[rng.integers(0, len(values), m)]
        kept = pl.Series(rng.random(m) < keep)
        return pl.when((pl.col(column).list.len() == 0).fill_null(True) | kept).then(pl.col(column)).otherwise(choice)

    factor = pl.Series(np.exp(rng.normal(0, 0.35, m)))
    claims = claims.with_columns(
        claim_id=vary("claim_id", pl.Series(claim_copy)),
        paper_id=vary("paper_id", pl.Series(claim_copy)),
        multiplier=(pl.col("multiplier") * factor).clip(1e-3, 1e6).round(4),
        model_sizes=replaced_list("model_sizes", [s * 1e9 for s in SIZES_B], 0.3),
        gpu_counts=replaced_list("gpu_counts", GPUS, 0.3),
        hardware=replaced_list("hardware", HARDWARE, 0.3),
        baseline=replaced("baseline", BASELINES, 0.4),
    )
    # the canonical baselines follow a replaced baseline (one name, of its kind)
    kinds = pl.Series([BASELINE_KINDS.get(b, "system") for b in BASELINES])
    claims = claims.with_columns(
        baselines=pl.when(pl.col("baseline").is_in(BASELINES)).then(pl.concat_list("baseline")).otherwise("baselines"),
        baseline_kinds=pl.when(pl.col("baseline").is_in(BASELINES))
        .then(pl.concat_list(pl.col("baseline").replace_strict(BASELINES, kinds.to_list(), default="system")))
        .otherwise("baseline_kinds"),
    )
    return {"papers": papers, "claims": claims, "facts": facts, "quarantine": base.quarantine}


def synthetic_store(work: Path, claims_n: int, seed: int, rebuild: bool) -> Path:
    from etl.store import current_run_id, new_run_id, publish, record_run, write_snapshot

    store = work / f"store-{claims_n}-s{seed}"
    if not rebuild and current_run_id(store):
        log(f"snapshot: reusing {store} (--rebuild to make it again)")
        return store
    subprocess.run(["rm", "-rf", str(store)], check=True)
    began = time.perf_counter()
    log(f"snapshot: {claims_n:,} claims…")
    base = base_snapshot(work)
    tables = synthesize(base, claims_n, seed)
    run_id = new_run_id()
    counts = {name: frame.height for name, frame in tables.items()}
    manifest = {**base.manifest, "run_id": run_id, "trigger": "bench", "counts": counts,
                "finished": dt.datetime.now(dt.UTC).isoformat(), "synthetic": {"from": base.run_id, "seed": seed}}
    write_snapshot(store, run_id, tables, manifest)
    publish(store, run_id)
    record_run(store, manifest)
    size = sum(f.stat().st_size for f in (store / "snapshots" / run_id).iterdir())
    log(f"  {counts['claims']:,} claims, {counts['papers']:,} papers in {time.perf_counter() - began:.1f} s "
        f"({size / 1e6:.0f} MB of Parquet) -> {store}")
    return store


_LOAD_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import psutil
t0 = time.perf_counter()
from dashboard import views
from dashboard.data import SnapshotCache
t1 = time.perf_counter()
board = SnapshotCache({store!r}).get()
t2 = time.perf_counter()
loaded = psutil.Process().memory_info().rss / 1e6
getattr(views, "warm", lambda board: None)(board)  # (an older dashboard has no warm-up)
t3 = time.perf_counter()
try:  # this process's own peak (ru_maxrss would carry the bench's own, inherited through fork and exec)
    rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) * 1024 / 1e6
except (OSError, StopIteration):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1, "warm_s": t3 - t2, "rss_loaded_mb": loaded,
                  "rss_warm_mb": psutil.Process().memory_info().rss / 1e6, "peak_rss_mb": rss,
                  "claims": board.claims.height}}))
"""


def load_time(store: Path, code: Path = ROOT) -> dict:
    """Seconds and peak RSS to load the snapshot into a Board, as a fresh worker does."""
    proc = subprocess.run([sys.executable, "-c", _LOAD_CHILD.format(root=str(code), store=str(store))], cwd=code,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- HTTP and a minimal dash-renderer


@dataclass
class Reply:
    status: int
    data: bytes  # decoded
    seconds: float  # until the last byte on the wire arrived (decoding not included)
    wire: int  # body bytes as sent (compressed, if it was)
    encoding: str  # Content-Encoding, "" for none


def request(port: int, method: str, path: str, body: bytes | None = None, accept_encoding: str | None = None) -> Reply:
    """One request on a new connection (gunicorn's sync workers close each one), sending
    ``Accept-Encoding`` (default ``ACCEPT_ENCODING``; "" sends none)."""
    accept_encoding = ACCEPT_ENCODING if accept_encoding is None else accept_encoding
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        headers = {"Accept": "application/json", "Content-Type": "application/json"} if body is not None else {}
        if accept_encoding:
            headers["Accept-Encoding"] = accept_encoding
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
    finally:
        conn.close()
    seconds = time.perf_counter() - began
    encoding = (reply.getheader("Content-Encoding") or "").strip().lower()
    return Reply(reply.status, decode(data, encoding), seconds, len(data), encoding)


CALLBACK_NAMES = {  # first output -> a short name
    "url.search": "sync", "header-info.children": "header", "caption.children": "caption",
    "landscape-graph.figure": "landscape", "side-graph.figure": "side", "baselines-graph.figure": "baselines",
    "claims-table.getRowsResponse": "table", "download.data": "export", "f-papers.options": "paper_options",
}


@dataclass(frozen=True)
class NamedCallback(Callback):
    name: str = ""

    def reads(self, keys) -> list[str]:
        """The inputs among ``keys``, a pattern input's matching components too (the export buttons)."""
        mine = [prop_key(one["id"], one["property"]) for s in self.inputs for one in (s if isinstance(s, list) else [s])]
        return [k for k in mine if k in keys]


def callbacks_of(dependencies: list[dict], ids: dict) -> list[NamedCallback]:
    found = []
    for dep in dependencies:
        if dep.get("clientside_function"):
            continue  # runs in the browser
        cb = NamedCallback.of(dep, ids)
        found.append(dataclasses.replace(cb, name=CALLBACK_NAMES.get(cb.first_output, cb.first_output)))
    return found


@dataclass
class Hit:
    interaction: str
    callback: str
    status: int
    seconds: float
    size: int  # decoded bytes
    wire: int = 0  # bytes on the wire
    encoding: str = ""

    @classmethod
    def of(cls, interaction: str, callback: str, reply: Reply) -> Hit:
        return cls(interaction, callback, reply.status, reply.seconds, len(reply.data), reply.wire, reply.encoding)


@dataclass
class Browser:
    """Just enough of dash-renderer: props by (id, prop), callbacks fired by the props they read."""

    port: int
    callbacks: list[NamedCallback]
    layout_props: dict
    connections: int = 1
    props: dict = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    largest: tuple[str, bytes] = ("", b"")  # the largest callback response (decoded) and its interaction
    heavy: dict[bytes, str] = field(default_factory=dict)  # request body -> label, of responses >= HEAVY_BYTES

    def reset(self, search: str = "") -> None:
        self.props = {prop_key(parse_id(i), p): v
                      for i, ps in self.layout_props.items() for p, v in ps.items() if p not in ("children",)}
        self.props |= {"url.pathname": "/", "url.search": search, "url.href": f"http://127.0.0.1:{self.port}/{search}"}

    def fire(self, interaction: str, todo: list[tuple[NamedCallback, list[str]]]) -> None:
        """Send ``todo`` (at most ``connections`` at a time), apply the answers, then what they trigger."""
        while todo:
            bodies = [(cb, cb.body(self.props, changed)) for cb, changed in todo]
            with concurrent.futures.ThreadPoolExecutor(self.connections) as pool:
                futures = [(cb, body, pool.submit(request, self.port, "POST", "/_dash-update-component", body))
                           for cb, body in bodies]
            changed_by: list[tuple[NamedCallback, set]] = []
            for cb, body, future in futures:
                reply = future.result()
                status, data = reply.status, reply.data
                self.hits.append(Hit.of(interaction, cb.name, reply))
                if len(data) > len(self.largest[1]):
                    self.largest = (f"{interaction}: {cb.name}", data)
                if status == 200 and len(data) >= HEAVY_BYTES:
                    self.heavy.setdefault(body, f"{interaction}: {cb.name}")
                if status not in (200, 204):
                    raise RuntimeError(f"{interaction}: {cb.name} -> HTTP {status}: {data[:300]!r}")
                if status == 200:
                    changed = set()
                    for ident, values in json.loads(data)["response"].items():
                        for prop, value in values.items():
                            k = prop_key(parse_id(ident), prop)
                            if self.props.get(k) != value:
                                changed.add(k)
                            self.props[k] = value
                    changed_by.append((cb, changed))
            todo = []
            for source, changed in changed_by:
                for cb in self.callbacks:
                    hit = cb.reads(changed)
                    if cb is not source and hit and all(cb is not t for t, _ in todo):
                        todo.append((cb, hit))

    def change(self, interaction: str, values: dict[tuple[str, str], object]) -> None:
        """A user edits controls: set the props, then run every callback that reads one of them."""
        values = {prop_key(*k): v for k, v in values.items()}
        self.props |= values
        todo = []
        for cb in self.callbacks:
            hit = cb.reads(values)
            if hit:
                todo.append((cb, hit))
        self.fire(interaction, todo)

    def load_page(self, interaction: str = "initial load") -> None:
        for path, name in (("/", "GET /"), ("/_dash-layout", "GET /_dash-layout"), ("/_dash-dependencies", "GET deps")):
            reply = request(self.port, "GET", path)
            self.hits.append(Hit.of(interaction, name, reply))
            if reply.status != 200:
                raise RuntimeError(f"{path} -> HTTP {reply.status}")
        self.reset(self.props.get("url.search", ""))
        todo = []
        for cb in self.callbacks:
            if cb.initial:
                todo.append((cb, [k for k in cb.reads(self.props) if k.startswith("url.")][:1]))
        self.fire(interaction, todo)


EXPORT_CSV = '{"format":"csv","type":"export"}'  # the CSV button's pattern id, as a prop key spells it


def interactions(compare: tuple[str, str]) -> list[tuple[str, dict, dict]]:
    """(name, props to start from, the user's change): each starts from a freshly loaded page."""
    table = {("tabs", "value"): "table"}
    return [
        ("metric=throughput", {}, {("f-metric", "value"): ["throughput"]}),
        ("hardware=A100", {}, {("f-hardware", "value"): ["A100"]}),
        ("size 7..70B", {}, {("f-size-lo", "value"): 7, ("f-size-hi", "value"): 70}),
        ("year 2024", {}, {("f-published", "start_date"): "2024-01-01", ("f-published", "end_date"): "2024-12-31"}),
        ("search 'attention'", {}, {("f-q", "value"): "attention"}),
        ("narrow (4 filters)", {}, {("f-metric", "value"): ["throughput"], ("f-hardware", "value"): ["A100"],
                                    ("f-size-lo", "value"): 7, ("f-size-hi", "value"): 70,
                                    ("f-published", "start_date"): "2024-01-01", ("f-published", "end_date"): "2024-12-31"}),
        ("colour=hardware", {}, {("v-color", "value"): "hardware"}),
        ("x=published", {}, {("v-x", "value"): "published"}),
        ("tab side by side", {}, {("f-papers", "value"): list(compare), ("tabs", "value"): "side"}),
        ("tab baselines", {}, {("tabs", "value"): "baselines"}),
        ("baselines focus vLLM", {("tabs", "value"): "baselines"}, {("f-focus", "value"): "vLLM"}),
        ("tab claims table", {}, table),
        ("table page 400", table, {("claims-table", "getRowsRequest"): {"startRow": 10_000, "endRow": 10_025}}),
        ("table sort × desc", table, {("claims-table", "getRowsRequest"): {
            "startRow": 0, "endRow": 25, "sortModel": [{"colId": "multiplier", "sort": "desc"}]}}),
        ("table sort paper", table, {("claims-table", "getRowsRequest"): {
            "startRow": 0, "endRow": 25, "sortModel": [{"colId": "title", "sort": "asc"}]}}),
        ("compare box 'flash'", {}, {("f-papers", "search_value"): "flash"}),
        # a CSV export of a narrow view (every column of its claims, from the mapped files)
        ("export csv (4 filters)", {("f-metric", "value"): ["throughput"], ("f-hardware", "value"): ["A100"],
                                    ("f-size-lo", "value"): 7, ("f-size-hi", "value"): 70,
                                    ("f-published", "start_date"): "2024-01-01", ("f-published", "end_date"): "2024-12-31"},
         {(EXPORT_CSV, "n_clicks"): 1}),
    ]


def profile_args(interaction: str, compare: tuple[str, str]) -> tuple[str, int, list]:
    """(URL search, table page, table sort) that an interaction leads to, for the in-process profile."""
    searches = {
        "metric=throughput": "?metric=throughput", "hardware=A100": "?hardware=A100", "size 7..70B": "?size=7..70",
        "year 2024": "?published=2024-01-01..2024-12-31", "search 'attention'": "?q=attention",
        "narrow (4 filters)": "?metric=throughput&hardware=A100&size=7..70&published=2024-01-01..2024-12-31",
        "colour=hardware": "?color=hardware", "x=published": "?x=published",
        "tab side by side": f"?papers={compare[0]}&papers={compare[1]}&tab=side", "tab baselines": "?tab=baselines",
        "baselines focus vLLM": "?tab=baselines&focus=vLLM",
    }
    sorts = {"table sort × desc": [{"column_id": "multiplier", "direction": "desc"}],
             "table sort paper": [{"column_id": "title", "direction": "asc"}]}
    if interaction.startswith("tab") and "table" in interaction or interaction.startswith("table"):
        return "?tab=table", 400 if interaction == "table page 400" else 0, sorts.get(interaction, [])
    return searches.get(interaction, ""), 0, []


# ---------------------------------------------------------------- the server


class _PageLinks(html.parser.HTMLParser):
    """The ``<script src>`` and stylesheet ``<link href>`` URLs of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("rel") == "stylesheet" and attrs.get("href"):
            self.urls.append(attrs["href"])


def asset_label(url: str) -> str:
    """"/_dash-component-suites/dash/deps/react@18.v4_4_1m17.3.1.min.js" -> "react@18.3.1.min.js"."""
    return check_fingerprint(url.split("?")[0].rsplit("/", 1)[-1])[0]


def page_assets(port: int) -> list[tuple[str, str]]:
    """(label, path) of the JS and CSS a browser fetches on a first visit: the page's own tags,
    then ``PAGE_CHUNKS`` (those the server has)."""
    links = _PageLinks()
    links.feed(request(port, "GET", "/").data.decode())
    assets = [(asset_label(u), u) for u in links.urls if u.startswith("/")]
    for chunk in PAGE_CHUNKS:
        path = f"/_dash-component-suites/{chunk}"
        if request(port, "GET", path, accept_encoding="").status == 200:
            assets.append((asset_label(path), path))
        else:
            log(f"  (no {path} on this server: skipped)")
    return assets


def fetch_assets(port: int, assets: list[tuple[str, str]], rounds: int) -> list[dict]:
    """Fetch every asset ``rounds`` times, one at a time; rows per asset and for the whole set."""
    hits: list[Hit] = []
    for _ in range(rounds):
        first = len(hits)
        for label, path in assets:
            reply = request(port, "GET", path)
            if reply.status != 200:
                raise RuntimeError(f"{path} -> HTTP {reply.status}")
            hits.append(Hit.of("assets", label, reply))
        mine = hits[first:]
        hits.append(Hit("assets", "all of them, one after another", 200, sum(h.seconds for h in mine),
                        sum(h.size for h in mine), sum(h.wire for h in mine), ",".join(sorted({h.encoding for h in mine if h.encoding}))))
    return [stats_row(name, [h for h in hits if h.callback == name]) for name in dict.fromkeys(h.callback for h in hits)]


def server_command(port: int, workers: int, kind: str, store: Path, code: Path = ROOT) -> list[str]:
    if kind == "gunicorn" and code != ROOT:  # another checkout's dashboard (python -m puts the cwd first on sys.path)
        command = " ".join(shlex.quote(part) for part in gunicorn_command(port, workers, timeout=300))
        return ["sh", "-c", f"cd {shlex.quote(str(code))} && PYTHONPATH={shlex.quote(str(code))} exec {command}"]
    if kind == "gunicorn":
        return gunicorn_command(port, workers, timeout=300)
    return [str(Path(sys.executable).with_name("claimboard")), "serve", "--store", str(store), "--port", str(port)]


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 120) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if request(port, "GET", "/_dash-dependencies").status == 200:
                return time.perf_counter() - began
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer in time")


def wait_idle(server: subprocess.Popen, timeout: float = 120, busy_percent: float = 10) -> float:
    """Seconds until the server's processes use under ``busy_percent`` of a core for a second
    (the workers' background warm-up after loading a snapshot is over)."""
    import psutil

    began = time.perf_counter()
    procs = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    for proc in procs:
        proc.cpu_percent(None)
    while time.perf_counter() - began < timeout:
        time.sleep(1.0)
        if all(proc.cpu_percent(None) < busy_percent for proc in procs if proc.is_running()):
            break
    return time.perf_counter() - began


def server_memory(server: subprocess.Popen) -> dict:
    """Per process (the master first, then each worker), from /proc/PID/smaps_rollup and status, in MB:
    ``rss`` (counts every mapped page the process touched, shared page-cache pages of the
    snapshot's view files included), ``pss`` (shared pages split between the processes mapping
    them), ``private`` (USS: pages only this process maps, anonymous or file: what one more worker
    adds), ``anon`` (its own heap) and ``hwm`` (peak RSS since it started)."""
    import psutil

    master = psutil.Process(server.pid)
    procs = [master, *master.children(recursive=True)]
    out: dict = {"pid": [], "rss_mb": [], "pss_mb": [], "uss_mb": [], "anon_mb": [], "hwm_mb": []}
    for proc in procs:
        try:
            rollup = dict(line.split(":", 1) for line in
                          Path(f"/proc/{proc.pid}/smaps_rollup").read_text().splitlines()[1:])
            status = dict(line.split(":", 1) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines())
        except (OSError, ValueError):
            continue
        kb = {k: int(v.split()[0]) for k, v in rollup.items()}
        out["pid"].append(proc.pid)
        out["rss_mb"].append(kb["Rss"] * 1024 / 1e6)
        out["pss_mb"].append(kb["Pss"] * 1024 / 1e6)
        out["uss_mb"].append((kb["Private_Clean"] + kb["Private_Dirty"]) * 1024 / 1e6)
        out["anon_mb"].append(kb["Anonymous"] * 1024 / 1e6)
        out["hwm_mb"].append(int(status["VmHWM"].split()[0]) * 1024 / 1e6)
    return out


def workers_of(memory: dict) -> dict:
    """The workers' figures only (the master, first, loads no snapshot)."""
    return {key: values[1:] for key, values in memory.items()}


def view_files(store: Path) -> dict[str, int]:
    from etl.store import VIEW_FILES, SnapshotStore, current_run_id

    directory = SnapshotStore(store).path(current_run_id(store))
    return {name: (directory / name).stat().st_size for name in VIEW_FILES.values() if (directory / name).is_file()}


def print_memory(label: str, memory: dict) -> None:
    log(f"  {label}: " + "; ".join(
        f"{'master' if i == 0 else f'worker {i}'} RSS {r:.0f} PSS {p:.0f} private {u:.0f} anon {a:.0f} (peak RSS {h:.0f})"
        for i, (r, p, u, a, h) in enumerate(zip(memory["rss_mb"], memory["pss_mb"], memory["uss_mb"], memory["anon_mb"],
                                                memory["hwm_mb"], strict=True)))
        + f" MB; total PSS {sum(memory['pss_mb']):.0f} MB")


def target_line(name: str, value: str, target: str, reached: bool) -> bool:
    log(f"  {name:52} {value:>22}   target {target:<12} {'reached' if reached else 'not reached'}")
    return reached


# ---------------------------------------------------------------- report


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))] if ordered else float("nan")


def stats_row(label: str, hits: list[Hit]) -> dict:
    """Latency percentiles; the largest response decoded and on the wire (both of the response
    that was largest decoded), and the encodings the server chose."""
    ms = [h.seconds * 1000 for h in hits]
    largest = max(hits, key=lambda h: (h.size, h.wire))
    return {"label": label, "n": len(hits), "p50_ms": pct(ms, 0.5), "p95_ms": pct(ms, 0.95), "max_ms": max(ms),
            "bytes": largest.size, "wire_bytes": largest.wire,
            "encodings": sorted({h.encoding or "identity" for h in hits if h.size}),
            "statuses": sorted({h.status for h in hits})}


def print_rows(title: str, rows: list[dict], targets: bool = True) -> None:
    """One line per row; `!` marks a row over the callback targets (when ``targets``)."""
    log(f"\n{title}")
    head = f"{'':44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'decoded':>11} {'wire':>11}  encoding"
    log(head)
    log("-" * len(head))
    for r in rows:
        flag = " !" if targets and (r["p95_ms"] > TARGET_P95_MS or r["bytes"] > TARGET_BYTES) else ""
        log(f"{r['label'][:44]:44} {r['n']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} "
            f"{r['bytes']:>11,} {r['wire_bytes']:>11,}  {','.join(r['encodings']) or '-'}{flag}")


def compare_encodings(port: int, heavy: dict[bytes, str], rounds: int) -> list[dict]:
    """Replay every large callback request ``rounds`` times, each time once per encoding in a
    shuffled order, so the encodings share the same background load: what compressing costs in
    latency (the server compresses after the callback ran) and saves in bytes."""
    import random

    rng = random.Random(0)
    hits: list[Hit] = []
    for _ in range(rounds):
        for body, label in heavy.items():
            names = list(ENCODINGS)
            rng.shuffle(names)
            for name in names:
                reply = request(port, "POST", "/_dash-update-component", body, accept_encoding=ENCODINGS[name])
                hits.append(Hit.of(label, name, reply))
    rows = []
    for name in ENCODINGS:
        mine = [h for h in hits if h.callback == name]
        row = stats_row(f"Accept-Encoding: {ENCODINGS[name] or '(none)'}", mine)
        row |= {"mean_ms": 1000 * sum(h.seconds for h in mine) / len(mine),
                "wire_total": sum(h.wire for h in mine) // rounds, "decoded_total": sum(h.size for h in mine) // rounds}
        rows.append(row)
    log(f"\nthe {len(heavy)} distinct callback requests answered with >= {HEAVY_BYTES:,} bytes, each sent {rounds} times "
        f"in every encoding, interleaved (same background load)")
    head = f"{'':44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'decoded, all':>13} {'wire, all':>11}  encoding"
    log(head)
    log("-" * len(head))
    for r in rows:
        log(f"{r['label'][:44]:44} {r['n']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['mean_ms']:>8.1f} "
            f"{r['decoded_total']:>13,} {r['wire_total']:>11,}  {','.join(r['encodings'])}")
    return rows


def compression_costs(label: str, payload: bytes, repeat: int = 15) -> list[dict]:
    """CPU milliseconds (median of ``repeat``, process time, so other load on the machine
    matters less than for the latencies) and size of the largest callback response in each
    encoding at a few levels: what the server spends per response, marking the levels set in
    dashboard.app.COMPRESSION."""
    import brotli

    try:
        from compression import zstd
    except ImportError:
        from backports import zstd
    from dashboard.app import COMPRESSION

    chosen = {("gzip", COMPRESSION["COMPRESS_LEVEL"]), ("br", COMPRESSION["COMPRESS_BR_LEVEL"]),
              ("zstd", COMPRESSION["COMPRESS_ZSTD_LEVEL"])}
    coders = [("gzip", level, lambda d, level=level: gzip.compress(d, level)) for level in (1, 3, 4, 5, 6, 9)]
    coders += [("br", q, lambda d, q=q: brotli.compress(d, quality=q, lgwin=22)) for q in (1, 3, 4, 5)]
    coders += [("zstd", level, lambda d, level=level: zstd.compress(d, level)) for level in (1, 3, 6)]
    log(f"\ncompression of the largest callback response ({label}, {len(payload):,} bytes), in this process: "
        f"CPU ms, median of {repeat} (* = dashboard.app.COMPRESSION)")
    rows = []
    for name, level, encode in coders:
        times = []
        for _ in range(repeat):
            began = time.process_time()
            size = len(encode(payload))
            times.append(time.process_time() - began)
        rows.append({"encoding": name, "level": level, "bytes": size, "cpu_ms": 1000 * sorted(times)[repeat // 2]})
        log(f"  {name:4} {level:>2}{'*' if (name, level) in chosen else ' '} {size:>10,} bytes ({len(payload) / size:5.1f}x) "
            f"{rows[-1]['cpu_ms']:7.1f} ms")
    return rows


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- profile


def profile_callback(store: Path, name: str, search: str, page: int, sort_by: list, repeat: int = 5, top: int = 25) -> None:
    """cProfile one callback in-process (the same function and JSON encoding the server runs)."""
    import cProfile
    import pstats

    from plotly.io.json import to_json_plotly

    from dashboard import callbacks, layout, views
    from dashboard.data import SnapshotCache

    board = SnapshotCache(store).get()
    getattr(views, "warm", lambda board: None)(board)
    calls = {
        "landscape": lambda: callbacks.landscape_outputs(board, search),
        "caption": lambda: callbacks.caption_outputs(board, None, search),
        "baselines": lambda: callbacks.baselines_outputs(board, search),
        "side": lambda: callbacks.side_outputs(board, search),
        "table": lambda: callbacks.table_outputs(board, search, page, sort_by),
        "header": lambda: layout.header_info(board, []),
        "paper_options": lambda: callbacks.paper_options(board, "flash", []),
        "sync": lambda: callbacks.sync_state("url", search, [None] * len(layout.CONTROLS), None, None, None, None),
    }
    call = calls.get(name)
    if call is None:
        log(f"\n(no in-process profile for {name})")
        return
    to_json_plotly(call())  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        to_json_plotly(call())
    profiler.disable()
    log(f"\nprofile: {name} callback, {search or '(no filter)'}{f' page {page}' if page else ''}"
        f"{f' sort {sort_by}' if sort_by else ''}, x{repeat} in-process, top {top} by cumulative time")
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("cumulative").print_stats(top)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    global ACCEPT_ENCODING
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("examples:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--claims", type=parse_size, default=None, help="claims in the snapshot (default 1M; --quick 100k)")
    parser.add_argument("--quick", action="store_true", help="100k claims and 5 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="times each interaction is replayed (default 12; --quick 5)")
    parser.add_argument("--store", type=Path, help="serve this existing store instead of generating one")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "claimboard-dash-bench",
                        help="where generated snapshots are cached (default %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="generate the snapshot again even if cached")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--server", choices=("gunicorn", "serve"), default="gunicorn",
                        help="gunicorn with --workers sync workers (default), or `claimboard serve`")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default %(default)s)")
    parser.add_argument("--no-parallel", action="store_true", help="skip the browser-like parallel pass")
    parser.add_argument("--no-encodings", action="store_true",
                        help="skip the pass that replays the large callback responses in every encoding")
    parser.add_argument("--profile", action="store_true", help="then cProfile the slowest callback in-process")
    parser.add_argument("--code", type=Path, default=ROOT, metavar="CHECKOUT",
                        help="serve (and load) the dashboard of this checkout, e.g. an older one to compare "
                        "(default: this one; gunicorn only)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--accept-encoding", default=ACCEPT_ENCODING, metavar="VALUE",
                        help='Accept-Encoding sent with every request (default: %(default)s; Chromium sends '
                        '"gzip, deflate, br, zstd"; "" sends none, so nothing is compressed)')
    args = parser.parse_args(argv)
    ACCEPT_ENCODING = args.accept_encoding
    claims_n = args.claims or (100_000 if args.quick else 1_000_000)
    rounds = args.rounds or (5 if args.quick else 12)

    log(f"machine: {os.cpu_count()} cores, load average {loadavg()}; requests send Accept-Encoding: "
        f"{ACCEPT_ENCODING or '(none)'}")
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.store or synthetic_store(args.work, claims_n, args.seed, args.rebuild)
    from etl.store import load_snapshot

    snapshot = load_snapshot(store)
    counts = {"claims": snapshot.claims.height, "papers": snapshot.papers.height}
    top_papers = snapshot.claims.group_by("paper_id").len().sort(["len", "paper_id"], descending=[True, False])
    compare = tuple(top_papers["paper_id"].head(2).to_list())
    del snapshot, top_papers
    log(f"store {store}: {counts['claims']:,} claims, {counts['papers']:,} papers")

    log("loading it in a fresh process (as a worker does)…")
    loads = [load_time(store, args.code) for _ in range(2)]
    load = min(loads, key=lambda r: r["load_s"])
    times = ", ".join(f"{r['load_s']:.2f}" for r in loads)
    warms = ", ".join(f"{r.get('warm_s', 0):.2f}" for r in loads)
    log(f"  snapshot load {times} s (dashboard import {load['import_s']:.2f} s); then background warm-up {warms} s; "
        f"RSS loaded {load.get('rss_loaded_mb', 0):.0f} MB, warm {load.get('rss_warm_mb', 0):.0f} MB, "
        f"peak {load['peak_rss_mb']:.0f} MB")

    port = free_port()
    log(f"starting {args.server} ({args.workers} workers) on 127.0.0.1:{port}…")
    started = time.perf_counter()
    result: dict = {"claims": counts["claims"], "papers": counts["papers"], "load": loads, "rounds": rounds,
                    "accept_encoding": ACCEPT_ENCODING}
    if args.code != ROOT:
        log(f"dashboard code: {args.code}")
    with serving(server_command(port, args.workers, args.server, store, args.code.resolve()), store,
                 stdout=subprocess.DEVNULL) as server:
        result["ready_s"] = wait_ready(port, server)
        log(f"  ready in {result['ready_s']:.1f} s (answers /_dash-dependencies); load average {loadavg()}")
        # the first layout per worker loads the snapshot (GET / is only the HTML shell): as many
        # concurrent first requests as workers, so each worker most likely gets one
        with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
            cold = list(pool.map(lambda _: request(port, "GET", "/_dash-layout"), range(args.workers)))
        result["cold_layout_s"] = [c.seconds for c in cold]
        result["first_layout_after_start_s"] = time.perf_counter() - started
        log(f"  first GET /_dash-layout per worker (waits for that worker's snapshot load): "
            f"{', '.join(f'{c.seconds:.2f} s' for c in cold)}; first page complete {result['first_layout_after_start_s']:.1f} s "
            f"after the server was started")
        result["memory_first_layout"] = server_memory(server)
        result["warm_up_s"] = wait_idle(server)
        result["memory_after_load"] = server_memory(server)
        log(f"  workers idle (background warm-up done) {result['warm_up_s']:.1f} s later")
        print_memory("memory after the first layout", result["memory_first_layout"])
        print_memory("memory after load and warm-up", result["memory_after_load"])

        asset_rounds = 2 * args.workers + 1
        result["assets"] = fetch_assets(port, page_assets(port), asset_rounds)
        print_rows(f"page JavaScript and CSS, each fetched {asset_rounds} times one at a time (a browser keeps them: "
                   f"max = the first fetch of a file by a worker, which compresses it)", result["assets"], targets=False)

        deps = request(port, "GET", "/_dash-dependencies").data
        layout_json = request(port, "GET", "/_dash-layout").data
        ids = layout_props(json.loads(layout_json))
        cbs = callbacks_of(json.loads(deps), ids)
        browser = Browser(port, cbs, ids)
        for _ in range(2 * args.workers):  # warm every worker
            browser.reset()
            browser.load_page("warm-up")
        browser.hits.clear()

        steps = interactions(compare)
        began = time.perf_counter()
        for r in range(rounds):
            browser.reset()
            browser.load_page()
            after_load = dict(browser.props)
            for name, start, change in steps:
                browser.props = dict(after_load)
                if start:
                    browser.change(f"(setup) {name}", start)
                browser.change(name, change)
            log(f"  round {r + 1}/{rounds} done ({time.perf_counter() - began:.0f} s, load average {loadavg()})")
        hits = [h for h in browser.hits if not h.interaction.startswith("(setup)")]
        wait_idle(server)
        result["memory_after_callbacks"] = server_memory(server)
        print_memory(f"memory after {rounds} rounds of callbacks (workers idle)", result["memory_after_callbacks"])

        rows = [stats_row(f"initial load: {name}", [h for h in hits if h.interaction == "initial load" and h.callback == name])
                for name in dict.fromkeys(h.callback for h in hits if h.interaction == "initial load")]
        for name, _, _ in steps:
            mine = [h for h in hits if h.interaction == name]
            for cb in dict.fromkeys(h.callback for h in mine):
                sent = [h for h in mine if h.callback == cb]
                if any(h.status == 200 for h in sent):
                    rows.append(stats_row(f"{name}: {cb}", sent))
        print_rows(f"per request, one at a time ({rounds} rounds; requests answered 204 'not on screen' are left out "
                   f"here but in the totals below)", rows)
        by_callback = [stats_row(name, [h for h in hits if h.callback == name and h.status == 200])
                       for name in dict.fromkeys(h.callback for h in hits) if any(h.callback == name and h.status == 200 for h in hits)]
        print_rows("per callback, all interactions (200 responses)", by_callback)
        skipped = [h for h in hits if h.status == 204]
        if skipped:
            print_rows("callbacks for views not on screen (204)", [stats_row("204 No Content", skipped)])
        result |= {"requests": rows, "callbacks": by_callback}

        if not args.no_encodings:
            result["encodings"] = compare_encodings(port, browser.heavy, rounds)

        if not args.no_parallel:
            browser.connections = BROWSER_CONNECTIONS
            browser.hits.clear()
            for _ in range(max(3, rounds // 2)):
                for name, start, change in steps:
                    browser.reset()
                    browser.load_page("(setup)")
                    if start:
                        browser.change("(setup)", start)
                    t0 = time.perf_counter()
                    first = len(browser.hits)
                    browser.change(name, change)
                    sent = browser.hits[first:]
                    browser.hits.append(Hit(name, "wall", 200, time.perf_counter() - t0, sum(h.size for h in sent),
                                            sum(h.wire for h in sent), ",".join(sorted({h.encoding for h in sent if h.encoding}))))
            walls = [stats_row(name, [h for h in browser.hits if h.interaction == name and h.callback == "wall"])
                     for name, _, _ in steps]
            print_rows(f"interaction wall time, change -> last response, {BROWSER_CONNECTIONS} parallel connections "
                       f"like a browser ({args.workers} workers); bytes: all responses of the interaction", walls)
            result["interactions"] = walls

        result["memory_end"] = server_memory(server)

    result["compression_cpu"] = compression_costs(*browser.largest)

    for label, key in (("after load and warm-up", "memory_after_load"),
                       (f"after {rounds} rounds of callbacks", "memory_after_callbacks"), ("at the end", "memory_end")):
        log("\nserver memory " + label + " (RSS counts the shared page-cache pages of the mapped view files a "
            "process touched, in every process; PSS splits them; private = USS)")
        print_memory(label, result[key])
    worst = max(result["callbacks"], key=lambda r: r["p95_ms"])
    biggest = max((r for r in result["requests"] if r["label"].split(": ")[-1] in ("landscape", "baselines", "side")),
                  key=lambda r: r["bytes"])
    loaded, after = workers_of(result["memory_after_load"]), workers_of(result["memory_after_callbacks"])
    end = workers_of(result["memory_end"])
    first_load = max(max(r["load_s"] for r in loads), max(result["cold_layout_s"]))
    files = view_files(store)
    log(f"\ntargets at {counts['claims']:,} claims ({args.workers} workers; view files "
        + ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in files.items()) + ")")

    def mb(values: list[float]) -> str:
        return " / ".join(f"{v:.0f}" for v in values) + " MB"

    reached = [
        target_line("RSS per worker after load (and warm-up)", mb(loaded["rss_mb"]), f"< {TARGET_RSS_MB} MB",
                    max(loaded["rss_mb"], default=0) < TARGET_RSS_MB),
        target_line("RSS per worker after a round of callbacks", mb(after["rss_mb"]), f"< {TARGET_RSS_MB} MB",
                    max(after["rss_mb"], default=0) < TARGET_RSS_MB),
        target_line("RSS per worker at the end (after every pass)", mb(end["rss_mb"]), f"< {TARGET_RSS_MB} MB",
                    max(end["rss_mb"], default=0) < TARGET_RSS_MB),
        target_line("private (USS) per worker after callbacks", mb(after["uss_mb"]), f"< {TARGET_PRIVATE_MB} MB",
                    max(after["uss_mb"], default=0) < TARGET_PRIVATE_MB),
        target_line(f"callback p95 (worst: {worst['label'][:30]})", f"{worst['p95_ms']:.0f} ms", f"< {TARGET_P95_MS} ms",
                    worst["p95_ms"] < TARGET_P95_MS),
        target_line("first load (worker load, first layout per worker)", f"{first_load:.2f} s", f"< {TARGET_LOAD_S:g} s",
                    first_load < TARGET_LOAD_S),
        target_line(f"figure payload (largest: {biggest['label'][:30]})", f"{biggest['bytes']:,} B",
                    f"< {TARGET_BYTES / 1e6:.0f} MB", biggest["bytes"] < TARGET_BYTES),
    ]
    log(f"  (PSS per worker after callbacks {mb(after['pss_mb'])}; anonymous {mb(after['anon_mb'])}; "
        f"peak RSS per worker {mb(end['hwm_mb'])}: a request that reads long texts maps them for its duration)")
    result["targets_reached"] = all(reached)
    log(f"load average at the end: {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if args.profile:
        measured = [r for r in result["requests"] if not r["label"].startswith("initial load: GET")]
        slowest = max(measured, key=lambda r: r["p95_ms"])
        name, cb = slowest["label"].rsplit(": ", 1)
        log(f"\nslowest callback by p95: {slowest['label']} ({slowest['p95_ms']:.0f} ms)")
        profile_callback(store, cb, *profile_args(name, compare))
    return 0 if result["targets_reached"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
