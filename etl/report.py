"""Terminal reports of a run (rich tables on stdout): what was read, kept, quarantined, and how long."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from etl.lock import LockHeld

EXIT_FAILED = 1  # the run failed; it is recorded and the current snapshot stays
EXIT_LOCKED = 3  # another run holds the store's lock; nothing was done
MIN_WIDTH = 64  # wide enough that no title wraps (rich wraps a title to its table's width)


def run_summary_tables(manifest: dict) -> list[Table]:
    counts = manifest.get("counts", {})
    totals = Table(title=f"run {manifest['run_id']} — {manifest['status']}", show_header=False, min_width=MIN_WIDTH)
    totals.add_column("what")
    totals.add_column("count", justify="right")
    totals.add_row("input files", str(len(manifest.get("inputs", []))))
    totals.add_row("entries read", str(sum(i.get("entries", 0) for i in manifest.get("inputs", []))))
    totals.add_row("duplicates merged", str(manifest.get("merged_duplicates", 0)))
    for name in ("papers", "systems_papers", "claims", "facts", "warnings", "quarantine"):
        totals.add_row(name.replace("_", " "), str(counts.get(name, 0)))

    quarantine = Table(title="quarantined rows by reason", min_width=MIN_WIDTH)
    quarantine.add_column("reason")
    quarantine.add_column("rows", justify="right")
    for reason, n in manifest.get("quarantine_by_reason", {}).items() or [("(none)", 0)]:
        quarantine.add_row(reason, str(n))

    stages = Table(title="seconds per stage", min_width=MIN_WIDTH)
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for stage, seconds in manifest.get("stage_seconds", {}).items():
        stages.add_row(stage, f"{seconds:.2f}")
    stages.add_row("total", f"{sum(manifest.get('stage_seconds', {}).values()):.2f}")
    return [totals, quarantine, stages]


def print_run_summary(manifest: dict, store: Path, console: Console | None = None) -> None:
    console = console or Console()
    for table in run_summary_tables(manifest):
        console.print(table)
    for error in manifest.get("errors", []):
        console.print(f"[yellow]source error[/yellow]: {error}")
    console.print(f"snapshot {manifest['run_id']} is current in {store}")


def run_with_status(
    what: str, run: Callable[[Callable[[str], None] | None], dict], quiet: bool, after_failure: str
) -> tuple[int, dict | None]:
    """``run(progress)`` under a status line on stderr; a held lock or a failure is printed, not raised.

    Returns (exit status, the run's record, or None when it did not finish).
    """
    console = Console(stderr=True)
    with console.status("starting…") as status:
        try:
            return 0, run(None if quiet else status.update)
        except LockHeld as err:
            console.print(f"[yellow]not started[/yellow]: {err}")
            return EXIT_LOCKED, None
        except Exception as err:
            console.print(f"[red]{what} failed[/red]: {type(err).__name__}: {err}")
            console.print(after_failure)
            return EXIT_FAILED, None
