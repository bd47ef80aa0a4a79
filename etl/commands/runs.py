"""`claimboard runs`: the run history of a store."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

from etl.commands.flags import add_config_flags, config_from_args, store_path
from etl.refresh import ConfigError
from etl.report import EXIT_FAILED, runs_table
from etl.store import RunRecord, read_runs


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flags(parser)
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="newest N runs (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the run records as JSON")
    parser.epilog = (
        "examples:\n"
        "  claimboard runs\n"
        "  claimboard runs --store /srv/claimboard --limit 50\n"
        "  claimboard runs --json | jq '.[] | select(.status == \"failed\") | .error'\n"
        "papers +new ~changed -removed count content changes against the snapshot current before the run."
    )


def run(args: argparse.Namespace) -> int:
    try:
        store = store_path(args, config_from_args(args))
    except ConfigError as err:
        print(f"runs: {err}", file=sys.stderr)
        return EXIT_FAILED
    records = read_runs(store)[-args.limit:] if args.limit > 0 else []
    if args.json:
        print(json.dumps(records, indent=2, default=str))
    elif not records:
        print(f"no runs recorded in {store}")
    else:
        Console().print(runs_table([RunRecord.from_json(record) for record in records]))
    return 0
