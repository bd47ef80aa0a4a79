"""Issue 15 #10 (spreadsheet formulas in every CSV) and #11 (`export --out` written atomically,
no write through a symlink without --force, a replaced file said so, an empty export refused)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import polars as pl
import pytest
from support.stores import NEW_RUN, handmade_tables, manifest_for

from etl.cli import main
from etl.store import neutralise_cell, neutralise_formulas, publish, write_snapshot

FORMULAS = {
    "2401.00001": ("=HYPERLINK(\"http://evil.example\",\"click\")", "=cmd|' /C calc'!A0"),
    "2401.00002": ("\t=1+1 tabbed", "+SUM(A1:A9)"),
    "2401.00004": ("\r@evil carriage return", "-2+3"),
}


@pytest.fixture(scope="module")
def formula_store(tmp_path_factory) -> Path:
    """The hand-made snapshot with formula titles and system names."""
    store = tmp_path_factory.mktemp("formulas") / "store"
    tables = handmade_tables(NEW_RUN)
    title = pl.col("paper_id").replace_strict({k: v[0] for k, v in FORMULAS.items()}, default=pl.col("title"))
    system = pl.col("paper_id").replace_strict({k: v[1] for k, v in FORMULAS.items()}, default=pl.col("system"))
    tables["papers"] = tables["papers"].with_columns(title=title, system=system)
    write_snapshot(store, NEW_RUN, tables, manifest_for(NEW_RUN, tables))
    publish(store, NEW_RUN)
    return store


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_cli_csv_export_neutralises_formula_cells_and_keeps_numbers(formula_store, tmp_path) -> None:
    out = tmp_path / "claims.csv"
    assert main(["export", "--out", str(out), "--store", str(formula_store)]) == 0
    rows = read_csv(out)
    by_paper = {r["paper_id"]: r for r in rows}
    for paper_id, (title, system) in FORMULAS.items():
        assert by_paper[paper_id]["title"] == "'" + title  # readable, one quote in front
        assert by_paper[paper_id]["system"] == "'" + system
    for row in rows:
        for value in row.values():
            assert not value.lstrip(" \t\r\n").startswith(("=", "+", "@")) and not value.startswith(("\t", "\r"))
            if value.startswith("-"):  # only numbers may start with a minus
                float(value)
    assert any(float(r["multiplier"]) < 1 for r in rows)  # numeric cells are still numbers


def test_dashboard_csv_download_neutralises_formula_cells(formula_store) -> None:
    from dashboard import export, views
    from dashboard.data import Board
    from dashboard.filters import Filters
    from etl.store import load_snapshot

    board = Board.from_snapshot(formula_store, load_snapshot(formula_store))
    view = views.build_view(board, Filters(), static=True)
    body = export.export_files(view, "csv", "x.csv", export.provenance(board, Filters()))["x.csv"]
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert {r["title"] for r in rows} >= {"'" + t for t, _ in FORMULAS.values()}


def test_neutralise_only_text_cells() -> None:
    frame = pl.DataFrame({"t": ["=1", " =1", "-x", "@a", "\tx", "\rx", "a=b", None, "\uff1dx"], "n": [-3.5] * 9})
    out = neutralise_formulas(frame)
    assert out["t"].to_list() == ["'=1", "' =1", "'-x", "'@a", "'\tx", "'\rx", "a=b", None, "'\uff1dx"]
    assert out["n"].to_list() == [-3.5] * 9 and out.schema["n"] == pl.Float64
    assert neutralise_cell(-3.5) == -3.5 and neutralise_cell("=1") == "'=1"
