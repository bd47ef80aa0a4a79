"""Old code beside new in one benchmark run: a git ref of this repository unpacked into a cache
directory, for a bench to import ``etl`` / ``dashboard`` from (``PYTHONPATH``) in a child process.

The tree is ``git archive`` output, so the repository's worktree list is untouched; it is reused
while the ref points at the same commit.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "claimboard-baseline"


def baseline_tree(ref: str) -> Path:
    """The source tree of ``ref`` (a commit, tag or branch of this repository)."""
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"--baseline {ref}: not a commit of {ROOT} ({getattr(exc, 'stderr', exc)!s}".strip() + ")")
    tree = CACHE / sha
    if (tree / ".complete").exists():
        return tree
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", sha], capture_output=True, check=True).stdout
    partial = Path(tempfile.mkdtemp(prefix=f"{sha[:12]}-", dir=CACHE.mkdir(parents=True, exist_ok=True) or CACHE))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(partial, filter="data")
    (partial / ".complete").write_text(sha)
    try:
        os.rename(partial, tree)
    except OSError:  # another run unpacked it meanwhile
        subprocess.run(["rm", "-rf", str(partial)], check=False)
    return tree


def describe(ref: str) -> str:
    """``ref`` with its short commit and subject, for a table heading."""
    out = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", ref], capture_output=True, text=True)
    return (out.stdout.strip() or ref)[:72]
