"""Atomic file writes, one rule for the whole project.

Write a hidden temporary sibling, fsync it, ``os.replace`` it over the target, fsync the
directory. A reader sees the old file or the new one, whole, and after a crash the rename is
either on disk or not: never a renamed but empty file.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path


def temp_sibling(path: Path, suffix: str = "tmp") -> Path:
    """A hidden name beside ``path`` that no other writer picks and no listing shows."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.{suffix}")


def fsync_path(path: Path) -> None:
    """fsync a file or a directory by path (a directory fsync makes renames in it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` a temporary sibling, then put it in place of ``path`` (see the module doc)."""
    path = Path(path)
    tmp = temp_sibling(path)
    try:
        write(tmp)
        fsync_path(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_path(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """``data`` as the whole new content of ``path`` (see the module doc). A symlink at ``path``
    is replaced by the file, never written through."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_json(path: Path, payload: dict) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8"))


def atomic_replace_dir(tmp: Path, final: Path) -> None:
    """Put the finished directory ``tmp`` in place of ``final``: its files fsynced, one rename."""
    for child in tmp.iterdir():
        fsync_path(child)
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    fsync_path(final.parent)
