"""`claimboard serve`: the dashboard on the current snapshot, on waitress (a production WSGI
server, pure Python, so it runs wherever ClaimBoard does) with several threads. For several
processes behind a reverse proxy, run gunicorn on ``dashboard.app:server`` instead."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl.commands.flags import add_store_flag

EXAMPLES = """\
examples:
  claimboard serve                          # http://127.0.0.1:8050/ on data/store
  claimboard serve --port 8080 --store /srv/claimboard/store
  claimboard serve --port 0                 # any free port (printed)
  claimboard serve --refresh-every 6h --config claimboard.toml   # keep the data current in-process
  CLAIMBOARD_STORE=data/store gunicorn -w 4 -b 0.0.0.0:8050 dashboard.app:server
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8050, help="port (default: 8050; 0: any free port)")
    parser.add_argument("--threads", type=int, default=8, help="request threads (default: 8)")
    add_store_flag(parser)
    parser.add_argument(
        "--refresh-every", metavar="INTERVAL",
        help='also refresh the store in the background, e.g. "6h" or "30m" (see `claimboard refresh`)',
    )
    parser.add_argument(
        "--config", type=Path, metavar="TOML",
        help="with --refresh-every: the claimboard.toml whose sources to refresh "
        "(default: the sources the current snapshot was built from)",
    )
    parser.epilog = EXAMPLES


def run(args: argparse.Namespace) -> int:
    from dashboard.app import create_app  # imports Dash: only when serving

    app = create_app(args.store, preload=True)
    scheduler = None
    if args.refresh_every:
        from etl.refresh import load_config
        from etl.refresh import start_background_refresh

        scheduler = start_background_refresh(load_config(args.config) if args.config else args.store, args.refresh_every)
        print(f"refreshing {args.store} every {args.refresh_every} in the background", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}, not loopback: put a reverse proxy with TLS in front of it",
              file=sys.stderr, flush=True)
    from waitress import create_server

    from dashboard.app import MAX_REQUEST_BYTES, SERVER_NAME

    server = create_server(app.server, host=args.host, port=args.port, threads=max(1, args.threads), ident=SERVER_NAME,
                           max_request_body_size=MAX_REQUEST_BYTES, clear_untrusted_proxy_headers=True)
    port = getattr(server, "effective_port", args.port)
    print(f"ClaimBoard on http://{args.host}:{port}/  (store: {args.store}; waitress, {args.threads} threads; "
          "Ctrl+C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0
