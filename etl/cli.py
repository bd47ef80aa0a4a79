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

#: subcommand -> (module, one-line help). The module provides ``configure_<name>(parser)``
#: and ``run_<name>(args)``; where that name is taken, the third field names the runner.
SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "etl": ("etl.pipeline", "run the full ETL on listing pages / JSONL / CSV and publish a snapshot", "run_etl_command"),
    "refresh": ("etl.refresh", "incremental ETL: re-ingest only new or changed sources"),
    "schedule": ("etl.refresh", "run `refresh` on a schedule (--every 6h or --cron)"),
    "runs": ("etl.refresh", "list the run history of a store"),
    "diff": ("etl.refresh", "papers and claims added, changed and withdrawn between two snapshots"),
    "serve": ("dashboard.cli", "serve the dashboard on the current snapshot"),
    "export": ("dashboard.cli", "export a filtered chart or its claims (png/svg/pdf/html/csv)"),
    "extract": ("etl.extract_cli", "extract claims and facts from a JSONL of abstracts (contract)"),
    "eval": ("etl.evaluate", "score extraction against a gold JSONL (precision/recall/F1)"),
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
    for name, (module_name, help_text, *runner) in SUBCOMMANDS.items():
        sp = sub.add_parser(
            name, help=help_text, description=help_text, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        if name == selected:
            module = importlib.import_module(module_name)
            getattr(module, f"configure_{name}")(sp)
            sp.set_defaults(_run=getattr(module, runner[0] if runner else f"run_{name}"))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    selected = next((a for a in argv if a in SUBCOMMANDS), None)
    args = build_parser(selected).parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
