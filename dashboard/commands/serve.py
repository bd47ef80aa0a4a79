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
  claimboard serve --review                 # review mode: accept / reject / edit claims (loopback clients only)
  claimboard serve --host 0.0.0.0 --review-token "$(openssl rand -hex 16)"   # shared: open /?token=TOKEN once
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
    parser.add_argument(
        "--review", action="store_true",
        help="review mode: accept, reject or edit claims from the claims table (appends to the corrections file); "
        "loopback clients only unless --review-token is given",
    )
    parser.add_argument(
        "--review-token", metavar="TOKEN",
        help="review mode for a shared server (implies --review): every request must carry TOKEN "
        "(header X-Review-Token, or open /?token=TOKEN once to set a cookie); others get 403",
    )
    parser.add_argument("--corrections", type=Path, metavar="JSONL",
                        help="with --review: the corrections file (default: <store>/corrections.jsonl)")
    parser.epilog = EXAMPLES


def run(args: argparse.Namespace) -> int:
    from dashboard.app import create_app  # imports Dash: only when serving
    from dashboard.review import ReviewConfig

    token = getattr(args, "review_token", None)
    if token is not None and len(token) < 16:
        print("error: --review-token must be at least 16 characters", file=sys.stderr)
        return 2
    review = ReviewConfig(enabled=bool(getattr(args, "review", False) or token), token=token,
                          corrections=getattr(args, "corrections", None))
    app = create_app(args.store, preload=True, review_mode=review)
    if review.enabled:
        print(f"review mode on: decisions go to {review.path(Path(args.store))}; "
              + ("requests need the review token" if token else "loopback clients only"), flush=True)
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
