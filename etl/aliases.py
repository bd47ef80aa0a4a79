"""The alias registry (etl/rules/aliases.toml): canonical baselines, hardware families with their
variants, and model families, with the fuzzy lookups over them.

Shared below the stages: the normalise stage canonicalises every mention with it, and the
extract stage (``etl.extract.setting``) asks it for a device's family when it picks a paper's
device for a claim. A raw mention is canonicalised by a whole-phrase fuzzy match (rapidfuzz,
with a score cutoff, never changing a digit) and, failing that, by an alias standing as whole
words inside the phrase. An unknown name gets None: it is never forced onto the nearest alias.
"""

from __future__ import annotations

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


def _digits(key: str) -> tuple[str, ...]:
    """The digit runs of a key, in order: a fuzzy match must keep them all."""
    return tuple(re.findall(r"\d+", key))


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
        digits = _digits(key)
        # fuzzy matching never changes a digit: "RTX 4070" is not "RTX 4090", "Gaudi 3" not "Gaudi"
        for _, _, at in process.extract(key, self.keys, scorer=fuzz.ratio, score_cutoff=self.cutoff, limit=8):
            if _digits(self.keys[at]) == digits:
                return self.names[at]
        inner = self.within.search(key)
        return self.names[self.keys.index(inner.group())] if inner else None


@dataclass(frozen=True)
class Registry:
    baselines: AliasTable
    hardware: AliasTable
    models: AliasTable
    baseline_kind: dict[str, str]
    baseline_class: dict[str, str]  # kind -> system | hardware | method | generic
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
        baseline_class=dict(data.get("baseline_classes", {})),
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
