"""Exports: each format carries its provenance; the CLI flags and a URL give the same export."""

from __future__ import annotations

import base64
import csv
import io
import json
import re

import pytest

from dashboard import callbacks, export
from dashboard.data import SnapshotCache
from dashboard.filters import Filters
from dashboard.views import build_view
from support.stores import HOSTILE_TITLE, NEW_RUN
from etl.cli import main as claimboard

QUERY = "?metric=speedup&metric=throughput&baseline=vLLM&gpus=..8"


@pytest.fixture(scope="module")
def board(handmade_store):
    return SnapshotCache(handmade_store).get()


def exported(board, fmt: str, query: str = QUERY) -> tuple[dict[str, bytes], dict]:
    filters = Filters.from_query(query).filters
    meta = export.provenance(board, filters, url=f"http://127.0.0.1:8050/{query}")
    return export.export_files(build_view(board, filters, static=True), fmt, f"out.{fmt}", meta), meta


def test_provenance_names_filter_snapshot_and_extractor(board):
    meta = export.provenance(board, Filters.from_query(QUERY).filters)
    assert meta["filter"] == "Speedup and throughput claims against vLLM, with at most 8 GPUs"
    assert meta["query"] == QUERY and meta["snapshot_run_id"] == NEW_RUN
    assert meta["extractor_version"] == "9.9.9-handmade"  # the version that made the snapshot


def test_png_carries_provenance_in_text_chunks(board):
    files, meta = exported(board, "png")
    png = files["out.png"]
    assert png.startswith(export.PNG_SIGNATURE) and list(files) == ["out.png"]
    texts = export.png_text_chunks(png)
    assert texts["Title"] == meta["filter"] and texts["Source"] == meta["url"]
    assert json.loads(texts["Comment"])["snapshot_run_id"] == NEW_RUN


def test_svg_carries_provenance_in_a_metadata_element(board):
    files, meta = exported(board, "svg")
    svg = files["out.svg"].decode()
    found = re.search(r'<metadata id="claimboard-provenance">(.*?)</metadata>', svg).group(1)
    assert json.loads(found.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")) == meta
    assert f"<title>{meta['filter']}</title>" in svg
    assert "PagedServe" not in svg or "vLLM" in svg  # a chart of the filtered claims, titled with the filter
    assert meta["filter"] in svg


def test_html_is_standalone_and_cannot_be_broken_out_of(board):
    files, meta = exported(board, "html", "?q=fastllm&tab=baselines")
    page = files["out.html"].decode()
    assert '<meta name="claimboard:snapshot_run_id" content="20261123T060000Z-bbbbbb">' in page
    block = re.search(r'<script type="application/json" id="claimboard-provenance">(.*?)</script>', page, re.S).group(1)
    assert json.loads(block)["query"] == "?q=fastllm&tab=baselines"
    assert "<script src=" not in page and len(page) > 1_000_000  # plotly.js inlined: works offline
    assert "</script><script>alert" not in page and "<script>alert" not in page


def test_csv_holds_the_claims_behind_the_view_with_provenance_columns_and_a_sidecar(board):
    files, meta = exported(board, "csv")
    rows = list(csv.DictReader(io.StringIO(files["out.csv"].decode())))
    expected = Filters.from_query(QUERY).filters.apply(board.claims)
    assert sorted(r["claim_id"] for r in rows) == sorted(expected["claim_id"])
    assert {r["baseline"] for r in rows} == {"vLLM"} and all(any(int(g) <= 8 for g in r["gpu_counts"].split("; ")) for r in rows)
    assert {(r["export_query"], r["snapshot_run_id"], r["extractor_version"]) for r in rows} == {
        (QUERY, NEW_RUN, "9.9.9-handmade")
    }
    assert json.loads(files["out.csv.meta.json"]) == meta


def test_pdf_gets_a_sidecar(board):
    files, meta = exported(board, "pdf")
    assert files["out.pdf"].startswith(b"%PDF") and json.loads(files["out.pdf.meta.json"]) == meta


def test_in_app_download_is_one_file_of_bytes(board):
    main, status = callbacks.export_outputs(board, "csv", "?q=%3Cscript%3E", "http://host/?q=%3Cscript%3E")
    name = main["filename"]
    assert name.startswith("claimboard-landscape-script-") and name.endswith(f"-{NEW_RUN}.csv") and main["base64"]
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(main["content"]).decode())))
    assert {r["title"] for r in rows} == {HOSTILE_TITLE}  # CSV keeps the raw text
    assert {r["export_query"] for r in rows} == {"?q=%3Cscript%3E"}
    assert status == f"Downloaded {name}."


def test_cli_flags_and_url_give_the_same_csv(handmade_store, tmp_path, capsys):
    flags = ["--metric", "speedup", "--metric", "throughput", "--baseline", "vLLM", "--gpus", "..8"]
    assert claimboard(["export", "--store", str(handmade_store), "--out", str(tmp_path / "a.csv"), *flags]) == 0
    assert claimboard(["export", "--store", str(handmade_store), "--out", str(tmp_path / "b.csv"),
                       "--url", f"http://127.0.0.1:8050/{QUERY}"]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert json.loads((tmp_path / "a.csv.meta.json").read_text())["query"] == QUERY
    assert "Speedup and throughput claims against vLLM, with at most 8 GPUs" in capsys.readouterr().out


def test_cli_flag_overrides_the_same_url_parameter(handmade_store, tmp_path):
    out = tmp_path / "c.csv"
    assert claimboard(["export", "--store", str(handmade_store), "--out", str(out), "--url", QUERY, "--baseline", "TGI",
                       "--allow-empty"]) == 0  # no claim matches: refused without --allow-empty
    assert json.loads((tmp_path / "c.csv.meta.json").read_text())["query"] == "?metric=speedup&metric=throughput&baseline=TGI&gpus=..8"


def test_cli_rejects_bad_values_and_an_empty_store(handmade_store, tmp_path, capsys):
    assert claimboard(["export", "--store", str(handmade_store), "--out", str(tmp_path / "x.csv"), "--gpus", "many"]) == 2
    assert "gpus='many'" in capsys.readouterr().err
    assert claimboard(["export", "--store", str(handmade_store), "--out", str(tmp_path / "x.txt")]) == 2
    assert claimboard(["export", "--store", str(tmp_path / "none"), "--out", str(tmp_path / "x.csv")]) == 1
    assert "claimboard etl" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_every_filter_field_is_a_cli_flag(capsys):
    with pytest.raises(SystemExit):
        claimboard(["export", "--help"])
    help_text = capsys.readouterr().out
    for name in Filters.__dataclass_fields__:
        assert f"--{name}" in help_text


def test_image_exports_are_queued_bounded_and_cached(board, monkeypatch):
    """15.6: one render at a time, RENDER_WAITING more waiting, the rest refused as busy at once;
    the same filter + snapshot + format is rendered once."""
    import threading
    import time

    renders = []

    def slow_render(fig, fmt):
        renders.append(fmt)
        time.sleep(0.5)
        return b"%PDF-fake"

    monkeypatch.setattr(export, "static_image", slow_render)
    monkeypatch.setattr(export, "RENDERS", export.RenderQueue(waiting=2))
    monkeypatch.setattr(export, "IMAGES", export.ImageCache(items=4))
    queries = [f"?metric=speedup&gpus=..{n}" for n in range(1, 7)]  # six different charts at once
    results: dict[str, object] = {}

    def one(query):
        try:
            results[query] = exported(board, "pdf", query)[0]["out.pdf"]
        except export.ExportBusy as err:
            results[query] = err

    started = time.perf_counter()
    threads = [threading.Thread(target=one, args=(q,)) for q in queries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    busy = [r for r in results.values() if isinstance(r, export.ExportBusy)]
    assert len(busy) == 3 and len(renders) == 3
    assert "busy" in str(busy[0]) and "try again" in str(busy[0])
    assert time.perf_counter() - started < 2.5
    # asked again: served from the cache, no new render
    done = [q for q, r in results.items() if isinstance(r, bytes)]
    assert exported(board, "pdf", done[0])[0]["out.pdf"] == b"%PDF-fake" and len(renders) == 3
    # a bounded LRU
    for n in range(10):
        export.IMAGES.put(("x", str(n), "NEW", "png"), b"x")
    assert len(export.IMAGES) == 4


def test_a_busy_exporter_is_a_message_in_the_page(board, monkeypatch):
    def busy(*_):
        raise export.ExportBusy("The image exporter is busy; try again in a few seconds.")

    monkeypatch.setattr(export, "cached_image", busy)
    download, status = callbacks.export_outputs(board, "png", "?metric=speedup", "http://x/")
    assert "busy" in status and download is callbacks.no_update


def test_an_exported_chart_says_how_many_claims_it_plots_and_what_it_left_out(board):
    """13: the export carries "N of M claims plotted" and the page's not-plotted notes."""
    filters = Filters.from_query("?x=published").filters
    view = build_view(board, filters, static=True)
    subtitle = view.figure.layout.title.subtitle.text
    assert subtitle.startswith("10 of 12 claims from 7 papers plotted")
    assert "2 of 12 claims state no publication date (not plotted)." in subtitle
    assert view.notes == ["2 of 12 claims state no publication date (not plotted)."]
    baselines = build_view(board, Filters.from_query("?tab=baselines").filters, static=True).figure.layout.title.subtitle.text
    assert "2 of 12 claims name no baseline (not plotted)." in baselines
    screen = build_view(board, filters)
    assert screen.figure.layout.height == 540 and not screen.figure.layout.title.subtitle.text


def test_export_names_carry_the_view_and_a_slug_of_the_filter(board):
    """13: two exports of different views or filters never share a name."""
    def name(query):
        return export.file_stem(Filters.from_query(query).filters, board)

    assert name("") == f"claimboard-landscape-all-{NEW_RUN}"
    assert name("?metric=throughput&baseline=vLLM&size=7..70").startswith("claimboard-landscape-throughput-vllm-7-70-")
    assert name("?tab=baselines&metric=latency").startswith("claimboard-baselines-latency-")
    names = {name(q) for q in ("?metric=latency", "?metric=latency&x=gpus", "?metric=speedup", "?tab=side&metric=latency")}
    assert len(names) == 4
    assert name("?q=" + "x" * 200).count("x") <= 41


def test_export_buttons_are_disabled_on_an_empty_view(board):
    assert callbacks.export_disabled(board, "?q=nothing-matches-this")
    assert callbacks.export_disabled(board, "?tab=side&papers=2401.00001")
    assert callbacks.export_disabled(None, "")
    assert not callbacks.export_disabled(board, "?metric=latency")


def test_csv_export_carries_each_papers_link(board):
    files, _ = exported(board, "csv", "?metric=speedup")
    rows = list(csv.DictReader(io.StringIO(files["out.csv"].decode())))
    assert {(r["paper_id"], r["url_kind"]) for r in rows} >= {("2401.00002", "hf"), ("2401.00006", "search")}
    assert all(r["url"].startswith("https://") for r in rows)
