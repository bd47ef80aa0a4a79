"""The extraction rules: ``rules/extract.toml`` loaded once and compiled into the word tables,
patterns and column scans the claim grammar reads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from etl.extract.patterns import PATTERNS
from etl.textscan import (
    ColumnScan,
    phrase_alternation,
    rust_over,
)

RULES_PATH = Path(__file__).resolve().parent.parent / "rules" / "extract.toml"


def _merged(words: dict, patterns: dict) -> dict:
    """The TOML's tables with the patterns' entries added at the same keys."""
    for key, value in patterns.items():
        if isinstance(value, dict):
            _merged(words.setdefault(key, {}), value)
        elif key in words:
            raise ValueError(f"{key!r} is set in both {RULES_PATH.name} and patterns.py")
        else:
            words[key] = value
    return words


RULES: dict = _merged(tomllib.loads(RULES_PATH.read_text(encoding="utf-8")), PATTERNS)

QUALITY = "quality"
FLAGS = re.IGNORECASE
ISS = RULES["facts"]["is_systems"]


def _phrase_lookup(groups: dict[str, list[str]]) -> dict[str, str]:
    """phrase -> group, over all phrases of all groups."""
    return {" ".join(p.lower().split()): g for g, phrases in groups.items() for p in phrases}


def _phrase_table(groups: dict[str, list[str]]) -> tuple[ColumnScan, dict[str, str]]:
    """One column scan over all phrases of all groups + phrase -> group lookup."""
    lookup = _phrase_lookup(groups)
    return ColumnScan.of(phrase_alternation(list(lookup)), phrase_alternation(list(lookup), rust=True), FLAGS), lookup


def norm(phrase: str) -> str:
    return " ".join(phrase.lower().split())


_NUM = RULES["number"]["value_re"]
_XU = RULES["number"]["multiplier_unit_re"]
_PU = RULES["number"]["percent_unit_re"]
_UNIT = f"(?:{_XU}|{_PU})"
_JOINT = RULES["number"]["range_joint_re"]
_WORDS = RULES["word_numbers"]
WORD_VALUES = {norm(k): float(v) for k, v in _WORDS["phrases"].items()}
CARDINALS = {norm(k): float(v) for k, v in _WORDS["cardinals"].items()}


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
        rf"|(?P<card>{phrase_alternation(list(CARDINALS), rust)}){times}"
        rf"|(?P<word>{phrase_alternation(list(WORD_VALUES), rust)})"
    )
    if rust:
        return rf"(?-u:\b)(?:{body})"
    firsts = "".join(sorted({re.escape(w[0]) for w in [*CARDINALS, *WORD_VALUES]}))
    return rf"(?=[\db{firsts}])(?<![\w.])(?:{body})"


CANDIDATES = ColumnScan.of(_candidate_pattern(rust=False), _candidate_pattern(rust=True), FLAGS)
DIMENSION_TAIL_RE = re.compile(RULES["number"]["dimension_tail_re"])
WORD_NOT_FOLLOWED_RE = re.compile(_WORDS["rules"]["not_followed_by_re"], FLAGS)
WORD_NOT_PRECEDED_RE = re.compile(_WORDS["rules"]["not_preceded_by_re"] + r"\Z", FLAGS)
RANGE_NOT_PRECEDED_RE = re.compile(RULES["number"]["range_not_preceded_re"] + r"\Z", FLAGS)
SELF_DIRECTED = {"double": "increase", "doubles": "increase", "doubled": "increase", "doubling": "increase",
                  "triples": "increase", "tripled": "increase", "tripling": "increase", "quadruples": "increase",
                  "quadrupled": "increase",
                  "halves": "decrease", "halved": "decrease", "halving": "decrease"}

SENTENCES = RULES["sentences"]
#: an abbreviation's period followed by a space (Rust regex: sentence splitting runs in Polars)
ABBREVIATION_PERIOD_RE = (
    r"(?i)(" + "|".join(re.escape(a.removesuffix(".")) for a in SENTENCES["abbreviations"]) + r")\.(\s)"
)

PREFILTER = RULES["prefilter"]
#: only abstracts, and then sentences, where this fires can hold a claim
CLAIMS_TRIGGER = rust_over(PREFILTER["claims_re"])
QUAL = RULES["qualifiers"]
QUALIFIER_LOOKUP = _phrase_lookup(QUAL["before"])
QUALIFIER_BEFORE_RE = re.compile(phrase_alternation(list(QUALIFIER_LOOKUP)), FLAGS)
QUALIFIER_TAIL_RE = re.compile(
    rf"(?:{phrase_alternation(list(QUALIFIER_LOOKUP))})(?:\s*(?:{phrase_alternation(QUAL['filler'])}))*\s*$", FLAGS
)
QUALIFIER_AFTER_RE = re.compile(QUAL["after_re"], FLAGS)
AVERAGE_WINDOW_RE = re.compile(QUAL["average_window_re"], FLAGS)

DIR = RULES["direction"]
DIRECTIONS, DIRECTION_LOOKUP = _phrase_table(
    {"increase": DIR["increase"], "decrease": DIR["decrease"], "regression": DIR["regression"]}
)
FRACTION_AFTER_RE = re.compile(DIR["fraction"]["after_re"], FLAGS)
FRACTION_BEFORE_RE = re.compile(DIR["fraction"]["before_re"], FLAGS)

_MET = RULES["metrics"]
METRIC_WORDS, METRIC_LOOKUP = _phrase_table(
    {**{m: p for m, p in _MET["nouns"].items()}, QUALITY: RULES["out_of_scope"]["quality"]}
)
CUES, CUE_LOOKUP = _phrase_table(_MET["cues"])
SCORING = _MET["scoring"]
ABSOLUTE_RE = re.compile(RULES["out_of_scope"]["absolute_re"], FLAGS)
TREND_RE = re.compile(RULES["out_of_scope"]["trend_re"], FLAGS)
BINDING_WORDS = frozenset(SCORING["binding_words"])
IDIOM_BEFORE_RE = re.compile(SCORING["idiom_before_re"], FLAGS)
IDIOM_NOUNS = frozenset(SCORING["idiom_nouns"])
MODIFIER_HEADS = frozenset(norm(h) for h in SCORING["modifier_heads"])

BASE = RULES["baseline"]
LEAD_INS = ColumnScan.of(
    "|".join([phrase_alternation(BASE["lead_ins"]), *BASE["lead_in_res"]]),
    "|".join([phrase_alternation(BASE["lead_ins"], rust=True), *map(rust_over, BASE["lead_in_res"])]),
    FLAGS,
)
FORWARD_ONLY = frozenset(norm(p) for p in BASE["forward_only"])
LEAD_NOT_FOLLOWED_RE = re.compile(BASE["not_followed_by_re"], FLAGS)
LEAD_NOT_PRECEDED_RE = re.compile(BASE["not_preceded_by_re"], FLAGS)
BASELINE_STOP_RE = re.compile(BASE["stop_re"], FLAGS)
BASELINE_STRIP_LEADING_RE = re.compile(BASE["strip_leading_re"], FLAGS)
BASELINE_STRIP_TRAILING_RE = re.compile(BASE["strip_trailing_re"], FLAGS)
_APPOSITIVE_NAME = BASE["appositive_name_re"]
_APPOSITIVE_HEADS = phrase_alternation(BASE["appositive_heads"])
APPOSITIVE_INLINE_RE = re.compile(
    rf"^(?:the\s+|an?\s+)?(?:(?!(?:and|the|an?)\b)[\w-]+\s+){{1,4}}(?:{_APPOSITIVE_HEADS})s?\s+(?P<name>{_APPOSITIVE_NAME})$"
)
APPOSITIVE_HEAD_END_RE = re.compile(rf"\b(?:{_APPOSITIVE_HEADS})s?$", FLAGS)
# between commas a single capitalised word is a name too ("the previous method, Medusa, by 37%")
APPOSITIVE_COMMA_RE = re.compile(rf",\s*(?P<name>{_APPOSITIVE_NAME}|[A-Z][\w.+\-]*)\s*,")
LEAD_CLAUSE_BREAK_RE = re.compile(BASE["clause_break_re"], FLAGS)
NAMED_AFTER_RE = re.compile(BASE["named_after_re"])
DEMONSTRATIVE_RE = re.compile(r"(?:those|these)\s+\S", FLAGS)
RESTRICTIVE_RE = re.compile(r"\s+(?:that|which|who)\s+[^,;.()]+", FLAGS)
LEADING_EPITHET_RE = re.compile(BASE["leading_epithet_re"])
CARRY_OVER_RE = re.compile(BASE["carry_over_re"], FLAGS)
CARRY_TRIGGER = "(?i)" + rust_over(BASE["carry_over_re"].replace("^", ""))
BASELINE_EMPTY_RE = re.compile(BASE["empty_re"], FLAGS)
OF_NAME_BY_RE = re.compile(BASE["of_name_by_re"])

_GC = RULES["facts"]["gpu_count"]
GPU_WORDS = {norm(k): int(v) for k, v in _GC["words"].items()}
_DC = _GC["device_counts"]


def device_count_rule(key: str) -> str:
    """A [facts.gpu_count.device_counts] pattern with its DEVICE and WORDS placeholders filled in."""
    words = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(GPU_WORDS, key=len, reverse=True))
    return _DC[key].replace("DEVICE", f"(?:{_DC['device_re']})").replace("WORDS", f"(?:{words})")


#: a multiplier that is a device count ("8x H100 GPUs"), never a claim (see claims.find_candidates)
DEVICE_COUNT_AT_RE = re.compile(device_count_rule("numeral_re"), FLAGS)

GOVERNED_BY_RE = re.compile(r"\bby\s+(?:up\s+to\s+|an?\s+average\s+of\s+|over\s+|more\s+than\s+|about\s+|nearly\s+)?\W*\Z")
CLAUSE_BREAK_RE = re.compile(SCORING["clause_break_re"], FLAGS)

#: what Polars finds in every sentence that can hold a claim, for the Python rules to read
SENTENCE_SCANS = {
    "candidates": CANDIDATES, "metric_words": METRIC_WORDS, "cues": CUES, "directions": DIRECTIONS, "lead_ins": LEAD_INS,
}
