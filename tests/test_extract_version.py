"""EXTRACTOR_VERSION follows the extraction rules: the extraction cache keys on it, so a rule change
without a new version would serve stale extractions."""

from __future__ import annotations

import hashlib
from pathlib import Path

from etl.extract import EXTRACTOR_VERSION

ETL = Path(__file__).resolve().parent.parent / "etl"
#: what decides the extractor's output: the rules file, the grammar modules and the regex bridge
RULE_FILES = (
    "rules/extract.toml", "extract/patterns.py", "extract/rules.py", "extract/claims.py", "extract/facts.py", "textscan.py",
    "extract/setting.py", "extract/cleanup.py", "aliases.py", "rules/aliases.toml",
)

#: the version and the rules' hash it was released with; update both together
PINNED_VERSION = "1.3.1"
PINNED_RULES_SHA256 = "48e7f66e56c082a520dedea2dc3a107c7bea6d1618d35a39c01fb21e1268ce4f"  # 1.3.1 + issue 16 round two: same output (bench/extract_bench.py --baseline 3ae8245)


def rules_sha256() -> str:
    digest = hashlib.sha256()
    for name in RULE_FILES:
        digest.update(name.encode() + b"\0" + (ETL / name).read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_extractor_version_is_bumped_when_the_rules_change():
    current = rules_sha256()
    assert (EXTRACTOR_VERSION, current) == (PINNED_VERSION, PINNED_RULES_SHA256), (
        f"The extraction rules changed (sha256 {current}) or EXTRACTOR_VERSION did ({EXTRACTOR_VERSION}).\n"
        "If extraction output can change, bump EXTRACTOR_VERSION in etl/extract/__init__.py; then set\n"
        f"PINNED_VERSION and PINNED_RULES_SHA256 in {Path(__file__).name} to the new version and {current}."
    )
