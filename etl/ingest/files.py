"""Bytes to text: a file cut into line- or record-aligned chunks, each decoded to UTF-8 by the
first ``[decoding] encodings`` entry that fits the whole file, hashed as it is read; and a chunk
as a block of lines that the listing and JSONL readers turn into one Polars column."""

from __future__ import annotations

import codecs
import fcntl
import hashlib
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa

from etl.ingest.rules import RULES

UTF8_BOM = b"\xef\xbb\xbf"
T = TypeVar("T")


class NotRegularFile(OSError):
    """A FIFO, device, socket or directory where a file was expected: never read (a FIFO blocks
    forever, /dev/zero never ends)."""


class SourceChanged(Exception):
    """The file changed while it was being read, on the retry too."""


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a file"


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is (or a symlink leads to) a regular file; NotRegularFile
    otherwise. Opened non-blocking first, so a FIFO with no writer is refused instead of waiting."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"not a regular file ({_kind(mode)}); refused, only regular files are read")
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _state(handle: BinaryIO) -> tuple[int, int, int, int, int]:
    st = os.fstat(handle.fileno())
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def read_stable(path: Path, read_once: Callable[[BinaryIO], T], retries: int = 1) -> T:
    """``read_once(handle)`` on the regular file at ``path``, checked against a concurrent rewrite:
    the file's size, mtime and ctime (fstat of the open file) must be the same after the read as
    before, else it is read again, up to ``retries`` times, then SourceChanged. A file replaced by
    rename while open is not torn (the handle keeps the old file whole), so only the open file counts.
    Limit: a rewrite of the same size within one file-system timestamp tick (a few ms) goes unseen."""
    for attempt in range(retries + 1):
        with open_regular(path) as handle:
            before = _state(handle)
            result = read_once(handle)
            after = _state(handle)
        if before == after:
            return result
    changes = [
        f"{name} {old} -> {new}"
        for name, old, new in zip(("size", "mtime_ns", "ctime_ns"), before[2:], after[2:])
        if old != new
    ]
    raise SourceChanged(
        f"changed while it was being read ({', '.join(changes)}), on {retries + 1} reads; skipped this run"
        " - write sources to a temporary name and rename them into place"
    )


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: the first of ``[decoding] encodings`` that fits.

    UTF-8 is expected (a BOM is dropped); a file that is not UTF-8 is most likely Windows-1252
    (copied from a browser on Windows), and latin-1, the last resort, maps every byte, so
    a text file always decodes. The encoding used is recorded with the input, not guessed silently.
    ``read_source`` applies the same rule chunk by chunk (``as_utf8``).
    """
    *preferred, last_resort = RULES.encodings
    for encoding in preferred:
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError:
            continue
    return data.decode(last_resort, errors="replace").removeprefix("\ufeff"), last_resort


def cut_lines(buffer: bytes) -> int:
    """Where the complete lines in ``buffer`` end (0: none yet). A \\r is only a line end when the
    next byte is known not to be \\n."""
    end = buffer.rfind(b"\n") + 1
    if end:
        return end
    return buffer.rfind(b"\r", 0, len(buffer) - 1) + 1


def cut_records(buffer: bytes) -> int:
    """Where the complete CSV records in ``buffer`` end: after a \\n outside double quotes."""
    end = buffer.rfind(b"\n")
    if end < 0:
        return 0
    quotes = buffer.count(b'"', 0, end)
    while quotes % 2:
        previous = buffer.rfind(b"\n", 0, end)
        if previous < 0:
            return 0
        quotes -= buffer.count(b'"', previous, end)
        end = previous
    return end + 1


def read_chunks(
    handle: BinaryIO, size: int, cut: Callable[[bytes], int], on_read: Callable[[bytes], None] | None
) -> Iterator[tuple[bytes, bool]]:
    """The file as consecutive (piece, is_last) of about ``size`` bytes, each ending where ``cut``
    says (the last: at the end of the file). A line longer than ``size`` makes its piece longer.
    One read ahead tells the last piece, so a reader need not hold its end back for more."""
    def read() -> bytes:
        data = handle.read(size)
        if on_read is not None and data:
            on_read(data)  # every byte read is seen once, even if the reader stops early
        return data

    pending = b""
    data = read()
    while data:
        following = read()
        buffer = pending + data if pending else data
        if not following:
            yield buffer, True
            return
        end = cut(buffer)
        if end:
            yield buffer[:end], False
            pending = buffer[end:]
        else:
            pending = buffer
        data = following


def valid_utf8(data: bytes) -> bool:
    """``data.decode("utf-8")`` would succeed (Arrow's validator: same rules, no str built)."""
    if data.isascii():
        return True
    offsets = np.array([0, len(data)], np.int64)
    array = pa.LargeStringArray.from_buffers(1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def as_utf8(data: bytes, encoding: str, last_resort: bool) -> bytes | None:
    """A chunk decoded with ``encoding`` as UTF-8 bytes, or None if it does not decode (never for
    the last resort, which replaces what it cannot map, as ``decode`` does)."""
    if codecs.lookup(encoding).name == "utf-8":
        return data if valid_utf8(data) else None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        if not last_resort:
            return None
        text = data.decode(encoding, errors="replace")
    return text.encode("utf-8")


class BinaryFile(Exception):
    """The file holds a NUL byte."""


class Undecodable(Exception):
    """A chunk does not decode with the encoding being tried."""


class Digest:
    """sha256 of a file fed chunk by chunk, hashed on a worker thread (hashlib lets go of the GIL
    for big buffers, so hashing overlaps parsing); a NUL byte raises BinaryFile after hashing."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.pool: ThreadPoolExecutor | None = None
        self.pending: deque[Future] = deque()
        self.size = 0

    def update(self, data: bytes) -> None:
        self.size += len(data)
        if len(data) < 1 << 20 and not self.pending:
            self.sha.update(data)
        else:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-sha256")
            self.pending.append(self.pool.submit(self.sha.update, data))
            while len(self.pending) > 2:
                self.pending.popleft().result()
        if b"\x00" in data:
            raise BinaryFile

    def hexdigest(self) -> str:
        self.close()
        return self.sha.hexdigest()

    def close(self) -> None:
        while self.pending:
            self.pending.popleft().result()
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


def split_lines(text: str) -> list[str]:
    """Split on \\n, \\r\\n and \\r only (str.splitlines also splits on \\x1c, U+2028, ... inside text)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


@dataclass
class LineBlock:
    """One chunk of a file as UTF-8 bytes with \\r\\n and \\r made \\n, cut into lines."""

    data: bytes
    offsets: np.ndarray  # line i is data[offsets[i]:offsets[i + 1]], its "\n" included
    controls: np.ndarray  # positions of control bytes other than "\n"
    newlines: int

    @classmethod
    def of(cls, data: bytes) -> LineBlock:
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        array = np.frombuffer(data, np.uint8)
        low = np.flatnonzero(array < 0x20)
        newline = array[low] == 0x0A
        ends = low[newline] + 1
        newlines = len(ends)
        if data and data[-1] != 0x0A:
            ends = np.append(ends, len(data))
        offsets = np.zeros(len(ends) + 1, np.int64)
        offsets[1:] = ends
        return cls(data, offsets, low[~newline], newlines)

    @property
    def count(self) -> int:
        return len(self.offsets) - 1

    def series(self) -> pl.Series:
        """Every line (with its "\\n") as a Polars string column, without copying line by line."""
        array = pa.LargeStringArray.from_buffers(self.count, pa.py_buffer(self.offsets), pa.py_buffer(self.data))
        return pl.Series("line", pl.from_arrow(array))

    def text(self, index: int) -> str:
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        if end > start and self.data[end - 1] == 0x0A:
            end -= 1
        return self.data[start:end].decode("utf-8")

    def gather(self, rows: np.ndarray) -> bytes:
        """The bytes of these lines (ascending), runs of neighbours copied at once."""
        if len(rows) == 0:
            return b""
        breaks = np.flatnonzero(np.diff(rows) != 1)
        firsts = np.concatenate(([rows[0]], rows[breaks + 1]))
        lasts = np.concatenate((rows[breaks], [rows[-1]]))
        parts = [self.data[self.offsets[a] : self.offsets[b + 1]] for a, b in zip(firsts.tolist(), lasts.tolist())]
        return b"".join(parts)
