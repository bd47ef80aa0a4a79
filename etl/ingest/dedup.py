"""Duplicate merging: records of one paper (same normalised title, same arXiv id, or near-identical
titles whose abstracts open alike; ``[dedup]`` in ``rules/ingest.toml``) folded into one row.

Candidate pairs come from blocks of titles sharing their first or last characters, a cheap bound
on the edit distance (``_KeyProfile``) drops most before rapidfuzz scores the rest, and a
union-find joins the confirmed pairs into papers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
from rapidfuzz import fuzz, process

from etl.frames import take
from etl.ingest.records import TITLE_HASH, content_hash_expr, normalised_title, paper_id_expr, url_rank, with_links
from etl.ingest.rules import PAPER_SCHEMA, RULES


def merge_duplicates(records: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """One row per paper, and how many records were folded into another.

    Records are one paper when their titles match after normalisation (spaces ignored, so
    "Auto-regressive" == "Autoregressive"), when they share an arXiv id, or when their titles are
    near-identical (``near_duplicate_pairs``) and their abstracts open alike. The merged row keeps
    the title first seen in the biggest title variant, the longest abstract, the earliest date, the largest authors and
    upvote counts, and every source. Idempotent: merging papers again merges nothing.

    The grouping runs on narrow columns (row numbers, key numbers, lengths, metadata): each group
    names the rows its texts come from, and those are taken once at the end, so the abstracts -
    nearly all the bytes - are never copied.
    """
    if records.is_empty():
        return pl.DataFrame(schema=PAPER_SCHEMA), 0
    if "url" not in records.columns:  # records made before links were kept
        records = records.with_columns(url=pl.lit(None, pl.Utf8))
    frame = records.with_row_index("row").select(
        "row",
        "published",
        "authors_count",
        "upvotes",
        "sources",
        "url",
        url_rank=url_rank(pl.col("url")),
        key=normalised_title(pl.col("title")).str.replace_all(" ", ""),
        arxiv_id=pl.when(~pl.col("paper_id").str.contains(TITLE_HASH)).then(pl.col("paper_id")),
        abstract_chars=pl.col("abstract").str.len_chars(),
    )
    frame = _group_keys(frame, records)
    row = pl.col("row")
    groups = frame.group_by("group", maintain_order=True).agg(
        first_row=row.first(),
        title_row=row.filter("is_canonical").first(),
        abstract_row=row.sort_by("abstract_chars", descending=True, maintain_order=True).first(),  # the longest
        published=pl.col("published").min(),
        authors_count=pl.col("authors_count").max(),
        upvotes=pl.col("upvotes").max(),
        arxiv_id=pl.col("arxiv_id").min(),
        url=pl.col("url").sort_by("url_rank").first(),
        sources=pl.col("sources").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
        records=pl.len(),
    )
    del frame
    papers = groups.hstack(
        [
            *take(records, groups["first_row"], "paper_id", "content_hash"),
            *take(records, groups["title_row"], "title"),
            *take(records, groups["abstract_row"], "abstract"),
        ]
    )
    merged_rows = (papers["records"] > 1).arg_true()
    recomputed = papers[merged_rows].select(
        paper_id=paper_id_expr(pl.col("title"), pl.col("arxiv_id")),
        content_hash=content_hash_expr(pl.col("title"), pl.col("abstract")),
    )
    papers = papers.with_columns(
        papers[name].scatter(merged_rows, recomputed[name]) for name in recomputed.columns
    )
    return with_links(papers).select(list(PAPER_SCHEMA)).cast(PAPER_SCHEMA), records.height - papers.height


def _group_keys(frame: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with each title ``key`` replaced by its number (keys in order of first sight), plus
    ``group``, the number of the key its paper goes by (``_canonical_keys``), and ``is_canonical``."""
    keys = frame.group_by("key", maintain_order=True).agg("row")  # rows ascending
    key = np.empty(frame.height, np.int64)
    key[keys["row"].explode().to_numpy()] = np.repeat(np.arange(keys.height), keys["row"].list.len().to_numpy())
    keys = keys.select("key", first_row=pl.col("row").list.first(), count=pl.col("row").list.len())
    frame = frame.with_columns(key=pl.Series(key))
    group = _canonical_keys(keys, frame, records)[key]
    return frame.with_columns(group=pl.Series(group), is_canonical=pl.Series(group == key))


#: candidate pairs scored per round; pairs whose keys an earlier round already joined are skipped
MERGE_BATCH = 1 << 16

#: candidate pairs made and sifted (``_KeyProfile.may_match``) at a time: at 1M papers there are
#: tens of millions, of which about a million are worth scoring
PAIR_BATCH = 1 << 20


def _canonical_keys(keys: pl.DataFrame, frame: pl.DataFrame, records: pl.DataFrame) -> np.ndarray:
    """Per key (row of ``keys``), the key of its connected component seen most often (then first).

    The edges: keys carrying the same arXiv id (``frame``: key and arxiv_id per record), and
    near-identical keys (``near_duplicate_pairs``) whose abstracts open alike (``abstract_cutoff``:
    one edit apart, "... for Video" / "... for Vision" are different papers, and their abstracts
    say so); a key's abstract is the one of its first row in ``records``. Candidate pairs are
    scored in rounds, and a pair whose keys are already in one component is not scored at all: it
    could not change the components, and near-duplicates come in clusters.
    """
    components = _Components(keys.height)
    components.union(*_shared_arxiv_pairs(frame))
    first, second = _possible_pairs(keys["key"])
    first_rows, counts = keys["first_row"].to_numpy(), keys["count"].to_numpy().astype(np.int64)
    numbers = _number_ids(keys["key"]) if RULES.require_equal_numbers else None

    def heads(used: np.ndarray) -> pl.Series:
        abstracts = take(records, pl.Series(first_rows[used]), "abstract")["abstract"]
        return abstracts.str.head(RULES.abstract_prefix_chars)

    for start in range(0, len(first), MERGE_BATCH):
        a, b = first[start : start + MERGE_BATCH], second[start : start + MERGE_BATCH]
        apart = components.roots(a) != components.roots(b)
        a, b = _near_identical(a[apart], b[apart], keys, numbers)
        alike = _similar(a, b, heads, RULES.abstract_cutoff)
        components.union(a[alike], b[alike])
    chosen = np.arange(keys.height)
    members = np.flatnonzero(components.involved)
    if len(members) == 0:
        return chosen
    roots = components.roots(members)
    order = np.lexsort((first_rows[members], -counts[members], roots))  # by component, the best key first
    members, roots = members[order], roots[order]
    starts = np.flatnonzero(np.r_[True, roots[1:] != roots[:-1]])
    chosen[members] = np.repeat(members[starts], np.diff(np.r_[starts, len(members)]))
    return chosen


def _shared_arxiv_pairs(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of key numbers carrying the same arXiv id (a title revised between versions)."""
    shared = (
        frame.filter(pl.col("arxiv_id").is_not_null())
        .group_by("arxiv_id")
        .agg(pl.col("key").unique(maintain_order=True))
        .filter(pl.col("key").list.len() > 1)
        .select(first=pl.col("key").list.first(), other=pl.col("key").list.slice(1))
        .explode("other")
    )
    return shared["first"].to_numpy(), shared["other"].to_numpy()


def _near_identical(
    a: np.ndarray, b: np.ndarray, keys: pl.DataFrame, numbers: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``keys`` rows whose keys score at least ``fuzzy_cutoff`` (and state the same numbers)."""
    hits = _similar(a, b, lambda used: take(keys, pl.Series(used), "key")["key"], RULES.fuzzy_cutoff)
    a, b = a[hits], b[hits]
    if numbers is not None:
        same = numbers[a] == numbers[b]
        a, b = a[same], b[same]
    return a, b


def _similar(a: np.ndarray, b: np.ndarray, texts: Callable[[np.ndarray], pl.Series], cutoff: float) -> np.ndarray:
    """Which pairs score at least ``cutoff`` on fuzz.ratio. ``texts(rows)`` gives the strings of
    the rows a pair names: only those become Python strings, each once."""
    if len(a) == 0:
        return np.zeros(0, bool)
    used, where = np.unique(np.concatenate([a, b]), return_inverse=True)
    values = _object_array(texts(used))
    scores = process.cpdist(
        values[where[: len(a)]], values[where[len(a) :]],
        scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=_workers(len(a)),
    )
    return scores > 0


def near_duplicate_pairs(keys: pl.Series) -> set[tuple[str, str]]:
    """Pairs of distinct spaceless title keys that are near-identical, found within blocks.

    Keys sharing their first ``block_chars`` characters form a block, and so do keys sharing their
    last ones, so a typo or "LLM"/"LLMs" anywhere but at both ends is found. A block is compared
    all against all; an oversized one by sorted neighbourhood (``_neighbour_pairs``). The work stays
    about n x block size rather than n^2. The candidates are index pairs built with NumPy
    (``_candidate_pairs``), and rapidfuzz only scores a pair that a cheap lower bound on its edit
    distance leaves a chance (``_KeyProfile.may_match``).
    """
    keys = keys.rename("key").cast(pl.Utf8)
    numbers = _number_ids(keys) if RULES.require_equal_numbers else None
    a, b = _near_identical(*_possible_pairs(keys), keys.to_frame(), numbers)
    return set(zip(keys.gather(a).to_list(), keys.gather(b).to_list(), strict=True))


def _workers(pairs: int) -> int:
    """rapidfuzz threads for scoring this many pairs: two when it pays for starting them."""
    return 2 if pairs >= 50_000 and (os.cpu_count() or 1) > 1 else 1


def _object_array(series: pl.Series) -> np.ndarray:
    out = np.empty(len(series), dtype=object)
    out[:] = series.to_list()
    return out


def _possible_pairs(keys: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(first, second) key indices of the candidate pairs (``_candidate_pairs``) that
    ``_KeyProfile.may_match`` leaves a chance, sifted batch by batch so the candidates are never
    all held at once."""
    profile = _KeyProfile.of(keys)
    firsts, seconds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for first, second in _candidate_pairs(keys):
        possible = profile.may_match(first, second)
        firsts.append(first[possible])
        seconds.append(second[possible])
    return np.concatenate(firsts), np.concatenate(seconds)


def _candidate_pairs(keys: pl.Series) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of (first, second) key indices of every candidate pair: all pairs within each block
    of at most ``max_block_size`` keys, sorted neighbours within each bigger one; head blocks, then tail."""
    index = np.arange(len(keys), dtype=np.int64)
    for end, backward in ((_head, False), (_tail, True)):
        block = pl.select(end(pl.lit(keys, pl.Utf8), RULES.block_chars).cast(pl.Categorical).to_physical()).to_series()
        block = block.fill_null(len(keys) + 1).to_numpy().astype(np.int64)  # nulls share a block too
        size = np.bincount(block)[block]
        small = (size > 1) & (size <= RULES.max_block_size)
        yield from _pairs_within(index[small], block[small])
        yield from _neighbour_pairs(keys, index[size > RULES.max_block_size], block, backward)


def _head(key: pl.Expr, n: int) -> pl.Expr:
    return key.str.head(n)


def _tail(key: pl.Expr, n: int) -> pl.Expr:
    return key.str.tail(n)


def _pairs_within(index: np.ndarray, block: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair of keys (first before second in key order) sharing a block, in batches of whole
    blocks of about ``PAIR_BATCH`` pairs."""
    if len(block) == 0:
        return
    order = np.argsort(block, kind="stable")
    index, block = index[order], block[order]
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    sizes = np.diff(np.r_[starts, len(block)])
    pairs_before = np.cumsum(sizes * (sizes - 1) // 2)
    cuts = np.searchsorted(pairs_before, np.arange(PAIR_BATCH, pairs_before[-1] + PAIR_BATCH, PAIR_BATCH), side="right")
    low = 0
    for high in np.unique(cuts).tolist():
        if high > low:
            yield _all_pairs(index[starts[low] : starts[low] + sizes[low:high].sum()], sizes[low:high])
            low = high


def _all_pairs(index: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair within each run of ``sizes`` consecutive keys of ``index``."""
    starts = np.cumsum(sizes) - sizes
    position = np.arange(len(index)) - np.repeat(starts, sizes)
    later = np.repeat(sizes, sizes) - 1 - position  # keys after this one in its block
    first = np.repeat(np.arange(len(index)), later)
    step = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later) + 1
    return index[first], index[first + step]


def _neighbour_pairs(
    keys: pl.Series, index: np.ndarray, block: np.ndarray, backward: bool
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Sorted neighbourhood of every oversized block: each key with the next ``neighbour_window``
    keys, the block sorted forward (a head block) or by reversed key (a tail block), so titles that
    differ in one spot sit side by side. Sorting every key of these blocks at once keeps each block
    together: its keys share their first (reversed: last) ``block_chars`` characters. One batch per
    distance."""
    if len(index) == 0:
        return
    ordered = index[_code_point_order(keys.gather(index), backward)]
    block = block[ordered]
    for offset in range(1, RULES.neighbour_window + 1):
        same = block[:-offset] == block[offset:]
        yield ordered[:-offset][same], ordered[offset:][same]


def _code_point_order(keys: pl.Series, backward: bool) -> np.ndarray:
    """The stable order of ``sorted(keys)``, or with ``backward`` of ``sorted(keys, key=lambda k: k[::-1])``
    (reversed by Python: Polars reverses by grapheme). Polars compares strings as UTF-8 bytes, which
    is code point order."""
    if backward:
        keys = pl.Series([None if key is None else key[::-1] for key in keys.to_list()], dtype=pl.Utf8)
    frame = pl.DataFrame({"key": keys}).with_row_index("index")
    return frame.sort("key", maintain_order=True, nulls_last=True)["index"].to_numpy().astype(np.int64)


def _number_ids(keys: pl.Series) -> np.ndarray:
    """An integer per key, equal for two keys exactly when ``_numbers`` is."""
    numbers = keys.str.extract_all(r"[0-9]+").list.join(",")
    rows = keys.str.contains(r"[^\x00-\x7F]").fill_null(False).arg_true()
    if len(rows):  # Python's \d also matches other scripts' digits
        python = [None if key is None else ",".join(_numbers(key)) for key in keys.gather(rows).to_list()]
        numbers = numbers.scatter(rows, pl.Series(python, dtype=pl.Utf8))
    return numbers.fill_null("\x00").cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)


def _numbers(key: str) -> list[str]:
    return re.findall(r"\d+", key)


def _utf8_buffers(series: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string Series: row i is bytes[offsets[i]:offsets[i + 1]] (null: empty)."""
    arrow = series.cast(pl.Utf8).to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    _, offsets_buffer, data_buffer = arrow.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[arrow.offset : arrow.offset + len(series) + 1]
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


#: character bins for the edit-distance bound: 32 (a-z, digits on 5, the rest on 1), and 8 coarse
#: ones (letters dealt round by frequency, so every bin gets a fair share; the rest on the last)
_FINE_BINS = np.full(256, 31, np.int32)
_FINE_BINS[np.arange(ord("a"), ord("z") + 1)] = np.arange(26)
_FINE_BINS[np.arange(ord("0"), ord("9") + 1)] = 26 + np.arange(10) % 5

_COARSE_OF_FINE = np.full(32, 7, np.int64)
_COARSE_OF_FINE[np.frombuffer(b"etaoinsrhldcumfpgwybvkxjqz", np.uint8) - ord("a")] = np.arange(26) % 8


@dataclass
class _KeyProfile:
    """Per key: length (negative: the counts are not exact - a non-ASCII key, or a count over
    254), character counts in 32 bins, and in 8 bins capped at 31 packed in one 64-bit word."""

    lengths: np.ndarray
    fine: np.ndarray
    coarse: np.ndarray

    @classmethod
    def of(cls, keys: pl.Series) -> _KeyProfile:
        n = len(keys)
        offsets, data = _utf8_buffers(keys)
        fine = np.zeros((n, 32), np.uint8)
        exact = (~keys.str.contains(r"[^\x00-\x7F]")).fill_null(False).to_numpy()
        mapping = np.zeros((32, 8), np.float32)  # float: BLAS; the sums are small integers, exact
        mapping[np.arange(32), _COARSE_OF_FINE] = 1
        coarse = np.zeros((n, 8), np.uint8)
        step = 1 << 14  # keeps bincount's table in cache
        for start in range(0, n, step):
            stop = min(start + step, n)
            rows = np.repeat(np.arange(0, (stop - start) * 32, 32, dtype=np.int32), np.diff(offsets[start : stop + 1]))
            rows += _FINE_BINS[data[offsets[start] : offsets[stop]]]  # a step at a time: 4 bytes per byte
            counts = np.bincount(rows, minlength=(stop - start) * 32).reshape(stop - start, 32)
            exact[start:stop] &= counts.max(axis=1, initial=0) < 255
            fine[start:stop] = np.minimum(counts, 255)
            coarse[start:stop] = np.minimum(counts.astype(np.float32) @ mapping, 31)
        lengths = keys.str.len_chars().fill_null(0).to_numpy().astype(np.float32)
        lengths[~exact] *= -1
        lengths[~exact] -= 0.5  # below zero even for an empty key
        return cls(lengths, fine, np.ascontiguousarray(coarse).view(np.uint64).ravel())

    def may_match(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """False where fuzz.ratio(a, b) certainly stays under ``fuzzy_cutoff``.

        ratio = 100 x (1 - indel distance / (len a + len b)), and the indel distance is at least
        the difference of the lengths, and at least the L1 distance between the two keys'
        character counts (an insertion or deletion changes one count by one; merging characters
        into bins or capping counts keeps it a lower bound). The coarse word is compared first,
        with bit tricks; the 32 bins for the few pairs left. Non-ASCII keys get the length bound
        only. One unit of slack leaves float rounding to rapidfuzz. Two threads share the work
        (NumPy lets go of the GIL).
        """
        step = 1 << 19
        spans = [(start, min(start + step, len(a))) for start in range(0, len(a), step)]
        keep = np.empty(len(a), bool)
        if len(spans) < 4:
            for start, stop in spans:
                keep[start:stop] = self._may_match(a[start:stop], b[start:stop])
            return keep
        with ThreadPoolExecutor(2, thread_name_prefix="ingest-dedup") as pool:
            for (start, stop), part in zip(spans, pool.map(lambda span: self._may_match(a[span[0] : span[1]], b[span[0] : span[1]]), spans)):
                keep[start:stop] = part
        return keep

    def _may_match(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        high, low = np.uint64(0x8080808080808080), np.uint64(0x0101010101010101)
        lx, ly = self.lengths[x], self.lengths[y]
        inexact = (lx < 0) | (ly < 0)
        lx, ly = np.abs(lx), np.abs(ly)
        budget = lx + ly
        budget *= np.float32(1.0 - RULES.fuzzy_cutoff / 100.0)
        budget += np.float32(1.0)
        # per byte: the signed difference, its absolute value; then all 8 summed in the top byte
        signed = self.coarse[x]
        signed |= high
        signed -= self.coarse[y]
        signed ^= high
        sign = signed >> np.uint64(7)
        sign &= low
        signed ^= sign * np.uint64(0xFF)
        signed += sign
        signed *= low
        signed >>= np.uint64(56)
        possible = signed.astype(np.float32) <= budget
        if inexact.any():
            rows = np.flatnonzero(inexact)
            possible[rows] = np.abs(lx[rows] - ly[rows]) <= budget[rows]
        rows = np.flatnonzero(possible & ~inexact)
        if len(rows):
            fa, fb = self.fine[x[rows]], self.fine[y[rows]]
            distance = (np.maximum(fa, fb) - np.minimum(fa, fb)).sum(axis=1, dtype=np.uint16)
            possible[rows[distance > budget[rows]]] = False
        return possible


class _Components:
    """Union-find over key indices (union by size), with vectorised root lookup."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)
        self.size = np.ones(n, np.int64)
        self.involved = np.zeros(n, bool)  # keys with an edge: the ones a component is chosen for

    def roots(self, nodes: np.ndarray) -> np.ndarray:
        roots = self.parent[nodes]
        while True:
            up = self.parent[roots]
            if np.array_equal(up, roots):
                return roots
            roots = up

    def union(self, a: np.ndarray, b: np.ndarray) -> None:
        if len(a) == 0:
            return
        self.involved[a] = True
        self.involved[b] = True
        parent, size = self.parent, self.size
        for x, y in zip(self.roots(a).tolist(), self.roots(b).tolist(), strict=True):
            while parent[x] != x:
                x = int(parent[x])
            while parent[y] != y:
                y = int(parent[y])
            if x == y:
                continue
            if size[x] > size[y]:
                x, y = y, x
            parent[x] = y
            size[y] += size[x]
