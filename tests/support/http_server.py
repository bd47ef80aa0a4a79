"""A scripted HTTP server on 127.0.0.1 for the fetcher tests, and what they share: the recorded
public response formats (tests/http_fixtures), fetch settings with short timeouts, and sources
pointing at the server. The ``server`` fixture (one server per test, shut down after it) is in
tests/conftest.py; test modules import the rest from here as ``support.http_server``.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from etl.refresh.config import ArxivSource, FetchSettings, HFDailySource

FIXTURES = Path(__file__).resolve().parents[1] / "http_fixtures"
HF_DAY = (FIXTURES / "hf_daily_papers.json").read_bytes()
ARXIV_FEED = (FIXTURES / "arxiv_query_cs_dc.xml").read_bytes()
TODAY = date(2026, 11, 23)
HF_IDS = ["2611.10234", "2611.09988", "2611.09501"]
ARXIV_IDS = ["2611.09876", "2611.08765", "2611.07654"]

SETTINGS = FetchSettings(
    user_agent="claimboard-tests/0.1 (mailto:tests@example.org)",
    timeout=0.3,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    max_retry_after=2,
    request_interval=0,
    max_requests=20,
    max_items=100,
)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (to outlast the client's timeout)
    declared_length: int | None = None  # a Content-Length larger than the body: the connection breaks


class ScriptedServer:
    """Routes match a substring of the request path + query; each route plays its replies in
    order and repeats the last one. Every request is logged with its User-Agent."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.log: list[tuple[str, str]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.handle_error = lambda request, address: None  # a client that gave up is expected
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, route: str, *replies: Reply) -> None:
        self.routes[route] = list(replies)

    def requests_to(self, route: str) -> int:
        return sum(route in path for path, _ in self.log)

    def shutdown(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next_reply(self, path: str) -> Reply:
        route = next((r for r in self.routes if r in path), None)
        if route is None:
            return Reply(404, b'{"error":"no such route"}')
        queue = self.routes[route]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.log.append((self.path, self.headers.get("User-Agent", "")))
                reply = server._next_reply(self.path)
                time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(reply.declared_length or len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                if reply.declared_length:
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        return Handler


def hf_source(server: ScriptedServer, days_back: int = 0) -> HFDailySource:
    return HFDailySource(name="hf-daily", days_back=days_back, base_url=f"{server.url}/api/daily_papers")


def arxiv_source(server: ScriptedServer, page_size: int = 100) -> ArxivSource:
    return ArxivSource(name="arxiv-dc", search_query="cat:cs.DC AND abs:throughput", page_size=page_size,
                       base_url=f"{server.url}/api/query")


def atom_page(keep: slice, total: int) -> bytes:
    """The fixture feed with only the entries in ``keep`` and the given opensearch total."""
    head, *entries = re.split(rb"(?=  <entry>)", ARXIV_FEED)
    entries[-1] = entries[-1].replace(b"</feed>", b"")
    head = re.sub(rb"(<opensearch:totalResults[^>]*>)\d+", rb"\g<1>" + str(total).encode(), head)
    return head + b"".join(entries[keep]) + b"</feed>\n"
