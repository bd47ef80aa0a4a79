"""Extraction stage: benchmark claims and paper-level facts from one abstract.

Every pattern and keyword table lives in ``etl/rules/extract.toml``; this module only
compiles those tables (once, at import) and applies them. The grammar is:

1. find *candidate numbers* (``2.1x``, ``45\\%``, ``2-4×``, ``an order of magnitude``...);
2. read the words around each one inside its sentence: the nearest metric noun, direction
   word, qualifier and baseline lead-in (``than``/``over``/``compared to``...);
3. keep candidates that state an efficiency comparison, and compute the GUIDE's multiplier.

The frame-level functions use a Polars prefilter so the per-abstract Python only runs on
abstracts that can hold a claim or a fact.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

#: bump whenever the rules or their interpretation change (the extraction cache keys on it)
EXTRACTOR_VERSION = "1.0.0"

RULES_PATH = Path(__file__).with_name("rules") / "extract.toml"
RULES: dict = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))

METRICS = ("throughput", "speedup", "latency", "memory", "energy", "cost", "compute", "scale")
_QUALITY = "quality"
_FLAGS = re.IGNORECASE


# ───────────────────────────── compiling the tables ─────────────────────────────


def phrase_alternation(phrases: list[str]) -> str:
    """Escaped phrases, longest first, each bounded so it never matches inside a word."""

    def bounded(p: str) -> str:
        body = re.escape(p).replace(r"\ ", r"\s+")
        left = r"(?<![\w-])" if p[:1].isalnum() else ""
        right = r"(?![\w])" if p[-1:].isalnum() or p[-1:] == "." else ""
        return left + body + right

    return "|".join(bounded(p) for p in sorted(set(phrases), key=len, reverse=True))


def _phrase_table(groups: dict[str, list[str]]) -> tuple[re.Pattern, dict[str, str]]:
    """One regex over all phrases of all groups + phrase -> group lookup."""
    lookup = {" ".join(p.lower().split()): g for g, phrases in groups.items() for p in phrases}
    return re.compile(phrase_alternation(list(lookup)), _FLAGS), lookup


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

CANDIDATE_RE = re.compile(
    rf"(?<![\w.])(?:"
    rf"{RULES['number']['between_re']}(?P<b_lo>{_NUM}){_UNIT}?\s+and\s+(?P<b_hi>{_NUM})(?P<b_unit>{_UNIT})"
    rf"|(?P<r_lo>{_NUM}){_UNIT}?(?:{_JOINT})(?P<r_hi>{_NUM})(?P<r_unit>{_UNIT})"
    rf"|(?P<s_n>{_NUM})(?P<s_unit>{_UNIT})"
    rf"|(?P<card>{phrase_alternation(list(_CARDINALS))}){_WORDS['rules']['times_re']}"
    rf"|(?P<word>{phrase_alternation(list(_WORD_VALUES))})"
    rf")",
    _FLAGS,
)
_DIMENSION_TAIL_RE = re.compile(RULES["number"]["dimension_tail_re"])
_WORD_NOT_FOLLOWED_RE = re.compile(_WORDS["rules"]["not_followed_by_re"], _FLAGS)
_SELF_DIRECTED = {"double": "increase", "doubles": "increase", "doubled": "increase", "doubling": "increase",
                  "halves": "decrease", "halved": "decrease", "halving": "decrease"}

_SENTENCE_BOUNDARY_RE = re.compile(RULES["sentences"]["boundary_re"])
_ABBREVIATIONS = tuple(a.lower() for a in RULES["sentences"]["abbreviations"])

_QUAL = RULES["qualifiers"]
_QUALIFIER_BEFORE_RE, _QUALIFIER_LOOKUP = _phrase_table(_QUAL["before"])
_QUALIFIER_TAIL_RE = re.compile(
    rf"(?:{phrase_alternation(list(_QUALIFIER_LOOKUP))})(?:\s*(?:{phrase_alternation(_QUAL['filler'])}))*\s*$", _FLAGS
)
_QUALIFIER_AFTER_RE = re.compile(_QUAL["after_re"], _FLAGS)
_AVERAGE_WINDOW_RE = re.compile(_QUAL["average_window_re"], _FLAGS)

_DIR = RULES["direction"]
_DIRECTION_RE, _DIRECTION_LOOKUP = _phrase_table(
    {"increase": _DIR["increase"], "decrease": _DIR["decrease"], "regression": _DIR["regression"]}
)
_FRACTION_AFTER_RE = re.compile(_DIR["fraction"]["after_re"], _FLAGS)
_FRACTION_BEFORE_RE = re.compile(_DIR["fraction"]["before_re"], _FLAGS)

_MET = RULES["metrics"]
_METRIC_RE, _METRIC_LOOKUP = _phrase_table(
    {**{m: p for m, p in _MET["nouns"].items()}, _QUALITY: RULES["out_of_scope"]["quality"]}
)
_CUE_RE, _CUE_LOOKUP = _phrase_table(_MET["cues"])
_SCORING = _MET["scoring"]
_ABSOLUTE_RE = re.compile(RULES["out_of_scope"]["absolute_re"], _FLAGS)

_BASE = RULES["baseline"]
_LEAD_IN_RE = re.compile(phrase_alternation(_BASE["lead_ins"]), _FLAGS)
_LEAD_NOT_FOLLOWED_RE = re.compile(_BASE["not_followed_by_re"], _FLAGS)
_LEAD_NOT_PRECEDED_RE = re.compile(_BASE["not_preceded_by_re"], _FLAGS)
_BASELINE_STOP_RE = re.compile(_BASE["stop_re"], _FLAGS)
_BASELINE_STRIP_LEADING_RE = re.compile(_BASE["strip_leading_re"], _FLAGS)
_BASELINE_STRIP_TRAILING_RE = re.compile(_BASE["strip_trailing_re"], _FLAGS)
_APPOSITIVE_NAME = _BASE["appositive_name_re"]
_APPOSITIVE_HEADS = phrase_alternation(_BASE["appositive_heads"])
_APPOSITIVE_INLINE_RE = re.compile(rf"\b(?:{_APPOSITIVE_HEADS})s?\s+(?P<name>{_APPOSITIVE_NAME})$")
_APPOSITIVE_HEAD_END_RE = re.compile(rf"\b(?:{_APPOSITIVE_HEADS})s?$", _FLAGS)
_APPOSITIVE_COMMA_RE = re.compile(rf"^,\s*(?P<name>{_APPOSITIVE_NAME})\s*,")
_CARRY_OVER_RE = re.compile(_BASE["carry_over_re"], _FLAGS)

_WORD_RE = re.compile(r"\S+")
_CLAUSE_BREAK_RE = re.compile(r"[;:]|\s(?:while|whereas|with)\s|,", _FLAGS)


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
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _LeadIn:
    start: int  # of the lead-in word, in the sentence
    np_start: int
    np_end: int
    phrase: str


# ───────────────────────────── small helpers ─────────────────────────────


def parse_number(raw: str) -> float:
    return float(raw.replace(",", ""))


def words_between(text: str, a: int, b: int) -> int:
    """How many words separate offsets a <= b of text."""
    return len(_WORD_RE.findall(text[a:b])) if b > a else 0


def split_sentences(text: str) -> list[_Sentence]:
    """Sentence spans; a period after an abbreviation ("e.g.", "vs.") is no boundary."""
    spans, start = [], 0
    for m in _SENTENCE_BOUNDARY_RE.finditer(text):
        if text[start : m.start()].lower().endswith(_ABBREVIATIONS):
            continue
        spans.append(_Sentence(start, m.start(), text[start : m.start()]))
        start = m.end()
    if start < len(text):
        spans.append(_Sentence(start, len(text), text[start:]))
    return spans


# ───────────────────────────── candidates ─────────────────────────────


def _unit_of(raw_unit: str) -> str:
    return "%" if "%" in raw_unit or "percent" in raw_unit.lower() else "x"


def find_candidates(text: str) -> list[_Candidate]:
    """Every number-with-unit or word multiplier in the text, ranges and 'between' as one."""
    out = []
    for m in CANDIDATE_RE.finditer(text):
        g = m.groupdict()
        if g["b_hi"]:
            low, high, unit, start = parse_number(g["b_lo"]), parse_number(g["b_hi"]), _unit_of(g["b_unit"]), m.start("b_lo")
        elif g["r_hi"]:
            low, high, unit, start = parse_number(g["r_lo"]), parse_number(g["r_hi"]), _unit_of(g["r_unit"]), m.start()
        elif g["s_n"]:
            low = high = parse_number(g["s_n"])
            unit, start = _unit_of(g["s_unit"]), m.start()
        elif g["card"]:
            low = high = _CARDINALS[_norm(g["card"])]
            unit, start = "x", m.start()
        else:
            word = _norm(g["word"])
            if word in {"half", "halves", "halved", "halving"} and _WORD_NOT_FOLLOWED_RE.match(text, m.end()):
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
            gap = words_between(sentence, cand_end, start)
            score = weight - _SCORING["right_penalty"] * gap - _clause_cost(sentence, cand_end, start)
        elif end <= cand_start:
            gap = words_between(sentence, end, cand_start)
            score = weight - _SCORING["left_penalty"] * gap - _clause_cost(sentence, end, cand_start)
        else:
            continue
        if gap > _SCORING["max_words"]:
            continue
        if best is None or score > best[1]:
            best = (label, score)
    return best


@cache
def _sentence_keywords(sentence: str) -> tuple[list, list]:
    """Metric nouns (with quality words) and cue words of one sentence."""
    nouns = [(m.start(), m.end(), _METRIC_LOOKUP[_norm(m.group())], _SCORING["noun_weight"])
             for m in _METRIC_RE.finditer(sentence)]
    cues = [(m.start(), m.end(), _CUE_LOOKUP[_norm(m.group())], _SCORING["cue_weight"])
            for m in _CUE_RE.finditer(sentence)]
    return nouns, cues


def classify_metric(sentence: str, start: int, end: int) -> tuple[str | None, float]:
    """(metric or 'quality' or None, confidence) from the words around [start, end)."""
    nouns, cues = _sentence_keywords(sentence)
    best = _nearest(sentence, start, end, nouns + cues)
    if best is None:
        return None, 0.0
    label, score = best
    return label, max(0.3, min(1.0, score / _SCORING["noun_weight"]))


def find_direction(sentence: str, start: int, end: int) -> str | None:
    """increase | decrease | regression | None: the nearest direction word in the window."""
    best = None
    for m in _DIRECTION_RE.finditer(sentence):
        if m.start() >= end:
            gap, limit = words_between(sentence, end, m.start()), _DIR["window_after"]
        elif m.end() <= start:
            gap, limit = words_between(sentence, m.end(), start), _DIR["window_before"]
        else:
            continue
        if gap > limit or _clause_cost(sentence, *sorted((end, m.start())) if m.start() >= end else (m.end(), start)) > 0:
            continue
        label = _DIRECTION_LOOKUP[_norm(m.group())]
        rank = (gap, label != "regression")  # nearest wins; a regression word wins a tie
        if best is None or rank < best[0]:
            best = (rank, label)
    return best[1] if best else None


def is_fraction(sentence: str, start: int, end: int) -> bool:
    """"55% of the compute", "reduce it to 66%": the number is what remains, not the change."""
    return bool(_FRACTION_AFTER_RE.match(sentence, end) or _FRACTION_BEFORE_RE.search(sentence[:start]))


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
    if not phrase or not re.search(r"[A-Za-z]", phrase):
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


@cache
def find_lead_ins(sentence: str) -> tuple[_LeadIn, ...]:
    """Every comparison lead-in of a sentence with the noun phrase that follows it."""
    out = []
    for m in _LEAD_IN_RE.finditer(sentence):
        if _LEAD_NOT_FOLLOWED_RE.match(sentence, m.end()) or _LEAD_NOT_PRECEDED_RE.search(sentence, 0, m.start()):
            continue
        np_start = m.end()
        stop = _BASELINE_STOP_RE.search(sentence, np_start + 1)
        np_end = stop.start() if stop else len(sentence)
        phrase = _clean_baseline(sentence, np_start, np_end)
        if phrase:
            out.append(_LeadIn(m.start(), np_start, np_end, phrase))
    return tuple(out)


def nearest_lead_in(sentence: str, start: int, end: int) -> _LeadIn | None:
    """The lead-in closest to the claim; one after the claim ('2x faster than X') is favoured."""
    best = None
    for lead in find_lead_ins(sentence):
        if lead.start >= end:
            dist = _BASE["right_bias"] * words_between(sentence, end, lead.start)
        elif lead.np_end <= start:
            dist = words_between(sentence, lead.np_end, start)
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


def assign_baselines(sentence: str, spans: list[tuple[int, int]]) -> list[str | None]:
    """Baseline per claim span of one sentence; '..., respectively' distributes conjuncts."""
    leads = [nearest_lead_in(sentence, s, e) for s, e in spans]
    out: list[str | None] = [lead.phrase if lead else None for lead in leads]
    if re.search(r"\brespectively\b", sentence, _FLAGS):
        for lead in {lead for lead in leads if lead}:
            members = [i for i, other in enumerate(leads) if other == lead]
            conjuncts = split_conjuncts(lead.phrase)
            if len(conjuncts) > 1 and len(members) > 1:
                for k, i in enumerate(members):
                    out[i] = conjuncts[k % len(conjuncts)]
    return out


def carried_baseline(sentence: str) -> str | None:
    """A baseline that frames the next sentence too ('Compared to X, ...', '... outperforms X ...')."""
    for lead in find_lead_ins(sentence):
        if _CARRY_OVER_RE.search(sentence[lead.start : lead.np_start]) and (
            lead.start == 0 or "outperform" in sentence[lead.start : lead.np_start].lower()
            or "surpass" in sentence[lead.start : lead.np_start].lower()
        ):
            return lead.phrase
    return None


# ───────────────────────────── claims ─────────────────────────────


def _accept(cand: _Candidate, sentence: str, s: int, e: int) -> tuple[str, float, str | None, bool] | None:
    """(metric, confidence, direction, fraction) when the candidate is an efficiency claim."""
    metric, metric_conf = classify_metric(sentence, s, e)
    if metric == _QUALITY:
        return None
    direction = _SELF_DIRECTED.get(cand.word or "") or find_direction(sentence, s, e)
    fraction = cand.unit == "%" and direction is None and is_fraction(sentence, s, e)
    if cand.unit == "%":
        if metric is None or (direction is None and not fraction):
            return None
        if _ABSOLUTE_RE.search(sentence[max(0, s - 30) : e + 40]):
            return None
    elif cand.word is not None and (metric is None or direction is None):
        return None
    if direction is None and cand.unit == "%" and fraction and "reduc" in sentence[:s].lower()[-60:]:
        direction = "decrease"
    if metric is None:
        metric, metric_conf = _SCORING["default"], 0.3
    return metric, metric_conf, direction, fraction


def extract_claims_from_text(abstract: str) -> list[Claim]:
    """All benchmark claims of one abstract, in text order, repeats across sentences dropped."""
    claims: list[Claim] = []
    seen: dict[tuple[float, str], int] = {}
    previous_carry: str | None = None
    for sent in split_sentences(abstract):
        accepted = []
        for cand in find_candidates(sent.text):
            verdict = _accept(cand, sent.text, cand.start, cand.end)
            if verdict:
                accepted.append((cand, verdict))
        if accepted:
            baselines = assign_baselines(sent.text, [(c.start, c.end) for c, _ in accepted])
            for (cand, (metric, metric_conf, direction, fraction)), baseline in zip(accepted, baselines):
                key = (cand.high, cand.unit)
                if key in seen and seen[key] != sent.start:
                    continue
                seen[key] = sent.start
                baseline = baseline or previous_carry
                start, end = sent.start + cand.start, sent.start + cand.end
                confidence = metric_conf * (1.0 if direction or fraction else 0.7)
                claims.append(
                    Claim(
                        text=abstract[start:end],
                        start=start,
                        end=end,
                        sentence=sent.text,
                        low=cand.low,
                        high=cand.high,
                        unit=cand.unit,
                        metric=metric,
                        better=direction != "regression",
                        multiplier=round(multiplier_for(cand.high, cand.unit, direction, fraction), 4),
                        baseline_raw=baseline,
                        qualifier=find_qualifier(sent.text, cand.start, cand.end),
                        confidence=round(confidence, 3),
                    )
                )
        previous_carry = carried_baseline(sent.text)
    return claims
