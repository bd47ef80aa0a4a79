"""`claimboard export`: a filtered view of the current snapshot as png/svg/pdf/html/csv.

The export filter flags are generated from the ``Filters`` field table, and are parsed by the
same ``Filters.from_params`` as a dashboard URL, so a flag and a URL parameter mean the same.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from dashboard.filters import Filters, Flag, ViewOption, cli_flag, params_from_mapping
from etl.commands.flags import add_store_flag
from etl.store import StoreError, atomic_write_bytes, load_snapshot

EXAMPLES = """\
examples:
  claimboard export --out vllm.svg --metric throughput --baseline vLLM --size 7..70 --gpus ..8
  claimboard export --out claims.csv --url "http://127.0.0.1:8050/?metric=latency&systems=1"
  claimboard export --out compare.png --tab side --papers 2401.00001 --papers 2401.00002

Ranges are LO..HI with either side optional (--gpus ..8 is "at most 8 GPUs").
Flags override the same parameter taken from --url. Provenance (filter, snapshot run id,
extractor version) is embedded in png/svg/html; pdf and csv get FILE.meta.json beside them.
Files are written to a temporary name and renamed into place (an earlier export is never left
half-written); a symlink as --out (or its sidecar) is refused unless --force, which replaces the
link itself. A filter that matches no claim writes nothing and exits 1 unless --allow-empty.
"""


def add_filter_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per Filters field, from its kind and help text."""
    group = parser.add_argument_group("filters (the same as the dashboard URL parameters)")
    for f in dataclasses.fields(Filters):
        kind, help_text = f.metadata["kind"], f.metadata["help"]
        options: dict = {"dest": f"filter_{f.name}", "help": help_text}
        if isinstance(kind, Flag):
            options["action"] = "store_true"
        elif isinstance(kind, ViewOption) and kind.choices:
            options |= {"choices": kind.choices, "help": f"{help_text} (default: {kind.default})"}
        else:
            options |= {"metavar": f.metadata["metavar"] or "VALUE", "action": "append" if kind.multiple else "store"}
        group.add_argument(cli_flag(f), **options)


def filters_from_args(args: argparse.Namespace) -> tuple[Filters, list[str]]:
    """--url first, then the flags (a flag replaces that parameter from the URL); and what was ignored."""
    from_url, ignored = Filters.from_query(args.url) if args.url else (Filters(), [])
    flagged = {}
    for f in dataclasses.fields(Filters):
        value = getattr(args, f"filter_{f.name}")
        if value not in (None, False):
            flagged[f.name] = "1" if value is True else value
    kept = [(key, value) for key, value in from_url.to_params() if key not in flagged]
    filters, flag_ignored = Filters.from_params(kept + params_from_mapping(flagged))
    return filters, ignored + flag_ignored


def configure(parser: argparse.ArgumentParser) -> None:
    from dashboard.export import FORMATS

    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="file to write")
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from the --out suffix)")
    parser.add_argument("--url", metavar="URL", help="a dashboard URL (or just its ?query) whose view to export")
    parser.add_argument("--force", action="store_true",
                        help="replace a symlink at --out (the link itself, never the file it points to)")
    parser.add_argument("--allow-empty", action="store_true", help="write the export even when no claim matches")
    add_store_flag(parser)
    add_filter_flags(parser)
    parser.epilog = EXAMPLES


def run(args: argparse.Namespace) -> int:
    from dashboard import export, views
    from dashboard.data import Board

    fmt = args.format or args.out.suffix.lstrip(".").lower()
    if fmt not in export.FORMATS:
        print(f"claimboard export: cannot tell the format of {args.out}; pass --format {{{','.join(export.FORMATS)}}}",
              file=sys.stderr)
        return 2
    filters, ignored = filters_from_args(args)
    if ignored:
        print("claimboard export: " + "; ".join(ignored), file=sys.stderr)
        return 2
    try:
        snapshot = load_snapshot(args.store)
    except StoreError as err:
        print(f"claimboard export: {err}", file=sys.stderr)
        return 1
    if snapshot is None:
        print(f"claimboard export: no snapshot in {args.store}; run `claimboard etl` first", file=sys.stderr)
        return 1
    board = Board.from_snapshot(args.store, snapshot)
    view = views.build_view(board, filters, static=True)
    if view.rows.height == 0 and not args.allow_empty:
        print(f"claimboard export: no claim matches {filters.describe()!r} in snapshot {board.run_id}; nothing "
              "written (pass --allow-empty to export an empty view)", file=sys.stderr)
        return 1
    meta = export.provenance(board, filters, url=args.url)
    targets = [args.out.parent / name for name in export.output_names(fmt, args.out.name)]
    links = [str(path) for path in targets if path.is_symlink()]
    if links and not args.force:
        print(f"claimboard export: {', '.join(links)} is a symlink; refused (pass --force to replace the link "
              "itself with the export)", file=sys.stderr)
        return 1
    try:
        files = export.export_files(view, fmt, args.out.name, meta)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        replaced = {}
        for name, body in files.items():
            path = args.out.parent / name
            replaced[name] = "symlink" if path.is_symlink() else "file" if path.exists() else None
            atomic_write_bytes(path, body)  # temp sibling + rename: a failed write leaves the old file whole
    except (export.ExportError, OSError) as err:
        print(f"claimboard export: {err}", file=sys.stderr)
        return 1
    print(f"{filters.describe()} — {views.counts_line(view.rows)}, snapshot {board.run_id}")
    for name, body in files.items():
        was = f"; replaced the existing {replaced[name]}" if replaced[name] else ""
        print(f"wrote {args.out.parent / name} ({len(body):,} bytes{was})")
    return 0
