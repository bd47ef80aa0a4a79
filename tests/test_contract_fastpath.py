"""`claimboard extract` (issue 16): blocks of raw input read by the workers and output built from
extract_all's frames give exactly what the line-by-line path gave: the same output bytes, the same
messages with the same line numbers, lines split as the text-mode reader split them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from etl.commands import extract as cmd
from etl.contract import empty_output, frames_to_lines, records_to_outputs
from etl.extract import CLAIM_SCHEMA, FACT_SCHEMA, RECORD_SCHEMA, extract_all, extract_records
from etl.extract.batch import records_from_frames

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "fixtures" / "gold_dev.jsonl"


def gold_lines(n: int | None = None) -> list[str]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()][:n]
    return [json.dumps({"id": r["id"], "title": r["title"], "abstract": r["abstract"]}, ensure_ascii=False) for r in rows]


#: lines a producer gets wrong, and odd but valid ones
ODD = [
    "{not json",
    "",
    "   ",
    "[1, 2]",
    "null",
    json.dumps({"id": "p3", "title": "No abstract"}),
    json.dumps({"id": 4, "title": "T", "abstract": 42}),
    json.dumps({"id": True, "title": 5, "abstract": "x"}),
    json.dumps({"id": {"a": 1}, "title": "dict id", "abstract": "It is 3x faster than vLLM."}),
    json.dumps({"id": 1.0, "title": "float id", "abstract": "2x lower latency than TGI on 8 A100 GPUs."}),
    '{"id": NaN, "title": "nan", "abstract": "4.5x faster than FlashAttention"}',
    '{"id": "dup", "id": "dup2", "title": "dup", "abstract": "3x faster than vLLM"}',
    json.dumps({"id": "u", "title": "Ünï 🚀", "abstract": "2.5× faster than vLLM on 8 H100s — “quoted”\u2028 ≥ 7B"}),
    json.dumps({"id": "e", "title": "", "abstract": ""}),
    '{"id": "ctl", "title": "tab\\there", "abstract": "line\\nbreak 3x faster than vLLM \\u0001 \\u007f"}',
    '{"id": "t", "title": "x", "abstract": "3x faster"} trailing',
    "\ufeff" + json.dumps({"id": "bom", "title": "t", "abstract": "a"}),
]


def reference(lines: list[str]) -> tuple[str, list[str]]:
    """What `claimboard extract` wrote before issue 16 (output text, stderr messages): each line
    parsed with parse_line, the good ones extracted as one frame into RecordExtraction objects and
    contract.records_to_outputs, json.dumps(ensure_ascii=False) per line."""
    parsed = [cmd.parse_line(line) for line in lines]
    good = [record for record, problem in parsed if not problem]
    papers = pl.DataFrame(
        [(str(i), r["title"], r["abstract"]) for i, r in enumerate(good)], schema=RECORD_SCHEMA, orient="row"
    )
    extracted = iter(records_to_outputs([r["id"] for r in good], extract_records(papers)))
    text, messages = [], []
    for number, (record, problem) in enumerate(parsed, start=1):
        if problem:
            paper_id = record.get("id") if isinstance(record, dict) and isinstance(record.get("id"), (str, int)) else None
            out = empty_output(paper_id)
            messages.append(f"line {number}: {problem}; writing an empty result")
        else:
            out = next(extracted)
        text.append(json.dumps(out, ensure_ascii=False) + "\n")
    return "".join(text), messages


def block_result(lines: list[str], **kwargs) -> tuple[str, list[str]]:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    n, text, problems = cmd.extract_block(data, **kwargs)
    assert n == len(lines)
    return text, [f"line {number}: {message}" for number, message in problems]


def test_frames_to_lines_writes_what_records_to_outputs_gave_on_the_gold():
    records = [json.loads(line) for line in gold_lines()]
    papers = pl.DataFrame(
        [(str(i), r["title"], r["abstract"]) for i, r in enumerate(records)], schema=RECORD_SCHEMA, orient="row"
    )
    ids = [r["id"] for r in records]
    claims, facts = extract_all(papers)
    assert claims.height > 100
    old = records_to_outputs(ids, extract_records(papers))
    assert frames_to_lines(ids, claims, facts) == [json.dumps(o, ensure_ascii=False) for o in old]


def test_frames_to_lines_writes_json_dumps_text_for_odd_values():
    """Floats (NaN, infinities, exponents, -0.0), nulls, escapes, non-ASCII and ids of any JSON type."""
    odd_text = 'quote " back \\ tab \t nl \n cr \r \x01 \x7f \u2028 é 🚀'
    claim = {
        "paper_id": "0", "text": odd_text, "start": 0, "end": 3, "sentence": "s", "low": float("nan"),
        "high": float("inf"), "unit": "x", "metric": None, "better": None, "multiplier": -0.0,
        "baseline_raw": "vLLM and TGI", "qualifier": None, "confidence": 1e-05, "model_sizes": [7e9, 1.5e-7, 1e16],
        "gpu_counts": [8], "hardware_raw": ["A100", "H100", "A100", "Zorp-9000"], "model_sizes_from": "claim",
        "gpu_counts_from": None, "hardware_from": "paper",
    }
    claims = pl.DataFrame([claim, {**claim, "paper_id": "2", "low": float("-inf"), "high": None, "better": True,
                                   "model_sizes": [], "hardware_raw": []}], schema=CLAIM_SCHEMA)
    facts = pl.DataFrame(
        [("0", odd_text, True, [2.0, 1e-05], [1, 2], ["A100", "Zorp-9000", "a100"]), ("1", None, None, [], [], []),
         ("2", "", False, [float("nan")], [], ["TPU v4"])],
        schema=FACT_SCHEMA, orient="row",
    )
    for ids in (["a", "b", "c"], [7, 1.0, None], [True, {"k": [1, "é"]}, ["x"]], [10**30, float("nan"), "\u2028"]):
        expected = [json.dumps(o, ensure_ascii=False) for o in records_to_outputs(ids, records_from_frames(claims, facts))]
        assert frames_to_lines(ids, claims, facts) == expected


def test_a_block_with_one_malformed_line_among_good_ones_is_what_the_old_path_wrote():
    lines = gold_lines(40)
    lines[17] = '{"id": "x", "title": "broken", "abstract": '
    text, messages = block_result(lines)
    assert (text, messages) == reference(lines)
    assert messages == ["line 18: invalid JSON (Expecting value at column 44); writing an empty result"]
    assert json.loads(text.split("\n")[17]) == empty_output(None)


def test_odd_lines_give_the_old_outputs_and_messages():
    lines = ODD + gold_lines(12) + ODD[:3]
    text, messages = block_result(lines)
    assert (text, messages) == reference(lines)
    assert len(messages) >= 10


def test_a_block_of_malformed_lines_only_and_an_empty_block():
    assert block_result(ODD[:5]) == reference(ODD[:5])
    assert cmd.extract_block(b"") == (0, "", [])


def test_lines_are_extracted_batch_lines_at_a_time_with_numbers_across_batches(monkeypatch):
    monkeypatch.setattr(cmd, "BATCH_LINES", 7)
    lines = gold_lines(10) + ["{bad"] + gold_lines(10) + ["[]"]
    assert block_result(lines) == reference(lines)


def test_newlines_split_as_the_text_mode_reader_does():
    good = json.dumps({"id": "a", "title": "t", "abstract": "3x faster than vLLM"})
    data = (good + "\r\n" + good + "\r" + '{"id": "b",\r "title": "t", "abstract": "x"}' + "\n\n" + good).encode()
    # a file (universal newlines): \r\n and \r end lines, the last line needs no newline
    file_lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read().split("\n")
    assert cmd.extract_block(data, universal=True)[0] == len(file_lines) == 6
    _, text, problems = cmd.extract_block(data, universal=True)
    assert (text, [f"line {n}: {m}" for n, m in problems]) == reference(file_lines)
    # stdin: only \n ends a line; a \r between tokens is JSON whitespace
    stdin_lines = data.decode().split("\n")
    _, text, problems = cmd.extract_block(data, universal=False)
    assert (text, [f"line {n}: {m}" for n, m in problems]) == reference(stdin_lines)
    assert [json.loads(line)["id"] for line in text.split("\n")[:-1]] == ["a", None, None, "a"]


def test_blocks_hold_whole_lines(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = gold_lines(30)
    src.write_text("\n".join(lines), encoding="utf-8")  # no newline at the end
    source = cmd._Input(str(src))
    try:
        blocks = list(cmd._read_blocks(source.stream, lambda: 1000))
    finally:
        source.close()
    assert len(blocks) > 5 and all(b.endswith(b"\n") for b in blocks[:-1])
    assert b"".join(blocks).decode().split("\n") == lines


def run_cli(args: list[str], stdin: bytes | None = None, env: dict | None = None, setup: str = "pass") -> subprocess.CompletedProcess:
    code = f"import sys; import etl.commands.extract as m; {setup}; from etl.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, input=stdin, capture_output=True,
                          env={**__import__("os").environ, **(env or {})}, timeout=300)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_in_many_blocks_and_workers_writes_the_old_bytes_and_messages(tmp_path, workers):
    # the pool and the shrinking blocks on a small input: a low threshold and small blocks
    setup = (
        "m.PARALLEL_MIN_ROWS = 50; m.BLOCK_BYTES = 20_000; pool = m.ProcessPoolExecutor\n"
        "class Pool(pool):\n"
        "    def submit(self, *a, **k):\n"
        "        print('task', file=sys.stderr); return super().submit(*a, **k)\n"
        "m.ProcessPoolExecutor = Pool"
    )
    lines = gold_lines(120)
    for at, odd in zip(range(3, 120, 9), ODD):
        lines.insert(at, odd)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli(["extract", "--in", str(src), "--out", str(out)], env={"CLAIMBOARD_EXTRACT_WORKERS": workers}, setup=setup)
    assert proc.returncode == 0, proc.stderr.decode()
    text, messages = reference(lines)
    assert out.read_bytes() == text.encode("utf-8")
    stderr = proc.stderr.decode().splitlines()
    assert (stderr.count("task") > 3) == (workers == "2")  # several blocks went to the pool
    stderr = [line for line in stderr if line != "task"]
    assert [m for m in stderr if not m.startswith("extract: ")] == messages
    assert [m for m in stderr if m.startswith("extract: ")] == [
        f"extract: {k} records" for k in range(1000, len(lines) + 1, 1000)
    ] + [f"extract: done, {len(lines)} records -> {out}"]


def test_cli_stdin_to_stdout_keeps_cr_inside_lines():
    good = json.dumps({"id": "a", "title": "t", "abstract": "3x faster than vLLM"})
    data = (good + "\n" + '{"id": "b",\r "title": "t", "abstract": "x"}' + "\n{bad\n").encode()
    proc = run_cli(["extract", "--in", "-", "--out", "-", "--quiet"], stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    text, messages = reference(data.decode().split("\n")[:-1])
    assert proc.stdout == text.encode("utf-8")
    assert proc.stderr.decode().splitlines() == messages == [
        "line 3: invalid JSON (Expecting property name enclosed in double quotes at column 2); writing an empty result"
    ]


def test_a_worker_never_starts_a_pool_of_its_own():
    # extract_all cuts frames of PARALLEL_MIN_ROWS papers or more across a pool: a block's batches stay under it
    from etl.extract.batch import PARALLEL_MIN_ROWS

    assert cmd.BATCH_LINES < PARALLEL_MIN_ROWS
