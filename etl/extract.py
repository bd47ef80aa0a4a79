"""Extraction stage: benchmark claims and paper-level facts from one abstract.

Every pattern and keyword table lives in ``etl/rules/extract.toml``; this module only
compiles those tables (once, at import) and applies them. The grammar is:

1. find *candidate numbers* (``2.1x``, ``45\\%``, ``2-4×``, ``an order of magnitude``...);
2. read the words around each one inside its sentence: the nearest metric noun, direction
   word, qualifier and baseline lead-in (``than``/``over``/``compared to``...);
3. keep candidates that state an efficiency comparison, and compute the GUIDE's multiplier.

The frame-level functions do the scanning in Polars: triggers select the abstracts and sentences
that can hold a claim or a fact, and every pattern is located over the whole column by a Rust
over-approximation (ColumnScan), so Python only reads the spans found and applies the context rules.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import tomllib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

#: bump whenever the rules or their interpretation change (the extraction cache keys on it)
EXTRACTOR_VERSION = "1.2.0"

RULES_PATH = Path(__file__).with_name("rules") / "extract.toml"
RULES: dict = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))

METRICS = ("throughput", "speedup", "latency", "memory", "energy", "cost", "compute", "scale")
_QUALITY = "quality"
_FLAGS = re.IGNORECASE


# ───────────────────────────── compiling the tables ─────────────────────────────


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
    finds the Rust spans in every text of a column at once (``spans_expr``). No Python match can
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

    def spans_expr(self, text: pl.Expr, marker: str) -> pl.Expr:
        """Per text, the flat list [start0, end0, start1, end1, ...] of the Rust matches.

        Every match is wrapped in ``marker`` (absent from the texts), the text split on it: the
        pieces alternate between gaps and matches, so the running piece lengths are the offsets.
        """
        pieces = text.str.replace_all(self.rust, f"{marker}${{0}}{marker}").str.split(marker)
        return pieces.list.eval(pl.element().str.len_chars().cast(pl.Int32).cum_sum()).list.head(
            pieces.list.len() - 1
        )

    def matches(self, text: str, spans: Sequence[int] | None = None) -> list[re.Match]:
        """``list(python.finditer(text))``, tried only inside the Rust ``spans`` when given."""
        if spans is None:
            return list(self.python.finditer(text))
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


def _phrase_lookup(groups: dict[str, list[str]]) -> dict[str, str]:
    """phrase -> group, over all phrases of all groups."""
    return {" ".join(p.lower().split()): g for g, phrases in groups.items() for p in phrases}


def _phrase_table(groups: dict[str, list[str]]) -> tuple[ColumnScan, dict[str, str]]:
    """One column scan over all phrases of all groups + phrase -> group lookup."""
    lookup = _phrase_lookup(groups)
    return ColumnScan.of(phrase_alternation(list(lookup)), phrase_alternation(list(lookup), rust=True), _FLAGS), lookup


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().split())


_NUM = RULES["number"]["value_re"]
_XU = RULES["number"]["multiplier_unit_re"]
_PU = RULES["number"]["percent_unit_re"]
_UNIT = f"(?:{_XU}|{_PU})"
_JOINT = RULES["number"]["range_joint_re"]
_WORDS = RULES["word_numbers"]
_WORD_VALUES = {_norm(k): float(v) for k, v in _WORDS["phrases"].items()}
_CARDINALS = {_norm(k): float(v) for k, v in _WORDS["cardinals"].items()}


def _candidate_pattern(rust: bool) -> str:
    """A number with its unit, a range or "between" pair, or a spelled multiplier (``rust``: see ColumnScan).

    In Rust the look-behind "no word character or period before" becomes an ASCII word boundary:
    every alternative starts with an ASCII letter or digit (texts with other digits are scanned in Python).
    """
    fix = rust_over if rust else str
    num, unit, joint, spaced_and = fix(_NUM), fix(_UNIT), fix(_JOINT), fix(r"\s+and\s+")
    between, times = fix(RULES["number"]["between_re"]), fix(_WORDS["rules"]["times_re"])
    body = (
        rf"{between}(?P<b_lo>{num}){unit}?{spaced_and}(?P<b_hi>{num})(?P<b_unit>{unit})"
        rf"|(?P<r_lo>{num}){unit}?(?:{joint})(?P<r_hi>{num})(?P<r_unit>{unit})"
        rf"|(?P<s_n>{num})(?P<s_unit>{unit})"
        rf"|(?P<card>{phrase_alternation(list(_CARDINALS), rust)}){times}"
        rf"|(?P<word>{phrase_alternation(list(_WORD_VALUES), rust)})"
    )
    if rust:
        return rf"(?-u:\b)(?:{body})"
    firsts = "".join(sorted({re.escape(w[0]) for w in [*_CARDINALS, *_WORD_VALUES]}))
    return rf"(?=[\db{firsts}])(?<![\w.])(?:{body})"


CANDIDATES = ColumnScan.of(_candidate_pattern(rust=False), _candidate_pattern(rust=True), _FLAGS)
_DIMENSION_TAIL_RE = re.compile(RULES["number"]["dimension_tail_re"])
_WORD_NOT_FOLLOWED_RE = re.compile(_WORDS["rules"]["not_followed_by_re"], _FLAGS)
_WORD_NOT_PRECEDED_RE = re.compile(_WORDS["rules"]["not_preceded_by_re"] + r"\Z", _FLAGS)
_RANGE_NOT_PRECEDED_RE = re.compile(RULES["number"]["range_not_preceded_re"] + r"\Z", _FLAGS)
_SELF_DIRECTED = {"double": "increase", "doubles": "increase", "doubled": "increase", "doubling": "increase",
                  "halves": "decrease", "halved": "decrease", "halving": "decrease"}

_SENTENCES = RULES["sentences"]
#: an abbreviation's period followed by a space (Rust regex: sentence splitting runs in Polars)
_ABBREVIATION_PERIOD_RE = (
    r"(?i)(" + "|".join(re.escape(a.removesuffix(".")) for a in _SENTENCES["abbreviations"]) + r")\.(\s)"
)

_PREFILTER = RULES["prefilter"]
#: only abstracts, and then sentences, where this fires can hold a claim
CLAIMS_TRIGGER = rust_over(_PREFILTER["claims_re"])
_QUAL = RULES["qualifiers"]
_QUALIFIER_LOOKUP = _phrase_lookup(_QUAL["before"])
_QUALIFIER_BEFORE_RE = re.compile(phrase_alternation(list(_QUALIFIER_LOOKUP)), _FLAGS)
_QUALIFIER_TAIL_RE = re.compile(
    rf"(?:{phrase_alternation(list(_QUALIFIER_LOOKUP))})(?:\s*(?:{phrase_alternation(_QUAL['filler'])}))*\s*$", _FLAGS
)
_QUALIFIER_AFTER_RE = re.compile(_QUAL["after_re"], _FLAGS)
_AVERAGE_WINDOW_RE = re.compile(_QUAL["average_window_re"], _FLAGS)

_DIR = RULES["direction"]
DIRECTIONS, _DIRECTION_LOOKUP = _phrase_table(
    {"increase": _DIR["increase"], "decrease": _DIR["decrease"], "regression": _DIR["regression"]}
)
_FRACTION_AFTER_RE = re.compile(_DIR["fraction"]["after_re"], _FLAGS)
_FRACTION_BEFORE_RE = re.compile(_DIR["fraction"]["before_re"], _FLAGS)

_MET = RULES["metrics"]
METRIC_WORDS, _METRIC_LOOKUP = _phrase_table(
    {**{m: p for m, p in _MET["nouns"].items()}, _QUALITY: RULES["out_of_scope"]["quality"]}
)
CUES, _CUE_LOOKUP = _phrase_table(_MET["cues"])
_SCORING = _MET["scoring"]
_ABSOLUTE_RE = re.compile(RULES["out_of_scope"]["absolute_re"], _FLAGS)
_TREND_RE = re.compile(RULES["out_of_scope"]["trend_re"], _FLAGS)
_BINDING_WORDS = frozenset(_SCORING["binding_words"])
_MODIFIER_HEADS = frozenset(_norm(h) for h in _SCORING["modifier_heads"])

_BASE = RULES["baseline"]
LEAD_INS = ColumnScan.of(
    "|".join([phrase_alternation(_BASE["lead_ins"]), *_BASE["lead_in_res"]]),
    "|".join([phrase_alternation(_BASE["lead_ins"], rust=True), *map(rust_over, _BASE["lead_in_res"])]),
    _FLAGS,
)
_FORWARD_ONLY = frozenset(_norm(p) for p in _BASE["forward_only"])
_LEAD_NOT_FOLLOWED_RE = re.compile(_BASE["not_followed_by_re"], _FLAGS)
_LEAD_NOT_PRECEDED_RE = re.compile(_BASE["not_preceded_by_re"], _FLAGS)
_BASELINE_STOP_RE = re.compile(_BASE["stop_re"], _FLAGS)
_BASELINE_STRIP_LEADING_RE = re.compile(_BASE["strip_leading_re"], _FLAGS)
_BASELINE_STRIP_TRAILING_RE = re.compile(_BASE["strip_trailing_re"], _FLAGS)
_APPOSITIVE_NAME = _BASE["appositive_name_re"]
_APPOSITIVE_HEADS = phrase_alternation(_BASE["appositive_heads"])
_APPOSITIVE_INLINE_RE = re.compile(
    rf"^(?:the\s+|an?\s+)?(?:(?!(?:and|the|an?)\b)[\w-]+\s+){{1,4}}(?:{_APPOSITIVE_HEADS})s?\s+(?P<name>{_APPOSITIVE_NAME})$"
)
_APPOSITIVE_HEAD_END_RE = re.compile(rf"\b(?:{_APPOSITIVE_HEADS})s?$", _FLAGS)
_APPOSITIVE_COMMA_RE = re.compile(rf",\s*(?P<name>{_APPOSITIVE_NAME})\s*,")
_CARRY_OVER_RE = re.compile(_BASE["carry_over_re"], _FLAGS)
_BASELINE_EMPTY_RE = re.compile(_BASE["empty_re"], _FLAGS)
_OF_NAME_BY_RE = re.compile(_BASE["of_name_by_re"])

_GOVERNED_BY_RE = re.compile(r"\bby\s+(?:up\s+to\s+|an?\s+average\s+of\s+|over\s+|more\s+than\s+|about\s+|nearly\s+)?\W*\Z")
_CLAUSE_BREAK_RE = re.compile(_SCORING["clause_break_re"], _FLAGS)

#: what Polars finds in every sentence that can hold a claim, for the Python rules to read
SENTENCE_SCANS = {
    "candidates": CANDIDATES, "metric_words": METRIC_WORDS, "cues": CUES, "directions": DIRECTIONS, "lead_ins": LEAD_INS,
}
#: characters the Rust scans cannot vouch for (digits beyond 0-9, letters that case-fold to ASCII
#: ones, numerals Python counts as word characters): sentences with one are scanned in Python
_PYTHON_SCAN_RE = r"[\x{17f}\x{130}\x{131}\x{212a}\p{No}]|[\d--0-9]"


# ───────────────────────────── data model ─────────────────────────────


@dataclass(frozen=True)
class Claim:
    """One benchmark claim; ``abstract[start:end] == text`` always holds."""

    text: str
    start: int
    end: int
    sentence: str
    low: float
    high: float
    unit: str
    metric: str
    better: bool
    multiplier: float
    baseline_raw: str | None
    qualifier: str | None
    confidence: float


@dataclass
class RecordExtraction:
    """Everything extracted from one title + abstract."""

    claims: list[Claim] = field(default_factory=list)
    system: str | None = None
    is_systems: bool = False
    model_sizes: list[float] = field(default_factory=list)
    gpu_counts: list[int] = field(default_factory=list)
    hardware_raw: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    low: float
    high: float
    unit: str
    word: str | None  # the word-number phrase, when spelled in words


@dataclass(frozen=True)
class _Sentence:
    index: int  # position among the abstract's sentences (a baseline carries only to the next one)
    start: int  # offset in the abstract
    text: str
    #: per SENTENCE_SCANS name, the Rust spans found by Polars (None, or no entry: scan in Python)
    spans: dict[str, list[int] | None] = field(default_factory=dict)

    def matches(self, scan: str) -> list[re.Match]:
        return SENTENCE_SCANS[scan].matches(self.text, self.spans.get(scan))

    @cached_property
    def keywords(self) -> tuple[list, list]:
        return _sentence_keywords(self)

    @cached_property
    def directions(self) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), _DIRECTION_LOOKUP[_norm(m.group())]) for m in self.matches("directions")]

    @cached_property
    def lead_ins(self) -> tuple["_LeadIn", ...]:
        return find_lead_ins(self)


@dataclass(frozen=True)
class _LeadIn:
    start: int  # of the lead-in word, in the sentence
    np_start: int
    np_end: int
    phrase: str
    forward_only: bool = False  # "outperforms X by 2x" never reaches back to an earlier number


# ───────────────────────────── small helpers ─────────────────────────────


def parse_number(raw: str) -> float:
    return float(raw.replace(",", ""))


def words_between(text: str, a: int, b: int) -> int:
    """How many words separate offsets a <= b of text."""
    return len(text[a:b].split()) if b > a else 0


# ───────────────────────────── candidates ─────────────────────────────


def _unit_of(raw_unit: str) -> str:
    return "%" if "%" in raw_unit or "percent" in raw_unit.lower() else "x"


def find_candidates(text: str, matches: list[re.Match] | None = None) -> list[_Candidate]:
    """Every number-with-unit or word multiplier in the text, ranges and 'between' as one.

    ``matches``: those of CANDIDATES in the text, when already found.
    """
    out = []
    for m in CANDIDATES.matches(text) if matches is None else matches:
        g = m.groupdict()
        if g["b_hi"]:
            low, high, unit, start = parse_number(g["b_lo"]), parse_number(g["b_hi"]), _unit_of(g["b_unit"]), m.start("b_lo")
        elif g["r_hi"]:
            if _RANGE_NOT_PRECEDED_RE.search(text, 0, m.start()):
                continue
            low, high, unit, start = parse_number(g["r_lo"]), parse_number(g["r_hi"]), _unit_of(g["r_unit"]), m.start()
        elif g["s_n"]:
            low = high = parse_number(g["s_n"])
            unit, start = _unit_of(g["s_unit"]), m.start()
        elif g["card"]:
            low = high = _CARDINALS[_norm(g["card"])]
            unit, start = "x", m.start()
        else:
            word = _norm(g["word"])
            if _WORD_NOT_FOLLOWED_RE.match(text, m.end()) or _WORD_NOT_PRECEDED_RE.search(text, 0, m.start()):
                continue
            low = high = _WORD_VALUES[word]
            unit, start = "x", m.start()
        end = m.end()
        if unit == "x" and _DIMENSION_TAIL_RE.match(text, end):
            continue
        if low > high or high <= 0:
            continue
        out.append(_Candidate(start, end, low, high, unit, _norm(g["word"]) if g["word"] else None))
    return out


# ───────────────────────────── reading the context ─────────────────────────────


def _clause_cost(sentence: str, a: int, b: int) -> float:
    return _SCORING["clause_penalty"] * len(_CLAUSE_BREAK_RE.findall(sentence, a, b))


def _nearest(
    sentence: str, cand_start: int, cand_end: int, matches: list[tuple[int, int, str, float]]
) -> tuple[str, float] | None:
    """Best (label, score) among keyword matches, by weight minus distance and clause costs."""
    best = None
    for start, end, label, weight in matches:
        if start >= cand_end:
            a, b, penalty = cand_end, start, _SCORING["right_penalty"]
        elif end <= cand_start:
            a, b, penalty = end, cand_start, _SCORING["left_penalty"]
        else:
            continue
        gap = words_between(sentence, a, b)
        if gap > (_SCORING["quality_max_words"] if label == _QUALITY else _SCORING["max_words"]):
            continue
        score = weight - penalty * gap - _clause_cost(sentence, a, b)
        if _is_binding(sentence[a:b]):
            score += _SCORING["binding_bonus"]
        if best is None or score > best[1]:
            best = (label, score)
    return best


def _is_binding(gap: str) -> bool:
    """Only filler, direction words and list numbers between a keyword and its number?"""
    return all(t in _BINDING_WORDS or any(ch.isdigit() for ch in t) for t in gap.lower().replace(",", " ").split())


def _sentence_keywords(sent: _Sentence) -> tuple[list, list]:
    """Metric nouns (with quality words) and cue words of one sentence."""
    sentence, nouns = sent.text, []
    for m in sent.matches("metric_words"):
        label = _METRIC_LOOKUP[_norm(m.group())]
        modifier = nouns[-1] if nouns else None
        if modifier and _norm(m.group()) in _MODIFIER_HEADS and not sentence[modifier[1] : m.start()].strip(" -"):
            label = modifier[2]  # "throughput speedup" is a throughput claim
        nouns.append((m.start(), m.end(), label, _SCORING["noun_weight"]))
    cues = [(m.start(), m.end(), _CUE_LOOKUP[_norm(m.group())], _SCORING["cue_weight"])
            for m in sent.matches("cues")]
    return nouns, cues


def classify_metric(sent: _Sentence, start: int, end: int) -> tuple[str | None, float]:
    """(metric or 'quality' or None, confidence) from the words around [start, end)."""
    nouns, cues = sent.keywords
    best = _nearest(sent.text, start, end, nouns + cues)
    if best is None:
        return None, 0.0
    label, score = best
    if score < _SCORING["min_score"]:
        return None, 0.0
    return label, max(0.3, min(1.0, score / _SCORING["noun_weight"]))


def find_direction(sent: _Sentence, start: int, end: int) -> str | None:
    """increase | decrease | regression | None: the nearest direction word in the window."""
    sentence, best = sent.text, None
    qualifier = _QUALIFIER_TAIL_RE.search(sentence, max(0, start - 40), start)
    for m_start, m_end, label in sent.directions:
        if qualifier and qualifier.start() <= m_start and m_end <= start:
            continue  # "less than 1% overhead": "less" belongs to the qualifier
        if m_start >= end:
            a, b, limit = end, m_start, _DIR["window_after"]
        elif m_end <= start:
            a, b = m_end, start
            limit = _DIR["window_before_by"] if _GOVERNED_BY_RE.search(sentence, a, b) else _DIR["window_before"]
        else:
            continue
        gap = words_between(sentence, a, b)
        if gap > limit or _clause_cost(sentence, a, b) > 0:
            continue
        rank = (gap, label != "regression")  # nearest wins; a regression word wins a tie
        if best is None or rank < best[0]:
            best = (rank, label)
    return best[1] if best else None


def is_fraction(sentence: str, start: int, end: int, direction: str | None) -> bool:
    """"55% of the compute", "reduce it to 66%": the number is what remains, not the change.

    "remove 25% of the parameters" is a change: after a decrease verb only "to X%" is a fraction.
    """
    if direction not in (None, "decrease"):
        return False
    after_of = direction is None and _FRACTION_AFTER_RE.match(sentence, end)
    return bool(after_of or _FRACTION_BEFORE_RE.search(sentence[:start]))


def find_qualifier(sentence: str, start: int, end: int) -> str | None:
    before = _QUALIFIER_TAIL_RE.search(sentence[max(0, start - 40) : start])
    if before:
        head = _QUALIFIER_BEFORE_RE.search(before.group())
        return _QUALIFIER_LOOKUP[_norm(head.group())]
    if _QUALIFIER_AFTER_RE.match(sentence, end):
        return "average"
    window = sentence[:start].split()[-_QUAL["average_window_words"] :]
    if _AVERAGE_WINDOW_RE.search(" ".join(window)) or re.match(r"on average\b", sentence, _FLAGS):
        return "average"
    return None


def multiplier_for(high: float, unit: str, direction: str | None, fraction: bool) -> float:
    """The GUIDE's improvement factor (>1 better) from the stated number and its direction."""
    if unit == "x":
        return 1.0 / high if direction == "regression" else high
    if direction == "regression":
        return 1.0 / (1.0 + high / 100.0)
    if fraction:
        return 100.0 / high
    if direction == "decrease" and high < 100:
        return 1.0 / (1.0 - high / 100.0)
    return 1.0 + high / 100.0


# ───────────────────────────── baselines ─────────────────────────────


def _clean_baseline(sentence: str, np_start: int, np_end: int) -> str | None:
    phrase = sentence[np_start:np_end].strip()
    phrase = _BASELINE_STRIP_LEADING_RE.sub("", phrase)
    phrase = _BASELINE_STRIP_TRAILING_RE.sub("", phrase).strip(" ,;:-")
    if not re.search(r"[A-Za-z]", phrase) or _BASELINE_EMPTY_RE.fullmatch(phrase):
        return None
    inline = _APPOSITIVE_INLINE_RE.search(phrase)
    if inline:
        return inline.group("name")
    if _APPOSITIVE_HEAD_END_RE.search(phrase):
        after = _APPOSITIVE_COMMA_RE.match(sentence, np_end)
        if after:
            return after.group("name")
    if len(phrase.split()) > _BASE["max_words"]:
        return None
    return phrase


def _phrase_end(sentence: str, start: int) -> int:
    """Where the noun phrase from `start` ends; a parenthesis ("(e.g., NVIDIA V100S)") is kept whole."""
    pos = start + 1
    while (stop := _BASELINE_STOP_RE.search(sentence, pos)) and stop.start() < len(sentence):
        opened = sentence.rfind("(", start, stop.start())
        closing = sentence.find(")", stop.start())
        if opened == -1 or sentence.rfind(")", start, stop.start()) > opened or closing == -1:
            return stop.start()
        pos = closing + 1
    return len(sentence)


def find_lead_ins(sent: _Sentence) -> tuple[_LeadIn, ...]:
    """Every comparison lead-in of a sentence with the noun phrase that follows it."""
    sentence, out = sent.text, []
    for m in sent.matches("lead_ins"):
        if _LEAD_NOT_FOLLOWED_RE.match(sentence, m.end()) or _LEAD_NOT_PRECEDED_RE.search(sentence, 0, m.start()):
            continue
        np_start = m.end()
        np_end = _phrase_end(sentence, np_start)
        phrase = _clean_baseline(sentence, np_start, np_end)
        if phrase:
            out.append(_LeadIn(m.start(), np_start, np_end, phrase, _norm(m.group()) in _FORWARD_ONLY))
    for m in _OF_NAME_BY_RE.finditer(sentence):
        out.append(_LeadIn(m.start(), m.start("name"), m.end("name"), m.group("name")))
    return tuple(sorted(out, key=lambda lead: lead.start))


def nearest_lead_in(sent: _Sentence, start: int, end: int) -> _LeadIn | None:
    """The lead-in closest to the claim; one after the claim ('2x faster than X') is favoured."""
    best = None
    for lead in sent.lead_ins:
        if lead.start >= end:
            if lead.forward_only:
                continue
            dist = _BASE["right_bias"] * words_between(sent.text, end, lead.start)
        elif lead.np_end <= start:
            dist = words_between(sent.text, lead.np_end, start)
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, lead)
    return best[1] if best else None


def split_conjuncts(phrase: str) -> list[str]:
    """'GPU and CPU baseline' -> ['GPU baseline', 'CPU baseline'] (shared head or shared prefix)."""
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", phrase) if p.strip()]
    if len(parts) < 2:
        return [phrase]
    first, last = parts[0].split(), parts[-1].split()
    if len(first) == 1 and len(last) > 1:
        tail = " ".join(last[1:])
        return [f"{p} {tail}" for p in parts[:-1]] + [parts[-1]]
    if len(first) > 1 and all(len(p.split()) == 1 for p in parts[1:]):
        prefix = " ".join(first[:-1])
        return [parts[0]] + [f"{prefix} {p}" for p in parts[1:]]
    return parts


def assign_baselines(sent: _Sentence, spans: list[tuple[int, int]]) -> list[str | None]:
    """Baseline per claim span of one sentence; '..., respectively' distributes conjuncts."""
    leads = [nearest_lead_in(sent, s, e) for s, e in spans]
    out: list[str | None] = [lead.phrase if lead else None for lead in leads]
    if re.search(r"\brespectively\b", sent.text, _FLAGS):
        for lead in {lead for lead in leads if lead}:
            members = [i for i, other in enumerate(leads) if other == lead]
            conjuncts = split_conjuncts(lead.phrase)
            if len(conjuncts) > 1 and len(members) > 1:
                for k, i in enumerate(members):
                    out[i] = conjuncts[k % len(conjuncts)]
    return out


def carried_baseline(sent: _Sentence) -> str | None:
    """A baseline that frames the next sentence too ('Compared to X, ...', '... outperforms X ...')."""
    sentence = sent.text
    for lead in sent.lead_ins:
        if _CARRY_OVER_RE.search(sentence[lead.start : lead.np_start]) and (
            lead.start == 0 or "outperform" in sentence[lead.start : lead.np_start].lower()
            or "surpass" in sentence[lead.start : lead.np_start].lower()
        ):
            return lead.phrase
    return None


# ───────────────────────────── claims ─────────────────────────────


def _compared_right_after(sent: _Sentence, end: int) -> bool:
    lead = nearest_lead_in(sent, end, end)
    return lead is not None and lead.start >= end and words_between(sent.text, end, lead.start) <= _DIR["lead_in_max_words"]


def _accept(
    cand: _Candidate, sent: _Sentence, listed: tuple[str, float, str | None, bool] | None, paper_metric: str | None
) -> tuple[str, float, str | None, bool] | None:
    """(metric, confidence, direction, fraction) when the candidate is an efficiency claim.

    ``listed`` is the verdict of the previous claim when this number continues a list
    ("by 91% on A and 146% on B"): the list shares its verb and, unless it names its own, its
    metric. ``paper_metric`` is the paper's metric so far, for a comparison that names none.
    """
    s, e, sentence = cand.start, cand.end, sent.text
    metric, metric_conf = classify_metric(sent, s, e)
    listed_direction = listed[2] if listed else None
    if metric is None and listed:
        metric, metric_conf = listed[0], listed[1]
    if metric == _QUALITY or _TREND_RE.search(sentence[max(0, s - 40) : e + 25]):
        return None
    direction = _SELF_DIRECTED.get(cand.word or "") or find_direction(sent, s, e) or listed_direction
    fraction = cand.unit == "%" and is_fraction(sentence, s, e, direction)
    if metric is None and direction and nearest_lead_in(sent, s, e) is not None:
        # "outperforms X by 37%" names no metric: in an efficiency paper it is the paper's metric
        metric, metric_conf = paper_metric, 0.4
    if cand.unit == "%":
        if metric is None or (direction is None and not fraction):
            return None
        if _ABSOLUTE_RE.search(sentence[max(0, s - 30) : e + 40]):
            return None
    elif cand.word is not None:
        if metric is None or direction is None:
            return None
    elif metric is None and direction is None and not _compared_right_after(sent, e):
        return None
    if metric is None:
        metric, metric_conf = _SCORING["default"], 0.3
    return metric, metric_conf, direction, fraction


def _continues_list(sentence: str, previous: _Candidate | None, cand: _Candidate) -> bool:
    """Is cand the next item of a list that starts at previous ("91% on A and 146% on B")?"""
    if previous is None:
        return False
    between = sentence[previous.end : cand.start]
    return words_between(sentence, previous.end, cand.start) <= _DIR["list_max_words"] and not re.search(r"[;:]", between)


def claims_from_sentences(sentences: Sequence[_Sentence], efficiency_paper: bool) -> list[Claim]:
    """All benchmark claims of one abstract, given its sentences that can hold one, in text order.

    A number repeated in a later sentence is dropped. ``efficiency_paper``: the paper reads as a
    systems paper, so a bare "outperforms X by N%" counts as an efficiency claim (with the
    default metric) instead of being dropped.
    """
    claims: list[Claim] = []
    seen: dict[tuple[float, str], int] = {}
    carry: tuple[int, str | None] = (-1, None)  # (index of the sentence it frames, baseline)
    for sent in sentences:
        accepted = []
        for cand in find_candidates(sent.text, sent.matches("candidates")):
            previous = accepted[-1] if accepted else None
            listed = previous[1] if previous and _continues_list(sent.text, previous[0], cand) else None
            paper_metric = claims[-1].metric if claims else (_SCORING["default"] if efficiency_paper else None)
            verdict = _accept(cand, sent, listed, paper_metric)
            if verdict:
                accepted.append((cand, verdict))
        if not accepted:
            continue
        carried = carry[1] if carry[0] == sent.index else None
        baselines = assign_baselines(sent, [(c.start, c.end) for c, _ in accepted])
        for (cand, (metric, metric_conf, direction, fraction)), baseline in zip(accepted, baselines):
            key = (cand.high, cand.unit)
            if key in seen and seen[key] != sent.start:
                continue
            seen[key] = sent.start
            start, end = sent.start + cand.start, sent.start + cand.end
            confidence = metric_conf * (1.0 if direction or fraction else 0.7)
            claims.append(
                Claim(
                    text=sent.text[cand.start : cand.end],
                    start=start,
                    end=end,
                    sentence=sent.text,
                    low=cand.low,
                    high=cand.high,
                    unit=cand.unit,
                    metric=metric,
                    better=direction != "regression",
                    multiplier=round(multiplier_for(cand.high, cand.unit, direction, fraction), 4),
                    baseline_raw=baseline or carried,
                    qualifier=find_qualifier(sent.text, cand.start, cand.end),
                    confidence=round(confidence, 3),
                )
            )
        carry = (sent.index + 1, carried_baseline(sent))
    return claims


def extract_claims_from_text(abstract: str, efficiency_paper: bool = True) -> list[Claim]:
    """claims_from_sentences on one abstract, split as the frame-level extractor splits it."""
    frame = pl.DataFrame({"paper_id": [""], "abstract": [abstract]}, schema={"paper_id": pl.Utf8, "abstract": pl.Utf8})
    return claims_from_sentences(_sentences(candidate_sentences(frame).select(_SENTENCE_COLUMNS).iter_rows()), efficiency_paper)


# ───────────────────────────── paper-level facts ─────────────────────────────

_FACTS = RULES["facts"]
_MS = _FACTS["model_size"]


def _fact_scan(first: str, pattern: str, flags: int = 0) -> ColumnScan:
    """A fact pattern as a column scan; in Python behind a look-ahead for the class its every
    match starts with (Python's ``re`` would try the whole pattern, look-behinds and optional
    groups, at every position; the look-ahead rejects most positions at once). The Rust version
    keeps a final look-ahead as part of the match, so a pattern like "N billion (?=... parameters)"
    only matches where the parameters are.
    """
    if pattern.startswith("(?x)"):
        pattern, flags = pattern[4:], flags | re.VERBOSE
    return ColumnScan.of(f"(?={first})(?:{pattern})", rust_over(pattern, keep_final_lookahead=True), flags)


_SIZE_SCALES = {_norm(k): float(v) for k, v in _MS["scales"].items()}
_SIZE_CONTEXT_RE = re.compile(_MS["patterns"]["compact_context_re"], _FLAGS)
_SIZE_NOT_PRECEDED_RE = re.compile(_MS["patterns"]["not_preceded_by_re"], _FLAGS)

_GC = _FACTS["gpu_count"]
_GPU_WORDS = {_norm(k): int(v) for k, v in _GC["words"].items()}
_GPU_TAIL = rf"(?:{_GC['device_between_re']})(?:{_GC['accelerators_re']})"
_GPU_COUNT_PATTERN = (
    rf"(?P<list>(?:(?<![\w.,])\d{{1,3}}(?:,\d{{3}})+\s*(?:,|and|or|to)\s*|(?<![\w.,])\d+\s*(?:,|and|or|to)\s*)*)"
    rf"(?!{_GC['device_numbers_re']}){_GC['count_re']}{_GPU_TAIL}"
)
_GPU_WORD_PATTERN = rf"(?<![\w-])(?P<w>{phrase_alternation(list(_GPU_WORDS))})\s+(?:\d+\s?GB\s+)?{_GPU_TAIL}"

_HW = _FACTS["hardware"]
_HARDWARE_PATTERN = "|".join(f"(?:{p})" for p in _HW["patterns"])
_HARDWARE_NOT_FOLLOWED_RE = re.compile(_HW["not_followed_by_re"], _FLAGS)

_SYS = _FACTS["system"]
_NOT_NAME_WORDS = frozenset(w.lower() for w in _SYS["not_name_words"])
_SYSTEM_ABSTRACT_RES = [re.compile(p) for p in _SYS["abstract_res"]]

_ISS = _FACTS["is_systems"]


_SIZE_COUNT_WORDS = {_norm(k): float(v) for k, v in _MS["count_words"].items()}


def _number_word(raw: str) -> float:
    return _SIZE_COUNT_WORDS.get(_norm(raw)) or parse_number(raw)


#: every fact pattern, scanned over "title. abstract" (see facts_from_texts)
FACT_SCANS = {
    "size_spelled": _fact_scan(r"[\daotf]", _MS["patterns"]["spelled"], _FLAGS),
    "size_compact": _fact_scan(r"\d", _MS["patterns"]["compact"]),
    "size_range": _fact_scan(r"\d", _MS["patterns"]["range"]),
    "size_bare": _fact_scan(r"[bt]", _MS["patterns"]["bare"], _FLAGS),
    "gpu_count": _fact_scan(r"\d", _GPU_COUNT_PATTERN, _FLAGS),
    "gpu_word": _fact_scan("[" + "".join(sorted({w[0] for w in _GPU_WORDS})) + "]", _GPU_WORD_PATTERN, _FLAGS),
    "hardware": ColumnScan.of(_HARDWARE_PATTERN, rust_over(_HARDWARE_PATTERN, keep_final_lookahead=True)),
}
#: per fact scan, a cheap Rust condition for a row to be scanned at all
_FACT_TRIGGERS = {
    **{f"size_{name}": rust_over(t) for name, t in _PREFILTER["facts"]["model_sizes"].items()},
    **{f"gpu_{name}": rust_over(t) for name, t in _PREFILTER["facts"]["gpu_counts"].items()},
    "hardware": rust_over(_PREFILTER["facts"]["hardware"]),
}
Spans = dict[str, list[int] | None]


def _fact_matches(name: str, text: str, spans: Spans | None) -> list[re.Match]:
    return FACT_SCANS[name].matches(text, None if spans is None else spans[name])


def find_model_sizes(text: str, spans: Spans | None = None) -> list[float]:
    """Parameter counts stated in the text, in order, deduplicated.

    ``spans``: the Rust spans of the FACT_SCANS in this text, when already found.
    """
    found: list[tuple[int, float]] = []
    for m in _fact_matches("size_spelled", text, spans):
        if not _SIZE_NOT_PRECEDED_RE.search(text, 0, m.start()):
            found.append((m.start(), _number_word(m.group("n")) * _SIZE_SCALES[_norm(m.group("s"))]))
    for m in _fact_matches("size_compact", text, spans):
        before, after = text[max(0, m.start() - 20) : m.start()], text[m.end() : m.end() + 30]
        if _SIZE_CONTEXT_RE.search(before) or _SIZE_CONTEXT_RE.search(after):
            experts = float(m.group("experts") or 1)
            found.append((m.start(), experts * parse_number(m.group("n")) * _SIZE_SCALES[m.group("s").lower()]))
    for m in _fact_matches("size_range", text, spans):
        found.append((m.start(), parse_number(m.group("n")) * _SIZE_SCALES[m.group("s").lower()]))
    bare = _fact_matches("size_bare", text, spans)
    if bare:
        numeric = {v for _, v in found}
        for m in bare:
            unit = _SIZE_SCALES[m.group("s").lower()]
            if not any(unit <= v < unit * 1000 for v in numeric):
                found.append((m.start(), unit))
    return _dedupe(v for _, v in sorted(found))


def find_gpu_counts(text: str, spans: Spans | None = None) -> list[int]:
    """Accelerator counts ('2,048 A100 GPUs', '8-GPU node', 'a single GPU'), deduplicated.

    ``spans``: the Rust spans of the FACT_SCANS in this text, when already found.
    """
    found: list[tuple[int, int]] = []
    for m in _fact_matches("gpu_count", text, spans):
        for raw in re.findall(r"\d{1,3}(?:,\d{3})+|\d+", m.group("list") or ""):
            found.append((m.start(), int(parse_number(raw))))
        found.append((m.start("n"), int(parse_number(m.group("n")))))
    for m in _fact_matches("gpu_word", text, spans):
        found.append((m.start(), _GPU_WORDS[_norm(m.group("w"))]))
    return _dedupe(n for _, n in sorted(found) if n > 0)


def find_hardware(text: str, spans: Spans | None = None) -> list[str]:
    """Device mentions as written (normalise.hardware_family maps them to short names)."""
    return _dedupe(
        " ".join(m.group().split())
        for m in _fact_matches("hardware", text, spans)
        if not _HARDWARE_NOT_FOLLOWED_RE.match(text, m.end())
    )


def _looks_like_name(prefix: str) -> bool:
    words = prefix.split()
    return 0 < len(words) <= _SYS["title_prefix_max_words"] and not any(
        w.lower().strip(",.!?'\"") in _NOT_NAME_WORDS or "," in w for w in words
    )


_ACRONYM_AFTER_RE = re.compile(_SYS["acronym_after_re"], _FLAGS)


def _acronym_after(prefix: str, abstract: str) -> re.Match | None:
    """``re.search(escape(prefix) + acronym_after_re, abstract, IGNORECASE)`` without compiling a
    pattern per title: find the prefix case-insensitively (ASCII texts), then match the acronym there."""
    if not (prefix.isascii() and abstract.isascii()):
        return re.search(re.escape(prefix) + _SYS["acronym_after_re"], abstract, _FLAGS)
    needle, haystack = prefix.lower(), abstract.lower()
    pos = haystack.find(needle)
    while pos != -1:
        m = _ACRONYM_AFTER_RE.match(abstract, pos + len(needle))
        if m:
            return m
        pos = haystack.find(needle, pos + 1)
    return None


def find_system(title: str, abstract: str) -> str | None:
    """The proposed system's name: a name-like title prefix before ':', else 'we propose X, ...'."""
    prefix, colon, _ = title.partition(":")
    prefix = prefix.strip()
    if colon and _looks_like_name(prefix):
        if " " not in prefix:
            return prefix
        acronym = _acronym_after(prefix, abstract)
        return acronym.group("acronym") if acronym else prefix
    for pattern in _SYSTEM_ABSTRACT_RES:
        m = pattern.search(abstract)
        if m:
            return m.group("name")
    return None


def _dedupe(items) -> list:
    return list(dict.fromkeys(items))


# ───────────────────────────── entry points ─────────────────────────────


def extract_records(papers: pl.DataFrame) -> list[RecordExtraction]:
    """One RecordExtraction per row of a paper_id/title/abstract frame, in row order.

    The same frame-level path the ETL runs; paper ids must be unique.
    """
    claims, facts = extract_all(papers)
    by_paper: dict[str, list[Claim]] = {}
    for pid, *fields in claims.select("paper_id", *_CLAIM_FIELDS).iter_rows():
        by_paper.setdefault(pid, []).append(Claim(*fields))
    return [
        RecordExtraction(by_paper.get(pid, []), system, is_systems, sizes, gpus, hardware)
        for pid, system, is_systems, sizes, gpus, hardware in facts.select(list(FACT_SCHEMA)).iter_rows()
    ]


def extract_record(title: str, abstract: str) -> RecordExtraction:
    """Claims and facts of one paper (a one-row extract_records)."""
    return extract_records(pl.DataFrame([("", title, abstract)], schema=RECORD_SCHEMA, orient="row"))[0]


# ───────────────────────────── frame level ─────────────────────────────

CLAIM_SCHEMA = {
    "paper_id": pl.Utf8, "text": pl.Utf8, "start": pl.Int64, "end": pl.Int64, "sentence": pl.Utf8,
    "low": pl.Float64, "high": pl.Float64, "unit": pl.Utf8, "metric": pl.Utf8, "better": pl.Boolean,
    "multiplier": pl.Float64, "baseline_raw": pl.Utf8, "qualifier": pl.Utf8, "confidence": pl.Float64,
}
FACT_SCHEMA = {
    "paper_id": pl.Utf8, "system": pl.Utf8, "is_systems": pl.Boolean, "model_sizes": pl.List(pl.Float64),
    "gpu_counts": pl.List(pl.Int64), "hardware_raw": pl.List(pl.Utf8),
}
RECORD_SCHEMA = {"paper_id": pl.Utf8, "title": pl.Utf8, "abstract": pl.Utf8}


def systems_score_expr() -> pl.Expr:
    """Keyword score of title and abstract: efficiency words count for, task-quality words against.

    Claims add ``claim_weight`` each (up to two) on top, once they are known.
    """
    title, abstract = pl.col("title"), pl.col("abstract")

    def present(col: pl.Expr, words: list[str]) -> pl.Expr:
        # how many of the (lower-case, ASCII) words occur as substrings: one Aho-Corasick pass
        found = col.str.extract_many(sorted(set(words)), overlapping=True, ascii_case_insensitive=True)
        return found.list.eval(pl.element().str.to_lowercase()).list.n_unique().cast(pl.Float64)

    pos = present(abstract, _ISS["positive"]) + _ISS["title_weight"] * present(title, _ISS["positive"])
    neg = present(abstract, _ISS["negative"]) + _ISS["title_weight"] * present(title, _ISS["negative"])
    return pos - neg


def text_columns(papers: pl.DataFrame) -> pl.DataFrame:
    return papers.select(
        pl.col("paper_id").cast(pl.Utf8),
        pl.col("title").cast(pl.Utf8).fill_null(""),
        pl.col("abstract").cast(pl.Utf8).fill_null(""),
    ).with_columns(score=systems_score_expr())


#: Frames of at least PARALLEL_MIN_ROWS papers are extracted in slices of SLICE_ROWS by worker
#: processes, one per core unless env CLAIMBOARD_EXTRACT_WORKERS says otherwise (1: in-process).
#: Workers are spawned (no fork of Polars' threads), so the calling program's main module must be
#: import-safe (an ``if __name__ == "__main__":`` guard), as for any spawned multiprocessing.
PARALLEL_MIN_ROWS = 20_000
SLICE_ROWS = 50_000


def extract_workers() -> int:
    try:
        return max(1, int(os.environ.get("CLAIMBOARD_EXTRACT_WORKERS") or os.cpu_count() or 1))
    except ValueError:
        return 1


_CLAIM_FIELDS = tuple(k for k in CLAIM_SCHEMA if k != "paper_id")
#: private-use characters to mark up a column in place; the first ones absent from the column are used
_MARKERS = tuple(map(chr, range(0xE000, 0xE010)))


def _unused_characters(texts: pl.Series, n: int) -> list[str]:
    if not texts.str.contains(f"[{_MARKERS[0]}-{_MARKERS[-1]}]").any():
        return list(_MARKERS[:n])
    free = [c for c in _MARKERS if not texts.str.contains(c, literal=True).any()]
    if len(free) < n:
        raise ValueError("abstracts use every private-use marker character U+E000..U+E00F")
    return free[:n]


def candidate_sentences(frame: pl.DataFrame) -> pl.DataFrame:
    """The sentences that can hold a claim: paper_id, index, start (offset in the abstract), text,
    and per SENTENCE_SCANS name the Rust spans in the text (null: scan it in Python).

    Split in Polars: an abbreviation's period is masked by a placeholder, every boundary gets a
    marker, the abstract is split on the markers; offsets are the cumulative piece lengths.
    """
    placeholder, marker = _unused_characters(frame["abstract"], 2)
    pieces = (
        pl.col("abstract")
        .str.replace_all(_ABBREVIATION_PERIOD_RE, f"${{1}}{placeholder}${{2}}")
        .str.replace_all(_SENTENCES["boundary_re"], f"${{1}}${{2}}{marker}${{3}}")
        .str.split(marker)
    )
    length = pl.element().str.len_chars().cast(pl.Int64)
    piece = pl.col("piece")
    return (
        frame.select("paper_id", piece=pieces)
        .with_columns(
            index=pl.int_ranges(piece.list.len()),
            start=piece.list.eval(length.cum_sum() - length),
            last=piece.list.len() - 1,
        )
        .explode("piece", "index", "start")
        .select(
            "paper_id", "index", "start",
            # a piece ends with the boundary's whitespace, which belongs to no sentence
            text=pl.when(pl.col("index") < pl.col("last")).then(piece.str.strip_chars_end()).otherwise(piece)
            .str.replace_all(placeholder, ".", literal=True),
        )
        .filter(pl.col("text").str.contains(CLAIMS_TRIGGER))
        .with_columns(python_only=pl.col("text").str.contains(_PYTHON_SCAN_RE))
        .with_columns(
            pl.when(pl.col("python_only")).then(None).otherwise(scan.spans_expr(pl.col("text"), marker)).alias(name)
            for name, scan in SENTENCE_SCANS.items()
        )
        .drop("python_only")
    )


_SENTENCE_COLUMNS = ("index", "start", "text", *SENTENCE_SCANS)


def _sentences(rows) -> list[_Sentence]:
    """_Sentence of each row of candidate_sentences' _SENTENCE_COLUMNS."""
    return [_Sentence(index, start, text, dict(zip(SENTENCE_SCANS, spans))) for index, start, text, *spans in rows]


def _claim_rows(items: list[tuple]) -> list[tuple]:
    """Claim rows of (paper_id, efficiency_paper, *lists of _SENTENCE_COLUMNS) items."""
    return [
        (pid, *(getattr(c, k) for k in _CLAIM_FIELDS))
        for pid, efficiency, *columns in items
        for c in claims_from_sentences(_sentences(zip(*columns)), efficiency)
    ]


def extract_claims(papers: pl.DataFrame) -> pl.DataFrame:
    """One row per claim (columns CLAIM_SCHEMA)."""
    return claims_from_texts(text_columns(papers))


def claims_from_texts(texts: pl.DataFrame) -> pl.DataFrame:
    """Claims of a text_columns frame (paper_id, title, abstract, score); Python reads only the sentences that can hold one."""
    frame = texts.filter(pl.col("abstract").str.contains(CLAIMS_TRIGGER))
    per_paper = (
        candidate_sentences(frame)
        .group_by("paper_id", maintain_order=True)
        .agg(*_SENTENCE_COLUMNS)
        .join(frame.select("paper_id", "score"), on="paper_id", maintain_order="left")
        .select("paper_id", pl.col("score") >= _ISS["efficiency_context_threshold"], *_SENTENCE_COLUMNS)
    )
    rows = _claim_rows(per_paper.rows())
    return pl.DataFrame(rows, schema=CLAIM_SCHEMA, orient="row")


_SYSTEM_TRIGGER = rust_over(_PREFILTER["facts"]["system"])


def _with_fact_spans(frame: pl.DataFrame, marker: str) -> pl.DataFrame:
    """Per FACT_SCANS name, a column of the Rust spans in ``both``, computed only on the rows where
    the scan's trigger fires (null elsewhere: no match there), and ``python_only``: the rows whose
    text the Rust scans cannot vouch for."""
    frame = frame.with_row_index("row")
    for name, scan in FACT_SCANS.items():
        scanned = frame.filter(pl.col("both").str.contains(_FACT_TRIGGERS[name]))
        spans = scanned.select("row", scan.spans_expr(pl.col("both"), marker).alias(name))
        frame = frame.join(spans, on="row", how="left", maintain_order="left")
    return frame.with_columns(python_only=pl.col("both").str.contains(_PYTHON_SCAN_RE))


def extract_facts(papers: pl.DataFrame, claims: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per paper (columns FACT_SCHEMA); ``claims`` (extract_claims of the same papers)
    is reused for is_systems when given, else extracted here."""
    texts = text_columns(papers)
    return facts_from_texts(texts, claims_from_texts(texts) if claims is None else claims)


def facts_from_texts(texts: pl.DataFrame, claims: pl.DataFrame) -> pl.DataFrame:
    """The fact patterns are scanned over the whole column in Rust (FACT_SCANS); Python reads
    only the spans they find."""
    counts = claims.group_by("paper_id").len("n_claims")
    both = pl.col("title") + ". " + pl.col("abstract")
    title_prefix = pl.col("title").str.split_exact(":", 1).struct.field("field_0").str.strip_chars()
    frame = texts.join(counts, on="paper_id", how="left", maintain_order="left").with_columns(
        pl.col("n_claims").fill_null(0),
        both=both,
        system_title=pl.col("title").str.contains(":", literal=True)
        & (title_prefix.str.count_matches(r"\s+") < _SYS["title_prefix_max_words"]),
        system_abstract=pl.col("abstract").str.contains(_SYSTEM_TRIGGER),
    )
    (marker,) = _unused_characters(frame["both"], 1)
    rows = _fact_rows(_with_fact_spans(frame, marker).select(
        "paper_id", "title", "abstract", "both", "score", "n_claims", "system_title", "system_abstract", "python_only",
        *FACT_SCANS,
    ).rows())
    return pl.DataFrame(rows, schema=FACT_SCHEMA, orient="row")


def _fact_rows(items: list[tuple]) -> list[tuple]:
    threshold, weight = _ISS["threshold"], _ISS["claim_weight"]
    rows = []
    for pid, title, abstract, text, score, n_claims, sys_title, sys_abstract, python_only, *span_lists in items:
        spans = None if python_only else {name: found or [] for name, found in zip(FACT_SCANS, span_lists)}
        rows.append((
            pid,
            find_system(title, abstract) if sys_title or sys_abstract else None,
            score + weight * min(n_claims, 2) >= threshold,
            find_model_sizes(text, spans),
            find_gpu_counts(text, spans),
            find_hardware(text, spans),
        ))
    return rows


def _extract_slice(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    texts = text_columns(papers)
    claims = claims_from_texts(texts)
    return claims, facts_from_texts(texts, claims)


def extract_all(papers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(claims, facts) of a papers frame; the claims are extracted once and reused for is_systems.

    Large frames are cut into slices extracted by worker processes (see PARALLEL_MIN_ROWS). Only
    the text columns travel, and only a few slices at a time: the whole frame pickled into the
    pool's queue at once would be a second copy of every abstract in this process.
    """
    workers = extract_workers()
    if workers == 1 or papers.height < PARALLEL_MIN_ROWS:
        return _extract_slice(papers)
    texts = papers.select("paper_id", "title", "abstract")
    slices = (texts.slice(i, SLICE_ROWS) for i in range(0, texts.height, SLICE_ROWS))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(_in_order(pool, _extract_slice, slices, in_flight=workers + 1))
    return pl.concat([c for c, _ in parts]), pl.concat([f for _, f in parts])


def _in_order(pool: ProcessPoolExecutor, fn, items, in_flight: int):
    """``pool.map(fn, items)`` with at most ``in_flight`` items submitted and not yet returned."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
