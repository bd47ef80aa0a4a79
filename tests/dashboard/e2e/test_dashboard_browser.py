"""The dashboard in a real headless Chromium: filter, compare, share a link, export, screenshot."""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.app import create_app
from dashboard.figures import MAX_POINTS
from support.browser import cell_text, grid_rows, no_alert, wait_until
from support.stores import HOSTILE_TITLE, NEW_RUN

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshot-landscape.png"


def points(dash_duo, graph: str = "#landscape-graph") -> int:
    return len(dash_duo.find_elements(f"{graph} .scatterlayer .point"))


def test_a_filter_changes_chart_caption_and_url_and_back_undoes_it(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.wait_for_text_to_equal("#caption", "All claims")
    wait_until(lambda: points(dash_duo) == 11, message="11 points (one claim has no model size)")

    search = dash_duo.find_element("#f-q")
    search.send_keys("paged", Keys.ENTER)
    dash_duo.wait_for_text_to_equal("#caption", "All claims matching “paged”")
    wait_until(lambda: "q=paged" in dash_duo.driver.current_url, message="q in the URL")
    wait_until(lambda: points(dash_duo) == 2, message="PagedServe's two claims")

    dash_duo.driver.back()
    dash_duo.wait_for_text_to_equal("#caption", "All claims")
    wait_until(lambda: points(dash_duo) == 11, message="all points again")
    assert dash_duo.find_element("#f-q").get_attribute("value") == ""


def test_side_by_side_from_a_click_and_a_copied_link_reproduces_it(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?papers=2401.00003&color=baseline")
    wait_until(lambda: points(dash_duo) == 11 + 2, message="11 claims plus rings on FastLLM's two")
    hover_and_click_paper(dash_duo, "2401.00001")
    wait_until(lambda: "papers=2401.00001" in dash_duo.driver.current_url, message="clicked paper in the URL")

    dash_duo.find_element("#tabs").find_element(By.XPATH, ".//*[text()='Side by side']").click()
    wait_until(lambda: "tab=side" in dash_duo.driver.current_url, message="tab in the URL")
    dash_duo.wait_for_text_to_equal("#caption", "All claims from 2 selected papers")
    facts = dash_duo.wait_for_element("#side-facts table")
    headers = [th.text for th in facts.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["", "FastLLM", "PagedServe"]
    assert HOSTILE_TITLE in facts.text  # shown as text
    assert no_alert(dash_duo.driver)

    link = dash_duo.driver.current_url
    dash_duo.driver.get("about:blank")
    dash_duo.wait_for_page(link)
    dash_duo.wait_for_text_to_equal("#caption", "All claims from 2 selected papers")
    facts = dash_duo.wait_for_element("#side-facts table")
    assert [th.text for th in facts.find_elements(By.CSS_SELECTOR, "thead th")] == headers
    assert dash_duo.find_element("#tabs .tab--selected").text == "Side by side"
    assert no_alert(dash_duo.driver)


FIND_POINT = """
const gd = document.querySelector('#landscape-graph .js-plotly-plot');
for (let t = 0; t < gd.data.length; t++) {
  const rows = gd.data[t].customdata || [];  // a point's paper id (or a row starting with it)
  for (let i = 0; i < rows.length; i++) {
    const id = Array.isArray(rows[i]) ? rows[i][0] : rows[i];
    if (id === arguments[0]) return [t, i];
  }
}
return null;
"""


def hover_and_click_paper(dash_duo, paper_id: str) -> None:
    """Move the mouse onto a landscape point of the paper and click it, as a user would."""
    trace, index = dash_duo.driver.execute_script(FIND_POINT, paper_id)
    group = dash_duo.find_elements("#landscape-graph .scatterlayer .trace")[trace]
    point = group.find_elements(By.CSS_SELECTOR, ".point")[index]
    ActionChains(dash_duo.driver).move_to_element(point).click().perform()


def test_a_large_view_says_it_is_a_sample_and_a_narrow_one_shows_every_point(dash_duo, big_store):
    dash_duo.start_server(create_app(big_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/")
    notice = dash_duo.wait_for_element("#landscape-graph ~ * .note--sampled, .note--sampled", timeout=20)
    assert notice.text == (f"Showing a random sample of {MAX_POINTS:,} of 5,500 claims; "
                           f"narrow the filters to {MAX_POINTS:,} or fewer to see every point.")
    assert notice.is_displayed()
    wait_until(lambda: "random sample: 4,000 of 5,500 points" in dash_duo.find_element("#landscape-graph").text,
               message="the sample noted on the chart itself")

    dash_duo.wait_for_page(f"{dash_duo.server_url}/?q=pagedserve&metric=throughput")  # 500 claims: every one, as SVG
    wait_until(lambda: points(dash_duo) == 500, 20, "every matching point")
    assert not dash_duo.find_elements(".note--sampled")
    assert "random sample" not in dash_duo.find_element("#landscape-graph").text


def test_a_link_focused_on_a_baseline_keeps_its_focus(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=baselines&focus=TGI")
    # the table renders its header row first: wait for the header and at least two claims
    wait_until(lambda: len(dash_duo.find_elements("#focus-table .ag-center-cols-container .ag-row")) >= 2, 15, "claims against TGI")
    assert "focus=TGI" in dash_duo.driver.current_url


def downloaded(folder: Path, suffix: str) -> Path:
    return wait_until(lambda: next((p for p in folder.glob(f"*{suffix}")), None), 20, f"a {suffix} download")


def test_csv_and_svg_downloads_carry_the_view_and_its_provenance(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    query = "?metric=speedup&baseline=vLLM"
    dash_duo.wait_for_page(f"{dash_duo.server_url}/{query}")
    dash_duo.wait_for_text_to_equal("#caption", "Speedup claims against vLLM")
    folder = Path(dash_duo.download_path)

    dash_duo.find_element("#\\{\\\"format\\\"\\:\\\"csv\\\"\\,\\\"type\\\"\\:\\\"export\\\"\\}").click()
    rows = list(csv.DictReader(downloaded(folder, ".csv").open(encoding="utf-8")))
    assert [(r["paper_id"], r["multiplier"]) for r in rows] == [("2401.00003", "4.0")]
    assert (rows[0]["export_query"], rows[0]["snapshot_run_id"]) == (query, NEW_RUN)

    dash_duo.find_element("#\\{\\\"format\\\"\\:\\\"svg\\\"\\,\\\"type\\\"\\:\\\"export\\\"\\}").click()
    svg = downloaded(folder, ".svg").read_text(encoding="utf-8")
    assert "<title>Speedup claims against vLLM</title>" in svg
    metadata = svg.split('<metadata id="claimboard-provenance">')[1].split("</metadata>")[0]
    meta = json.loads(metadata.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert meta["snapshot_run_id"] == NEW_RUN and meta["url"] == f"{dash_duo.server_url}/{query}"


def test_readme_screenshot_of_the_landscape(dash_duo, pipeline_store):
    dash_duo.start_server(create_app(pipeline_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?systems=1&color=metric")
    wait_until(lambda: points(dash_duo) > 10, 20, "landscape points from the real snapshot")
    time.sleep(1)  # let the legend and axes settle
    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 50_000


def test_claims_grid_sorts_on_the_server_keeps_the_sort_in_the_link_and_marks_the_number(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=table&sort=multiplier:desc")
    wait_until(lambda: grid_rows(dash_duo) and cell_text(grid_rows(dash_duo)[0], "multiplier") == "10", 15,
               "the link's sort applied: 10x first")
    marks = dash_duo.find_elements('#claims-table .ag-row[row-index="0"] [col-id="sentence"] mark')
    assert [m.text for m in marks] == ["10x"]
    assert len(grid_rows(dash_duo)) == 12
    # a header click sorts by the paper title, and the URL follows
    dash_duo.find_element('#claims-table .ag-header-cell[col-id="title"] .ag-header-cell-label').click()
    wait_until(lambda: "sort=title" in dash_duo.driver.current_url, 10, "the grid's sort in the URL")
    wait_until(lambda: cell_text(grid_rows(dash_duo)[0], "title").startswith("<script>"), 10, "rows sorted by title")
    link = dash_duo.driver.current_url
    dash_duo.driver.get("about:blank")
    dash_duo.wait_for_page(link)
    wait_until(lambda: grid_rows(dash_duo) and cell_text(grid_rows(dash_duo)[0], "title").startswith("<script>"), 15,
               "a shared link keeps the sort")
    # a row click adds its paper to the comparison
    index = [i for i, r in enumerate(grid_rows(dash_duo)) if cell_text(r, "title").startswith("MegaTrain")][0]
    dash_duo.find_element(f'#claims-table .ag-center-cols-container .ag-row[row-index="{index}"] [col-id="metric"]').click()
    wait_until(lambda: "papers=2401.00004" in dash_duo.driver.current_url, 10, "the clicked row's paper in the URL")
    assert "sort=title" in dash_duo.driver.current_url
    # a filter change asks the server again
    dash_duo.find_element("#f-q").send_keys("tiny", Keys.ENTER)
    wait_until(lambda: len(grid_rows(dash_duo)) == 1 and cell_text(grid_rows(dash_duo)[0], "multiplier") == "10", 10,
               "the filtered rows")
    assert no_alert(dash_duo.driver)


PLOT_BOX = """
const plot = document.querySelector('#baselines-graph .js-plotly-plot .main-svg');
const table = document.querySelector('#baselines-table');
if (!plot || !table) return null;
const p = plot.getBoundingClientRect(), t = table.getBoundingClientRect();
return [p.height, p.bottom, t.top];
"""


def plot_box(dash_duo):
    return dash_duo.driver.execute_script(PLOT_BOX)


def settled_height(dash_duo, message: str) -> float:
    """The baselines plot's rendered height once drawn, checked several times over a second:
    it stays well above 0 and the tables start below it."""
    wait_until(lambda: (plot_box(dash_duo) or [0])[0] > 300, 15, message)
    for _ in range(5):
        height, bottom, table_top = plot_box(dash_duo)
        assert height > 300, (message, height)
        assert table_top >= bottom - 1, (message, "the tables overlap the chart", bottom, table_top)
        time.sleep(0.2)
    return height


def test_the_baselines_chart_keeps_its_height_on_load_and_after_a_baseline_is_picked(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    for attempt in range(5):  # it collapsed in 5 of 7 loads before
        dash_duo.driver.get("about:blank")
        dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=baselines&metric=throughput")
        settled_height(dash_duo, f"load {attempt}")
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=baselines")
    settled_height(dash_duo, "all claims")
    dash_duo.select_dcc_dropdown("#f-focus", value="TGI")
    wait_until(lambda: "focus=TGI" in dash_duo.driver.current_url, 10, "the focus in the URL")
    settled_height(dash_duo, "after picking a baseline in the dropdown")
    box = dash_duo.find_elements("#baselines-graph .boxlayer .trace path.box")[0]
    ActionChains(dash_duo.driver).move_to_element(box).click().perform()
    time.sleep(0.5)
    settled_height(dash_duo, "after clicking a box")


PHONE_LAYOUT = """
const box = s => { const e = document.querySelector(s); return e ? e.getBoundingClientRect() : null; };
const panel = document.querySelector('.panel');
const legend = box('#landscape-graph .legend'), plot = box('#landscape-graph .nsewdrag');
return {panelShown: panel.offsetHeight > 0, graphTop: box('#landscape-graph').top,
        legendTop: legend && legend.top, plotBottom: plot && plot.bottom,
        pageWidth: document.documentElement.scrollWidth};
"""
GRID_SCROLL = """
const v = document.querySelector('#claims-table .ag-body-horizontal-scroll-viewport');
const c = document.querySelector('#claims-table .ag-center-cols-viewport');
return {hScroll: c ? c.scrollWidth - c.clientWidth : null, pageWidth: document.documentElement.scrollWidth,
        shown: [...document.querySelectorAll('#claims-table .ag-header-cell')].filter(h => h.offsetWidth > 0).map(h => h.getAttribute('col-id'))};
"""


def test_phone_width_filters_in_a_drawer_chart_first_legend_below_table_without_sideways_scroll(dash_duo, handmade_store, tmp_path):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/")
    wait_until(lambda: points(dash_duo) == 11, 15, "the landscape")
    time.sleep(0.5)
    phone = dash_duo.driver.execute_script(PHONE_LAYOUT)
    dash_duo.driver.save_screenshot(str(tmp_path / "phone-landscape.png"))
    shots = os.environ.get("CLAIMBOARD_SHOTS")  # a folder to copy the screenshots to, to look at them
    if shots:
        shutil.copy(tmp_path / "phone-landscape.png", Path(shots) / "phone-landscape.png")
    assert not phone["panelShown"], "filters folded away"
    assert phone["graphTop"] < 400, phone  # the chart comes first (it started 900 px down)
    assert phone["legendTop"] >= phone["plotBottom"] - 1, phone  # the legend sits below the plot
    assert phone["pageWidth"] <= 390, phone
    dash_duo.find_element(".drawer-button label").click()
    wait_until(lambda: dash_duo.driver.execute_script(PHONE_LAYOUT)["panelShown"], 5, "the drawer opens")
    dash_duo.find_element(".drawer-button label").click()

    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=table")
    wait_until(lambda: len(grid_rows(dash_duo)) == 12, 15, "the claims grid")
    time.sleep(0.5)
    grid = dash_duo.driver.execute_script(GRID_SCROLL)
    assert grid["hScroll"] <= 1 and grid["pageWidth"] <= 390, grid
    assert grid["shown"] == ["title", "multiplier", "sentence"], grid
    dash_duo.driver.save_screenshot(str(tmp_path / "phone-table.png"))

    dash_duo.driver.set_window_size(1280, 900)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/")
    wait_until(lambda: points(dash_duo) == 11, 15, "the landscape")
    assert dash_duo.driver.execute_script(PHONE_LAYOUT)["panelShown"], "the filters show beside the chart on a wide screen"
    dash_duo.driver.save_screenshot(str(tmp_path / "wide-landscape.png"))
    if shots:
        for name in ("phone-table", "wide-landscape"):
            shutil.copy(tmp_path / f"{name}.png", Path(os.environ["CLAIMBOARD_SHOTS"]) / f"{name}.png")


EXPORT_BUTTON = '#\\{\\"format\\"\\:\\"png\\"\\,\\"type\\"\\:\\"export\\"\\}'


def test_inputs_never_fail_silently(dash_duo, handmade_store):
    """13: a bad typed value is named beside its input; 7B/70b are sizes; an unknown paper id keeps
    the other filters and is named; an empty view disables the export buttons."""
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/")
    dash_duo.wait_for_text_to_equal("#caption", "All claims")
    dash_duo.find_element("#f-gpus-lo").send_keys("-3", Keys.ENTER)
    wait_until(lambda: "whole number" in dash_duo.find_element("#msg-gpus").text, 10, "the message beside the GPU input")
    assert dash_duo.find_element("#msg-gpus").is_displayed()
    dash_duo.find_element("#f-size-lo").send_keys("70", Keys.ENTER)
    dash_duo.find_element("#f-size-hi").send_keys("7", Keys.ENTER)
    wait_until(lambda: "lower end above upper end" in dash_duo.find_element("#msg-size").text, 10, "the size range message")

    dash_duo.wait_for_page(f"{dash_duo.server_url}/?size=7B..70b")
    dash_duo.wait_for_text_to_equal("#caption", "All claims on 7B–70B models")
    assert dash_duo.find_element("#f-size-lo").get_attribute("value") == "7"

    dash_duo.wait_for_page(f"{dash_duo.server_url}/?metric=latency&papers=2401.00001&papers=nope-123&tab=side")
    wait_until(lambda: "nope-123" in dash_duo.find_element("#notices").text, 10, "the unknown id named")
    assert "metric=latency" in dash_duo.driver.current_url and "tab=side" in dash_duo.driver.current_url
    assert dash_duo.find_element("#caption").text.startswith("Latency claims")
    wait_until(lambda: not dash_duo.find_element(EXPORT_BUTTON).is_enabled(), 10, "export disabled: one known paper")

    dash_duo.wait_for_page(f"{dash_duo.server_url}/?q=no-such-claim-anywhere")
    wait_until(lambda: not dash_duo.find_element(EXPORT_BUTTON).is_enabled(), 10, "export disabled on an empty view")
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?metric=latency")
    wait_until(lambda: dash_duo.find_element(EXPORT_BUTTON).is_enabled(), 10, "export enabled again")


def test_the_header_shows_a_human_time_with_the_run_id_on_hover_and_the_warning_kinds(dash_duo, handmade_store):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/")
    stamp = dash_duo.wait_for_element("#snapshot-time")
    assert stamp.text == "data of 23 Nov 2026, 06:00 UTC"
    assert stamp.get_attribute("title") == f"snapshot {NEW_RUN}"
    header = dash_duo.find_element("#header-info").text
    assert NEW_RUN not in header and "T06:00" not in header
    assert "flagged claims (multiplier above 5 on a single device 1, regression 1)" in header
