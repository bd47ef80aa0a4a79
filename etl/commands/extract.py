"""`claimboard extract --in IN.jsonl --out OUT.jsonl` (contract).

One output line per input line, same order. A malformed input line is reported on stderr
with its line number and replaced by an empty result, so downstream tools can zip the two
files line by line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from etl.contract import empty_output, record_to_output
from etl.extract import RECORD_SCHEMA, extract_records

REQUIRED_FIELDS = ("id", "title", "abstract")
PROGRESS_EVERY = 1000
BATCH = 1000  # records per extraction frame

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
        parsed = [(number, *parse_line(line)) for number, line in chunk]
        good = [record for _, record, problem in parsed if not problem]
        papers = pl.DataFrame(
            [(str(i), r["title"], r["abstract"]) for i, r in enumerate(good)], schema=RECORD_SCHEMA, orient="row"
        )
        extracted = iter(extract_records(papers))
        for number, record, problem in parsed:
            if not problem:
                yield record_to_output(record["id"], next(extracted))
                continue
            paper_id = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), (str, int)) else None
            print(f"line {number}: {problem}; writing an empty result", file=errors)
            yield empty_output(paper_id)


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
        for n, out in enumerate(extract_lines(line.rstrip("\n") for line in source), start=1):
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")
            if not args.quiet and n % PROGRESS_EVERY == 0:
                print(f"extract: {n} records", file=sys.stderr, flush=True)
    if not args.quiet:
        print(f"extract: done, {n} records -> {args.out}", file=sys.stderr)
    return 0
