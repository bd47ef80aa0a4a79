"""Paper-level facts: model sizes, GPU counts, hardware, the system's name, and whether the paper
reads as a systems paper."""

from __future__ import annotations

import re

import polars as pl
import pyarrow as pa

from etl.extract.claims import (
    _Sentence,
    parse_number,
)
from etl.extract.rules import (
    FLAGS,
    GPU_WORDS,
    ISS,
    PREFILTER,
    RULES,
    device_count_rule,
    norm,
)
from etl.textscan import (
    PYTHON_ONLY_RE,
    ColumnScan,
    phrase_alternation,
    rust_over,
    unused_characters,
)

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


_SIZE_SCALES = {norm(k): float(v) for k, v in _MS["scales"].items()}
_SIZE_CONTEXT_RE = re.compile(_MS["patterns"]["compact_context_re"], FLAGS)
_STATED_TOTAL_RE = re.compile(_MS["patterns"]["stated_total_re"])
_SIZE_LIST_JOINT_RE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|(?:and|or|to)\s+)", FLAGS)
_SIZE_NOT_PRECEDED_RE = re.compile(_MS["patterns"]["not_preceded_by_re"], FLAGS)

_GC = _FACTS["gpu_count"]
_GPU_TAIL = rf"(?:{_GC['device_between_re']})(?:{_GC['accelerators_re']})"
_GPU_COUNT_PATTERN = (
    rf"(?P<list>(?:(?<![\w.,])\d{{1,3}}(?:,\d{{3}})+\s*(?:,|and|or|to)\s*|(?<![\w.,])\d+\s*(?:,|and|or|to)\s*)*)"
    rf"(?!{_GC['device_numbers_re']}){_GC['count_re']}{_GPU_TAIL}"
)
_GPU_WORD_PATTERN = rf"(?<![\w-])(?P<w>{phrase_alternation(list(GPU_WORDS))})\s+(?:\d+\s?GB\s+)?{_GPU_TAIL}"
_DC = _GC["device_counts"]
_GPU_DEVICE_PATTERN = "|".join(
    f"(?P<{name}>{device_count_rule(key)})".replace("(?P<", f"(?P<{name}_").replace(f"(?P<{name}_{name}>", f"(?P<{name}>", 1)
    for name, key in (("num", "numeral_re"), ("word", "word_re"), ("kilo", "thousands_re"), ("nodes", "nodes_re"),
                      ("compact", "nodes_compact_re"), ("dnode", "device_node_re"))
)
_MOTIVATION_BEFORE_RE = re.compile(_DC["motivation_before_re"], FLAGS)
_CAPACITY_BEFORE_RE = re.compile(_DC["capacity_before_re"], FLAGS)
_CAPACITY_AFTER_RE = re.compile(_DC["capacity_after_re"], FLAGS)

_HW = _FACTS["hardware"]
_HARDWARE_PATTERN = "|".join(f"(?:{p})" for p in _HW["patterns"])
_HARDWARE_NOT_FOLLOWED_RE = re.compile(_HW["not_followed_by_re"], FLAGS)

_SYS = _FACTS["system"]
_NOT_NAME_WORDS = frozenset(w.lower() for w in _SYS["not_name_words"])
_SYSTEM_ABSTRACT_RES = [re.compile(p) for p in _SYS["abstract_res"]]



_SIZE_COUNT_WORDS = {norm(k): float(v) for k, v in _MS["count_words"].items()}


def _number_word(raw: str) -> float:
    return _SIZE_COUNT_WORDS.get(norm(raw)) or parse_number(raw)


#: every fact pattern, scanned over "title. abstract" (see facts_from_texts)
FACT_SCANS = {
    "size_spelled": _fact_scan(r"[\daotf]", _MS["patterns"]["spelled"], FLAGS),
    "size_compact": _fact_scan(r"\d", _MS["patterns"]["compact"]),
    "size_range": _fact_scan(r"\d", _MS["patterns"]["range"]),
    "size_bare": _fact_scan(r"[bt]", _MS["patterns"]["bare"], FLAGS),
    "gpu_count": _fact_scan(r"\d", _GPU_COUNT_PATTERN, FLAGS),
    "gpu_word": _fact_scan("[" + "".join(sorted({w[0] for w in GPU_WORDS})) + "]", _GPU_WORD_PATTERN, FLAGS),
    "gpu_device": _fact_scan("[" + "".join(sorted({w[0] for w in GPU_WORDS} | set("0123456789a"))) + "]",
                             _GPU_DEVICE_PATTERN, FLAGS),
    "hardware": ColumnScan.of(_HARDWARE_PATTERN, rust_over(_HARDWARE_PATTERN, keep_final_lookahead=True)),
}
#: per fact scan, a cheap Rust condition for a row to be scanned at all
_FACT_TRIGGERS = {
    **{f"size_{name}": rust_over(t) for name, t in PREFILTER["facts"]["model_sizes"].items()},
    **{f"gpu_{name}": rust_over(t) for name, t in PREFILTER["facts"]["gpu_counts"].items() if name != "device"},
    "gpu_device": rust_over(PREFILTER["facts"]["gpu_counts"]["device"]),
    "hardware": rust_over(PREFILTER["facts"]["hardware"]),
}
Spans = dict[str, list[int] | None]


def _fact_matches(name: str, text: str, spans: Spans | None) -> list[re.Match]:
    return FACT_SCANS[name].matches(text, None if spans is None else spans[name])


def model_size_mentions(text: str, spans: Spans | None = None) -> list[tuple[int, int, float]]:
    """(start, end, parameters) of every parameter count stated in the text, in text order.

    ``spans``: the Rust spans of the FACT_SCANS in this text, when already found.
    """
    found: list[tuple[int, int, float]] = []
    for m in _fact_matches("size_spelled", text, spans):
        if not _SIZE_NOT_PRECEDED_RE.search(text, 0, m.start()):
            found.append((m.start(), m.end(), _number_word(m.group("n")) * _SIZE_SCALES[norm(m.group("s"))]))
    compact = _fact_matches("size_compact", text, spans)
    accepted = [False] * len(compact)
    for k, m in enumerate(compact):
        before, after = text[max(0, m.start() - 20) : m.start()], text[m.end() : m.end() + 30]
        accepted[k] = bool(_SIZE_CONTEXT_RE.search(before) or _SIZE_CONTEXT_RE.search(after))
    # a list of sizes shares its context: "the 7B, 13B and 34B variants of Code Llama"
    for _ in range(2):
        for k in range(len(compact)):
            for j in (k - 1, k + 1):
                if not accepted[k] and 0 <= j < len(compact) and accepted[j]:
                    a, b = sorted((compact[k], compact[j]), key=lambda x: x.start())
                    accepted[k] = bool(_SIZE_LIST_JOINT_RE.fullmatch(text, a.end(), b.start()))
    stated_total = any(m.group("experts") for m in compact) and _STATED_TOTAL_RE.search(text) is not None
    for m, ok in zip(compact, accepted):
        if ok and not (stated_total and m.group("experts")):
            experts = float(m.group("experts") or 1)
            found.append((m.start(), m.end(), experts * parse_number(m.group("n")) * _SIZE_SCALES[m.group("s").lower()]))
    for m in _fact_matches("size_range", text, spans):
        found.append((m.start(), m.start("s") + 1, parse_number(m.group("n")) * _SIZE_SCALES[m.group("s").lower()]))
    bare = _fact_matches("size_bare", text, spans)
    if bare:
        numeric = {v for *_, v in found}
        for m in bare:
            unit = _SIZE_SCALES[m.group("s").lower()]
            if not any(unit <= v < unit * 1000 for v in numeric):
                found.append((m.start(), m.end(), unit))
    return sorted(found)


def find_model_sizes(text: str, spans: Spans | None = None) -> list[float]:
    """Parameter counts stated in the text, in order, deduplicated."""
    return _dedupe(v for *_, v in model_size_mentions(text, spans))


def _count_word(raw: str) -> int:
    return GPU_WORDS.get(norm(raw), 1) if not raw[:1].isdigit() else int(parse_number(raw))


def gpu_count_mentions(text: str, spans: Spans | None = None) -> list[tuple[int, int, int]]:
    """(start, end, count) of accelerator counts ('2,048 A100 GPUs', '8-GPU node', 'a single GPU',
    '8xA100', '64 H100s', '1K GPUs', 'two nodes of 8 GPUs' -> 16), in text order. A capacity
    ("the memory of a single GPU") is no count; a count inside a node total is the total's."""
    found: list[tuple[int, int, int]] = []
    totals: list[tuple[int, int]] = []
    for m in _fact_matches("gpu_device", text, spans):
        g = m.groupdict()
        if g["nodes"] or g["compact"]:
            name = "nodes" if g["nodes"] else "compact"
            n = _count_word(g[f"{name}_nodes"]) * _count_word(g[f"{name}_per"])
            totals.append((m.start(), m.end()))
        elif g["dnode"]:
            n = int(g["dnode_n"])
        elif g["kilo"]:
            n = int(float(g["kilo_n"]) * 1000)
        elif g["num"]:
            n = int(parse_number(g["num_n"]))
        else:
            if g["word_w"].lower() in ("a", "an") and g["word_plural"]:
                continue
            n = _count_word(g["word_w"])
        found.append((m.start(), m.end(), n))
    for m in _fact_matches("gpu_count", text, spans):
        for raw in re.finditer(r"\d{1,3}(?:,\d{3})+|\d+", m.group("list") or ""):
            found.append((m.start("list") + raw.start(), m.end(), int(parse_number(raw.group()))))
        found.append((m.start("n"), m.end(), int(parse_number(m.group("n")))))
    for m in _fact_matches("gpu_word", text, spans):
        found.append((m.start(), m.end(), GPU_WORDS[norm(m.group("w"))]))
    return sorted(
        (s, e, n) for s, e, n in found
        if n > 0
        and not any(a <= s and e <= b and (s, e) != (a, b) for a, b in totals)
        and not _CAPACITY_BEFORE_RE.search(text, max(0, s - 40), s)
        and not _CAPACITY_AFTER_RE.match(text, e)
        and not _MOTIVATION_BEFORE_RE.search(text, max(0, s - 60), s)
    )


def find_gpu_counts(text: str, spans: Spans | None = None) -> list[int]:
    """Accelerator counts, deduplicated, in text order."""
    return _dedupe(n for *_, n in gpu_count_mentions(text, spans))


def hardware_mentions(text: str, spans: Spans | None = None) -> list[tuple[int, int, str]]:
    """(start, end, mention as written) of every device mention, in text order."""
    return [
        (m.start(), m.end(), " ".join(m.group().split()))
        for m in _fact_matches("hardware", text, spans)
        if not _HARDWARE_NOT_FOLLOWED_RE.match(text, m.end())
    ]


def find_hardware(text: str, spans: Spans | None = None) -> list[str]:
    """Device mentions as written (normalise.hardware_family maps them to short names)."""
    return _dedupe(h for *_, h in hardware_mentions(text, spans))


# which devices are the work's (GUIDE section 3); etl.extract.setting reads them per claim

_CLASSES = RULES["facts"]["hardware"]["classes"]
_CLASS_RE = re.compile(_CLASSES["class_re"])
_RUNS_ON_BEFORE_RE = re.compile(_CLASSES["runs_on_before_re"])
_KIND_BEFORE_RE = re.compile(_CLASSES["kind_before_re"])
_KIND_AFTER_RE = re.compile(_CLASSES["kind_after_re"])
_PASSING_AFTER_RE = re.compile(_CLASSES["passing_after_re"])
_PASSING_BEFORE_RE = re.compile(_CLASSES["passing_before_re"])
_COMPATIBLE_RE = re.compile(_CLASSES["compatible_re"])
_COMPATIBLE_WORDS = ("such as", "e.g", "including", "like ", "namely")  # a cheap test before _COMPATIBLE_RE
_COMPATIBLE_CONTEXT_RE = re.compile(_CLASSES["compatible_context_re"])
_ARCHITECTURE_RE = re.compile(
    r"^(?:NVIDIA\s+)?(?:" + "|".join(map(re.escape, RULES["facts"]["hardware"]["architectures"])) + r")\b"
)
#: Python twin of the sentence boundary RULES["sentences"]["boundary_re"] (previous sentence)
BOUNDARY_RE = re.compile(r"[.!?]\s+(?=[A-Z0-9(\[“\"\\])")



def keep_device(text: str, start: int, end: int) -> bool:
    """Is the device mention text[start:end] the work's hardware (GUIDE section 3)?

    Any device named only as what the work is compatible with ("interconnects such as Huawei
    Ascend") is not. A device class or instruction-set family (CPU, FPGA, NPU, x86, ARM) counts
    only when the work runs on it ("on commodity CPUs", "an FPGA accelerator", "Alveo U280 FPGA"),
    never for a passing mention ("CPU memory", "CPU-GPU transfers", "offloaded to CPU").
    """
    before = text[max(0, start - 60) : start]
    lowered = before[-30:].lower()
    if any(w in lowered for w in _COMPATIBLE_WORDS) and _COMPATIBLE_RE.search(before) and _COMPATIBLE_CONTEXT_RE.search(
        text[max(0, start - 120) : start]
    ):
        return False
    if not _CLASS_RE.match(text[start:end]):
        return True
    after = text[end : end + 60]
    if _PASSING_AFTER_RE.match(after) or _PASSING_BEFORE_RE.search(before):
        return False
    return bool(_RUNS_ON_BEFORE_RE.search(before) or _KIND_BEFORE_RE.search(before) or _KIND_AFTER_RE.match(after))


def paper_hardware(text: str, spans: Spans | None = None) -> list[str]:
    """The paper-level devices: ``find_hardware`` without passing mentions of a device class and
    without devices named only as a baseline ("beats NVIDIA A100 GPU by 1.2x") or as compatible."""
    mentions = [(s, e, h) for s, e, h in hardware_mentions(text, spans) if keep_device(text, s, e)]
    if not mentions:
        return []
    kept: dict[str, bool] = {}
    phrases: dict[int, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    for s, e, h in mentions:
        if kept.get(h):
            continue
        s0, s1 = sentence_bounds(text, s)
        if s0 not in phrases:
            sentence = text[s0:s1]
            phrases[s0] = ([(s0 + a, s0 + b) for a, b in baseline_phrases(sentence)],
                           [(s0 + a, s0 + b) for a, b in baseline_settings(sentence)])
        nps, settings = phrases[s0]
        kept[h] = not (in_baseline(text, s, e, nps) or any(a <= s and e <= b for a, b in settings))
    found = [h for h, ok in kept.items() if ok]
    # an architecture counts only when no device model is named (GUIDE section 3)
    models = [h for h in found if not _CLASS_RE.match(h) and not _ARCHITECTURE_RE.search(h)]
    return [h for h in found if not (models and _ARCHITECTURE_RE.search(h))]


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the sentence of ``text`` around offset ``pos`` (the Python boundary rule)."""
    start = 0
    for m in BOUNDARY_RE.finditer(text, max(0, pos - 600), pos):
        start = m.end()
    nxt = BOUNDARY_RE.search(text, pos)
    return start, nxt.start() + 1 if nxt else len(text)


_BASELINE_SETTING_RE = re.compile(RULES["setting"]["baseline_setting_re"], re.IGNORECASE)


def baseline_phrases(text: str) -> list[tuple[int, int]]:
    """Spans of the baseline noun phrases of a sentence ("than an A100", "over 8 V100 GPUs")."""
    sent = _Sentence(0, 0, text)
    return [(lead.np_start, lead.np_end) for lead in sent.lead_ins]


def baseline_settings(text: str) -> list[tuple[int, int]]:
    """Spans of the setting a baseline was run in, when the comparison names only that ("2.3x
    cheaper than on TPU v4", "compared with running on 8 V100s"): its devices are the baseline's."""
    return [m.span("setting") for m in _BASELINE_SETTING_RE.finditer(text)]


_SETTING_PREPOSITION_RE = re.compile(r"\b(?:on|in|with|using|at|across|over)\s", re.IGNORECASE)


def in_baseline(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Is text[start:end] the baseline itself ("than an A100", "over 8 V100 GPUs"), not the setting
    the baseline ran in ("than loading approaches in CPU and GPU")?"""
    return any(a <= start and end <= b and not _SETTING_PREPOSITION_RE.search(text, a, start) for a, b in spans)


def _looks_like_name(prefix: str) -> bool:
    words = prefix.split()
    return 0 < len(words) <= _SYS["title_prefix_max_words"] and not any(
        w.lower().strip(",.!?'\"") in _NOT_NAME_WORDS or "," in w for w in words
    )


_ACRONYM_AFTER_RE = re.compile(_SYS["acronym_after_re"], FLAGS)


def _acronym_after(prefix: str, abstract: str) -> re.Match | None:
    """``re.search(escape(prefix) + acronym_after_re, abstract, IGNORECASE)`` without compiling a
    pattern per title: find the prefix case-insensitively (ASCII texts), then match the acronym there."""
    if not (prefix.isascii() and abstract.isascii()):
        return re.search(re.escape(prefix) + _SYS["acronym_after_re"], abstract, FLAGS)
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


FACT_SCHEMA = {
    "paper_id": pl.Utf8, "system": pl.Utf8, "is_systems": pl.Boolean, "model_sizes": pl.List(pl.Float64),
    "gpu_counts": pl.List(pl.Int64), "hardware_raw": pl.List(pl.Utf8),
}


def systems_score_expr() -> pl.Expr:
    """Keyword score of title and abstract: efficiency words count for, task-quality words against.

    Claims add ``claim_weight`` each (up to two) on top, once they are known.
    """
    title, abstract = pl.col("title"), pl.col("abstract")

    def present(col: pl.Expr, words: list[str]) -> pl.Expr:
        # how many of the (lower-case, ASCII) words occur as substrings: one Aho-Corasick pass
        found = col.str.extract_many(sorted(set(words)), overlapping=True, ascii_case_insensitive=True)
        return found.list.eval(pl.element().str.to_lowercase()).list.n_unique().cast(pl.Float64)

    pos = present(abstract, ISS["positive"]) + ISS["title_weight"] * present(title, ISS["positive"])
    neg = present(abstract, ISS["negative"]) + ISS["title_weight"] * present(title, ISS["negative"])
    return pos - neg


_SYSTEM_TRIGGER = rust_over(PREFILTER["facts"]["system"])


def _with_fact_spans(frame: pl.DataFrame, marker: str) -> pl.DataFrame:
    """Per FACT_SCANS name, a column of the Rust spans in ``both``, computed only on the rows where
    the scan's trigger fires (null elsewhere: no match there), and ``python_only``: the rows whose
    text the Rust scans cannot vouch for."""
    frame = frame.with_row_index("row")
    for name, scan in FACT_SCANS.items():
        scanned = frame.filter(pl.col("both").str.contains(_FACT_TRIGGERS[name]))
        spans = scanned.select("row").with_columns(scan.spans(scanned["both"], marker).alias(name))
        frame = frame.join(spans, on="row", how="left", maintain_order="left")
    return frame.with_columns(python_only=pl.col("both").str.contains(PYTHON_ONLY_RE))


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
    (marker,) = unused_characters(frame["both"], 1)
    rows = _fact_rows(_with_fact_spans(frame, marker).select(
        "paper_id", "title", "abstract", "both", "score", "n_claims", "system_title", "system_abstract", "python_only",
        *FACT_SCANS,
    ).rows())
    # Arrow converts the Python lists in C++ (Polars' row constructor builds one Series per inner list)
    columns = list(zip(*rows)) if rows else [()] * len(FACT_SCHEMA)
    return pl.DataFrame([
        pl.from_arrow(pa.array(values, type=_ARROW_TYPES[name])).cast(dtype).alias(name)
        for (name, dtype), values in zip(FACT_SCHEMA.items(), columns)
    ])


_ARROW_TYPES = {
    "paper_id": pa.large_string(), "system": pa.large_string(), "is_systems": pa.bool_(),
    "model_sizes": pa.list_(pa.float64()), "gpu_counts": pa.list_(pa.int64()), "hardware_raw": pa.list_(pa.large_string()),
}


def _fact_rows(items: list[tuple]) -> list[tuple]:
    threshold, weight = ISS["threshold"], ISS["claim_weight"]
    rows = []
    for pid, title, abstract, text, score, n_claims, sys_title, sys_abstract, python_only, *span_lists in items:
        spans = None if python_only else {name: found or [] for name, found in zip(FACT_SCANS, span_lists)}
        rows.append((
            pid,
            find_system(title, abstract) if sys_title or sys_abstract else None,
            score + weight * min(n_claims, 2) >= threshold,
            find_model_sizes(text, spans),
            find_gpu_counts(text, spans),
            paper_hardware(text, spans),  # find_hardware less passing/baseline-only mentions (see paper_hardware)
        ))
    return rows
