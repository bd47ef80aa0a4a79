"""The Python/Rust regex bridge: Python patterns located over whole text columns by Rust.

Python's ``re`` has the look-arounds the rules need; Polars' Rust regex scans a column at
native speed but has none. A pattern is paired with a Rust over-approximation (it matches
wherever the Python one does): Polars finds the Rust spans in every text of a column and
Python tries its pattern only inside them. Texts the Rust scans cannot vouch for
(``PYTHON_ONLY_RE``) are scanned in Python alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl


def phrase_alternation(phrases: list[str], rust: bool = False) -> str:
    """Escaped phrases, longest first; word-like ones bounded so they never match inside a word.

    Python's ``re`` tries alternatives one by one, so the phrases are grouped by first character
    (``a(?:bc|b)|x(?:yz)``): at each position only one group is tried. The word boundary is
    factored out of the alternation, and a one-character look-ahead rejects most positions at
    once. The matches are those of the plain longest-first alternation.

    ``rust``: the same alternatives in the same order for Rust's regex (no look-arounds), an
    over-approximation for column scans (see ColumnScan): the bound beside an ASCII letter or
    digit is an ASCII ``\\b``, which holds wherever ``(?<!\\w)``/``(?!\\w)`` do; other bounds are dropped.
    """
    ordered = sorted(set(phrases), key=len, reverse=True)
    words = [p for p in ordered if p[:1].isalnum() and (p[-1:].isalnum() or p[-1:] == ".")]
    others = [p for p in ordered if p not in words]
    space = r"[\s\x1c-\x1f]+" if rust else r"\s+"

    def body(p: str) -> str:
        return re.escape(p).replace(r"\ ", space)

    def bound(ch: str) -> str:
        return r"(?-u:\b)" if rust and ch.isascii() and ch.isalnum() else ""

    def grouped(group: list[str]) -> str:
        by_first: dict[str, list[str]] = {}
        for p in group:
            by_first.setdefault(p[0], []).append(p)
        return "|".join(
            bound(first) + body(first)
            + "(?:" + "|".join(body(p)[len(body(p[0])):] + bound(p[-1]) for p in members) + ")"
            for first, members in by_first.items()
        )

    if rust:
        return "|".join(([grouped(words)] if words else []) + [body(p) for p in others])
    parts = [rf"(?<!\w)(?:{grouped(words)})(?!\w)"] if words else []
    alternation = "|".join(parts + [body(p) for p in others])
    firsts = "".join(sorted({re.escape(p[0]) for p in ordered if p}))
    return f"(?=[{firsts}])(?:{alternation})" if firsts else alternation


def rust_over(pattern: str, keep_final_lookahead: bool = False) -> str:
    """A Rust-regex over-approximation of a Python pattern: it matches wherever the pattern does.

    Look-arounds are dropped (they only restrict), except, with ``keep_final_lookahead``, one
    that ends the pattern, which a trigger may as well match. ``\\b`` becomes an ASCII word
    boundary, which Rust's fast engines handle and which, beside an ASCII letter or digit (as in
    every rule here), holds wherever Python's does; ``\\s`` also covers the separators
    U+001C..U+001F that Python counts as whitespace and Rust does not.
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            depth, j = 0, i
            while j < len(pattern):
                if pattern[j] == "\\":
                    j += 2
                    continue
                depth += pattern[j] == "("
                depth -= pattern[j] == ")"
                j += 1
                if depth == 0:
                    break
            if keep_final_lookahead and j == len(pattern) and pattern.startswith("(?=", i):
                out.append("(?:" + pattern[i + 3 : j])
            i = j
            continue
        out.append(pattern[i : i + 2] if pattern[i] == "\\" else pattern[i])
        i += len(out[-1])
    in_class = False
    for k, token in enumerate(out):
        if token == "[" and not in_class:
            in_class = True
        elif token == "]" and in_class:
            in_class = False
        elif token == r"\s":
            out[k] = r"\s\x1c-\x1f" if in_class else r"[\s\x1c-\x1f]"
    return ascii_word_boundaries("".join(out))


def ascii_word_boundaries(pattern: str) -> str:
    """``\\b`` as an ASCII word boundary, which Rust's fast regex engines handle (a Unicode one
    sends them to a slow fallback on non-ASCII text). Beside an ASCII letter or digit, as in every
    trigger, the ASCII boundary holds wherever the Unicode one does, so a trigger stays sound."""
    return re.sub(r"(?<!\\)\\b", r"(?-u:\\b)", pattern)


@dataclass(frozen=True)
class ColumnScan:
    """A Python pattern whose matches in a whole text column are located by Rust.

    ``rust`` over-approximates ``python``: wherever ``python`` can match, so can ``rust``. Polars
    finds the Rust spans in every text of a column at once (``spans``). No Python match can
    start between two Rust spans (Rust would have matched there), so ``matches`` tries the Python
    pattern only at positions inside the spans, in order, as ``finditer`` would: one anchored
    match per span when Rust and Python agree.
    """

    python: re.Pattern
    rust: str

    @classmethod
    def of(cls, python: str, rust: str, flags: int = 0) -> "ColumnScan":
        inline = ("(?i)" if flags & re.IGNORECASE else "") + ("(?x)" if flags & re.VERBOSE else "")
        return cls(re.compile(python, flags), inline + rust)

    def spans(self, texts: pl.Series, marker: str) -> pl.Series:
        """Per text, the flat list [start0, end0, start1, end1, ...] of the Rust matches
        (character offsets, Int32).

        Every match is wrapped in ``marker`` (absent from the texts). In an ASCII text a character
        is a byte, so Aho-Corasick (``find_many``) finds the markers' byte offsets and each
        offset less the marker bytes before it is a position in the text. Other texts are split on
        the marker: the pieces alternate between gaps and matches, so the running piece lengths
        are the offsets (the same list, by more work: a string per piece).
        """
        marked = pl.col("text").str.replace_all(self.rust, f"{marker}${{0}}{marker}")
        width = len(marker.encode("utf-8"))
        by_bytes = marked.str.find_many([marker]).list.eval(
            (pl.element().cast(pl.Int64) - width * pl.int_range(pl.len())).cast(pl.Int32)
        )
        pieces = marked.str.split(marker)
        by_chars = pieces.list.eval(pl.element().str.len_chars().cast(pl.Int32).cum_sum()).list.head(pieces.list.len() - 1)
        frame = texts.rename("text").to_frame().with_row_index("row")
        ascii_only = (pl.col("text").str.len_bytes() == pl.col("text").str.len_chars()).fill_null(False)
        return (
            pl.concat([
                frame.filter(ascii_only).select("row", spans=by_bytes),
                frame.filter(~ascii_only).select("row", spans=by_chars),
            ])
            .sort("row")["spans"]
            .cast(pl.List(pl.Int32))
            .rename(texts.name)
        )

    def matches(self, text: str, spans: Sequence[int] | None = None) -> list[re.Match]:
        """``list(python.finditer(text))``, tried only inside the Rust ``spans`` when given."""
        if spans is None:
            return list(self.python.finditer(text))
        if not spans:
            return []
        found: list[re.Match] = []
        pos = 0
        for start, end in zip(spans[::2], spans[1::2]):
            at = max(start, pos)
            while at < end:
                m = self.python.match(text, at)
                if m is None:
                    at += 1
                else:
                    found.append(m)
                    pos = at = max(m.end(), at + 1)
        return found


#: characters the Rust scans cannot vouch for (digits beyond 0-9, letters that case-fold to ASCII
#: ones, numerals Python counts as word characters): sentences with one are scanned in Python
PYTHON_ONLY_RE = r"[\x{17f}\x{130}\x{131}\x{212a}\p{No}]|[\d--0-9]"


#: private-use characters to mark up a column in place; the first ones absent from the column are used
MARKERS = tuple(map(chr, range(0xE000, 0xE010)))


def unused_characters(texts: pl.Series, n: int) -> list[str]:
    if not texts.str.contains(f"[{MARKERS[0]}-{MARKERS[-1]}]").any():
        return list(MARKERS[:n])
    free = [c for c in MARKERS if not texts.str.contains(c, literal=True).any()]
    if len(free) < n:
        raise ValueError("abstracts use every private-use marker character U+E000..U+E00F")
    return free[:n]
