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
    )


def canonical_baseline(raw: str | None) -> str | None:
    """Canonical baseline name for a raw baseline phrase, or None when it names no known one."""
    return registry().baselines.canonical(raw)


def hardware_family(raw: str | None) -> str | None:
    """The GUIDE's short device name ("A100-80GB-SXM4" -> "A100"), or None if unknown."""
    return registry().hardware.canonical(raw)


def hardware_canonical(raw: str | None) -> str | None:
    """Family plus the variant when the mention states one ("A100 80GB"), else the family."""
    family = hardware_family(raw)
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


def _lookup(values: pl.Series, fn) -> dict[str, str | None]:
    """Apply a Python lookup once per distinct value (mentions repeat a lot across papers)."""
    return {v: fn(v) for v in values.drop_nulls().unique().to_list()}


def normalise_facts(facts_raw: pl.DataFrame, papers: pl.DataFrame) -> pl.DataFrame:
    """Canonical hardware per paper plus the shared axes (largest size, largest GPU count)."""
    mentions = facts_raw.select(pl.col("hardware_raw").explode()).to_series()
    families = _lookup(mentions, hardware_family)
    canonical = _lookup(mentions, hardware_canonical)
    abstracts = papers.select("paper_id", "abstract")
    models = {pid: model_families(abstract) for pid, abstract in abstracts.iter_rows()}
    return (
        facts_raw.with_columns(
            hardware=pl.col("hardware_raw").list.eval(
                pl.element().replace_strict(canonical, default=None, return_dtype=pl.Utf8)
            ).list.drop_nulls().list.unique(maintain_order=True),
            hardware_family=pl.col("hardware_raw").list.eval(
                pl.element().replace_strict(families, default=None, return_dtype=pl.Utf8)
            ).list.drop_nulls().list.unique(maintain_order=True),
            models=pl.col("paper_id").replace_strict(models, default=[], return_dtype=pl.List(pl.Utf8)),
            model_size_params=pl.col("model_sizes").list.max(),
            gpu_count=pl.col("gpu_counts").list.max(),
        )
        .with_columns(hardware_primary=pl.col("hardware").list.first())
        .drop("system", "is_systems", strict=False)
    )


def normalise_claims(claims_raw: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """Claim ids, canonical baselines and the paper's shared axes on every claim row."""
    baselines = _lookup(claims_raw["baseline_raw"], canonical_baseline)
    axes = facts.select("paper_id", "model_size_params", "gpu_count", hardware=pl.col("hardware_primary"))
    return (
        claims_raw.with_columns(
            claim_id=pl.Series(
                [claim_id(p, s, t) for p, s, t in zip(
                    claims_raw["paper_id"].to_list(), claims_raw["start"].to_list(), claims_raw["text"].to_list()
                )],
                dtype=pl.Utf8,
            ),
            baseline=pl.col("baseline_raw").replace_strict(baselines, default=None, return_dtype=pl.Utf8),
        )
        .join(axes, on="paper_id", how="left")
        .select("claim_id", pl.exclude("claim_id"))
    )


def normalise_papers(papers: pl.DataFrame, facts_raw: pl.DataFrame) -> pl.DataFrame:
    """Papers gain the paper-level verdicts the extractor made: system name, is_systems."""
    return papers.join(facts_raw.select("paper_id", "system", "is_systems"), on="paper_id", how="left").with_columns(
        pl.col("is_systems").fill_null(False)
    )
