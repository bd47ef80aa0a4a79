"""`claimboard etl`: the full ETL on listing pages / JSONL / CSV, publishing a snapshot."""

from __future__ import annotations

import argparse
from pathlib import Path

from etl.commands.flags import add_corrections_flag, add_quiet_flag, add_shrink_flags, add_store_flag
from etl.pipeline import BUNDLED_CORPUS, DEFAULT_KEEP, Progress
from etl.refresh import RefreshPlan, refresh
from etl.report import print_run_summary, run_with_status


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", action="append", type=Path, metavar="PATH",
        help="listing page (.txt), JSONL or CSV file, or a folder of them; repeatable "
        f"(default: the bundled corpus in {BUNDLED_CORPUS.relative_to(BUNDLED_CORPUS.parent.parent)})",
    )
    add_store_flag(parser)
    parser.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="snapshots to keep (default: %(default)s)")
    add_shrink_flags(parser)
    add_corrections_flag(parser)
    add_quiet_flag(parser)
    parser.epilog = (
        "examples:\n"
        "  claimboard etl                                   # bundled corpus -> data/store\n"
        "  claimboard etl --source listings/ --source extra.jsonl --store /srv/claimboard\n"
        "  claimboard etl --source papers.csv --keep 10\n"
        "  claimboard etl --corrections reviews/corrections.jsonl\n"
        "A record that cannot be used goes to the snapshot's quarantine table with its reason;\n"
        "an unreadable file is reported by name and the other files still load. A run whose sources\n"
        "yield no paper, or fewer than --min-fraction of the current snapshot's, fails and publishes\n"
        "nothing unless --allow-shrink is given."
    )


def run(args: argparse.Namespace) -> int:
    # through the refresh runner in full mode: everything re-read and re-extracted, but the
    # refresh caches and input hashes primed, so a refresh right after it publishes nothing
    plan = RefreshPlan(
        store=args.store, sources=tuple(args.source or [BUNDLED_CORPUS]), keep=args.keep,
        allow_shrink=args.allow_shrink, min_fraction=args.min_fraction, corrections=args.corrections,
    )

    def etl(progress: Progress | None) -> dict:
        return refresh(plan, progress=progress, full=True)  # under the store lock; run log rotated after

    status, manifest = run_with_status(
        "ETL", etl, args.quiet, f"the previous snapshot (if any) is still current in {args.store}"
    )
    if manifest is not None:
        print_run_summary(manifest, args.store)
    return status
