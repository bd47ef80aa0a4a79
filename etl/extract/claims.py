"""The claim grammar: candidate numbers, the words around them in their sentence, and the
multiplier of each accepted claim (tests/fixtures/GUIDE.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import polars as pl

from etl.extract.rules import (
    ABBREVIATION_PERIOD_RE,
    ABSOLUTE_RE,
    APPOSITIVE_COMMA_RE,
    APPOSITIVE_HEAD_END_RE,
    APPOSITIVE_INLINE_RE,
    AVERAGE_WINDOW_RE,
    BASE,
    BASELINE_EMPTY_RE,
    BASELINE_STOP_RE,
    BASELINE_STRIP_LEADING_RE,
    BASELINE_STRIP_TRAILING_RE,
    BINDING_WORDS,
    CANDIDATES,
    CARDINALS,
    CARRY_OVER_RE,
    CARRY_TRIGGER,
    CLAIMS_TRIGGER,
    CLAUSE_BREAK_RE,
    CUE_LOOKUP,
    DEMONSTRATIVE_RE,
    DEVICE_COUNT_AT_RE,
    DIMENSION_TAIL_RE,
    DIR,
    DIRECTION_LOOKUP,
    FLAGS,
    FORWARD_ONLY,
    FRACTION_AFTER_RE,
    FRACTION_BEFORE_RE,
    GOVERNED_BY_RE,
    IDIOM_BEFORE_RE,
    IDIOM_NOUNS,
    ISS,
    LEADING_EPITHET_RE,
    LEAD_CLAUSE_BREAK_RE,
    LEAD_NOT_FOLLOWED_RE,
    LEAD_NOT_PRECEDED_RE,
    METRIC_LOOKUP,
    MODIFIER_HEADS,
    NAMED_AFTER_RE,
    OF_NAME_BY_RE,
    QUAL,
    QUALIFIER_AFTER_RE,
    QUALIFIER_BEFORE_RE,
    QUALIFIER_LOOKUP,
    QUALIFIER_TAIL_RE,
    QUALITY,
    RANGE_NOT_PRECEDED_RE,
    RESTRICTIVE_RE,
    RULES,
    SCORING,
    SELF_DIRECTED,
    SENTENCES,
    SENTENCE_SCANS,
    TREND_RE,
    WORD_NOT_FOLLOWED_RE,
    WORD_NOT_PRECEDED_RE,
    WORD_VALUES,
    norm,
)
from etl.textscan import (
    PYTHON_ONLY_RE,
    unused_characters,
)
from etl.schemas import SETTING_SCHEMA
from etl.vocab import METRICS


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
    # the claim's effective setting (GUIDE section 4; etl.setting): values and where each came from
    model_sizes: tuple[float, ...] | list[float] = ()
    gpu_counts: tuple[int, ...] | list[int] = ()
    hardware_raw: tuple[str, ...] | list[str] = ()
    model_sizes_from: str | None = None
    gpu_counts_from: str | None = None
    hardware_from: str | None = None


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
        return [(m.start(), m.end(), DIRECTION_LOOKUP[norm(m.group())]) for m in self.matches("directions")]

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
            # "from 20% to 45%" is a change between two values; "from 2.1x-3.4x" is still a range
            if RANGE_NOT_PRECEDED_RE.search(text, 0, m.start()) and re.search(r"\bto\b", text[m.start() : m.end()]):
                continue
            low, high, unit, start = parse_number(g["r_lo"]), parse_number(g["r_hi"]), _unit_of(g["r_unit"]), m.start()
        elif g["s_n"]:
            low = high = parse_number(g["s_n"])
            unit, start = _unit_of(g["s_unit"]), m.start()
        elif g["card"]:
            low = high = CARDINALS[norm(g["card"])]
            unit, start = "x", m.start()
        else:
            word = norm(g["word"])
            if WORD_NOT_FOLLOWED_RE.match(text, m.end()) or WORD_NOT_PRECEDED_RE.search(text, 0, m.start()):
                continue
            low = high = WORD_VALUES[word]
            unit, start = "x", m.start()
        end = m.end()
        if unit == "x" and (DIMENSION_TAIL_RE.match(text, end) or DEVICE_COUNT_AT_RE.match(text, start)):
            continue  # "4x4", "8x H100 GPUs": a dimension or a device count, not a multiplier
        if low > high or high <= 0:
            continue
        out.append(_Candidate(start, end, low, high, unit, norm(g["word"]) if g["word"] else None))
    return out


# ───────────────────────────── reading the context ─────────────────────────────


def _clause_cost(sentence: str, a: int, b: int) -> float:
    # the breaks' look-aheads see past b ("Medusa, by up to 37%": that comma is no break)
    breaks = sum(m.start() < b for m in CLAUSE_BREAK_RE.finditer(sentence, a, min(len(sentence), b + 24)))
    return SCORING["clause_penalty"] * breaks


def _nearest(
    sentence: str, cand_start: int, cand_end: int, matches: list[tuple[int, int, str, float]]
) -> tuple[str, float] | None:
    """Best (label, score) among keyword matches, by weight minus distance and clause costs."""
    best = None
    right, left, bonus = SCORING["right_penalty"], SCORING["left_penalty"], SCORING["binding_bonus"]
    for start, end, label, weight in matches:
        if start >= cand_end:
            a, b, penalty = cand_end, start, right
        elif end <= cand_start:
            a, b, penalty = end, cand_start, left
        else:
            continue
        gap = words_between(sentence, a, b)
        if gap > (SCORING["quality_max_words"] if label == QUALITY else SCORING["max_words"]):
            continue
        base = weight - penalty * gap
        # the clause cost only lowers a score and the bonus raises it at most by `bonus`: a keyword
        # that cannot beat the best one even so is not read further (same result, fewer scans)
        if best is not None and _PRUNE and base + bonus <= best[1]:
            continue
        score = base - _clause_cost(sentence, a, b)
        if _is_binding(sentence[a:b]):
            score += bonus
        if best is None or score > best[1]:
            best = (label, score)
    return best


#: the pruning in _nearest holds while clause costs are never negative and the bonus is not
_PRUNE = SCORING["clause_penalty"] >= 0 and SCORING["binding_bonus"] >= 0


def _is_binding(gap: str) -> bool:
    """Only filler, direction words and list numbers between a keyword and its number?"""
    return all(t in BINDING_WORDS or any(ch.isdigit() for ch in t) for t in gap.lower().replace(",", " ").split())


def _sentence_keywords(sent: _Sentence) -> tuple[list, list]:
    """Metric nouns (with quality words) and cue words of one sentence."""
    sentence, nouns = sent.text, []
    for m in sent.matches("metric_words"):
        label = METRIC_LOOKUP[norm(m.group())]
        if norm(m.group()) in IDIOM_NOUNS and IDIOM_BEFORE_RE.search(sentence, max(0, m.start() - 30), m.start()):
            continue  # "at the cost of": an idiom, not the cost metric
        modifier = nouns[-1] if nouns else None
        if modifier and norm(m.group()) in MODIFIER_HEADS and not sentence[modifier[1] : m.start()].strip(" -"):
            label = modifier[2]  # "throughput speedup" is a throughput claim
        nouns.append((m.start(), m.end(), label, SCORING["noun_weight"]))
    cues = [(m.start(), m.end(), CUE_LOOKUP[norm(m.group())], SCORING["cue_weight"])
            for m in sent.matches("cues")]
    return nouns, cues


def classify_metric(sent: _Sentence, start: int, end: int) -> tuple[str | None, float]:
    """(metric or 'quality' or None, confidence) from the words around [start, end)."""
    nouns, cues = sent.keywords
    best = _nearest(sent.text, start, end, nouns + cues)
    if best is None:
        return None, 0.0
    label, score = best
    if score < SCORING["min_score"]:
        return None, 0.0
    return label, max(0.3, min(1.0, score / SCORING["noun_weight"]))


_PAREN_BEFORE_RE = re.compile(
    r"\s*\(\s*(?:by\s+)?(?:(?:up\s+to|about|around|nearly|over|roughly|max(?:imum)?|on\s+average|an\s+average\s+of)\s+)?\W*$", FLAGS
)


_OF_GAP_RE = re.compile(r"\s*(?:of\s+(?:[\w-]+\s+){0,3})?")


def parenthesis_metric(sent: _Sentence, start: int) -> str | None:
    """The metric noun right before the parenthesis a number opens: "latency (by up to 95.4%)"."""
    opened = sent.text.rfind("(", 0, start)
    if opened == -1 or not _PAREN_BEFORE_RE.fullmatch(sent.text, opened, start):
        return None
    before = [(a, b, label) for a, b, label, _ in sent.keywords[0] if b <= opened]
    if before and _OF_GAP_RE.fullmatch(sent.text, before[-1][1], opened):
        label = before[-1][2]
        return label if label in METRICS else None
    return None


_RATES = RULES["metrics"]["rates"]
_RATE_RE = re.compile(_RATES["rate_re"])


def _speedup_noun_bound(sent: _Sentence, start: int, end: int) -> bool:
    """A speedup noun (not a bare cue like "faster") binds the number: "1.3x speedup", "training time by 2x"."""
    for a, b, label, _ in sent.keywords[0]:
        gap = sent.text[b:start] if b <= start else sent.text[end:a] if a >= end else None
        if gap is not None and label == "speedup" and words_between(gap, 0, len(gap)) <= 4 and _is_binding(gap):
            return True
    return False


_WORSE = DIR["worse"]
_WORSE_AFTER_RE = re.compile(_WORSE["after_re"], FLAGS)
_WORSE_NOT_NOUN_RE = re.compile(_WORSE["not_noun_re"])


def _more_of_worse(sent: _Sentence, end: int) -> bool:
    """"N% higher <lower-is-better noun>" right after the number (not "more energy-efficient")."""
    for a, b, label, _ in sent.keywords[0]:
        if a > end and _WORSE_AFTER_RE.fullmatch(sent.text[end:a] + " ") is not None:
            return label in _WORSE["metrics"] and not _WORSE_NOT_NOUN_RE.search(sent.text[a : b + 12])
    return False


_OVERHEAD_AFTER_RE = re.compile(r"\s*(?:of\s+)?(?:extra\s+|additional\s+)?overheads?\b", FLAGS)


def _fraction_metric(sent: _Sentence, end: int) -> str | None:
    """The metric noun right after "N% of (the)": "40% of the cost of full fine-tuning" -> cost."""
    after = FRACTION_AFTER_RE.match(sent.text, end)
    if not after:
        return None
    for a, _, label, _ in sent.keywords[0]:
        if a == after.end() and label in METRICS:
            return label
    return None


def _quality_sentence(sent: _Sentence) -> bool:
    """The sentence is about accuracy/quality (a quality noun and no efficiency noun): a bare
    "outperforming X by 28%" there is a quality number, not an efficiency claim (GUIDE section 1)."""
    labels = {label for *_, label, _ in sent.keywords[0]}
    return QUALITY in labels and not labels & set(METRICS)


def _noun_between(sent: _Sentence, a: int, b: int) -> bool:
    """A metric noun between the previous list item and this number names this number's own metric."""
    return any(a <= x and y <= b and label in METRICS for x, y, label, _ in sent.keywords[0])


def bound_metric(sent: _Sentence, start: int, end: int) -> str | None:
    """A metric keyword bound to the number by binding words only ("2.1x higher throughput",
    "reduces latency by 30%"), else None."""
    for a, b, label, _ in sent.keywords[0] + sent.keywords[1]:
        gap = sent.text[b:start] if b <= start else sent.text[end:a] if a >= end else None
        if gap is not None and label in METRICS and words_between(gap, 0, len(gap)) <= 4 and _is_binding(gap):
            return label
    return None


_NEXT_CONJUNCT_RE = re.compile(r"\W*(?:,\s*)?(?:and|while|but|whereas)\s+", FLAGS)
_VERB_RE = re.compile(r"[a-z]+(?:es|s)(?<!less)(?<!ss)", FLAGS)


def find_direction(sent: _Sentence, start: int, end: int) -> str | None:
    """increase | decrease | regression | None: the nearest direction word in the window."""
    sentence, best = sent.text, None
    qualifier = QUALIFIER_TAIL_RE.search(sentence, max(0, start - 40), start)
    for m_start, m_end, label in sent.directions:
        if qualifier and qualifier.start() <= m_start and m_end <= start:
            continue  # "less than 1% overhead": "less" belongs to the qualifier
        if m_start >= end:
            if _NEXT_CONJUNCT_RE.fullmatch(sentence, end, m_start) and _VERB_RE.fullmatch(sentence, m_start, m_end):
                continue  # "by 37.5% and boosts throughput": the verb opens the next conjunct
            a, b, limit = end, m_start, DIR["window_after"]
        elif m_end <= start:
            a, b = m_end, start
            limit = DIR["window_before_by"] if GOVERNED_BY_RE.search(sentence, a, b) else DIR["window_before"]
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
    after_of = direction is None and FRACTION_AFTER_RE.match(sentence, end)
    return bool(after_of or FRACTION_BEFORE_RE.search(sentence[:start]))


def find_qualifier(sentence: str, start: int, end: int) -> str | None:
    before = QUALIFIER_TAIL_RE.search(sentence[max(0, start - 40) : start])
    if before:
        head = QUALIFIER_BEFORE_RE.search(before.group())
        return QUALIFIER_LOOKUP[norm(head.group())]
    if QUALIFIER_AFTER_RE.match(sentence, end):
        return "average"
    window = sentence[:start].split()[-QUAL["average_window_words"] :]
    if AVERAGE_WINDOW_RE.search(" ".join(window)) or re.match(r"on average\b", sentence, FLAGS):
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
    phrase = BASELINE_STRIP_LEADING_RE.sub("", phrase)
    phrase = BASELINE_STRIP_TRAILING_RE.sub("", phrase).strip(" ,;:-")
    if not re.search(r"[A-Za-z]", phrase) or BASELINE_EMPTY_RE.fullmatch(phrase):
        return None
    inline = APPOSITIVE_INLINE_RE.search(phrase)
    if inline:
        return inline.group("name")
    if APPOSITIVE_HEAD_END_RE.search(phrase):
        after = APPOSITIVE_COMMA_RE.match(sentence, np_end)
        if after:
            return after.group("name")
    if len(phrase.split()) > BASE["max_words"]:
        return None
    return LEADING_EPITHET_RE.sub("", phrase)


def _phrase_end(sentence: str, start: int) -> int:
    """Where the noun phrase from `start` ends; a parenthesis ("(e.g., NVIDIA V100S)") is kept whole."""
    pos = start + 1
    while (stop := BASELINE_STOP_RE.search(sentence, pos)) and stop.start() < len(sentence):
        opened = sentence.rfind("(", start, stop.start())
        closing = sentence.find(")", stop.start())
        if opened == -1 or sentence.rfind(")", start, stop.start()) > opened or closing == -1:
            return stop.start()
        pos = closing + 1
    return len(sentence)


#: find_lead_ins by sentence text: the lead-ins depend on the text alone (the Rust spans only
#: locate them), and the setting binding and the paper's devices read the claim sentences' again
_LEAD_INS: dict[str, tuple[_LeadIn, ...]] = {}
LEAD_INS_CACHED = 1 << 16


def find_lead_ins(sent: _Sentence) -> tuple[_LeadIn, ...]:
    """Every comparison lead-in of a sentence with the noun phrase that follows it."""
    found = _LEAD_INS.get(sent.text)
    if found is None:
        if len(_LEAD_INS) >= LEAD_INS_CACHED:
            _LEAD_INS.clear()
        found = _LEAD_INS[sent.text] = _find_lead_ins(sent)
    return found


def _find_lead_ins(sent: _Sentence) -> tuple[_LeadIn, ...]:
    sentence, out = sent.text, []
    for m in sent.matches("lead_ins"):
        if LEAD_NOT_FOLLOWED_RE.match(sentence, m.end()) or LEAD_NOT_PRECEDED_RE.search(sentence, 0, m.start()):
            continue
        np_start = m.end()
        np_end = _phrase_end(sentence, np_start)
        phrase = _clean_baseline(sentence, np_start, np_end)
        relative = RESTRICTIVE_RE.match(sentence, np_end) if phrase and DEMONSTRATIVE_RE.match(phrase) else None
        if relative:  # "those systems that assume the worst case": a demonstrative keeps its clause
            np_end = relative.end()
            phrase = _clean_baseline(sentence, np_start, np_end) or phrase
        named = NAMED_AFTER_RE.match(sentence, np_end) if phrase and phrase.islower() else None
        if named:  # "offloaded inference using the popular Huggingface Accelerate" -> the name
            np_end, phrase = named.end(), named.group("name")
        if phrase:
            out.append(_LeadIn(m.start(), np_start, np_end, phrase, norm(m.group()) in FORWARD_ONLY))
    for m in OF_NAME_BY_RE.finditer(sentence):
        out.append(_LeadIn(m.start(), m.start("name"), m.end("name"), m.group("name")))
    return tuple(sorted(out, key=lambda lead: lead.start))


def nearest_lead_in(sent: _Sentence, start: int, end: int) -> _LeadIn | None:
    """The lead-in closest to the claim; one after the claim ('2x faster than X') is favoured."""
    best = None
    for lead in sent.lead_ins:
        if lead.start >= end:
            if lead.forward_only:
                continue
            dist = BASE["right_bias"] * words_between(sent.text, end, lead.start)
            dist += BASE["clause_break_words"] * len(LEAD_CLAUSE_BREAK_RE.findall(sent.text, end, lead.start))
        elif lead.np_end <= start:
            dist = words_between(sent.text, lead.np_end, start)
            dist += BASE["clause_break_words"] * len(LEAD_CLAUSE_BREAK_RE.findall(sent.text, lead.np_end, start))
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


_EXAMPLES_RE = re.compile(BASE["examples_re"])
_EXAMPLE_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


def example_names(text: str) -> list[str]:
    """The named examples of generic baselines ("existing compilers like Triton and Ladder, as well
    as kernels such as QuantLLM and Marlin" -> Triton, Ladder, QuantLLM, Marlin), in order."""
    return [n for m in _EXAMPLES_RE.finditer(text) for n in _EXAMPLE_SPLIT_RE.split(m.group("names")) if n]


def assign_baselines(sent: _Sentence, spans: list[tuple[int, int]]) -> list[str | None]:
    """Baseline per claim span of one sentence; '..., respectively' distributes conjuncts."""
    leads = [nearest_lead_in(sent, s, e) for s, e in spans]
    out: list[str | None] = [lead.phrase if lead else None for lead in leads]
    if re.search(r"\brespectively\b", sent.text, FLAGS):
        for lead in {lead for lead in leads if lead}:
            members = [i for i, other in enumerate(leads) if other == lead]
            conjuncts = split_conjuncts(lead.phrase)
            # the named examples of the comparison's generic phrases, when one per claim
            first = min(spans[i][0] for i in members)
            names = example_names(sent.text[lead.np_start : first]) if lead.np_start < first else example_names(lead.phrase)
            conjuncts = names if len(names) == len(members) else conjuncts
            if len(conjuncts) > 1 and len(members) > 1:
                for k, i in enumerate(members):
                    out[i] = conjuncts[k % len(conjuncts)]
    return out


def carried_baseline(sent: _Sentence) -> str | None:
    """A baseline that frames the next sentence too ('Compared to X, ...', '... outperforms X ...')."""
    sentence = sent.text
    for lead in sent.lead_ins:
        if CARRY_OVER_RE.search(sentence[lead.start : lead.np_start]) and (
            lead.start == 0 or "outperform" in sentence[lead.start : lead.np_start].lower()
            or "surpass" in sentence[lead.start : lead.np_start].lower()
        ):
            return lead.phrase
    return None


def framed_baseline(sent: _Sentence) -> str | None:
    """carried_baseline, unless the sentence frames a quality comparison only ("outperforms X in
    terms of predictive performance"): that baseline is no efficiency claim's."""
    lead = carried_baseline(sent) if CARRY_OVER_RE.search(sent.text) else None
    if lead is None:
        return None
    labels = {label for *_, label, _ in sent.keywords[0]}
    return None if QUALITY in labels and not labels & set(METRICS) else lead


# ───────────────────────────── claims ─────────────────────────────


_NC = RULES["not_claims"]
_SHARE_VERB_RE = re.compile(_NC["share_verb_re"], FLAGS)
_SHARE_SUBJECT_BEFORE_RE = re.compile(_NC["share_subject_before_re"], FLAGS)
_SHARE_AFTER_RE = re.compile(_NC["share_after_re"], FLAGS)
_SHARE_AFTER_PREPOSITION_RE = re.compile(_NC["share_after_preposition_re"], FLAGS)
_PROBLEM_VERB_RE = re.compile(_NC["problem_verb_re"], FLAGS)
#: a cheap test before the anchored problem-verb pattern: one of its verb stems
_PROBLEM_TRIGGER_RE = re.compile(_NC["problem_trigger_re"], FLAGS)


def describes_problem(sentence: str, start: int, end: int, unit: str) -> bool:
    """A number that describes the problem, not the work's result (GUIDE section 3): a share of a
    total ("attention takes 70% of decode time", "80% of requests share a prefix", "on fewer than
    10% of the tokens", "keeps 99% of requests within the SLO") or what a problem verb does
    ("prior systems lose up to 40% of their throughput", "stragglers inflate latency by 3x")."""
    before = sentence[max(0, start - 80) : start]
    if _PROBLEM_TRIGGER_RE.search(before) and _PROBLEM_VERB_RE.search(before):
        return True
    if unit != "%":
        return False
    if re.match(r"\s+of\b", sentence[end : end + 4]) and _SHARE_VERB_RE.search(before):
        return True
    of_share = _SHARE_AFTER_RE.match(sentence, end)
    return bool(of_share and (_SHARE_SUBJECT_BEFORE_RE.search(before) or _SHARE_AFTER_PREPOSITION_RE.search(before)))


_COORDINATED_RE = re.compile(
    r"(?:both\s+)?(?P<a>[\w/-]+(?:\s+[\w/-]+){0,2}?)\s+(?:and|as\s+well\s+as|&)\s+(?P<b>[\w/-]+(?:\s+[\w/-]+){0,2}?)"
    r"\s+(?:by\s+)?(?:(?:up\s+to|about|nearly|over|more\s+than|an\s+average\s+of|a)\s+)?\W*$",
    FLAGS,
)


def coordinated_metrics(sentence: str, start: int, metric: str) -> list[str]:
    """The other metrics one number states ("reduces latency and memory by 90%", "lowers both energy
    and cost by 2.5x"): metric nouns coordinated right before it, each one claim (GUIDE section 3)."""
    window_start = max(0, start - 80)
    joint = max(sentence.rfind(" and ", window_start, start), sentence.rfind(" as well as ", window_start, start),
                sentence.rfind("&", window_start, start))
    if joint == -1:  # cheap test first: no coordination, no second metric
        return []
    m = _COORDINATED_RE.search(sentence, max(window_start, joint - 40), start)
    if not m:
        return []
    labels = []
    for n, part in enumerate((m.group("a"), m.group("b"))):
        words = part.lower().split()
        # the second noun phrase is a metric phrase as a whole; the first ends with one
        tails = range(len(words)) if n == 0 else range(min(1, len(words)))
        label = next((METRIC_LOOKUP.get(" ".join(words[k:])) for k in tails
                      if METRIC_LOOKUP.get(" ".join(words[k:])) in METRICS), None)
        if label is None:
            return []
        labels.append(label)
    return [x for x in dict.fromkeys(labels) if x != metric] if metric in labels else []


def _compared_right_after(sent: _Sentence, end: int) -> bool:
    lead = nearest_lead_in(sent, end, end)
    return lead is not None and lead.start >= end and words_between(sent.text, end, lead.start) <= DIR["lead_in_max_words"]


def _accept(
    cand: _Candidate, sent: _Sentence, listed: tuple[str, float, str | None, bool] | None, paper_metric: str | None,
    listed_end: int = 0,
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
    # issue 11: a number governed by the noun before its parenthesis ("latency (by up to 95%)"), and a
    # list item that keeps its list's metric unless a noun of its own binds it ("(max 47%)", "and 11.0%")
    governing = parenthesis_metric(sent, s)
    if governing:
        metric, metric_conf = governing, 1.0
    elif metric in _RATES["cue_metrics"] and _RATE_RE.search(sentence) and not _speedup_noun_bound(sent, s, e):
        metric = "throughput"  # "..., which is 54x faster than Y (7699 SPS)": the number compares rates
    elif (listed and metric not in (None, QUALITY, listed[0]) and bound_metric(sent, s, e) is None
          and not _noun_between(sent, listed_end, s)):
        metric, metric_conf = listed[0], listed[1]
    if metric == QUALITY and cand.unit == "%":
        of_metric = _fraction_metric(sent, e)  # "at 40% of the cost of X": the noun the fraction is of
        if of_metric:
            metric, metric_conf = of_metric, 1.0
    if metric == QUALITY or TREND_RE.search(sentence[max(0, s - 40) : e + 25]):
        return None
    if describes_problem(sentence, s, e, cand.unit):  # issue 11: problem-motivation numbers
        return None
    direction = SELF_DIRECTED.get(cand.word or "") or find_direction(sent, s, e) or listed_direction
    if direction == "increase" and metric in _WORSE["metrics"] and _more_of_worse(sent, e):
        direction = "regression"  # "20-26% higher kernel latency", "8% more memory"
    fraction = cand.unit == "%" and is_fraction(sentence, s, e, direction)
    if metric is None and direction and nearest_lead_in(sent, s, e) is not None and not _quality_sentence(sent):
        # "outperforms X by 37%" names no metric: in an efficiency paper it is the paper's metric
        metric, metric_conf = paper_metric, 0.4
    if cand.unit == "%" and metric is None and direction == "regression" and _OVERHEAD_AFTER_RE.match(sentence, e):
        metric, metric_conf = SCORING["default"], 0.4  # "adds less than 5% overhead to training"
    if cand.unit == "%":
        if metric is None or (direction is None and not fraction):
            return None
        if ABSOLUTE_RE.search(sentence[max(0, s - 30) : e + 40]):
            return None
    elif cand.word is not None:
        if metric is None or direction is None:
            return None
    elif metric is None and direction is None and not _compared_right_after(sent, e):
        return None
    if metric is None:
        metric, metric_conf = SCORING["default"], 0.3
    return metric, metric_conf, direction, fraction


def _continues_list(sentence: str, previous: _Candidate | None, cand: _Candidate) -> bool:
    """Is cand the next item of a list that starts at previous ("91% on A and 146% on B")?"""
    if previous is None:
        return False
    between = sentence[previous.end : cand.start]
    return words_between(sentence, previous.end, cand.start) <= DIR["list_max_words"] and not re.search(r"[;:]", between)


def claims_from_sentences(sentences: Sequence[_Sentence], efficiency_paper: bool) -> list[Claim]:
    """All benchmark claims of one abstract, given its sentences that can hold one, in text order.

    A number repeated in a later sentence is dropped. ``efficiency_paper``: the paper reads as a
    systems paper, so a bare "outperforms X by N%" counts as an efficiency claim (with the
    default metric) instead of being dropped.
    """
    claims: list[Claim] = []
    seen: dict[tuple[float, str], int] = {}
    carry: tuple[int, str | None] = (-1, None)  # (index of the sentence that framed it, baseline)
    for sent in sentences:
        accepted = []
        for cand in find_candidates(sent.text, sent.matches("candidates")):
            previous = accepted[-1] if accepted else None
            listed = previous[1] if previous and _continues_list(sent.text, previous[0], cand) else None
            paper_metric = claims[-1].metric if claims else (SCORING["default"] if efficiency_paper else None)
            verdict = _accept(cand, sent, listed, paper_metric, previous[0].end if listed else 0)
            if verdict:
                accepted.append((cand, verdict))
        # a baseline framed by an earlier sentence ("Compared to X, ..." / "... outperforms X ...")
        # reaches up to carry_reach sentences on, until a sentence names its own comparison
        carried = carry[1] if 0 < sent.index - carry[0] <= BASE["carry_reach"] else None
        framed = framed_baseline(sent)
        if framed:
            carry = (sent.index, framed)
        elif carry[1] is not None and sent.lead_ins:  # (lead-ins read only while a carry is live)
            carry = (-1, None)
        elif carried and accepted:
            carry = (sent.index, carried)
        if not accepted:
            continue
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
            for other in coordinated_metrics(sent.text, cand.start, metric):  # one number, two metrics
                claims.append(replace(claims[-1], metric=other))
    return claims


def extract_claims_from_text(abstract: str, efficiency_paper: bool = True) -> list[Claim]:
    """claims_from_sentences on one abstract, split as the frame-level extractor splits it."""
    frame = pl.DataFrame({"paper_id": [""], "abstract": [abstract]}, schema={"paper_id": pl.Utf8, "abstract": pl.Utf8})
    return claims_from_sentences(_sentences(candidate_sentences(frame).select(_SENTENCE_COLUMNS).iter_rows()), efficiency_paper)


CLAIM_SCHEMA = {
    "paper_id": pl.Utf8, "text": pl.Utf8, "start": pl.Int64, "end": pl.Int64, "sentence": pl.Utf8,
    "low": pl.Float64, "high": pl.Float64, "unit": pl.Utf8, "metric": pl.Utf8, "better": pl.Boolean,
    "multiplier": pl.Float64, "baseline_raw": pl.Utf8, "qualifier": pl.Utf8, "confidence": pl.Float64,
}
CLAIM_FIELDS = tuple(k for k in CLAIM_SCHEMA if k != "paper_id")  # what claims_from_sentences reads
#: the raw claims frame extract_all gives: the claim, then its setting (the order of Claim's fields)
CLAIM_SCHEMA = {**CLAIM_SCHEMA, **SETTING_SCHEMA}


def candidate_sentences(frame: pl.DataFrame) -> pl.DataFrame:
    """The sentences that can hold a claim: paper_id, index, start (offset in the abstract), text,
    and per SENTENCE_SCANS name the Rust spans in the text (null: scan it in Python).

    Split in Polars: an abbreviation's period is masked by a placeholder, every boundary gets a
    marker, the abstract is split on the markers; offsets are the cumulative piece lengths.
    """
    placeholder, marker = unused_characters(frame["abstract"], 2)
    pieces = (
        pl.col("abstract")
        .str.replace_all(ABBREVIATION_PERIOD_RE, f"${{1}}{placeholder}${{2}}")
        .str.replace_all(SENTENCES["boundary_re"], f"${{1}}${{2}}{marker}${{3}}")
        .str.split(marker)
    )
    length = pl.element().str.len_chars().cast(pl.Int64)
    piece = pl.col("piece")
    sentences = (
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
        # sentences that can hold a claim, and those that frame a comparison for the next ones
        .filter(pl.col("text").str.contains(CLAIMS_TRIGGER) | pl.col("text").str.contains(CARRY_TRIGGER))
    )
    python_only = pl.col("text").str.contains(PYTHON_ONLY_RE)
    return sentences.with_columns(
        pl.when(python_only).then(None).otherwise(pl.lit(scan.spans(sentences["text"], marker))).alias(name)
        for name, scan in SENTENCE_SCANS.items()
    )


_SENTENCE_COLUMNS = ("index", "start", "text", *SENTENCE_SCANS)


def _sentences(rows) -> list[_Sentence]:
    """_Sentence of each row of candidate_sentences' _SENTENCE_COLUMNS."""
    return [_Sentence(index, start, text, dict(zip(SENTENCE_SCANS, spans))) for index, start, text, *spans in rows]


def _claim_rows(items: list[tuple]) -> list[tuple]:
    """Claim rows of (paper_id, efficiency_paper, *lists of _SENTENCE_COLUMNS) items."""
    return [
        (pid, *(getattr(c, k) for k in CLAIM_FIELDS))
        for pid, efficiency, *columns in items
        for c in claims_from_sentences(_sentences(zip(*columns)), efficiency)
    ]


def claims_from_texts(texts: pl.DataFrame) -> pl.DataFrame:
    """Claims of a text_columns frame (paper_id, title, abstract, score); Python reads only the sentences that can hold one."""
    frame = texts.filter(pl.col("abstract").str.contains(CLAIMS_TRIGGER))
    per_paper = (
        candidate_sentences(frame)
        .group_by("paper_id", maintain_order=True)
        .agg(*_SENTENCE_COLUMNS)
        .join(frame.select("paper_id", "score"), on="paper_id", maintain_order="left")
        .select("paper_id", pl.col("score") >= ISS["efficiency_context_threshold"], *_SENTENCE_COLUMNS)
    )
    rows = _claim_rows(per_paper.rows())
    return pl.DataFrame(rows, schema={k: CLAIM_SCHEMA[k] for k in ("paper_id", *CLAIM_FIELDS)}, orient="row")
