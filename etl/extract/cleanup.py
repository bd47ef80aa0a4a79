"""Text clean-up before extraction (issue 11): PDF hyphenation, LaTeX, spaced decimals, dashes.

Abstracts arrive with "acceler- ation", "$2.1\\times$", "65.8\\%", "2.5{times}", "1.5--3.2",
"5 . 5 x", "30−45%". The extractor reads a *cleaned copy* of each abstract that needs it, and
every claim's offsets are mapped back onto the stored abstract, so ``abstract[start:end] == text``
still holds (``text`` is the number as written, LaTeX and all) while the ``sentence`` shown to
users is the cleaned one.

The rules are one alternation (``[cleanup]`` in extract.toml); a Rust trigger (``TRIGGER``)
picks the few abstracts that need any of them, so the rest never reach Python.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

import polars as pl

from etl.extract.rules import RULES
from etl.textscan import PYTHON_ONLY_RE, ColumnScan, rust_over, unused_characters

_RULES = RULES["cleanup"]
#: name -> (pattern, replacement); applied as one alternation, left to right
_REPLACEMENTS: dict[str, tuple[str, str]] = {name: (r["re"], r["to"]) for name, r in _RULES["rules"].items()}
#: the look-ahead on the first characters a rule can start with rejects most positions at once
_CLEANUP_RE = re.compile(
    _RULES["first_characters_re"] + "(?:" + "|".join(f"(?P<{name}>{pattern})" for name, (pattern, _) in _REPLACEMENTS.items()) + ")"
)
#: the rules as a column scan: Rust finds where they can match, Python checks only there
SCAN = ColumnScan(
    _CLEANUP_RE,
    "|".join(f"(?:{rust_over(pattern)})" for pattern, _ in _REPLACEMENTS.values()),
)
#: Rust regex: abstracts where no rule can fire are left as they are
TRIGGER = rust_over(_RULES["trigger_re"])
_CLOSING = frozenset(_RULES["closing_characters"])


@dataclass(frozen=True)
class Cleaned:
    """A cleaned text and where each of its pieces came from in the original."""

    text: str
    original: str
    #: sorted starts (in the cleaned text) of the pieces; piece k spans cleaned [starts[k], starts[k+1])
    starts: tuple[int, ...]
    #: per piece: (original start, original end, is a replacement)
    spans: tuple[tuple[int, int, bool], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) of the cleaned [start, end); a replaced piece maps whole, and
        closing characters the clean-up deleted right after it ("$" of "$2.1\\times$") are kept."""
        o_start = self._at(start, first=True)
        o_end = self._at(end - 1, first=False) if end > start else o_start
        while o_end < len(self.original) and self.original[o_end] in _CLOSING and self._deleted(o_end):
            o_end += 1
        return o_start, o_end

    def _at(self, pos: int, first: bool) -> int:
        k = bisect_right(self.starts, pos) - 1
        o_start, o_end, replaced = self.spans[k]
        if replaced:
            return o_start if first else o_end
        offset = pos - self.starts[k]
        return o_start + offset if first else o_start + offset + 1

    def _deleted(self, o_pos: int) -> bool:
        """Is original position o_pos inside a piece the clean-up replaced by nothing?"""
        for (o_start, o_end, replaced), start, nxt in zip(self.spans, self.starts, (*self.starts[1:], len(self.text))):
            if replaced and o_start <= o_pos < o_end:
                return start == nxt
        return False


def clean(text: str, rust_spans: list[int] | None = None) -> Cleaned:
    """The cleaned text with its offset map (the identity when no rule fires).

    ``rust_spans``: where SCAN's Rust over-approximation matched in this text (see ColumnScan).
    """
    starts: list[int] = []
    spans: list[tuple[int, int, bool]] = []
    out: list[str] = []
    length = pos = 0
    for m in SCAN.matches(text, rust_spans):
        if m.start() > pos:
            starts.append(length)
            spans.append((pos, m.start(), False))
            out.append(text[pos : m.start()])
            length += m.start() - pos
        replacement = _REPLACEMENTS[m.lastgroup][1]
        starts.append(length)
        spans.append((m.start(), m.end(), True))
        out.append(replacement)
        length += len(replacement)
        pos = m.end()
    if pos < len(text) or not spans:
        starts.append(length)
        spans.append((pos, len(text), False))
        out.append(text[pos:])
    return Cleaned("".join(out), text, tuple(starts), tuple(spans))


def clean_texts(texts: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Cleaned]]:
    """The abstracts of a text_columns frame cleaned where a rule can fire, and per changed
    paper_id its Cleaned (the offset map back to the stored abstract)."""
    needs = texts.select("paper_id", "abstract").filter(pl.col("abstract").str.contains(TRIGGER))
    changed: dict[str, Cleaned] = {}
    if needs.height == 0:
        return texts, changed
    (marker,) = unused_characters(needs["abstract"], 1)
    python_only = needs["abstract"].str.contains(PYTHON_ONLY_RE).to_list()
    rust = SCAN.spans(needs["abstract"], marker).to_list()
    for (pid, abstract), spans, slow in zip(needs.iter_rows(), rust, python_only):
        cleaned = clean(abstract, None if slow else spans)
        if cleaned.text != abstract:
            changed[pid] = cleaned
    if not changed:
        return texts, changed
    replaced = pl.DataFrame(
        {"paper_id": list(changed), "_clean": [c.text for c in changed.values()]},
        schema={"paper_id": pl.Utf8, "_clean": pl.Utf8},
    )
    out = texts.join(replaced, on="paper_id", how="left", maintain_order="left").with_columns(
        abstract=pl.coalesce("_clean", "abstract")
    ).drop("_clean")
    return out, changed


def restore_offsets(claims: pl.DataFrame, changed: dict[str, Cleaned]) -> pl.DataFrame:
    """Claims extracted from cleaned abstracts with start/end/text back on the stored abstracts
    (the sentence stays the cleaned one)."""
    if not changed or claims.height == 0:
        return claims
    starts, ends, texts = claims["start"].to_list(), claims["end"].to_list(), claims["text"].to_list()
    for i, pid in enumerate(claims["paper_id"].to_list()):
        cleaned = changed.get(pid)
        if cleaned is not None:
            s, e = cleaned.original_span(starts[i], ends[i])
            starts[i], ends[i], texts[i] = s, e, cleaned.original[s:e]
    return claims.with_columns(
        pl.Series("start", starts, dtype=claims.schema["start"]),
        pl.Series("end", ends, dtype=claims.schema["end"]),
        pl.Series("text", texts, dtype=pl.Utf8),
    )
