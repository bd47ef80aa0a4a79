"""Issue 15 #1: a run whose sources yield nothing (a missing path, an empty folder, a symlink loop)
or far fewer papers than the current snapshot must not publish without --allow-shrink; it fails,
is recorded with its reason, says why on stderr, and pruning never removes the current snapshot
nor the last one with papers. #3: a refresh right after an `etl` with no change publishes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.cli import main
from etl.store import current_run_id, list_snapshots, load_snapshot, prune, read_runs

NAMES = ["FlashServe", "QuickKV", "ShardLoom", "PagedPipe", "TurboBatch", "SpecRail"]


def paper(n: int) -> dict:
    name = NAMES[n]
    abstract = (
        f"We present {name}, a system for serving large language models on GPU clusters. Existing systems "
        f"waste memory on fragmented key-value caches and stall on long prompts. {name} achieves 2.{n}x "
        f"higher throughput than vLLM when serving a 70B model on 8 A100 GPUs, and reduces latency by 30% "
        f"compared to TensorRT-LLM."
    )
    return {"id": f"2611.{n:05d}", "title": f"{name}: fast LLM serving", "abstract": abstract, "published": "2026-11-20"}


def write_papers(path: Path, numbers: range) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(paper(n)) + "\n" for n in numbers), encoding="utf-8")
    return path


@pytest.fixture
def good_store(tmp_path) -> tuple[Path, Path, str]:
    """A store whose current snapshot has 6 papers from ``corpus/a.jsonl``."""
    source = write_papers(tmp_path / "corpus" / "a.jsonl", range(6))
    store = tmp_path / "store"
    assert main(["etl", "--quiet", "--source", str(source.parent), "--store", str(store)]) == 0
    return store, source.parent, current_run_id(store)


def empty_sources(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "empty").mkdir()
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    return {"missing": tmp_path / "nonexistent.jsonl", "empty folder": tmp_path / "empty", "symlink loop": loop}


@pytest.mark.parametrize("kind", ["missing", "empty folder", "symlink loop"])
def test_etl_on_sources_that_yield_nothing_fails_and_publishes_nothing(good_store, tmp_path, capsys, kind) -> None:
    store, _, good = good_store
    source = empty_sources(tmp_path)[kind]
    capsys.readouterr()
    assert main(["etl", "--quiet", "--source", str(source), "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert "ShrinkRefused" in err and "no paper" in err and "--allow-shrink" in err, err
    assert current_run_id(store) == good and list_snapshots(store) == [good]
    last = read_runs(store)[-1]
    assert last["status"] == "failed" and "ShrinkRefused" in last["error"] and last["counts"]["papers"] == 0


def test_five_empty_runs_never_prune_the_good_snapshot(good_store, tmp_path) -> None:
    store, _, good = good_store
    missing = tmp_path / "nonexistent.jsonl"
    for _ in range(5):
        assert main(["etl", "--quiet", "--source", str(missing), "--store", str(store), "--keep", "1"]) == 1
    assert current_run_id(store) == good and load_snapshot(store).papers.height == 6
    # even when explicitly allowed, the last snapshot with papers survives pruning
    for _ in range(3):
        assert main(["etl", "--quiet", "--allow-shrink", "--source", str(missing), "--store", str(store),
                     "--keep", "1"]) == 0
    assert load_snapshot(store).papers.height == 0
    assert good in list_snapshots(store) and len(list_snapshots(store)) == 2
    prune(store, 1)
    assert good in list_snapshots(store)


def test_a_run_with_fewer_than_half_the_papers_needs_allow_shrink(good_store, tmp_path, capsys) -> None:
    store, _, good = good_store
    small = write_papers(tmp_path / "small" / "b.jsonl", range(2))  # 2 of 6
    capsys.readouterr()
    assert main(["etl", "--quiet", "--source", str(small), "--store", str(store)]) == 1
    assert "fewer than 0.5 of the 6" in capsys.readouterr().err
    assert current_run_id(store) == good
    assert main(["etl", "--quiet", "--source", str(small), "--store", str(store), "--min-fraction", "0.3"]) == 0
    assert load_snapshot(store).papers.height == 2
    assert main(["etl", "--quiet", "--source", str(write_papers(tmp_path / "one.jsonl", range(1))),
                 "--store", str(store), "--allow-shrink"]) == 0
    assert load_snapshot(store).papers.height == 1


def test_refresh_of_an_emptied_folder_fails_and_keeps_the_current_snapshot(good_store, capsys) -> None:
    store, corpus, good = good_store
    (corpus / "a.jsonl").unlink()
    capsys.readouterr()
    assert main(["refresh", "--quiet", "--source", str(corpus), "--store", str(store)]) == 1
    assert "no paper" in capsys.readouterr().err
    assert current_run_id(store) == good and list_snapshots(store) == [good]
    assert read_runs(store)[-1]["status"] == "failed"
    assert main(["refresh", "--quiet", "--source", str(corpus), "--store", str(store), "--allow-shrink"]) == 0
    assert load_snapshot(store).papers.height == 0 and good in list_snapshots(store)


# ---------------------------------------------------------------------------------------------
# wiring of part 1 (#7): raw responses pruned and the run log rotated, under the store lock


def test_refresh_prunes_raw_responses_and_rotates_the_run_log_and_etl_rotates(good_store) -> None:
    store, corpus, _ = good_store
    folder = store / "raw" / "hf-daily" / "2026-11-23"
    folder.mkdir(parents=True)
    for n in range(6):
        (folder / f"20261123T0{n}0000Z.json").write_text("[]")
    (store / "raw" / "hf-daily" / "normalised.jsonl").write_text("")
    filler = json.dumps({"run_id": "x", "status": "ok", "pad": "p" * 1000}) + "\n"
    (store / "runs.jsonl").write_text(filler * 11_000)  # > 10 MiB
    assert main(["refresh", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"20261123T0{n}0000Z.json" for n in (3, 4, 5)]
    assert (store / "raw" / "hf-daily" / "normalised.jsonl").exists()
    assert (store / "runs.1.jsonl").exists() and (store / "runs.jsonl").stat().st_size < 1_000_000
    assert read_runs(store)[-1]["status"] in ("ok", "unchanged")
    (store / "runs.jsonl").write_text(filler * 11_000)
    assert main(["etl", "--quiet", "--source", str(corpus), "--store", str(store)]) == 0
    assert (store / "runs.jsonl").stat().st_size < 1_000_000 and read_runs(store)[-1]["status"] == "ok"
