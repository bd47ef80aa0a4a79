"""bench/baseline.py and bench/extract_bench.py: old code beside new, and the identity check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baseline import baseline_tree  # noqa: E402
from bench.extract_bench import first_difference  # noqa: E402


def test_a_baseline_tree_holds_the_refs_files(monkeypatch, tmp_path):
    import bench.baseline

    monkeypatch.setattr(bench.baseline, "CACHE", tmp_path / "cache")
    tree = baseline_tree("HEAD")
    committed = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:etl/extract/__init__.py"],
                               capture_output=True, text=True, check=True).stdout
    assert (tree / "etl" / "extract" / "__init__.py").read_text() == committed
    assert baseline_tree("HEAD") == tree  # unpacked once, then reused


def test_an_unknown_ref_is_named():
    with pytest.raises(SystemExit, match="no-such-ref"):
        baseline_tree("no-such-ref")


def test_the_first_difference_names_column_and_row():
    old = pl.DataFrame({"paper_id": ["a", "b", "c"], "high": [2.0, 3.0, 4.0]})
    assert first_difference("gold claims", old, old.clone()) is None
    new = old.with_columns(high=pl.Series([2.0, 3.5, 4.0]))
    assert first_difference("gold claims", new, old) == "gold claims: column 'high' differs first at row 1: 3.0 -> 3.5"
    assert "height" in first_difference("gold claims", new.head(2), old)
