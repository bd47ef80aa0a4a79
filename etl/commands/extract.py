"""`claimboard extract --in IN.jsonl --out OUT.jsonl` (contract).

One output line per input line, same order. A malformed input line is reported on stderr
with its line number and replaced by an empty result, so downstream tools can zip the two
files line by line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from etl.contract import empty_output, records_to_outputs
from etl.extract import RECORD_SCHEMA, extract_records
from etl.extract.batch import PARALLEL_MIN_ROWS, _die_with_parent, _in_order, extract_workers

REQUIRED_FIELDS = ("id", "title", "abstract")
PROGRESS_EVERY = 1000
BATCH = 1000  # records per extraction frame (extract_lines)
POOL_BATCH = 10_000  # input lines per chunk of `claimboard extract` (per worker task)

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


def extract_lines(lines: Iterable[str], errors=sys.stderr, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """One output object per input line; problems go to `errors` with the line number.

    Lines are extracted ``batch`` at a time through the frame-level extractor the ETL runs.
    """
    numbered = enumerate(lines, start=1)
    while chunk := list(itertools.islice(numbered, batch)):
        for out, problem in _extract_numbered(chunk):
            if problem:
                print(problem, file=errors)
            yield out


def _extract_numbered(chunk: list[tuple[int, str]]) -> list[tuple[dict[str, Any], str | None]]:
    """(output object, stderr message or None) per numbered input line, in order."""
    parsed = [(number, *parse_line(line)) for number, line in chunk]
    good = [record for _, record, problem in parsed if not problem]
    papers = pl.DataFrame(
        [(str(i), r["title"], r["abstract"]) for i, r in enumerate(good)], schema=RECORD_SCHEMA, orient="row"
    )
    extracted = iter(records_to_outputs([r["id"] for r in good], extract_records(papers)))
    result = []
    for number, record, problem in parsed:
        if not problem:
            result.append((next(extracted), None))
            continue
        paper_id = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), (str, int)) else None
        result.append((empty_output(paper_id), f"line {number}: {problem}; writing an empty result"))
    return result


def extract_chunk(chunk: list[tuple[int, str]]) -> tuple[str, list[str]]:
    """The output lines (one string) and the stderr messages of numbered input lines; run by the
    worker processes, so that parsing, extraction and serialising all happen off the main process."""
    outs = _extract_numbered(chunk)
    text = "".join([json.dumps(out, ensure_ascii=False) + "\n" for out, _ in outs])
    return text, [problem for _, problem in outs if problem]


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[tuple[int, str]]]:
    numbered = enumerate(lines, start=1)
    while chunk := list(itertools.islice(numbered, size)):
        yield chunk


def extracted_chunks(lines: Iterable[str]) -> Iterator[tuple[int, str, list[str]]]:
    """(lines in the chunk, output text, stderr messages) per chunk of input lines, in order.

    Inputs of at least batch.PARALLEL_MIN_ROWS lines are extracted by spawned worker processes
    (one per core, CLAIMBOARD_EXTRACT_WORKERS), POOL_BATCH lines a chunk, a few chunks in flight;
    shorter inputs in-process (a worker's start-up would cost more than it saves).
    """
    chunks = _chunks(lines, POOL_BATCH)
    head: list[list[tuple[int, str]]] = []
    seen = 0
    workers = extract_workers()
    if workers > 1:
        for chunk in chunks:
            head.append(chunk)
            seen += len(chunk)
            if seen >= PARALLEL_MIN_ROWS:
                break
    if workers == 1 or seen < PARALLEL_MIN_ROWS:
        for chunk in itertools.chain(head, chunks):
            yield len(chunk), *extract_chunk(chunk)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        for n, (text, problems) in _in_order(pool, _sized(extract_chunk), itertools.chain(head, chunks), workers + 1):
            yield n, text, problems


class _sized:
    """fn(chunk) -> (len(chunk), fn(chunk)), picklable for the pool."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, chunk):
        return len(chunk), self.fn(chunk)


def _open(path: str, mode: str):
    if path == "-":
        return sys.stdin if "r" in mode else sys.stdout
    return Path(path).open(mode, encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    try:
        source = _open(args.inp, "r")
    except OSError as exc:
        print(f"claimboard extract: cannot read {args.inp}: {exc.strerror}", file=sys.stderr)
        return 2
    sink = _open(args.out, "w")
    n = 0
    with source, sink:
        for size, text, problems in extracted_chunks(line.rstrip("\n") for line in source):
            for problem in problems:
                print(problem, file=sys.stderr)
            sink.write(text)
            if not args.quiet:
                for k in range((n // PROGRESS_EVERY + 1) * PROGRESS_EVERY, n + size + 1, PROGRESS_EVERY):
                    print(f"extract: {k} records", file=sys.stderr, flush=True)
            n += size
    if not args.quiet:
        print(f"extract: done, {n} records -> {args.out}", file=sys.stderr)
    return 0
