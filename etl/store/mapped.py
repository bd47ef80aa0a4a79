"""The dashboard's read model: memory-mappable Arrow IPC files written with each snapshot.

Beside its Parquet tables a snapshot holds the two frames the dashboard serves, prepared once at
write time and stored uncompressed, so every dashboard worker maps the same file and the pages
live once, in the page cache (``pyarrow.memory_map`` + ``pyarrow.ipc`` + ``pl.from_arrow`` is
zero-copy; Polars' own ``read_ipc`` copies the whole file into the process)::

    snapshots/<run_id>/view-claims.arrow   every claims column (new ones flow through), the paper's
                                           CLAIM_PAPER_COLUMNS copied on, ``paper_no``, the
                                           lower-case search text ``haystack`` and the claims
                                           table's sort ranks (``RANK_COLUMNS``)
    snapshots/<run_id>/view-papers.arrow   PAPER_COLUMNS + FACT_COLUMNS (no abstracts) and the
                                           compare box's lower-case ``search`` text

Strings are stored as Arrow ``string_view`` (Polars' own string layout, so importing them copies
nothing, where ``large_string`` would make Polars build 16 bytes of views per row and a
dictionary would become a ``Categorical``: private memory per worker and another dtype for the
views). The files are written in slices (``SLICE_ROWS``) so the writer never holds a whole
joined copy; all columns of a file share the same chunks, so a ``select`` never realigns them.

The files are written inside the snapshot's temporary directory and published with it by one
rename, so a reader never sees a torn file; pruning a snapshot removes them with it. A snapshot
written before them (or by another ``VIEW_VERSION``) has none: ``read_views`` returns None and the
reader builds the same frames from Parquet with ``claims_view`` / ``papers_view``;
``add_views`` writes them for an existing snapshot (atomically, file by file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

from etl.store.atomic import atomic_write, fsync_path

#: bumped whenever what the view files hold changes: older files are then ignored (Parquet fallback)
VIEW_VERSION = 5  # 5: a rank per sort key; 4: title_rank / sentence_rank; 3: hardware (list), baseline_kinds
VIEW_FILES = {"claims": "view-claims.arrow", "papers": "view-papers.arrow"}
# url / url_kind ("arxiv" | "hf" | "search") are read when the snapshot has them
PAPER_COLUMNS = ["paper_id", "title", "system", "is_systems", "published", "sources", "upvotes", "url", "url_kind"]
CLAIM_PAPER_COLUMNS = ["paper_id", "title", "system", "is_systems", "published", "url", "url_kind"]  # copied onto each claim
FACT_COLUMNS = ["paper_id", "model_sizes", "gpu_counts", "hardware", "models"]
#: the claims table's sort keys, one value per claim (a list column sorts by its largest or first
#: value; dashboard.data.DERIVED says the same) -> the column holding their dense rank (UInt32,
#: nulls stay null), computed over the whole table at write time: every reader sorts by it without
#: reading (or mapping) the texts, and no reader computes (and keeps) a rank of its own
SORT_KEYS = {
    "title": pl.col("title"),
    "metric": pl.col("metric"),
    "multiplier": pl.col("multiplier"),
    "baseline": pl.coalesce(pl.col("baseline"), pl.col("baselines").list.first()),
    "hardware": pl.col("hardware").list.first(),
    "model_size": pl.col("model_sizes").list.max(),
    "gpu_count": pl.col("gpu_counts").list.max(),
    "sentence": pl.col("sentence"),
    "warning": pl.col("warning"),
}
RANK_COLUMNS = {name: f"{name}_rank" for name in SORT_KEYS}
SEARCH_COLUMNS = ["title", "system", "sentence"]  # the claims search text, lower-cased, "\n" between
PAPER_SEARCH_COLUMNS = ["title", "system"]  # the compare box's search text, lower-cased, " " between
SLICE_ROWS = 262_144  # rows prepared and written at a time (a record batch each)
_META_KEY = b"claimboard.view"


def _search_text(frame: pl.DataFrame, columns: list[str], separator: str) -> pl.Series:
    return frame.select(pl.concat_str(columns, separator=separator, ignore_nulls=True).str.to_lowercase()).to_series()


def paper_info(papers: pl.DataFrame) -> pl.DataFrame:
    """What a claim copies from its paper, with the paper's row number (``paper_no``)."""
    return papers.select([c for c in CLAIM_PAPER_COLUMNS if c in papers.columns]).with_row_index("paper_no")


def _claims_slices(claims: pl.DataFrame, papers: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    """``claims_view`` a slice of claims at a time (the join is row-wise, ``paper_no`` global)."""
    info = paper_info(papers)
    # a title's rank among every paper's title orders (and ties) the claims' titles as their own rank would
    info = info.with_columns(pl.col("title").rank("dense").cast(pl.UInt32).alias(RANK_COLUMNS["title"]))
    claims = claims.with_columns([key.rank("dense").cast(pl.UInt32).alias(RANK_COLUMNS[name]) for name, key in SORT_KEYS.items()
                                  if name != "title" and set(key.meta.root_names()) <= set(claims.columns)])
    if claims.height and claims.select(~pl.col("paper_id").is_in(info["paper_id"].implode())).to_series().any():
        # a claim whose paper is missing still counts as its own paper (numbered over the whole table)
        claims = claims.with_columns(_own_no=pl.col("paper_id").rank("dense").cast(pl.UInt32) + papers.height)
    for part in claims.iter_slices(rows) if claims.height else [claims]:
        yield _claims_view_slice(part, info)  # built in a call: no frame of it stays in this generator


def _claims_view_slice(part: pl.DataFrame, info: pl.DataFrame) -> pl.DataFrame:
    joined = part.join(info, on="paper_id", how="left", maintain_order="left")
    if "_own_no" in joined.columns:
        joined = joined.with_columns(paper_no=pl.coalesce("paper_no", "_own_no")).drop("_own_no")
    return joined.with_columns(haystack=_search_text(joined, SEARCH_COLUMNS, "\n")).rechunk()


def claims_view(claims: pl.DataFrame, papers: pl.DataFrame, rows: int = SLICE_ROWS) -> pl.DataFrame:
    """Claims with their paper's title, system, date and systems flag, a paper number
    (``paper_no``, for fast distinct counts), the lower-case text the search box looks in
    (``haystack``) and the rank of each sort key (``RANK_COLUMNS``). Every column in one chunk: a frame whose columns are chunked differently is
    realigned (copied) by every ``select``."""
    return pl.concat(list(_claims_slices(claims, papers, rows))).rechunk()


def papers_view(papers: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Papers (``PAPER_COLUMNS``) with their facts (list columns of sizes, GPU counts and hardware)."""
    papers = papers.select([c for c in PAPER_COLUMNS if c in papers.columns])
    return papers.join(facts.select(FACT_COLUMNS), on="paper_id", how="left", maintain_order="left").rechunk()


def paper_search_text(papers: pl.DataFrame) -> pl.Series:
    """Lower-case "title system" of every paper (the compare box looks in it)."""
    return _search_text(papers, PAPER_SEARCH_COLUMNS, " ")


def _as_views(dtype: pa.DataType) -> pa.DataType:
    """``dtype`` with every (large) string as ``string_view``, inside lists and structs too."""
    if pa.types.is_large_string(dtype) or pa.types.is_string(dtype):
        return pa.string_view()
    if pa.types.is_large_list(dtype):
        return pa.large_list(dtype.value_field.with_type(_as_views(dtype.value_type)))
    if pa.types.is_list(dtype):
        return pa.list_(dtype.value_field.with_type(_as_views(dtype.value_type)))
    if pa.types.is_struct(dtype):
        return pa.struct([f.with_type(_as_views(f.type)) for f in dtype])
    return dtype


def _compact_arrow(frame: pl.DataFrame) -> pa.Table:
    """The frame as Arrow with strings as compact ``string_view``, taking the frame's columns out
    of it one by one (it is left empty), so a slice exists about once, not as Polars and Arrow
    copies side by side. Exported as ``large_string`` first: a Polars string column's views may
    point into buffers much larger than the slice (a gathered or joined column shares its source's
    buffers), which a view export would write whole for every batch; then cast, which keeps the
    compact data buffers and adds the views."""
    columns = {}
    for name in frame.columns:
        exported = frame.drop_in_place(name).to_arrow(compat_level=pl.CompatLevel.oldest())
        # a slice's list column still points into the whole column's values: concatenated, it is compact
        array = pa.concat_arrays(exported.chunks) if isinstance(exported, pa.ChunkedArray) else pa.concat_arrays([exported])
        del exported
        columns[name] = array.cast(_as_views(array.type))
    return pa.table(columns)


def _write_batches(path: Path, frames: Iterator[pl.DataFrame], kind: str) -> None:
    writer = None
    try:
        for frame in frames:
            table = _compact_arrow(frame)  # empties the frame
            if writer is None:
                meta = {_META_KEY: json.dumps({"version": VIEW_VERSION, "kind": kind}).encode()}
                writer = ipc.new_file(str(path), table.schema.with_metadata(meta))  # uncompressed
            for batch in table.to_batches():
                writer.write_batch(batch)
            del table
    finally:
        if writer is not None:
            writer.close()


#: the columns without which no view can be built (a snapshot of other tables gets no view files)
VIEW_NEEDS = {"papers": {"paper_id", "title", "system"}, "claims": {"paper_id", "sentence"}, "facts": set(FACT_COLUMNS)}


def has_view_columns(tables: dict[str, pl.DataFrame]) -> bool:
    return all(needed <= set(tables[name].columns) for name, needed in VIEW_NEEDS.items())


def write_views(directory: Path, tables: dict[str, pl.DataFrame], rows: int = SLICE_ROWS) -> bool:
    """Write the view files of ``tables`` (papers, claims, facts) into ``directory``: a snapshot's
    temporary directory, published with it (``write_snapshot``), or a temporary file each
    (``add_views``). False (nothing written) when the tables lack ``VIEW_NEEDS``."""
    directory = Path(directory)
    if not has_view_columns(tables):
        return False
    papers = tables["papers"].select([c for c in PAPER_COLUMNS if c in tables["papers"].columns])
    _write_batches(directory / VIEW_FILES["claims"], _claims_slices(tables["claims"], papers, rows), "claims")
    view = papers_view(papers, tables["facts"])
    del papers
    _write_batches(directory / VIEW_FILES["papers"],
                   (part.with_columns(search=paper_search_text(part)) for part in (view.iter_slices(rows) if view.height else [view])),
                   "papers")
    return True


def add_views(snapshot: Path, tables: dict[str, pl.DataFrame], rows: int = SLICE_ROWS) -> None:
    """Write the view files into an existing (published) snapshot directory, each atomically
    (a reader sees no file or a whole one). For snapshots written before the view files."""
    snapshot = Path(snapshot)
    staging = snapshot.parent / f".{snapshot.name}.views.tmp"
    staging.mkdir(exist_ok=True)
    try:
        if not write_views(staging, tables, rows):
            raise ValueError(f"no view can be built from these tables (they need {VIEW_NEEDS})")
        for name in VIEW_FILES.values():
            atomic_write(snapshot / name, lambda tmp, name=name: os.replace(staging / name, tmp))
    finally:
        for child in staging.iterdir():
            child.unlink()
        staging.rmdir()
    fsync_path(snapshot)


def read_views(snapshot: Path, kinds: tuple[str, ...] = tuple(VIEW_FILES),
               files: dict[str, int] | None = None) -> dict[str, pl.DataFrame] | None:
    """The view frames of a snapshot directory, memory-mapped (zero-copy: the pages stay in the
    page cache, shared by every process that maps them); None when the snapshot has no view
    files of this ``VIEW_VERSION``. Raises OSError / pyarrow.ArrowInvalid on an unreadable file.

    ``kinds``: which of the files; ``files``: file descriptors (``open_views``) to map instead of
    the paths, so a file pruned meanwhile is still read. Each call maps the files anew: the pages a
    frame touches count in this process's RSS until the frame (and all that shares its buffers) is
    dropped, when the mapping goes."""
    frames = {}
    for kind in kinds:
        path = Path(snapshot) / VIEW_FILES[kind]
        if files is not None and kind in files and os.path.isdir("/proc/self/fd"):
            source = f"/proc/self/fd/{files[kind]}"
        elif path.is_file():
            source = str(path)
        else:
            return None
        reader = ipc.open_file(pa.memory_map(source, "r"))
        meta = json.loads((reader.schema.metadata or {}).get(_META_KEY, b"{}"))
        if meta.get("version") != VIEW_VERSION or meta.get("kind") != kind:
            return None
        table = reader.read_all()
        frames[kind] = pl.from_arrow(table.replace_schema_metadata(None), rechunk=False)
    return frames


def open_views(snapshot: Path) -> dict[str, int]:
    """Read-only descriptors of a snapshot's view files (for ``read_views(files=...)``); the caller closes them."""
    files: dict[str, int] = {}
    try:
        for kind, name in VIEW_FILES.items():
            files[kind] = os.open(Path(snapshot) / name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        for fd in files.values():
            os.close(fd)
        raise
    return files
