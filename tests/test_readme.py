"""Every `claimboard ...` command in README.md's bash blocks runs, against the bundled corpus.

The commands run as written (as `python -m etl.cli`, the console script's module) in a temporary
folder laid out like a checkout: data/seeds and tests/fixtures link to the repository's, so the
default store (data/store) and the README's relative paths land there. Placeholders are filled:
``[optional ...]`` synopsis parts are dropped, IN.jsonl is a few gold abstracts, and
claimboard.toml is a local-only config (no network). Long-running commands (serve, schedule) are
not run. Exports must write rows.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from etl.pipeline import BUNDLED_CORPUS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LONG_RUNNING = ("serve", "schedule")
LOCAL_CONFIG = """
[store]
dir = "data/store"
keep = 5

[fetch]
user_agent = "claimboard-readme-test/0.1 (mailto:tests@example.org)"

[[sources]]
name = "local"
kind = "local"
path = "data/seeds"
"""


def readme_commands() -> list[str]:
    """`claimboard ...` lines of the ```bash blocks, in README order, comments and [optional] parts dropped."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        for line in block.splitlines():
            words = shlex.split(re.sub(r"\[[^\]]*\]", "", line), comments=True)
            if words[:1] == ["claimboard"]:
                commands.append(shlex.join(words))
    return commands


def test_the_readme_shows_every_subcommand():
    names = {shlex.split(c)[1] for c in readme_commands()}
    assert {"etl", "extract", "eval", "serve", "export", "refresh", "schedule", "runs", "diff"} <= names


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A folder that looks like a checkout, with the bundled corpus and the test fixtures."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "data").mkdir()
    (folder / "data" / "seeds").symlink_to(BUNDLED_CORPUS, target_is_directory=True)
    (folder / "tests").mkdir()
    (folder / "tests" / "fixtures").symlink_to(ROOT / "tests" / "fixtures", target_is_directory=True)
    gold = (ROOT / "tests" / "fixtures" / "gold_dev.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    (folder / "IN.jsonl").write_text("\n".join(gold) + "\n", encoding="utf-8")
    (folder / "claimboard.toml").write_text(LOCAL_CONFIG, encoding="utf-8")
    return folder


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("CLAIMBOARD_STORE", None)
    argv = [sys.executable, "-m", "etl.cli", *shlex.split(command)[1:]]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_every_readme_command_runs_on_the_bundled_corpus(checkout):
    commands = [c for c in readme_commands() if shlex.split(c)[1] not in LONG_RUNNING]
    assert commands[0].startswith("claimboard etl")  # builds data/store for the others
    exported = 0
    for command in commands:
        done = run(command, checkout)
        assert done.returncode == 0, f"{command}\nstdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
        words = shlex.split(command)
        if words[1] == "export":
            exported += 1
            out = checkout / words[words.index("--out") + 1]
            assert out.exists() and out.stat().st_size > 0, command
            match = re.search(r"— (\d+) claims? from (\d+) papers?", done.stdout)
            assert match and int(match[1]) > 0, f"{command} exported no rows: {done.stdout}"
            if out.suffix == ".csv":
                assert len(out.read_text(encoding="utf-8").splitlines()) == int(match[1]) + 1, command
        if words[1] == "extract":
            lines = (checkout / words[words.index("--out") + 1]).read_text(encoding="utf-8").splitlines()
            assert len(lines) == 20 and all("claims" in json.loads(line) for line in lines)
    assert exported >= 3
