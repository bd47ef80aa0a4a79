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
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
from rapidfuzz import fuzz, process

from etl.frames import distinct, hex_digests, join_columns

REGISTRY_PATH = Path(__file__).with_name("rules") / "aliases.toml"
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an|our|their)\s+")
_SEPARATORS = re.compile(r"[\s\-_/,;:()\[\]]+")


def mention_key(text: str) -> str:
    """Spelling-insensitive key: lower case, separators folded to one space, no article."""
    folded = _SEPARATORS.sub(" ", text.lower()).strip(" .")
    return _LEADING_ARTICLE.sub("", folded)


@dataclass(frozen=True)
class AliasTable:
    """Canonical names and their aliases, with the two lookups every table needs."""

    keys: tuple[str, ...]  # mention_key of each alias
    names: tuple[str, ...]  # canonical name of each alias, parallel to keys
    cutoff: float
    within: re.Pattern[str]  # any alias key as whole words, longest first

    @classmethod
    def build(cls, entries: list[dict], cutoff: float) -> AliasTable:
        pairs = {mention_key(alias): e["name"] for e in entries for alias in [e["name"], *e["aliases"]]}
        ordered = sorted(pairs, key=len, reverse=True)
        within = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w])")
        return cls(tuple(pairs), tuple(pairs.values()), cutoff, within)

    def canonical(self, raw: str | None) -> str | None:
        if not raw or not raw.strip():
            return None
        key = mention_key(raw)
        hit = process.extractOne(key, self.keys, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        if hit is not None:
            return self.names[hit[2]]
        inner = self.within.search(key)
        return self.names[self.keys.index(inner.group())] if inner else None


@dataclass(frozen=True)
class Registry:
    baselines: AliasTable
    hardware: AliasTable
    models: AliasTable
    baseline_kind: dict[str, str]
    hardware_variants: dict[str, dict[str, re.Pattern[str]]]  # family -> variant -> pattern
    model_mention: re.Pattern[str]  # case-sensitive search over whole abstracts
    model_scan: str  # the same search for Polars (Rust regex): see paper_models
    model_trigger: str  # where the two searches could disagree: see paper_models


@cache
def registry(path: Path = REGISTRY_PATH) -> Registry:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cut = data["matching"]
    model_aliases = sorted({a for m in data["model"] for a in [m["name"], *m["aliases"]]}, key=len, reverse=True)
    return Registry(
        baselines=AliasTable.build(data["baseline"], cut["baseline_cutoff"]),
        hardware=AliasTable.build(data["hardware"], cut["hardware_cutoff"]),
        models=AliasTable.build(data["model"], cut["model_cutoff"]),
        baseline_kind={b["name"]: b["kind"] for b in data["baseline"]},
        hardware_variants={
            h["name"]: {variant: re.compile(rx, re.I) for variant, rx in h.get("variants", {}).items()}
            for h in data["hardware"]
        },
        # the look-ahead on the aliases' first characters lets re skip most positions at once
        model_mention=re.compile(
            "(?=[" + "".join(sorted({re.escape(a[0]) for a in model_aliases if a})) + r"])(?<![\w])(?:"
            + "|".join(map(re.escape, model_aliases)) + r")(?![A-Za-z])"
        ),
        model_scan=r"(?-u:\b)(?:" + "|".join(pl.escape_regex(a) for a in model_aliases if a) + r")(?:[^A-Za-z]|$)",
        model_trigger=r"[\p{L}\p{N}&&[^\x00-\x7F]]["
        + "".join(sorted({pl.escape_regex(a[0]) for a in model_aliases if a})) + "]",
    )


def canonical_baseline(raw: str | None) -> str | None:
    """Canonical baseline name for a raw baseline phrase, or None when it names no known one."""
    return registry().baselines.canonical(raw)


def hardware_family(raw: str | None) -> str | None:
    """The GUIDE's short device name ("A100-80GB-SXM4" -> "A100"), or None if unknown."""
    return registry().hardware.canonical(raw)


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
    """``claim_id`` of every row (paper_id, start, text), the keys built by Polars, hashed in one pass."""
    if not claims.schema["start"].is_integer():  # str() of anything else may not be Polars' cast
        rows = zip(claims["paper_id"].to_list(), claims["start"].to_list(), claims["text"].to_list())
        return pl.Series("claim_id", [claim_id(*row) for row in rows], dtype=pl.Utf8)
    as_text = [pl.col(c).cast(pl.Utf8).fill_null("None") for c in ("paper_id", "start", "text")]  # f"{None}"
    keys = claims.select(pl.concat_str(as_text, separator=":")).to_series()
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
    families = _lookup(mentions, hardware_family)
    canonical = {raw: _with_variant(raw, family) for raw, family in families.items()}  # hardware_canonical
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
            models=paper_families,
            model_size_params=pl.col("model_sizes").list.max(),
            gpu_count=pl.col("gpu_counts").list.max(),
        )
        .with_columns(hardware_primary=pl.col("hardware").list.first())
        .drop("system", "is_systems", "_models", strict=False)
    )


def normalise_claims(claims_raw: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Claim ids, canonical baselines and the paper's shared axes on every claim row."""
    baselines = _lookup(claims_raw["baseline_raw"], canonical_baseline)
    axes = facts.select("paper_id", "model_size_params", "gpu_count", hardware=pl.col("hardware_primary"))
    claims = claims_raw.with_columns(
        claim_ids(claims_raw),
        baseline=pl.col("baseline_raw").replace_strict(baselines, default=None, return_dtype=pl.Utf8),
    )
    joined = join_columns(claims, axes, "paper_id", "left")  # the claim columns stay put
    if joined is None:
        joined = claims.join(axes, on="paper_id", how="left")
    return joined.select("claim_id", pl.exclude("claim_id"))


def normalise_papers(papers: pl.DataFrame, facts_raw: pl.DataFrame) -> pl.DataFrame:
    """Papers gain the paper-level verdicts the extractor made: system name, is_systems."""
    verdicts = facts_raw.select("paper_id", "system", "is_systems")
    # the join's own rows without moving the abstracts, unless it has to reorder the papers
    joined = join_columns(papers, verdicts, "paper_id", "left")
    if joined is None:
        joined = papers.join(verdicts, on="paper_id", how="left")
    return joined.with_columns(pl.col("is_systems").fill_null(False))
