"""The Dash app. ``create_app(store)`` for tests and ``claimboard serve``; ``server`` for WSGI:

    CLAIMBOARD_STORE=data/store gunicorn -w 4 -b 127.0.0.1:8050 dashboard.app:server

Workers share nothing but the store's files: each keeps one read-only cached snapshot, loaded in
the background as the worker boots (or, under ``gunicorn --preload``, once in the master and
shared copy-on-write by the workers).

Responses are compressed (flask-compress) for clients that accept it: a landscape figure is
~1.4 MB of JSON and ~0.1 MB compressed, and a first page load fetches ~6.8 MB of JavaScript
(plotly.js alone is 4.8 MB). See ``COMPRESSION`` for the settings and why.
"""

from __future__ import annotations

import os
from pathlib import Path

from dash import Dash
from dash.exceptions import DependencyException
from dash.fingerprint import check_fingerprint
from flask import Flask, Request, Response, jsonify
from flask_compress import Compress
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard import abstracts, callbacks, layout, review, views
from dashboard.data import SnapshotCache
from etl.store import DEFAULT_STORE, StoreError


def assets_folder() -> Path:
    """Dash's static folder: ``dashboard/assets`` in an installed wheel (the repository's top-level
    assets/, packaged there as ``dashboard.assets``), else the top-level assets/ of a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "assets"
    return packaged if packaged.is_dir() else here.parent / "assets"


ASSETS = assets_folder()
BUNDLES = "/_dash-component-suites/"


def bundle_key(request: Request) -> str:
    """flask-compress's cache key: a JS bundle's package and file (the URL's version fingerprint
    stripped, so made-up fingerprints cannot grow the cache); "" for every other response."""
    _, found, rest = request.path.partition(BUNDLES)
    if not found:
        return ""
    package, _, fingerprinted = rest.partition("/")
    return f"{BUNDLES}{package}/{check_fingerprint(fingerprinted)[0]}"


class BundleCache:
    """Compressed JS bundles, per worker process. A bundle's bytes are fixed for the life of the
    process, so each is compressed once per encoding (plotly.js, 4.8 MB: ~0.1 s of CPU at br level 3)
    instead of on every page load. Nothing else is stored: flask-compress only consults the
    cache for a 2xx response, and Dash answers 2xx only for the files it registered, so the
    cache holds at most (registered files) x (encodings)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if BUNDLES in key:
            self._data[key] = value


# flask-compress settings (applied to the app's Flask server before the extension reads them).
# - zstd, then br, then gzip: a browser sends "gzip, deflate, br, zstd" (Chromium does over plain
#   http to 127.0.0.1 too) and gets zstd, the cheapest here: a 1.4 MB figure in ~1.5 ms of CPU at
#   level 3, and smaller than gzip at level 9 (~30 ms); Safari gets br; curl, scripts and older
#   clients get gzip. deflate is left out: every client that accepts it accepts gzip.
# - levels: each cheap enough that the largest callback response (~1.5 MB of figure JSON) costs
#   a few ms of CPU (bench/dashboard_bench.py prints the table for its largest response, and
#   replays the large responses in every encoding, interleaved, to show the latency added):
#   zstd 3 ~1.5 ms (flask-compress's default); br 3 ~4-7 ms, not the default 4, which took
#   6-23 ms for 10% smaller output; gzip 1 ~5-9 ms, not the default 6: replaying the heavy
#   1M-claim callbacks against a level-6 and a level-1 server, interleaved, level 6 added
#   ~15 ms to the median and up to 15 ms to the p95 of ~90 ms callbacks, level 1 4-10 ms to the
#   median and nothing measurable to the p95, for output ~35% larger than level 6's (~11x
#   smaller than none). JS bundles get the same levels, but once per worker and encoding (BundleCache).
# - responses under COMPRESS_MIN_SIZE (500) bytes go out as they are: they fit in one packet.
# The dashboard has no secrets, cookies or tokens in its responses, so compressing responses
# that echo the URL's filter back gives a BREACH-style attack nothing to recover.
COMPRESSION = {
    "COMPRESS_ALGORITHM": ["zstd", "br", "gzip"],
    "COMPRESS_ZSTD_LEVEL": 3,
    "COMPRESS_BR_LEVEL": 3,
    "COMPRESS_LEVEL": 1,
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_CACHE_KEY": bundle_key,
    "COMPRESS_CACHE_BACKEND": BundleCache,
}


MAX_REQUEST_BYTES = 1 << 20  # a callback request is a few KB; 1 MB bounds what a client can make us parse
SERVER_NAME = "ClaimBoard"  # the Server header: no framework or Python version


def content_security_policy(app: Dash) -> str:
    """A CSP the dashboard works under: scripts only from this origin plus Dash's own inline
    renderer script (by hash); plotly.js's WebGL traces compile shaders with ``new Function``
    (regl), hence 'unsafe-eval'; React and Plotly set inline styles, hence style 'unsafe-inline';
    no frames, no plugins, forms and connections to this origin only."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval' " + " ".join(app.csp_hashes()),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def harden(app: Dash) -> None:
    """Request body limit (413), security headers on every response, no version in Server."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    policy: list[str] = []

    @server.after_request
    def _headers(response: Response) -> Response:
        if not policy:  # hashes once every callback (and so every inline script) is registered
            policy.append(content_security_policy(app))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = policy[0]
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Server"] = SERVER_NAME
        return response

    def too_large(_err) -> tuple[Response, int]:
        return jsonify(error=f"request too large: at most {MAX_REQUEST_BYTES // 1024} KB"), 413

    server.register_error_handler(RequestEntityTooLarge, too_large)


def create_app(store: Path | str = DEFAULT_STORE, *, preload: bool = False,
               review_mode: review.ReviewConfig | None = None) -> Dash:
    """The app on ``store``; ``preload`` starts loading the current snapshot in the background
    now instead of on the first request; ``review_mode`` turns on review mode (off by default:
    no review UI, and the review callbacks refuse)."""
    review_mode = review_mode or review.ReviewConfig()
    cache = SnapshotCache(Path(store), warm=views.warm)
    server = Flask(__name__)
    server.config.update(COMPRESSION)
    # flask-compress directly rather than Dash(compress=True): Dash 4.4's switch also sets
    # COMPRESS_ALGORITHM to ["gzip"], but after the extension has read it, so the config would
    # name gzip while flask-compress's own defaults (zstd first, br at level 4) were in force
    server.extensions["compress"] = Compress(server)
    app = Dash(
        __name__,
        server=server,
        title="ClaimBoard",
        assets_folder=str(ASSETS),
        update_title=None,
        serve_locally=True,
    )

    def serve_layout():
        """Built per page load, so dropdown options follow the current snapshot."""
        try:
            board = cache.get()
        except StoreError:
            board = None  # the header and caption callbacks explain the problem
        return layout.page(board, review=review_mode.enabled)

    app.layout = serve_layout

    @server.after_request
    def _trim(response: Response) -> Response:
        """A worker whose RSS a request left over budget drops its mapping of the long texts,
        once the response is sent (unmapping takes a while)."""
        response.call_on_close(cache.trim)
        return response

    # a request for a component-suite file Dash does not know (e.g. "/_dash-component-suites/../x")
    # is a 404, not a 500
    app.server.register_error_handler(DependencyException, lambda err: ("Not found", 404))
    review.guard(app, review_mode)  # first: access is decided before anything else runs
    callbacks.register(app, cache, review=review_mode.enabled)
    abstracts.register(app, cache)
    if review_mode.enabled:
        review.register(app, cache, review_mode)
    harden(app)
    if preload:
        cache.preload()
    return app


# a WSGI server given a store (CLAIMBOARD_STORE) starts loading it as the worker boots
server = create_app(os.environ.get("CLAIMBOARD_STORE", DEFAULT_STORE), preload="CLAIMBOARD_STORE" in os.environ).server
