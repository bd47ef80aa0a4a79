"""The dashboard served on 127.0.0.1 (gunicorn in a child process): for the tests, the dashboard
benchmark and the load test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(port: int, workers: int, timeout: int = 120) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout",
            str(timeout), "--log-level", "warning", "dashboard.app:server"]


@contextmanager
def serving(command: Sequence[str], store: Path, **popen) -> Iterator[subprocess.Popen]:
    """Run a dashboard server on ``store``; stopped (SIGTERM, then SIGKILL after 30 s) on exit."""
    env = os.environ | {"CLAIMBOARD_STORE": str(store), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(list(command), cwd=ROOT, env=env, **popen)
    try:
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
