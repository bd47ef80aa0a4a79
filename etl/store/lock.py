"""One writer per store: ``<store>/refresh.lock``, created atomically (os.link of a written file).

The file says who holds it (pid, host, process start time, when). A second refresh or ETL on the
same store is refused with that holder in the message; a lock left by a process that is gone
(killed, crashed, the machine rebooted) is taken over. Only locks from this host can be judged:
a lock from another host is always refused, and the message says so.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = "refresh.lock"
#: a garbled lock file (not written by this version) older than this is treated as stale
EMPTY_LOCK_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class LockHolder:
    pid: int
    hostname: str
    started: str  # ISO time the lock was taken
    process_start: str | None  # /proc start time of the pid, so a reused pid is not mistaken for the holder
    token: str  # tells this lock apart from a later one by the same pid

    def describe(self) -> str:
        return f"pid {self.pid} on {self.hostname}, since {self.started}"


class LockHeld(RuntimeError):
    """Another live process holds the store's lock."""

    def __init__(self, path: Path, holder: LockHolder | None):
        self.path = path
        self.holder = holder
        who = holder.describe() if holder else "a process that is still writing the lock file"
        hint = "" if holder is None or holder.hostname == socket.gethostname() else (
            f"; it is on another host, so its liveness cannot be checked: delete {path} if that run is dead"
        )
        super().__init__(f"{path.parent} is locked by {who} ({path}){hint}")


def lock_path(store: Path) -> Path:
    return Path(store) / LOCK_NAME


@contextmanager
def store_lock(store: Path) -> Iterator[LockHolder]:
    """Hold the store's lock for the block; raises LockHeld when a live process has it."""
    path = lock_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = acquire(path)
    try:
        yield holder
    finally:
        release(path, holder)


def acquire(path: Path) -> LockHolder:
    mine = LockHolder(
        pid=os.getpid(),
        hostname=socket.gethostname(),
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        process_start=process_start(os.getpid()),
        token=secrets.token_hex(8),
    )
    # The holder is written to a private file first and hard-linked into place: os.link fails
    # when the lock exists, like O_EXCL, and the lock is never seen empty or half-written.
    draft = path.with_name(f".{path.name}.{mine.token}.draft")
    with open(draft, "w", encoding="utf-8") as fh:
        json.dump(asdict(mine), fh)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        while True:
            try:
                os.link(draft, path)
                return mine
            except FileExistsError:
                found, age = read_holder(path)
                if age is None:  # released meanwhile
                    continue
                if not is_stale(found, age):
                    raise LockHeld(path, found) from None
                take_over(path, found)
    finally:
        draft.unlink(missing_ok=True)


def release(path: Path, holder: LockHolder) -> None:
    """Remove the lock only if it is still ours."""
    found, _ = read_holder(path)
    if found is not None and found.token == holder.token:
        path.unlink(missing_ok=True)


def read_holder(path: Path) -> tuple[LockHolder | None, float | None]:
    """The holder named in the lock (None if empty or garbled) and the file's age in seconds
    (None if there is no lock file)."""
    try:
        age = time.time() - path.stat().st_mtime
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None, None
    try:
        return LockHolder(**json.loads(text)), age
    except (ValueError, TypeError):
        return None, age


def is_stale(holder: LockHolder | None, age: float) -> bool:
    if holder is None:
        return age > EMPTY_LOCK_GRACE_SECONDS
    if holder.hostname != socket.gethostname():
        return False
    return not is_alive(holder.pid, holder.process_start)


def take_over(path: Path, stale: LockHolder | None) -> None:
    """Move the stale lock aside; if another process replaced it meanwhile, put theirs back.

    The rename is atomic, so of several processes breaking the same stale lock one moves it and
    the others find nothing (or a fresh lock, which they restore) and retry the O_EXCL create.
    """
    aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}.stale")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    moved, _ = read_holder(aside)
    if moved != stale:
        try:
            os.link(aside, path)
        except FileExistsError:  # a third process locked meanwhile; theirs stands
            pass
    aside.unlink(missing_ok=True)


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux /proc), else None."""
    fields = _proc_stat(pid)
    return fields[19] if fields else None


def is_alive(pid: int, started: str | None) -> bool:
    """A running (not zombie) process with this pid, started when the lock's holder was."""
    if not Path("/proc/self/stat").exists():
        return _signalable(pid)
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != "Z" and (started is None or fields[19] == started)


def _proc_stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: state, ppid, ... (starttime is index 19)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _signalable(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True
