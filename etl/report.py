"""Terminal reports of runs (rich tables on stdout): what was read, kept, quarantined, and how long;
the run history of `claimboard runs` and the scheduler's one-line summaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from etl.store import RunRecord
from etl.store.lock import LockHeld

EXIT_FAILED = 1  # the run failed; it is recorded and the current snapshot stays
EXIT_LOCKED = 3  # another run holds the store's lock; nothing was done
MIN_WIDTH = 64  # wide enough that no title wraps (rich wraps a title to its table's width)


def run_summary_tables(manifest: dict) -> list[Table]:
    run = RunRecord.from_json(manifest)
    totals = Table(title=f"run {run.run_id} — {run.status}", show_header=False, min_width=MIN_WIDTH)
    totals.add_column("what")
    totals.add_column("count", justify="right")
    totals.add_row("input files", str(len(run.inputs)))
    totals.add_row("entries read", str(sum(i.get("entries", 0) for i in run.inputs)))
    totals.add_row("duplicates merged", str(run.merged_duplicates))
    for name in ("papers", "systems_papers", "claims", "facts", "warnings", "quarantine"):
        totals.add_row(name.replace("_", " "), str(run.counts.get(name, 0)))
    totals.add_row("corrections", corrections_text(run))

    quarantine = Table(title="quarantined rows by reason", min_width=MIN_WIDTH)
    quarantine.add_column("reason")
    quarantine.add_column("rows", justify="right")
    for reason, n in run.quarantine_by_reason.items() or [("(none)", 0)]:
        quarantine.add_row(reason, str(n))

    warnings = Table(title="flagged rows by warning (kept, marked in the dashboard)", min_width=MIN_WIDTH)
    warnings.add_column("warning")
    warnings.add_column("rows", justify="right")
    for kind, n in (manifest.get("warnings_by_kind") or {}).items() or [("(none)", 0)]:
        warnings.add_row(kind, str(n))

    stages = Table(title="seconds per stage", min_width=MIN_WIDTH)
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    own_seconds = manifest.get("stage_seconds", {})  # this run's stages, without a refresh's fetch/hash
    for stage, seconds in own_seconds.items():
        stages.add_row(stage, f"{seconds:.2f}")
    stages.add_row("total", f"{sum(own_seconds.values()):.2f}")
    return [totals, warnings, quarantine, stages]


def print_run_summary(manifest: dict, store: Path, console: Console | None = None) -> None:
    console = console or Console()
    for table in run_summary_tables(manifest):
        console.print(table)
    for error in RunRecord.from_json(manifest).errors:
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


def corrections_text(run: RunRecord) -> str:
    """Readers' corrections of the run: applied (rejected, added), stale, invalid."""
    c = run.corrections
    if not c:
        return "–"
    return (f"{c.get('applied', 0)} applied ({c.get('rejected', 0)} rejected, {c.get('added', 0)} added), "
            f"{c.get('stale', 0)} stale, {c.get('invalid', 0)} invalid")


def changes_text(run: RunRecord) -> str:
    changes = run.changes
    return "–" if changes is None else f"+{changes['new']} ~{changes['changed']} -{changes['removed']}"


def describe_run(run: RunRecord) -> str:
    """One line per run, for the scheduler's output."""
    seconds = sum(run.stage_seconds.values())
    head = f"{run.started[:19].replace('T', ' ')} {run.trigger} {run.status}"
    if run.status == "failed":
        return f"{head}: {run.error} (the current snapshot is unchanged)"
    if run.status == "unchanged":
        body = f"nothing changed (same inputs and extractor), nothing published; {run.current} stays current"
    else:
        body = (f"published {run.run_id}: papers {changes_text(run)}, {run.counts.get('claims', 0)} claims, "
                f"{run.counts.get('quarantine', 0)} quarantined")
    errors = run.all_errors
    stale = run.corrections.get("stale", 0) + run.corrections.get("invalid", 0)
    if stale:
        body += f"; corrections: {corrections_text(run)}"
    return f"{head}: {body} in {seconds:.1f} s" + (f"; {len(errors)} source errors" if errors else "")


def runs_table(runs: Sequence[RunRecord]) -> Table:
    table = Table(title="runs, newest last (run ids start with the UTC time; papers: +new ~changed -removed)")
    table.add_column("run", no_wrap=True, min_width=len("20261123T091700123456Z-1a2b3c"))
    table.add_column("by")
    table.add_column("status")
    for name in ("papers", "claims", "quar.", "errors", "stale corr."):
        table.add_column(name, justify="right")
    table.add_column("seconds per stage")
    colours = {"ok": "green", "unchanged": "cyan", "failed": "red"}
    for run in runs:
        seconds = ", ".join(f"{stage} {s:.2f}" for stage, s in run.stage_seconds.items() if s >= 0.005)
        table.add_row(
            run.run_id,
            run.trigger,
            f"[{colours.get(run.status, 'yellow')}]{run.status}[/]",
            changes_text(run),
            str(run.counts.get("claims", "–")),
            str(run.counts.get("quarantine", "–")),
            str(len(run.all_errors) + (run.status == "failed")),
            str(run.corrections.get("stale", "–")) if run.corrections else "–",
            seconds or "–",
        )
    return table
