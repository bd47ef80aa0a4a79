"""Deterministic synthetic corpora for benchmarks, derived from the bundled abstracts.

Each synthetic paper starts from one bundled paper (data/seeds, read through etl.ingest): its
sentences are shuffled (the first stays first), its system and model names are renamed, its
numbers varied, spellings of units swapped ("2.1x" / "2.1×" / "2.1 times", "45%" / "45 percent",
"GPUs" / "GPU"), and a little noise is added (doubled spaces, entries that ingest must
quarantine, duplicates across files). Titles mix words of two seed titles so near-duplicate
detection has realistic work to do.

The output is split across the formats ingest reads: JSONL shards (most papers) and listing-page
.txt files (the rest, with page chrome and metadata lines). Same --seed and --size give the same
bytes.

examples:
  python bench/corpus.py --size 10k --out /tmp/cb-10k
  python bench/corpus.py --size 100000 --out /tmp/cb-100k --seed 7
  python bench/corpus.py --size 1M --out /tmp/cb-1m --listing-share 0.1
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEEDS = ROOT / "data" / "seeds"
JSONL_SHARD = 100_000  # papers per JSONL file
LISTING_PAGE = 2_000  # papers per listing page

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NUMBER_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?=\s?(?:x|×|%|times|-fold|\\times| percent|B\b|GPUs?|\s?GB)(?!\w))")
_X_UNIT_RE = re.compile(r"(?<=\d)(?:x|×)(?![A-Za-z0-9])")
_PERCENT_RE = re.compile(r"(?<=\d)%")
_GPUS_RE = re.compile(r"\bGPUs\b")
_SYLLABLES = ("ka", "lo", "mi", "ra", "zen", "tor", "vex", "qua", "bel", "nio", "sar", "fle", "dri", "op", "tus", "xi")
_MODELS = (
    "LLaMA", "Llama-2", "Llama 3", "OPT", "GPT-3", "Mistral", "Mixtral", "Qwen2", "Falcon", "BLOOM", "Vicuna", "Gemma",
)
_MODEL_RE = re.compile(r"\b(?:LLaMA|Llama(?:-?\d(?:\.\d)?)?|OPT|GPT-[234]|Mistral|Mixtral|Qwen\d?(?:\.\d)?|Falcon|BLOOM|Vicuna|Gemma)\b")
_HARDWARE = ("A100", "H100", "V100", "A10G", "L4", "RTX 4090", "RTX 3090", "MI250X", "TPU v4", "Gaudi2")
_HARDWARE_RE = re.compile(r"\b(?:A100|H100|V100|A10G|L4|RTX\s?\d{4}|MI\d{3}X?|TPU\s?v\d|Gaudi\d?)\b")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CHROME = ("new", "", "Get trending papers in your email inbox!", "", "Subscribe", "", "byAK and the research community", "")


def parse_size(text: str) -> int:
    """'10k' -> 10000, '1M' -> 1000000, '2500' -> 2500."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 500, 10k, 1M)")
    return int(float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()])


def seed_papers(seeds: Path = SEEDS) -> list[tuple[str, str]]:
    """(title, abstract) of every bundled paper, in a stable order."""
    from etl import ingest

    papers = ingest.ingest([seeds]).papers.sort("paper_id")
    return list(papers.select("title", "abstract").iter_rows())


def _name(rng: random.Random) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    style = rng.random()
    if style < 0.5:
        return word.capitalize()
    if style < 0.75:
        return word[:4].upper() + rng.choice(("", "-2", "LM", "Serve"))
    return word.capitalize() + rng.choice(("Flow", "Infer", "Cache", "Pipe", "Spec"))


def _vary_number(raw: str, rng: random.Random) -> str:
    value = float(raw) * rng.uniform(0.6, 1.6)
    if "." in raw:
        decimals = len(raw.split(".")[1])
        return f"{max(value, 1.1):.{decimals}f}"
    return str(max(1, round(value)))


def _respell(text: str, rng: random.Random) -> str:
    x_unit = rng.choice(("x", "×", " times", "x", "$\\times$"))
    text = _X_UNIT_RE.sub(lambda m: x_unit if rng.random() < 0.3 else m.group(), text)
    if rng.random() < 0.2:
        text = _PERCENT_RE.sub(rng.choice((" percent", "\\%")), text)
    if rng.random() < 0.1:
        text = _GPUS_RE.sub("GPU", text)
    return text


def synth_paper(index: int, seeds: list[tuple[str, str]], rng: random.Random) -> tuple[str, str]:
    """One synthetic (title, abstract)."""
    title, abstract = seeds[rng.randrange(len(seeds))]
    other_title = seeds[rng.randrange(len(seeds))][0]
    old_name, colon, rest = title.partition(":")
    name = _name(rng)
    body = rest if colon else title
    other = other_title.partition(":")[2] or other_title
    words, other_words = body.split(), other.split()
    cut = max(1, len(words) // 2)
    mixed = " ".join(words[:cut] + other_words[len(other_words) // 2 :]) or body
    new_title = f"{name}: {mixed.strip()} ({index})" if rng.random() < 0.15 else f"{name}: {mixed.strip()}"

    sentences = _SENTENCE_RE.split(abstract)
    head, tail = sentences[:1], sentences[1:]
    rng.shuffle(tail)
    text = " ".join(head + tail)
    if colon and len(old_name.split()) == 1 and len(old_name) > 2:
        text = re.sub(rf"\b{re.escape(old_name)}\b", name, text)
    model = rng.choice(_MODELS)
    text = _MODEL_RE.sub(model, text)
    hardware = rng.choice(_HARDWARE)
    text = _HARDWARE_RE.sub(hardware, text)
    text = _NUMBER_RE.sub(lambda m: _vary_number(m.group(1), rng), text)
    text = _respell(text, rng)
    noise = rng.random()
    if noise < 0.02:
        text = text.replace(". ", ".  ", 3)  # messy whitespace for ingest to collapse
    elif noise < 0.025:
        text = text[: rng.randint(20, 150)]  # too short: quarantined by ingest
    return new_title, text


def _metadata(rng: random.Random) -> tuple[str, int, int]:
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
    return day.isoformat(), rng.randint(1, 30), rng.randint(0, 400)


def generate(size: int, seed: int = 0, seeds: list[tuple[str, str]] | None = None) -> Iterator[dict]:
    """``size`` synthetic records (title, abstract, published, authors, upvotes, arxiv_id), deterministic."""
    rng = random.Random(seed)
    seeds = seeds or seed_papers()
    previous: dict | None = None
    for index in range(size):
        if previous is not None and rng.random() < 0.01:
            record = dict(previous)  # the same paper seen again (ingest merges it)
            record["title"] = record["title"].replace(":", " :", 1) if rng.random() < 0.5 else record["title"]
        else:
            title, abstract = synth_paper(index, seeds, rng)
            published, authors, upvotes = _metadata(rng)
            arxiv = f"{24 + index // 9_000_000:02d}{(index // 90_000) % 12 + 1:02d}.{index % 90_000 + 10_000:05d}"
            record = {"title": title, "abstract": abstract, "published": published, "authors": authors,
                      "upvotes": upvotes, "arxiv_id": arxiv if rng.random() < 0.7 else None}
        previous = record
        yield record


def _listing_entry(record: dict) -> str:
    day = date.fromisoformat(record["published"])
    return (
        f"{record['title']}\n\n{record['abstract']}\n\n"
        f"  • {record['authors']} authors\n·\n{_MONTHS[day.month - 1]} {day.day}, {day.year} {record['upvotes']}\n\n"
    )


def write_corpus(size: int, out: Path, seed: int = 0, listing_share: float = 0.2) -> list[Path]:
    """Write the corpus under ``out`` (JSONL shards + listing pages); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("papers-*.jsonl"), *out.glob("listing-*.txt")]:
        old.unlink()
    seeds = seed_papers()
    pick = random.Random(seed ^ 0x5EED)
    jsonl, listing = [], []
    files: list[Path] = []

    def flush_jsonl() -> None:
        path = out / f"papers-{len(list(out.glob('papers-*.jsonl'))):03d}.jsonl"
        path.write_text("".join(jsonl), encoding="utf-8")
        files.append(path)
        jsonl.clear()

    def flush_listing() -> None:
        path = out / f"listing-{len(list(out.glob('listing-*.txt'))):04d}.txt"
        path.write_text("\n".join(_CHROME) + "\n" + "".join(listing), encoding="utf-8")
        files.append(path)
        listing.clear()

    for record in generate(size, seed, seeds):
        if pick.random() < listing_share:
            listing.append(_listing_entry(record))
            if len(listing) == LISTING_PAGE:
                flush_listing()
        else:
            jsonl.append(json.dumps(record, ensure_ascii=False) + "\n")
            if len(jsonl) == JSONL_SHARD:
                flush_jsonl()
    if jsonl:
        flush_jsonl()
    if listing:
        flush_listing()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__[__doc__.index("examples:"):],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", type=parse_size, default=parse_size("10k"), help="papers to generate: 500, 10k, 1M (default 10k)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (its papers-*.jsonl / listing-*.txt are replaced)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same bytes")
    parser.add_argument("--listing-share", type=float, default=0.2, help="share of papers written as listing pages (default 0.2)")
    args = parser.parse_args(argv)
    files = write_corpus(args.size, args.out, args.seed, args.listing_share)
    total = sum(f.stat().st_size for f in files)
    print(f"{args.size} papers -> {len(files)} files in {args.out} ({total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
