"""Remote fetchers against a real HTTP server on 127.0.0.1 serving the public response formats.

The server plays scripted replies per route (500 then 200, a slow reply, 429 + Retry-After, a body
cut short...), so retries, timeouts, caps, raw storage and replay are exercised over real sockets.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.http_server import (
    ARXIV_FEED,
    ARXIV_IDS,
    FIXTURES,
    HF_DAY,
    HF_IDS,
    SETTINGS,
    TODAY,
    Reply,
    ScriptedServer,
    arxiv_source,
    atom_page,
    hf_source,
)

from etl import ingest
from etl.refresh.config import HFDailySource
from etl.refresh.fetch import backoff_delay, fetch_source, parse_retry_after, read_normalised

# the ``server`` fixture (a ScriptedServer per test) is in tests/conftest.py


def ids(result) -> list[str]:
    return [record.id for record in result.records]


# ---------------------------------------------------------------------------------------------
# Hugging Face daily papers


def test_hf_daily_fetches_each_day_normalises_and_keeps_raw_responses(server, tmp_path):
    server.on("date=2026-11-23", Reply(body=HF_DAY, headers={"Content-Type": "application/json"}))
    server.on("date=2026-11-22", Reply(body=b"[]"))
    progress: list[str] = []

    result = fetch_source(hf_source(server, days_back=1), tmp_path, SETTINGS, today=TODAY, progress=progress.append)

    assert result.errors == () and not result.capped
    assert ids(result) == HF_IDS and result.items == 3 and result.requests == 2
    first = result.records[0]
    assert (first.title, first.published, first.authors, first.upvotes, first.source) == (
        "FlashShard: Communication-Free Tensor Parallel Decoding", "2026-11-20", 4, 42, "hf-daily")
    assert "\n" not in first.abstract and first.abstract.endswith("1.9x over TensorRT-LLM.")
    assert {ua for _, ua in server.log} == {SETTINGS.user_agent}
    assert [p.parent.name for p in result.raw_paths] == ["2026-11-23", "2026-11-22"]
    assert [p.read_bytes() for p in result.raw_paths] == [HF_DAY, b"[]"]
    assert result.raw_paths[0].parent.parent == tmp_path / "raw" / "hf-daily"
    assert result.path == tmp_path / "raw" / "hf-daily" / "normalised.jsonl"
    lines = [json.loads(line) for line in result.path.read_text().splitlines()]
    assert sorted(line["id"] for line in lines) == sorted(HF_IDS)
    assert set(lines[0]) == {"id", "title", "abstract", "published", "authors", "upvotes", "source", "url"}
    assert lines[0]["url"] == f"https://huggingface.co/papers/{lines[0]['id']}"
    assert any("2026-11-23: 3 papers" in message for message in progress)


def test_normalised_jsonl_reads_as_a_local_source_in_ingest(server, tmp_path):
    server.on("daily_papers", Reply(body=HF_DAY))
    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    read = ingest.read_source(result.path)

    assert read.error is None
    papers = read.records.sort("paper_id")
    assert papers["paper_id"].to_list() == sorted(HF_IDS)
    assert papers["authors_count"].to_list() == [3, 2, 4] and papers["upvotes"].to_list() == [5, 17, 42]


def test_a_500_is_retried_and_every_attempt_counted(server, tmp_path):
    server.on("daily_papers", Reply(500, b"Internal Server Error"), Reply(body=HF_DAY))

    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert result.errors == () and ids(result) == HF_IDS
    assert result.requests == 2 == server.requests_to("daily_papers")


def test_a_server_slower_than_the_timeout_is_retried_then_given_up_with_a_clear_error(server, tmp_path):
    server.on("daily_papers", Reply(body=HF_DAY, delay=0.6))
    settings = replace(SETTINGS, timeout=0.15, retries=1)

    started = time.monotonic()
    result = fetch_source(hf_source(server), tmp_path, settings, today=TODAY)

    assert time.monotonic() - started < 1.5
    assert result.records == () and result.requests == 2
    [error] = result.errors
    assert error.startswith("hf-daily: GET http://127.0.0.1:")
    assert "date=2026-11-23" in error and "timed out after 0.15 s" in error and "gave up after 2 attempts" in error


def test_429_retry_after_seconds_is_honoured(server, tmp_path):
    server.on("daily_papers", Reply(429, b"slow down", headers={"Retry-After": "1"}), Reply(body=HF_DAY))

    started = time.monotonic()
    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert time.monotonic() - started >= 1.0  # backoff alone would be < 0.05 s
    assert result.errors == () and ids(result) == HF_IDS and result.requests == 2


def test_requests_to_one_source_are_spaced_by_the_request_interval(server, tmp_path):
    server.on("daily_papers", Reply(body=b"[]"))

    started = time.monotonic()
    result = fetch_source(hf_source(server, days_back=2), tmp_path, replace(SETTINGS, request_interval=0.2), today=TODAY)

    assert result.requests == 3 and time.monotonic() - started >= 0.4


def test_a_retry_after_longer_than_allowed_gives_up_at_once(server, tmp_path):
    server.on("daily_papers", Reply(503, b"", headers={"Retry-After": "3600"}))

    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert result.requests == 1
    [error] = result.errors
    assert "HTTP 503" in error and "retry after 3600 s" in error and "max_retry_after" in error


def test_a_client_error_is_not_retried_and_its_body_is_quoted(server, tmp_path):
    server.on("daily_papers", Reply(400, b'{"error":"Invalid date"}'))

    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert result.requests == 1
    [error] = result.errors
    assert 'HTTP 400 Bad Request: {"error":"Invalid date"}' in error and "not retried" in error


def test_malformed_json_is_reported_and_its_raw_body_still_kept(server, tmp_path):
    garbage = b'[{"paper": {"id": "2611.1'
    server.on("daily_papers", Reply(body=garbage))

    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert result.records == ()
    [error] = result.errors
    assert error.startswith("hf-daily: http://127.0.0.1:") and "malformed JSON" in error
    assert [p.read_bytes() for p in result.raw_paths] == [garbage]


def test_entries_without_a_paper_id_are_reported_and_the_rest_kept(server, tmp_path):
    odd = json.loads(HF_DAY)[:1] + [{"paper": "not an object"}, {"title": "no paper"}]
    server.on("daily_papers", Reply(body=json.dumps(odd).encode()))

    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert ids(result) == HF_IDS[:1]
    assert [e.split(": ")[-1] for e in result.errors] == ["entry 1 has no paper.id; skipped", "entry 2 has no paper.id; skipped"]


def test_an_empty_day_is_no_error(server, tmp_path):
    server.on("daily_papers", Reply(body=b"[]"))

    result = fetch_source(hf_source(server), tmp_path, SETTINGS, today=TODAY)

    assert result.records == () and result.errors == () and result.requests == 1
    assert result.path.read_text() == ""


def test_a_source_that_is_down_gives_an_error_not_an_exception(tmp_path):
    down = ScriptedServer()
    source = hf_source(down)
    down.shutdown()

    result = fetch_source(source, tmp_path, replace(SETTINGS, retries=1), today=TODAY)

    assert result.records == () and result.requests == 2
    [error] = result.errors
    assert error.startswith(f"hf-daily: GET {source.base_url}?date=2026-11-23: cannot connect")


def test_the_item_cap_keeps_the_newest_papers(server, tmp_path):
    server.on("daily_papers", Reply(body=HF_DAY))

    result = fetch_source(hf_source(server, days_back=2), tmp_path, replace(SETTINGS, max_items=2), today=TODAY)

    assert ids(result) == HF_IDS[:2] and result.capped and result.requests == 1


def test_papers_accumulate_across_runs_and_the_newest_fetch_wins(server, tmp_path):
    source = hf_source(server)
    server.on("daily_papers", Reply(body=HF_DAY))
    fetch_source(source, tmp_path, SETTINGS, today=TODAY)
    newer = json.loads(HF_DAY)[:1]
    newer[0]["paper"]["upvotes"] = 99
    server.on("daily_papers", Reply(body=json.dumps(newer).encode()))

    result = fetch_source(source, tmp_path, SETTINGS, today=TODAY + timedelta(days=1))

    assert ids(result) == HF_IDS[:1]
    stored, problems = read_normalised(result.path)
    assert problems == [] and sorted(r.id for r in stored) == sorted(HF_IDS)
    assert next(r.upvotes for r in stored if r.id == HF_IDS[0]) == 99


# ---------------------------------------------------------------------------------------------
# arXiv API


def test_arxiv_pages_until_the_total_and_sends_the_query(server, tmp_path):
    server.on("start=0&", Reply(body=atom_page(slice(0, 2), total=3)))
    server.on("start=2&", Reply(body=atom_page(slice(2, 3), total=3)))

    result = fetch_source(arxiv_source(server, page_size=2), tmp_path, SETTINGS)

    assert result.errors == () and ids(result) == ARXIV_IDS and result.requests == 2 and not result.capped
    first = result.records[0]
    assert (first.title, first.published, first.authors, first.upvotes) == (
        "PagedKV: Elastic Key-Value Cache Sharing for Multi-Tenant LLM Serving", "2026-11-20", 3, None)
    path, _ = server.log[0]
    assert "search_query=cat%3Acs.DC+AND+abs%3Athroughput" in path
    assert "max_results=2" in path and "sortBy=submittedDate" in path and "sortOrder=descending" in path
    assert all(p.suffix == ".xml" and p.parent.name.startswith("q-") for p in result.raw_paths)


def test_the_request_cap_stops_paging(server, tmp_path):
    server.on("start=0&", Reply(body=atom_page(slice(0, 2), total=3)))

    result = fetch_source(arxiv_source(server, page_size=2), tmp_path, replace(SETTINGS, max_requests=1))

    assert ids(result) == ARXIV_IDS[:2] and result.capped and result.requests == 1 and result.errors == ()
    assert server.requests_to("start=2&") == 0


def test_a_feed_cut_mid_entry_keeps_the_entries_before_the_cut(server, tmp_path):
    cut = ARXIV_FEED[: ARXIV_FEED.index(b"Overlapping Pipeline") + 20]
    server.on("api/query", Reply(body=cut))

    result = fetch_source(arxiv_source(server), tmp_path, SETTINGS)

    assert ids(result) == ARXIV_IDS[:1] and result.records[0].abstract.endswith("at equal load.")
    [error] = result.errors
    assert error.startswith("arxiv-dc: http://127.0.0.1:") and "malformed Atom" in error
    assert "kept the 1 complete entries" in error


def test_a_connection_broken_mid_body_is_retried_then_what_arrived_is_kept(server, tmp_path):
    cut = ARXIV_FEED[: ARXIV_FEED.index(b"Energy-Aware") + 10]
    server.on("api/query", Reply(body=cut, declared_length=len(ARXIV_FEED)))

    result = fetch_source(arxiv_source(server), tmp_path, replace(SETTINGS, retries=1))

    assert result.requests == 2 and ids(result) == ARXIV_IDS[:2]
    assert any(f"cut short after {len(cut)} bytes (after 2 attempts)" in e for e in result.errors)
    assert result.raw_paths[0].read_bytes() == cut


def test_an_arxiv_api_error_feed_is_reported(server, tmp_path):
    server.on("api/query", Reply(body=(FIXTURES / "arxiv_error.xml").read_bytes()))

    result = fetch_source(arxiv_source(server), tmp_path, SETTINGS)

    assert result.records == ()
    assert [e.split(": ", 2)[-1] for e in result.errors] == ["arXiv API error: max_results must be non-negative"]


def test_an_html_page_instead_of_a_feed_is_reported(server, tmp_path):
    server.on("api/query", Reply(body=b"<html><body><h1>502 Bad Gateway</h1></body></html>"))

    result = fetch_source(arxiv_source(server), tmp_path, SETTINGS)

    assert result.records == () and "not an Atom feed" in result.errors[0]


# ---------------------------------------------------------------------------------------------
# Replay


def test_replay_from_raw_responses_with_the_server_gone_gives_the_same_records(server, tmp_path):
    hf, arxiv = hf_source(server, days_back=1), arxiv_source(server, page_size=2)
    server.on("date=2026-11-23", Reply(body=HF_DAY))
    server.on("date=2026-11-22", Reply(500), Reply(body=b"[]"))
    server.on("start=0&", Reply(body=atom_page(slice(0, 2), total=3)))
    server.on("start=2&", Reply(body=atom_page(slice(2, 3), total=3)))
    live = [fetch_source(hf, tmp_path, SETTINGS, today=TODAY), fetch_source(arxiv, tmp_path, SETTINGS)]
    server.shutdown()

    replayed = [fetch_source(hf, tmp_path, SETTINGS, today=TODAY, replay=True),
                fetch_source(arxiv, tmp_path, SETTINGS, replay=True)]

    for before, after in zip(live, replayed):
        assert after.errors == () and after.records == before.records and after.items > 0
        assert after.raw_paths == before.raw_paths  # read back, nothing new written
    assert sorted(p.name for p in (tmp_path / "raw" / "hf-daily").rglob("*.json")) == sorted(
        p.name for p in live[0].raw_paths)


def test_replay_without_stored_responses_names_what_is_missing(tmp_path):
    source = HFDailySource(name="hf-daily", days_back=0, base_url="http://127.0.0.1:9/api/daily_papers")

    result = fetch_source(source, tmp_path, SETTINGS, today=TODAY, replay=True)

    [error] = result.errors
    assert error.startswith("hf-daily: replay: no stored response for http://127.0.0.1:9/api/daily_papers?date=2026-11-23")


# ---------------------------------------------------------------------------------------------
# Retry timing (pure)


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("Sun, 22 Nov 2026 12:00:00 GMT", now) == 0.0  # in the past: retry now
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


@given(retry=st.integers(1, 60), jitter=st.floats(0, 1, exclude_max=True))
def test_backoff_grows_exponentially_and_stays_bounded(retry, jitter):
    settings = replace(SETTINGS, backoff_base=0.5, backoff_max=30)
    ceiling = min(30, 0.5 * 2 ** (retry - 1))
    assert ceiling / 2 <= backoff_delay(retry, settings, jitter) <= ceiling <= 30
