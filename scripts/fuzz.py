"""Fuzz the readers and the extractor: the properties of tests/test_hostile_input.py with a big budget.

    python scripts/fuzz.py                   # 100,000 generated cases in total, 2 processes
    python scripts/fuzz.py --total 5000 --jobs 1

Each property runs in its own process (``CLAIMBOARD_FUZZ_EXAMPLES`` set to its share of the
budget); a failure is shrunk by Hypothesis and printed with its minimal input. Exits 1 if any
property failed. Prints cases run per property and in total.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: property -> (test function, share of the budget). Cheap properties get more cases.
TARGETS = {
    "parse_listing": ("test_parse_listing_never_raises_and_numbers_lines", 0.50),
    "extract_record": ("test_the_extractor_never_raises_and_offsets_hold", 0.30),
    "read_listing": ("test_a_listing_file_of_any_bytes_is_read_or_reported", 0.07),
    "read_csv": ("test_a_csv_file_of_any_bytes_is_read_or_reported", 0.07),
    "read_jsonl": ("test_every_jsonl_line_is_a_record_or_quarantined_with_a_reason", 0.05),
    "transform": ("test_the_whole_transform_loses_nothing_and_lets_no_bad_row_in", 0.01),  # a whole transform per case
}
#: the transform property runs a quarter of CLAIMBOARD_FUZZ_EXAMPLES (tests/test_hostile_input.py)
SCALE = {"transform": 4}


def run_one(target: str) -> int:
    """In a child process: run one property with the budget in the environment; print a JSON result."""
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    import test_hostile_input as props

    function = getattr(props, TARGETS[target][0])
    started = time.monotonic()
    error = None
    try:
        function()
    except Exception:  # a falsified property: Hypothesis has shrunk it and reports the minimal input
        error = traceback.format_exc(limit=-6)
    print(json.dumps({"target": target, "cases": props.CASES[target], "seconds": round(time.monotonic() - started, 1), "error": error}))
    return 0


def launch(target: str, examples: int) -> dict:
    env = os.environ | {"CLAIMBOARD_FUZZ_EXAMPLES": str(examples), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, __file__, "--one", target], cwd=ROOT, env=env, capture_output=True, text=True
    )
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"target": target, "cases": 0, "seconds": 0, "error": f"exit {done.returncode}\n{done.stderr[-3000:]}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total", type=int, default=100_000, help="generated cases in total (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="properties run at once (default: %(default)s)")
    parser.add_argument("--only", choices=sorted(TARGETS), action="append", help="run only these properties")
    parser.add_argument("--one", choices=sorted(TARGETS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return run_one(args.one)

    targets = args.only or list(TARGETS)
    weight = sum(TARGETS[t][1] for t in targets)
    # cases per property, rounded up so that together they reach --total
    budget = {t: max(math.ceil(args.total * TARGETS[t][1] / weight), 10) * SCALE.get(t, 1) for t in targets}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda t: launch(t, budget[t]), targets))
    failed = [r for r in results if r["error"]]
    for r in results:
        status = "FAILED" if r["error"] else "ok"
        print(f"{r['target']:<15} {r['cases']:>8,} cases  {r['seconds']:>7.1f} s  {status}")
    total = sum(r["cases"] for r in results)
    print(f"{'total':<15} {total:>8,} cases  {time.monotonic() - started:>7.1f} s  {len(failed)} failed")
    for r in failed:
        print(f"\n--- {r['target']} ---\n{r['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
