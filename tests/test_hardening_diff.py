"""Issue 15 #13: ``claimboard diff --store FILE`` printed a traceback (StoreError from reading
``FILE/current`` escaped run_diff). It must say what is wrong and exit 1."""

from __future__ import annotations

import pytest

from etl.cli import main
from etl.store.diff import check_store


def test_check_store_refuses_a_file_with_a_plain_message(tmp_path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("not a store\n")
    with pytest.raises(ValueError, match=r"claims\.csv: not a store \(a file, not a folder\)"):
        check_store(path)
    check_store(tmp_path)  # a folder passes
    check_store(tmp_path / "missing")  # left to "need two snapshots"


def test_diff_store_that_is_a_file_exits_1_without_a_traceback(tmp_path, capsys) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("not a store\n")
    assert main(["diff", "--store", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("diff: ") and "not a store" in err and "Traceback" not in err
