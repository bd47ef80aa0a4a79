"""Flags several subcommands share, defined once, and what they resolve to."""

from __future__ import annotations

import argparse
from pathlib import Path

from etl.pipeline import DEFAULT_MIN_FRACTION
from etl.refresh import RefreshPlan, plan_for_store, plan_from_config
from etl.refresh.config import DEFAULT_CONFIG_NAME, Config, load_config
from etl.store import DEFAULT_STORE


def add_store_flag(parser: argparse.ArgumentParser, *, from_config: bool = False) -> None:
    """``--store DIR``; with ``from_config`` it defaults to the config's [store] dir (see ``store_path``)."""
    if from_config:
        parser.add_argument("--store", type=Path, metavar="DIR",
                            help=f"store directory (default: the config's [store] dir, else {DEFAULT_STORE})")
    else:
        parser.add_argument("--store", type=Path, default=DEFAULT_STORE, help="store directory (default: %(default)s)")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """``--config TOML`` and a ``--store`` that defaults to the config's."""
    parser.add_argument("--config", type=Path, metavar="TOML",
                        help=f"settings file (default: ./{DEFAULT_CONFIG_NAME} if it exists)")
    add_store_flag(parser, from_config=True)


def add_refresh_flags(parser: argparse.ArgumentParser) -> None:
    """What `refresh` and `schedule` read and keep."""
    add_config_flags(parser)
    parser.add_argument("--source", action="append", type=Path, metavar="PATH",
                        help="local listing page / JSONL / CSV file or folder, repeatable; replaces the config's "
                        "local sources (remote ones are still fetched); without a config the default is the "
                        "current snapshot's sources, else the bundled corpus")
    parser.add_argument("--replay", action="store_true",
                        help="rebuild remote sources from their stored raw responses, no network")
    parser.add_argument("--keep", type=int, metavar="N", help="snapshots to keep (default: config, else 5)")


def add_shrink_flags(parser: argparse.ArgumentParser, *, from_config: bool = False) -> None:
    """``--allow-shrink`` and ``--min-fraction`` (etl.pipeline.check_shrink's rule)."""
    parser.add_argument("--allow-shrink", action="store_true",
                        help="publish even when the sources yield no paper or fewer than --min-fraction of the "
                        "current snapshot's (refused by default: a missing or emptied source is a failure)")
    default = f"the config's [store] min_fraction, else {DEFAULT_MIN_FRACTION}" if from_config else "%(default)s"
    parser.add_argument("--min-fraction", type=float, metavar="F", default=None if from_config else DEFAULT_MIN_FRACTION,
                        help=f"fewest papers to publish, as a fraction of the current snapshot's (default: {default})")


def add_corrections_flag(parser: argparse.ArgumentParser) -> None:
    """``--corrections PATH``: the readers' decisions file (default ``<store>/corrections.jsonl``)."""
    parser.add_argument("--corrections", type=Path, metavar="PATH", default=None,
                        help="corrections file applied by the review step (default: <store>/corrections.jsonl)")


def add_quiet_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress display, summary only")


def config_from_args(args: argparse.Namespace) -> Config | None:
    """--config, else ./claimboard.toml when it exists, else None."""
    if args.config is not None:
        return load_config(args.config)
    default = Path(DEFAULT_CONFIG_NAME)
    return load_config(default) if default.is_file() else None


def store_path(args: argparse.Namespace, config: Config | None) -> Path:
    return Path(args.store or (config.store.dir if config else DEFAULT_STORE))


def plan_from_args(args: argparse.Namespace, config: Config | None) -> RefreshPlan:
    store = store_path(args, config)
    base = plan_from_config(config) if config else plan_for_store(store)
    return RefreshPlan(
        store=store,
        sources=tuple(args.source) if args.source else base.sources,
        remote=base.remote,
        fetch=base.fetch,
        keep=args.keep or base.keep,
        allow_shrink=getattr(args, "allow_shrink", False),
        min_fraction=base.min_fraction if getattr(args, "min_fraction", None) is None else args.min_fraction,
        corrections=base.corrections,
    )
