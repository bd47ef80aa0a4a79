"""`claimboard extract --in IN.jsonl --out OUT.jsonl` (contract).

One output line per input line, same order. A malformed input line is reported on stderr
with its line number and replaced by an empty result, so downstream tools can zip the two
files line by line.

The main process only moves bytes: it reads the input in blocks of whole lines (_Input) and
writes the text each block comes back as. A block is decoded, split into lines as the text-mode
reader would split them, parsed (one json.loads a line), extracted as a frame (extract_all) and
written as JSON lines straight from the claims and facts frames (contract.frames_to_lines, the
text json.dumps wrote) by extract_block, in spawned worker processes for inputs of at least
batch.PARALLEL_MIN_ROWS lines, in-process for shorter ones (issue 16: the command costs little
beyond extract_all).
"""

from __future__ import annotations

import argparse
import codecs
import functools
import io
import itertools
import json
import multiprocessing
import os
import stat
import sys
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from etl.contract import empty_output, frames_to_lines
from etl.extract import RECORD_SCHEMA, extract_all
from etl.extract.batch import PARALLEL_MIN_ROWS, _die_with_parent, _in_order, extract_workers

REQUIRED_FIELDS = ("id", "title", "abstract")
PROGRESS_EVERY = 1000
#: `claimboard extract` reads its input in blocks of whole lines of at most about BLOCK_BYTES (one
#: worker task each; see _Input.blocks); a worker extracts a block BATCH_LINES lines at a time at
#: most (under batch.PARALLEL_MIN_ROWS: no pool inside a worker). The extractor's CPU per paper
#: still drops from 1k- to 10k-paper frames, hence the large blocks; larger ones cost memory (a
#: worker's peak RSS grows ~10 MB per 1k papers in its frame) for little CPU.
BLOCK_BYTES = 16 << 20
BATCH_LINES = 12_000

EPILOG = """\
examples:
  claimboard extract --in papers.jsonl --out extracted.jsonl
  claimboard extract --in - --out - < papers.jsonl | jq .claims
  claimboard extract --in papers.jsonl --out extracted.jsonl --quiet

input: one JSON object per line with at least "id", "title", "abstract".
output: one line per input line: {"id", "system", "is_systems", "model_sizes", "gpu_counts",
"hardware", "hardware_unknown", "claims": [{"text", "start", "end", "low", "high", "unit", "metric", "better",
"multiplier", "baseline", "baseline_canonical", "qualifier", "confidence"}]}.
A malformed line is reported on stderr (with its line number) and gets an empty result line.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Extract benchmark claims and paper facts from a JSONL of abstracts."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--in", dest="inp", required=True, metavar="IN.jsonl", help="input JSONL ('-' for stdin)")
    parser.add_argument("--out", required=True, metavar="OUT.jsonl", help="output JSONL ('-' for stdout)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def parse_line(line: str) -> tuple[dict[str, Any] | None, str | None]:
    """(record, None) for a usable line, else (partial record or None, what is wrong)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {type(record).__name__}"
    missing = [f for f in REQUIRED_FIELDS if f not in record]
    if missing:
        return record, f"missing field(s): {', '.join(missing)}"
    wrong = [f for f in REQUIRED_FIELDS if not isinstance(record[f], str)]
    if wrong:
        return record, "; ".join(f"field {f!r} must be a string, got {type(record[f]).__name__}" for f in wrong)
    return record, None


def _parse_line(line: str, loads=json.loads) -> tuple[dict[str, Any] | None, str | None]:
    """parse_line, the usual case (an object whose id, title and abstract are strings) first."""
    try:
        record = loads(line)
        if (type(record) is dict and type(record.get("id")) is str and type(record.get("title")) is str
                and type(record.get("abstract")) is str):
            return record, None
    except ValueError:
        pass
    return parse_line(line)


def _extract_lines(lines: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """The output line of each input line (the JSON text json.dumps with ensure_ascii=False
    gives), in order, and (index in ``lines``, what is wrong and what was written instead) of the
    malformed ones.

    The good lines are extracted as one frame (extract_all) and their output lines written from
    its claims and facts frames (contract.frames_to_lines).
    """
    parsed = [_parse_line(line) for line in lines]
    good = [record for record, problem in parsed if not problem]
    papers = pl.DataFrame(
        {"paper_id": [str(i) for i in range(len(good))], "title": [r["title"] for r in good],
         "abstract": [r["abstract"] for r in good]},
        schema=RECORD_SCHEMA,
    )
    outputs = frames_to_lines([r["id"] for r in good], *extract_all(papers))
    problems = [(index, problem) for index, (_, problem) in enumerate(parsed) if problem]
    if not problems:
        return outputs, []
    extracted = iter(outputs)
    outputs = []
    for record, problem in parsed:
        if not problem:
            outputs.append(next(extracted))
            continue
        paper_id = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), (str, int)) else None
        outputs.append(_encode(empty_output(paper_id)))
    return outputs, [(index, f"{problem}; writing an empty result") for index, problem in problems]


#: json.dumps(obj, ensure_ascii=False) without building an encoder per line (same text)
_encode = json.JSONEncoder(ensure_ascii=False).encode


def extract_block(data: bytes | str, decode_errors: str = "strict", universal: bool = False
                  ) -> tuple[int, str, list[tuple[int, str]]]:
    """(input lines, output text, [(line number within the block, message)]) of a block of input.

    ``data``: whole lines of the input (the last one may lack its newline only at the end of the
    input), as read from the file: UTF-8 bytes, decoded here with ``decode_errors``, or text.
    ``universal``: CR and CR LF end lines too (as in a file opened in text mode); stdin ends lines
    at LF only. Run by the worker processes, so that decoding, parsing, extraction and serialising
    all happen off the main process; lines go through the extractor in equal batches of at most
    BATCH_LINES.
    """
    if isinstance(data, bytes):
        # CR and LF are never part of a multi-byte UTF-8 sequence: lines can be cut before decoding,
        # and each decoded on its own (no copy of the whole block as one, maybe 4-byte-wide, str)
        if universal and b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = [line.decode("utf-8", decode_errors) for line in data.split(b"\n")]
    else:
        if universal and "\r" in data:
            data = data.replace("\r\n", "\n").replace("\r", "\n")
        lines = data.split("\n")
    del data
    if lines[-1] == "":
        lines.pop()
    parts: list[str] = []
    problems: list[tuple[int, str]] = []
    batch = -(-len(lines) // -(-len(lines) // BATCH_LINES)) if lines else 1  # equal batches, none tiny
    for offset in range(0, len(lines), batch):
        outputs, found = _extract_lines(lines[offset : offset + batch])
        parts.extend(outputs)
        problems.extend((offset + index + 1, message) for index, message in found)
    parts.append("")
    return len(lines), "\n".join(parts) if len(parts) > 1 else "", problems


def _read_blocks(stream, size) -> Iterator[bytes | str]:
    """Whole lines of ``stream`` about ``size()`` bytes (or characters) at a time."""
    while block := stream.read(size()):
        if not block.endswith(b"\n" if isinstance(block, bytes) else "\n"):
            block += stream.readline()
        yield block


class _Input:
    """The input file or stdin, read in blocks of whole lines as the text-mode reader would
    split them: a file is read as bytes (decoded as UTF-8 by the workers, CR and CR LF ending
    lines too), stdin as bytes when its encoding is UTF-8 (with its error handler), else as text."""

    def __init__(self, path: str) -> None:
        if path == "-":
            self.stream, self.universal, self.errors = sys.stdin, False, sys.stdin.errors or "strict"
            if codecs.lookup(sys.stdin.encoding or "ascii").name == "utf-8" and hasattr(sys.stdin, "buffer"):
                self.stream = sys.stdin.buffer
        else:
            self.stream, self.universal, self.errors = Path(path).open("rb"), True, "strict"
        self.closing = sys.stdin if path == "-" else self.stream
        try:
            status = os.fstat(self.stream.fileno())
            self.total = status.st_size if stat.S_ISREG(status.st_mode) else None
        except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
            self.total = None

    def blocks(self, workers: int) -> Iterator[bytes | str]:
        """Blocks of about BLOCK_BYTES; with several workers and a file of known size, a multiple
        of ``workers`` blocks of equal size (the workers finish together, each block large enough
        to amortise the extractor's per-frame work)."""
        size = BLOCK_BYTES
        if workers > 1 and self.total:
            count = workers * -(-self.total // (workers * BLOCK_BYTES))
            size = max(1, -(-self.total // count))
        return _read_blocks(self.stream, lambda: size)

    def close(self) -> None:
        self.closing.close()


def extracted_blocks(source: _Input) -> Iterator[tuple[int, str, list[tuple[int, str]]]]:
    """extract_block of each block of the input, in order.

    Inputs of at least batch.PARALLEL_MIN_ROWS lines are extracted by spawned worker processes
    (one per core, CLAIMBOARD_EXTRACT_WORKERS), a few blocks in flight; shorter inputs in-process
    (a worker's start-up would cost more than it saves).
    """
    workers = extract_workers()
    blocks = source.blocks(workers)
    head: list[bytes | str] = []
    seen = 0
    if workers > 1:
        for block in blocks:
            head.append(block)
            seen += block.count(b"\n" if isinstance(block, bytes) else "\n")
            if seen >= PARALLEL_MIN_ROWS:
                break
    job = functools.partial(extract_block, decode_errors=source.errors, universal=source.universal)
    if workers == 1 or seen < PARALLEL_MIN_ROWS:
        for block in itertools.chain(head, blocks):
            yield job(block)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        yield from _in_order(pool, job, itertools.chain(head, blocks), 2 * workers)


def _open(path: str, mode: str):
    if path == "-":
        return sys.stdin if "r" in mode else sys.stdout
    return Path(path).open(mode, encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    try:
        source = _Input(args.inp)
    except OSError as exc:
        print(f"claimboard extract: cannot read {args.inp}: {exc.strerror}", file=sys.stderr)
        return 2
    sink = _open(args.out, "w")
    n = 0
    try:
        with sink:
            for size, text, problems in extracted_blocks(source):
                for number, problem in problems:
                    print(f"line {n + number}: {problem}", file=sys.stderr)
                sink.write(text)
                if not args.quiet:
                    for k in range((n // PROGRESS_EVERY + 1) * PROGRESS_EVERY, n + size + 1, PROGRESS_EVERY):
                        print(f"extract: {k} records", file=sys.stderr, flush=True)
                n += size
    finally:
        source.close()
    if not args.quiet:
        print(f"extract: done, {n} records -> {args.out}", file=sys.stderr)
    return 0
