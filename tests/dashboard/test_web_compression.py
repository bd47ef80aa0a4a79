"""Response compression on the real server: large callback responses and the page's JavaScript
go out compressed to a client that accepts it, decode to exactly what an uncompressed request
gets, and a client that asks for no encoding gets none.

The app runs in a thread on 127.0.0.1 (werkzeug, as `claimboard serve` does) on a 6,000-claim
store, so the landscape figure is a sampled 4,000-point chart of a few hundred KB; one test runs
it under gunicorn as a deployment does (``dashboard.app:server``).
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import threading
import time

import pytest
from flask import request
from werkzeug.serving import make_server

from dashboard.app import BUNDLES, COMPRESSION, bundle_key, create_app
from support.dash_client import Client, decode
from support.servers import free_port, gunicorn_command, serving

LANDSCAPE = "landscape-graph.figure"
CHROMIUM = "gzip, deflate, br, zstd"  # what Chromium sends, over plain http to 127.0.0.1 too


class Reply:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.wire = response.read()
        self.encoding = response.getheader("Content-Encoding")

    def decoded(self) -> bytes:
        return decode(self.wire, self.encoding)


def fetch(port: int, method: str, path: str, payload: dict | None = None, accept_encoding: str | None = None) -> Reply:
    """One request with exactly the Accept-Encoding given (None: no such header at all; urllib
    would send "identity" on its own)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        body = json.dumps(payload).encode() if payload is not None else None
        if accept_encoding is not None:
            conn.putheader("Accept-Encoding", accept_encoding)
        if body is not None:
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        return Reply(conn.getresponse())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(big_store):
    """(port, app, client) of the dashboard on the 6,000-claim store, served on loopback."""
    app = create_app(big_store)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, app, Client(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(5)


def landscape(served, accept_encoding: str | None) -> Reply:
    port, _, client = served
    reply = fetch(port, "POST", "/_dash-update-component", client.payload(LANDSCAPE, {"url.search": ""}), accept_encoding)
    assert reply.status == 200
    return reply


@pytest.mark.parametrize("accept_encoding, chosen", [
    ("gzip", "gzip"), ("br", "br"), ("gzip, br", "br"), (CHROMIUM, "zstd"), ("identity;q=0.5, gzip", "gzip"),
])
def test_a_large_callback_response_is_compressed_when_the_client_accepts_it(served, accept_encoding, chosen):
    plain = landscape(served, None)
    assert plain.encoding is None
    assert len(plain.wire) > 200_000, "the landscape figure of 4,000 sampled points is the large response"

    packed = landscape(served, accept_encoding)
    assert packed.encoding == chosen
    assert int(packed.headers["Content-Length"]) == len(packed.wire) < len(plain.wire) / 5
    assert "accept-encoding" in packed.headers["Vary"].lower()  # a cache in between keeps the two apart
    assert packed.headers.get_content_type() == "application/json"
    assert json.loads(packed.decoded()) == json.loads(plain.wire)


# (not "gzip;q=0": flask-compress 1.25 picks gzip for it, the one encoding named, though q=0
# means "not acceptable"; no client sends that alone)
@pytest.mark.parametrize("accept_encoding", [None, "", "identity", "compress"])
def test_a_client_that_accepts_no_encoding_gets_identity(served, accept_encoding):
    reply = landscape(served, accept_encoding)
    assert reply.encoding is None
    assert int(reply.headers["Content-Length"]) == len(reply.wire)
    assert json.loads(reply.wire)["response"]["landscape-graph"]["figure"]["data"]


def test_a_small_response_goes_out_as_it_is(served):
    port, _, client = served
    reply = fetch(port, "POST", "/_dash-update-component", client.payload("caption.children", {"url.search": ""}), "gzip")
    assert reply.status == 200 and len(reply.wire) < COMPRESSION["COMPRESS_MIN_SIZE"]
    assert reply.encoding is None


def page_scripts(port: int) -> list[str]:
    page = fetch(port, "GET", "/", accept_encoding="gzip")
    assert page.status == 200 and page.encoding == "gzip"  # the page itself too
    return re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', page.decoded().decode())


def test_the_page_javascript_is_compressed_and_compressed_once_per_encoding(served):
    port, app, _ = served
    scripts = page_scripts(port)
    assert len(scripts) >= 5
    for path in scripts + ["/_dash-component-suites/plotly/package_data/plotly.min.js"]:
        plain = fetch(port, "GET", path)
        assert plain.status == 200 and plain.encoding is None
        for accept_encoding in ("gzip", "br", CHROMIUM):
            first, again = (fetch(port, "GET", path, accept_encoding=accept_encoding) for _ in range(2))
            assert first.encoding == again.encoding and first.encoding in ("gzip", "br", "zstd")
            assert first.decoded() == again.decoded() == plain.wire, path
            assert first.wire == again.wire  # the second one from the cache
    cached = app.server.extensions["compress"].cache._data
    assert len(cached) == 3 * (len(scripts) + 1)
    assert all(BUNDLES in key for key in cached)


def test_made_up_fingerprints_do_not_grow_the_bundle_cache(served):
    port, app, _ = served
    react = next(path for path in page_scripts(port) if "/react@" in path)
    cache = app.server.extensions["compress"].cache._data
    before = len(cache)
    for version in ("v1_0_0m1", "v9_9_9m123456", "v0_0_1m7"):
        forged = re.sub(r"\.v[0-9a-z_]+m[0-9]+", f".{version}", react)
        assert forged != react
        reply = fetch(port, "GET", forged, accept_encoding="gzip")
        assert reply.status == 200 and reply.encoding == "gzip"
    assert len(cache) <= before + 1  # react in gzip, if no test before put it there


def test_bundle_key_strips_the_fingerprint_and_ignores_other_paths(served):
    _, app, _ = served
    with app.server.test_request_context("/_dash-component-suites/dash/deps/react@18.v4_4_1m1795425497.3.1.min.js"):
        assert bundle_key(request) == "/_dash-component-suites/dash/deps/react@18.3.1.min.js"
    for path in ("/_dash-update-component", "/_dash-layout", "/", "/assets/claimboard.css"):
        with app.server.test_request_context(path):
            assert bundle_key(request) == ""


# ---------------------------------------------------------------- under gunicorn, as deployed


def test_gunicorn_serves_compressed_callbacks(big_store):
    """``gunicorn dashboard.app:server``, the README's deployment: the module-level server
    compresses as the test server does."""
    port = free_port()
    with serving(gunicorn_command(port, 1), big_store, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as server:
        client = None
        deadline = time.monotonic() + 60
        while client is None and time.monotonic() < deadline and server.poll() is None:
            try:
                client = Client(f"http://127.0.0.1:{port}")
            except OSError:
                time.sleep(0.1)
        assert client, f"gunicorn did not answer (exit code {server.poll()})"
        payload = client.payload(LANDSCAPE, {"url.search": ""})
        plain = fetch(port, "POST", "/_dash-update-component", payload)
        packed = fetch(port, "POST", "/_dash-update-component", payload, "gzip")
        assert plain.status == packed.status == 200
        assert (plain.encoding, packed.encoding) == (None, "gzip")
        assert len(packed.wire) < len(plain.wire) / 5
        assert json.loads(packed.decoded()) == json.loads(plain.wire)
