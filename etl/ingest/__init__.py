"""Ingest: paper listing pages, JSONL and CSV files -> one deduplicated papers frame + quarantine.

Each reader turns text into *entries* (title, abstract, metadata, line number). Entries without a
usable title or abstract go to quarantine with a plain-English reason; the rest become *records*
(one per entry, papers schema). ``merge_duplicates`` folds records of the same paper into one row.
What counts as noise, metadata, an abstract or a duplicate lives in ``rules/ingest.toml``.
Only ``read_source`` and ``ingest`` touch the file system.

This package's entry point is here (``ingest``, ``read_source``); each step is a submodule:

- ``rules``: the TOML parsed (``RULES``), the frame schemas.
- ``files``: bytes -> UTF-8 chunks cut at line (CSV: record) ends, encodings, the file hash.
- ``listing``, ``jsonl``, ``csv``: one format each, text -> entries.
- ``records``: entries -> records + quarantine; paper ids and content hashes.
- ``dedup``: records -> one row per paper.

Two implementations read each format, with one meaning:

- ``parse_listing`` / ``parse_jsonl`` / ``parse_csv`` (``READERS``) take a whole decoded text and
  work line by line in Python. They are the reference: short, and what the tests pin down.
- ``read_source`` streams a file in line-aligned chunks (``[reading] chunk_mib``) and parses each
  chunk with whole-column Polars work (``READER_CLASSES``). Memory stays about one chunk plus the
  records kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl

from etl.ingest.csv import CsvReader, parse_csv
from etl.ingest.dedup import merge_duplicates
from etl.ingest.files import (
    UTF8_BOM, BinaryFile, Digest, NotRegularFile, SourceChanged, Undecodable, as_utf8, cut_lines, cut_records, read_chunks,
    read_stable,
)
from etl.ingest.jsonl import JsonlReader, parse_jsonl
from etl.ingest.listing import ListingReader, parse_listing
from etl.ingest.records import quarantine_frame, split_valid
from etl.ingest.rules import ENTRY_SCHEMA, PAPER_SCHEMA, RULES


@dataclass(frozen=True)
class SourceRead:
    """One file's outcome. ``error`` set means the file gave nothing (records/quarantine empty)."""

    path: Path
    records: pl.DataFrame
    quarantine: pl.DataFrame
    error: str | None = None
    format: str | None = None
    sha256: str | None = None
    encoding: str | None = None
    size: int | None = None  # bytes read; 0 for an empty file

    @property
    def entries(self) -> int:
        return self.records.height + self.quarantine.height


@dataclass(frozen=True)
class IngestResult:
    papers: pl.DataFrame
    quarantine: pl.DataFrame
    errors: list[str] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    merged: int = 0


def _read_listing(text: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(parse_listing(text, source), schema=ENTRY_SCHEMA), quarantine_frame([])


#: the whole-text reference readers (``read_source`` streams instead, with the same results)
READERS: dict[str, Callable[[str, str], tuple[pl.DataFrame, pl.DataFrame]]] = {
    "listing": _read_listing,
    "jsonl": parse_jsonl,
    "csv": parse_csv,
}

#: the chunked readers: ``feed(UTF-8 chunk, last)`` -> (entries, quarantine rows); ``finish()`` -> the rest
READER_CLASSES: dict[str, Callable[[str], ListingReader | JsonlReader | CsvReader]] = {
    "listing": ListingReader,
    "jsonl": JsonlReader,
    "csv": CsvReader,
}

#: where a chunk of each format may end
CUTTERS: dict[str, Callable[[bytes], int]] = {"listing": cut_lines, "jsonl": cut_lines, "csv": cut_records}


@dataclass
class _Parsed:
    records: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    invalid: list[pl.DataFrame] = field(default_factory=list)

    def add(self, entries: pl.DataFrame, rejects: list[dict], source: str) -> None:
        self.rejects.extend(rejects)
        if entries.height:
            records, invalid = split_valid(entries, source)
            self.records.append(records)
            if invalid.height:
                self.invalid.append(invalid)


def _parse_pass(
    handle: BinaryIO, file_format: str, source: str, encoding: str, last_resort: bool, size: int,
    on_read: Callable[[bytes], None] | None,
) -> _Parsed:
    """One read of the whole file with one encoding. Raises Undecodable, BinaryFile (from on_read),
    or the reader's ValueError - that one only once every chunk is known to decode."""
    reader = READER_CLASSES[file_format](source)
    parsed = _Parsed()
    error: ValueError | None = None
    first = True
    for chunk, last in read_chunks(handle, size, CUTTERS[file_format], on_read):
        data = as_utf8(chunk, encoding, last_resort)
        if data is None:
            raise Undecodable
        if first:
            data, first = data.removeprefix(UTF8_BOM), False
        if error is not None:
            continue  # the file's encoding still decides what is reported
        try:
            parsed.add(*reader.feed(data, last), source)
        except ValueError as exc:
            error = exc
    if error is None:
        try:
            parsed.add(*reader.finish(), source)
        except ValueError as exc:
            error = exc
    if error is not None:
        raise error
    return parsed


def read_source(path: Path, chunk_bytes: int | None = None) -> SourceRead:
    """Read one listing page / JSONL / CSV file; never raises.

    A file that cannot be used at all (missing, unsupported extension, binary, malformed CSV)
    yields ``error`` = "<path>: <what is wrong>"; bad entries inside a usable file go to quarantine.
    The file is read ``chunk_bytes`` (default ``[reading] chunk_mib``) at a time, cut at line ends
    (CSV: record ends), so memory stays about one chunk plus the records kept; the result is the
    same as reading it whole. An empty file reads as no entries, ``size`` 0.
    """
    path = Path(path)
    empty = pl.DataFrame(schema=PAPER_SCHEMA), quarantine_frame([])
    file_format = RULES.formats.get(path.suffix.lower())
    if file_format is None:
        expected = ", ".join(RULES.formats)
        error = f"{path}: unsupported file type {path.suffix!r} (expected {expected})"
        return SourceRead(path, *empty, error=error)
    size = max(int(chunk_bytes or RULES.chunk_bytes), 1)
    source = str(path)

    def read_once(handle: BinaryIO) -> tuple[_Parsed | None, str | None, str | None, str, int]:
        digest = Digest()
        try:
            parsed, encoding, error = _read_file(handle, file_format, source, size, digest)
            return parsed, encoding, error, digest.hexdigest(), digest.size
        finally:
            digest.close()

    try:  # only a regular file, and read again if it changes while read (then refused)
        parsed, encoding, error, sha256, read_size = read_stable(path, read_once)
    except (NotRegularFile, SourceChanged) as exc:
        return SourceRead(path, *empty, error=f"{path}: {exc}", format=file_format)
    except OSError as exc:
        return SourceRead(path, *empty, error=f"{path}: cannot read ({exc.strerror or exc})", format=file_format)
    meta = {"format": file_format, "sha256": sha256, "encoding": encoding, "size": read_size}
    if error is not None:
        return SourceRead(path, *empty, error=f"{path}: {error}", **meta)
    records = pl.concat(parsed.records) if parsed.records else empty[0]
    quarantine = pl.concat([quarantine_frame(parsed.rejects), *parsed.invalid])
    return SourceRead(path, records, quarantine, **meta)


def _read_file(
    handle: BinaryIO, file_format: str, source: str, size: int, digest: Digest
) -> tuple[_Parsed | None, str | None, str | None]:
    """(parsed, encoding, error): the first pass hashes every byte and stops at a NUL byte; an
    encoding that fails part-way sends the file round again with the next one."""
    encodings = RULES.encodings
    for attempt, encoding in enumerate(encodings):
        if attempt:
            handle.seek(0)
        try:
            hash_bytes = digest.update if attempt == 0 else None
            return _parse_pass(handle, file_format, source, encoding, attempt == len(encodings) - 1, size, hash_bytes), encoding, None
        except ValueError as exc:
            if attempt == 0:
                _drain(handle, size, digest)
            return None, encoding, str(exc)
        except (BinaryFile, Undecodable) as exc:
            binary = isinstance(exc, BinaryFile)
            if attempt == 0:
                binary = _drain(handle, size, digest) or binary
            if binary:
                return None, None, "binary file (contains NUL bytes)"
    raise AssertionError("the last resort encoding always decodes")  # pragma: no cover


def _drain(handle: BinaryIO, size: int, digest: Digest) -> bool:
    """Hash the rest of the file after a first pass stopped early; True if it holds a NUL byte."""
    binary = False
    while data := handle.read(size):
        try:
            digest.update(data)
        except BinaryFile:
            binary = True
    return binary


def expand_paths(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """Files to read (a directory contributes its supported files, sorted) and errors for the rest."""
    files: list[Path] = []
    errors: list[str] = []
    for path in map(Path, paths):
        if not path.is_dir():
            files.append(path)
            continue
        # not is_file(): a FIFO or device named *.jsonl is listed, so read_source refuses it by name
        found = sorted(p for p in path.iterdir() if not p.is_dir() and p.suffix.lower() in RULES.formats)
        if not found:
            errors.append(f"{path}: no {', '.join(RULES.formats)} files in directory")
        files.extend(found)
    return files, errors


def ingest(
    paths: Sequence[Path],
    progress: Callable[[str], None] | None = None,
    read_source: Callable[[Path], SourceRead] = read_source,
) -> IngestResult:
    """Read every source, quarantine unusable entries, merge duplicates; one bad file never stops the rest.

    ``inputs`` lists the files read successfully (path, format, sha256 of the bytes, encoding, entries).
    ``read_source`` reads one file; a caller may pass its own (a cache keyed by content, a fake in tests).
    """
    report = progress or (lambda message: None)
    files, errors = expand_paths(paths)
    reads = []
    for path in files:
        read = read_source(path)
        report(read.error or _read_summary(read))
        reads.append(read)
    good = [read for read in reads if read.error is None]
    papers, merged = merge_duplicates(pl.concat([r.records for r in good] or [pl.DataFrame(schema=PAPER_SCHEMA)]))
    report(f"{papers.height} papers ({merged} duplicate entries merged)")
    return IngestResult(
        papers=papers,
        quarantine=pl.concat([r.quarantine for r in good] or [quarantine_frame([])]),
        errors=errors + [read.error for read in reads if read.error is not None],
        inputs=[
            {"path": str(r.path), "format": r.format, "sha256": r.sha256, "encoding": r.encoding, "entries": r.entries}
            for r in good
        ],
        merged=merged,
    )


def _read_summary(read: SourceRead) -> str:
    if read.size == 0:
        return f"{read.path}: empty file, 0 entries"
    encoding = "" if read.encoding in (None, RULES.encodings[0]) else f", decoded as {read.encoding}"
    return f"{read.path}: {read.entries} entries, {read.quarantine.height} quarantined{encoding}"
