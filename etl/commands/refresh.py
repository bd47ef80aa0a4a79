"""`claimboard refresh`: one incremental refresh."""

from __future__ import annotations

import argparse

from rich.console import Console

from etl.commands.flags import add_quiet_flag, add_refresh_flags, add_shrink_flags, config_from_args, plan_from_args
from etl.refresh import ConfigError, refresh
from etl.report import EXIT_FAILED, describe_run, print_run_summary, run_with_status
from etl.store import RunRecord


def configure(parser: argparse.ArgumentParser) -> None:
    add_refresh_flags(parser)
    add_shrink_flags(parser, from_config=True)
    add_quiet_flag(parser)
    parser.epilog = (
        "examples:\n"
        "  claimboard refresh                          # ./claimboard.toml, or the store's own sources\n"
        "  claimboard refresh --config claimboard.toml # fetch remote sources, then re-ingest what changed\n"
        "  claimboard refresh --source listings/ --store /srv/claimboard\n"
        "  claimboard refresh --config claimboard.toml --replay   # offline, from stored raw responses\n"
        "Only changed files are re-read and only changed abstracts re-extracted; when nothing changed\n"
        "no snapshot is published and the run is recorded as \"unchanged\". A corrupt file is reported by\n"
        "name and the rest still publishes; a source that cannot be read at all (missing path, no\n"
        "permission: a source that is down) fails the run, so the current snapshot keeps being served;\n"
        "so does a run whose sources yield no paper, or fewer than --min-fraction of the current\n"
        "snapshot's (unless --allow-shrink).\n"
        "exit status: 0 published or unchanged, 1 failed (recorded; the current snapshot stays),\n"
        "3 another refresh or ETL holds the store's lock."
    )


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        plan = plan_from_args(args, config_from_args(args))
    except ConfigError as err:
        console.print(f"[red]config error[/red]: {err}")
        return EXIT_FAILED
    status, record = run_with_status(
        "refresh", lambda progress: refresh(plan, replay=args.replay, progress=progress), args.quiet,
        f"recorded in {plan.store}/runs.jsonl; the current snapshot (if any) is still current",
    )
    if record is None:
        return status
    run_record = RunRecord.from_json(record)
    if run_record.status == "ok":
        print_run_summary(record, plan.store)
    for error in run_record.fetch_errors:
        console.print(f"[yellow]fetch error[/yellow]: {error}")
    print(describe_run(run_record))
    return 0
