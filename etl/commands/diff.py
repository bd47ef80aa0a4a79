"""`claimboard diff`: papers and claims added, changed and withdrawn between two snapshots."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from etl.commands.flags import add_config_flags, config_from_args, store_path
from etl.refresh import ConfigError
from etl.report import EXIT_FAILED
from etl.store import StoreError, current_run_id, list_snapshots, load_snapshot
from etl.store.diff import check_store, diff_as_json, diff_snapshots, render_diff


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flags(parser)
    parser.add_argument("run_a", nargs="?", metavar="RUN_A", help="older snapshot (run id or a unique prefix)")
    parser.add_argument("run_b", nargs="?", metavar="RUN_B", help="newer snapshot (default: the current one)")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")
    parser.epilog = (
        "examples:\n"
        "  claimboard diff                              # the last two snapshots\n"
        "  claimboard diff 20261123T0600                # that snapshot -> the current one\n"
        "  claimboard diff 20261122T0600 20261123T0600 --json\n"
        "Lines: + added, ~ changed (old -> new), - withdrawn. Snapshots are listed by `claimboard runs`;\n"
        "unchanged and failed runs publish none."
    )


def run(args: argparse.Namespace) -> int:
    try:
        store = store_path(args, config_from_args(args))
        check_store(store)
        old_id, new_id = pick_snapshots(list_snapshots(store), current_run_id(store), args.run_a, args.run_b)
        old, new = load_snapshot(store, old_id), load_snapshot(store, new_id)
    except (ConfigError, StoreError, ValueError, OSError) as err:
        print(f"diff: {err}", file=sys.stderr)
        return EXIT_FAILED
    diff = diff_snapshots(old, new)
    if args.json:
        print(json.dumps(diff_as_json(diff), indent=2, default=str))
    else:
        print("\n".join(render_diff(diff)))
    return 0


def pick_snapshots(
    snapshots: Sequence[str], current: str | None, run_a: str | None, run_b: str | None
) -> tuple[str, str]:
    """(older, newer) run ids: both given, RUN_A -> current, or the last two snapshots."""
    if run_a is None:
        if len(snapshots) < 2:
            raise ValueError(f"need two snapshots to compare, the store has {len(snapshots)}")
        return snapshots[-2], snapshots[-1]
    newer = resolve_run(run_b, snapshots) if run_b else current
    if newer is None:
        raise ValueError("the store has no current snapshot")
    return resolve_run(run_a, snapshots), newer


def resolve_run(prefix: str, snapshots: Sequence[str]) -> str:
    matches = [s for s in snapshots if s.startswith(prefix)]
    if len(matches) != 1:
        kept = ", ".join(snapshots) or "none"
        problem = "matches several" if matches else "matches no"
        raise ValueError(f"{prefix!r} {problem} snapshot (kept: {kept}; unchanged and failed runs publish none)")
    return matches[0]
