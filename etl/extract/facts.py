"""Paper-level facts: model sizes, GPU counts, hardware, the system's name, and whether the paper
reads as a systems paper."""

from __future__ import annotations

import re

import polars as pl

from etl.extract.claims import (
    parse_number,
)
from etl.extract.rules import (
    FLAGS,
    ISS,
    PREFILTER,
    RULES,
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
_SIZE_NOT_PRECEDED_RE = re.compile(_MS["patterns"]["not_preceded_by_re"], FLAGS)

_GC = _FACTS["gpu_count"]
_GPU_WORDS = {norm(k): int(v) for k, v in _GC["words"].items()}
_GPU_TAIL = rf"(?:{_GC['device_between_re']})(?:{_GC['accelerators_re']})"
_GPU_COUNT_PATTERN = (
    rf"(?P<list>(?:(?<![\w.,])\d{{1,3}}(?:,\d{{3}})+\s*(?:,|and|or|to)\s*|(?<![\w.,])\d+\s*(?:,|and|or|to)\s*)*)"
    rf"(?!{_GC['device_numbers_re']}){_GC['count_re']}{_GPU_TAIL}"
)
_GPU_WORD_PATTERN = rf"(?<![\w-])(?P<w>{phrase_alternation(list(_GPU_WORDS))})\s+(?:\d+\s?GB\s+)?{_GPU_TAIL}"

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
    "gpu_word": _fact_scan("[" + "".join(sorted({w[0] for w in _GPU_WORDS})) + "]", _GPU_WORD_PATTERN, FLAGS),
    "hardware": ColumnScan.of(_HARDWARE_PATTERN, rust_over(_HARDWARE_PATTERN, keep_final_lookahead=True)),
}
#: per fact scan, a cheap Rust condition for a row to be scanned at all
_FACT_TRIGGERS = {
    **{f"size_{name}": rust_over(t) for name, t in PREFILTER["facts"]["model_sizes"].items()},
    **{f"gpu_{name}": rust_over(t) for name, t in PREFILTER["facts"]["gpu_counts"].items()},
    "hardware": rust_over(PREFILTER["facts"]["hardware"]),
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
            found.append((m.start(), _number_word(m.group("n")) * _SIZE_SCALES[norm(m.group("s"))]))
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
        found.append((m.start(), _GPU_WORDS[norm(m.group("w"))]))
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
        spans = scanned.select("row", scan.spans_expr(pl.col("both"), marker).alias(name))
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
    return pl.DataFrame(rows, schema=FACT_SCHEMA, orient="row")


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
            find_hardware(text, spans),
        ))
    return rows
