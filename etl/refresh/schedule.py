"""Refreshes on a schedule: APScheduler jobs for `claimboard schedule` and `serve --refresh-every`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from etl.refresh.config import Config, Schedule, parse_every
from etl.refresh.runner import RefreshPlan, plan_for_store, plan_from_config, refresh
from etl.report import describe_run
from etl.store import RunRecord
from etl.store.lock import LockHeld

Report = Callable[[str], None]
Trigger = IntervalTrigger | CronTrigger


def make_trigger(schedule: Schedule) -> Trigger:
    if schedule.every is not None:
        return IntervalTrigger(seconds=schedule.every.total_seconds(), timezone=schedule.timezone)
    return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)


def describe_schedule(schedule: Schedule) -> str:
    return f"every {schedule.every}" if schedule.every else f'on cron "{schedule.cron}" ({schedule.timezone})'


def scheduled_refresh(plan: RefreshPlan, report: Report) -> None:
    """One scheduled run. Never raises: a failure is recorded and reported, and the next run tries again."""
    try:
        record = refresh(plan, trigger="schedule")
    except LockHeld as err:
        report(f"skipped: {err}")
    except Exception as err:  # recorded in runs.jsonl by refresh
        report(f"refresh failed: {type(err).__name__}: {err}; the current snapshot is still served")
    else:
        report(describe_run(RunRecord.from_json(record)))


def add_refresh_job(
    scheduler: BackgroundScheduler | BlockingScheduler, plan: RefreshPlan, trigger: Trigger, report: Report
) -> None:
    """The refresh job runs once now, then on ``trigger``; never two at once, missed runs coalesced."""
    scheduler.add_job(
        scheduled_refresh, trigger, args=(plan, report), id="refresh", name=f"refresh {plan.store}",
        max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC),
    )


def start_background_refresh(
    config_or_store: Config | Path, every: str | timedelta, report: Report | None = None
) -> BackgroundScheduler:
    """Refresh in a background thread every ``every`` (e.g. "6h"); returns the started scheduler.

    For ``claimboard serve --refresh-every``: with a Config its sources and store are used; with a
    store path, the sources its current snapshot was built from. Call ``.shutdown()`` to stop.
    """
    plan = plan_from_config(config_or_store) if isinstance(config_or_store, Config) else plan_for_store(config_or_store)
    interval = parse_every(every) if isinstance(every, str) else every
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")
    add_refresh_job(scheduler, plan, make_trigger(Schedule(interval, None, "UTC")), report or _stderr_report)
    scheduler.start()
    return scheduler


def _stderr_report(message: str) -> None:
    print(f"[claimboard refresh] {message}", file=sys.stderr, flush=True)
