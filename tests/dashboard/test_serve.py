"""`claimboard serve` on a production WSGI server (waitress): it starts, answers on loopback with
the hardened headers and no framework version, and keeps --refresh-every working."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

import pytest

from support.servers import ROOT, serving


def start(store, *extra: str) -> list[str]:
    return [sys.executable, "-c", "from etl.cli import main; raise SystemExit(main())", "serve", "--store", str(store),
            "--port", "0", *extra]


def wait_for_url(process: subprocess.Popen, timeout: float = 60) -> tuple[str, list[str]]:
    lines: list[str] = []
    end = time.time() + timeout
    while time.time() < end:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line)
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return found.group(0), lines
    raise AssertionError(f"serve did not start: {lines}")


@pytest.mark.parametrize("extra", [(), ("--refresh-every", "6h")], ids=["plain", "refresh-every"])
def test_serve_runs_on_waitress_and_answers_on_loopback(handmade_store, extra):
    command = start(handmade_store, *extra)
    with serving(command, handmade_store, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        url, lines = wait_for_url(process)
        with urllib.request.urlopen(url, timeout=30) as reply:
            assert reply.status == 200
            headers = reply.headers
            page = reply.read().decode()
        assert "_dash-renderer" in page
        assert headers["Server"] == "ClaimBoard"  # no Werkzeug/x.y Python/x.y
        assert headers["X-Content-Type-Options"] == "nosniff" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        with urllib.request.urlopen(url + "_dash-layout", timeout=30) as reply:
            assert reply.status == 200
        output = "".join(lines)
        assert "waitress" in output and "development server" not in output.lower()
        if extra:
            assert "refreshing" in output and "every 6h" in output
    assert ROOT.is_dir()
