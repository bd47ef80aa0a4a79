"""Bounded load test on loopback: gunicorn workers, many clients changing filters, a refresh mid-way.

    python scripts/load.py                                  # 50 clients, 60 s, 2 workers
    python scripts/load.py --clients 20 --seconds 20

Builds a store from one bundled seed page (or uses --store), starts
``gunicorn -w WORKERS -b 127.0.0.1:PORT dashboard.app:server`` on it, and runs CLIENTS threads
that each POST filter changes to /_dash-update-component (the real callbacks, payloads built from
/_dash-dependencies) for SECONDS. Half-way through, an ETL run on more pages publishes a new
snapshot, which the workers must pick up without a single failed request. Prints requests/s,
latency p50/p99/max and the error count; exits 1 if any request failed or the new snapshot was
never served.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the shared helpers: tests/support

from support.dash_client import Callback, decode  # noqa: E402
from support.servers import free_port, gunicorn_command, serving  # noqa: E402

SEEDS = sorted((ROOT / "data" / "seeds").glob("*.txt"))
QUERIES = [
    "", "?metric=throughput", "?metric=speedup&metric=latency", "?baseline=vLLM", "?gpus=..8", "?size=7e9..70e9",
    "?systems=1", "?better=1", "?q=attention", "?q=serving&metric=throughput", "?color=baseline", "?x=gpus",
    "?x=published&color=hardware", "?tab=baselines", "?tab=baselines&focus=vLLM", "?tab=table", "?tab=side",
    "?tab=table&metric=memory", "?metric=bogus&gpus=abc", "?published=2024-01-01..", "?new=previous",
]
VIEWS = ["caption.children", "landscape-graph.figure", "baselines-graph.figure", "claims-table.getRowsResponse", "side-graph.figure"]


def etl(store: Path, sources: list[Path]) -> None:
    command = [sys.executable, "-m", "etl.cli", "etl", "--store", str(store), "--quiet"]
    command += [arg for s in sources for arg in ("--source", str(s))]
    subprocess.run(command, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Conn:
    """One keep-alive HTTP connection, reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                # gzip accepted, as a browser would: the server compresses what it sends
                headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
                self.conn.request(method, path, body=body, headers=headers)
                reply = self.conn.getresponse()
                data = reply.read()
                data = decode(data, reply.getheader("Content-Encoding"))
                if reply.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return reply.status, data
            except (http.client.HTTPException, OSError) as err:
                self.conn.close()
                self.conn = None
                # a keep-alive connection the server had already closed is retried once
                stale = isinstance(err, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError)
                if attempt == 2 or not stale:
                    raise
        raise AssertionError("unreachable")


def payload(callback: Callback, search: str) -> bytes:
    """The request for one view's callback with the URL's query string set to ``search``."""
    return callback.body({"url.search": search, "claims-table.getRowsRequest": {"startRow": 0, "endRow": 25}}, ["url.search"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=60, help="test duration (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--store", type=Path, help="store to serve and refresh (default: a new temporary one)")
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="claimboard-load-")
    store = args.store or Path(tmp.name) / "store"
    if args.store is None:
        etl(store, SEEDS[1:2])
    port = args.port or free_port()
    try:
        with serving(gunicorn_command(port, args.workers), store) as server:
            return run_load(args, store, port, server)
    finally:
        tmp.cleanup()


def run_load(args: argparse.Namespace, store: Path, port: int, server: subprocess.Popen) -> int:
    probe = Conn(port)
    deadline = time.monotonic() + 60
    while True:
        try:
            status, body = probe.request("GET", "/_dash-dependencies")
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            print("gunicorn did not start", file=sys.stderr)
            return 1
        time.sleep(0.2)
    deps = {view: Callback.of(next(d for d in json.loads(body) if view in d["output"])) for view in VIEWS}

    def all_claims() -> str:
        status, data = probe.request("POST", "/_dash-update-component", payload(deps["caption.children"], ""))
        return json.loads(data)["response"]["counts"]["children"].split(" · ")[0] if status == 200 else f"HTTP {status}"

    before = all_claims()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = Conn(port)
        while time.monotonic() < stop:
            view = rng.choice(VIEWS)
            body = payload(deps[view], rng.choice(QUERIES))
            began = time.perf_counter()
            try:
                status, data = conn.request("POST", "/_dash-update-component", body)
            except Exception as err:  # noqa: BLE001 - every failure counts
                status, data = None, repr(err).encode()
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if status not in (200, 204):
                    errors.append(f"{view} -> {status}: {data[:200]!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds / 2)
    refresh_began = time.monotonic()
    etl(store, SEEDS[1:2] + SEEDS[4:5])  # publishes a new, larger snapshot while the clients run
    refresh_seconds = time.monotonic() - refresh_began
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    print(f"clients {args.clients}, workers {args.workers}, {elapsed:.1f} s, refresh published a new snapshot "
          f"after {args.seconds / 2:.0f} s (took {refresh_seconds:.1f} s)")
    print(f"requests {len(latencies):,}  ({len(latencies) / elapsed:.1f}/s)")
    print(f"latency ms: p50 {pct(0.50):.0f}  p99 {pct(0.99):.0f}  max {pct(1.0):.0f}  "
          f"mean {statistics.fmean(latencies) * 1000 if latencies else float('nan'):.0f}")
    print(f"errors {len(errors)}")
    time.sleep(1.1)  # a worker re-checks the current pointer at most once a second
    after = {all_claims() for _ in range(4 * args.workers)}  # several requests: every worker answers
    print(f"unfiltered view before the refresh: {before}; after: {', '.join(sorted(after))}")
    for line in errors[:10]:
        print("  " + line)
    new_snapshot_served = before not in after and len(after) == 1
    if not new_snapshot_served:
        print("the new snapshot was never served", file=sys.stderr)
    return 0 if not errors and new_snapshot_served else 1


if __name__ == "__main__":
    sys.exit(main())
