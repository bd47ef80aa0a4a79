"""Incremental refresh: fetch remote sources, re-read only changed files, re-extract only changed
abstracts, publish through the ordinary pipeline; and the scheduler that repeats it.

A refresh never duplicates the pipeline: it hands ``pipeline.run_etl`` two caching hooks
(``caches``): ``CachedReader`` (ingest's ``read_source``) returns a file whose bytes and ingest
code are unchanged from ``<store>/cache/sources/``; ``CachedExtractor`` (the pipeline's
``extract_fn``) reuses abstracts this extractor version already extracted.

Before that, the input files are hashed (``hashing``: a stat cache of size/mtime/ctime/inode ->
sha256 skips files that did not change); when the hashes, the pipeline code and the extractor
version equal those of the current snapshot, nothing is run: the run is recorded as "unchanged"
and no snapshot is published. All of it runs under the store's lock (``etl.store.lock``).
"""

from etl.refresh.config import Config, ConfigError, load_config, parse_every
from etl.refresh.hashing import hash_inputs
from etl.refresh.runner import RefreshPlan, SourceUnavailable, plan_for_store, plan_from_config, refresh
from etl.refresh.schedule import add_refresh_job, make_trigger, scheduled_refresh, start_background_refresh

__all__ = [
    "Config", "ConfigError", "RefreshPlan", "SourceUnavailable", "add_refresh_job", "hash_inputs", "load_config",
    "make_trigger", "parse_every", "plan_for_store", "plan_from_config", "refresh", "scheduled_refresh",
    "start_background_refresh",
]
