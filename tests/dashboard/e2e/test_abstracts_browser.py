"""The abstract dialog in headless Chromium (issue 13): from the claims table and from side by side."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from support.browser import cell_text, grid_rows, no_alert, wait_until

pytestmark = pytest.mark.browser

DIALOG = """
const panel = document.getElementById('abstract-panel');
const dialog = panel && panel.querySelector('.abstract-dialog');
const box = dialog ? dialog.getBoundingClientRect() : null;
return {open: !!panel && !panel.hidden && panel.offsetHeight > 0,
        title: document.getElementById('abstract-title').textContent,
        link: [...document.querySelectorAll('#abstract-link a')].map(a => [a.textContent, a.href]),
        marks: [...document.querySelectorAll('#abstract-text mark')].map(m => m.textContent),
        text: document.getElementById('abstract-text').textContent,
        scripts: document.querySelectorAll('#abstract-text script, #abstract-text img, #abstract-title script').length,
        width: box && box.width, right: box && box.right, pageWidth: document.documentElement.scrollWidth};
"""


def dialog(dash_duo) -> dict:
    return dash_duo.driver.execute_script(DIALOG)


def shot(dash_duo, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    dash_duo.driver.save_screenshot(str(path))
    folder = os.environ.get("CLAIMBOARD_SHOTS")  # a folder to copy the screenshots to, to look at them
    if folder:
        shutil.copy(path, Path(folder) / path.name)


def open_from_table(dash_duo, row: int) -> None:
    dash_duo.find_element(f'#claims-table .ag-center-cols-container .ag-row[row-index="{row}"] .abstract-button').click()


def close(dash_duo) -> None:
    dash_duo.find_element("#abstract-close").click()
    wait_until(lambda: not dialog(dash_duo)["open"], 5, "the dialog closes")


def test_a_claims_abstract_opens_from_the_table_with_its_number_marked(dash_duo, handmade_store, tmp_path):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.driver.set_window_size(1280, 900)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=table&sort=multiplier:desc")
    wait_until(lambda: grid_rows(dash_duo) and cell_text(grid_rows(dash_duo)[0], "multiplier") == "10", 15, "10x first")
    assert not dialog(dash_duo)["open"]

    open_from_table(dash_duo, 0)
    wait_until(lambda: dialog(dash_duo)["open"] and dialog(dash_duo)["marks"], 10, "the abstract of TinyServe's claim")
    state = dialog(dash_duo)
    assert state["marks"] == ["10x"] and state["title"] == "TinyServe: Edge Inference"
    assert state["link"] == [["arXiv ↗", "https://arxiv.org/abs/2401.00005"]]
    assert "papers=" not in dash_duo.driver.current_url  # the button does not also add the paper to the comparison
    shot(dash_duo, tmp_path, "abstract-table-1280")
    close(dash_duo)

    # the hostile paper's claim: its abstract (with <script> in it) shows as text
    index = [i for i, r in enumerate(grid_rows(dash_duo)) if cell_text(r, "multiplier") == "4"][0]
    open_from_table(dash_duo, index)
    wait_until(lambda: dialog(dash_duo)["marks"] == ["4x"], 10, "FastLLM's 4x marked")
    state = dialog(dash_duo)
    assert '<script>alert("s")</script>' in state["text"] and state["scripts"] == 0
    assert state["title"].startswith('<script>alert("title")</script>')
    assert no_alert(dash_duo.driver)
    close(dash_duo)

    dash_duo.driver.set_window_size(390, 844)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=table&sort=multiplier:desc")
    wait_until(lambda: grid_rows(dash_duo) and cell_text(grid_rows(dash_duo)[0], "multiplier") == "10", 15, "10x first")
    open_from_table(dash_duo, 0)
    wait_until(lambda: dialog(dash_duo)["marks"] == ["10x"], 10, "the abstract at phone width")
    state = dialog(dash_duo)
    assert state["width"] <= 390 and state["right"] <= 390 and state["pageWidth"] <= 390, state
    shot(dash_duo, tmp_path, "abstract-table-390")
    close(dash_duo)


def test_a_papers_abstract_opens_from_side_by_side_with_every_claim_marked(dash_duo, handmade_store, tmp_path):
    dash_duo.start_server(create_app(handmade_store))
    dash_duo.driver.set_window_size(1280, 900)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=side&papers=2401.00003&papers=2401.00001")
    dash_duo.wait_for_element("#side-facts table")
    buttons = wait_until(lambda: dash_duo.find_elements("#side-abstracts button"), 10, "one button per paper")
    assert [b.text for b in buttons] == ["FastLLM", "PagedServe"]
    buttons[1].click()
    wait_until(lambda: dialog(dash_duo)["marks"] == ["2.1x", "40%"], 10, "PagedServe's two claims marked")
    assert dialog(dash_duo)["title"].startswith("PagedServe")
    shot(dash_duo, tmp_path, "abstract-side-1280")
    close(dash_duo)

    dash_duo.find_element("#side-abstracts").find_element(By.XPATH, ".//button[text()='FastLLM']").click()
    wait_until(lambda: dialog(dash_duo)["marks"] == ["4x", "5%"], 10, "FastLLM's two claims marked")
    state = dialog(dash_duo)
    assert state["scripts"] == 0 and "</script><script>" in state["text"]
    assert no_alert(dash_duo.driver)
    dash_duo.driver.set_window_size(390, 844)
    wait_until(lambda: dialog(dash_duo)["right"] <= 390, 5, "the dialog fits a phone")
    shot(dash_duo, tmp_path, "abstract-side-390")
