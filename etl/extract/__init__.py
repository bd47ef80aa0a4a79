"""Extraction stage: benchmark claims and paper-level facts from paper abstracts.

The rules live in ``etl/rules/extract.toml`` (word lists, number spellings, patterns) and are
compiled once, at import, by ``rules``. The claim grammar (``claims``) is:

1. find *candidate numbers* (``2.1x``, ``45\\%``, ``2-4×``, ``an order of magnitude``...);
2. read the words around each one inside its sentence: the nearest metric noun, direction
   word, qualifier and baseline lead-in (``than``/``over``/``compared to``...);
3. keep candidates that state an efficiency comparison, and compute the GUIDE's multiplier.

``facts`` finds the paper-level facts; ``batch`` runs both over whole frames. The scanning is
done in Polars (``etl.textscan``): triggers select the abstracts and sentences that can hold a
claim or a fact, and every pattern is located over the whole column by a Rust
over-approximation, so Python only reads the spans found and applies the context rules.
"""

from etl.extract.batch import (
    RECORD_SCHEMA,
    RecordExtraction,
    extract_all,
    extract_claims,
    extract_facts,
    extract_record,
    extract_records,
    text_columns,
)
from etl.extract.claims import (
    CLAIM_SCHEMA,
    Claim,
    candidate_sentences,
    SETTING_SCHEMA,
    claims_from_texts,
    example_names,
    extract_claims_from_text,
    find_candidates,
)
from etl.extract.facts import (
    FACT_SCHEMA,
    facts_from_texts,
    find_gpu_counts,
    find_hardware,
    find_model_sizes,
    find_system,
)

__all__ = [
    "CLAIM_SCHEMA", "EXTRACTOR_VERSION", "FACT_SCHEMA", "RECORD_SCHEMA", "SETTING_SCHEMA", "Claim", "RecordExtraction",
    "candidate_sentences", "claims_from_texts", "example_names", "extract_all", "extract_claims", "extract_claims_from_text",
    "extract_facts", "extract_record", "extract_records", "facts_from_texts", "find_candidates", "find_gpu_counts",
    "find_hardware", "find_model_sizes", "find_system", "text_columns",
]

#: bump whenever the rules or their interpretation change: the extraction cache keys on it, and
#: tests/test_extract_version.py fails until the rules' hash beside it is updated too
EXTRACTOR_VERSION = "1.3.1"
