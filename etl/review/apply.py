"""Corrections applied to a claims frame: pure frame functions, no I/O.

``apply_corrections(claims, papers, corrections)`` -> ``Applied``: the corrected claims (each
with ``correction_id`` and ``extracted``, the JSON of the extracted values a correction changed),
the rejected claims, and one report row per correction with its status:

- ``applied``: its anchor matched (for ``add``: its sentence and text were found in the abstract);
- ``stale``: its anchor no longer matches (the abstract changed, the claim vanished); kept, reported;
- ``invalid``: it cannot be applied (a bad value, an unreadable line, a corrected row that fails
  the claim schema); the claim keeps its extracted values, the correction goes to quarantine;
- ``superseded``: a later decision on the same anchor replaced it.

``review_claims`` runs it with a ``check`` (the pipeline passes ``etl.validate.validate_claims``)
so that a correction whose rows fail validation is never applied.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from etl.review.corrections import (
    PAPER_FIELDS,
    BadLine,
    Correction,
    CorrectionError,
    squash,
)

ORIGIN_COLUMNS = {"correction_id": pl.Utf8, "extracted": pl.Utf8}
CORRECTION_COLUMNS = {
    "correction_id": pl.Utf8, "action": pl.Utf8, "paper_id": pl.Utf8, "text": pl.Utf8, "sentence": pl.Utf8,
    "metric": pl.Utf8, "fields": pl.Utf8, "note": pl.Utf8, "who": pl.Utf8, "when": pl.Utf8,
    "status": pl.Utf8, "reason": pl.Utf8, "claim_ids": pl.List(pl.Utf8), "claim": pl.Utf8,
}
STATUSES = ("applied", "stale", "invalid", "superseded")
Check = Callable[[pl.DataFrame, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]


@dataclass(frozen=True)
class Applied:
    claims: pl.DataFrame  # corrected; rejected rows removed, added rows in; + correction_id, extracted
    rejected: pl.DataFrame  # the claims a ``reject`` removed, with its correction_id
    corrections: pl.DataFrame  # one row per correction (CORRECTION_COLUMNS)
    touched: dict[str, str] = field(default_factory=dict)  # claim_id -> correction id, rows changed or added
    papers: pl.DataFrame | None = None  # the papers, paper fields (is_systems) corrected; None: unchanged
    papers_touched: dict[str, list[str]] = field(default_factory=dict)  # paper_id -> ids of corrections setting it

    def counts(self) -> dict[str, int]:
        """The manifest's ``corrections`` key."""
        status = self.corrections["status"]
        action = self.corrections["action"]
        applied = status == "applied"
        return {
            "applied": int(applied.sum()),
            "stale": int((status == "stale").sum()),
            "invalid": int((status == "invalid").sum()),
            "superseded": int((status == "superseded").sum()),
            "rejected": int((applied & (action == "reject")).sum()),
            "added": int(self.claims["claim_id"].str.starts_with("r").sum()) if self.claims.height else 0,
        }


def empty_corrections() -> pl.DataFrame:
    return pl.DataFrame(schema=CORRECTION_COLUMNS)


def with_origin(claims: pl.DataFrame) -> pl.DataFrame:
    """The claims with null origin columns (nothing corrected)."""
    missing = [pl.lit(None, dtype=t).alias(n) for n, t in ORIGIN_COLUMNS.items() if n not in claims.columns]
    return claims.with_columns(missing) if missing else claims


def added_claim_id(paper_id: str, start: int, text: str) -> str:
    """Ids of claims a reader added start with "r" (extracted ones with "c"): they never collide."""
    return "r" + hashlib.sha1(f"{paper_id}:{start}:{text}".encode()).hexdigest()[:16]


def _loose(paper_id: str, text: str, sentence: str) -> tuple[str, str, str]:
    return (paper_id.strip(), squash(text), squash(sentence))


def _flexible(text: str) -> re.Pattern[str]:
    """``text`` with any run of whitespace matching any run of whitespace."""
    return re.compile(r"\s+".join(re.escape(part) for part in text.split()))


def locate(abstract: str, sentence: str, text: str) -> tuple[int, int, str, str] | None:
    """(start, end, text, sentence) as they are written in ``abstract``, or None when not there."""
    if not sentence.split() or not text.split():
        return None
    found = _flexible(sentence).search(abstract)
    if not found:
        return None
    inside = _flexible(text).search(abstract, found.start(), found.end())
    if not inside:
        return None
    return inside.start(), inside.end(), inside.group(), found.group()


def coerce(value: Any, dtype: pl.DataType, name: str) -> Any:
    """A checked correction value as the frame's column holds it; raises CorrectionError."""
    if isinstance(dtype, pl.List):
        if value is None:
            return []
        if not isinstance(value, list):
            raise CorrectionError(f"{name}: expected a list")
        inner = dtype.inner
        return [float(v) if inner.is_float() else v for v in value]
    if isinstance(value, list):  # a list field on an older one-value column
        if len(value) > 1:
            raise CorrectionError(f"{name}: this snapshot keeps one value per claim, got {len(value)}")
        value = value[0] if value else None
    if value is None:
        return None
    if dtype.is_float():
        return float(value)
    if dtype.is_integer():
        if isinstance(value, float) and not value.is_integer():
            raise CorrectionError(f"{name}: expected a whole number, got {value:g}")
        return int(value)
    return value


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _report(c: Correction, status: str, reason: str | None = None, claim_ids: Sequence[str] = (),
            claim: Any = None) -> dict:
    return {
        "correction_id": c.id, "action": c.action, "paper_id": c.anchor.paper_id, "text": c.anchor.text,
        "sentence": c.anchor.sentence, "metric": c.anchor.metric,
        "fields": _json(dict(c.fields)) if c.fields else None, "note": c.note, "who": c.who, "when": c.when,
        "status": status, "reason": reason, "claim_ids": list(claim_ids),
        "claim": None if claim is None else _json(claim),
    }


def _bad_line_report(bad: BadLine) -> dict:
    return {name: None for name in CORRECTION_COLUMNS} | {
        "correction_id": bad.id, "status": "invalid", "reason": f"line {bad.line}: {bad.reason}", "claim_ids": [],
        "claim": None,
    }


def _new_row(schema: pl.Schema, c: Correction, paper_id: str, where: tuple[int, int, str, str]) -> dict:
    start, end, text, sentence = where
    row: dict[str, Any] = {n: ([] if isinstance(t, pl.List) else None) for n, t in schema.items()}
    fields = dict(c.fields)
    high = fields["high"]
    row |= {
        "claim_id": added_claim_id(paper_id, start, text), "paper_id": paper_id, "text": text, "start": start,
        "end": end, "sentence": sentence, "low": fields.get("low", high), "high": high, "unit": fields["unit"],
        "metric": fields["metric"], "better": fields.get("better", fields["multiplier"] >= 1),
        "multiplier": fields["multiplier"], "qualifier": fields.get("qualifier"), "confidence": 1.0,
        "baseline_raw": fields.get("baseline_raw", fields.get("baseline")),
        "baseline": fields.get("baseline", fields.get("baseline_raw")),
    }
    for name, value in fields.items():
        if name in schema:
            row[name] = coerce(value, schema[name], name)
    return {n: row[n] for n in schema}


def apply_corrections(
    claims: pl.DataFrame,
    papers: pl.DataFrame,
    corrections: Sequence[Correction],
    bad_lines: Iterable[BadLine] = (),
    invalid: dict[str, str] | None = None,
    derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> Applied:
    """Apply every correction that applies; ``invalid`` (id -> reason) are reported, not applied.
    ``derive`` recomputes columns derived from corrected ones (the pipeline hands in
    ``etl.normalise.with_baseline_kinds``: review sits below normalise)."""
    invalid = invalid or {}
    claims = with_origin(claims)
    reports: dict[str, dict] = {}
    last: dict[tuple, Correction] = {}
    for c in corrections:
        previous = last.get(c.anchor.key())
        if previous is not None:
            reports[previous.id] = _report(previous, "superseded", f"superseded by {c.id}")
        last[c.anchor.key()] = c
    active = [c for c in last.values() if c.id not in invalid]
    for c in last.values():
        if c.id in invalid:
            reports[c.id] = _report(c, "invalid", invalid[c.id])

    schema = claims.schema
    paper_ids = {c.anchor.paper_id.strip() for c in active}
    subset = claims.with_row_index("_row").filter(pl.col("paper_id").is_in(list(paper_ids)))
    rows = {row["_row"]: row for row in subset.iter_rows(named=True)}
    exact: dict[tuple, list[int]] = {}
    loose: dict[tuple, list[int]] = {}
    for i, row in rows.items():
        exact.setdefault((row["paper_id"], squash(row["text"]), squash(row["sentence"]), row["metric"]), []).append(i)
        loose.setdefault(_loose(row["paper_id"], row["text"], row["sentence"]), []).append(i)
    abstracts = dict(
        papers.filter(pl.col("paper_id").is_in(list(paper_ids))).select("paper_id", "abstract").iter_rows()
    )
    paper_cols = [n for n in PAPER_FIELDS if n in papers.columns]
    paper_values = {
        row["paper_id"]: row
        for row in papers.filter(pl.col("paper_id").is_in(list(paper_ids))).select("paper_id", *paper_cols)
        .iter_rows(named=True)
    }
    paper_sets: dict[str, dict[str, Any]] = {}  # paper_id -> corrected paper fields (file order: the last wins)

    papers_touched: dict[str, list[str]] = {}

    def set_paper_fields(c: Correction) -> None:
        for name in paper_cols:
            if name in c.fields:
                paper_sets.setdefault(c.anchor.paper_id.strip(), {})[name] = c.fields[name]
                papers_touched.setdefault(c.anchor.paper_id.strip(), []).append(c.id)

    updated: dict[int, dict] = {}
    dropped: dict[int, str] = {}
    added: list[dict] = []
    touched: dict[str, str] = {}
    for c in active:
        a = c.anchor
        hits = exact.get(a.key()) or (loose.get(_loose(a.paper_id, a.text, a.sentence)) if c.action == "add" else None)
        if not hits:
            if c.action == "add" and a.paper_id.strip() in abstracts:
                where = locate(abstracts[a.paper_id.strip()], a.sentence, a.text)
                if where is not None:
                    try:
                        row = _new_row(schema, c, a.paper_id.strip(), where)
                    except CorrectionError as err:
                        reports[c.id] = _report(c, "invalid", str(err))
                        continue
                    row |= {"correction_id": c.id, "extracted": None}
                    set_paper_fields(c)
                    added.append(row)
                    touched[row["claim_id"]] = c.id
                    reports[c.id] = _report(c, "applied", None, [row["claim_id"]])
                    continue
            if a.paper_id.strip() not in abstracts:
                why = f"paper {a.paper_id} is not in this snapshot"
            elif c.action == "add":
                why = "its sentence and text are no longer in the abstract"
            else:
                why = f"no claim {squash(a.text)!r} ({a.metric}) in that sentence any more"
            reports[c.id] = _report(c, "stale", why)
            continue
        ids = [rows[i]["claim_id"] for i in hits]
        originals = [{k: v for k, v in rows[i].items() if k not in ("_row", "abstract")} for i in hits]
        if c.action == "reject":
            for i in hits:
                dropped[i] = c.id
            reports[c.id] = _report(c, "applied", None, ids, originals[0] if len(hits) == 1 else originals)
            continue
        try:
            new_rows = {}
            for i in hits:
                row = dict(rows[i])
                before = {}
                for name, value in c.fields.items():
                    if name in PAPER_FIELDS:
                        previous = paper_values.get(row["paper_id"], {}).get(name)
                        if previous != value:
                            before[name] = previous
                        continue  # applied to the paper below
                    if name not in schema:
                        continue  # a field this snapshot's claims do not have
                    value = coerce(value, schema[name], name)
                    if row[name] != value:
                        before[name] = row[name]
                        row[name] = value
                row["correction_id"] = c.id
                row["extracted"] = _json(before) if before else None
                new_rows[i] = row
        except CorrectionError as err:
            reports[c.id] = _report(c, "invalid", str(err), ids)
            continue
        updated |= new_rows
        set_paper_fields(c)
        touched |= {rows[i]["claim_id"]: c.id for i in hits if c.action != "accept"}
        reports[c.id] = _report(c, "applied", None, ids, originals[0] if len(hits) == 1 else originals)

    ordered = [reports[c.id] for c in corrections if c.id in reports]
    table = pl.DataFrame([*map(_bad_line_report, bad_lines), *ordered], schema=CORRECTION_COLUMNS)
    corrected_papers = _with_paper_fields(papers, paper_sets) if paper_sets else None
    if not updated and not dropped and not added:
        empty = claims.clear().with_columns(pl.lit(None, dtype=pl.Utf8).alias("rejected_by"))
        return Applied(claims, empty, table, touched, corrected_papers, papers_touched)
    changed = set(updated) | set(dropped)
    keep = claims.with_row_index("_row").filter(~pl.col("_row").is_in(list(changed)))
    with_row = {**schema, "_row": pl.UInt32}
    new = pl.DataFrame([{**row, "_row": i} for i, row in updated.items()], schema=with_row)
    extra = pl.DataFrame(
        [{**row, "_row": claims.height + n} for n, row in enumerate(added)], schema=with_row
    )
    corrected = pl.concat([keep.select(new.columns), new, extra]).sort("_row").drop("_row")
    if derive is not None:  # what normalise derives from corrected values (the kinds of corrected baselines)
        corrected = derive(corrected)
    rejected = pl.DataFrame(
        [{**{k: v for k, v in rows[i].items() if k != "_row"}, "rejected_by": cid} for i, cid in dropped.items()],
        schema={**schema, "rejected_by": pl.Utf8},
    )
    return Applied(corrected, rejected, table, touched, corrected_papers, papers_touched)


def _with_paper_fields(papers: pl.DataFrame, sets: dict[str, dict[str, Any]]) -> pl.DataFrame:
    """The papers with the corrected paper fields (``PAPER_FIELDS``) of the given papers replaced."""
    out = papers
    for name in {n for values in sets.values() for n in values}:
        chosen = {pid: values[name] for pid, values in sets.items() if name in values}
        out = out.with_columns(
            pl.when(pl.col("paper_id").is_in(list(chosen)))
            .then(pl.col("paper_id").replace_strict(chosen, default=None, return_dtype=papers.schema[name]))
            .otherwise(pl.col(name)).alias(name)
        )
    return out


def review_claims(
    claims: pl.DataFrame,
    papers: pl.DataFrame,
    corrections: Sequence[Correction],
    bad_lines: Sequence[BadLine] = (),
    check: Check | None = None,
    derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    check_papers: Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]] | None = None,
) -> tuple[Applied, pl.DataFrame]:
    """Apply the corrections; those whose corrected rows fail ``check`` (claims) or ``check_papers``
    (papers whose paper fields a correction set) are reported invalid and not applied.

    Returns (Applied, quarantine rows with stage "review" for every invalid correction).
    """
    applied = apply_corrections(claims, papers, corrections, bad_lines, derive=derive)
    invalid: dict[str, str] = {}
    records: dict[str, str] = {}
    if check is not None and applied.touched:
        rows = applied.claims.filter(pl.col("claim_id").is_in(list(applied.touched)))
        _, bad = check(rows, papers)
        for record, reason in bad.select("record", "reason").iter_rows():
            claim_id = json.loads(record).get("claim_id")
            cid = applied.touched.get(claim_id)
            if cid is not None:
                invalid.setdefault(cid, f"failed validation: {reason}")
                records.setdefault(cid, record)
    if check_papers is not None and applied.papers is not None:
        rows = applied.papers.filter(pl.col("paper_id").is_in(list(applied.papers_touched)))
        _, bad = check_papers(rows)
        for record, reason in bad.select("record", "reason").iter_rows():
            for cid in applied.papers_touched.get(json.loads(record).get("paper_id"), ()):
                invalid.setdefault(cid, f"failed validation: {reason}")
                records.setdefault(cid, record)
    if invalid:
        applied = apply_corrections(claims, papers, corrections, bad_lines, invalid, derive=derive)
    return applied, review_quarantine(applied.corrections, records)


def review_quarantine(corrections: pl.DataFrame, claim_records: dict[str, str] | None = None) -> pl.DataFrame:
    """Quarantine rows (stage "review") for the invalid corrections, naming each correction id."""
    claim_records = claim_records or {}
    rows = []
    for row in corrections.filter(pl.col("status") == "invalid").iter_rows(named=True):
        record = {k: row[k] for k in ("correction_id", "action", "paper_id", "text", "sentence", "metric", "fields",
                                      "who", "when")}
        if row["correction_id"] in claim_records:
            record["corrected_claim"] = json.loads(claim_records[row["correction_id"]])
        rows.append({
            "stage": "review", "source": row["paper_id"] or "corrections file", "record": _json(record),
            "reason": f"correction {row['correction_id']}: {row['reason']}",
        })
    return pl.DataFrame(rows, schema={"stage": pl.Utf8, "source": pl.Utf8, "record": pl.Utf8, "reason": pl.Utf8})
