"""bench/corpus.py: deterministic synthetic corpora that ingest and extract."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import parse_size, write_corpus  # noqa: E402
from etl import extract, ingest  # noqa: E402


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    write_corpus(300, tmp_path / "a", seed=3)
    write_corpus(300, tmp_path / "b", seed=3)
    write_corpus(300, tmp_path / "c", seed=4)
    a = _bytes(tmp_path / "a")
    assert a == _bytes(tmp_path / "b")
    assert a != _bytes(tmp_path / "c")
    assert {name.rsplit(".", 1)[1] for name in a} == {"jsonl", "txt"}  # both formats ingest reads


def test_output_ingests_and_extracts(tmp_path):
    write_corpus(400, tmp_path / "corpus", seed=1)
    result = ingest.ingest([tmp_path / "corpus"])
    assert not result.errors
    assert 300 <= result.papers.height <= 400  # a few duplicates merged, a few too short ones quarantined
    assert result.quarantine.height < 40
    claims, facts = extract.extract_claims(result.papers), extract.extract_facts(result.papers)
    assert facts.height == result.papers.height
    assert claims.height > 50
    assert facts["model_sizes"].list.len().sum() > 0 and facts["hardware_raw"].list.len().sum() > 0


def test_parse_size():
    assert (parse_size("10k"), parse_size("1M"), parse_size("2500")) == (10_000, 1_000_000, 2500)
