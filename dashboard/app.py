"""The Dash app. ``create_app(store)`` for tests and ``claimboard serve``; ``server`` for WSGI:

    CLAIMBOARD_STORE=data/store gunicorn -w 4 -b 127.0.0.1:8050 dashboard.app:server

Workers share nothing but the store's files: each keeps one read-only cached snapshot.
"""

from __future__ import annotations

import os
from pathlib import Path

from dash import Dash
from dash.exceptions import DependencyException

from dashboard import callbacks, layout
from dashboard.data import SnapshotCache
from etl.store import DEFAULT_STORE, StoreError

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(store: Path | str = DEFAULT_STORE) -> Dash:
    cache = SnapshotCache(Path(store))
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
    return app


server = create_app(os.environ.get("CLAIMBOARD_STORE", DEFAULT_STORE)).server
