"""`claimboard schedule`: refresh now, then on a schedule, until interrupted."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from apscheduler.schedulers.blocking import BlockingScheduler

from etl.commands.flags import add_refresh_flags, config_from_args, plan_from_args
from etl.refresh import ConfigError, add_refresh_job, make_trigger, parse_every
from etl.refresh.config import Config, Schedule
from etl.refresh.schedule import describe_schedule
from etl.report import EXIT_FAILED


def configure(parser: argparse.ArgumentParser) -> None:
    add_refresh_flags(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--every", metavar="DURATION", help='interval such as "30m", "6h", "1d"')
    when.add_argument("--cron", metavar="CRONTAB", help='five crontab fields, e.g. "0 6 * * *"')
    parser.add_argument("--timezone", help="time zone for --cron (default: the config's, else UTC)")
    parser.epilog = (
        "examples:\n"
        "  claimboard schedule --every 6h\n"
        '  claimboard schedule --cron "15 6 * * *" --config claimboard.toml\n'
        "  claimboard schedule --config claimboard.toml   # uses its [schedule] section\n"
        "Runs one refresh at start, then on the schedule, until interrupted (Ctrl-C). Each run's result\n"
        "is printed and recorded; a failed run leaves the current snapshot and the next run tries again.\n"
        "Runs never overlap: a run due while the previous one is still going is skipped."
    )


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
        plan = plan_from_args(args, config)
        schedule = schedule_from_args(args, config)
        trigger = make_trigger(schedule)
    except (ConfigError, ValueError) as err:  # a bad crontab is a ValueError too
        print(f"schedule: {err}", file=sys.stderr)
        return EXIT_FAILED
    scheduler = BlockingScheduler(timezone="UTC")
    add_refresh_job(scheduler, plan, trigger, lambda message: print(message, flush=True))
    print(f"refreshing {plan.store} now, then {describe_schedule(schedule)}; Ctrl-C to stop", flush=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


def schedule_from_args(args: argparse.Namespace, config: Config | None) -> Schedule:
    """--every / --cron, else the config's [schedule]; --timezone overrides the config's."""
    configured = config.schedule if config else None
    timezone = args.timezone or (configured.timezone if configured else "UTC")
    if args.every or args.cron:
        return Schedule(every=parse_every(args.every) if args.every else None, cron=args.cron, timezone=timezone)
    if configured is None:
        raise ValueError("give --every or --cron, or a config with a [schedule] section")
    return replace(configured, timezone=timezone)
