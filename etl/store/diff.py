"""What changed between two snapshots: papers and claims added, changed and withdrawn.

Papers match on their stable ``paper_id``; claims on ``claim_id`` (a hash of paper, offset and
text). When an abstract is edited its claims get new ids, so the claims of one paper left
unmatched are paired by metric, in text order: "2.1x throughput" -> "2.3x throughput" reads as one
claim changed, not one withdrawn and one added. Everything here is pure; the CLI reads the
snapshots and prints.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import asdict, dataclass
from itertools import groupby

import polars as pl

from etl.store import Snapshot

PAPER_FIELDS = ("title", "abstract", "system", "published", "is_systems")
CLAIM_FIELDS = ("text", "low", "high", "unit", "metric", "better", "multiplier", "baseline", "qualifier")
CLAIM_REF_FIELDS = ("claim_id", "start", "text", "metric", "multiplier", "baseline")
CLAIM_COLUMNS = tuple(dict.fromkeys(("paper_id", *CLAIM_REF_FIELDS, *CLAIM_FIELDS)))
EXCERPT_CONTEXT = 30
EXCERPT_LIMIT = 80


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ClaimRef:
    claim_id: str
    start: int
    text: str
    metric: str
    multiplier: float
    baseline: str | None


@dataclass(frozen=True)
class ClaimChange:
    old: ClaimRef
    new: ClaimRef
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PaperDiff:
    paper_id: str
    title: str
    status: str  # "added" | "changed" | "withdrawn"
    fields: tuple[FieldChange, ...] = ()
    claims_added: tuple[ClaimRef, ...] = ()
    claims_changed: tuple[ClaimChange, ...] = ()
    claims_withdrawn: tuple[ClaimRef, ...] = ()


@dataclass(frozen=True)
class SnapshotDiff:
    old_run: str
    new_run: str
    papers: tuple[PaperDiff, ...]
    corrections_added: tuple[str, ...] = ()  # readers' corrections new in the newer snapshot
    corrections_stale: tuple[str, ...] = ()  # corrections stale in the newer snapshot and not in the older

    def counts(self) -> dict[str, int]:
        statuses = [p.status for p in self.papers]
        return {
            "papers_added": statuses.count("added"),
            "papers_changed": statuses.count("changed"),
            "papers_withdrawn": statuses.count("withdrawn"),
            "claims_added": sum(len(p.claims_added) for p in self.papers),
            "claims_changed": sum(len(p.claims_changed) for p in self.papers),
            "claims_withdrawn": sum(len(p.claims_withdrawn) for p in self.papers),
        }


def check_store(store: os.PathLike | str) -> None:
    """ValueError with a plain message when ``store`` exists but is not a folder (``diff --store
    FILE``); a missing folder is left to the "need two snapshots" message."""
    path = os.fspath(store)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{path}: not a store (a file, not a folder); pass the store folder with --store")


# ---------------------------------------------------------------------------------------------
# Computing


def paper_changes(old_papers: pl.DataFrame, new_papers: pl.DataFrame) -> dict[str, int]:
    """Counts of papers new, with changed text (content hash), and removed: the run history's summary."""
    old = old_papers.select("paper_id", "content_hash")
    new = new_papers.select("paper_id", "content_hash")
    both = old.join(new, on="paper_id", suffix="_new")
    return {
        "new": new.join(old, on="paper_id", how="anti").height,
        "changed": both.filter(pl.col("content_hash") != pl.col("content_hash_new")).height,
        "removed": old.join(new, on="paper_id", how="anti").height,
    }


def diff_snapshots(old: Snapshot, new: Snapshot) -> SnapshotDiff:
    added, stale = correction_changes(old.corrections, new.corrections)
    return SnapshotDiff(old.run_id, new.run_id, diff_tables(old.papers, old.claims, new.papers, new.claims),
                        added, stale)


def correction_changes(old: pl.DataFrame | None, new: pl.DataFrame | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ids of corrections added, ids gone stale) between two snapshots' corrections tables."""
    if new is None or new.is_empty():
        return (), ()
    before = dict(old.select("correction_id", "status").iter_rows()) if old is not None else {}
    now = dict(new.select("correction_id", "status").iter_rows())
    added = tuple(sorted(cid for cid in now if cid not in before))
    stale = tuple(sorted(cid for cid, status in now.items() if status == "stale" and before.get(cid) != "stale"))
    return added, stale


def diff_tables(
    old_papers: pl.DataFrame, old_claims: pl.DataFrame, new_papers: pl.DataFrame, new_claims: pl.DataFrame
) -> tuple[PaperDiff, ...]:
    """Per paper that differs: its field changes and its claims added, changed and withdrawn.

    Unchanged rows are filtered out in Polars, so only the differences reach Python.
    """
    paper_fields = {
        old["paper_id"]: _field_changes(old, new, PAPER_FIELDS)
        for old, new in _changed_pairs(old_papers, new_papers, "paper_id", PAPER_FIELDS)
    }
    changed: dict[str, list[ClaimChange]] = defaultdict(list)
    for old, new in _changed_pairs(old_claims, new_claims, "claim_id", CLAIM_COLUMNS):
        changed[old["paper_id"]].append(_claim_change(old, new))
    unmatched_old = _rows_by_paper(old_claims.join(new_claims, on="claim_id", how="anti"))
    unmatched_new = _rows_by_paper(new_claims.join(old_claims, on="claim_id", how="anti"))
    added: dict[str, list[dict]] = {}
    withdrawn: dict[str, list[dict]] = {}
    for paper_id in unmatched_old.keys() | unmatched_new.keys():
        pairs, added[paper_id], withdrawn[paper_id] = pair_claims(
            unmatched_old.get(paper_id, []), unmatched_new.get(paper_id, [])
        )
        changed[paper_id] += [c for old, new in pairs if (c := _claim_change(old, new)).fields]

    old_ids, new_ids = old_papers.select("paper_id"), new_papers.select("paper_id")
    status = dict.fromkeys(paper_fields.keys() | changed.keys() | added.keys(), "changed")
    status |= dict.fromkeys(new_ids.join(old_ids, on="paper_id", how="anti")["paper_id"], "added")
    status |= dict.fromkeys(old_ids.join(new_ids, on="paper_id", how="anti")["paper_id"], "withdrawn")
    titles = _titles(old_papers, status) | _titles(new_papers, status)
    diffs = (
        PaperDiff(
            paper_id=paper_id,
            title=titles[paper_id],
            status=status[paper_id],
            fields=paper_fields.get(paper_id, ()),
            claims_added=tuple(map(_claim_ref, sorted(added.get(paper_id, []), key=_start))),
            claims_changed=tuple(sorted(changed.get(paper_id, []), key=lambda c: c.new.start)),
            claims_withdrawn=tuple(map(_claim_ref, sorted(withdrawn.get(paper_id, []), key=_start))),
        )
        for paper_id in sorted(status)
    )
    order = {"added": 0, "changed": 1, "withdrawn": 2}
    return tuple(sorted((d for d in diffs if _differs(d)), key=lambda d: order[d.status]))


def _differs(paper: PaperDiff) -> bool:
    """Added and withdrawn papers always count; a paper in both only if something about it changed."""
    return paper.status != "changed" or any(
        (paper.fields, paper.claims_added, paper.claims_changed, paper.claims_withdrawn)
    )


def _titles(papers: pl.DataFrame, wanted: dict[str, str]) -> dict[str, str]:
    return dict(papers.filter(pl.col("paper_id").is_in(list(wanted))).select("paper_id", "title").iter_rows())


def pair_claims(old: list[dict], new: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """One paper's unmatched claims -> (old, new) pairs of the same metric in text order, added, withdrawn."""
    pairs: list[tuple[dict, dict]] = []
    added: list[dict] = []
    withdrawn: list[dict] = []
    old_by_metric, new_by_metric = _by_metric(old), _by_metric(new)
    for metric in old_by_metric.keys() | new_by_metric.keys():
        before, after = old_by_metric.get(metric, []), new_by_metric.get(metric, [])
        pairs += zip(before, after, strict=False)
        withdrawn += before[len(after):]
        added += after[len(before):]
    return pairs, added, withdrawn


def _by_metric(claims: list[dict]) -> dict[str, list[dict]]:
    ordered = sorted(claims, key=lambda c: (c["metric"], c["start"]))
    return {metric: list(group) for metric, group in groupby(ordered, key=lambda c: c["metric"])}


def _changed_pairs(
    old: pl.DataFrame, new: pl.DataFrame, key: str, columns: tuple[str, ...]
) -> list[tuple[dict, dict]]:
    """(old row, new row) for keys in both frames whose ``columns`` differ somewhere."""
    columns = tuple(c for c in columns if c != key)
    joined = old.select(key, *columns).join(new.select(key, *columns), on=key, suffix="__new")
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}__new")) for c in columns)
    return [
        ({key: row[key], **{c: row[c] for c in columns}}, {key: row[key], **{c: row[f"{c}__new"] for c in columns}})
        for row in joined.filter(differs).iter_rows(named=True)
    ]


def _rows_by_paper(claims: pl.DataFrame) -> dict[str, list[dict]]:
    by_paper: dict[str, list[dict]] = defaultdict(list)
    for row in claims.select(CLAIM_COLUMNS).iter_rows(named=True):
        by_paper[row["paper_id"]].append(row)
    return by_paper


def _field_changes(old: dict, new: dict, fields: tuple[str, ...]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(f, old[f], new[f]) for f in fields if old[f] != new[f])


def _claim_change(old: dict, new: dict) -> ClaimChange:
    return ClaimChange(_claim_ref(old), _claim_ref(new), _field_changes(old, new, CLAIM_FIELDS))


def _claim_ref(row: dict) -> ClaimRef:
    return ClaimRef(**{f: row[f] for f in CLAIM_REF_FIELDS})


def _start(row: dict) -> int:
    return row["start"]


# ---------------------------------------------------------------------------------------------
# Presenting


def diff_as_json(diff: SnapshotDiff) -> dict:
    """JSON-ready: dates become ISO strings when dumped with ``default=str``."""
    return {"old_run": diff.old_run, "new_run": diff.new_run, "counts": diff.counts(),
            "papers": [asdict(p) for p in diff.papers], "corrections_added": list(diff.corrections_added),
            "corrections_stale": list(diff.corrections_stale)}


def render_diff(diff: SnapshotDiff) -> list[str]:
    """The report as text lines: a summary, then one block per paper (+ added, ~ changed, - withdrawn)."""
    c = diff.counts()
    lines = [
        f"{diff.old_run} -> {diff.new_run}",
        f"papers: {c['papers_added']} added, {c['papers_changed']} changed, {c['papers_withdrawn']} withdrawn; "
        f"claims: {c['claims_added']} added, {c['claims_changed']} changed, {c['claims_withdrawn']} withdrawn",
    ]
    if diff.corrections_added or diff.corrections_stale:
        lines.append(f"corrections: {len(diff.corrections_added)} added, {len(diff.corrections_stale)} gone stale"
                     + "".join(f"\n    stale: {cid}" for cid in diff.corrections_stale))
    if not diff.papers:
        lines.append("no differences")
    marks = {"added": "+", "changed": "~", "withdrawn": "-"}
    for paper in diff.papers:
        lines.append("")
        lines.append(f"{marks[paper.status]} {paper.paper_id}  {paper.title}  [{paper.status}]")
        for change in paper.fields:
            old, new = _excerpts(change.old, change.new)
            lines.append(f"    {change.field}: {old} -> {new}")
        for claim in paper.claims_changed:
            details = "; ".join(
                f"{f.field} {_value(f.old)} -> {_value(f.new)}" for f in claim.fields if f.field != "text"
            )
            old, new = repr(claim.old.text), repr(claim.new.text)
            lines.append(f"    ~ claim {new if old == new else f'{old} -> {new}'}" + (f": {details}" if details else ""))
        lines += [f"    + claim {_describe_claim(claim)}" for claim in paper.claims_added]
        lines += [f"    - claim {_describe_claim(claim)}" for claim in paper.claims_withdrawn]
    return lines


def _describe_claim(claim: ClaimRef) -> str:
    against = f" vs {claim.baseline}" if claim.baseline else ""
    return f"{claim.text!r} ({claim.metric}, x{claim.multiplier:g}{against})"


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _excerpts(old: object, new: object) -> tuple[str, str]:
    """Long texts shortened to the part that changed, with a little context either side."""
    if not (isinstance(old, str) and isinstance(new, str)) or max(len(old), len(new)) <= EXCERPT_LIMIT:
        return _value(old), _value(new)
    prefix = len(os.path.commonprefix([old, new]))
    suffix = len(os.path.commonprefix([old[prefix:][::-1], new[prefix:][::-1]]))
    start = max(prefix - EXCERPT_CONTEXT, 0)

    def cut(text: str) -> str:
        end = min(len(text) - suffix + EXCERPT_CONTEXT, len(text), start + 2 * EXCERPT_LIMIT)
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")

    return repr(cut(old)), repr(cut(new))
