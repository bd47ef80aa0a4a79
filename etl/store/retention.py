"""Bounded growth of the store's run history: ``runs.jsonl`` is rotated once it passes a size.

Rotation keeps the newest ``tail`` runs in ``runs.jsonl`` (so ``claimboard runs`` and the dashboard's
history still show recent runs), moves the older lines to ``runs.1.jsonl`` (shifting earlier
archives to ``runs.2.jsonl`` ...) and deletes archives beyond ``archives``. Each file is replaced
atomically; call it under the store lock, after a run is recorded.
"""

from __future__ import annotations

import os
from pathlib import Path

from etl.store.atomic import atomic_write_bytes

RUNS_LOG = "runs.jsonl"  # as etl.store.RUNS_LOG
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TAIL = 200
DEFAULT_ARCHIVES = 3


def rotate_run_log(
    store: Path, max_bytes: int = DEFAULT_MAX_BYTES, tail: int = DEFAULT_TAIL, archives: int = DEFAULT_ARCHIVES
) -> bool:
    """Rotate ``<store>/runs.jsonl`` if it is larger than ``max_bytes``; True if it was rotated."""
    log = Path(store) / RUNS_LOG
    try:
        if log.stat().st_size <= max_bytes:
            return False
    except FileNotFoundError:
        return False
    lines = log.read_bytes().splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        lines.pop()  # a torn last line (a run killed mid-write): read_runs skips it too
    keep = lines[-tail:] if tail > 0 else []
    older = lines[: len(lines) - len(keep)]
    if archives > 0 and older:
        oldest = _archive(store, archives)
        if oldest.exists():
            oldest.unlink()
        for number in range(archives - 1, 0, -1):
            if _archive(store, number).exists():
                os.replace(_archive(store, number), _archive(store, number + 1))
        atomic_write_bytes(_archive(store, 1), b"".join(older))
    atomic_write_bytes(log, b"".join(keep))
    return True


def _archive(store: Path, number: int) -> Path:
    return Path(store) / f"runs.{number}.jsonl"

