"""Review mode in real browsers (issue 12): two editors at once lose nothing; an edit made in the
browser is in the next snapshot and marked in the claims table."""

from __future__ import annotations

import time

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.app import create_app
from support.browser import wait_until
from dashboard.review import ReviewConfig
from etl.review import read_corrections
from etl.store import SnapshotStore
from support.stores import write_pipeline_store

from .conftest import pytest_setup_options

pytestmark = pytest.mark.browser


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    write_pipeline_store(path)
    return path


def pick_row(driver, index: int) -> None:
    """Click a row of the claims grid (again, while the grid still re-renders) until the review panel shows it."""
    cell = f'#claims-table .ag-center-cols-container .ag-row[row-index="{index}"] [col-id="metric"]'
    click = "var c = document.querySelector(arguments[0]); if (c) { c.scrollIntoView({block: 'center'}); c.click(); } return !!c;"

    def picked():
        if not driver.execute_script(click, cell):
            return False
        time.sleep(1)
        marks = driver.find_elements(By.CSS_SELECTOR, "#review-sentence mark")
        return marks and driver.find_element(By.ID, "review-save").is_enabled()

    wait_until(picked, 30, f"row {index} in the review panel")


def test_two_editors_in_two_browsers_both_decisions_are_kept(dash_duo, store):
    dash_duo.start_server(create_app(store, review_mode=ReviewConfig(enabled=True)))
    other = webdriver.Chrome(options=pytest_setup_options())
    try:
        drivers = [dash_duo.driver, other]
        for driver in drivers:
            driver.get(f"{dash_duo.server_url}/?tab=table")
        pick_row(drivers[0], 0)
        pick_row(drivers[1], 1)
        multiplier = other.find_element(By.ID, "review-multiplier")
        multiplier.send_keys(Keys.END, Keys.BACKSPACE * 30)  # clear() does not reach React's state
        multiplier.send_keys("4.75")
        # both submit at once
        dash_duo.driver.execute_script("document.getElementById('review-reject').click()")
        other.execute_script("document.getElementById('review-save').click()")
        for driver, word in ((drivers[0], "Rejected"), (drivers[1], "Edited")):
            wait_until(lambda d=driver, w=word: w in d.find_element(By.ID, "review-status").text, message=word)
        decisions = read_corrections(store / "corrections.jsonl")
        assert not decisions.bad
        assert sorted(c.action for c in decisions.corrections) == ["reject", "set"]
        assert [c.fields for c in decisions.corrections if c.action == "set"] == [{"multiplier": 4.75}]
        assert len({c.anchor.key() for c in decisions.corrections}) == 2  # two claims, one decision each
        # the editing browser sees its decision at once
        wait_until(lambda: "pending" in other.find_element(
            By.CSS_SELECTOR, '#claims-table .ag-row[row-index="1"] [col-id="multiplier"]').text, message="pending mark")
    finally:
        other.quit()


def test_an_edit_in_the_browser_is_in_the_next_snapshot_and_marked_in_the_table(dash_duo, store):
    from etl.pipeline import run_etl
    from support.stores import SEEDS

    dash_duo.start_server(create_app(store, review_mode=ReviewConfig(enabled=True)))
    dash_duo.driver.get(f"{dash_duo.server_url}/?tab=table")
    pick_row(dash_duo.driver, 0)
    field = dash_duo.find_element("#review-multiplier")
    field.send_keys(Keys.END, Keys.BACKSPACE * 30)
    field.send_keys("3.25")
    dash_duo.find_element("#review-note").send_keys("table 3 says 3.25x")
    dash_duo.find_element("#review-who").send_keys("ana")
    dash_duo.find_element("#review-save").click()
    wait_until(lambda: "Edited" in dash_duo.find_element("#review-status").text, message="saved")
    (decision,) = read_corrections(store / "corrections.jsonl").corrections

    manifest = run_etl(sources=sorted(SEEDS.glob("*.txt")), store=store)  # what `claimboard refresh` runs
    assert manifest["corrections"]["applied"] == 1
    claims = SnapshotStore(store).read("claims")
    fixed = claims.filter(claims["correction_id"] == decision.id)
    assert fixed.height == 1 and fixed["multiplier"][0] == 3.25 and "multiplier" in fixed["extracted"][0]

    time.sleep(1.2)  # the snapshot cache looks at `current` at most once a second
    dash_duo.driver.get(f"{dash_duo.server_url}/?tab=table&q=" + fixed["text"][0].split()[0])
    mark = wait_until(lambda: dash_duo.driver.find_element(By.CSS_SELECTOR, "#claims-table .claim-corrected"), message="✎ mark")
    assert "3.25" in mark.text and "✎" in mark.text
    assert "extracted: multiplier" in mark.get_attribute("title")
