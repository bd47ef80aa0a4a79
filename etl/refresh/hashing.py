"""What a refresh keys on: sha256 of the input files (with a stat cache) and of the code that
turns them into a snapshot."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from etl.ingest.files import NotRegularFile, open_regular

ETL_DIR = Path(__file__).resolve().parent.parent
#: a file modified this recently might change again within the same mtime tick: hash it next time too
RACY_NS = 2_000_000_000


def package_code(*packages: str) -> tuple[str, ...]:
    """Every Python file of the named ``etl`` subpackages, so a new module cannot be missed."""
    return tuple(
        sorted(str(path.relative_to(ETL_DIR)) for package in packages for path in (ETL_DIR / package).rglob("*.py"))
    )


#: what shapes ingest's output: the ingest package, its rules, the frame helpers it uses
INGEST_CODE = (*package_code("ingest"), "frames.py", "rules/ingest.toml")
#: what shapes extraction: the extract package, its rules, the regex bridge, the vocabularies
EXTRACT_CODE = (*package_code("extract"), "textscan.py", "vocab.py", "schemas.py", "aliases.py", "rules/extract.toml",
                "rules/aliases.toml")  # the per-claim setting reads the alias registry (etl.aliases)
#: everything that shapes a snapshot from its inputs: a change republishes even when no input changed
PIPELINE_CODE = tuple(dict.fromkeys((*INGEST_CODE, *EXTRACT_CODE, *package_code("review"), "normalise.py", "validate.py",
                                     "schemas.py", "pipeline.py", "rules/aliases.toml")))


def code_digest(names: Sequence[str]) -> str:
    """sha256 over the named files of the ``etl`` package, so a code or rules change invalidates caches."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + (ETL_DIR / name).read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class InputHashes:
    sha256: dict[str, str]  # path -> sha256 of its bytes
    unreadable: dict[str, str]  # path -> why it cannot be read
    stat_cache: dict[str, list]  # path -> [*stat_key, sha256], for the next refresh
    hashed: tuple[str, ...]  # files actually read and hashed (stat cache misses)


def stat_key(stat: os.stat_result) -> list[int]:
    """What changes when a file's bytes do: size and mtime, plus ctime and inode, which no
    ``touch -d`` or ``cp -p`` can set back, so a rewrite that restores the mtime is still seen."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def hash_inputs(files: Sequence[Path], known: Mapping[str, list], now_ns: int) -> InputHashes:
    """sha256 of each file, reusing ``known`` ones whose ``stat_key`` did not change."""
    hashes: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    cache: dict[str, list] = {}
    hashed: list[str] = []
    for path in files:
        key = str(path)
        try:
            stat = path.stat()
            entry = known.get(key)
            if entry and entry[:-1] == stat_key(stat):
                sha = entry[-1]
            else:
                sha = file_sha256(path)
                hashed.append(key)
        except NotRegularFile as err:
            # a FIFO or device named like a source: ingest refuses it by name, the rest still loads
            hashes[key] = f"refused: {err}"
            continue
        except OSError as err:
            unreadable[key] = err.strerror or str(err)
            continue
        hashes[key] = sha
        if now_ns - stat.st_mtime_ns > RACY_NS:
            cache[key] = [*stat_key(stat), sha]
    return InputHashes(hashes, unreadable, cache, tuple(hashed))


def file_sha256(path: Path) -> str:
    """sha256 of a regular file's bytes; NotRegularFile (never a wait) for a FIFO or a device."""
    with open_regular(path) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
