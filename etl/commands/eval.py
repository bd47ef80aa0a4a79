"""`claimboard eval`: score extraction against a gold JSONL (precision/recall/F1)."""

from __future__ import annotations

import argparse
import json
import sys

from etl.evaluate import Accuracy, Report, Score, evaluate, load_jsonl, predict, select_subset

EPILOG = """\
examples:
  claimboard eval --gold tests/fixtures/gold_dev.jsonl
  claimboard eval --gold gold.jsonl --pred extracted.jsonl --json
  claimboard eval --gold gold.jsonl --errors 20 --subset holdout

without --pred the extractor runs on the gold's own title + abstract.
--subset tune|holdout splits papers by a hash of their id (70/30) to check for overfitting.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Score claim and fact extraction against a gold JSONL (precision/recall/F1)."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--gold", required=True, metavar="GOLD.jsonl", help="gold annotations (GUIDE.md format)")
    parser.add_argument("--pred", metavar="PRED.jsonl", help="predictions from `claimboard extract` (default: run it)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="print the first N errors")
    parser.add_argument("--subset", choices=("all", "tune", "holdout"), default="all", help="papers to score")


def print_table(report: Report, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("measure", "value", "detail"):
        table.add_column(col, justify="left" if col != "value" else "right")
    c = report.claims
    table.add_row("claims P / R / F1", f"{c.f1:.3f}", f"P {c.precision:.3f}  R {c.recall:.3f}  (tp {c.tp} fp {c.fp} fn {c.fn})")
    for name in ("metric", "baseline", "multiplier", "is_systems", "system"):
        a: Accuracy = getattr(report, name)
        table.add_row(f"{name} accuracy", f"{a.value:.3f}", f"{a.right}/{a.total}")
    for name in ("model_sizes", "gpu_counts", "hardware"):
        s: Score = getattr(report, name)
        table.add_row(f"{name} set-F1", f"{s.f1:.3f}", f"P {s.precision:.3f}  R {s.recall:.3f}")
    for name in ("model_sizes", "gpu_counts", "hardware"):
        s = getattr(report, f"claim_{name}")
        table.add_row(f"claim {name} F1", f"{s.f1:.3f}", f"P {s.precision:.3f}  R {s.recall:.3f}  (tp {s.tp} fp {s.fp} fn {s.fn})")
    a = report.setting
    table.add_row("claim setting accuracy", f"{a.value:.3f}", f"{a.right}/{a.total} matched claims, all three fields right")
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    try:
        gold = select_subset(load_jsonl(args.gold), args.subset)
        pred = load_jsonl(args.pred) if args.pred else predict(gold)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"claimboard eval: {exc}", file=sys.stderr)
        return 2
    report = evaluate(gold, pred)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print_table(report, f"{args.gold} ({args.subset}: {report.papers} papers)")
    for line in report.errors[: args.errors]:
        print(line, file=sys.stderr if args.json else sys.stdout)
    return 0
