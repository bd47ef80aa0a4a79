"""The run history, ``<store>/runs.jsonl``: one record per run (published, unchanged or failed).

Records are written as plain JSON objects (the manifest of the run) and read back as
``RunRecord``: typed fields for what the displays use, the whole object kept for ``--json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

RUNS_LOG = "runs.jsonl"


@dataclass(frozen=True)
class RunRecord:
    """One line of runs.jsonl. ``version`` 1 records carry no version field; a later format
    sets ``record_version`` and is read here by its number."""

    run_id: str
    status: str
    trigger: str = ""
    started: str = ""
    finished: str | None = None
    error: str | None = None
    current: str | None = None  # an unchanged run: the snapshot that stays current
    counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] | None = None  # papers new / changed / removed; None when unknown
    errors: tuple[str, ...] = ()  # sources ingest could not use
    fetch_errors: tuple[str, ...] = ()
    stage_seconds: dict[str, float] = field(default_factory=dict)  # fetch/hash of a refresh included
    inputs: tuple[dict, ...] = ()
    merged_duplicates: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    corrections: dict[str, int] = field(default_factory=dict)  # applied/stale/invalid/rejected/added (etl.review)
    version: int = 1
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, record: dict) -> RunRecord:
        refresh = record.get("refresh") or {}
        return cls(
            run_id=record.get("run_id", ""),
            status=record.get("status", "?"),
            trigger=record.get("trigger", ""),
            started=record.get("started", ""),
            finished=record.get("finished"),
            error=record.get("error"),
            current=record.get("current"),
            counts=record.get("counts") or {},
            changes=record.get("changes"),
            errors=tuple(record.get("errors") or ()),
            fetch_errors=tuple(e for fetched in refresh.get("fetch", []) for e in fetched["errors"]),
            stage_seconds=(refresh.get("prepare_seconds") or {}) | (record.get("stage_seconds") or {}),
            inputs=tuple(record.get("inputs") or ()),
            merged_duplicates=record.get("merged_duplicates", 0),
            quarantine_by_reason=record.get("quarantine_by_reason") or {},
            corrections=record.get("corrections") or {},
            version=record.get("record_version", 1),
            raw=record,
        )

    def to_json(self) -> dict:
        """The record as written: every field of the run's manifest, not only the typed ones."""
        return self.raw

    @property
    def all_errors(self) -> list[str]:
        """Source errors and fetch errors of the run."""
        return [*self.errors, *self.fetch_errors]


def record_run(store: Path, manifest: dict) -> None:
    """Append a run (successful or not) to the history; one JSON object per line."""
    Path(store).mkdir(parents=True, exist_ok=True)
    with open(Path(store) / RUNS_LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_runs(store: Path) -> list[dict]:
    """The run history as written, oldest first; a torn last line (a run killed mid-write) is skipped."""
    log = Path(store) / RUNS_LOG
    if not log.is_file():
        return []
    runs = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            runs.append(json.loads(line))
        except ValueError:
            continue
    return runs


def read_run_records(store: Path) -> list[RunRecord]:
    return [RunRecord.from_json(record) for record in read_runs(store)]
