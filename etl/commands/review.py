"""`claimboard review`: the review queue as a spreadsheet and back, and the reviewed papers as gold."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from etl.commands.flags import add_config_flags, config_from_args, store_path
from etl.refresh import ConfigError
from etl.review import append_corrections, corrections_path
from etl.review.gold import reviewed_gold
from etl.review.queue import review_queue
from etl.review.sheet import SheetError, read_sheet, write_sheet
from etl.store import StoreError, load_snapshot

EXIT_BAD_INPUT = 2

EXPORT_EPILOG = """\
examples:
  claimboard review export --out queue.csv
  claimboard review export --store /srv/claimboard --out queue.csv --limit 200
Writes the claims of the current snapshot that no reader decided on yet, most in need of a human
first (low confidence, flagged values, settings taken from the paper, outliers against the same
baseline and metric). Fill in `decision` (accept / reject / edit) and, for edit, the set_<field>
columns (add rows with decision `add` for missed claims); then `claimboard review import queue.csv`."""

IMPORT_EPILOG = """\
examples:
  claimboard review import queue.csv --who ana
  claimboard review import queue.csv --store /srv/claimboard
Rows with an empty decision are skipped. A row with decision `add` records a missed claim: paper_id,
text and sentence locate it in the abstract, set_metric, set_multiplier, set_high and set_unit (and
any other set_ column) give its values. Every bad row is reported by line and column and then
NOTHING is appended: fix the file and import it again. Lists are written `a; b`, `null` clears a
field. The decisions are applied by the next `claimboard refresh` or `claimboard etl`."""

GOLD_EPILOG = """\
examples:
  claimboard review gold --out reviewed.jsonl
  claimboard eval --gold reviewed.jsonl      # score the extractor against what readers confirmed
Writes every paper of the current snapshot with at least one applied decision, in the gold format
of tests/fixtures/GUIDE.md, with its claims after corrections."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "examples:\n"
        "  claimboard review export --out queue.csv --limit 100\n"
        "  claimboard review import queue.csv --who ana\n"
        "  claimboard review gold --out reviewed.jsonl && claimboard eval --gold reviewed.jsonl\n"
        "The corrections file is <store>/corrections.jsonl, or [review] corrections in claimboard.toml."
    )
    sub = parser.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    raw = argparse.RawDescriptionHelpFormatter
    export = sub.add_parser("export", help="write the review queue as CSV", epilog=EXPORT_EPILOG, formatter_class=raw,
                            description="Write the review queue of the current snapshot as CSV, one claim a row.")
    add_config_flags(export)
    export.add_argument("--out", type=Path, required=True, metavar="CSV", help="the CSV to write")
    export.add_argument("--limit", type=int, metavar="N", help="at most N claims (the top of the queue)")
    imp = sub.add_parser("import", help="append the decisions of a filled-in queue CSV", epilog=IMPORT_EPILOG,
                         formatter_class=raw, description="Append the decisions of a filled-in queue CSV, all or nothing.")
    imp.add_argument("csv", type=Path, metavar="CSV", help="a CSV written by `review export`, decisions filled in")
    add_config_flags(imp)
    imp.add_argument("--who", metavar="NAME", help="reviewer name for rows whose `who` is empty")
    gold = sub.add_parser("gold", help="write the reviewed papers as gold JSONL", epilog=GOLD_EPILOG,
                          formatter_class=raw, description="Write the reviewed papers in the gold format.")
    add_config_flags(gold)
    gold.add_argument("--out", type=Path, required=True, metavar="JSONL", help="the gold JSONL to write")


def _snapshot(store: Path):
    snap = load_snapshot(store)
    if snap is None:
        raise StoreError(f"no current snapshot in {store}; run `claimboard etl` first")
    return snap


def run(args: argparse.Namespace) -> int:
    name = f"review {args.review_command}"
    try:
        config = config_from_args(args)
        store = store_path(args, config)
        if args.review_command == "import":
            path = corrections_path(store, config.corrections if config else None)
            sheet = read_sheet(args.csv, who=args.who)
            append_corrections(path, sheet.corrections)
            print(f"appended {len(sheet.corrections)} decision(s) to {path} ({sheet.skipped} row(s) without a decision);"
                  " `claimboard refresh` applies them")
            return 0
        snap = _snapshot(store)
        if args.review_command == "export":
            rows = write_sheet(review_queue(snap.claims, args.limit), args.out)
            print(f"wrote {rows} claim(s) to review to {args.out} (snapshot {snap.run_id})")
            return 0
        records = reviewed_gold(snap.papers, snap.claims, snap.facts, snap.corrections)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records),
                            encoding="utf-8")
        print(f"wrote {len(records)} reviewed paper(s) to {args.out} (snapshot {snap.run_id})")
        return 0
    except SheetError as err:
        print(f"claimboard {name}: {args.csv}: nothing imported, fix these rows:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ConfigError, StoreError, OSError) as err:
        print(f"claimboard {name}: {err}", file=sys.stderr)
        return 1
