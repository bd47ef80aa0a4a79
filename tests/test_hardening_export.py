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


# ---------------------------------------------------------------------------------------------
# 11. export --out: atomic, no write through a symlink, replacing said, empty refused


def test_export_refuses_a_symlink_target_unless_force_and_never_writes_through(formula_store, tmp_path, capsys) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "claims.csv"
    out.symlink_to(victim)
    assert main(["export", "--out", str(out), "--store", str(formula_store)]) == 1
    assert "is a symlink; refused" in capsys.readouterr().err
    assert victim.read_text() == "precious\n" and out.is_symlink()
    sidecar = tmp_path / "claims.csv.meta.json"  # the sidecar is checked too
    out.unlink()
    sidecar.symlink_to(victim)
    assert main(["export", "--out", str(out), "--store", str(formula_store)]) == 1
    assert victim.read_text() == "precious\n" and not out.exists()
    assert main(["export", "--out", str(out), "--store", str(formula_store), "--force"]) == 0
    assert "replaced the existing symlink" in capsys.readouterr().out
    assert victim.read_text() == "precious\n"  # the link itself was replaced, not its target
    assert not sidecar.is_symlink() and json.loads(sidecar.read_text())["snapshot_run_id"] == NEW_RUN
    assert not out.is_symlink() and read_csv(out)


def test_export_says_when_it_replaces_a_file(formula_store, tmp_path, capsys) -> None:
    out = tmp_path / "claims.csv"
    assert main(["export", "--out", str(out), "--store", str(formula_store)]) == 0
    assert "replaced" not in capsys.readouterr().out
    assert main(["export", "--out", str(out), "--store", str(formula_store)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (" in printed and "replaced the existing file" in printed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_an_export_that_fails_on_a_full_disk_leaves_the_earlier_export_whole(formula_store, tmp_path) -> None:
    import resource
    import signal
    import subprocess
    import sys

    out = tmp_path / "claims.csv"
    assert main(["export", "--out", str(out), "--store", str(formula_store)]) == 0
    good = out.read_bytes()
    assert len(good) > 2000

    def small_disk() -> None:  # a write past 1000 bytes fails with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from etl.cli import main; sys.exit(main(sys.argv[1:]))",
         "export", "--out", str(out), "--store", str(formula_store), "--metric", "throughput"],
        preexec_fn=small_disk, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert out.read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_export_matching_no_claim_says_so_and_exits_1_unless_allow_empty(formula_store, tmp_path, capsys) -> None:
    out = tmp_path / "none.csv"
    args = ["export", "--out", str(out), "--store", str(formula_store), "--baseline", "NoSuchBaseline"]
    assert main(args) == 1
    assert "no claim matches" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--allow-empty"]) == 0 and out.exists()


def test_the_review_sheet_uses_the_same_rule_and_round_trips() -> None:
    from etl.review.sheet import safe_cell, unsafe_cell
    from etl.store import restore_cell

    for text in ["=1+1", " =1+1", "\t=x", "\r@y", "-2x", "\uff1dx", "a=b", "'quoted", "plain"]:
        assert safe_cell(text) == neutralise_cell(text)
        assert unsafe_cell(safe_cell(text)) == text and restore_cell(neutralise_cell(text)) == text
