"""Corrections are data: one JSON object per line in ``<store>/corrections.jsonl`` (or the file
named by ``[review] corrections`` in claimboard.toml), appended under a lock, never rewritten.

A record::

    {"id": "r20261207T101500123456Z-1a2b3c", "when": "2026-12-07T10:15:00+00:00", "who": "ana",
     "action": "set", "anchor": {"paper_id": "2401.00001", "text": "2.1x",
     "sentence": "PagedServe achieves 2.1x higher throughput than vLLM.", "metric": "throughput"},
     "fields": {"multiplier": 2.0}, "note": "the table says 2.0x"}

``action`` is ``accept`` | ``reject`` | ``set`` (``fields``: the new values) | ``add`` (a missed
claim: the anchor's text and sentence locate it in the abstract, ``fields`` give its values).
The anchor is the paper id, the claim's text, its sentence and the *extracted* metric: no row
number and no run-specific claim id, so it survives re-extraction and an extractor version bump.
Anchors match with whitespace collapsed; a later decision on the same anchor supersedes an
earlier one (file order).

The dashboard appends a decision with one call: ``record_decision(path, anchor, action, ...)``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from etl.vocab import METRICS, MULTIPLIER_MAX, QUALIFIERS, UNITS

CORRECTIONS_FILE = "corrections.jsonl"
ACTIONS = ("accept", "reject", "set", "add")
MAX_TEXT = 2000  # longest string value a correction may carry
SETTING_FROM = ("claim", "paper")


class CorrectionError(ValueError):
    """A decision that cannot be recorded or applied; the message says which field and why."""


# ---------------------------------------------------------------------------------------------
# The editable fields: name -> kind. A field whose column a claims frame lacks is skipped there.

#: kinds: "float" (finite, > 0), "multiplier" (finite, in (0, MULTIPLIER_MAX]), "int" (>= 1), "bool",
#: "str" (nullable text), ("choice", values, nullable), "list[float]", "list[int]", "list[str]"
EDITABLE_FIELDS: dict[str, Any] = {
    "metric": ("choice", tuple(METRICS), False),
    "better": "bool",
    "multiplier": "multiplier",
    "low": "float",
    "high": "float",
    "unit": ("choice", tuple(UNITS), False),
    "qualifier": ("choice", tuple(QUALIFIERS), True),
    "baseline_raw": "str",
    "baseline": "str",
    "baselines": "list[str]",
    "model_sizes": "list[float]",
    "gpu_counts": "list[int]",
    "hardware": "list[str]",
    "model_sizes_from": ("choice", SETTING_FROM, True),
    "gpu_counts_from": ("choice", SETTING_FROM, True),
    "hardware_from": ("choice", SETTING_FROM, True),
    "is_systems": "bool",  # a paper field: applied to the paper of the anchored claim (PAPER_FIELDS)
}
#: editable fields of the papers table, not of the claim: a ``set`` (or ``add``) giving one changes
#: the paper of the anchored claim; the claim records the paper's previous value in ``extracted``
PAPER_FIELDS = ("is_systems",)
#: what an ``add`` must give (low defaults to high, better to multiplier >= 1)
ADD_REQUIRED = ("metric", "multiplier", "high", "unit")


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CorrectionError(f"{name}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise CorrectionError(f"{name}: not a finite number ({value!r})")
    return number


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise CorrectionError(f"{name}: expected text, got {value!r}")
    if len(value) > MAX_TEXT:
        raise CorrectionError(f"{name}: longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise CorrectionError(f"{name}: contains a NUL character")
    return value  # kept verbatim: markup is plain text here, the dashboard escapes it


def check_value(name: str, value: Any) -> Any:
    """The value a field may take, normalised (ints for int lists, floats for numbers); raises CorrectionError."""
    kind = EDITABLE_FIELDS.get(name)
    if kind is None:
        raise CorrectionError(f"{name}: not an editable field (editable: {', '.join(EDITABLE_FIELDS)})")
    if isinstance(kind, tuple):
        _, choices, nullable = kind
        if value is None and nullable:
            return None
        if value not in choices:
            raise CorrectionError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise CorrectionError(f"{name}: expected true or false, got {value!r}")
        return value
    if kind == "multiplier":
        number = _finite(value, name)
        if not 0 < number <= MULTIPLIER_MAX:
            raise CorrectionError(f"{name}: {number:g} is outside (0, {MULTIPLIER_MAX:g}]")
        return number
    if kind in ("float", "float?"):
        if value is None and kind == "float?":
            return None
        number = _finite(value, name)
        if number <= 0:
            raise CorrectionError(f"{name}: must be > 0, got {number:g}")
        return number
    if kind == "int?":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CorrectionError(f"{name}: expected a whole number >= 1, got {value!r}")
        return value
    if kind == "str":
        return None if value is None else _text(value, name)
    if not isinstance(value, list):
        raise CorrectionError(f"{name}: expected a list, got {value!r}")
    if kind == "list[str]":
        return [_text(v, name) for v in value]
    if kind == "list[float]":
        out = [_finite(v, name) for v in value]
        if any(v <= 0 for v in out):
            raise CorrectionError(f"{name}: every value must be > 0")
        return out
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):  # list[int]
        raise CorrectionError(f"{name}: expected whole numbers >= 1, got {value!r}")
    return list(value)


def check_fields(action: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The checked fields of a decision; raises CorrectionError naming the first bad one."""
    if action not in ACTIONS:
        raise CorrectionError(f"action: expected one of {', '.join(ACTIONS)}, got {action!r}")
    if not isinstance(fields, Mapping):
        raise CorrectionError(f"fields: expected an object, got {fields!r}")
    if action in ("accept", "reject") and fields:
        raise CorrectionError(f"fields: {action} takes no fields")
    if action == "set" and not fields:
        raise CorrectionError("fields: set needs at least one field")
    checked = {name: check_value(name, value) for name, value in fields.items()}
    if action == "add":
        missing = [name for name in ADD_REQUIRED if checked.get(name) is None]
        if missing:
            raise CorrectionError(f"fields: add needs {', '.join(missing)}")
    low, high = checked.get("low"), checked.get("high")
    if low is not None and high is not None and low > high:
        raise CorrectionError(f"low: {low:g} is above high ({high:g})")
    return checked


# ---------------------------------------------------------------------------------------------
# The record


def squash(text: str) -> str:
    """Whitespace-insensitive form used to match anchors."""
    return " ".join(str(text).split())


@dataclass(frozen=True)
class Anchor:
    """Which claim: paper id + the claim's text + its sentence + the metric the extractor gave it
    (for ``add``: the new claim's metric)."""

    paper_id: str
    text: str
    sentence: str
    metric: str | None = None

    def key(self) -> tuple[str, str, str, str]:
        return (self.paper_id.strip(), squash(self.text), squash(self.sentence), (self.metric or "").strip())

    def to_json(self) -> dict:
        return {"paper_id": self.paper_id, "text": self.text, "sentence": self.sentence, "metric": self.metric}

    @classmethod
    def from_json(cls, data: Any) -> Anchor:
        if not isinstance(data, Mapping):
            raise CorrectionError(f"anchor: expected an object, got {data!r}")
        for name in ("paper_id", "text", "sentence"):
            if not isinstance(data.get(name), str) or not data[name].strip():
                raise CorrectionError(f"anchor.{name}: expected non-empty text")
            _text(data[name], f"anchor.{name}")
        metric = data.get("metric")
        if metric is not None and not isinstance(metric, str):
            raise CorrectionError(f"anchor.metric: expected text, got {metric!r}")
        return cls(data["paper_id"], data["text"], data["sentence"], metric)


@dataclass(frozen=True)
class Correction:
    """One decision, as one line of the corrections file."""

    id: str
    anchor: Anchor
    action: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None
    who: str | None = None
    when: str = ""

    def to_json(self) -> dict:
        record = {"id": self.id, "when": self.when, "who": self.who, "action": self.action,
                  "anchor": self.anchor.to_json()}
        if self.fields:
            record["fields"] = dict(self.fields)
        if self.note:
            record["note"] = self.note
        return record

    @classmethod
    def from_json(cls, data: Any) -> Correction:
        """A record read back; raises CorrectionError when it cannot be used."""
        if not isinstance(data, Mapping):
            raise CorrectionError("expected a JSON object")
        cid = data.get("id")
        if not isinstance(cid, str) or not cid.strip():
            raise CorrectionError("id: missing")
        action = data.get("action")
        fields = check_fields(action, data.get("fields") or {})
        note, who, when = data.get("note"), data.get("who"), data.get("when", "")
        for name, value in (("note", note), ("who", who), ("when", when)):
            if value is not None:
                _text(value, name)
        return cls(cid, Anchor.from_json(data.get("anchor")), action, fields, note, who, when or "")


def new_correction_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"r{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


def make_correction(
    anchor: Anchor, action: str, fields: Mapping[str, Any] | None = None, *, note: str | None = None,
    who: str | None = None, when: datetime | None = None,
) -> Correction:
    """A new, checked decision (a fresh id, the time now); raises CorrectionError."""
    now = when or datetime.now(UTC)
    checked = check_fields(action, dict(fields or {}))
    if anchor.metric is None and action != "add":
        raise CorrectionError("anchor.metric: needed (the metric the extractor gave the claim)")
    anchor = Anchor.from_json(anchor.to_json())
    for name, value in (("note", note), ("who", who)):
        if value is not None:
            _text(value, name)
    if action == "add":
        anchor = Anchor(anchor.paper_id, anchor.text, anchor.sentence, checked["metric"])
    return Correction(new_correction_id(now), anchor, action, checked, note or None, who or None, now.isoformat())


# ---------------------------------------------------------------------------------------------
# The file: read, append under a lock


@dataclass(frozen=True)
class BadLine:
    """A line of the corrections file that cannot be used: reported as an invalid correction."""

    line: int
    id: str
    reason: str
    raw: str


@dataclass(frozen=True)
class CorrectionsFile:
    path: Path
    corrections: tuple[Correction, ...]
    bad: tuple[BadLine, ...]
    sha256: str | None  # of the bytes read; None when there is no file


def corrections_path(store: Path, configured: Path | None = None) -> Path:
    """``[review] corrections`` from claimboard.toml when given, else ``<store>/corrections.jsonl``."""
    return Path(configured) if configured is not None else Path(store) / CORRECTIONS_FILE


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def read_corrections(path: Path) -> CorrectionsFile:
    """Every line of the file: usable ones as Corrections, the rest as BadLines (never dropped)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return CorrectionsFile(Path(path), (), (), None)
    corrections: list[Correction] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError as err:
            bad.append(BadLine(number, f"line {number}", f"not JSON ({err.msg})", raw[:500]))
            continue
        try:
            corrections.append(Correction.from_json(record))
        except CorrectionError as err:
            cid = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), str) else None
            bad.append(BadLine(number, cid or f"line {number}", str(err), raw[:500]))
    return CorrectionsFile(Path(path), tuple(corrections), tuple(bad), hashlib.sha256(data).hexdigest())


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def append_corrections(path: Path, corrections: Sequence[Correction]) -> None:
    """Append decisions, all or none, under an exclusive lock (two editors at once lose nothing).

    One write of all the lines, then fsync; a torn last line left by a killed writer is ended
    first so it cannot swallow the new record.
    """
    if not corrections:
        return
    path = Path(path)
    payload = "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in corrections).encode("utf-8")
    with _locked(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                with open(path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        payload = b"\n" + payload
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)


def record_decision(
    path: Path, anchor: Anchor, action: str, fields: Mapping[str, Any] | None = None, *,
    note: str | None = None, who: str | None = None,
) -> Correction:
    """Check and append one decision; returns it. The dashboard's one call. Raises CorrectionError."""
    correction = make_correction(anchor, action, fields, note=note, who=who)
    append_corrections(path, [correction])
    return correction


def anchors_of(corrections: Iterable[Correction]) -> set[tuple[str, str, str, str]]:
    return {c.anchor.key() for c in corrections}
