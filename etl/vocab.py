"""Shared vocabularies: the values a claim's fields may take, and the plausible ranges of the axes.

The Pandera models (``etl.schemas``) check against them and the dashboard offers them as choices.
"""

METRICS = ["throughput", "speedup", "latency", "memory", "energy", "cost", "compute", "scale"]
UNITS = ["x", "%"]
QUALIFIERS = ["up to", "average", "at least", "over", "about"]
STAGES = ["ingest", "extract", "normalise", "review", "validate", "store"]

MULTIPLIER_MAX = 1e6
MODEL_SIZE_RANGE = (1e5, 1e13)
GPU_COUNT_RANGE = (1, 1_000_000)
