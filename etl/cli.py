"""The `claimboard` console script.

Subcommands are declared in one table: each names the module that owns it. That module
exposes ``configure(parser)`` (adds flags, sets ``description``/``epilog``) and
``run(args) -> int`` (the exit code). Modules are imported lazily so ``claimboard
extract`` does not pay for importing Dash.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand -> (module, one-line help). Each module provides ``configure(parser)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "etl": ("etl.commands.etl", "run the full ETL on listing pages / JSONL / CSV and publish a snapshot"),
    "refresh": ("etl.commands.refresh", "incremental ETL: re-ingest only new or changed sources"),
    "schedule": ("etl.commands.schedule", "run `refresh` on a schedule (--every 6h or --cron)"),
    "runs": ("etl.commands.runs", "list the run history of a store"),
    "diff": ("etl.commands.diff", "papers and claims added, changed and withdrawn between two snapshots"),
    "serve": ("dashboard.commands.serve", "serve the dashboard on the current snapshot"),
    "export": ("dashboard.commands.export", "export a filtered chart or its claims (png/svg/pdf/html/csv)"),
    "extract": ("etl.commands.extract", "extract claims and facts from a JSONL of abstracts (contract)"),
    "eval": ("etl.commands.eval", "score extraction against a gold JSONL (precision/recall/F1)"),
    "review": ("etl.commands.review", "review queue as CSV and back (corrections), reviewed papers as gold"),
}


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """All subcommands are listed; only ``selected`` imports its module and gets its flags."""
    parser = argparse.ArgumentParser(
        prog="claimboard",
        description="ClaimBoard: benchmark claims from ML-systems paper abstracts, side by side.",
        epilog=(
            "examples:\n"
            "  claimboard etl                      # bundled corpus -> data/store\n"
            "  claimboard serve --port 8050        # dashboard on the current snapshot\n"
            "  claimboard eval --gold tests/fixtures/gold_dev.jsonl\n"
            "run `claimboard SUBCOMMAND --help` for each subcommand's flags and examples."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        if name == selected:
            module = importlib.import_module(module_name)
            module.configure(sp)
            sp.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    selected = next((a for a in argv if a in SUBCOMMANDS), None)
    args = build_parser(selected).parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
