"""Listing titles -> arXiv ids and dates through the arXiv API, over real HTTP on 127.0.0.1
(the scripted server and the Atom fixture of support.http_server), then through a whole refresh."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import polars as pl
from support.http_server import SETTINGS, Reply, ScriptedServer, atom_page

from etl.refresh.config import ResolveSettings
from etl.refresh.resolve import CACHE_NAME, title_key, resolve_titles
from etl.refresh.runner import RefreshPlan, refresh
from etl.store import SnapshotStore

ABSTRACT = ("We study how serving systems share key-value caches between tenants. " * 5).strip()
OTHER = ("A method for scheduling pipeline stages in a training cluster, measured at scale. " * 5).strip()
PAGE = f"""new

Mar 20

PagedKV: Elastic Key-Value Cache Sharing for Multi-Tenant LLM Serving

{ABSTRACT}

A Paper The API Does Not Know

{OTHER}
"""
TODAY = date(2026, 11, 23)


def listing(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text(PAGE, encoding="utf-8")
    return path


def settings(server: ScriptedServer, **changes) -> ResolveSettings:
    return replace(ResolveSettings(arxiv_titles=True, base_url=f"{server.url}/api/query"), **changes)


def script(server: ScriptedServer) -> None:
    server.on("pagedkv", Reply(body=atom_page(slice(0, 3), 3)))  # the right paper among others
    server.on("api/query", Reply(body=atom_page(slice(1, 3), 2)))  # near titles, none this one


def test_titles_resolve_to_ids_and_dates_politely_and_are_cached(server, tmp_path):
    script(server)
    store = tmp_path / "store"
    source = listing(tmp_path)

    result = resolve_titles((source,), store, SETTINGS, settings(server), today=TODAY)

    assert (result.titles, result.resolved, result.looked_up, result.requests, result.errors) == (2, 1, 2, 2, ())
    assert all("claimboard-tests" in agent and "mailto:" in agent for _, agent in server.log)
    assert any('ti%3A%22pagedkv+elastic+key+value' in path for path, _ in server.log)
    (record,) = [json.loads(line) for line in result.path.read_text().splitlines()]
    assert record["id"] == "2611.09876" and record["published"] == "2026-11-20"
    assert record["url"] == "https://arxiv.org/abs/2611.09876" and record["abstract"] == ABSTRACT
    cache = json.loads((store / "cache" / CACHE_NAME).read_text())
    assert cache[title_key("A Paper The API Does Not Know")] == {"id": None, "checked": "2026-11-23"}
    assert sorted(p.parent.parent.name for p in (store / "raw").rglob("*.xml")) == ["arxiv-titles"] * 2

    again = resolve_titles((source,), store, SETTINGS, settings(server), today=TODAY)  # all cached
    assert (again.resolved, again.looked_up, again.requests) == (1, 0, 0) and len(server.log) == 2
    later = resolve_titles((source,), store, SETTINGS, settings(server, retry_days=30), today=date(2026, 12, 31))
    assert (later.looked_up, later.requests) == (1, 1)  # only the title not found is asked again


def test_a_server_that_fails_is_reported_and_asked_again_next_run(server, tmp_path):
    server.on("api/query", Reply(503, b"down"))
    result = resolve_titles((listing(tmp_path),), tmp_path / "store", SETTINGS, settings(server), today=TODAY)
    assert result.resolved == 0 and result.errors and "HTTP 503" in result.errors[0]
    assert json.loads((tmp_path / "store" / "cache" / CACHE_NAME).read_text()) == {}


def test_max_titles_caps_a_run(server, tmp_path):
    script(server)
    result = resolve_titles((listing(tmp_path),), tmp_path / "store", SETTINGS, settings(server, max_titles=1), today=TODAY)
    assert result.looked_up == 1 and result.capped


def test_refresh_gives_listing_papers_their_arxiv_id_link_and_date(server, tmp_path):
    script(server)
    store = tmp_path / "store"
    plan = RefreshPlan(store, (listing(tmp_path),), fetch=SETTINGS, resolve=settings(server))

    manifest = refresh(plan)

    papers = SnapshotStore(store).read("papers").sort("title")
    assert papers.select("paper_id", "url_kind", "published").rows() == [
        (papers["paper_id"][0], "search", None),
        ("2611.09876", "arxiv", date(2026, 11, 20)),
    ]
    assert papers["url"][1] == "https://arxiv.org/abs/2611.09876"
    assert papers["url"][0].startswith("https://arxiv.org/search/?searchtype=title&query=A+Paper+The+API")
    assert papers["abstract"][1] == ABSTRACT and manifest["counts"]["papers"] == 2
    assert manifest["refresh"]["resolve"]["resolved"] == 1
    # nothing new the next time: same inputs (the resolved file is rewritten only when it changes)
    assert refresh(plan)["status"] == "unchanged"
    # and offline, from the stored responses
    replayed = refresh(RefreshPlan(tmp_path / "replayed", plan.sources, fetch=SETTINGS, resolve=settings(server)), replay=True)
    assert replayed["refresh"]["resolve"]["resolved"] == 0  # another store: nothing stored to replay
    assert pl.DataFrame(SnapshotStore(tmp_path / "replayed").read("papers"))["url_kind"].to_list() == ["search"] * 2
