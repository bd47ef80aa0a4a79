"""The Dash app. ``create_app(store)`` for tests and ``claimboard serve``; ``server`` for WSGI:

    CLAIMBOARD_STORE=data/store gunicorn -w 4 -b 127.0.0.1:8050 dashboard.app:server

Workers share nothing but the store's files: each keeps one read-only cached snapshot, loaded in
the background as the worker boots (or, under ``gunicorn --preload``, once in the master and
shared copy-on-write by the workers).
"""

from __future__ import annotations

import os
from pathlib import Path

from dash import Dash
from dash.exceptions import DependencyException

from dashboard import callbacks, layout, views
from dashboard.data import SnapshotCache
from etl.store import DEFAULT_STORE, StoreError

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(store: Path | str = DEFAULT_STORE, *, preload: bool = False) -> Dash:
    """The app on ``store``; ``preload`` starts loading the current snapshot in the background
    now instead of on the first request."""
    cache = SnapshotCache(Path(store), warm=views.warm)
    app = Dash(
        __name__,
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
        return layout.page(board)

    app.layout = serve_layout
    # a request for a component-suite file Dash does not know (e.g. "/_dash-component-suites/../x")
    # is a 404, not a 500
    app.server.register_error_handler(DependencyException, lambda err: ("Not found", 404))
    callbacks.register(app, cache)
    if preload:
        cache.preload()
    return app


# a WSGI server given a store (CLAIMBOARD_STORE) starts loading it as the worker boots
server = create_app(os.environ.get("CLAIMBOARD_STORE", DEFAULT_STORE), preload="CLAIMBOARD_STORE" in os.environ).server
