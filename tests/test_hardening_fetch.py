"""Issue 15 hardening of the fetcher, over real HTTP on 127.0.0.1 (no mocks): a bad response fails
its source only (#4), responses are bounded in bytes and in time and redirects stay on the origin
(#7), an HF item with no authors is "unknown" (#13); raw/ pruning and run-log rotation (#7)."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.http_server import HF_DAY, SETTINGS, TODAY, Reply, ScriptedServer, hf_source

from etl.refresh.fetch import fetch_source, parse_hf_daily


def hf_day_of(ids: list[str]) -> bytes:
    return json.dumps([{"paper": {"id": i, "title": f"T {i}", "summary": "S", "authors": [{"name": "A"}]}} for i in ids]).encode()


# ---------------------------------------------------------------------------------------------
# 4. one bad upstream response fails its source only


def test_deeply_nested_json_fails_that_day_only_and_replays(server: ScriptedServer, tmp_path: Path) -> None:
    server.on("date=2026-11-23", Reply(200, b"[" * 200_000 + b"]" * 200_000))
    server.on("date=2026-11-22", Reply(200, HF_DAY))
    result = fetch_source(hf_source(server, days_back=1), tmp_path, SETTINGS, today=TODAY)
    assert len(result.records) == 3  # the good day still counts
    assert any("2026-11-23" in e and "nested too deeply" in e for e in result.errors), result.errors
    replayed = fetch_source(hf_source(server, days_back=1), tmp_path, SETTINGS, today=TODAY, replay=True)
    assert any("nested too deeply" in e for e in replayed.errors) and len(replayed.records) == 3


def test_parse_hf_daily_bounds_nesting_without_recursion() -> None:
    page = parse_hf_daily(b'[{"paper": ' * 100_000 + b"1" + b"}]" * 100_000, "hf")
    assert page.records == () and "nested too deeply" in page.problems[0]
    # brackets inside strings do not count
    page = parse_hf_daily(json.dumps([{"paper": {"id": "2611.1", "title": "[" * 5000}}]).encode(), "hf")
    assert [r.id for r in page.records] == ["2611.1"] and page.problems == ()


# ---------------------------------------------------------------------------------------------
# 13. "authors": [] is unknown, as for arXiv


def test_hf_item_with_empty_authors_has_unknown_count() -> None:
    body = json.dumps([{"paper": {"id": "2611.1", "title": "T", "summary": "S", "authors": []}}]).encode()
    assert parse_hf_daily(body, "hf").records[0].authors is None


# ---------------------------------------------------------------------------------------------
# 7. byte cap, deadline per source, redirects


def test_response_over_the_byte_cap_fails_that_source_and_is_not_kept(server: ScriptedServer, tmp_path: Path) -> None:
    big = hf_day_of([f"2611.{n:05d}" for n in range(3000)])
    server.on("date=2026-11-23", Reply(200, big))
    server.on("date=2026-11-22", Reply(200, HF_DAY))
    settings = replace(SETTINGS, max_response_bytes=len(big) - 1)
    result = fetch_source(hf_source(server, days_back=1), tmp_path, settings, today=TODAY)
    assert [r.id for r in result.records] == ["2611.10234", "2611.09988", "2611.09501"]
    assert any("2026-11-23" in e and "max_response_bytes" in e for e in result.errors), result.errors
    assert server.requests_to("date=2026-11-23") == 1  # not retried
    assert not (tmp_path / "raw" / "hf-daily" / "2026-11-23").exists() or not any(
        (tmp_path / "raw" / "hf-daily" / "2026-11-23").iterdir()
    )


def test_chunked_response_over_the_byte_cap_is_cut_off(tmp_path: Path) -> None:
    """No Content-Length: the cap is enforced while reading, not trusted from a header."""
    with _CustomServer(_chunked_forever) as url:
        source = replace(hf_source_at(url), days_back=0)
        started = time.monotonic()
        result = fetch_source(source, tmp_path, replace(SETTINGS, max_response_bytes=100_000), today=TODAY)
    assert time.monotonic() - started < 5
    assert result.records == () and any("max_response_bytes" in e for e in result.errors), result.errors


def test_trickling_server_cannot_outlast_the_source_deadline(tmp_path: Path) -> None:
    """One byte every 0.2 s never trips the 1 s read timeout; the 1.5 s deadline ends the source."""
    with _CustomServer(_trickle) as url:
        settings = replace(SETTINGS, timeout=1.0, source_deadline=1.5)
        started = time.monotonic()
        result = fetch_source(replace(hf_source_at(url), days_back=3), tmp_path, settings, today=TODAY)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 1.0 + 1.0, elapsed  # deadline + at most one read timeout + slack
    assert any("source_deadline" in e for e in result.errors), result.errors


@pytest.mark.parametrize("target", ["other-port", "ftp", "file"])
def test_redirects_leave_neither_the_host_port_nor_http(server: ScriptedServer, tmp_path: Path, target: str) -> None:
    other = ScriptedServer()
    try:
        other.on("/", Reply(200, HF_DAY))
        location = {
            "other-port": f"{other.url}/api/daily_papers?date=2026-11-23",
            "ftp": "ftp://127.0.0.1/daily.json",
            "file": f"file://{tmp_path}/x.json",
        }[target]
        (tmp_path / "x.json").write_bytes(HF_DAY)
        server.on("date=2026-11-23", Reply(302, b"", {"Location": location}))
        result = fetch_source(hf_source(server), tmp_path / "store", SETTINGS, today=TODAY)
        assert result.records == ()
        # urllib itself never follows file:// ("not allowed"); ftp:// and other ports it did follow
        assert any("redirect" in e.lower() and ("refused" in e or "not allowed" in e) for e in result.errors), result.errors
        assert other.requests_to("/") == 0
    finally:
        other.shutdown()


def test_redirect_on_the_same_host_and_port_is_followed(server: ScriptedServer, tmp_path: Path) -> None:
    server.on("date=2026-11-23", Reply(301, b"", {"Location": "/moved/daily"}))
    server.on("/moved/daily", Reply(200, HF_DAY))
    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)
    assert len(result.records) == 3 and result.errors == ()


# ---------------------------------------------------------------------------------------------
# 7. raw/ pruning and run-log rotation


def test_prune_raw_keeps_the_newest_per_request_and_drops_old_ones(tmp_path: Path) -> None:
    from etl.refresh.fetch import prune_raw

    raw = tmp_path / "raw"
    now = time.time()
    day = 86_400

    def put(key: str, stamp: str, age_days: float) -> Path:
        path = raw / "hf-daily" / key / f"{stamp}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"[]")
        os.utime(path, (now - age_days * day, now - age_days * day))
        return path

    recent = [put("2026-11-23", f"2026112{n}T000000.000000Z", 0.1) for n in range(5)]
    old_key = put("2026-09-01", "20260901T000000.000000Z", 80)
    (raw / "hf-daily" / "normalised.jsonl").write_bytes(b"")
    removed = prune_raw(raw, keep=2, max_age_days=30, now=now)
    left = sorted(p.name for p in (raw / "hf-daily" / "2026-11-23").iterdir())
    assert left == [recent[3].name, recent[4].name]
    assert not old_key.exists() and not old_key.parent.exists()
    assert (raw / "hf-daily" / "normalised.jsonl").exists()
    assert sorted(removed) == sorted([*recent[:3], old_key])
    assert prune_raw(raw, keep=2, max_age_days=30, now=now) == []
    assert prune_raw(tmp_path / "nothing-here", keep=2) == []


def test_rotate_run_log_keeps_a_recent_tail_and_bounded_archives(tmp_path: Path) -> None:
    from etl.store.retention import rotate_run_log

    log = tmp_path / "runs.jsonl"
    lines = [json.dumps({"run_id": f"r{n:04d}", "pad": "x" * 100}) + "\n" for n in range(100)]
    log.write_text("".join(lines))
    assert rotate_run_log(tmp_path, max_bytes=10**9) is False
    assert rotate_run_log(tmp_path, max_bytes=5_000, tail=10, archives=2) is True
    assert log.read_text() == "".join(lines[-10:])
    assert (tmp_path / "runs.1.jsonl").read_text() == "".join(lines[:-10])
    for round_ in range(3):
        log.write_text("".join(lines))
        rotate_run_log(tmp_path, max_bytes=5_000, tail=10, archives=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.1.jsonl", "runs.2.jsonl", "runs.jsonl"]


# ---------------------------------------------------------------------------------------------
# Servers that misbehave below HTTP's level


def hf_source_at(url: str):
    from etl.refresh.config import HFDailySource

    return HFDailySource(name="hf-daily", days_back=0, base_url=f"{url}/api/daily_papers")


def _chunked_forever(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    piece = b"[" + b" " * 65_000
    deadline = time.monotonic() + 10
    while not stop.is_set() and time.monotonic() < deadline:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))


def _trickle(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    deadline = time.monotonic() + 10
    while not stop.is_set() and time.monotonic() < deadline:
        handler.wfile.write(b" ")
        handler.wfile.flush()
        stop.wait(0.2)


class _CustomServer:
    """A loopback server whose every GET runs ``reply(handler, stop)``; stops itself on exit (and
    every reply gives up after 10 s whatever happens)."""

    def __init__(self, reply) -> None:
        stop = self.stop = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    reply(self, stop)
                except OSError:
                    pass  # the client hung up: expected

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.httpd.handle_error = lambda request, address: None
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
