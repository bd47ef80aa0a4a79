"""Web security: hostile requests to the real Dash callback endpoint never give a 500.

The app runs in a thread on 127.0.0.1 (werkzeug), and the tests POST to /_dash-update-component
with payloads built from the app's own callback map (GET /_dash-dependencies), as the browser
would, but with hostile values: huge numbers, wrong types, unknown metrics, 100 KB strings,
NaN/inf, repeated keys, control values of the wrong JSON type, bogus click and table data.
"""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.filters import TABS
from support.dash_client import Client, outputs_of
from support.stores import NEW_RUN


# ---------------------------------------------------------------- a live server and a tiny client


@pytest.fixture(scope="module")
def client(handmade_store):
    server = make_server("127.0.0.1", 0, create_app(handmade_store).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Client(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(5)


def text_of(response: dict) -> str:
    return json.dumps(response, ensure_ascii=False)


# ---------------------------------------------------------------- hostile URL query values

BIG = "9" * 400
HOSTILE_QUERIES = {
    "huge numbers": (f"?gpus={BIG}..{BIG}&size=1e309..1e400&new={BIG}", ["gpus=", "size=", "new="]),
    "wrong types": ("?systems=maybe&better=2&gpus=abc..def&published=yesterday..tomorrow", ["systems=", "better=", "gpus=", "published="]),
    "unknown metric": ("?metric=warp-speed&metric=%3Cscript%3E&x=volume&color=mood&tab=admin", ["metric=", "x=", "color=", "tab="]),
    "nan and inf": ("?size=nan..inf&gpus=-inf..nan&size=-1..0", ["size=", "gpus="]),
    "unknown keys": ("?__proto__=1&constructor=x&%00=%00&%F0%9F%98%80=1", ["unknown parameter"]),
    "huge string": ("?q=" + "A" * 100_000, ["q="]),
    "repeated keys": ("?" + "&".join(f"metric=m{i}" for i in range(2000)) + "&" + "&".join(f"papers=p{i}" for i in range(500)), ["metric="]),
    "bad escapes": ("?metric=%ZZ&q=%&papers=%E0%A4%A&published=2024-13-45..", ["published="]),
    "whole url": ("https://evil.example/?metric=bogus#frag", ["metric="]),
}


@pytest.mark.parametrize("query, named", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_hostile_url_values_are_ignored_with_a_message_and_never_a_500(client, query, named):
    status, response = client.call("caption.children", {"url.search": query})
    assert status == 200, response
    notices = text_of(response["response"]["notices"])
    assert "not understood and are ignored" in notices
    for word in named:
        assert word in notices, (word, notices[:500])
    assert len(notices) < 50_000  # a 100 KB value is not echoed back in full...
    # ...and every view renders from the same URL
    for output in ("landscape-graph.figure", "side-graph.figure", "baselines-graph.figure", "view\"}.style"):
        for tab in TABS:
            status, _ = client.call(output, {"url.search": query + f"&tab={tab}"})
            assert status in (200, 204), (output, tab, status)
    status, _ = client.call("claims-table.getRowsResponse", {"url.search": query, "claims-table.getRowsRequest": {"startRow": 0, "endRow": 25}})
    assert status == 200


def test_the_url_sync_survives_hostile_queries(client):
    for query, _ in HOSTILE_QUERIES.values():
        status, response = client.call("..url.search...f-metric.value", {"url.search": query}, changed="url.search")
        assert status in (200, 204), (query[:80], status)


CONTROL_IDS = [
    "f-metric.value", "f-baseline.value", "f-hardware.value", "f-size-lo.value", "f-size-hi.value", "f-gpus-lo.value",
    "f-gpus-hi.value", "f-published.start_date", "f-published.end_date", "f-systems.value", "f-better.value",
    "f-new.value", "f-q.value", "f-papers.value",
]
WRONG_TYPES = [
    {"a": 1}, [{"a": [1, 2]}], 1e308, -1, True, [None, 3.5, "x"], "x" * 100_000, ["1"] * 5000, "NaN", [[["deep"]]],
]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda v: type(v).__name__ + str(len(json.dumps(v))))
def test_control_values_of_the_wrong_type_do_not_break_the_callback(client, value):
    for control in CONTROL_IDS:
        status, _ = client.call("..url.search...f-metric.value", {control: value, "url.search": "?metric=throughput"}, changed=control)
        assert status in (200, 204), (control, value if len(json.dumps(value)) < 100 else "...", status)


BOGUS_EVENTS = [
    ("landscape-graph.clickData", {"points": "nope"}),
    ("landscape-graph.clickData", {"points": [None]}),
    ("landscape-graph.clickData", {"points": [{"customdata": {"x": 1}}]}),
    ("baselines-graph.clickData", {"points": [{"x": 42}]}),
    ("baselines-graph.clickData", {"points": [{"x": None, "customdata": []}]}),
    ("claims-table.cellClicked", {"rowIndex": "0"}),
    ("claims-table.cellClicked", {"rowIndex": -99}),
    ("claims-table.cellClicked", [1, 2]),
    ("claims-table.cellClicked", {"rowIndex": 10**30}),
    ("claims-table.getRowsRequest", {"sortModel": "x", "context": {"urlSort": True}}),
    ("claims-table.getRowsRequest", {"sortModel": [{"colId": "title", "sort": "asc"}] * 10_000, "context": {"urlSort": True}}),
    ("claims-table.getRowsRequest", [None]),
]


@pytest.mark.parametrize("prop, value", BOGUS_EVENTS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(BOGUS_EVENTS)])
def test_bogus_click_and_table_events_do_not_break_the_callback(client, prop, value):
    values = {prop: value, "url.search": ""}
    status, _ = client.call("..url.search...f-metric.value", values, changed=prop)
    assert status in (200, 204), (prop, value, status)


@pytest.mark.parametrize(
    "request_",
    [
        {"startRow": "abc"}, {"startRow": 10**30, "endRow": 10**31}, {"startRow": -5, "endRow": -1}, {"startRow": 1.5},
        {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "no_such_column", "sort": "asc"}]},
        {"startRow": 0, "endRow": 25, "sortModel": [{"colId": "multiplier", "sort": "sideways"}]},
        {"startRow": 0, "endRow": 25, "sortModel": [{"nope": 1}]}, {"sortModel": "multiplier"}, {"sortModel": [None]},
        [1, 2], "x", {"startRow": 0, "endRow": 10**9},
    ],
)
def test_claims_grid_requests_with_hostile_values(client, request_):
    values = {"url.search": "?tab=table", "claims-table.getRowsRequest": request_}
    status, response = client.call("claims-table.getRowsResponse", values)
    assert status in (200, 204), (request_, status)
    if status == 200:
        assert len(response["response"]["claims-table"]["getRowsResponse"]["rowData"]) <= 100


def test_ten_thousand_sort_specs_cost_nothing(client):
    """15.5: a getRowsRequest with 10,000 sort specs is cut to the first three distinct ones."""
    import time

    specs = [{"colId": c, "sort": d} for c in ("title", "metric", "multiplier", "baseline") for d in ("asc", "desc")] * 1250
    started = time.perf_counter()
    status, response = client.call("claims-table.getRowsResponse",
                                   {"url.search": "?tab=table", "claims-table.getRowsRequest": {"startRow": 0, "endRow": 25, "sortModel": specs}})
    assert status == 200 and time.perf_counter() - started < 2
    assert response["response"]["claims-table"]["getRowsResponse"]["rowCount"] == 12


def test_paper_search_with_hostile_text(client):
    for typed, selected in [("(" * 1000, None), ("x" * 100_000, ["a"] * 1000), (".*", {"a": 1}), (5, "2401.00001")]:
        status, _ = client.call("f-papers.options@", {"f-papers.search_value": typed, "f-papers.value": selected})
        assert status in (200, 204), (str(typed)[:20], status)


# ---------------------------------------------------------------- downloads and binding


def test_the_download_never_reads_a_path_from_the_request(client):
    """The export callback builds the file from the snapshot; a path in the URL, the href or the
    format id is never opened, and the file name is ours."""
    secret = "/etc/passwd"
    dep = client.callback("download.data")
    assert [i["property"] for i in dep["inputs"]] == ["n_clicks"]
    assert {s["id"] + "." + s["property"] for s in dep["state"]} == {"url.search", "url.href"}
    for fmt in ("csv", "../../../../etc/passwd", "json"):
        payload = {
            "output": dep["output"],
            "outputs": outputs_of(dep["output"]),
            "inputs": [[{"id": {"type": "export", "format": fmt}, "property": "n_clicks", "value": 1}]],
            "state": [
                {"id": "url", "property": "search", "value": f"?q=../../..{secret}&file={secret}&path={secret}"},
                {"id": "url", "property": "href", "value": f"file://{secret}"},
            ],
            "changedPropIds": [json.dumps({"format": fmt, "type": "export"}, separators=(",", ":")) + ".n_clicks"],
        }
        status, body = client.post("/_dash-update-component", payload)
        assert status in (200, 204), (fmt, status, body[:300])
        if status == 204:
            continue
        text = body.decode()
        assert "root:x:0:0" not in text
        response = json.loads(text)["response"]
        download = response.get("download", {}).get("data")
        if fmt == "csv":
            name = download["filename"]
            assert name.startswith("claimboard-landscape-etc-passwd-") and name.endswith(f"-{NEW_RUN}.csv"), name
            assert "/" not in name and ".." not in name
        else:
            assert download is None or "filename" not in (download or {}) or "/" not in download["filename"]
            assert "unknown export format" in text


def test_no_route_serves_files_by_path(client):
    for path in ("/../../etc/passwd", "/assets/../../../../etc/passwd", "/_dash-component-suites/../../../etc/passwd",
                 "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        status, body = client.get(path)
        assert b"root:x:0:0" not in body, path
        assert status != 500, path


def test_serve_binds_loopback_by_default():
    from etl.cli import build_parser

    args = build_parser("serve").parse_args(["serve"])
    assert args.host == "127.0.0.1"


def test_complaints_about_a_hostile_link_are_short():
    from dashboard.filters import MAX_COMPLAINTS, Filters

    parsed = Filters.from_query("?q=" + "A" * 100_000 + "&" + "&".join(f"k{i}=1" for i in range(2000)))
    assert len(parsed.ignored) == MAX_COMPLAINTS + 1 and parsed.ignored[-1] == f"and {2001 - MAX_COMPLAINTS:,} more"
    assert all(len(message) < 300 for message in parsed.ignored)
    assert parsed.ignored[0] == "unknown parameter “k0”"


def test_client_events_of_any_shape_are_ignored_by_the_pure_helpers():
    from dashboard.callbacks import clicked, clicked_row, first_point

    for bogus in (None, "x", 1, [], {"points": None}, {"points": "x"}, {"points": [1]}, {"points": [[]]}):
        assert first_point(bogus) == {} and clicked(bogus) is None
    assert clicked({"points": [{"customdata": ["2401.00001", 3]}]}) == "2401.00001"
    assert clicked({"points": [{"customdata": {"a": 1}}]}) is None
    assert clicked_row({"rowIndex": 3, "colId": "title"}) == 3
    for cell in ({"rowIndex": -1}, {"rowIndex": True}, {"rowIndex": "0"}, [0], None, {"rowIndex": 2**40}):
        assert clicked_row(cell) is None


def test_a_100kb_value_is_quoted_back_clipped():
    from dashboard.filters import Filters

    (message,) = Filters.from_query("?q=" + "A" * 100_000).ignored
    assert "100,000 characters" in message and len(message) < 300


# ---------------------------------------------------------------- 15.5 / 15.12: body limit, odd inputs, headers


def raw_post(client, body: bytes, headers: dict | None = None) -> tuple[int, bytes, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(client.base + "/_dash-update-component", data=body,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)
    except (ConnectionError, OSError) as err:  # the server may close the socket after refusing the body
        return 413 if "413" in str(err) else -1, b"", {}


def test_a_20_mb_post_gets_413(client):
    from dashboard.app import MAX_REQUEST_BYTES

    status, body, _ = raw_post(client, b"[" + b"1," * (10 << 20) + b"1]")
    assert status == 413, (status, body[:200])
    assert MAX_REQUEST_BYTES == 1 << 20


def test_a_10_mb_compare_box_search_gets_413_and_a_large_one_a_bounded_answer(client):
    from support.dash_client import Callback

    (dep,) = [d for d in client.deps if d["output"].startswith("f-papers.options")]
    box = Callback.of(dep, client.ids)
    payload = box.payload({"f-papers.search_value": "x" * (10 << 20)}, ["f-papers.search_value"])
    status, _, _ = raw_post(client, json.dumps(payload).encode())
    assert status == 413
    payload = box.payload({"f-papers.search_value": "spec" + "x" * 900_000}, ["f-papers.search_value"])
    status, body, _ = raw_post(client, json.dumps(payload).encode())
    assert status == 200 and len(body) < 10_000


@pytest.mark.parametrize("search", [{"a": 1}, ["?metric=latency"], 12, True, "?" + "metric=latency&" * 40_000])
def test_a_url_search_that_is_not_text_or_too_long_is_explained_not_a_500(client, search):
    status, response = client.call("caption.children", {"url.search": search})
    assert status == 200
    assert "ignored" in text_of(response["response"]["notices"])
    for output in ("landscape-graph.figure", "..url.search...f-metric.value"):
        status, _ = client.call(output, {"url.search": search}, changed="url.search")
        assert status in (200, 204), (output, status)
    status, _ = client.call("claims-table.getRowsResponse", {"url.search": search, "claims-table.getRowsRequest": {"startRow": 0}})
    assert status == 200


def test_security_headers_on_pages_callbacks_and_assets(client):
    import urllib.request

    for path in ("/", "/_dash-layout", "/assets/claimboard.css", "/no-such-page"):
        try:
            reply = urllib.request.urlopen(client.base + path, timeout=30)
        except urllib.error.HTTPError as err:  # noqa: F821 (urllib.error is imported with urllib.request)
            reply = err
        headers = reply.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], "inline scripts only by hash"
    status, _, headers = raw_post(client, b"{}")
    assert headers.get("X-Content-Type-Options") == "nosniff"
