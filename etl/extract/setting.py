"""Each claim's own place on the shared axes (GUIDE section 4): model sizes, GPU counts, devices.

The paper-level fact patterns (``etl.extract.facts.FACT_SCANS``) find every *mention* in a claim's
sentence with its span; a small table of binding rules (``setting`` in etl/extract/patterns.py) then gives
each claim of the sentence the mentions that belong to it, by the sentence's grammar rather than
by the nearest number:

1. clauses: a mention binds only to claims of its own clause (``;``, "while", "whereas", "but");
   a mention in a clause with no claim is shared by the whole sentence, at a lower rank;
2. lists: mentions of one field joined by "and" / "," / "or" ("on 7B and 70B models") bind together;
3. "respectively": n claims and n values of a field in the sentence pair up in order;
4. segments: a mention between two claims belongs to the earlier one ("2.1x on 7B and 3.4x on
   70B"), unless a segment break (",", "and", ";") stands between that claim and the mention,
   which then opens the next claim's segment ("2x on 7B, and on 70B 3x");
5. shared: a mention before the clause's first claim ("On 8 A100s, X achieves 2x and 3x") is every
   claim's of the clause; one after the last claim is the last claim's own and shared by the others;
6. baseline only: a device or count inside a baseline's noun phrase ("6x more energy-efficient
   than an A100") is not the work's setting;
7. set-up: when the claim's sentence states nothing for a field, the sentence right before it,
   when it holds no claim of its own and reads like a set-up (``setup_re``: "On 64 A100 GPUs, X
   trains GPT-3 175B.", "We evaluate X on 8 H100s."), gives it.

The *effective* setting per field is the claim's own values, else the paper's value when the
paper-level list holds exactly one, else empty; ``*_from`` says which ("claim", "paper", None).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import polars as pl
import pyarrow as pa

from etl.aliases import hardware_family
# (keep_device, paper_hardware, sentence_bounds, baseline_phrases/settings: the paper-level device rules
# live with the facts; they are re-exported here as part of the setting rules)
from etl.extract.facts import (
    BOUNDARY_RE,
    FACT_SCANS,
    Spans,
    baseline_phrases,
    baseline_settings,
    gpu_count_mentions,
    hardware_mentions,
    in_baseline,
    keep_device,
    model_size_mentions,
    paper_hardware,
    sentence_bounds,
    _with_fact_spans,
)
from etl.extract.rules import (
    RULES,
)
from etl.schemas import (
    SETTING_SCHEMA,
)
from etl.textscan import (
    unused_characters,
)

FIELDS = ("model_sizes", "gpu_counts", "hardware")
_RULES = RULES["setting"]
_CLAUSE_BREAK_RE = re.compile(_RULES["clause_break_re"], re.IGNORECASE)
_SEGMENT_BREAK_RE = re.compile(_RULES["segment_break_re"], re.IGNORECASE)
_LIST_JOINT_RE = re.compile(_RULES["list_joint_re"], re.IGNORECASE)
_RESPECTIVELY_RE = re.compile(_RULES["respectively_re"], re.IGNORECASE)
_SETUP_RE = re.compile(_RULES["setup_re"])
@dataclass(frozen=True)
class Mention:
    field: str
    start: int
    end: int
    value: object  # parameters (float), accelerators (int) or the device as written (str)


def sentence_mentions(text: str, spans: Spans | None = None) -> list[Mention]:
    """Every model size, GPU count and device stated in a sentence, with spans, baseline-only ones dropped."""
    found = [Mention("model_sizes", *m) for m in model_size_mentions(text, spans)]
    found += [Mention("gpu_counts", *m) for m in gpu_count_mentions(text, spans)]
    found += [Mention("hardware", *m) for m in hardware_mentions(text, spans) if keep_device(text, m[0], m[1])]
    if any(m.field != "model_sizes" for m in found):
        baselines, settings = baseline_phrases(text), baseline_settings(text)
        found = [
            m for m in found
            if m.field == "model_sizes" or not (_inside(m, baselines, text) or any(a <= m.start and m.end <= b for a, b in settings))
        ]
    return sorted(found, key=lambda m: (m.start, m.field))


def _inside(m: Mention, spans: list[tuple[int, int]], text: str = "") -> bool:
    return in_baseline(text, m.start, m.end, spans)


def _groups(mentions: list[Mention], text: str) -> list[list[Mention]]:
    """Consecutive mentions of one field joined only by list words form one group."""
    groups: list[list[Mention]] = []
    for m in mentions:
        if groups and _LIST_JOINT_RE.match(text[groups[-1][-1].end : m.start]):
            groups[-1].append(m)
        else:
            groups.append([m])
    return groups


def _values(group: Sequence[Mention]) -> list:
    return list(dict.fromkeys(m.value for m in group))


def bind_sentence(
    text: str, claims: Sequence[tuple[int, int]], mentions: Sequence[Mention], setup: Sequence[Mention] = ()
) -> list[dict[str, list]]:
    """Each claim's own setting {field: values} from its sentence (and the set-up sentence before it).

    ``claims``: the claims' (start, end) in the sentence, in order; ``mentions``: sentence_mentions
    of the sentence; ``setup``: those of the previous sentence when it sets up the measurement.
    """
    breaks = [m.start() for m in _CLAUSE_BREAK_RE.finditer(text)]

    def clause(pos: int) -> int:
        return sum(b < pos for b in breaks)

    n = len(claims)
    # per claim and field: own, shared from before it, shared from after the last claim, from a claimless clause
    ranks: list[dict[str, list[list]]] = [{f: [[], [], [], []] for f in FIELDS} for _ in range(n)]
    respectively = n > 1 and _RESPECTIVELY_RE.search(text)
    for name in FIELDS:
        groups = _groups([m for m in mentions if m.field == name], text)
        if respectively:
            values = _values([m for g in groups for m in g])
            if len(values) == n:
                for i, v in enumerate(values):
                    ranks[i][name][0].append(v)
                continue
        for group in groups:
            values, start, end = _values(group), group[0].start, group[-1].end
            same = [i for i, (s, _) in enumerate(claims) if clause(s) == clause(start)]
            if not same:
                for i in range(n):
                    ranks[i][name][3] += values
                continue
            before = [i for i in same if claims[i][1] <= start]
            after = [i for i in same if claims[i][0] >= end]
            if not before:
                for i in same:
                    ranks[i][name][1] += values
            elif not after:
                ranks[before[-1]][name][0] += values
                for i in before[:-1]:
                    ranks[i][name][2] += values
            else:
                a, b = before[-1], after[0]
                owner = b if _SEGMENT_BREAK_RE.search(text, claims[a][1], start) else a
                ranks[owner][name][0] += values
    setup_values = {name: _values([m for m in setup if m.field == name]) for name in FIELDS}
    out = []
    for rank in ranks:
        own = {}
        for name in FIELDS:
            chosen = next((r for r in rank[name] if r), setup_values[name])
            own[name] = list(dict.fromkeys(chosen))
        out.append(own)
    return out


def previous_sentence(abstract: str, sentence_start: int) -> str:
    """The sentence that ends right before ``sentence_start`` ('' for the first one)."""
    head = abstract[:sentence_start].rstrip()
    if not head:
        return ""
    last = None
    for last in BOUNDARY_RE.finditer(head, 0, max(0, len(head) - 1)):
        pass
    return head[last.end() :] if last else head


def is_setup(sentence: str) -> bool:
    return bool(sentence) and bool(_SETUP_RE.search(sentence))


def effective(own: list, paper: list) -> tuple[list, str | None]:
    """GUIDE section 4: (values, where from) for one field."""
    if own:
        return own, "claim"
    distinct = list(dict.fromkeys(paper))
    if len(distinct) == 1:
        return distinct, "paper"
    return [], None


# ───────────────────────────── frame level ─────────────────────────────


def _scan_texts(texts: list[str]) -> list[list[Mention]]:
    """sentence_mentions of every text, the fact patterns located by the Rust column scans."""
    if not texts:
        return []
    frame = pl.DataFrame({"both": texts}, schema={"both": pl.Utf8})
    (marker,) = unused_characters(frame["both"], 1)
    scanned = _with_fact_spans(frame, marker).select("python_only", *FACT_SCANS).rows()
    return [
        sentence_mentions(text, None if python_only else {k: v or [] for k, v in zip(FACT_SCANS, spans)})
        for text, (python_only, *spans) in zip(texts, scanned)
    ]


def attach_settings(claims: pl.DataFrame, texts: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """The raw claims frame with each claim's effective setting (SETTING_SCHEMA columns).

    ``texts``: paper_id + abstract of the papers; ``facts``: the paper-level facts (FACT_SCHEMA).
    Only the sentences that hold a claim, and the one before each, are scanned.
    """
    if claims.height == 0:
        return claims.with_columns(pl.lit(None, dtype=dt).alias(name) for name, dt in SETTING_SCHEMA.items())
    # a paper that states no size, count or device at all has none in any of its sentences: its
    # claims are not scanned (their settings are empty)
    stating = facts.filter(
        (pl.col("model_sizes").list.len() > 0) | (pl.col("gpu_counts").list.len() > 0) | (pl.col("hardware_raw").list.len() > 0)
    )["paper_id"]
    abstracts = dict(texts.filter(pl.col("paper_id").is_in(stating.implode())).select("paper_id", "abstract").iter_rows())
    rows = claims.select("paper_id", "start", "end", "sentence").rows()
    # per claim: its sentence start in the abstract and the set-up sentence before it
    placed: list[tuple[str, int, str, str]] = []  # paper_id, sentence_start, sentence, previous
    claim_sentences: set[tuple[str, int]] = set()
    for pid, start, end, sentence in rows:
        abstract = abstracts.get(pid)
        if abstract is None:
            placed.append((pid, -1, "", ""))
            continue
        s0 = abstract.find(sentence, max(0, end - len(sentence))) if sentence else -1
        if s0 == -1 or s0 > start:
            s0 = start
        placed.append((pid, s0, sentence, ""))
        claim_sentences.add((pid, s0))
    sentence_starts: dict[str, list[int]] = {}
    for pid, st in sorted(claim_sentences):
        sentence_starts.setdefault(pid, []).append(st)
    setups: dict[tuple[str, int], str] = {}  # per claim sentence, its set-up sentence ('' for none)
    for k, (pid, s0, sentence, _) in enumerate(placed):
        if s0 < 0:
            continue
        if (pid, s0) not in setups:
            prev = previous_sentence(abstracts.get(pid) or "", s0)
            prev_start = s0 - len(prev) if prev else s0
            starts = sentence_starts.get(pid, [])
            own_claims = bisect_left(starts, s0) > bisect_left(starts, prev_start - 2) if prev else True
            setups[(pid, s0)] = prev if prev and not own_claims and is_setup(prev) else ""
        placed[k] = (pid, s0, sentence, setups[(pid, s0)])
    to_scan = list(dict.fromkeys(t for _, _, sentence, prev in placed for t in (sentence, prev) if t))
    mentions = dict(zip(to_scan, _scan_texts(to_scan)))
    # bind per sentence, all of its claims at once
    by_sentence: dict[tuple[str, int], list[int]] = {}
    for k, (pid, s0, _, _) in enumerate(placed):
        if s0 >= 0:
            by_sentence.setdefault((pid, s0), []).append(k)
    own: list[dict[str, list]] = [{}] * len(rows)
    for (pid, s0), members in by_sentence.items():
        sentence, prev = placed[members[0]][2], placed[members[0]][3]
        spans = [(rows[k][1] - s0, rows[k][2] - s0) for k in members]
        bound = bind_sentence(sentence, spans, mentions.get(sentence, []), mentions.get(prev, []) if prev else [])
        for k, setting in zip(members, bound):
            own[k] = setting
    return claims.with_columns(_effective_columns(claims, own, facts))


def _device_shaped(raw: str) -> bool:
    """normalise.device_shaped (normalise sits above extract): an unknown mention is a device only
    when it has a letter and a digit, never a bare number."""
    return re.search(r"[A-Za-z]", raw) is not None and re.search(r"\d", raw) is not None


@lru_cache(maxsize=65536)
def _family(raw: str) -> str | None:
    """aliases.hardware_family, once per distinct mention (a fuzzy lookup is not cheap)."""
    return hardware_family(raw)


def _effective_columns(claims: pl.DataFrame, own: list[dict[str, list]], facts: pl.DataFrame) -> list[pl.Series]:
    ids = claims["paper_id"]
    paper = {
        pid: (sizes or [], gpus or [], hardware or [])
        for pid, sizes, gpus, hardware in facts.filter(pl.col("paper_id").is_in(ids.unique().implode()))
        .select("paper_id", "model_sizes", "gpu_counts", "hardware_raw").iter_rows()
    }
    family = _family

    columns: dict[str, list] = {name: [] for name in SETTING_SCHEMA}
    for pid, setting in zip(ids.to_list(), own):
        sizes, gpus, hardware = paper.get(pid, ([], [], []))
        for name, paper_values in (("model_sizes", sizes), ("gpu_counts", gpus)):
            values, source = effective(setting.get(name, []), paper_values)
            columns[name].append(values)
            columns[f"{name}_from"].append(source)
        # only mentions that name a device count as the claim's own (a bare "2048" of "on 2048
        # GPUs" is a count): a field has a source exactly when it has values (ClaimSchema)
        mine = [h for h in setting.get("hardware", []) if family(h) or _device_shaped(h)]
        if mine:
            columns["hardware_raw"].append(mine)
            columns["hardware_from"].append("claim")
        else:
            families = list(dict.fromkeys(f for f in map(family, hardware) if f))
            single = len(families) == 1
            columns["hardware_raw"].append([h for h in hardware if family(h) == families[0]] if single else [])
            columns["hardware_from"].append("paper" if single else None)
    # Arrow converts the Python lists in C++ (Polars' constructor builds one Series per inner list)
    return [pl.from_arrow(pa.array(columns[name], type=_ARROW_TYPES[name])).cast(dtype).alias(name)
            for name, dtype in SETTING_SCHEMA.items()]


_ARROW_TYPES = {
    "model_sizes": pa.list_(pa.float64()), "gpu_counts": pa.list_(pa.int64()), "hardware_raw": pa.list_(pa.large_string()),
    "model_sizes_from": pa.large_string(), "gpu_counts_from": pa.large_string(), "hardware_from": pa.large_string(),
}
