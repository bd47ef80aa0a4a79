"""Normalise stage: map raw mentions onto the alias registry and onto the shared axes.

The registry (etl/rules/aliases.toml) is data: canonical baselines, hardware families with
their variants, and model families. A raw mention is canonicalised by a whole-phrase fuzzy
match (rapidfuzz ``process.extractOne`` with a score cutoff) and, failing that, by an alias
standing as whole words inside the phrase. An unknown name keeps its raw text and gets a
null canonical value: it is never forced onto the nearest alias.
"""

from __future__ import annotations

import hashlib
import re

import polars as pl

from etl.aliases import (  # the registry and its lookups (re-exported: normalise.registry() etc.)
    REGISTRY_PATH,
    AliasTable,
    Registry,
    canonical_baseline,
    hardware_family,
    mention_key,
    registry,
)
from etl.extract import example_names  # the baseline grammar's "such as" lists (normalise sits above extract)
from etl.frames import distinct, hex_digests, join_columns
from etl.schemas import SETTING_SCHEMA

_BASELINE_CONJUNCTS = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|as\s+well\s+as)\s+|\s*/\s*")


def canonical_baselines(raw: str | None) -> list[str]:
    """Every baseline a raw phrase names, canonical where the registry knows it ("PEFT and vLLM" ->
    ["PEFT", "vLLM"]); a part the registry does not know is kept as written. The whole phrase is
    tried first, so a name with "and" in it stays one."""
    if not raw or not raw.strip():
        return []
    examples = example_names(raw)  # "existing libraries such as PEFT and vLLM" -> PEFT, vLLM
    if examples:
        return list(dict.fromkeys(canonical_baseline(n) or n for n in examples))
    whole = canonical_baseline(raw)
    parts = [p for p in _BASELINE_CONJUNCTS.split(raw.strip()) if p and p.strip()]
    if len(parts) < 2:
        return [whole or raw.strip()]
    named = [canonical_baseline(p) for p in parts]
    if not any(named):
        return [whole or raw.strip()]
    return list(dict.fromkeys(n or p.strip() for n, p in zip(named, parts)))


def device_shaped(raw: str | None) -> bool:
    """An unknown mention is kept as a device only when it reads like a model name (letters and a
    digit: "Tenstorrent n300", "Alveo U50"), not a bare number ("1200 GPU hours") or a word."""
    return bool(raw) and re.search(r"[A-Za-z]", raw) is not None and re.search(r"\d", raw) is not None


def baseline_class(name: str | None) -> str | None:
    """system | hardware | method | generic for a canonical baseline name (None when unknown)."""
    reg = registry()
    kind = reg.baseline_kind.get(name or "")
    return reg.baseline_class.get(kind) if kind else None


BASELINE_KIND_UNKNOWN = "unknown"  # a baseline the registry does not know (kept as written)


def baseline_kinds_expr(column: str = "baselines") -> pl.Expr:
    """The kind of every name in a list column of canonical baselines, in the same order
    (``BASELINE_KIND_UNKNOWN`` for a name the registry does not know): the claims' ``baseline_kinds``."""
    reg = registry()
    classes = {name: reg.baseline_class.get(kind, BASELINE_KIND_UNKNOWN) for name, kind in reg.baseline_kind.items()}
    return pl.col(column).list.eval(
        pl.element().replace_strict(classes, default=BASELINE_KIND_UNKNOWN, return_dtype=pl.Utf8)
    ).fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))


def with_baseline_kinds(claims: pl.DataFrame) -> pl.DataFrame:
    """The claims with ``baseline_kinds`` (re)computed from ``baselines`` (after corrections too)."""
    return claims.with_columns(baseline_kinds=baseline_kinds_expr("baselines")) if "baselines" in claims.columns else claims


def hardware_canonical(raw: str | None) -> str | None:
    """Family plus the variant when the mention states one ("A100 80GB"), else the family."""
    return _with_variant(raw, hardware_family(raw))


def _with_variant(raw: str | None, family: str | None) -> str | None:
    if family is None:
        return None
    variants = registry().hardware_variants[family]
    return next((v for v, rx in variants.items() if rx.search(raw or "")), family)


def model_families(text: str) -> list[str]:
    """Model families named anywhere in a text, in order of first mention."""
    reg = registry()
    names = (reg.models.canonical(m.group()) for m in reg.model_mention.finditer(text))
    return list(dict.fromkeys(n for n in names if n))


def claim_id(paper_id: str, start: int, text: str) -> str:
    """Stable id: the same number at the same place of the same paper keeps its id across runs."""
    return "c" + hashlib.sha1(f"{paper_id}:{start}:{text}".encode()).hexdigest()[:16]


def claim_ids(claims: pl.DataFrame) -> pl.Series:
    """``claim_id`` of every row (paper_id, start, text), the keys built by Polars, hashed in one pass.

    One number stating two metrics is two claims at the same place (GUIDE section 3): the first
    keeps the plain key, every further one has its metric in its key, so each id stays unique and
    a claim's id does not change when a second metric is found for its number.
    """
    if not claims.schema["start"].is_integer():  # str() of anything else may not be Polars' cast
        rows = zip(claims["paper_id"].to_list(), claims["start"].to_list(), claims["text"].to_list())
        keys = pl.Series("key", [f"{paper_id}:{start}:{text}" for paper_id, start, text in rows], dtype=pl.Utf8)
    else:
        as_text = [pl.col(c).cast(pl.Utf8).fill_null("None") for c in ("paper_id", "start", "text")]  # f"{None}"
        keys = claims.select(pl.concat_str(as_text, separator=":").alias("key")).to_series()
    metric = claims["metric"] if "metric" in claims.columns else pl.repeat(None, claims.height, dtype=pl.Utf8, eager=True)
    keys = pl.DataFrame({"key": keys, "metric": metric.cast(pl.Utf8)}).select(
        pl.when(pl.int_range(pl.len()).over("key") > 0)
        .then(pl.col("key") + ":" + pl.col("metric").fill_null("None"))
        .otherwise(pl.col("key"))
    ).to_series()
    return pl.select(pl.lit("c") + hex_digests(keys, hashlib.sha1, 16)).to_series().alias("claim_id")


def _lookup(values: pl.Series, fn) -> dict[str, str | None]:
    """Apply a Python lookup once per distinct value (mentions repeat a lot across papers)."""
    return {v: fn(v) for v in values.drop_nulls().unique().to_list()}


def _canonical_list(column: str, canonical: dict[str, str | None]) -> pl.Expr:
    """Each list of raw mentions as its distinct known canonical names, in order of first mention.

    drop_nulls and unique inside list.eval: several times faster than list.drop_nulls() and
    list.unique() after it, same result.
    """
    return pl.col(column).list.eval(
        pl.element()
        .replace_strict(canonical, default=None, return_dtype=pl.Utf8)
        .drop_nulls()
        .unique(maintain_order=True)
    )


def paper_models(papers: pl.DataFrame) -> pl.DataFrame:
    """(paper_id, models): ``model_families`` of every abstract, found by one Polars scan.

    Rust regex has no look-arounds, so ``registry().model_scan`` is ``model_mention`` with the
    look-behind as an ASCII word boundary and the look-ahead consuming the character after the
    alias (never an ASCII letter, so never where the next mention starts): a match is the alias
    plus one character, or the alias alone at the very end of the text. The two searches can
    only disagree right after a non-ASCII letter or digit (a word character for ``re``, not for
    the ASCII boundary: ``model_trigger``) or at the end of the text; the few abstracts where
    that can happen go through ``model_families`` itself.
    """
    reg = registry()
    abstract, found = pl.col("abstract"), pl.col("found")
    scan = papers.select("paper_id", "abstract", found=abstract.str.extract_all(reg.model_scan)).with_columns(
        at_end=((found.list.len() > 0) & abstract.str.ends_with(found.list.last())).fill_null(False),
        non_ascii=(abstract.str.len_bytes() != abstract.str.len_chars()).fill_null(False),
    )
    redo = pl.concat([
        scan.with_row_index("row").filter("at_end").select("row", "abstract"),
        # the trigger search is slow-ish: only where there is non-ASCII text at all
        scan.with_row_index("row").filter(pl.col("non_ascii") & ~pl.col("at_end"))
        .filter(abstract.str.contains(reg.model_trigger))
        .select("row", "abstract"),
    ])
    # a match is the mention plus the character after it: look each distinct one up once
    matches = scan.select(found.explode().drop_nulls().unique()).to_series().to_list()
    families = {match: reg.models.canonical(match[:-1]) for match in matches}
    models = scan.select(
        _canonical_list("found", families).fill_null(pl.lit([], dtype=pl.List(pl.Utf8))).alias("models")
    ).to_series()
    if redo.height:
        exact = pl.Series("models", [model_families(a) for a in redo["abstract"].to_list()], dtype=pl.List(pl.Utf8))
        # row i takes the scan's list, or the exact one appended after them when it was redone
        order = pl.int_range(scan.height, dtype=pl.UInt32, eager=True).scatter(
            redo["row"], pl.int_range(scan.height, scan.height + redo.height, dtype=pl.UInt32, eager=True)
        )
        models = pl.concat([models, exact]).gather(order)
    return pl.DataFrame([scan["paper_id"], models])


def _aligned(a: pl.Series, b: pl.Series) -> bool:
    """The same ids in the same order, each once and none null: the rows pair up without a join."""
    return not a.null_count() and a.equals(b) and distinct(a)


def normalise_facts(facts_raw: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """Canonical hardware per paper plus the shared axes (largest size, largest GPU count)."""
    mentions = facts_raw.select(pl.col("hardware_raw").explode()).to_series()
    found = _lookup(mentions, hardware_family)
    unknown = {raw: raw for raw, family in found.items() if family is None and device_shaped(raw)}
    # a device the registry does not know is kept as written (and listed in hardware_unknown)
    families = {raw: family or unknown.get(raw) for raw, family in found.items()}
    canonical = {raw: _with_variant(raw, family) or unknown.get(raw) for raw, family in found.items()}
    models = paper_models(papers)
    if _aligned(models["paper_id"], facts_raw["paper_id"]):
        facts, paper_families = facts_raw, models["models"]  # one facts row per paper, in order: no join
    else:  # as a dict from paper_id would: the last paper of an id wins, an unknown id has none
        models = models.unique("paper_id", keep="last", maintain_order=True).rename({"models": "_models"})
        facts = facts_raw.join(models, on="paper_id", how="left", maintain_order="left")
        paper_families = pl.col("_models").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
    return (
        facts.with_columns(
            hardware=_canonical_list("hardware_raw", canonical),
            hardware_family=_canonical_list("hardware_raw", families),
            hardware_unknown=_canonical_list("hardware_raw", unknown),
            models=paper_families,
            model_size_params=pl.col("model_sizes").list.max(),
            gpu_count=pl.col("gpu_counts").list.max(),
        )
        .with_columns(hardware_primary=pl.col("hardware").list.first())
        .drop("system", "is_systems", "_models", strict=False)
    )


def normalise_claims(claims_raw: pl.DataFrame) -> pl.DataFrame:
    """Claim ids, canonical baselines and each claim's own effective setting (GUIDE section 4).

    The extractor gives every claim its effective model sizes, GPU counts and device mentions
    (``etl.setting``) with where each came from; here the devices become canonical names
    (``hardware``, a list) and every canonical baseline gets its kind (``baseline_kinds``, in the
    order of ``baselines``: system | hardware | method | generic | unknown). The lists are the
    store's only copy of the setting: whatever the dashboard plots is derived from them there,
    never a paper-wide copy. A raw frame without setting columns gets empty settings.
    """
    baselines = _lookup(claims_raw["baseline_raw"], canonical_baseline)
    several = {raw: canonical_baselines(raw) for raw in claims_raw["baseline_raw"].drop_nulls().unique().to_list()}
    claims = claims_raw.with_columns(
        claim_ids(claims_raw),
        baseline=pl.col("baseline_raw").replace_strict(baselines, default=None, return_dtype=pl.Utf8),
        baselines=pl.col("baseline_raw").replace_strict(several, default=[], return_dtype=pl.List(pl.Utf8)),
    )
    for name, dtype in SETTING_SCHEMA.items():
        if name not in claims.columns:
            claims = claims.with_columns(pl.lit([] if "from" not in name else None, dtype=dtype).alias(name))
    mentions = claims.select(pl.col("hardware_raw").explode()).to_series()
    canonical = {raw: hardware_canonical(raw) or (raw if device_shaped(raw) else None)
                 for raw in mentions.drop_nulls().unique().to_list()}
    claims = claims.with_columns(
        hardware=_canonical_list("hardware_raw", canonical).fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        model_sizes=pl.col("model_sizes").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
        gpu_counts=pl.col("gpu_counts").fill_null(pl.lit([], dtype=pl.List(pl.Int64))),
        baseline_kinds=baseline_kinds_expr("baselines"),
    )
    return claims.drop("hardware_raw").select("claim_id", pl.exclude("claim_id"))


def normalise_papers(papers: pl.DataFrame, facts_raw: pl.DataFrame) -> pl.DataFrame:
    """Papers gain the paper-level verdicts the extractor made: system name, is_systems."""
    verdicts = facts_raw.select("paper_id", "system", "is_systems")
    # the join's own rows without moving the abstracts, unless it has to reorder the papers
    joined = join_columns(papers, verdicts, "paper_id", "left")
    if joined is None:
        joined = papers.join(verdicts, on="paper_id", how="left")
    return joined.with_columns(pl.col("is_systems").fill_null(False))
