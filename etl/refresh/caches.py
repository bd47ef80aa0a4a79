"""The refresh caches under ``<store>/cache/`` (safe to delete): the stat cache, parsed sources and
extractions. Each hook has the signature of the pipeline step it stands in for."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from etl import extract, ingest
from etl.pipeline import ExtractFn
from etl.refresh.hashing import EXTRACT_CODE, code_digest
from etl.store.atomic import atomic_replace_dir, atomic_write, temp_sibling

CACHE_DIR = "cache"
STAT_CACHE = "stat.json"
SOURCE_CACHE = "sources"


def read_json(path: Path) -> dict | None:
    """A JSON object from disk, or None when it is missing or damaged (caches are only hints)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_cache_file(path: Path, write: Callable[[Path], None]) -> None:
    """``atomic_write``, but a cache that cannot be written only costs time next run: errors are dropped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
    except (OSError, pl.exceptions.PolarsError):  # Polars wraps a full disk's EFBIG/ENOSPC
        pass




@dataclass
class CachedReader:
    """``read_source`` for ingest: a file whose bytes and ingest code are unchanged is not parsed again.

    An entry is ``<root>/<key>/`` with records.parquet, quarantine.parquet and read.json; the key
    covers the path too, because records carry their source path.
    """

    root: Path
    sha256: Mapping[str, str]
    ingest_code: str
    read_source: Callable[[Path], ingest.SourceRead] = ingest.read_source
    reuse: bool = True  # False: parse every file (a full `etl`), still saving what it parsed
    reused: list[str] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)
    used_keys: set[str] = field(default_factory=set)

    def __call__(self, path: Path) -> ingest.SourceRead:
        sha = self.sha256.get(str(path))
        if self.reuse and sha is not None and (cached := self._load(path, sha)) is not None:
            self.reused.append(str(path))
            return cached
        fresh = self.read_source(path)
        self.parsed.append(str(path))
        if fresh.sha256 is not None:
            self._save(fresh)
        return fresh

    def key(self, path: Path, sha: str) -> str:
        return hashlib.sha256(f"{path}\0{sha}\0{self.ingest_code}".encode()).hexdigest()[:32]

    def prune(self) -> None:
        """Drop entries this run did not use: files since changed or no longer sources."""
        for entry in self.root.glob("*") if self.root.is_dir() else ():
            if entry.name not in self.used_keys:
                shutil.rmtree(entry, ignore_errors=True)

    def _load(self, path: Path, sha: str) -> ingest.SourceRead | None:
        key = self.key(path, sha)
        entry = self.root / key
        meta = read_json(entry / "read.json")
        if meta is None:
            return None
        try:
            records = pl.read_parquet(entry / "records.parquet")
            quarantine = pl.read_parquet(entry / "quarantine.parquet")
        except (OSError, pl.exceptions.PolarsError):
            return None
        self.used_keys.add(key)
        return ingest.SourceRead(path, records, quarantine, **meta)

    def _save(self, read: ingest.SourceRead) -> None:
        key = self.key(read.path, read.sha256)
        entry = self.root / key
        tmp = temp_sibling(entry)
        meta = {"error": read.error, "format": read.format, "sha256": read.sha256, "encoding": read.encoding}
        try:
            tmp.mkdir(parents=True)
            read.records.write_parquet(tmp / "records.parquet")
            read.quarantine.write_parquet(tmp / "quarantine.parquet")
            (tmp / "read.json").write_text(json.dumps(meta), encoding="utf-8")
            atomic_replace_dir(tmp, entry)
            self.used_keys.add(key)
        except (OSError, pl.exceptions.PolarsError):  # as in write_cache_file
            shutil.rmtree(tmp, ignore_errors=True)


CLAIM_FIELDS = [name for name in extract.CLAIM_SCHEMA if name != "paper_id"]
FACT_FIELDS = [name for name in extract.FACT_SCHEMA if name != "paper_id"]


@dataclass
class CachedExtractor:
    """``extract_fn`` for the pipeline: only abstracts this extractor has not seen are extracted.

    The cache is one Parquet file, one row per content hash (title + abstract): the facts, and the
    claims as a list. One file means one atomic rename, so facts and claims never disagree. It is
    rewritten with exactly the current papers' rows, so withdrawn papers leave it.
    """

    path: Path
    extract_fn: ExtractFn = extract.extract_all
    reuse: bool = True  # False: extract every abstract (a full `etl`), still writing the cache
    reused: int = 0
    extracted: int = 0

    def __call__(self, papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        keys = papers.select("paper_id", "content_hash")
        cached = (self._load() if self.reuse else self._empty()).join(keys, on="content_hash", how="semi")
        # extraction uses paper_id only as a row key: keyed by content hash, its rows are reusable
        # as they are. Only the columns it reads are carried, and the cached rows are left out by a
        # filter: an anti join copies every text it keeps (1.2 GB of abstracts in a full run at 1M)
        texts = papers.select(pl.col("content_hash").alias("paper_id"), "title", "abstract")
        seen = pl.col("paper_id").is_in(cached["content_hash"].implode()).fill_null(False)
        todo = texts.filter(~seen).unique("paper_id", maintain_order=True)
        self.reused, self.extracted = cached.height, todo.height
        packed = pack_extraction(*self.extract_fn(todo))  # the extracted frames are dropped once packed
        del texts, todo
        rows = pl.concat([cached, packed])
        del packed
        write_cache_file(self.path, rows.write_parquet)
        for stale in self.path.parent.glob("extract-*.parquet"):
            if stale != self.path:
                stale.unlink(missing_ok=True)
        return unpack_extraction(rows, keys)

    def _load(self) -> pl.DataFrame:
        try:
            return pl.read_parquet(self.path)
        except (OSError, pl.exceptions.PolarsError):
            return self._empty()

    @staticmethod
    def _empty() -> pl.DataFrame:
        return pack_extraction(pl.DataFrame(schema=extract.CLAIM_SCHEMA), pl.DataFrame(schema=extract.FACT_SCHEMA))


def pack_extraction(claims: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Claims and facts keyed by content hash (in ``paper_id``) -> one row per content hash."""
    nested = claims.group_by("paper_id", maintain_order=True).agg(claims=pl.struct(CLAIM_FIELDS))
    return (
        facts.join(nested, on="paper_id", how="left", maintain_order="left")
        .rename({"paper_id": "content_hash"})
        .with_columns(pl.col("claims").cast(pl.List(pl.Struct({n: extract.CLAIM_SCHEMA[n] for n in CLAIM_FIELDS}))))
    )


def unpack_extraction(rows: pl.DataFrame, keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cache rows -> (claims, facts) for the papers in ``keys`` (paper_id, content_hash), in their order."""
    joined = keys.join(rows, on="content_hash", how="inner", maintain_order="left")
    facts = joined.select("paper_id", *FACT_FIELDS)
    claims = joined.select("paper_id", "claims").explode("claims").drop_nulls("claims").unnest("claims")
    return claims.select(list(extract.CLAIM_SCHEMA)), facts


def extraction_cache_path(store: Path) -> Path:
    return Path(store) / CACHE_DIR / f"extract-{extract.EXTRACTOR_VERSION}-{code_digest(EXTRACT_CODE)[:12]}.parquet"
